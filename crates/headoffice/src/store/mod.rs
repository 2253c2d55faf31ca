//! Storage behind a trait: the HTTP layer and the admin commands see only
//! [`Store`]; SQLite ([`sqlite`]) is the embedded default, PostgreSQL
//! ([`postgres`]) the scale-out backend. Methods are blocking: the server calls
//! them from `spawn_blocking`.
//!
//! Every ingest is one transaction: the events, every projection they change
//! and the terminal's sync state commit together or not at all, so a crash at
//! any instant leaves head office either before or after the batch.

pub mod archive;
pub mod auth;
pub mod catalog_edit;
pub mod customers;
pub mod dash;
pub mod postgres;
pub mod rules;
pub mod schema;
pub mod sqlite;
pub mod stockops;
pub mod tokens;

pub use tokens::ReadToken;

use crate::access::Role;
use crate::ingest::{Deltas, LowStockRow, Shared};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use sync_proto::CatalogDelta;
use till_core::Item;
use till_journal::StoredEvent;

/// Storage failed (I/O, SQL, corrupt row).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(String),
    #[error("corrupt data in {what}: {detail}")]
    Corrupt { what: &'static str, detail: String },
    #[error("{0}")]
    Invalid(String),
    /// The database aborted the transaction (a deadlock, a serialisation
    /// failure): trying it again may succeed.
    #[error("transaction aborted by the database, to retry: {0}")]
    Conflict(String),
    #[error(
        "the database's schema is version {found}, newer than this head office ({supported}): \
         upgrade headoffice before opening it"
    )]
    NewerSchema { found: i64, supported: i64 },
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Db(e.to_string())
    }
}

impl From<::postgres::Error> for StoreError {
    fn from(e: ::postgres::Error) -> Self {
        use ::postgres::error::SqlState;
        let retry = e.code().is_some_and(|c| {
            *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
        });
        if retry {
            StoreError::Conflict(e.to_string())
        } else {
            StoreError::Db(e.to_string())
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An authenticated terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalAuth {
    pub terminal_id: String,
    pub store_id: String,
}

/// The result of an ingest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestOutcome {
    /// Stored (or already held): the terminal's highest contiguous seq.
    Acked {
        acked_seq: u64,
        stored: u64,
        duplicates: u64,
    },
    /// Refused: the batch starts after `expected`.
    Gap { expected: u64 },
    /// Refused: prev_hash does not continue the stored chain, or a stored seq
    /// differs. An alert row was written.
    Broken { seq: u64, detail: String },
    /// Refused: a hash does not recompute. An alert row was written.
    HashMismatch { seq: u64, detail: String },
    /// Refused: a closing's signature does not verify. An alert row was written.
    BadSignature { seq: u64, detail: String },
    /// Refused for what an event says (a key change, another terminal's
    /// identity, an amount out of range, a payload that does not decode).
    /// An alert row was written.
    Refused(crate::ingest::Refusal),
}

/// A terminal's sync state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TerminalState {
    pub terminal_id: String,
    pub store_id: String,
    pub last_seq: u64,
    /// RFC 3339, when it last pushed (None: never).
    pub last_seen: Option<String>,
    /// ts of its newest stored event (the till's clock).
    pub last_event_ts: Option<String>,
    pub events: u64,
    pub alerts: u64,
    /// Seconds between the newest event's till time and now: how far behind
    /// head office is for this till (None: nothing received yet).
    pub lag_seconds: Option<i64>,
}

/// Lag of a terminal whose newest event is dated `last_event_ts`.
pub(crate) fn lag_seconds(last_event_ts: Option<&str>) -> Option<i64> {
    let ts = chrono::DateTime::parse_from_rfc3339(last_event_ts?).ok()?;
    Some((chrono::Utc::now() - ts.with_timezone(&chrono::Utc)).num_seconds())
}

/// One row of the sales report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SalesRow {
    pub store_id: String,
    pub day: String,
    /// As the till's `day_totals` keys (see [`crate::ingest::Deltas::totals`]).
    pub key: String,
    pub amount: Decimal,
}

/// Which sales totals to read: all of them, or one store's, between two
/// days (inclusive, `YYYY-MM-DD`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SalesFilter<'a> {
    pub store_id: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
}

/// One row of the stock report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StockLevel {
    pub store_id: String,
    pub item_id: String,
    pub level: Decimal,
}

