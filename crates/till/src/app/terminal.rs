//! The payment terminal on its own worker thread.
//!
//! A card payment takes as long as the customer takes (PIN, contactless,
//! the bank): up to a minute or two. It must not hold up the printer (a
//! receipt for the previous customer) nor freeze the screen, so the
//! terminal has a thread of its own, separate from the printer's.
//!
//! After an attempt got no answer, the worker keeps listening for a while
//! ([`PaymentTerminal::late_answer`]): an approval that arrives late is
//! reported to the app, which decides where it goes. Before starting the
//! next payment it listens once more, and does not start it if the earlier
//! one turned out approved: the customer is not charged twice.

use comptoir_i18n::till_devices::TillDevices as Dm;
use comptoir_i18n::{Lang, Template};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use till_devices::payment::{PaymentAnswer, PaymentError, PaymentTerminal};

use super::devices::{Devices, Job, PayOutcome, Report};

/// Opens the configured terminal (called again after the link failed); the
/// error in words for the cashier.
pub type TerminalOpener = Box<dyn FnMut() -> Result<Box<dyn PaymentTerminal>, String> + Send>;

/// How long the worker keeps listening for a late answer after giving up on
/// one: longer than a terminal takes to time out on its own side and print
/// its ticket (about two minutes on the terminals we know).
pub const LATE_LISTEN: Duration = Duration::from_secs(180);

/// How long each `late_answer` call waits: short enough that a retry is
/// noticed within a second, long enough that an answer arriving in pieces
/// is rarely cut by the end of the wait.
const LATE_SLICE: Duration = Duration::from_millis(1000);

/// The terminal worker: jobs in, reports out.
pub struct TerminalWorker {
    jobs: Option<Sender<Job>>,
    reports: Receiver<Report>,
    thread: Option<std::thread::JoinHandle<()>>,
    dead: Vec<Report>,
    /// The payment submitted and not yet reported: if the thread dies (a
    /// driver panic), it is reported as unanswered instead of leaving the
    /// till on "Paiement en cours" for good.
    in_flight: Option<u64>,
}

impl TerminalWorker {
    /// Starts the thread. Nothing is opened until the first payment, so a
    /// terminal switched off at start-up only matters when a card is used.
    /// `pos_number`: the till's number as the terminal knows it.
    pub fn start(open: TerminalOpener, late_listen: Duration, pos_number: u8) -> TerminalWorker {
        let (job_tx, job_rx) = channel::<Job>();
        let (rep_tx, rep_rx) = channel::<Report>();
        let thread = std::thread::Builder::new()
            .name("till-terminal".into())
            .spawn(move || worker(open, job_rx, rep_tx, late_listen, pos_number))
            .ok();
        TerminalWorker {
            jobs: Some(job_tx),
            reports: rep_rx,
            thread,
            dead: Vec::new(),
            in_flight: None,
        }
    }

    /// Queues a payment; never blocks.
    pub fn submit(&mut self, job: Job) {
        let Job::Pay { attempt, .. } = &job else {
            return;
        };
        let attempt = *attempt;
        let sent = self.jobs.as_ref().is_some_and(|tx| tx.send(job).is_ok());
        if sent {
            self.in_flight = Some(attempt);
        } else {
            // The worker is gone: say so rather than leave the cashier waiting.
            self.dead.push(Report::Payment {
                attempt,
                outcome: PayOutcome::NotStarted(Dm::TerminalStopped.text(LANG)),
            });
        }
    }

    /// Reports that arrived.
    pub fn poll(&mut self) -> Vec<Report> {
        let mut out = std::mem::take(&mut self.dead);
        out.extend(self.reports.try_iter());
        if out.iter().any(
            |r| matches!(r, Report::Payment { attempt, .. } if Some(*attempt) == self.in_flight),
        ) {
            self.in_flight = None;
        }
        let died = self.thread.as_ref().is_some_and(|h| h.is_finished());
        if let Some(attempt) = self.in_flight.take_if(|_| died) {
            // Whatever it reported is in `out` already (sent before it
            // ended); the request may have reached the terminal.
            self.jobs = None;
            out.push(Report::Payment {
                attempt,
                outcome: PayOutcome::NoAnswer {
                    why: Dm::TerminalCrashed.text(LANG),
                    maybe_charged: true,
                },
            });
        }
        out
    }

