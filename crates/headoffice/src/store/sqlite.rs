//! The embedded backend: one SQLite file (WAL, synchronous=FULL, so an ack
//! means the batch is on disk). One connection behind a mutex: SQLite has one
//! writer anyway, and ingest transactions are short.

use super::{
    hash32, now_rfc3339, parse_dec, to_i64, to_u64, Alert, CatalogRow, ClosingReceived, FeedEvent,
    IngestOutcome, Result, SalesRow, StockLevel, Store, StoreError, TerminalAuth, TerminalState,
};
use crate::access::Role;
use crate::ingest::{self, ChainHead, Deltas, Plan};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;
use sync_proto::CatalogDelta;
use till_journal::chain::GENESIS_PREV_HASH;
use till_journal::StoredEvent;

const SCHEMA_VERSION: i64 = 3;

/// Events per chunk of hash checking and projection reading.
const CHUNK: usize = 250;

const SCHEMA: &str = r#"
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

/// Head office on SQLite.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    /// Credentials are checked on a connection of their own: under WAL it
    /// reads the last commit while an ingest holds `conn`, so the next
    /// batch is parsed and hashed meanwhile instead of queueing behind it.
    auth: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (or creates) the database file.
    pub fn open(path: &str) -> Result<SqliteStore> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Db(format!(
                "{path}: could not switch to WAL ({mode})"
            )));
        }
        // An ack must mean "on disk": FULL fsyncs the WAL at each commit.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.set_prepared_statement_cache_capacity(64);
        register_dec_add(&conn)?;
        let auth = Connection::open(path)?;
        auth.busy_timeout(Duration::from_secs(10))?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            auth: Mutex::new(auth),
        })
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Connection>> {
        // A panic while holding the lock rolled its transaction back (drop),
        // so the connection is still consistent: carry on.
        Ok(self.conn.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Runs `f` with the connection (the bench's bare-insert baseline).
    pub fn with_conn<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut c = self.lock()?;
        f(&mut c)
    }
}

/// `dec_add(a, b)`: exact addition of two decimal texts (amounts and stock
/// levels are TEXT: SQLite's REAL would round them).
fn register_dec_add(conn: &Connection) -> Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "dec_add",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            // Read in place (no copy of either text): this runs for every
            // stock level a batch touches.
            let text = |i: usize| -> rusqlite::Result<&str> {
                ctx.get_raw(i).as_str().map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        i,
                        rusqlite::types::Type::Text,
                        Box::new(e),
                    )
                })
            };
            let bad = |s: &str| {
                rusqlite::Error::UserFunctionError(format!("{s:?} is not a decimal").into())
            };
            let (a, b) = (text(0)?, text(1)?);
            // Most levels and quantities are whole numbers: added as
            // integers, exactly, without building two Decimals.
            if let (Ok(x), Ok(y)) = (a.parse::<i64>(), b.parse::<i64>()) {
                if let Some(v) = x.checked_add(y) {
                    return Ok(v.to_string());
                }
            }
            let a: rust_decimal::Decimal = a.parse().map_err(|_| bad(a))?;
            let b: rust_decimal::Decimal = b.parse().map_err(|_| bad(b))?;
            a.checked_add(b)
                .map(|v| v.to_string())
                .ok_or_else(|| rusqlite::Error::UserFunctionError("decimal overflow".into()))
        },
    )?;
    Ok(())
}

