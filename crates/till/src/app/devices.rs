//! Peripherals as the counter app sees them: jobs go out, reports come back.
//!
//! The app never waits for a device. A printer that is slow, unplugged or out
//! of paper would otherwise freeze the sale screen for its timeout on every
//! call; instead a worker thread owns the printer (and the drawer wired to
//! it), and its answers arrive as [`Report`]s the app reads on its next tick.
//! Tests plug in [`FakeDevices`], which answers synchronously.

use comptoir_i18n::till_devices::TillDevices as D;
use comptoir_i18n::{Lang, Template};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::Duration;

use till_devices::config::{DevicesConfig, DrawerVia, PrinterConfig, ScannerMode};
use till_devices::drawer::SerialDrawer;
use till_devices::escpos::Printer;
use till_devices::scanner::{SerialScanner, WedgeScanner};
use till_devices::transport::Transport;
use till_devices::DeviceError;

/// Something for the peripherals to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// Print these ESC/POS bytes; `what` names the receipt in reports.
    Print { what: String, bytes: Vec<u8> },
    /// Open the cash drawer.
    OpenDrawer,
    /// Ask the printer and drawer how they are.
    Status,
    /// Weigh a weighed item on the counter scale (the scale's own thread).
    Weigh {
        /// The code scanned or typed, added once weighed.
        code: String,
        /// Unit price and tare sent to a pricing scale.
        request: till_devices::scale::WeighRequest,
    },
    /// Run a payment or refund on the payment terminal. `attempt` numbers
    /// it for the app, which matches the answer (or a late one) with it.
    Pay {
        attempt: u64,
        request: till_devices::payment::PaymentRequest,
        /// The earlier attempt the app still counts as unanswered: if the
        /// worker already reported a late approval for it, this payment is
        /// not started (the two crossed on their way).
        unresolved: Option<u64>,
    },
}

/// How a payment attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayOutcome {
    /// The terminal answered: approved or not (declined, cancelled).
    Answered(till_devices::payment::PaymentAnswer),
    /// The exchange failed. `maybe_charged`: the request may have reached
    /// the terminal, so the customer may have been charged; a late answer
    /// is listened for.
    NoAnswer { why: String, maybe_charged: bool },
    /// Nothing was sent to the terminal (it could not be opened, or an
    /// earlier attempt turned out approved just before).
    NotStarted(String),
}

/// What the peripherals answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// The receipt is on paper.
    Printed { what: String },
    /// It is not (or not all of it): plain words for the cashier.
    /// `partly`: some of it may have reached paper (printing it again must
    /// say DUPLICATA); otherwise nothing was printed and the original is due.
    NotPrinted {
        what: String,
        why: String,
        partly: bool,
    },
    /// The drawer could not be opened.
    DrawerFailed(String),
    /// Printer state in plain words, whether it can print, drawer sensor.
    Status {
        printer: String,
        ready: bool,
        drawer_open: Option<bool>,
    },
    /// A code came from the scanner.
    Scanned(String),
    /// The scanner's state changed ("prêt", "absent: ...").
    Scanner(String),
    /// The end of a [`Job::Pay`].
    Payment { attempt: u64, outcome: PayOutcome },
    /// An answer to an attempt that had ended with [`PayOutcome::NoAnswer`].
    LateAnswer {
        attempt: u64,
        answer: till_devices::payment::PaymentAnswer,
    },
    /// The end of a [`Job::Weigh`]: a stable weighing, or why not (a
    /// [`till_devices::scale::ScaleError::code`] and the technician's
    /// detail).
    Weighed {
        code: String,
        result: Result<till_devices::scale::Weighing, (String, String)>,
    },
}

/// The app's side of the peripherals.
pub trait Devices {
    /// Queue a job; never blocks.
    fn submit(&mut self, job: Job);
    /// Reports that arrived since the last call.
    fn poll(&mut self) -> Vec<Report>;
    /// On the way out: let queued jobs (a receipt, a Z report) reach the
    /// device, waiting at most `timeout`.
    fn finish(&mut self, _timeout: Duration) {}
    /// Whether card and e-wallet tenders go through a payment terminal
    /// (otherwise they are typed in from a standalone one).
    fn has_terminal(&self) -> bool {
        false
    }
    /// Show this on the customer display; never blocks (no display: nothing).
    fn show_customer(&mut self, _screen: &super::customer_display::CustomerScreen) {}
    /// Whether a counter scale weighs weighed items ([`Job::Weigh`]).
    fn has_scale(&self) -> bool {
        false
    }
}

