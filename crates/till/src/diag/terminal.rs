//! `till diag terminal ping|pay AMOUNT|refund AMOUNT`: the card payment
//! terminal, without the till running.
//!
//! A real payment or refund is made on the terminal: the technician uses a
//! test card or a small amount. Exit codes as the other diag commands: 0
//! approved (or the terminal answered the ping), 1 declined, no answer or
//! unreachable, 2 the command itself failed (bad amount, no config).

use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use rust_decimal::Decimal;
use serde_json::json;
use till_devices::config::{TerminalConfig, TerminalSettings};
use till_devices::payment::{
    mask_pan, PaymentError, PaymentKind, PaymentRequest, PaymentTerminal, TerminalProtocol,
};

use super::common::{print_json, resolve_config};

/// `till diag terminal ...`
#[derive(Subcommand)]
pub enum TerminalCmd {
    /// Check the terminal answers (Concert: ENQ/ACK; Caisse-AP: connects).
    Ping(TerminalTarget),
    /// Debit AMOUNT (e.g. 12.34) on the terminal: a real payment.
    Pay {
        /// Amount in euros, whole cents (12.34 or 12,34).
        amount: String,
        #[command(flatten)]
        target: TerminalTarget,
    },
    /// Refund AMOUNT to a card on the terminal.
    Refund {
        /// Amount in euros, whole cents.
        amount: String,
        #[command(flatten)]
        target: TerminalTarget,
    },
}

