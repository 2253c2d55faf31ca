//! What goes into the counter and what comes out of it.
//!
//! The counter decides; the shell ([`crate::app::App`]) does. Every effect
//! that can fail or that produces something the counter needs (a journal
//! append and its seq, a PIN check, a receipt look-up) comes back as an
//! [`Input`] carrying the [`Then`] the counter attached to it, so the
//! counter picks up where it left off.

use super::CountRow;
use crate::app::devices::{Job, Report};
use crate::app::payment::PayAttempt;
use crate::app::store::FoundSale;
use chrono::{DateTime, FixedOffset, NaiveDate};
use std::collections::BTreeMap;
use std::time::Instant;
use till_core::auth::User;
use till_core::records::{ApprovalRecord, CashDirection, Event, SaleRecord, TerminalPayment};
use till_core::Money;

/// The time, passed in: the wall clock for records and receipts, the
/// monotonic one for "open for how long".
#[derive(Debug, Clone, Copy)]
pub struct Now {
    /// Local time with its offset.
    pub wall: DateTime<FixedOffset>,
    /// For durations on the status line and the terminal's late window.
    pub mono: Instant,
}

/// Something that happened.
#[derive(Debug)]
pub enum Input {
    /// The app starts: an attempt that was under way on the payment
    /// terminal when the till stopped (from `terminal-pending.json`).
    Start {
        /// The pending file, if there was one.
        pending: Option<crate::app::payment::PendingFile>,
    },
    /// A key press.
    Key(crate::app::keys::Key),
    /// The cashier leaves the counter (the app closes): log out.
    Logout,
    /// Something the terminal loop must tell the cashier.
    Warn(String),
    /// A report from the peripherals (scans, prints, payments).
    Device(Report),
    /// An [`Effect::Append`] is durable.
    Journaled {
        /// Its seq.
        seq: u64,
        /// Its hash (its first bytes are printed on the receipt).
        hash: [u8; 32],
        /// The time it was recorded with.
        ts: DateTime<FixedOffset>,
        /// The receipt counter after it (or why it does not read).
        next_sale_no: Result<u64, String>,
        /// What to do now.
        then: Then,
    },
    /// An [`Effect::Append`] was refused: nothing was recorded.
    JournalFailed {
        /// The error alone.
        why: String,
        /// The error with its causes.
        full: String,
        /// What was being done.
        then: Then,
    },
    /// The answer to [`Effect::CheckPin`]: whose PIN it is (None: nobody's),
    /// and whether that user is locked out.
    PinChecked {
        /// The user (PIN hash upgraded when asked).
        user: Option<User>,
        /// Locked out (or the lock state could not be read).
        locked: bool,
        /// What the PIN was for.
        purpose: PinFor,
    },
    /// A user's record changed (PIN hash upgraded).
    UserUpdated(User),
    /// The answer to [`Effect::Lookup`].
    Found {
        /// The sale, or nothing with that number, or why it was not read.
        result: Result<Option<FoundSale>, String>,
    },
    /// The look-up thread went away without answering.
    LookupLost,
    /// The answer to [`Effect::XReport`].
    XReport {
        /// The business day.
        day: String,
        /// The report's text, or why not.
        result: Result<String, String>,
    },
    /// The answer to [`Effect::ReadTotals`]: the day's totals, or why not.
    Totals(Result<till_core::records::PeriodTotals, String>),
    /// The answer to [`Effect::CloseDay`].
    DayClosed {
        /// The day closed.
        day: NaiveDate,
        /// The cash count, as typed.
        rows: Vec<CountRow>,
        /// Whether the closing is recorded (else why, with causes).
        closed: Result<(), String>,
        /// The day's report.
        report: Result<String, String>,
        /// Months and years closed with it.
        auto: Vec<String>,
    },
    /// A save of the basket failed (the error, with causes).
    BasketNotSaved {
        /// Why.
        why: String,
        /// The counter said something more important since: leave it.
        quiet: bool,
    },
    /// [`Effect::Pay`] did not leave (the pending file could not be written).
    PayNotStarted {
        /// The attempt.
        attempt: u64,
        /// Why, for the cashier.
        why: String,
    },
    /// The answer to [`Effect::SaveParked`].
    ParkedSaved {
        /// A sale was being parked (rather than resumed).
        parking: bool,
        /// Written, or why not (with causes).
        result: Result<(), String>,
    },
    /// The journal's head (after every key, and once a second).
    Head(u64),
    /// What head office acknowledged (once a second).
    Acked(u64),
    /// The sync daemon's status file, as read.
    Sync {
        /// Failed passes since the last success (None: no file).
        failures: Option<u32>,
        /// Seconds since the last success.
        age_s: Option<i64>,
    },
    /// New rules are in force (head office's new ruleset, journaled by
    /// the shell): applied between sales, never to a basket in progress.
    RulesChanged {
        /// The sale rules' settings (tenders included).
        basket: Box<till_core::BasketConfig>,
        /// The counter's own part (drawer, anomaly window, source).
        rules: crate::app::rules::CounterRules,
    },
}

