//! Schema and migrations, versioned in code with `PRAGMA user_version`.
//!
//! `MIGRATIONS[i]` takes the schema from version `i` to `i + 1`. Migrations only
//! ever append to this list; a database whose version is above
//! [`SCHEMA_VERSION`] was written by a newer till and is refused.

use rusqlite::Connection;

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: i64 = 3;

/// Projection tables: derived from `events`, dropped and recomputed by
/// `rebuild_projections`, compared with a recomputation by the verifier.
pub const PROJECTION_TABLES: &[&str] = &[
    "stock_ledger",
    "stock_levels",
    "day_totals",
    "perpetual",
    "closings",
    "sale_links",
];

const V1: &str = r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- The journal. Append-only: the triggers below refuse UPDATE and DELETE, and no
-- code of this crate issues either on this table.
CREATE TABLE events (
    terminal_id TEXT    NOT NULL,
    seq         INTEGER NOT NULL CHECK (seq >= 1),
    ts          TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    payload     BLOB    NOT NULL,
    prev_hash   BLOB    NOT NULL CHECK (length(prev_hash) = 32),
    hash        BLOB    NOT NULL CHECK (length(hash) = 32),
    signature   BLOB,
    PRIMARY KEY (terminal_id, seq)
);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'journal rows are append-only');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'journal rows are append-only');
END;

-- Signed tail marker: the head as of the last commit, signed with the terminal
-- key, so deleting the newest rows is detectable. Not a journal row.
CREATE TABLE tail (
    terminal_id TEXT PRIMARY KEY,
    seq         INTEGER NOT NULL,
    hash        BLOB    NOT NULL,
    signature   BLOB    NOT NULL
) WITHOUT ROWID;

-- Projections (derived, rebuildable). Amounts are decimal TEXT, added exactly
-- with the dec_add() SQL function registered on the connection. Small rows,
-- WITHOUT ROWID: one b-tree each, so an append touches as few pages as possible.
CREATE TABLE stock_ledger (
    seq     INTEGER NOT NULL,
    idx     INTEGER NOT NULL,
    item_id TEXT    NOT NULL,
    delta   TEXT    NOT NULL,
    reason  TEXT    NOT NULL,
    PRIMARY KEY (seq, idx)
) WITHOUT ROWID;
CREATE INDEX stock_ledger_item ON stock_ledger (item_id);

CREATE TABLE stock_levels (
    item_id TEXT PRIMARY KEY,
    level   TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE day_totals (
    day    TEXT NOT NULL,
    key    TEXT NOT NULL,
    amount TEXT NOT NULL,
    PRIMARY KEY (day, key)
) WITHOUT ROWID;

CREATE TABLE perpetual (
    key    TEXT PRIMARY KEY,
    amount TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE closings (
    kind     TEXT    NOT NULL,
    period   TEXT    NOT NULL,
    seq      INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (kind, period)
) WITHOUT ROWID;

-- Operational state (not derived from events, not verified).
CREATE TABLE sync_cursor (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    acked_seq INTEGER NOT NULL
);
INSERT INTO sync_cursor (id, acked_seq) VALUES (1, 0);

CREATE TABLE basket (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    data BLOB NOT NULL
);

CREATE TABLE users (
    user_id TEXT PRIMARY KEY,
    record  TEXT NOT NULL
);
"#;

/// Version 2: `sale_links`, so that a receipt's refunds, cancellations and
/// reprints are found without scanning the journal after it. Filled from the
/// events already there (SQLite's JSON functions read the same fields as
/// `projections::effects`; a payload that is not JSON is skipped, and the
/// verifier reports it anyway).
const V2: &str = r#"
CREATE TABLE sale_links (
    orig_seq INTEGER NOT NULL,
    seq      INTEGER NOT NULL,
    PRIMARY KEY (orig_seq, seq)
) WITHOUT ROWID;

INSERT INTO sale_links (orig_seq, seq)
SELECT orig, seq FROM (
    SELECT json_extract(CAST(payload AS TEXT), '$.reverses.seq') AS orig, seq
    FROM events
    WHERE kind IN ('sale_completed', 'sale_cancelled', 'refund')
      AND json_valid(CAST(payload AS TEXT))
    UNION ALL
    SELECT json_extract(CAST(payload AS TEXT), '$.sale.seq') AS orig, seq
    FROM events
    WHERE kind = 'receipt_reprinted' AND json_valid(CAST(payload AS TEXT))
)
WHERE typeof(orig) = 'integer';
"#;

/// Version 3: the stock ledger keyed by what is looked up, (item_id, seq,
/// idx), instead of (seq, idx) with a by-item index beside it: one B-tree
/// instead of two, written and read once (the verifier compares every row
/// and every index entry; the index doubled what it read). Same columns, in
/// the same order. The rows are copied in the new key's order (the old index
/// gives it), so the copy is a sequential write.
const V3: &str = r#"
CREATE TABLE stock_ledger_by_item (
    seq     INTEGER NOT NULL,
    idx     INTEGER NOT NULL,
    item_id TEXT    NOT NULL,
    delta   TEXT    NOT NULL,
    reason  TEXT    NOT NULL,
    PRIMARY KEY (item_id, seq, idx)
) WITHOUT ROWID;

INSERT INTO stock_ledger_by_item (seq, idx, item_id, delta, reason)
SELECT seq, idx, item_id, delta, reason FROM stock_ledger ORDER BY item_id, seq, idx;

DROP TABLE stock_ledger;
ALTER TABLE stock_ledger_by_item RENAME TO stock_ledger;
"#;

/// The first version whose stock ledger is keyed by item (no by-item index).
pub const LEDGER_BY_ITEM: i64 = 3;

/// Each entry migrates from version `index` to `index + 1`.
pub const MIGRATIONS: &[&str] = &[V1, V2, V3];

/// Reads `PRAGMA user_version`.
pub fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Applies the missing migrations, each in its own immediate transaction
/// together with the version bump, so a crash leaves a consistent version.
/// The caller has already refused a version above [`SCHEMA_VERSION`].
pub fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    // The common case, an up-to-date journal, takes no write lock: start-up
    // must not wait behind the sync daemon or a verifier.
    if version(conn)? >= SCHEMA_VERSION {
        return Ok(());
    }
    loop {
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        // Re-read inside the write lock: another process may have migrated meanwhile.
        let v = version(&tx)?;
        let Some(sql) = usize::try_from(v).ok().and_then(|i| MIGRATIONS.get(i)) else {
            return tx.commit();
        };
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", v + 1))?;
        tx.commit()?;
    }
}
