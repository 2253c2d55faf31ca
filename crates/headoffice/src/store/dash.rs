//! The back office's dashboard reads (Today, Sales, Closings, Terminals,
//! Alerts): every one a query on a projection, never a scan of `events`
//! (the closings page reads each closing's own event by its key, to check
//! its signature again).
//!
//! The projections they read: `sales_totals` (per store, day and key, by
//! [`till_core::totals`]), `terminal_hours` (per terminal, business day
//! and hour of the till's clock: records and net, filled at ingest from
//! [`crate::ingest::Deltas::hours`]), `closings`, `terminals` (sync state,
//! software version, last tail marker, revocation), `alerts` and
//! `alert_acks`. Both backends run the same SQL but for the exact decimal
//! sum (SQLite's `dec_sum`, PostgreSQL's `sum` of `NUMERIC`).

use super::{Alert, ClosingReceived, Result, SalesRow};
use rust_decimal::Decimal;
use serde::Serialize;
use till_journal::StoredEvent;

/// Which rows of `sales_totals` to read: one store or all, days in
/// [from, to] (inclusive, `YYYY-MM-DD`), one key or all.
#[derive(Debug, Clone, Copy, Default)]
pub struct TotalsQuery<'a> {
    pub store_id: Option<&'a str>,
    pub from: &'a str,
    pub to: &'a str,
    pub key: Option<&'a str>,
}

/// How [`DashStore::sums`] groups the amounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Per key: `store_id` and `day` come back empty.
    Key,
    /// Per store and key: `day` comes back empty.
    StoreKey,
    /// Per day and key: `store_id` comes back empty.
    DayKey,
}

/// One terminal's sales in one hour of a business day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HourRow {
    pub terminal_id: String,
    pub store_id: String,
    pub hour: u32,
    pub records: i64,
    pub net: Decimal,
}

/// A terminal as the Terminals and Today pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TerminalRow {
    pub terminal_id: String,
    pub store_id: String,
    pub last_seq: u64,
    /// RFC 3339, when it last pushed (None: never).
    pub last_seen: Option<String>,
    /// The till's time of its newest event.
    pub last_event_ts: Option<String>,
    pub software_version: Option<String>,
    /// When its token was revoked (None: it may push).
    pub revoked_at: Option<String>,
    /// The last tail marker it sent: seq, when, whether it verified.
    pub tail: Option<TailSeenRow>,
}

/// The last tail marker a terminal sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TailSeenRow {
    pub seq: u64,
    pub at: String,
    pub ok: bool,
}

/// A closing with its event and the terminal's pinned key, to verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosingEvent {
    pub closing: ClosingReceived,
    /// The closing's own stored event (None only in a damaged database).
    pub event: Option<StoredEvent>,
    /// The terminal's pinned public key (hex).
    pub public_key: Option<String>,
}

impl ClosingEvent {
    /// Whether the closing's stored event recomputes to its hash and its
    /// signature verifies with the terminal's pinned key: the check ingest
    /// made ([`crate::ingest::check_signatures`]), made again on what is held.
    pub fn verify(&self) -> std::result::Result<(), String> {
        let e = self
            .event
            .as_ref()
            .ok_or_else(|| format!("seq {}: the closing's event is missing", self.closing.seq))?;
        if e.recompute_hash() != Some(e.hash) {
            return Err(format!("seq {}: hash does not match the record", e.seq));
        }
        let key = self
            .public_key
            .as_deref()
            .ok_or_else(|| "no public key known for this terminal".to_string())?;
        match crate::ingest::check_signatures(Some(key), std::slice::from_ref(e)) {
            None => Ok(()),
            Some((_, detail)) => Err(detail),
        }
    }
}

/// An alert with its store and acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertRow {
    pub alert: Alert,
    /// The store of the alert's terminal (None: a terminal head office
    /// does not know, e.g. a refused unknown one).
    pub store_id: Option<String>,
    pub ack: Option<AlertAck>,
}

impl AlertRow {
    /// Acknowledged, and not raised again since.
    pub fn acknowledged(&self) -> bool {
        self.ack
            .as_ref()
            .is_some_and(|a| a.count >= self.alert.count)
    }
}

/// Who acknowledged an alert, when, at which count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertAck {
    pub at: String,
    pub by: String,
    pub count: u64,
}

/// The dashboard's reads and its two writes (acknowledge, revoke).
pub trait DashStore {
    /// Rows of `sales_totals`, ordered by store, day, key.
    fn day_rows(&self, q: &TotalsQuery<'_>) -> Result<Vec<SalesRow>>;
    /// Exact sums of `sales_totals` grouped by `group`, ordered by the group.
    fn sums(&self, q: &TotalsQuery<'_>, group: Group) -> Result<Vec<SalesRow>>;
    /// Each terminal's sales per hour of business day `day`.
    fn hours(&self, day: &str, store_id: Option<&str>) -> Result<Vec<HourRow>>;
    /// Every terminal (of one store), by store and id.
    fn dash_terminals(&self, store_id: Option<&str>) -> Result<Vec<TerminalRow>>;
    /// Terminals that signed the daily closing of `day`.
    fn closed_on(&self, day: &str, store_id: Option<&str>) -> Result<Vec<String>>;
    /// The newest `limit` closings (by period, then terminal and seq), with
    /// their events and keys.
    fn closing_events(&self, store_id: Option<&str>, limit: usize) -> Result<Vec<ClosingEvent>>;
    /// Each terminal's newest closing: its perpetual grand totals.
    fn grand_totals(&self, store_id: Option<&str>) -> Result<Vec<ClosingReceived>>;
    /// The newest `limit` alerts (of one store's terminals), newest first.
    fn dash_alerts(&self, store_id: Option<&str>, limit: usize) -> Result<Vec<AlertRow>>;
    /// One alert.
    fn dash_alert(&self, id: i64) -> Result<Option<AlertRow>>;
    /// Acknowledges alert `id` at its current count; false if there is none.
    fn ack_alert(&self, id: i64, by: &str, at: &str) -> Result<bool>;
    /// Revokes a terminal's token (its pushes are refused from now on; a new
    /// registration issues a new one); false if there is no such terminal.
    fn revoke_terminal(&self, terminal_id: &str, at: &str) -> Result<bool>;
}

/// A token hash nobody holds: what a revoked terminal's row keeps (the
/// column is unique and not null).
pub(crate) fn unusable_token() -> Result<[u8; 32]> {
    let mut b = [0u8; 32];
    getrandom::getrandom(&mut b).map_err(|e| super::StoreError::Db(format!("randomness: {e}")))?;
    Ok(b)
}

pub(crate) fn u32_of(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(0)
}