/// No peripherals at all (a till without a printer still sells).
#[derive(Debug, Default)]
pub struct NoDevices {
    out: Vec<Report>,
}

impl Devices for NoDevices {
    fn submit(&mut self, job: Job) {
        match job {
            Job::Print { what, .. } => self.out.push(Report::NotPrinted {
                what,
                why: w(D::NoPrinter),
                partly: false,
            }),
            Job::OpenDrawer => self.out.push(Report::DrawerFailed(w(D::NoDrawer))),
            Job::Status => self.out.push(Report::Status {
                printer: "aucune".into(),
                ready: false,
                drawer_open: None,
            }),
            Job::Pay { attempt, .. } => self.out.push(Report::Payment {
                attempt,
                outcome: PayOutcome::NotStarted(w(D::NoTerminal)),
            }),
            Job::Weigh { code, .. } => self.out.push(no_scale(code)),
        }
    }
    fn poll(&mut self) -> Vec<Report> {
        std::mem::take(&mut self.out)
    }
}

/// Synchronous stand-in for tests: records every job, answers at once.
#[derive(Debug, Default)]
pub struct FakeDevices {
    /// Every job submitted, in order.
    pub jobs: Vec<Job>,
    /// When true, prints fail with "plus de papier".
    pub paper_out: bool,
    /// With `paper_out`: the paper ran out during the receipt (part printed).
    pub paper_out_mid_receipt: bool,
    /// Codes to hand out as scans on the next poll.
    pub scans: Vec<String>,
    /// Every screen sent to the customer display, in order.
    pub customer: Vec<super::customer_display::CustomerScreen>,
    /// The scale's answers to weighings, in order (set: the fake has a
    /// scale; empty then: "no answer").
    pub weighings:
        Option<std::collections::VecDeque<Result<till_devices::scale::Weighing, (String, String)>>>,
    out: Vec<Report>,
}

impl FakeDevices {
    /// Receipts printed so far (the `what` of each successful print).
    pub fn printed(&self) -> Vec<String> {
        let mut paper = Vec::new();
        let mut fail = false;
        for j in &self.jobs {
            if let Job::Print { what, .. } = j {
                if !fail {
                    paper.push(what.clone());
                }
            }
            fail = false;
        }
        paper
    }
    /// How many times the drawer was asked to open.
    pub fn drawer_kicks(&self) -> usize {
        self.jobs.iter().filter(|j| **j == Job::OpenDrawer).count()
    }
}

impl Devices for FakeDevices {
    fn show_customer(&mut self, screen: &super::customer_display::CustomerScreen) {
        self.customer.push(screen.clone());
    }
    fn has_scale(&self) -> bool {
        self.weighings.is_some()
    }
    fn submit(&mut self, job: Job) {
        match &job {
            Job::Print { what, .. } if self.paper_out => self.out.push(Report::NotPrinted {
                what: what.clone(),
                why: w(D::PaperOut),
                partly: self.paper_out_mid_receipt,
            }),
            Job::Print { what, .. } => self.out.push(Report::Printed { what: what.clone() }),
            Job::OpenDrawer => {}
            Job::Pay { attempt, .. } => self.out.push(Report::Payment {
                attempt: *attempt,
                outcome: PayOutcome::NotStarted(w(D::NoTerminal)),
            }),
            Job::Weigh { code, .. } => {
                let answer = match self.weighings.as_mut() {
                    None => no_scale(code.clone()),
                    Some(w) => Report::Weighed {
                        code: code.clone(),
                        result: w
                            .pop_front()
                            .unwrap_or_else(|| Err(("no_answer".into(), "no answer".into()))),
                    },
                };
                self.out.push(answer);
            }
            Job::Status => self.out.push(Report::Status {
                printer: if self.paper_out {
                    w(D::PaperOut)
                } else {
                    w(D::PrinterReady)
                }
                .into(),
                ready: !self.paper_out,
                drawer_open: Some(false),
            }),
        }
        if !matches!(job, Job::Print { .. }) || !self.paper_out {
            self.jobs.push(job);
        } else {
            // Keep the failed print out of `printed()`.
            self.jobs.push(Job::Status);
        }
    }
    fn poll(&mut self) -> Vec<Report> {
        let mut out = std::mem::take(&mut self.out);
        out.extend(self.scans.drain(..).map(Report::Scanned));
        out
    }
}