/// The terminal's chain head and public key.
fn head(tx: &Transaction<'_>, terminal_id: &str) -> Result<(ChainHead, Option<String>)> {
    let row: Option<(i64, Vec<u8>, Option<String>)> = tx
        .prepare_cached(
            "SELECT last_seq, last_hash, public_key FROM terminals WHERE terminal_id = ?1",
        )?
        .query_row([terminal_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let (seq, hash, pk) =
        row.ok_or_else(|| StoreError::Invalid(format!("unknown terminal {terminal_id}")))?;
    Ok((
        ChainHead {
            last_seq: to_u64(seq),
            last_hash: hash32("terminals.last_hash", &hash)?,
        },
        pk,
    ))
}

fn insert_events(tx: &Transaction<'_>, t: &TerminalAuth, events: &[StoredEvent]) -> Result<()> {
    let mut st = tx.prepare_cached(
        "INSERT INTO events (terminal_id, seq, store_id, ts, kind, payload, prev_hash, hash, signature)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for e in events {
        st.execute(params![
            t.terminal_id,
            to_i64(e.seq),
            t.store_id,
            e.ts,
            e.kind,
            e.payload,
            &e.prev_hash[..],
            &e.hash[..],
            e.signature
        ])?;
    }
    Ok(())
}

fn apply_deltas(tx: &Transaction<'_>, t: &TerminalAuth, d: &Deltas) -> Result<()> {
    // One upsert per key; dec_add adds the decimal texts exactly inside SQLite.
    let mut put = tx.prepare_cached(
        "INSERT INTO sales_totals (store_id, day, key, amount) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (store_id, day, key) DO UPDATE SET amount = dec_add(amount, excluded.amount)",
    )?;
    for ((day, key), v) in &d.totals {
        put.execute(params![t.store_id, day, key, v.to_string()])?;
    }
    if !d.levels.is_empty() {
        // Thousands of items per batch: one statement over a JSON object
        // {item: delta} instead of one round trip per item.
        let levels: BTreeMap<&str, String> = d
            .levels
            .iter()
            .map(|(k, v)| (k.as_str(), v.to_string()))
            .collect();
        let json = serde_json::to_string(&levels)
            .map_err(|e| StoreError::Invalid(format!("stock deltas: {e}")))?;
        tx.prepare_cached(
            "INSERT INTO stock_levels (store_id, item_id, level)
             SELECT ?1, j.key, j.value FROM json_each(?2) AS j WHERE true
             ON CONFLICT (store_id, item_id) DO UPDATE SET level = dec_add(level, excluded.level)",
        )?
        .execute(params![t.store_id, json])?;
    }
    let mut st = tx.prepare_cached(
        "INSERT INTO closings (terminal_id, seq, store_id, kind, period, first_seq, last_seq,
             net_total, grand_total, grand_total_abs)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for c in &d.closings {
        st.execute(params![
            t.terminal_id,
            to_i64(c.seq),
            t.store_id,
            c.kind,
            c.period,
            to_i64(c.first_seq),
            to_i64(c.last_seq),
            c.net_total.to_string(),
            c.grand_total.to_string(),
            c.grand_total_abs.to_string()
        ])?;
    }
    if let Some(pk) = &d.public_key {
        tx.prepare_cached("UPDATE terminals SET public_key = ?2 WHERE terminal_id = ?1")?
            .execute(params![t.terminal_id, pk])?;
    }
    Ok(())
}

/// Raises or clears `low_stock` alerts for the items whose level this batch
/// moved (nothing to read when the store has no threshold at all).
fn low_stock(
    tx: &Transaction<'_>,
    t: &TerminalAuth,
    d: &Deltas,
    seq: u64,
    now: &str,
) -> Result<()> {
    if d.levels.is_empty() {
        return Ok(());
    }
    let any: bool = tx
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM stock_thresholds WHERE store_id IN ('', ?1))",
        )?
        .query_row([&t.store_id], |r| r.get(0))?;
    if !any {
        return Ok(());
    }
    let items = serde_json::to_string(&d.levels.keys().collect::<Vec<_>>())
        .map_err(|e| StoreError::Invalid(format!("stock items: {e}")))?;
    let mut rows = Vec::new();
    {
        let mut st = tx.prepare_cached(
            "SELECT j.value, l.level, coalesce(own.threshold, every.threshold), m.alert_id
             FROM json_each(?2) AS j
             JOIN stock_levels l ON l.store_id = ?1 AND l.item_id = j.value
             LEFT JOIN stock_thresholds own ON own.store_id = ?1 AND own.item_id = j.value
             LEFT JOIN stock_thresholds every ON every.store_id = '' AND every.item_id = j.value
             LEFT JOIN low_stock m ON m.store_id = ?1 AND m.item_id = j.value
             WHERE coalesce(own.threshold, every.threshold) IS NOT NULL",
        )?;
        let mut q = st.query(params![t.store_id, items])?;
        while let Some(r) = q.next()? {
            let (item, level, threshold): (String, String, String) =
                (r.get(0)?, r.get(1)?, r.get(2)?);
            rows.push(ingest::LowStockRow {
                item_id: item,
                level: parse_dec("stock_levels.level", &level)?,
                threshold: parse_dec("stock_thresholds.threshold", &threshold)?,
                open_alert: r.get(3)?,
            });
        }
    }
    for change in ingest::low_stock_changes(&t.store_id, rows) {
        match change {
            ingest::LowStock::Raise { item_id, detail } => {
                let id: i64 = tx
                    .prepare_cached(
                        "INSERT INTO alerts (at, terminal_id, code, seq, detail) VALUES (?1, ?2, ?3, ?4, ?5)
                         ON CONFLICT (terminal_id, code, seq) DO UPDATE
                         SET count = count + 1, at = excluded.at, detail = excluded.detail, cleared_at = NULL
                         RETURNING id",
                    )?
                    .query_row(
                        params![now, t.terminal_id, format!("low_stock:{item_id}"), to_i64(seq), detail],
                        |r| r.get(0),
                    )?;
                tx.prepare_cached(
                    "INSERT INTO low_stock (store_id, item_id, alert_id) VALUES (?1, ?2, ?3)
                     ON CONFLICT (store_id, item_id) DO UPDATE SET alert_id = excluded.alert_id",
                )?
                .execute(params![t.store_id, item_id, id])?;
            }
            ingest::LowStock::Clear { item_id, alert_id } => {
                tx.prepare_cached("UPDATE alerts SET cleared_at = ?2 WHERE id = ?1")?
                    .execute(params![alert_id, now])?;
                tx.prepare_cached("DELETE FROM low_stock WHERE store_id = ?1 AND item_id = ?2")?
                    .execute(params![t.store_id, item_id])?;
            }
        }
    }
    Ok(())
}