/// A closing received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClosingReceived {
    pub terminal_id: String,
    pub store_id: String,
    pub seq: u64,
    pub kind: String,
    pub period: String,
    pub first_seq: u64,
    pub last_seq: u64,
    pub net_total: Decimal,
    pub grand_total: Decimal,
    pub grand_total_abs: Decimal,
}

/// An alert raised on ingest: chain broken, hash mismatch, bad signature,
/// bad tail marker, or `low_stock:<item>` (detail names the store and level).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub id: i64,
    pub at: String,
    pub terminal_id: String,
    pub code: String,
    pub seq: u64,
    pub detail: String,
    /// How many times the same refusal was seen.
    pub count: u64,
    /// When the condition ended (a low stock level back above its threshold);
    /// None while it holds.
    pub cleared_at: Option<String>,
}

/// One stored event with its feed position (ERP feed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEvent {
    pub cursor: i64,
    pub store_id: String,
    pub event: StoredEvent,
}

/// A catalog row to load (the catalog file's format is shared with the
/// till's `till catalog import`).
pub use till_catalog::file::CatalogRow;

/// Everything head office stores.
pub trait Store:
    archive::ArchiveStore
    + auth::AuthStore
    + dash::DashStore
    + rules::RulesStore
    + stockops::StockOpsStore
    + catalog_edit::CatalogEditStore
    + customers::CustomersStore
    + Send
    + Sync
    + 'static
{
    /// Creates or upgrades the schema (idempotent).
    fn migrate(&self) -> Result<()>;

    /// A trivial query: the database answers.
    fn ping(&self) -> Result<()>;

    /// Registers (or re-keys) a terminal of a store; keeps only the token's SHA-256.
    fn register_terminal(
        &self,
        store_id: &str,
        terminal_id: &str,
        token_sha256: &[u8; 32],
    ) -> Result<()>;

    /// The terminal a token's SHA-256 belongs to.
    fn authenticate(&self, token_sha256: &[u8; 32]) -> Result<Option<TerminalAuth>>;

    /// Issues a read token (only its SHA-256 is kept) under a unique label.
    fn add_read_token(&self, label: &str, role: Role, token_sha256: &[u8; 32]) -> Result<()>;
    /// The role of a read token's SHA-256.
    fn read_token_role(&self, token_sha256: &[u8; 32]) -> Result<Option<Role>>;
    fn read_tokens(&self) -> Result<Vec<ReadToken>>;
    /// Revokes the read token of `label`; false when there was none.
    fn revoke_read_token(&self, label: &str) -> Result<bool>;

    /// Begins the transaction of one batch of `terminal`'s events, under
    /// the backend's lock: SQLite's single writer (`BEGIN IMMEDIATE`),
    /// PostgreSQL's row lock on the terminal ([`IngestTx::head`] reads it
    /// `FOR UPDATE`). Dropped without [`IngestTx::commit`], it rolls back.
    fn begin_ingest(&self, terminal: &TerminalAuth) -> Result<Box<dyn IngestTx + '_>>;

    /// Ingests a consecutive batch of `terminal`'s events in one transaction
    /// ([`crate::ingest::run`]; not overridden: the rules live there).
    fn ingest(&self, terminal: &TerminalAuth, batch: &[StoredEvent]) -> Result<IngestOutcome> {
        crate::ingest::ingest(self, terminal, batch)
    }

    /// [`Store::ingest`] of `work.events()`, whose hash checks and projection
    /// reading other threads may already be running ([`Shared::help`]) while
    /// this waits for the lock.
    fn ingest_prepared(&self, terminal: &TerminalAuth, work: &Shared<'_>) -> Result<IngestOutcome> {
        crate::ingest::run(self, terminal, work)
    }

    /// Loads catalog rows as one new catalog version; returns it.
    fn load_catalog(&self, rows: &[CatalogRow]) -> Result<u64>;

    /// Catalog changes after `since` for a store (store prices win).
    fn catalog_since(&self, store_id: &str, since: u64) -> Result<CatalogDelta>;

    fn terminals(&self) -> Result<Vec<TerminalState>>;
    /// Sales totals, optionally for one store, days in [from, to] (inclusive).
    fn sales(
        &self,
        store_id: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<SalesRow>> {
        self.sales_in(&SalesFilter { store_id, from, to })
    }
    /// [`Store::sales`], the backend's query.
    fn sales_in(&self, filter: &SalesFilter<'_>) -> Result<Vec<SalesRow>>;
    fn stock(&self, store_id: Option<&str>) -> Result<Vec<StockLevel>>;
    fn closings(&self, terminal_id: Option<&str>) -> Result<Vec<ClosingReceived>>;
    fn alerts(&self) -> Result<Vec<Alert>>;
    /// Stored events after a feed cursor, in ingest order.
    fn feed(&self, after: i64, limit: usize) -> Result<Vec<FeedEvent>>;
    /// Count of stored events and of distinct (terminal, seq): equal unless
    /// something was stored twice (tests).
    fn event_counts(&self) -> Result<(u64, u64)>;
}

/// A terminal's chain head and pinned signing key, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalHead {
    pub chain: crate::ingest::ChainHead,
    /// The public key of its `terminal_initialised` event (seq 1), once held.
    pub public_key: Option<String>,
}

/// An alert to write (or to count again: one row per terminal, code and seq).
#[derive(Debug, Clone, Copy)]
pub struct NewAlert<'a> {
    pub code: &'a str,
    pub seq: u64,
    pub detail: &'a str,
    /// RFC 3339.
    pub at: &'a str,
}

