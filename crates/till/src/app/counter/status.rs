//! The status line, and the reports the peripherals send back.

use super::ops::Op;
use super::{Counter, Screen};
use crate::app::devices::Report;
use crate::app::keys::Key;
use comptoir_i18n::till::Till;
use std::time::Instant;

/// A drawer open longer than this is flagged on the status line, unless
/// the rules' `drawer_left_open_seconds` say otherwise.
pub const DRAWER_LEFT_OPEN_S: u64 = 60;

/// A head office out of reach this long (seconds) shows "HORS LIGNE".
pub const OFFLINE_AFTER_S: i64 = 300;

/// The status line.
#[derive(Debug, Clone, Default)]
pub struct Status {
    /// A counter scale weighs weighed items.
    pub scale: bool,
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
    /// Whether a head office is configured: the sync daemon writes its
    /// status file beside the journal. A shop without one (or the demo) is
    /// never "offline": there is nothing to be out of reach of.
    pub fn has_head_office(&self) -> bool {
        self.sync_failures.is_some()
    }

    /// Offline: a head office is configured and has been out of reach for
    /// [`OFFLINE_AFTER_S`]: the daemon's passes fail, or events wait, and
    /// its last success is older than that (or it never had one). The
    /// daemon pushes every few seconds when the link is up, so a failed
    /// pass or two is a blip, not "offline".
    pub fn offline(&self, _now: Instant) -> bool {
        let Some(failures) = self.sync_failures else {
            return false;
        };
        (failures > 0 || self.waiting() > 0) && self.sync_age_s.is_none_or(|a| a > OFFLINE_AFTER_S)
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
                self.error(self.trf(Till::NotPrinted, &[("sale", &what), ("why", &why)]));
                if !self.status.unprinted.contains(&what) {
                    self.status.unprinted.push(what);
                }
            }
            Report::DrawerFailed(why) => {
                self.error(self.trf(Till::DrawerFailed, &[("why", &why)]));
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
            Report::Weighed { code, result } => self.weighed(code, result),
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
            self.error(self.trf(Till::ScanLoginFirst, &[("code", &code)]));
        } else {
            // Payment, menus, dialogs: a code is not an amount or a PIN.
            self.error(self.trf(Till::ScanBackToSale, &[("code", &code)]));
        }
    }
}