/// Checks the tail marker the batch carried ([`ingest::check_tail`]); an
/// alert commits with the batch, which is stored all the same.
fn check_tail(
    tx: &Transaction<'_>,
    t: &TerminalAuth,
    work: &ingest::Shared<'_>,
    public_key: Option<&str>,
    head_seq: u64,
) -> Result<()> {
    let Some(tail) = work.tail() else {
        return Ok(());
    };
    let held = if tail.seq == 0 || tail.seq > head_seq {
        None
    } else {
        let batch = work.events();
        let in_batch = batch
            .first()
            .and_then(|f| tail.seq.checked_sub(f.seq))
            .and_then(|i| batch.get(usize::try_from(i).ok()?))
            .filter(|e| e.seq == tail.seq);
        match in_batch {
            Some(e) => Some(e.hash),
            None => tx
                .prepare_cached("SELECT hash FROM events WHERE terminal_id = ?1 AND seq = ?2")?
                .query_row(params![t.terminal_id, to_i64(tail.seq)], |r| {
                    r.get::<_, Vec<u8>>(0)
                })
                .optional()?
                .map(|v| hash32("events.hash", &v))
                .transpose()?,
        }
    };
    if let Err((code, detail)) = ingest::check_tail(&t.terminal_id, public_key, tail, held) {
        tracing::error!(terminal = %t.terminal_id, seq = tail.seq, %detail, "ALERT: {code}");
        write_alert(tx, &t.terminal_id, code, tail.seq, &detail)?;
    }
    Ok(())
}