    /// Closes the queue; waits up to `timeout` for a payment under way.
    pub fn finish(&mut self, timeout: Duration) {
        self.jobs = None;
        let deadline = Instant::now() + timeout;
        while let Some(h) = &self.thread {
            if h.is_finished() || Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Any [`Devices`] plus a payment terminal: payments go to the terminal
/// worker, everything else to `inner`.
pub struct WithTerminal<D> {
    /// Printer, drawer and scanner.
    pub inner: D,
    terminal: TerminalWorker,
}

impl<D: Devices> WithTerminal<D> {
    /// Puts `terminal` next to `inner`.
    pub fn new(inner: D, terminal: TerminalWorker) -> Self {
        WithTerminal { inner, terminal }
    }
}

impl<D: Devices> Devices for WithTerminal<D> {
    fn submit(&mut self, job: Job) {
        match job {
            Job::Pay { .. } => self.terminal.submit(job),
            other => self.inner.submit(other),
        }
    }
    fn poll(&mut self) -> Vec<Report> {
        let mut out = self.inner.poll();
        out.extend(self.terminal.poll());
        out
    }
    fn finish(&mut self, timeout: Duration) {
        self.terminal.finish(timeout);
        self.inner.finish(timeout);
    }
    fn has_terminal(&self) -> bool {
        true
    }
    fn show_customer(&mut self, screen: &super::customer_display::CustomerScreen) {
        self.inner.show_customer(screen)
    }
    fn has_scale(&self) -> bool {
        self.inner.has_scale()
    }
}

/// The terminal worker speaks the till's default language (it is not told
/// the screen's).
const LANG: Lang = Lang::Fr;

/// The cashier's words for a failed exchange, and whether the customer may
/// have been charged all the same (then a late answer is listened for).
pub fn explain(e: &PaymentError, target: &str) -> (String, bool) {
    match e {
        // The protocol's own detail is English, for `till diag terminal`.
        PaymentError::Timeout { .. } => (Dm::TerminalTimeout.text(LANG), true),
        PaymentError::Garbled { .. } => (Dm::TerminalGarbled.text(LANG), true),
        PaymentError::Rejected { .. } => (Dm::TerminalRejected.text(LANG), true),
        PaymentError::InvalidRequest(_) => (Dm::TerminalInvalid.text(LANG), false),
        PaymentError::Device(_) => (
            Dm::TerminalUnreachable.fill(LANG, &[("target", &target)]),
            true,
        ),
    }
}

fn worker(
    mut open: TerminalOpener,
    jobs: Receiver<Job>,
    out: Sender<Report>,
    late_listen: Duration,
    pos_number: u8,
) {
    let mut term: Option<Box<dyn PaymentTerminal>> = None;
    // The attempt that got no answer, and until when to listen for one.
    let mut lost: Option<(u64, Instant)> = None;
    // Attempts reported approved late (the app may not have heard yet).
    let mut approved_late: Vec<u64> = Vec::new();
    // When the next late listen may start. A listen that returns before its
    // slice is up (the driver has nothing pending, the link cannot be
    // opened) waits out the rest on the job queue, where a new payment still
    // wakes the worker at once; without this the loop polled every
    // millisecond for the whole three minutes.
    let mut next_listen = Instant::now();
    // The references the last attempts went out with: a late answer is
    // credited to the attempt whose reference it echoes, not blindly to the
    // latest lost one (a retry for the next customer that the busy terminal
    // ignored must not receive the previous customer's approval).
    let mut sent: std::collections::VecDeque<(u64, String)> = Default::default();
    loop {
        let job = match lost {
            None => match jobs.recv() {
                Ok(j) => j,
                Err(_) => return,
            },
            Some((attempt, until)) => match jobs.recv_timeout(
                next_listen
                    .saturating_duration_since(Instant::now())
                    .max(Duration::from_millis(1)),
            ) {
                Ok(j) => j,
                Err(RecvTimeoutError::Disconnected) => return,
                Err(RecvTimeoutError::Timeout) => {
                    if Instant::now() >= until {
                        lost = None;
                        continue;
                    }
                    next_listen = Instant::now() + LATE_SLICE;
                    if term.is_none() {
                        term = open().ok();
                        if term.is_none() {
                            continue;
                        }
                    }
                    match listen(&mut term, LATE_SLICE) {
                        Some(answer) => {
                            lost = None;
                            let attempt = credited(&sent, attempt, &answer);
                            if answer.approved {
                                approved_late.push(attempt);
                            }
                            if out.send(Report::LateAnswer { attempt, answer }).is_err() {
                                return;
                            }
                        }
                        None => continue,
                    }
                    continue;
                }
            },
        };
        let Job::Pay {
            attempt,
            mut request,
            unresolved,
        } = job
        else {
            continue;
        };
        if unresolved.is_some_and(|u| approved_late.contains(&u)) {
            let _ = out.send(Report::Payment {
                attempt,
                outcome: PayOutcome::NotStarted(Dm::TerminalPreviousApproved.text(LANG)),
            });
            continue;
        }
        // Only the latest can cross a new request.
        approved_late.retain(|a| Some(*a) == unresolved);
        if let Some((earlier, _)) = lost.take() {
            // One last look before charging again: the earlier attempt may
            // have been approved while the cashier decided to retry.
            if let Some(answer) = listen(&mut term, Duration::from_millis(300)) {
                let earlier = credited(&sent, earlier, &answer);
                let approved = answer.approved;
                if approved {
                    approved_late.push(earlier);
                }
                let _ = out.send(Report::LateAnswer {
                    attempt: earlier,
                    answer,
                });
                if approved {
                    let _ = out.send(Report::Payment {
                        attempt,
                        outcome: PayOutcome::NotStarted(Dm::TerminalPreviousApproved.text(LANG)),
                    });
                    continue;
                }
            }
        }
        if term.is_none() {
            match open() {
                Ok(t) => term = Some(t),
                Err(_) => {
                    let why = Dm::TerminalNoLink.text(LANG);
                    if out
                        .send(Report::Payment {
                            attempt,
                            outcome: PayOutcome::NotStarted(why),
                        })
                        .is_err()
                    {
                        return;
                    }
                    continue;
                }
            }
        }
        let Some(t) = term.as_mut() else { continue };
        let target = t.describe();
        sent.push_back((attempt, request.reference.clone()));
        if sent.len() > 8 {
            sent.pop_front();
        }
        // At most 32 characters, the end kept (the attempt number is last),
        // cut on a character boundary: `truncate(32)` dropped the attempt
        // number and panicked the worker inside an accented terminal id.
        let chars = request.reference.chars().count();
        if chars > 32 {
            request.reference = request.reference.chars().skip(chars - 32).collect();
        }
        request.pos_number = pos_number;
        let outcome = match t.pay(&request) {
            Ok(a) => PayOutcome::Answered(a),
            Err(e) => {
                let (why, maybe_charged) = explain(&e, &target);
                if matches!(e, PaymentError::Device(_)) {
                    // Reopened on the next use: the port or socket is gone.
                    term = None;
                }
                if maybe_charged {
                    lost = Some((attempt, Instant::now() + late_listen));
                }
                PayOutcome::NoAnswer { why, maybe_charged }
            }
        };
        if out.send(Report::Payment { attempt, outcome }).is_err() {
            return;
        }
    }
}

/// The attempt a late answer belongs to: the newest one whose reference
/// ends with the answer's (the driver's: what the terminal echoed, or the
/// attempt it matched by till number, amount and currency when the terminal
/// returned its own or a blank one; Concert keeps only the last 10
/// characters), else `lost`, the one listened for.
fn credited(sent: &std::collections::VecDeque<(u64, String)>, lost: u64, a: &PaymentAnswer) -> u64 {
    let Some(echo) = a.reference.as_deref().filter(|r| !r.is_empty()) else {
        return lost;
    };
    sent.iter()
        .rev()
        .find(|(_, r)| r.ends_with(echo))
        .map_or(lost, |(id, _)| *id)
}

/// A late answer, if one comes within `wait`. A failing link is dropped (it
/// is reopened on the next try), which ends nothing: the caller decides
/// how long to go on.
fn listen(term: &mut Option<Box<dyn PaymentTerminal>>, wait: Duration) -> Option<PaymentAnswer> {
    let t = term.as_mut()?;
    match t.late_answer(wait) {
        Ok(a) => a,
        Err(PaymentError::Device(_)) => {
            *term = None;
            None
        }
        Err(_) => None,
    }
}

/// Puts the terminal of `till.toml` (if any) next to the other devices.
/// A section that does not check out still makes a terminal till: card
/// tenders then fail with the setting to fix, rather than silently falling
/// back to manual entry the shop did not ask for.
pub fn with_configured_terminal<D: Devices + 'static>(
    inner: D,
    cfg: Result<Option<till_devices::config::TerminalConfig>, String>,
) -> Box<dyn Devices> {
    let settings = match cfg {
        Ok(None) => return Box::new(inner),
        Ok(Some(c)) => c.settings().map_err(|e| e.to_string()),
        Err(e) => Err(e),
    };
    let (open, pos): (TerminalOpener, u8) = match settings {
        Ok(s) => {
            let pos = s.pos_number;
            (Box::new(move || s.open().map_err(|e| e.to_string())), pos)
        }
        Err(_) => (Box::new(move || Err(Dm::TerminalConfig.text(LANG))), 1),
    };
    Box::new(WithTerminal::new(
        inner,
        TerminalWorker::start(open, LATE_LISTEN, pos),
    ))
}