/// Real peripherals from `till.toml`: one worker thread for the printer and
/// drawer, one reader thread for the scanner.
pub struct DeviceThreads {
    jobs: Option<Sender<Job>>,
    reports: Receiver<Report>,
    printer: Option<std::thread::JoinHandle<()>>,
    /// The customer display's own thread: a slow or absent display never
    /// holds up a receipt, nor the counter.
    display: Option<Sender<super::customer_display::CustomerScreen>>,
    /// The counter scale's own thread: a weighing takes the scale's time.
    scale: Option<Sender<Job>>,
    /// For the threads added after start.
    reports_tx: Sender<Report>,
}

impl DeviceThreads {
    /// Starts the threads. Devices that cannot be opened now are retried on
    /// every job, so plugging the printer back in needs no restart.
    pub fn start(cfg: &DevicesConfig) -> DeviceThreads {
        let (job_tx, job_rx) = channel::<Job>();
        let (rep_tx, rep_rx) = channel::<Report>();
        let printer = cfg.printer.clone();
        let drawer = cfg.drawer.clone().unwrap_or_default();
        let tx = rep_tx.clone();
        // The threads end when the app drops its end of the channels.
        let printer = std::thread::Builder::new()
            .name("till-printer".into())
            .spawn(move || printer_worker(printer, drawer, job_rx, tx))
            .ok();
        if let Some(sc) = cfg.scanner.clone() {
            let tx = rep_tx.clone();
            let _ = std::thread::Builder::new()
                .name("till-scanner".into())
                .spawn(move || scanner_worker(sc, tx));
        } else {
            let _ = rep_tx.send(Report::Scanner("aucun".into()));
        }
        DeviceThreads {
            jobs: Some(job_tx),
            reports: rep_rx,
            printer,
            display: None,
            scale: None,
            reports_tx: rep_tx,
        }
    }

    /// Adds the counter scale (`[devices.scale]`), on its own thread.
    pub fn with_scale(mut self, cfg: Option<till_devices::config::ScaleConfig>) -> Self {
        if let Some(cfg) = cfg {
            let (tx, rx) = channel();
            let out = self.reports_tx.clone();
            if std::thread::Builder::new()
                .name("till-scale".into())
                .spawn(move || scale_worker(cfg, rx, out))
                .is_ok()
            {
                self.scale = Some(tx);
            }
        }
        self
    }

    /// Adds the customer display (`[devices.display]`), on its own thread.
    pub fn with_display(mut self, cfg: Option<till_devices::config::DisplayConfig>) -> Self {
        if let Some(cfg) = cfg {
            let (tx, rx) = channel();
            if std::thread::Builder::new()
                .name("till-display".into())
                .spawn(move || display_worker(cfg, rx))
                .is_ok()
            {
                self.display = Some(tx);
            }
        }
        self
    }
}

/// The answer to a weighing when there is no scale.
fn no_scale(code: String) -> Report {
    Report::Weighed {
        code,
        result: Err(("no_scale".into(), "aucune balance configurée".into())),
    }
}

/// Weighs what it is asked, one job at a time; waits for a moving load up
/// to `settle_ms`; reopens a scale that failed at the next weighing.
fn scale_worker(cfg: till_devices::config::ScaleConfig, jobs: Receiver<Job>, out: Sender<Report>) {
    let mut scale = None;
    while let Ok(job) = jobs.recv() {
        let Job::Weigh { code, request } = job else {
            continue;
        };
        if scale.is_none() {
            scale = cfg.open().ok();
        }
        let result = match scale.as_mut() {
            None => Err((
                "disconnected".to_string(),
                format!("balance injoignable ({})", cfg.link.target()),
            )),
            Some(s) => s.weigh_settled(&request, cfg.settle).map_err(|e| {
                if matches!(e, till_devices::scale::ScaleError::Device(_)) {
                    scale = None;
                }
                (e.code().to_string(), e.to_string())
            }),
        };
        if out.send(Report::Weighed { code, result }).is_err() {
            return;
        }
    }
}