/// Writes the alert of a refused batch (its transaction already rolled back).
fn refuse(conn: &Connection, t: &TerminalAuth, r: ingest::Refusal) -> Result<IngestOutcome> {
    write_alert(conn, &t.terminal_id, r.code.as_str(), r.seq, &r.detail)?;
    Ok(IngestOutcome::Refused(r))
}

fn write_alert(
    conn: &Connection,
    terminal_id: &str,
    code: &str,
    seq: u64,
    detail: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO alerts (at, terminal_id, code, seq, detail) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (terminal_id, code, seq) DO UPDATE
         SET count = count + 1, at = excluded.at, detail = excluded.detail",
    )?
    .execute(params![
        now_rfc3339(),
        terminal_id,
        code,
        to_i64(seq),
        detail
    ])?;
    Ok(())
}

fn event_from_row(r: &rusqlite::Row<'_>, base: usize, terminal_id: String) -> Result<StoredEvent> {
    let prev: Vec<u8> = r.get(base + 4)?;
    let hash: Vec<u8> = r.get(base + 5)?;
    Ok(StoredEvent {
        terminal_id,
        seq: to_u64(r.get(base)?),
        ts: r.get(base + 1)?,
        kind: r.get(base + 2)?,
        payload: r.get(base + 3)?,
        prev_hash: hash32("events.prev_hash", &prev)?,
        hash: hash32("events.hash", &hash)?,
        signature: r.get(base + 6)?,
    })
}

impl Store for SqliteStore {
    fn migrate(&self) -> Result<()> {
        let c = self.lock()?;
        let v: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if v > SCHEMA_VERSION {
            return Err(StoreError::Invalid(format!(
                "database schema {v} is newer than this build ({SCHEMA_VERSION})"
            )));
        }
        c.execute_batch(SCHEMA)?;
        // Schema 3: read tokens.
        c.execute_batch(super::tokens::SQLITE_SCHEMA)?;
        // Schema 2: columns added to tables of schema 1.
        for (table, column, decl) in [
            ("alerts", "cleared_at", "TEXT"),
            ("catalog", "deleted", "INTEGER NOT NULL DEFAULT 0"),
        ] {
            let n: i64 = c.query_row(
                "SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2",
                [table, column],
                |r| r.get(0),
            )?;
            if n == 0 {
                c.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {decl}"))?;
            }
        }
        c.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        Ok(())
    }

    fn ping(&self) -> Result<()> {
        let c = self.lock()?;
        c.query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }

