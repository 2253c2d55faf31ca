//! Head office's schema, written once for both backends as versioned
//! migrations (the pattern of the till's journal, `till_journal::schema`):
//! `MIGRATIONS[i]` takes a database from version `i` to `i + 1`, the list
//! only ever grows, and a database of a version above its length was written
//! by a newer head office and is refused. Each backend keeps the version
//! (SQLite's `user_version`, PostgreSQL's `schema_version` table) and bumps
//! it in the transaction of the migration that reaches it.
//!
//! The types a dialect spells differently are placeholders ([`Dialect`]):
//! amounts and levels are exact on both (SQLite: decimal TEXT added by
//! `dec_add`; PostgreSQL: `NUMERIC`).

use super::{Result, StoreError};

/// 1. stores, terminals, events, sales totals, stock levels, closings,
///    alerts, catalog and its versions.
const V1: &str = r#"
CREATE TABLE IF NOT EXISTS stores (
    store_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS terminals (
    terminal_id TEXT PRIMARY KEY,
    store_id TEXT NOT NULL REFERENCES stores(store_id),
    token_sha256 {blob} NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_seq {int} NOT NULL DEFAULT 0,
    last_hash {blob} NOT NULL,
    last_seen TEXT,
    last_event_ts TEXT,
    public_key TEXT
);
-- id is the ERP feed cursor (ingest order); (terminal_id, seq) the dedupe key.
CREATE TABLE IF NOT EXISTS events (
    id {id},
    terminal_id TEXT NOT NULL,
    seq {int} NOT NULL,
    store_id TEXT NOT NULL,
    ts TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload {blob} NOT NULL,
    prev_hash {blob} NOT NULL,
    hash {blob} NOT NULL,
    signature {blob},
    UNIQUE (terminal_id, seq)
);
CREATE TABLE IF NOT EXISTS sales_totals (
    store_id TEXT NOT NULL,
    day TEXT NOT NULL,
    key TEXT NOT NULL,
    amount {dec} NOT NULL,
    PRIMARY KEY (store_id, day, key)
){rowid};
CREATE TABLE IF NOT EXISTS stock_levels (
    store_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    level {dec} NOT NULL,
    PRIMARY KEY (store_id, item_id)
){rowid};
CREATE TABLE IF NOT EXISTS closings (
    terminal_id TEXT NOT NULL,
    seq {int} NOT NULL,
    store_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    period TEXT NOT NULL,
    first_seq {int} NOT NULL,
    last_seq {int} NOT NULL,
    net_total {dec} NOT NULL,
    grand_total {dec} NOT NULL,
    grand_total_abs {dec} NOT NULL,
    PRIMARY KEY (terminal_id, seq)
);
CREATE TABLE IF NOT EXISTS alerts (
    id {id},
    at TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    code TEXT NOT NULL,
    seq {int} NOT NULL,
    detail TEXT NOT NULL,
    count {int} NOT NULL DEFAULT 1,
    UNIQUE (terminal_id, code, seq)
);
-- store_id '' = every store; a store's own row wins over it.
CREATE TABLE IF NOT EXISTS catalog (
    store_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    version {int} NOT NULL,
    item TEXT NOT NULL,
    PRIMARY KEY (store_id, item_id)
);
CREATE INDEX IF NOT EXISTS catalog_by_version ON catalog(version);
CREATE TABLE IF NOT EXISTS catalog_versions (
    version {int} PRIMARY KEY,
    loaded_at TEXT NOT NULL,
    items {int} NOT NULL
);
"#;

/// 2. low stock, cleared alerts, catalog withdrawals.
const V2: &str = r#"
-- Low-stock thresholds from catalog loads; store_id '' = every store, a
-- store's own row wins.
CREATE TABLE stock_thresholds (
    store_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    threshold {dec} NOT NULL,
    PRIMARY KEY (store_id, item_id)
){rowid};
-- Items at or below their threshold now, and the alert raised when they got there.
CREATE TABLE low_stock (
    store_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    alert_id {int} NOT NULL,
    PRIMARY KEY (store_id, item_id)
){rowid};
ALTER TABLE alerts ADD COLUMN cleared_at TEXT;
ALTER TABLE catalog ADD COLUMN deleted {bool} NOT NULL DEFAULT {false};
"#;

/// 3. read tokens (only their SHA-256).
const V3: &str = r#"
CREATE TABLE read_tokens (
    label TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    token_sha256 {blob} NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
"#;

/// Back-office accounts ([`super::auth`]): users, sessions (only the
/// token's SHA-256), failed logins (counted per key, so every instance
/// enforces the limit) and the audit log.
const V_AUTH: &str = r#"
CREATE TABLE bo_users (
    id {id},
    email TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    store_id TEXT,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE bo_sessions (
    token_sha256 {blob} PRIMARY KEY,
    user_id {int} NOT NULL,
    csrf TEXT NOT NULL,
    created_at {int} NOT NULL,
    last_seen {int} NOT NULL
);
CREATE INDEX bo_sessions_by_user ON bo_sessions(user_id);
CREATE TABLE bo_login_failures (
    key TEXT NOT NULL,
    at {int} NOT NULL
);
CREATE INDEX bo_login_failures_by_key ON bo_login_failures(key, at);
CREATE TABLE bo_audit (
    id {id},
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    action_fr TEXT NOT NULL,
    action_en TEXT NOT NULL,
    details TEXT NOT NULL
);
"#;

/// The back office's dashboard (`store::dash`): sales per terminal and
/// hour, what a terminal last declared (software version, tail marker),
/// revoked terminals, acknowledged alerts, and the indexes its pages read by.
const V_DASH: &str = r#"
CREATE TABLE terminal_hours (
    day TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    hour {int} NOT NULL,
    store_id TEXT NOT NULL,
    records {int} NOT NULL,
    net {dec} NOT NULL,
    PRIMARY KEY (day, terminal_id, hour)
){rowid};
ALTER TABLE terminals ADD COLUMN software_version TEXT;
ALTER TABLE terminals ADD COLUMN revoked_at TEXT;
ALTER TABLE terminals ADD COLUMN tail_seq {int};
ALTER TABLE terminals ADD COLUMN tail_at TEXT;
ALTER TABLE terminals ADD COLUMN tail_ok {bool};
-- One acknowledgement per alert: it holds while the alert's count is the
-- one acknowledged (a repeat of the alert asks again).
CREATE TABLE alert_acks (
    alert_id {int} PRIMARY KEY,
    count {int} NOT NULL,
    acked_at TEXT NOT NULL,
    acked_by TEXT NOT NULL
);
CREATE INDEX sales_totals_by_day ON sales_totals(day, key);
CREATE INDEX sales_totals_by_key ON sales_totals(key, day);
CREATE INDEX closings_by_period ON closings(period, kind);
"#;

/// The counter rules head office publishes (versions only grow; the
/// newest is in force), and abandoned baskets per cashier and day, filled
/// at ingest from `basket_abandoned` events.
const V_RULES: &str = r#"
CREATE TABLE rulesets (
    version {int} PRIMARY KEY,
    body TEXT NOT NULL,
    set_at TEXT NOT NULL,
    set_by TEXT NOT NULL
);
CREATE TABLE abandoned_baskets (
    store_id TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    day TEXT NOT NULL,
    operator TEXT NOT NULL,
    baskets {int} NOT NULL,
    total {dec} NOT NULL,
    PRIMARY KEY (terminal_id, day, operator)
){rowid};
"#;

/// The back office's stock operations (each line a movement with its
/// source, delivered to the store's tills by catalog version) and the
/// catalog's search words.
const V_STOCK: &str = r#"
CREATE TABLE stock_ops (
    op_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    user_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    other_store TEXT,
    supplier TEXT,
    reference TEXT,
    version {int} NOT NULL
);
CREATE TABLE stock_op_lines (
    id {id},
    op_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    delta {dec} NOT NULL,
    counted {dec},
    version {int} NOT NULL,
    UNIQUE (op_id, store_id, item_id)
);
CREATE INDEX stock_op_lines_by_store ON stock_op_lines(store_id, version);
CREATE INDEX stock_op_lines_by_item ON stock_op_lines(item_id, store_id);
-- Search words of the every-store rows: each word of the name, the code and
-- the barcodes, folded; bytes, so a prefix is a range in any collation.
CREATE TABLE catalog_words (
    word {blob} NOT NULL,
    item_id TEXT NOT NULL,
    PRIMARY KEY (word, item_id)
){rowid};
CREATE INDEX catalog_words_by_item ON catalog_words(item_id);
-- One item's rows (its stores' own prices) and thresholds, for its page.
CREATE INDEX catalog_by_item ON catalog(item_id);
CREATE INDEX stock_thresholds_by_item ON stock_thresholds(item_id);
-- The catalog version catalog_words reflects (one row, id 1).
CREATE TABLE catalog_indexed (
    id {int} PRIMARY KEY,
    version {int} NOT NULL
);
"#;

/// Indexes the back office's pages read by at scale (`backoffice-bench`,
/// 10M events): one item's levels in every store (the Stock page of an
/// item, without reading every level), and the newest closings in the
/// Closings page's order (without sorting them all).
const V_PAGE_INDEXES: &str = r#"
CREATE INDEX stock_levels_by_item ON stock_levels(item_id);
CREATE INDEX closings_newest ON closings(period DESC, terminal_id, seq DESC);
"#;

/// Customers with an account (`store::customers`): who they are, their
/// terms, credit limit, group and status; what each owes on account (a
/// projection of the account sales ingested); the customers version the
/// tills pull by (one row, id 1).
const V_CUSTOMERS: &str = r#"
CREATE TABLE customers (
    number TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    siren TEXT,
    siret TEXT,
    vat_number TEXT,
    address TEXT,
    email TEXT,
    phone TEXT,
    terms TEXT NOT NULL,
    credit_limit {dec} NOT NULL,
    grp TEXT,
    status TEXT NOT NULL,
    loyalty_card TEXT UNIQUE,
    name_folded TEXT NOT NULL,
    version {int} NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX customers_by_version ON customers(version);
CREATE TABLE customer_balances (
    number TEXT PRIMARY KEY,
    balance {dec} NOT NULL,
    sales {int} NOT NULL
){rowid};
CREATE TABLE customers_version (
    id {int} PRIMARY KEY,
    version {int} NOT NULL
);
"#;

/// Each entry migrates from version `index` to `index + 1`.
const MIGRATIONS: &[&str] = &[
    V1,
    V2,
    V3,
    V_AUTH,
    V_DASH,
    V_RULES,
    V_STOCK,
    V_PAGE_INDEXES,
    V_CUSTOMERS,
];

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How a backend spells the types of the schema.
pub(crate) struct Dialect {
    pub int: &'static str,
    pub blob: &'static str,
    /// An auto-assigned integer primary key.
    pub id: &'static str,
    /// An exact decimal.
    pub dec: &'static str,
    pub bool: &'static str,
    pub r#false: &'static str,
    /// After a table with a primary key and no use for a row id.
    pub rowid: &'static str,
}

impl Dialect {
    fn render(&self, template: &str) -> String {
        template
            .replace("{int}", self.int)
            .replace("{blob}", self.blob)
            .replace("{id}", self.id)
            .replace("{dec}", self.dec)
            .replace("{bool}", self.bool)
            .replace("{false}", self.r#false)
            .replace("{rowid}", self.rowid)
    }
}

/// The migrations a database at `version` still needs, in order, as SQL of
/// `dialect`; a database of a newer head office is refused.
pub(crate) fn pending(version: i64, dialect: &Dialect) -> Result<Vec<String>> {
    if version > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    let from = usize::try_from(version).map_err(|_| StoreError::Corrupt {
        what: "schema version",
        detail: format!("{version} is negative"),
    })?;
    Ok(MIGRATIONS[from..]
        .iter()
        .map(|m| dialect.render(m))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: Dialect = Dialect {
        int: "I",
        blob: "B",
        id: "P",
        dec: "D",
        bool: "O",
        r#false: "F",
        rowid: "",
    };

    #[test]
    fn pending_and_newer() {
        let n = MIGRATIONS.len();
        assert_eq!(pending(0, &D).map(|p| p.len()).ok(), Some(n));
        assert_eq!(pending(2, &D).map(|p| p.len()).ok(), Some(n - 2));
        assert!(pending(SCHEMA_VERSION, &D).is_ok_and(|p| p.is_empty()));
        assert!(!pending(0, &D).is_ok_and(|p| p.concat().contains('{')));
        let newer = SCHEMA_VERSION + 1;
        let e = pending(newer, &D).err().map(|e| e.to_string());
        assert!(
            e.as_deref().is_some_and(
                |e| e.contains(&format!("version {newer}")) && e.contains("upgrade headoffice")
            ),
            "{e:?}"
        );
    }
}
