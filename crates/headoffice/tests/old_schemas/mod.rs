//! Head office's schemas as older builds created them, copied from the
//! history (SQLite: 034553e for 1, 98aa90f for 2; PostgreSQL: 10d5eaa for 1,
//! 98aa90f for 2). Frozen on purpose: the migration test opens databases made
//! with them. Version 2 on SQLite also had the two columns its start-up added
//! with `ALTER TABLE` ([`SQLITE_V2_ALTER`]). Version 3 is version 2 and the
//! read tokens' table (f34b2f9, [`V3_READ_TOKENS`]); 4 added the back office's
//! accounts, 5 its dashboard projections, 6 the counter rulesets, 7 the
//! stock operations and catalog search words.
#![allow(dead_code)]

pub const SQLITE_V1: &str = r#"
CREATE TABLE IF NOT EXISTS stores (
    store_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS terminals (
    terminal_id TEXT PRIMARY KEY,
    store_id TEXT NOT NULL REFERENCES stores(store_id),
    token_sha256 BLOB NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0,
    last_hash BLOB NOT NULL,
    last_seen TEXT,
    last_event_ts TEXT,
    public_key TEXT
);
-- id is the ERP feed cursor (ingest order); (terminal_id, seq) the dedupe key.
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    terminal_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    store_id TEXT NOT NULL,
    ts TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload BLOB NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL,
    signature BLOB,
    UNIQUE (terminal_id, seq)
);
CREATE TABLE IF NOT EXISTS sales_totals (
    store_id TEXT NOT NULL,
    day TEXT NOT NULL,
    key TEXT NOT NULL,
    amount TEXT NOT NULL,
    PRIMARY KEY (store_id, day, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stock_levels (
    store_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    level TEXT NOT NULL,
    PRIMARY KEY (store_id, item_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS closings (
    terminal_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    store_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    period TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    net_total TEXT NOT NULL,
    grand_total TEXT NOT NULL,
    grand_total_abs TEXT NOT NULL,
    PRIMARY KEY (terminal_id, seq)
);
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    code TEXT NOT NULL,
    seq INTEGER NOT NULL,
    detail TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 1,
    UNIQUE (terminal_id, code, seq)
);
-- store_id '' = every store; a store's own row wins over it.
CREATE TABLE IF NOT EXISTS catalog (
    store_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    item TEXT NOT NULL,
    PRIMARY KEY (store_id, item_id)
);
CREATE INDEX IF NOT EXISTS catalog_by_version ON catalog(version);
CREATE TABLE IF NOT EXISTS catalog_versions (
    version INTEGER PRIMARY KEY,
    loaded_at TEXT NOT NULL,
    items INTEGER NOT NULL
);
"#;

pub const SQLITE_V2: &str = r#"
CREATE TABLE IF NOT EXISTS stores (
    store_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS terminals (
    terminal_id TEXT PRIMARY KEY,
    store_id TEXT NOT NULL REFERENCES stores(store_id),
    token_sha256 BLOB NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0,
    last_hash BLOB NOT NULL,
    last_seen TEXT,
    last_event_ts TEXT,
    public_key TEXT
);
-- id is the ERP feed cursor (ingest order); (terminal_id, seq) the dedupe key.
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    terminal_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    store_id TEXT NOT NULL,
    ts TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload BLOB NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL,
    signature BLOB,
    UNIQUE (terminal_id, seq)
);
CREATE TABLE IF NOT EXISTS sales_totals (
    store_id TEXT NOT NULL,
    day TEXT NOT NULL,
    key TEXT NOT NULL,
    amount TEXT NOT NULL,
    PRIMARY KEY (store_id, day, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stock_levels (
    store_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    level TEXT NOT NULL,
    PRIMARY KEY (store_id, item_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS closings (
    terminal_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    store_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    period TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    net_total TEXT NOT NULL,
    grand_total TEXT NOT NULL,
    grand_total_abs TEXT NOT NULL,
    PRIMARY KEY (terminal_id, seq)
);
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    code TEXT NOT NULL,
    seq INTEGER NOT NULL,
    detail TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 1,
    UNIQUE (terminal_id, code, seq)
);
-- store_id '' = every store; a store's own row wins over it.
CREATE TABLE IF NOT EXISTS catalog (
    store_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    item TEXT NOT NULL,
    PRIMARY KEY (store_id, item_id)
);
CREATE INDEX IF NOT EXISTS catalog_by_version ON catalog(version);
-- Low-stock thresholds from catalog loads; store_id '' = every store, a
-- store's own row wins.
CREATE TABLE IF NOT EXISTS stock_thresholds (
    store_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    threshold TEXT NOT NULL,
    PRIMARY KEY (store_id, item_id)
) WITHOUT ROWID;
-- Items at or below their threshold now, and the alert raised when they got there.
CREATE TABLE IF NOT EXISTS low_stock (
    store_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    alert_id INTEGER NOT NULL,
    PRIMARY KEY (store_id, item_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS catalog_versions (
    version INTEGER PRIMARY KEY,
    loaded_at TEXT NOT NULL,
    items INTEGER NOT NULL
);
"#;

pub const SQLITE_V2_ALTER: &str = "ALTER TABLE alerts ADD COLUMN cleared_at TEXT;
ALTER TABLE catalog ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;";

pub const PG_V1: &str = r#"
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS stores (
    store_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS terminals (
    terminal_id TEXT PRIMARY KEY,
    store_id TEXT NOT NULL REFERENCES stores(store_id),
    token_sha256 BYTEA NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_seq BIGINT NOT NULL DEFAULT 0,
    last_hash BYTEA NOT NULL,
    last_seen TEXT,
    last_event_ts TEXT,
    public_key TEXT
);
CREATE TABLE IF NOT EXISTS events (
    id BIGSERIAL PRIMARY KEY,
    terminal_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    store_id TEXT NOT NULL,
    ts TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload BYTEA NOT NULL,
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL,
    signature BYTEA,
    UNIQUE (terminal_id, seq)
);
CREATE TABLE IF NOT EXISTS sales_totals (
    store_id TEXT NOT NULL,
    day TEXT NOT NULL,
    key TEXT NOT NULL,
    amount NUMERIC NOT NULL,
    PRIMARY KEY (store_id, day, key)
);
CREATE TABLE IF NOT EXISTS stock_levels (
    store_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    level NUMERIC NOT NULL,
    PRIMARY KEY (store_id, item_id)
);
CREATE TABLE IF NOT EXISTS closings (
    terminal_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    store_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    period TEXT NOT NULL,
    first_seq BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    net_total NUMERIC NOT NULL,
    grand_total NUMERIC NOT NULL,
    grand_total_abs NUMERIC NOT NULL,
    PRIMARY KEY (terminal_id, seq)
);
CREATE TABLE IF NOT EXISTS alerts (
    id BIGSERIAL PRIMARY KEY,
    at TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    code TEXT NOT NULL,
    seq BIGINT NOT NULL,
    detail TEXT NOT NULL,
    count BIGINT NOT NULL DEFAULT 1,
    UNIQUE (terminal_id, code, seq)
);
CREATE TABLE IF NOT EXISTS catalog (
    store_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    item TEXT NOT NULL,
    PRIMARY KEY (store_id, item_id)
);
CREATE INDEX IF NOT EXISTS catalog_by_version ON catalog(version);
CREATE TABLE IF NOT EXISTS catalog_versions (
    version BIGINT PRIMARY KEY,
    loaded_at TEXT NOT NULL,
    items BIGINT NOT NULL
);
"#;

pub const PG_V2: &str = r#"
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS stores (
    store_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS terminals (
    terminal_id TEXT PRIMARY KEY,
    store_id TEXT NOT NULL REFERENCES stores(store_id),
    token_sha256 BYTEA NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_seq BIGINT NOT NULL DEFAULT 0,
    last_hash BYTEA NOT NULL,
    last_seen TEXT,
    last_event_ts TEXT,
    public_key TEXT
);
CREATE TABLE IF NOT EXISTS events (
    id BIGSERIAL PRIMARY KEY,
    terminal_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    store_id TEXT NOT NULL,
    ts TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload BYTEA NOT NULL,
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL,
    signature BYTEA,
    UNIQUE (terminal_id, seq)
);
CREATE TABLE IF NOT EXISTS sales_totals (
    store_id TEXT NOT NULL,
    day TEXT NOT NULL,
    key TEXT NOT NULL,
    amount NUMERIC NOT NULL,
    PRIMARY KEY (store_id, day, key)
);
CREATE TABLE IF NOT EXISTS stock_levels (
    store_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    level NUMERIC NOT NULL,
    PRIMARY KEY (store_id, item_id)
);
CREATE TABLE IF NOT EXISTS closings (
    terminal_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    store_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    period TEXT NOT NULL,
    first_seq BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    net_total NUMERIC NOT NULL,
    grand_total NUMERIC NOT NULL,
    grand_total_abs NUMERIC NOT NULL,
    PRIMARY KEY (terminal_id, seq)
);
CREATE TABLE IF NOT EXISTS alerts (
    id BIGSERIAL PRIMARY KEY,
    at TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    code TEXT NOT NULL,
    seq BIGINT NOT NULL,
    detail TEXT NOT NULL,
    count BIGINT NOT NULL DEFAULT 1,
    UNIQUE (terminal_id, code, seq)
);
CREATE TABLE IF NOT EXISTS catalog (
    store_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    item TEXT NOT NULL,
    PRIMARY KEY (store_id, item_id)
);
CREATE INDEX IF NOT EXISTS catalog_by_version ON catalog(version);
-- Low-stock thresholds (store_id '' = every store) and the items low now.
CREATE TABLE IF NOT EXISTS stock_thresholds (
    store_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    threshold NUMERIC NOT NULL,
    PRIMARY KEY (store_id, item_id)
);
CREATE TABLE IF NOT EXISTS low_stock (
    store_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    alert_id BIGINT NOT NULL,
    PRIMARY KEY (store_id, item_id)
);
-- Schema 2: columns added to tables of schema 1.
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS cleared_at TEXT;
ALTER TABLE catalog ADD COLUMN IF NOT EXISTS deleted BOOLEAN NOT NULL DEFAULT false;
CREATE TABLE IF NOT EXISTS catalog_versions (
    version BIGINT PRIMARY KEY,
    loaded_at TEXT NOT NULL,
    items BIGINT NOT NULL
);
"#;

/// Schema 3 (f34b2f9) added the read tokens to schema 2, on both backends
/// (`{blob}`: BLOB on SQLite, BYTEA on PostgreSQL).
pub const V3_READ_TOKENS: &str = r#"
CREATE TABLE read_tokens (
    label TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    token_sha256 {blob} NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
"#;

/// Schema 4 added the back office's accounts to schema 3, on both backends
/// (`{id}`, `{int}`, `{blob}` as the backend spells them).
pub const V4_BACK_OFFICE_ACCOUNTS: &str = r#"
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

/// Schema 5 added the back office's dashboard projections to schema 4, on both
/// backends (placeholders as the backend spells them).
pub const V5_DASHBOARD: &str = r#"
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

/// Schema 6 added head office's counter rulesets and the abandoned baskets per
/// cashier to schema 5 (placeholders as the backend spells them).
pub const V6_RULES: &str = r#"
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

/// Schema 7 added the back office's stock operations and the catalog's
/// search words to schema 6 (placeholders as the backend spells them).
pub const V7_STOCK: &str = r#"
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

/// Schema 8 added the indexes the back office's pages read by at scale
/// (`V_PAGE_INDEXES`), as that build ran them.
pub const V8_PAGE_INDEXES: &str = r#"
CREATE INDEX stock_levels_by_item ON stock_levels(item_id);
CREATE INDEX closings_newest ON closings(period DESC, terminal_id, seq DESC);
"#;