/// What a PIN is checked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinFor {
    /// Logging in.
    Login,
    /// A supervisor approving the operation in the dialog.
    Approval,
}

/// Something for the shell to do.
#[derive(Debug)]
pub enum Effect {
    /// Append to the journal (clearing the saved basket in the same
    /// transaction if asked); answered with [`Input::Journaled`] or
    /// [`Input::JournalFailed`].
    Append {
        /// The record's time.
        ts: DateTime<FixedOffset>,
        /// The record.
        event: Event,
        /// Clear the saved basket with it (a completed sale).
        clear_basket: bool,
        /// Handed back with the answer.
        then: Then,
    },
    /// A job for the printer, drawer or scanner.
    Device(Job),
    /// Start a payment on the terminal: write the pending file (synced)
    /// first, and only then send the job; answered by the device, or with
    /// [`Input::PayNotStarted`].
    Pay {
        /// The attempt (written to `terminal-pending.json`).
        attempt: PayAttempt,
        /// The [`Job::Pay`].
        job: Job,
    },
    /// The terminal is done with the pending attempt: remove the file.
    ClearPending,
    /// The basket changed: save it (the loop may defer it until after the
    /// screen is drawn).
    SaveBasket,
    /// Save the basket now, whatever the loop defers (money came in).
    SaveBasketNow {
        /// Remove the pending file once saved.
        clear_pending: bool,
        /// Do not tell the cashier about a failure (a later message
        /// matters more).
        quiet: bool,
    },
    /// Write the parked baskets' file; answered with [`Input::ParkedSaved`].
    SaveParked {
        /// The baskets, oldest first.
        list: Vec<crate::app::store::Parked>,
        /// A sale is being parked (rather than resumed).
        parking: bool,
    },
    /// Whose PIN is it among `candidates`? Answered with [`Input::PinChecked`].
    CheckPin {
        /// As typed.
        pin: String,
        /// The users it may belong to.
        candidates: Vec<User>,
        /// Login (the PIN hash is upgraded to the pepper) or approval.
        purpose: PinFor,
    },
    /// Look a receipt up (on a thread); answered with [`Input::Found`].
    Lookup {
        /// The receipt number.
        sale_no: String,
    },
    /// The cashier gave up waiting for the look-up.
    DropLookup,
    /// The X report of `day`; answered with [`Input::XReport`].
    XReport {
        /// The business day.
        day: String,
    },
    /// Expected amounts of `day`; answered with [`Input::Totals`].
    ReadTotals {
        /// The business day.
        day: String,
    },
    /// Sign the Z of `day` (and any month or year due); answered with
    /// [`Input::DayClosed`].
    CloseDay {
        /// The closing's time.
        ts: DateTime<FixedOffset>,
        /// The day.
        day: NaiveDate,
        /// Who closes it.
        operator: String,
        /// The cash count per tender.
        counted: BTreeMap<String, Money>,
        /// The count as shown, handed back.
        rows: Vec<CountRow>,
    },
    /// Read the journal head, the acknowledged cursor and the sync status,
    /// and ask the printer how it is.
    RefreshStatus,
}

/// What the counter does once an [`Effect::Append`] is answered.
#[derive(Debug, Clone)]
pub enum Then {
    /// Nothing; a failure is shown as "Journal indisponible".
    Nothing,
    /// Nothing, and a failure is not shown (a later message says more).
    Silent,
    /// A supervisor approved: run the operation again.
    Approved {
        /// The operation.
        op: super::ops::Op,
        /// The approval, for the basket or the operation's record.
        rec: ApprovalRecord,
    },
    /// The user logged in.
    LoggedIn(User),
    /// The counter stopped taking PINs for `secs`.
    Lockout {
        /// How long.
        secs: i64,
        /// The wrong PIN was typed in the approval dialog.
        in_dialog: bool,
    },
    /// The drawer was opened without a sale.
    NoSale,
    /// Cash in or out.
    CashMove {
        /// Which way.
        direction: CashDirection,
        /// How much.
        amount: Money,
    },
    /// A sale is recorded.
    Sale(Box<SaleRecord>),
    /// A refund or cancellation is recorded.
    Reversal {
        /// The record.
        record: Box<SaleRecord>,
        /// Cancellation rather than refund.
        cancelled: bool,
        /// Where the cashier was when it was committed.
        from: ReversalFrom,
    },
    /// An abandoned basket is recorded.
    Abandoned(Box<till_core::records::BasketAbandoned>),
    /// A reprint is recorded: print it.
    Reprint {
        /// The sale.
        found: Box<FoundSale>,
        /// DUPLICATA number.
        count: u32,
    },
    /// Money the terminal moved that no sale takes is recorded (or not).
    Unattached {
        /// The attempt.
        attempt: Box<PayAttempt>,
        /// The record.
        tp: Box<TerminalPayment>,
        /// How much.
        amount: Money,
    },
}

/// Where a refund or cancellation was committed from (what a failure shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReversalFrom {
    /// The refund screen (no card to pay back).
    Op,
    /// The terminal's answer to the last card refund.
    Terminal,
    /// The card refund screen's keys.
    CardRefundKey,
}