    fn register_terminal(&self, store_id: &str, terminal_id: &str, token: &[u8; 32]) -> Result<()> {
        let mut c = self.lock()?;
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = now_rfc3339();
        tx.execute(
            "INSERT INTO stores (store_id, created_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![store_id, now],
        )?;
        let existing: Option<String> = tx
            .query_row(
                "SELECT store_id FROM terminals WHERE terminal_id = ?1",
                [terminal_id],
                |r| r.get(0),
            )
            .optional()?;
        match existing {
            Some(s) if s != store_id => {
                return Err(StoreError::Invalid(format!(
                    "terminal {terminal_id} belongs to store {s}, not {store_id}"
                )))
            }
            // Re-registering issues a new credential; the chain state stays.
            Some(_) => {
                tx.execute(
                    "UPDATE terminals SET token_sha256 = ?2 WHERE terminal_id = ?1",
                    params![terminal_id, &token[..]],
                )?;
            }
            None => {
                tx.execute(
                    "INSERT INTO terminals (terminal_id, store_id, token_sha256, created_at, last_hash)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![terminal_id, store_id, &token[..], now, &GENESIS_PREV_HASH[..]],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn authenticate(&self, token: &[u8; 32]) -> Result<Option<TerminalAuth>> {
        let c = self.auth.lock().unwrap_or_else(|p| p.into_inner());
        let r = c
            .prepare_cached("SELECT terminal_id, store_id FROM terminals WHERE token_sha256 = ?1")?
            .query_row([&token[..]], |r| {
                Ok(TerminalAuth {
                    terminal_id: r.get(0)?,
                    store_id: r.get(1)?,
                })
            })
            .optional()?;
        Ok(r)
    }

    fn add_read_token(&self, label: &str, role: Role, sha: &[u8; 32]) -> Result<()> {
        super::tokens::sqlite::add(&*self.lock()?, label, role, sha)
    }

    fn read_token_role(&self, sha: &[u8; 32]) -> Result<Option<Role>> {
        let c = self.auth.lock().unwrap_or_else(|p| p.into_inner());
        super::tokens::sqlite::role(&c, sha)
    }

    fn read_tokens(&self) -> Result<Vec<super::ReadToken>> {
        super::tokens::sqlite::list(&*self.lock()?)
    }

    fn revoke_read_token(&self, label: &str) -> Result<bool> {
        super::tokens::sqlite::revoke(&*self.lock()?, label)
    }

    fn ingest(&self, t: &TerminalAuth, batch: &[StoredEvent]) -> Result<IngestOutcome> {
        let work = ingest::Shared::new(batch, CHUNK);
        std::thread::scope(|scope| {
            scope.spawn(|| work.help());
            let r = self.ingest_prepared(t, &work);
            work.cancel();
            r
        })
    }

    fn ingest_prepared(
        &self,
        t: &TerminalAuth,
        work: &ingest::Shared<'_>,
    ) -> Result<IngestOutcome> {
        let batch = work.events();
        let mut c = self.lock()?;
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (h, public_key) = head(&tx, &t.terminal_id)?;
        let plan = {
            let mut st =
                tx.prepare_cached("SELECT hash FROM events WHERE terminal_id = ?1 AND seq = ?2")?;
            ingest::plan_links(h, batch, |seq| -> Result<Option<[u8; 32]>> {
                let v: Option<Vec<u8>> = st
                    .query_row(params![t.terminal_id, to_i64(seq)], |r| r.get(0))
                    .optional()?;
                v.map(|v| hash32("events.hash", &v)).transpose()
            })?
        };
        let now = now_rfc3339();
        match plan {
            Plan::Store { skip } => {
                let new = &batch[skip..];
                if let Some(r) =
                    ingest::vet(&t.terminal_id, &t.store_id, public_key.as_deref(), new)
                {
                    work.cancel();
                    drop(tx);
                    return refuse(&c, t, r);
                }
                if let Some((seq, detail)) = ingest::check_signatures(public_key.as_deref(), new) {
                    work.cancel();
                    drop(tx);
                    write_alert(&c, &t.terminal_id, "bad_signature", seq, &detail)?;
                    return Ok(IngestOutcome::BadSignature { seq, detail });
                }
                let last = new.last();
                if let Some(last) = last {
                    let (bad_hash, deltas) = if skip == 0 {
                        insert_events(&tx, t, new)?;
                        work.finish()
                            .map_err(|e| StoreError::Invalid(e.to_string()))?
                    } else {
                        // A resend overlapping what is held (rare): the work
                        // under way covers the whole batch, redo it on the new part.
                        work.cancel();
                        let part = ingest::Shared::new(new, CHUNK);
                        std::thread::scope(|scope| {
                            scope.spawn(|| part.help());
                            insert_events(&tx, t, new)?;
                            part.finish()
                                .map_err(|e| StoreError::Invalid(e.to_string()))
                        })?
                    };
                    if let Some(Plan::HashMismatch { seq, detail }) = bad_hash {
                        drop(tx);
                        write_alert(&c, &t.terminal_id, "hash_mismatch", seq, &detail)?;
                        return Ok(IngestOutcome::HashMismatch { seq, detail });
                    }
                    if let Some(r) = deltas.refused {
                        drop(tx);
                        return refuse(&c, t, r);
                    }
                    for (seq, detail) in &deltas.undecodable {
                        tracing::warn!(terminal = %t.terminal_id, seq, %detail, "ALERT: event kept but not projected");
                        write_alert(&tx, &t.terminal_id, "unknown_kind", *seq, detail)?;
                    }
                    apply_deltas(&tx, t, &deltas)?;
                    low_stock(&tx, t, &deltas, last.seq, &now)?;
                    let key = deltas.public_key.as_deref().or(public_key.as_deref());
                    check_tail(&tx, t, work, key, last.seq)?;
                    tx.prepare_cached(
                        "UPDATE terminals SET last_seq = ?2, last_hash = ?3, last_seen = ?4, last_event_ts = ?5
                         WHERE terminal_id = ?1",
                    )?
                    .execute(params![t.terminal_id, to_i64(last.seq), &last.hash[..], now, last.ts])?;
                } else {
                    work.cancel();
                    check_tail(&tx, t, work, public_key.as_deref(), h.last_seq)?;
                    tx.prepare_cached(
                        "UPDATE terminals SET last_seen = ?2 WHERE terminal_id = ?1",
                    )?
                    .execute(params![t.terminal_id, now])?;
                }
                tx.commit()?;
                Ok(IngestOutcome::Acked {
                    acked_seq: last.map(|e| e.seq).unwrap_or(h.last_seq),
                    stored: new.len() as u64,
                    duplicates: skip as u64,
                })
            }
            Plan::Gap { expected } => {
                work.cancel();
                Ok(IngestOutcome::Gap { expected })
            }
            Plan::Broken { seq, detail } => {
                work.cancel();
                drop(tx);
                write_alert(&c, &t.terminal_id, "chain_broken", seq, &detail)?;
                Ok(IngestOutcome::Broken { seq, detail })
            }
            Plan::HashMismatch { seq, detail } => {
                work.cancel();
                drop(tx);
                write_alert(&c, &t.terminal_id, "hash_mismatch", seq, &detail)?;
                Ok(IngestOutcome::HashMismatch { seq, detail })
            }
        }
    }

    fn load_catalog(&self, rows: &[CatalogRow]) -> Result<u64> {
        let mut c = self.lock()?;
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row(
            "SELECT coalesce(max(version), 0) + 1 FROM catalog_versions",
            [],
            |r| r.get(0),
        )?;
        let mut changed = 0i64;
        {
            let mut get = tx.prepare_cached(
                "SELECT item, deleted FROM catalog WHERE store_id = ?1 AND item_id = ?2",
            )?;
            let mut put = tx.prepare_cached(
                "INSERT INTO catalog (store_id, item_id, version, item, deleted) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (store_id, item_id) DO UPDATE
                 SET version = excluded.version, item = excluded.item, deleted = excluded.deleted",
            )?;
            let mut threshold = tx.prepare_cached(
                "INSERT INTO stock_thresholds (store_id, item_id, threshold) VALUES (?1, ?2, ?3)
                 ON CONFLICT (store_id, item_id) DO UPDATE SET threshold = excluded.threshold",
            )?;
            let mut unthreshold = tx.prepare_cached(
                "DELETE FROM stock_thresholds WHERE store_id = ?1 AND item_id = ?2",
            )?;
            for row in rows {
                let store = row.store_id.as_deref().unwrap_or("");
                let old: Option<(String, bool)> = get
                    .query_row(params![store, row.item.id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                if row.deleted {
                    unthreshold.execute(params![store, row.item.id])?;
                    // Withdrawn: keep the last item text, flag it (a
                    // withdrawal of an item never loaded is nothing to publish).
                    if let Some((item, false)) = old {
                        put.execute(params![store, row.item.id, version, item, true])?;
                        changed += 1;
                    }
                    continue;
                }
                if let Some(th) = row.low_stock {
                    threshold.execute(params![store, row.item.id, th.to_string()])?;
                }
                let json = serde_json::to_string(&row.item)
                    .map_err(|e| StoreError::Invalid(format!("item {}: {e}", row.item.id)))?;
                // Unchanged items keep their version, so tills do not download them again.
                if old != Some((json.clone(), false)) {
                    put.execute(params![store, row.item.id, version, json, false])?;
                    changed += 1;
                }
            }
        }
        if changed > 0 {
            tx.execute(
                "INSERT INTO catalog_versions (version, loaded_at, items) VALUES (?1, ?2, ?3)",
                params![version, now_rfc3339(), changed],
            )?;
        }
        // Thresholds may have changed even when no item did.
        tx.commit()?;
        Ok(to_u64(if changed > 0 { version } else { version - 1 }))
    }

    fn catalog_since(&self, store_id: &str, since: u64) -> Result<CatalogDelta> {
        let c = self.lock()?;
        let current: i64 = c.query_row(
            "SELECT coalesce(max(version), 0) FROM catalog_versions",
            [],
            |r| r.get(0),
        )?;
        let mut st = c.prepare_cached(
            "SELECT store_id, item_id, version, item, deleted FROM catalog
             WHERE store_id IN ('', ?1) AND item_id IN
               (SELECT item_id FROM catalog WHERE version > ?2 AND store_id IN ('', ?1))
             ORDER BY item_id, store_id",
        )?;
        let mut rows = st.query(params![store_id, to_i64(since)])?;
        let mut found = Vec::new();
        while let Some(r) = rows.next()? {
            let store: String = r.get(0)?;
            found.push(super::CatalogFound {
                own: !store.is_empty(),
                item_id: r.get(1)?,
                version: to_u64(r.get(2)?),
                item: r.get(3)?,
                deleted: r.get(4)?,
            });
        }
        super::catalog_delta(since, to_u64(current), found)
    }

    fn terminals(&self) -> Result<Vec<TerminalState>> {
        let c = self.lock()?;
        let mut st = c.prepare_cached(
            "SELECT t.terminal_id, t.store_id, t.last_seq, t.last_seen, t.last_event_ts,
                    (SELECT count(*) FROM events e WHERE e.terminal_id = t.terminal_id),
                    (SELECT count(*) FROM alerts a WHERE a.terminal_id = t.terminal_id AND a.cleared_at IS NULL)
             FROM terminals t ORDER BY t.store_id, t.terminal_id",
        )?;
        let rows = st.query_map([], |r| {
            Ok(TerminalState {
                terminal_id: r.get(0)?,
                store_id: r.get(1)?,
                last_seq: to_u64(r.get(2)?),
                last_seen: r.get(3)?,
                last_event_ts: r.get(4)?,
                events: to_u64(r.get(5)?),
                alerts: to_u64(r.get(6)?),
                lag_seconds: None,
            })
        })?;
        let mut out = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        for t in &mut out {
            t.lag_seconds = super::lag_seconds(t.last_event_ts.as_deref());
        }
        Ok(out)
    }

    fn sales(
        &self,
        store: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<SalesRow>> {
        let c = self.lock()?;
        let mut st = c.prepare_cached(
            "SELECT store_id, day, key, amount FROM sales_totals
             WHERE (?1 IS NULL OR store_id = ?1) AND (?2 IS NULL OR day >= ?2) AND (?3 IS NULL OR day <= ?3)
             ORDER BY store_id, day, key",
        )?;
        let mut rows = st.query(params![store, from, to])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let amount: String = r.get(3)?;
            out.push(SalesRow {
                store_id: r.get(0)?,
                day: r.get(1)?,
                key: r.get(2)?,
                amount: parse_dec("sales_totals.amount", &amount)?,
            });
        }
        Ok(out)
    }

    fn stock(&self, store: Option<&str>) -> Result<Vec<StockLevel>> {
        let c = self.lock()?;
        let mut st = c.prepare_cached(
            "SELECT store_id, item_id, level FROM stock_levels
             WHERE (?1 IS NULL OR store_id = ?1) ORDER BY store_id, item_id",
        )?;
        let mut rows = st.query(params![store])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let level: String = r.get(2)?;
            out.push(StockLevel {
                store_id: r.get(0)?,
                item_id: r.get(1)?,
                level: parse_dec("stock_levels.level", &level)?,
            });
        }
        Ok(out)
    }

    fn closings(&self, terminal: Option<&str>) -> Result<Vec<ClosingReceived>> {
        let c = self.lock()?;
        let mut st = c.prepare_cached(
            "SELECT terminal_id, store_id, seq, kind, period, first_seq, last_seq, net_total, grand_total, grand_total_abs
             FROM closings WHERE (?1 IS NULL OR terminal_id = ?1) ORDER BY terminal_id, seq",
        )?;
        let mut rows = st.query(params![terminal])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let (a, b, g): (String, String, String) = (r.get(7)?, r.get(8)?, r.get(9)?);
            out.push(ClosingReceived {
                terminal_id: r.get(0)?,
                store_id: r.get(1)?,
                seq: to_u64(r.get(2)?),
                kind: r.get(3)?,
                period: r.get(4)?,
                first_seq: to_u64(r.get(5)?),
                last_seq: to_u64(r.get(6)?),
                net_total: parse_dec("closings.net_total", &a)?,
                grand_total: parse_dec("closings.grand_total", &b)?,
                grand_total_abs: parse_dec("closings.grand_total_abs", &g)?,
            });
        }
        Ok(out)
    }

    fn alerts(&self) -> Result<Vec<Alert>> {
        let c = self.lock()?;
        let mut st = c.prepare_cached(
            "SELECT id, at, terminal_id, code, seq, detail, count, cleared_at FROM alerts ORDER BY id",
        )?;
        let rows = st.query_map([], |r| {
            Ok(Alert {
                id: r.get(0)?,
                at: r.get(1)?,
                terminal_id: r.get(2)?,
                code: r.get(3)?,
                seq: to_u64(r.get(4)?),
                detail: r.get(5)?,
                count: to_u64(r.get(6)?),
                cleared_at: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn feed(&self, after: i64, limit: usize) -> Result<Vec<FeedEvent>> {
        let c = self.lock()?;
        let mut st = c.prepare_cached(
            "SELECT id, store_id, terminal_id, seq, ts, kind, payload, prev_hash, hash, signature
             FROM events WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let mut rows = st.query(params![after, i64::try_from(limit).unwrap_or(i64::MAX)])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(FeedEvent {
                cursor: r.get(0)?,
                store_id: r.get(1)?,
                event: event_from_row(r, 3, r.get(2)?)?,
            });
        }
        Ok(out)
    }

    fn event_counts(&self) -> Result<(u64, u64)> {
        let c = self.lock()?;
        let (n, d): (i64, i64) = c.query_row(
            "SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT terminal_id, seq FROM events)) FROM events",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((to_u64(n), to_u64(d)))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dec_add_is_exact_on_both_paths() {
        let c = rusqlite::Connection::open_in_memory().expect("sqlite");
        super::register_dec_add(&c).expect("dec_add");
        let add = |a: &str, b: &str| -> String {
            c.query_row("SELECT dec_add(?1, ?2)", [a, b], |r| r.get(0))
                .expect("adds")
        };
        assert_eq!(add("5", "-7"), "-2");
        assert_eq!(add("1.5", "2"), "3.5");
        assert_eq!(add("0.10", "0.20"), "0.30");
        assert_eq!(add("9223372036854775807", "1"), "9223372036854775808");
        assert!(c
            .query_row("SELECT dec_add('x', '1')", [], |r| r.get::<_, String>(0))
            .is_err());
    }
}