/// Writes each screen to the display, the newest only when several wait
/// (what the customer should read is the latest); reopens a display that
/// failed at the next screen, at most every 2 s.
fn display_worker(
    cfg: till_devices::config::DisplayConfig,
    screens: Receiver<super::customer_display::CustomerScreen>,
) {
    use super::customer_display::CustomerLine;
    use till_devices::display::{centred, layout};
    let mut display = None;
    let mut last_try: Option<std::time::Instant> = None;
    while let Ok(first) = screens.recv() {
        let screen = screens.try_iter().last().unwrap_or(first);
        if display.is_none() && last_try.is_none_or(|t| t.elapsed() >= Duration::from_secs(2)) {
            last_try = Some(std::time::Instant::now());
            display = cfg.open().ok();
        }
        let Some(d) = display.as_mut() else {
            continue;
        };
        let line = |l: &CustomerLine| match l {
            CustomerLine::Pair(left, right) => layout(cfg.charset, left, right),
            CustomerLine::Centred(text) => centred(cfg.charset, text),
        };
        if d.show_lines(&line(&screen.upper), &line(&screen.lower))
            .is_err()
        {
            display = None;
        }
    }
}

impl Devices for DeviceThreads {
    fn show_customer(&mut self, screen: &super::customer_display::CustomerScreen) {
        if let Some(tx) = &self.display {
            let _ = tx.send(screen.clone());
        }
    }
    fn has_scale(&self) -> bool {
        self.scale.is_some()
    }
    fn submit(&mut self, job: Job) {
        if let Job::Weigh { code, .. } = &job {
            let sent = self
                .scale
                .as_ref()
                .is_some_and(|tx| tx.send(job.clone()).is_ok());
            if !sent {
                let _ = self.reports_tx.send(no_scale(code.clone()));
            }
            return;
        }
        // A dead worker only means no peripherals: the sale goes on.
        if let Some(tx) = &self.jobs {
            let _ = tx.send(job);
        }
    }
    fn poll(&mut self) -> Vec<Report> {
        self.reports.try_iter().collect()
    }
    fn finish(&mut self, timeout: Duration) {
        // Closing the queue ends the worker once it has done what is queued.
        self.jobs = None;
        let deadline = std::time::Instant::now() + timeout;
        while let Some(h) = &self.printer {
            if h.is_finished() || std::time::Instant::now() > deadline {
                break;
            }
            // Keep the report channel drained so the worker never blocks on it.
            let _ = self.reports.try_iter().count();
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn printer_worker(
    cfg: Option<PrinterConfig>,
    drawer: till_devices::config::DrawerConfig,
    jobs: Receiver<Job>,
    out: Sender<Report>,
) {
    let mut printer: Option<Printer<Box<dyn Transport>>> = None;
    let mut serial_drawer: Option<SerialDrawer<Box<dyn Transport>>> = None;
    let open = |cfg: &PrinterConfig| -> Result<Printer<Box<dyn Transport>>, DeviceError> {
        Ok(Printer::new(cfg.link.open(cfg.timeout())?, cfg.timeout()))
    };
    let mut queue: std::collections::VecDeque<Job> = std::collections::VecDeque::new();
    loop {
        if queue.is_empty() {
            match jobs.recv() {
                Ok(j) => queue.push_back(j),
                Err(_) => return,
            }
        }
        // Take everything waiting, in order; several status requests in the
        // queue (the printer was slow) make one query, at the end.
        queue.extend(jobs.try_iter());
        let statuses = queue.iter().filter(|j| **j == Job::Status).count();
        if statuses > 1 {
            queue.retain(|j| *j != Job::Status);
            queue.push_back(Job::Status);
        }
        let Some(job) = queue.pop_front() else {
            continue;
        };
        let Some(pc) = &cfg else {
            let report = match job {
                Job::Print { what, .. } => Report::NotPrinted {
                    what,
                    why: w(D::NoPrinter),
                    partly: false,
                },
                Job::OpenDrawer => Report::DrawerFailed(w(D::NoDrawer)),
                Job::Status => Report::Status {
                    printer: "aucune".into(),
                    ready: false,
                    drawer_open: None,
                },
                // Payments go to the terminal worker, weighings to the
                // scale's, never here.
                Job::Pay { .. } | Job::Weigh { .. } => continue,
            };
            if out.send(report).is_err() {
                return;
            }
            continue;
        };
        if printer.is_none() {
            printer = open(pc).ok();
        }
        let report = match (job, printer.as_mut()) {
            (Job::Print { what, .. }, None) => Report::NotPrinted {
                what,
                why: D::PrinterUnreachable.fill(LANG, &[("target", &pc.link.target())]),
                partly: false,
            },
            (Job::Print { what, bytes }, Some(p)) => {
                match print_once_more_if_not_ready(p, &bytes) {
                    Ok(()) => Report::Printed { what },
                    Err(e) => {
                        use till_devices::escpos::NotPrinted;
                        let why = match &e {
                            NotPrinted::NotReady(s) => french(&s.problems()),
                            NotPrinted::Interrupted(s) => {
                                D::Interrupted.fill(LANG, &[("what", &french(&s.problems()))])
                            }
                            NotPrinted::Unreachable(_) => {
                                printer = None;
                                D::PrinterUnreachable.fill(LANG, &[("target", &pc.link.target())])
                            }
                        };
                        Report::NotPrinted {
                            what,
                            why,
                            partly: e.partly_printed(),
                        }
                    }
                }
            }
            (Job::OpenDrawer, p) => match drawer.via {
                DrawerVia::Serial => {
                    if serial_drawer.is_none() {
                        serial_drawer = drawer
                            .serial_link()
                            .and_then(|l| l.open(Duration::from_secs(1)).ok())
                            .map(|t| SerialDrawer::new(t, drawer.open_byte));
                    }
                    match serial_drawer.as_mut().map(|d| d.open()) {
                        Some(Ok(())) => continue,
                        Some(Err(e)) => {
                            serial_drawer = None;
                            Report::DrawerFailed(e.to_string())
                        }
                        None => Report::DrawerFailed("tiroir injoignable".into()),
                    }
                }
                _ => match p {
                    None => Report::DrawerFailed("imprimante (et tiroir) injoignable".into()),
                    Some(p) => {
                        let pulse = drawer.pulse();
                        match p.kick_best(pulse.pin, pulse.on_ms, pulse.off_ms) {
                            Ok(_) => continue,
                            Err(e) => {
                                printer = None;
                                Report::DrawerFailed(e.to_string())
                            }
                        }
                    }
                },
            },
            (Job::Pay { .. } | Job::Weigh { .. }, _) => continue,
            (Job::Status, None) => Report::Status {
                printer: D::StatusUnreachable.fill(LANG, &[("target", &pc.link.target())]),
                ready: false,
                drawer_open: None,
            },
            (Job::Status, Some(p)) => match fresh_status(p) {
                Ok(s) => {
                    let problems = s.problems();
                    let open = drawer.sensor_open_level.is_open(s.printer.drawer_pin3_high);
                    Report::Status {
                        printer: if problems.is_empty() {
                            w(D::PrinterReady)
                        } else {
                            french(&problems)
                        },
                        ready: s.ready(),
                        drawer_open: Some(open),
                    }
                }
                Err(_) => {
                    printer = None;
                    Report::Status {
                        printer: w(D::StatusNoAnswer),
                        ready: false,
                        drawer_open: None,
                    }
                }
            },
        };
        if out.send(report).is_err() {
            return;
        }
    }
}

fn scanner_worker(cfg: till_devices::config::ScannerConfig, out: Sender<Report>) {
    let mut last_state = String::new();
    let mut say = |s: String| -> bool {
        if s != last_state {
            last_state = s.clone();
            return out.send(Report::Scanner(s)).is_ok();
        }
        true
    };
    loop {
        let link = match cfg.link.open(Duration::from_secs(1)) {
            Ok(l) => l,
            Err(_) => {
                if !say(w(D::ScannerAbsent)) {
                    return;
                }
                std::thread::sleep(Duration::from_secs(2));
                continue;
            }
        };
        if !say(w(D::ScannerReady)) {
            return;
        }
        // Both readers hand back validated codes; a bad frame is reported
        // and reading goes on.
        let mut next: Box<dyn FnMut() -> Result<String, till_devices::scanner::ScanError>> =
            match cfg.mode {
                ScannerMode::Serial => {
                    let mut r = SerialScanner::new(link, cfg.framing());
                    Box::new(move || {
                        r.next_scan(Duration::from_millis(500))
                            .map(|s| code_text(&s.code))
                    })
                }
                ScannerMode::Wedge => {
                    let mut r = WedgeScanner::new(link, cfg.max_len);
                    Box::new(move || {
                        r.next_scan(Duration::from_millis(500))
                            .map(|s| code_text(&s.code))
                    })
                }
            };
        loop {
            match next() {
                Ok(code) => {
                    if out.send(Report::Scanned(code)).is_err() {
                        return;
                    }
                    if !say("prêt".into()) {
                        return;
                    }
                }
                Err(till_devices::scanner::ScanError::Device(DeviceError::Timeout { .. })) => {
                    // Idle: the normal state between scans. Check the app is still there.
                    if out.send(Report::Scanner(w(D::ScannerReady))).is_err() {
                        return;
                    }
                }
                Err(till_devices::scanner::ScanError::Device(_)) => {
                    if !say(w(D::ScannerLost)) {
                        return;
                    }
                    break;
                }
                Err(_) => {
                    if !say(w(D::ScanRejected)) {
                        return;
                    }
                }
            }
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// The text the catalog looks up for a validated scan.
fn code_text(code: &till_devices::scanner::Code) -> String {
    use till_devices::scanner::Code;
    match code {
        Code::Retail(b) => b.digits.clone(),
        // The GTIN finds the article; the weight AI is not used by the
        // counter yet (weighed goods carry shop labels, 21.....).
        Code::Gs1(g) => g.gtin.clone().unwrap_or_default(),
        Code::Other { text, .. } => text.clone(),
    }
}

/// A shared fake, so a test keeps a handle on what the app sent.
impl Devices for std::rc::Rc<std::cell::RefCell<FakeDevices>> {
    fn has_scale(&self) -> bool {
        self.borrow().has_scale()
    }
    fn show_customer(&mut self, screen: &super::customer_display::CustomerScreen) {
        self.borrow_mut().show_customer(screen)
    }
    fn submit(&mut self, job: Job) {
        self.borrow_mut().submit(job)
    }
    fn poll(&mut self) -> Vec<Report> {
        self.borrow_mut().poll()
    }
}

/// The device threads speak the till's default language: they are not
/// told the screen's (a till set to `lang = "en"` reads these in French).
const LANG: Lang = Lang::Fr;

/// A device message in [`LANG`].
fn w(m: D) -> String {
    m.text(LANG)
}

/// The printer's plain-words problems (till-devices speaks English to the
/// technician) in the cashier's words, through the catalog; one it has no
/// words for is said to be a printer problem, never passed through.
pub fn french(problems: &[&str]) -> String {
    problems
        .iter()
        .map(|p| match *p {
            "printer has an unrecoverable error: switch it off and on, then call service" => {
                D::PrinterFatal
            }
            "paper jammed in the cutter: open the cover and clear it" => D::PrinterJam,
            "printer cover is open: close it" => D::PrinterCover,
            "printer is out of paper: load a new roll" => D::PrinterPaperOut,
            "printer mechanism error: check the print head lever" => D::PrinterMechanism,
            "print head overheated: wait a minute" => D::PrinterHot,
            "printer is offline" => D::PrinterOffline,
            "paper roll nearly finished: have a new roll ready" => D::PrinterPaperLow,
            _ => D::PrinterOther,
        })
        .map(w)
        .collect::<Vec<_>>()
        .join(" ; ")
}

/// Prints; if the printer said "not ready" (nothing was sent, so trying
/// again cannot print twice), throws away any stale status bytes, waits a
/// moment and asks once more: a late reply from the previous receipt's
/// confirmation must not cost this receipt.
fn print_once_more_if_not_ready(
    p: &mut Printer<Box<dyn Transport>>,
    bytes: &[u8],
) -> Result<(), till_devices::escpos::NotPrinted> {
    let _ = till_devices::transport::drain(p.link());
    match p.print_receipt(bytes) {
        Err(till_devices::escpos::NotPrinted::NotReady(_)) => {
            std::thread::sleep(Duration::from_millis(200));
            let _ = till_devices::transport::drain(p.link());
            p.print_receipt(bytes)
        }
        other => other,
    }
}

/// The printer's status, after throwing away any late byte from an earlier
/// exchange so it is not read as this answer.
fn fresh_status(
    p: &mut Printer<Box<dyn Transport>>,
) -> Result<till_devices::escpos::FullStatus, DeviceError> {
    let _ = till_devices::transport::drain(p.link());
    p.full_status()
}