/// Which terminal: the config's `[devices.terminal]`, or one given here.
#[derive(Args, Clone, Debug)]
pub struct TerminalTarget {
    /// Config file (default: $TILL_CONFIG, then /etc/comptoir/till.toml,
    /// then ./config/till.toml).
    #[arg(long)]
    pub config: Option<String>,
    /// "concert" (serial) or "caisse-ap" (TCP); default: the config's, else
    /// guessed from --path (concert) or --address (caisse-ap).
    #[arg(long)]
    pub protocol: Option<String>,
    /// Serial port (Concert) instead of the config's.
    #[arg(long)]
    pub path: Option<String>,
    /// host:port (Caisse-AP) instead of the config's.
    #[arg(long, conflicts_with = "path")]
    pub address: Option<String>,
    /// With --path: baud rate.
    #[arg(long)]
    pub baud: Option<u32>,
    /// How long to wait for the card, ms (default 60000: a technician at
    /// the terminal; the config's answer_timeout_ms is for customers).
    #[arg(long)]
    pub timeout_ms: Option<u64>,
    /// After no answer, keep listening this long (ms) for a late one.
    #[arg(long, default_value_t = 0)]
    pub listen_ms: u64,
    /// The till's number as the terminal knows it (default: the config's, else 1).
    #[arg(long)]
    pub pos_number: Option<u8>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

impl TerminalTarget {
    /// The settings: the config's section with the command line on top.
    fn settings(&self) -> anyhow::Result<TerminalSettings> {
        let overridden = self.path.is_some() || self.address.is_some();
        let from_file = match resolve_config(self.config.as_deref()) {
            Ok(p) => TerminalConfig::load(&p).with_context(|| format!("reading {p}"))?,
            Err(_) if overridden => None,
            Err(e) => return Err(e.context("or give the terminal with --path / --address")),
        };
        let mut c = match (from_file, overridden) {
            (Some(c), _) => c,
            (None, true) => toml::from_str::<TerminalConfig>("protocol = \"concert\"")
                .context("building a terminal config")?,
            (None, false) => anyhow::bail!(
                "no [devices.terminal] in the config file and no --path/--address given \
                 (see config/till.toml for an example)"
            ),
        };
        if let Some(p) = &self.path {
            c.path = Some(p.clone());
            c.address = None;
            c.protocol = TerminalProtocol::Concert.name().into();
        }
        if let Some(a) = &self.address {
            c.address = Some(a.clone());
            c.path = None;
            c.baud = None;
            c.data_format = None;
            c.protocol = TerminalProtocol::CaisseAp.name().into();
        }
        if let Some(p) = &self.protocol {
            c.protocol = p.clone();
        }
        if self.baud.is_some() {
            c.baud = self.baud;
        }
        let mut s = c.settings()?;
        // A technician stands at the terminal with a test card: a minute is
        // plenty, and two (a shop's default) is a long wait for a mistake.
        // The config's lower bound is for shops, not for this: a short wait
        // (a test with no card) is allowed.
        s.answer_timeout = Duration::from_millis(self.timeout_ms.unwrap_or(DIAG_TIMEOUT_MS));
        s.step_timeout = s.step_timeout.min(s.answer_timeout);
        if let Some(n) = self.pos_number {
            s.pos_number = n;
        }
        Ok(s)
    }
}

/// How long `till diag terminal pay|refund` waits for the card by default.
pub const DIAG_TIMEOUT_MS: u64 = 60_000;

/// Run one `till diag terminal` command.
pub fn run(cmd: TerminalCmd) -> anyhow::Result<i32> {
    match cmd {
        TerminalCmd::Ping(t) => ping(&t),
        TerminalCmd::Pay { amount, target } => pay(&target, &amount, PaymentKind::Debit),
        TerminalCmd::Refund { amount, target } => pay(&target, &amount, PaymentKind::Refund),
    }
}

fn describe(s: &TerminalSettings) -> String {
    match &s.link {
        till_devices::config::TerminalLink::Serial { path, .. } => path.clone(),
        till_devices::config::TerminalLink::Tcp { address } => address.clone(),
    }
}

/// What to try next after `e`.
fn advice(e: &PaymentError, target: &str) -> String {
    match e {
        PaymentError::Timeout { step, .. } if step.contains("ENQ") || step.contains("ack") => format!(
            "the terminal at {target} does not acknowledge: check it is on its cash-register (caisse) connection mode, the cable, and the baud rate / data format (8N1 or 7E1)"
        ),
        PaymentError::Timeout { .. } => format!(
            "no answer from {target} in time: a card may still be in progress; check the terminal's screen and ticket before trying again (never charge twice)"
        ),
        PaymentError::Rejected { .. } => "the terminal refuses our frames: the data format (7E1 vs 8N1) or baud rate does not match its settings".into(),
        PaymentError::Garbled { .. } => "unreadable answer: check the link settings (data format, baud) or the terminal's protocol version".into(),
        PaymentError::InvalidRequest(_) => "fix the amount or the pos number".into(),
        PaymentError::Device(_) => format!(
            "cannot reach {target}: check the cable or network, the address/port, and that no running till holds the port"
        ),
    }
}

fn open(s: &TerminalSettings) -> Result<Box<dyn PaymentTerminal>, String> {
    s.open().map_err(|e| e.to_string())
}

fn ping(t: &TerminalTarget) -> anyhow::Result<i32> {
    let s = t.settings()?;
    let target = describe(&s);
    let res: Result<(), String> = match open(&s) {
        Ok(mut term) => term
            .ping()
            .map_err(|e| format!("{e}; next: {}", advice(&e, &target))),
        Err(e) => Err(e),
    };
    let ok = res.is_ok();
    if t.json {
        print_json(&json!({
            "device": "terminal", "protocol": s.protocol.name(), "target": target,
            "ok": ok, "error": res.err(),
        }));
    } else {
        match res {
            Ok(()) => println!("terminal {target} ({}): answers", s.protocol),
            Err(e) => println!("terminal {target} ({}): FAIL: {e}", s.protocol),
        }
    }
    Ok(if ok { 0 } else { 1 })
}

fn pay(t: &TerminalTarget, amount: &str, kind: PaymentKind) -> anyhow::Result<i32> {
    let amount: Decimal = amount
        .trim()
        .replace(',', ".")
        .parse()
        .with_context(|| format!("{amount:?} is not an amount (e.g. 12.34)"))?;
    let cents = crate_cents(amount)?;
    let s = t.settings()?;
    let target = describe(&s);
    let request = PaymentRequest {
        amount_cents: cents,
        kind,
        currency: 978,
        pos_number: s.pos_number,
        // Milliseconds: two diagnostic payments in the same second got the
        // same reference (DIAG/070236 twice), so an answer to one could pass
        // for the other's. Concert keeps the last 10 characters, which still
        // hold the whole time.
        reference: format!("DIAG/{}", chrono::Local::now().format("%H%M%S%3f")),
    };
    let mut term = match open(&s) {
        Ok(t) => t,
        Err(e) => {
            return Ok(report_failure(
                t,
                &s,
                &target,
                "unreachable",
                &e,
                None,
                None,
            ))
        }
    };
    let countdown = Countdown::start(s.answer_timeout);
    let paid = term.pay(&request);
    countdown.stop();
    match paid {
        Ok(a) => {
            let outcome = if a.approved { "approved" } else { "declined" };
            let pan = a.masked_pan.as_deref().map(mask_pan);
            if t.json {
                print_json(&json!({
                    "device": "terminal", "protocol": s.protocol.name(), "target": target,
                    "ok": a.approved, "outcome": outcome,
                    "kind": if kind == PaymentKind::Refund { "refund" } else { "debit" },
                    "amount": amount.to_string(), "amount_cents": a.amount_cents,
                    "masked_pan": pan, "auth_code": a.auth_code, "scheme": a.scheme,
                    "read_mode": a.read_mode, "reason": a.reason, "reference": request.reference,
                    "terminal_reference": a.terminal_reference,
                }));
            } else {
                println!(
                    "terminal {target} ({}): {} {} cents",
                    s.protocol,
                    outcome.to_uppercase(),
                    a.amount_cents
                );
                for (k, v) in [
                    ("card", pan),
                    ("authorisation", a.auth_code),
                    ("scheme", a.scheme),
                    ("read mode", a.read_mode),
                    ("reason", a.reason),
                    ("reference", Some(request.reference.clone())),
                    (
                        "terminal's reference (not the till's; matched by amount)",
                        a.terminal_reference.map(|r| format!("{r:?}")),
                    ),
                ] {
                    if let Some(v) = v {
                        println!("  {k}: {v}");
                    }
                }
            }
            Ok(if a.approved { 0 } else { 1 })
        }
        Err(e) => {
            let outcome = match &e {
                PaymentError::Timeout { .. } => "no_answer",
                PaymentError::Garbled { .. } | PaymentError::Rejected { .. } => "garbled",
                PaymentError::InvalidRequest(_) => "invalid",
                PaymentError::Device(_) => "unreachable",
            };
            let late = if t.listen_ms > 0 {
                term.late_answer(Duration::from_millis(t.listen_ms))
                    .ok()
                    .flatten()
            } else {
                None
            };
            let next = advice(&e, &target);
            Ok(report_failure(
                t,
                &s,
                &target,
                outcome,
                &format!("{e}\nnext: {next}"),
                late,
                Some(&request.reference),
            ))
        }
    }
}

/// The same check as the till's (whole cents, positive), in the
/// technician's language.
fn crate_cents(amount: Decimal) -> anyhow::Result<u64> {
    till::app::payment::to_cents(amount, &till_core::Currency::eur())
        .map_err(|_| anyhow::anyhow!("{amount}: give a positive amount in whole cents, e.g. 12.34"))
}

fn report_failure(
    t: &TerminalTarget,
    s: &TerminalSettings,
    target: &str,
    outcome: &str,
    error: &str,
    late: Option<till_devices::payment::PaymentAnswer>,
    reference: Option<&str>,
) -> i32 {
    let (error, next) = error.split_once("\nnext: ").unwrap_or((error, ""));
    if t.json {
        print_json(&json!({
            "device": "terminal", "protocol": s.protocol.name(), "target": target,
            "ok": false, "outcome": outcome, "error": error, "next": next,
            "reference": reference,
            "late_answer": late.as_ref().map(|a| json!({
                "approved": a.approved, "amount_cents": a.amount_cents,
                "masked_pan": a.masked_pan.as_deref().map(mask_pan),
                "auth_code": a.auth_code, "terminal_reference": a.terminal_reference,
            })),
        }));
    } else {
        println!(
            "terminal {target} ({}): FAIL ({outcome}): {error}",
            s.protocol
        );
        if !next.is_empty() {
            println!("next: {next}");
        }
        if let Some(a) = late {
            println!(
                "LATE ANSWER: {} {} cents: the customer {} charged",
                if a.approved { "APPROVED" } else { "declined" },
                a.amount_cents,
                if a.approved { "WAS" } else { "was not" }
            );
        }
    }
    1
}

/// "waiting for the card: N s left" on stderr while a payment runs, so a
/// technician knows the till is waiting and how long. Every second on a
/// terminal (one line rewritten); every 10 s otherwise, so a log stays
/// short. Never on stdout: `--json` output stays one clean line.
struct Countdown {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Countdown {
    fn start(total: Duration) -> Countdown {
        use std::io::{IsTerminal, Write};
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let tty = std::io::stderr().is_terminal();
        let every = Duration::from_secs(if tty { 1 } else { 10 });
        let end = std::time::Instant::now() + total;
        let thread = std::thread::spawn(move || {
            let mut err = std::io::stderr();
            loop {
                let left = end.saturating_duration_since(std::time::Instant::now());
                // Rounded up: "0 s left" only once it is over.
                let secs = left.as_millis().div_ceil(1000);
                let line =
                    format!("waiting for the card on the terminal: {secs} s left (Ctrl-C to stop)");
                // Nothing to do if stderr is gone: the payment goes on.
                let _ = if tty {
                    write!(err, "\r{line}\x1b[K")
                } else {
                    writeln!(err, "{line}")
                };
                let _ = err.flush();
                match rx.recv_timeout(every.min(left.max(Duration::from_millis(1)))) {
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) if !left.is_zero() => {}
                    _ => break,
                }
            }
            if tty {
                let _ = write!(err, "\r\x1b[K");
                let _ = err.flush();
            }
        });
        Countdown {
            stop: Some(tx),
            thread: Some(thread),
        }
    }

    fn stop(mut self) {
        self.stop = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// For `till diag all`: pings the config's terminal, if it has one.
/// (target, ok, detail, what to try next)
pub fn check_configured(config: &str) -> Option<(String, bool, String, Option<String>)> {
    let section = match TerminalConfig::load(config) {
        Ok(s) => s?,
        Err(e) => return Some(("?".into(), false, e.to_string(), None)),
    };
    let s = match section.settings() {
        Ok(s) => s,
        Err(e) => {
            return Some((
                section.path.or(section.address).unwrap_or_default(),
                false,
                e.to_string(),
                Some("fix [devices.terminal] as the message says".into()),
            ))
        }
    };
    let target = describe(&s);
    let res = s
        .open()
        .map_err(|e| (e.to_string(), None))
        .and_then(|mut t| {
            t.ping()
                .map_err(|e| (e.to_string(), Some(advice(&e, &target))))
        });
    Some(match res {
        Ok(()) => (
            target,
            true,
            format!("{} terminal answers", s.protocol),
            None,
        ),
        Err((detail, next)) => (target, false, detail, next),
    })
}
