//! Storage behind a trait: the HTTP layer and the admin commands see only
//! [`Store`]; SQLite ([`sqlite`]) is the embedded default, PostgreSQL
//! ([`postgres`]) the scale-out backend. Methods are blocking: the server calls
//! them from `spawn_blocking`.
//!
//! Every ingest is one transaction: the events, every projection they change
//! and the terminal's sync state commit together or not at all, so a crash at
//! any instant leaves head office either before or after the batch.

pub mod postgres;
pub mod sqlite;
pub mod tokens;

pub use tokens::ReadToken;

use crate::access::Role;
use crate::ingest::Shared;
use rust_decimal::Decimal;
use serde::Serialize;
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
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Db(e.to_string())
    }
}

impl From<::postgres::Error> for StoreError {
    fn from(e: ::postgres::Error) -> Self {
        StoreError::Db(e.to_string())
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

/// A catalog row to load: an item, for every store (`store_id` None) or one.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogRow {
    pub store_id: Option<String>,
    pub item: Item,
    /// Raise a `low_stock` alert when the store's level falls to or below this.
    pub low_stock: Option<Decimal>,
    /// The item is withdrawn (for every store, or for `store_id`): tills drop
    /// it from their catalog. Only `item.id` matters then.
    pub deleted: bool,
}

impl CatalogRow {
    pub fn new(store_id: Option<String>, item: Item) -> CatalogRow {
        CatalogRow {
            store_id,
            item,
            low_stock: None,
            deleted: false,
        }
    }
}

/// Everything head office stores.
pub trait Store: Send + Sync + 'static {
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

    /// Ingests a consecutive batch of `terminal`'s events in one transaction.
    fn ingest(&self, terminal: &TerminalAuth, batch: &[StoredEvent]) -> Result<IngestOutcome>;

    /// [`Store::ingest`] of `work.events()`, whose hash checks and projection
    /// reading other threads may already be running ([`Shared::help`]) while
    /// this waits for the write lock. A backend that does not use them
    /// cancels them and ingests as usual.
    fn ingest_prepared(&self, terminal: &TerminalAuth, work: &Shared<'_>) -> Result<IngestOutcome> {
        work.cancel();
        self.ingest(terminal, work.events())
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
    ) -> Result<Vec<SalesRow>>;
    fn stock(&self, store_id: Option<&str>) -> Result<Vec<StockLevel>>;
    fn closings(&self, terminal_id: Option<&str>) -> Result<Vec<ClosingReceived>>;
    fn alerts(&self) -> Result<Vec<Alert>>;
    /// Stored events after a feed cursor, in ingest order.
    fn feed(&self, after: i64, limit: usize) -> Result<Vec<FeedEvent>>;
    /// Count of stored events and of distinct (terminal, seq): equal unless
    /// something was stored twice (tests).
    fn event_counts(&self) -> Result<(u64, u64)>;
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

pub(crate) fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn parse_dec(what: &'static str, s: &str) -> Result<Decimal> {
    s.parse().map_err(|_| StoreError::Corrupt {
        what,
        detail: format!("{s:?} is not a decimal"),
    })
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
    })
}
