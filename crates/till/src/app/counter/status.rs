//! The status line, and the reports the peripherals send back.

use super::ops::Op;
use super::{Counter, Screen};
use crate::app::devices::Report;
use crate::app::keys::Key;
use std::time::Instant;

/// A drawer open longer than this is flagged on the status line, unless
/// the rules' `drawer_left_open_seconds` say otherwise.
pub const DRAWER_LEFT_OPEN_S: u64 = 60;

/// The status line.
#[derive(Debug, Clone, Default)]
pub struct Status {
    /// Printer state in plain words.
    pub printer: String,
    /// Whether it can print now.
    pub printer_ready: bool,
    /// Drawer sensor, if known.
    pub drawer_open: Option<bool>,
    /// Since when the drawer has been open (for the left-open warning).
    pub drawer_open_since: Option<Instant>,
    /// Scanner state in plain words.
    pub scanner: String,
    /// Journal head seq.
    pub head: u64,
    /// What head office acknowledged.
    pub acked: u64,
    /// When the acknowledged cursor last moved (this run).
    pub acked_moved: Option<Instant>,
    /// Receipts that did not print (receipt numbers), to print later.
    pub unprinted: Vec<String>,
    /// Those of `unprinted` that may have partly reached paper: printed again
    /// as DUPLICATA. The others were never printed: their original is due.
    pub partly_printed: Vec<String>,
    /// Seconds since the sync daemon's last successful pass (None: never,
    /// or no daemon status file).
    pub sync_age_s: Option<i64>,
    /// Failed sync passes since the last success (from the daemon's file).
    pub sync_failures: Option<u32>,
    /// Seconds before an open drawer is flagged (the rules'
    /// `drawer_left_open_seconds`; 0: [`DRAWER_LEFT_OPEN_S`]).
    pub drawer_limit_s: u64,
}

impl Status {
    /// Seconds the drawer has been open, once beyond the rules' limit.
    pub fn drawer_left_open(&self, now: Instant) -> Option<u64> {
        let open = now.duration_since(self.drawer_open_since?).as_secs();
        let limit = match self.drawer_limit_s {
            0 => DRAWER_LEFT_OPEN_S,
            s => s,
        };
        (open >= limit).then_some(open)
    }

    /// Events not yet acknowledged by head office.
    pub fn waiting(&self) -> u64 {
        self.head.saturating_sub(self.acked)
    }
    /// Offline: events wait and the cursor has not moved for five minutes
    /// (the sync daemon pushes every few seconds when the link is up).
    pub fn offline(&self, now: Instant) -> bool {
        if let Some(f) = self.sync_failures {
            // The daemon says how its last passes went: trust it.
            return f > 0 || (self.waiting() > 0 && self.sync_age_s.is_none_or(|a| a > 300));
        }
        self.waiting() > 0
            && self
                .acked_moved
                .is_none_or(|t| now.duration_since(t).as_secs() > 300)
    }
}

impl Counter {
    /// A report from the peripherals.
    pub(crate) fn device(&mut self, r: Report) {
        match r {
            Report::Printed { what } => {
                self.status.unprinted.retain(|w| *w != what);
                self.status.partly_printed.retain(|w| *w != what);
            }
            Report::NotPrinted { what, why, partly } => {
                if partly && !self.status.partly_printed.contains(&what) {
                    self.status.partly_printed.push(what.clone());
                }
                self.error(format!(
                    "Ticket {what} non imprimé ({why}). La vente est enregistrée ; \
                     réimpression : F9 puis 4."
                ));
                if !self.status.unprinted.contains(&what) {
                    self.status.unprinted.push(what);
                }
            }
            Report::DrawerFailed(why) => {
                self.error(format!("Tiroir non ouvert : {why}"));
            }
            Report::Status {
                printer,
                ready,
                drawer_open,
            } => {
                self.status.printer = printer;
                self.status.printer_ready = ready;
                self.status.drawer_open = drawer_open;
                match drawer_open {
                    Some(true) => {
                        let now = self.mono();
                        self.status.drawer_open_since.get_or_insert(now);
                    }
                    _ => self.status.drawer_open_since = None,
                }
            }
            Report::Scanned(code) => self.scanned(&code),
            Report::Scanner(s) => self.status.scanner = s,
            Report::Payment { attempt, outcome } => self.on_payment(attempt, outcome),
            Report::LateAnswer { attempt, answer } => self.on_late(attempt, answer),
        }
    }

    /// A code from the scanner: on the sale screen it is added at once;
    /// elsewhere it is typed into the input, so nothing scanned is lost.
    pub(crate) fn scanned(&mut self, code: &str) {
        let selling = matches!(self.screen, Screen::Sale | Screen::Done { .. })
            && self.user.is_some()
            && self.approval.is_none();
        if selling {
            self.screen = Screen::Sale;
            let qty = self.pending_qty.take();
            self.exec(Op::AddCode {
                code: code.to_string(),
                qty,
            });
        } else if matches!(self.screen, Screen::RefundNoReceipt { .. }) {
            self.input = code.to_string();
            self.key(Key::Enter);
        } else if matches!(self.screen, Screen::ReceiptNo { .. }) {
            // A receipt's barcode or QR scanned as its number.
            self.input = code.split('|').next().unwrap_or(code).to_string();
        } else if self.user.is_none() {
            self.error(format!(
                "Article {code} non ajouté : identifiez-vous d'abord"
            ));
        } else {
            // Payment, menus, dialogs: a code is not an amount or a PIN.
            self.error(format!(
                "Article {code} non ajouté : revenez à l'écran de vente (Échap) et scannez-le à nouveau"
            ));
        }
    }
}