/// The storage primitives of one batch's transaction, for one terminal (the
/// one [`Store::begin_ingest`] was given). Each is SQL only: every decision
/// is [`crate::ingest::run`]'s, written once for both backends.
///
/// Architecture Invariant: nothing here decides; a backend that needs a
/// rule (a threshold crossed, a tail that does not verify) is wrong.
pub trait IngestTx {
    /// The terminal's chain head and pinned key, locked until the end of the
    /// transaction. An unknown terminal is an error.
    fn head(&mut self) -> Result<TerminalHead>;
    /// The hashes held for the terminal's seqs in `from..=to`.
    fn held_hashes(&mut self, from: u64, to: u64) -> Result<BTreeMap<u64, [u8; 32]>>;
    /// Inserts the events (new, consecutive, in order: feed ids follow them).
    fn insert_events(&mut self, events: &[StoredEvent]) -> Result<()>;
    /// Adds the totals and stock deltas, and inserts the closings, of
    /// `deltas` (its other fields are not read).
    fn apply_deltas(&mut self, deltas: &Deltas) -> Result<()>;
    /// Pins the terminal's signing key.
    fn set_public_key(&mut self, public_key: &str) -> Result<()>;
    /// Whether any low-stock threshold applies to the terminal's store.
    fn has_thresholds(&mut self) -> Result<bool>;
    /// The store's items among `items` that have a threshold: level now,
    /// threshold (the store's own row wins), open alert.
    fn low_stock_rows(&mut self, items: &[&str]) -> Result<Vec<LowStockRow>>;
    /// Writes an alert, or counts it again (and un-clears it); its id.
    fn upsert_alert(&mut self, alert: &NewAlert<'_>) -> Result<i64>;
    /// Records `item` low in the store, raised by alert `alert_id`.
    fn set_low_stock(&mut self, item: &str, alert_id: i64) -> Result<()>;
    /// Clears alert `alert_id` at `at` and forgets `item` is low.
    fn clear_low_stock(&mut self, item: &str, alert_id: i64, at: &str) -> Result<()>;
    /// Notes the tail marker the batch carried (`seq`) and whether it
    /// verified, at `at` (the Terminals page shows it).
    fn note_tail(&mut self, seq: u64, ok: bool, at: &str) -> Result<()>;
    /// Moves the terminal's head to `last`, seen at `now`.
    fn set_head(&mut self, last: &StoredEvent, now: &str) -> Result<()>;
    /// Notes the terminal pushed at `now` (nothing new stored).
    fn touch(&mut self, now: &str) -> Result<()>;
    /// A customer's credit limit and balance as this transaction sees them
    /// (None: no such customer at head office).
    fn customer_credit(&mut self, number: &str) -> Result<Option<(Decimal, Decimal)>>;
    fn commit(self: Box<Self>) -> Result<()>;
    /// Rolls the batch back and writes `alert` on its own: a refusal stores
    /// nothing but the alert.
    fn refuse(self: Box<Self>, alert: &NewAlert<'_>) -> Result<()>;
}

/// A connection that runs a statement of SQL (a backend's).
pub(crate) trait Exec {
    fn exec(&mut self, sql: &str) -> Result<()>;
}

/// One batch's transaction on a backend's connection `C`, for terminal `t`:
/// begun when made, rolled back when dropped unfinished (an error, a
/// refusal, a panic).
pub(crate) struct Tx<C: Exec> {
    pub c: C,
    pub t: TerminalAuth,
    open: bool,
}

impl<C: Exec> Tx<C> {
    pub fn begin(mut c: C, begin: &str, t: &TerminalAuth) -> Result<Tx<C>> {
        c.exec(begin)?;
        Ok(Tx {
            c,
            t: t.clone(),
            open: true,
        })
    }

    /// `COMMIT` or `ROLLBACK`. A failed COMMIT leaves the transaction open:
    /// dropped, it rolls back.
    pub fn end(&mut self, sql: &str) -> Result<()> {
        self.c.exec(sql)?;
        self.open = false;
        Ok(())
    }
}

impl<C: Exec> Drop for Tx<C> {
    fn drop(&mut self) {
        if self.open {
            // A broken connection: the backend discards it.
            let _ = self.c.exec("ROLLBACK");
        }
    }
}

/// Opens the store a `--db` value names: `sqlite:PATH` (or a bare path) or
/// `postgres://...`.
pub fn open(db: &str) -> Result<std::sync::Arc<dyn Store>> {
    let store: std::sync::Arc<dyn Store> =
        if db.starts_with("postgres://") || db.starts_with("postgresql://") {
            std::sync::Arc::new(postgres::PgStore::connect(db)?)
        } else {
            let path = db.strip_prefix("sqlite:").unwrap_or(db);
            std::sync::Arc::new(sqlite::SqliteStore::open(path)?)
        };
    store.migrate()?;
    Ok(store)
}

/// Registering `terminal_id` in `store_id`, whose row holds `existing` (its
/// store) if any: whether it is known (re-registering issues a new
/// credential, the chain state stays). A terminal of another store is refused.
pub(crate) fn known_terminal(
    terminal_id: &str,
    store_id: &str,
    existing: Option<String>,
) -> Result<bool> {
    match existing {
        Some(s) if s != store_id => Err(StoreError::Invalid(format!(
            "terminal {terminal_id} belongs to store {s}, not {store_id}"
        ))),
        known => Ok(known.is_some()),
    }
}

pub(crate) fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn parse_dec(what: &'static str, s: &str) -> Result<Decimal> {
    s.parse().map_err(|_| StoreError::Corrupt {
        what,
        detail: format!("{s:?} is not a decimal"),
    })
}

/// (limit, balance) read as text by a backend.
pub(crate) fn credit_pair(
    row: Option<(String, String, String)>,
) -> Result<Option<(Decimal, Decimal)>> {
    row.map(|(_, limit, balance)| {
        Ok((
            parse_dec("customers.credit_limit", &limit)?,
            parse_dec("customer_balances.balance", &balance)?,
        ))
    })
    .transpose()
}

pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(crate) fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

pub(crate) fn hash32(what: &'static str, v: &[u8]) -> Result<[u8; 32]> {
    <[u8; 32]>::try_from(v).map_err(|_| StoreError::Corrupt {
        what,
        detail: format!("hash of {} bytes", v.len()),
    })
}

/// A catalog row read for [`Store::catalog_since`].
pub(crate) struct CatalogFound {
    /// The store's own row (else the every-store row).
    pub own: bool,
    pub item_id: String,
    pub version: u64,
    /// `till_core::Item` as JSON.
    pub item: String,
    pub deleted: bool,
}

/// Builds a delta from the rows of the items changed after `since`, sorted
/// by item id: per item, the store's own row wins over the every-store row
/// (a withdrawal included), and the version is the newer of the two.
pub(crate) fn catalog_delta(
    since: u64,
    current: u64,
    found: Vec<CatalogFound>,
) -> Result<CatalogDelta> {
    let mut items = Vec::new();
    let mut removed = Vec::new();
    let mut rows = found.into_iter().peekable();
    while let Some(first) = rows.next() {
        let mut version = first.version;
        let mut pick = first;
        while let Some(next) = rows.next_if(|r| r.item_id == pick.item_id) {
            version = version.max(next.version);
            if next.own || !pick.own {
                pick = next;
            }
        }
        if pick.deleted {
            removed.push(sync_proto::CatalogRemoval {
                version,
                item_id: pick.item_id,
            });
            continue;
        }
        let item: Item = serde_json::from_str(&pick.item).map_err(|e| StoreError::Corrupt {
            what: "catalog.item",
            detail: format!("{}: {e}", pick.item_id),
        })?;
        items.push(sync_proto::CatalogEntry { version, item });
    }
    Ok(CatalogDelta {
        version: sync_proto::PROTOCOL_VERSION,
        since,
        catalog_version: current,
        items,
        removed,
        stock: Vec::new(),
    })
}
