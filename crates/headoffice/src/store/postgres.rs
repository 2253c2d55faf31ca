//! The PostgreSQL backend: same rules as SQLite (the shared [`crate::ingest`]
//! plans every batch), same tables, for a chain of shops.
//!
//! - Concurrency: each ingest locks its terminal's row (`FOR UPDATE`), so two
//!   pushes of one terminal serialise while different terminals run in
//!   parallel. Writes are multi-row (`unnest` of arrays): one statement per
//!   table per batch. Projections are added in SQL (`NUMERIC`, exact).
//! - The ERP feed orders events by `id`. A sequence hands ids out in start
//!   order, not commit order, so a reader could pass over an id whose
//!   transaction commits later; a transaction-scoped advisory lock taken just
//!   before the events are inserted makes ids follow commit order (only the
//!   insert-and-commit tail is serialised, not validation).
//! - Deadlocks and serialisation failures are retried.
//! - A small connection pool; the `postgres` crate is blocking, called from
//!   `spawn_blocking` like SQLite.

use super::{
    hash32, now_rfc3339, parse_dec, to_i64, to_u64, Alert, CatalogRow, ClosingReceived, FeedEvent,
    IngestOutcome, Result, SalesRow, StockLevel, Store, StoreError, TerminalAuth, TerminalState,
};
use crate::access::Role;
use crate::ingest::{self, ChainHead, Deltas, Plan};
use postgres::{Client, GenericClient, NoTls, Transaction};
use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex};
use sync_proto::CatalogDelta;
use till_journal::chain::GENESIS_PREV_HASH;
use till_journal::StoredEvent;

const SCHEMA_VERSION: i32 = 3;
/// Advisory lock key that orders feed ids (arbitrary, stable).
const FEED_LOCK: i64 = 0x636f_6d70_7465_6564;

const SCHEMA: &str = r#"
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

/// Connections kept open.
const POOL_MAX: usize = 16;

/// Head office on PostgreSQL.
pub struct PgStore {
    url: String,
    idle: Mutex<(Vec<Client>, usize)>,
    freed: Condvar,
}

/// A pooled connection, returned on drop (unless it broke).
struct Conn<'a> {
    store: &'a PgStore,
    client: Option<Client>,
}

impl std::ops::Deref for Conn<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        // Always Some until drop.
        self.client
            .as_ref()
            .unwrap_or_else(|| unreachable!("client taken before drop"))
    }
}
impl std::ops::DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.client
            .as_mut()
            .unwrap_or_else(|| unreachable!("client taken before drop"))
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        let mut g = self.store.idle.lock().unwrap_or_else(|p| p.into_inner());
        match self.client.take() {
            Some(c) if !c.is_closed() => g.0.push(c),
            // A broken connection frees its slot; a new one is made on demand.
            _ => g.1 = g.1.saturating_sub(1),
        }
        self.store.freed.notify_one();
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Closing a `postgres::Client` blocks on its own runtime, which panics
        // on a tokio worker (where the server's state is dropped at shutdown):
        // close the idle connections on a plain thread.
        let idle = std::mem::take(&mut self.idle.get_mut().unwrap_or_else(|p| p.into_inner()).0);
        if let Ok(h) = std::thread::Builder::new()
            .name("pg-close".into())
            .spawn(move || drop(idle))
        {
            let _ = h.join();
        }
    }
}

fn is_retryable(e: &postgres::Error) -> bool {
    e.code().is_some_and(|c| {
        *c == postgres::error::SqlState::T_R_SERIALIZATION_FAILURE
            || *c == postgres::error::SqlState::T_R_DEADLOCK_DETECTED
    })
}

impl PgStore {
    /// Ingests `batch` with the tail marker it carried, retrying deadlocks
    /// and serialisation failures.
    fn ingest_tail(
        &self,
        t: &TerminalAuth,
        batch: &[StoredEvent],
        tail: Option<&ingest::TailSeen>,
    ) -> Result<IngestOutcome> {
        let mut c = self.conn()?;
        let mut attempt = 0;
        loop {
            match self.ingest_once(&mut c, t, batch, tail) {
                Ok(o) => return Ok(o),
                Err(PgOrStore::Pg(e)) if is_retryable(&e) && attempt < 5 => attempt += 1,
                Err(PgOrStore::Pg(e)) => return Err(e.into()),
                Err(PgOrStore::Store(e)) => return Err(e),
            }
        }
    }

    /// Connects (one connection now, to fail early; more on demand).
    pub fn connect(url: &str) -> Result<PgStore> {
        let first = Client::connect(url, NoTls)?;
        Ok(PgStore {
            url: url.to_string(),
            idle: Mutex::new((vec![first], 1)),
            freed: Condvar::new(),
        })
    }

    fn conn(&self) -> Result<Conn<'_>> {
        let mut g = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(c) = g.0.pop() {
                return Ok(Conn {
                    store: self,
                    client: Some(c),
                });
            }
            if g.1 < POOL_MAX {
                g.1 += 1;
                drop(g);
                return match Client::connect(&self.url, NoTls) {
                    Ok(c) => Ok(Conn {
                        store: self,
                        client: Some(c),
                    }),
                    Err(e) => {
                        let mut g = self.idle.lock().unwrap_or_else(|p| p.into_inner());
                        g.1 = g.1.saturating_sub(1);
                        Err(e.into())
                    }
                };
            }
            g = self.freed.wait(g).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn ingest_once(
        &self,
        c: &mut Client,
        t: &TerminalAuth,
        batch: &[StoredEvent],
        tail: Option<&ingest::TailSeen>,
    ) -> std::result::Result<IngestOutcome, PgOrStore> {
        let mut tx = c.transaction()?;
        let row = tx.query_opt(
            "SELECT last_seq, last_hash, public_key FROM terminals WHERE terminal_id = $1 FOR UPDATE",
            &[&t.terminal_id],
        )?;
        let row =
            row.ok_or_else(|| StoreError::Invalid(format!("unknown terminal {}", t.terminal_id)))?;
        let hash: Vec<u8> = row.get(1);
        let public_key: Option<String> = row.get(2);
        let h = ChainHead {
            last_seq: to_u64(row.get(0)),
            last_hash: hash32("terminals.last_hash", &hash)?,
        };
        // Hashes of the already-held part of the batch, in one query.
        let held: BTreeMap<u64, Vec<u8>> = match (batch.first(), h.last_seq) {
            (Some(f), last) if f.seq <= last => tx
                .query(
                    "SELECT seq, hash FROM events WHERE terminal_id = $1 AND seq >= $2 AND seq <= $3",
                    &[&t.terminal_id, &to_i64(f.seq), &to_i64(last)],
                )?
                .iter()
                .map(|r| (to_u64(r.get(0)), r.get(1)))
                .collect(),
            _ => BTreeMap::new(),
        };
        let plan = ingest::plan(h, batch, |seq| -> Result<Option<[u8; 32]>> {
            held.get(&seq).map(|v| hash32("events.hash", v)).transpose()
        })?;
        let now = now_rfc3339();
        match plan {
            Plan::Store { skip } => {
                let new = &batch[skip..];
                if let Some(r) =
                    ingest::vet(&t.terminal_id, &t.store_id, public_key.as_deref(), new)
                {
                    drop(tx);
                    write_alert(c, &t.terminal_id, r.code.as_str(), r.seq, &r.detail)?;
                    return Ok(IngestOutcome::Refused(r));
                }
                if let Some((seq, detail)) = ingest::check_signatures(public_key.as_deref(), new) {
                    drop(tx);
                    write_alert(c, &t.terminal_id, "bad_signature", seq, &detail)?;
                    return Ok(IngestOutcome::BadSignature { seq, detail });
                }
                if let Some(last) = new.last() {
                    // Payloads are read for the projections on a second thread
                    // while the rows are inserted.
                    let deltas = std::thread::scope(|scope| {
                        let reader = scope.spawn(|| Deltas::of(new));
                        let inserted = tx
                            .execute("SELECT pg_advisory_xact_lock($1)", &[&FEED_LOCK])
                            .map_err(PgOrStore::from)
                            .and_then(|_| insert_events(&mut tx, t, new).map_err(PgOrStore::from));
                        let deltas = reader.join().map_err(|_| {
                            PgOrStore::Store(StoreError::Invalid(
                                "reading the batch's payloads panicked".into(),
                            ))
                        });
                        inserted.and(deltas)
                    })?;
                    if let Some(r) = deltas.refused {
                        drop(tx);
                        write_alert(c, &t.terminal_id, r.code.as_str(), r.seq, &r.detail)?;
                        return Ok(IngestOutcome::Refused(r));
                    }
                    for (seq, detail) in &deltas.undecodable {
                        tracing::warn!(terminal = %t.terminal_id, seq, %detail, "ALERT: event kept but not projected");
                        write_alert(&mut tx, &t.terminal_id, "unknown_kind", *seq, detail)?;
                    }
                    apply_deltas(&mut tx, t, &deltas)?;
                    low_stock(&mut tx, t, &deltas, last.seq, &now)?;
                    let key = deltas.public_key.as_deref().or(public_key.as_deref());
                    check_tail(&mut tx, t, tail, key, last.seq)?;
                    tx.execute(
                        "UPDATE terminals SET last_seq = $2, last_hash = $3, last_seen = $4, last_event_ts = $5
                         WHERE terminal_id = $1",
                        &[&t.terminal_id, &to_i64(last.seq), &&last.hash[..], &now, &last.ts],
                    )?;
                } else {
                    check_tail(&mut tx, t, tail, public_key.as_deref(), h.last_seq)?;
                    tx.execute(
                        "UPDATE terminals SET last_seen = $2 WHERE terminal_id = $1",
                        &[&t.terminal_id, &now],
                    )?;
                }
                tx.commit()?;
                Ok(IngestOutcome::Acked {
                    acked_seq: new.last().map(|e| e.seq).unwrap_or(h.last_seq),
                    stored: new.len() as u64,
                    duplicates: skip as u64,
                })
            }
            Plan::Gap { expected } => Ok(IngestOutcome::Gap { expected }),
            Plan::Broken { seq, detail } => {
                drop(tx);
                write_alert(c, &t.terminal_id, "chain_broken", seq, &detail)?;
                Ok(IngestOutcome::Broken { seq, detail })
            }
            Plan::HashMismatch { seq, detail } => {
                drop(tx);
                write_alert(c, &t.terminal_id, "hash_mismatch", seq, &detail)?;
                Ok(IngestOutcome::HashMismatch { seq, detail })
            }
        }
    }
}

/// An error that may be retried (PostgreSQL's) or not (ours).
enum PgOrStore {
    Pg(postgres::Error),
    Store(StoreError),
}

impl From<postgres::Error> for PgOrStore {
    fn from(e: postgres::Error) -> Self {
        PgOrStore::Pg(e)
    }
}
impl From<StoreError> for PgOrStore {
    fn from(e: StoreError) -> Self {
        PgOrStore::Store(e)
    }
}

fn insert_events(tx: &mut Transaction<'_>, t: &TerminalAuth, events: &[StoredEvent]) -> Result<()> {
    let seqs: Vec<i64> = events.iter().map(|e| to_i64(e.seq)).collect();
    let ts: Vec<&str> = events.iter().map(|e| e.ts.as_str()).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    let payloads: Vec<&[u8]> = events.iter().map(|e| &e.payload[..]).collect();
    let prevs: Vec<&[u8]> = events.iter().map(|e| &e.prev_hash[..]).collect();
    let hashes: Vec<&[u8]> = events.iter().map(|e| &e.hash[..]).collect();
    let sigs: Vec<Option<&[u8]>> = events.iter().map(|e| e.signature.as_deref()).collect();
    // One statement for the batch; WITH ORDINALITY keeps seq order, so ids follow seqs.
    tx.execute(
        "INSERT INTO events (terminal_id, seq, store_id, ts, kind, payload, prev_hash, hash, signature)
         SELECT $1, u.seq, $2, u.ts, u.kind, u.payload, u.prev_hash, u.hash, u.signature
         FROM unnest($3::bigint[], $4::text[], $5::text[], $6::bytea[], $7::bytea[], $8::bytea[], $9::bytea[])
              WITH ORDINALITY AS u(seq, ts, kind, payload, prev_hash, hash, signature, n)
         ORDER BY u.n",
        &[&t.terminal_id, &t.store_id, &seqs, &ts, &kinds, &payloads, &prevs, &hashes, &sigs],
    )?;
    Ok(())
}

fn apply_deltas(tx: &mut Transaction<'_>, t: &TerminalAuth, d: &Deltas) -> Result<()> {
    if !d.totals.is_empty() {
        // BTreeMap order: every transaction locks rows in the same order (no deadlock).
        let days: Vec<&str> = d.totals.keys().map(|(day, _)| day.as_str()).collect();
        let keys: Vec<&str> = d.totals.keys().map(|(_, k)| k.as_str()).collect();
        let amounts: Vec<String> = d.totals.values().map(|v| v.to_string()).collect();
        tx.execute(
            "INSERT INTO sales_totals (store_id, day, key, amount)
             SELECT $1, u.day, u.key, u.amount::numeric FROM unnest($2::text[], $3::text[], $4::text[]) AS u(day, key, amount)
             ON CONFLICT (store_id, day, key) DO UPDATE SET amount = sales_totals.amount + EXCLUDED.amount",
            &[&t.store_id, &days, &keys, &amounts],
        )?;
    }
    if !d.levels.is_empty() {
        let items: Vec<&str> = d.levels.keys().map(String::as_str).collect();
        let deltas: Vec<String> = d.levels.values().map(|v| v.to_string()).collect();
        tx.execute(
            "INSERT INTO stock_levels (store_id, item_id, level)
             SELECT $1, u.item, u.delta::numeric FROM unnest($2::text[], $3::text[]) AS u(item, delta)
             ON CONFLICT (store_id, item_id) DO UPDATE SET level = stock_levels.level + EXCLUDED.level",
            &[&t.store_id, &items, &deltas],
        )?;
    }
    for c in &d.closings {
        tx.execute(
            "INSERT INTO closings (terminal_id, seq, store_id, kind, period, first_seq, last_seq,
                 net_total, grand_total, grand_total_abs)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::numeric, $9::text::numeric, $10::text::numeric)",
            &[
                &t.terminal_id,
                &to_i64(c.seq),
                &t.store_id,
                &c.kind,
                &c.period,
                &to_i64(c.first_seq),
                &to_i64(c.last_seq),
                &c.net_total.to_string(),
                &c.grand_total.to_string(),
                &c.grand_total_abs.to_string(),
            ],
        )?;
    }
    if let Some(pk) = &d.public_key {
        tx.execute(
            "UPDATE terminals SET public_key = $2 WHERE terminal_id = $1",
            &[&t.terminal_id, pk],
        )?;
    }
    Ok(())
}

/// Raises or clears `low_stock` alerts for the items whose level this batch
/// moved. Runs after the stock upserts, which hold those rows' locks: two
/// terminals of one store take turns per item.
fn low_stock(
    tx: &mut Transaction<'_>,
    t: &TerminalAuth,
    d: &Deltas,
    seq: u64,
    now: &str,
) -> Result<()> {
    if d.levels.is_empty() {
        return Ok(());
    }
    let any: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM stock_thresholds WHERE store_id IN ('', $1))",
            &[&t.store_id],
        )?
        .get(0);
    if !any {
        return Ok(());
    }
    let items: Vec<&str> = d.levels.keys().map(String::as_str).collect();
    let mut rows = Vec::new();
    for r in tx.query(
        "SELECT u.item, l.level::text, coalesce(own.threshold, every.threshold)::text, m.alert_id
         FROM unnest($2::text[]) AS u(item)
         JOIN stock_levels l ON l.store_id = $1 AND l.item_id = u.item
         LEFT JOIN stock_thresholds own ON own.store_id = $1 AND own.item_id = u.item
         LEFT JOIN stock_thresholds every ON every.store_id = '' AND every.item_id = u.item
         LEFT JOIN low_stock m ON m.store_id = $1 AND m.item_id = u.item
         WHERE coalesce(own.threshold, every.threshold) IS NOT NULL",
        &[&t.store_id, &items],
    )? {
        let (level, threshold): (String, String) = (r.get(1), r.get(2));
        rows.push(ingest::LowStockRow {
            item_id: r.get(0),
            level: parse_dec("stock_levels.level", &level)?,
            threshold: parse_dec("stock_thresholds.threshold", &threshold)?,
            open_alert: r.get(3),
        });
    }
    for change in ingest::low_stock_changes(&t.store_id, rows) {
        match change {
            ingest::LowStock::Raise { item_id, detail } => {
                let id: i64 = tx
                    .query_one(
                        "INSERT INTO alerts (at, terminal_id, code, seq, detail) VALUES ($1, $2, $3, $4, $5)
                         ON CONFLICT (terminal_id, code, seq) DO UPDATE
                         SET count = alerts.count + 1, at = EXCLUDED.at, detail = EXCLUDED.detail, cleared_at = NULL
                         RETURNING id",
                        &[&now, &t.terminal_id, &format!("low_stock:{item_id}"), &to_i64(seq), &detail],
                    )?
                    .get(0);
                tx.execute(
                    "INSERT INTO low_stock (store_id, item_id, alert_id) VALUES ($1, $2, $3)
                     ON CONFLICT (store_id, item_id) DO UPDATE SET alert_id = EXCLUDED.alert_id",
                    &[&t.store_id, &item_id, &id],
                )?;
            }
            ingest::LowStock::Clear { item_id, alert_id } => {
                tx.execute(
                    "UPDATE alerts SET cleared_at = $2 WHERE id = $1",
                    &[&alert_id, &now],
                )?;
                tx.execute(
                    "DELETE FROM low_stock WHERE store_id = $1 AND item_id = $2",
                    &[&t.store_id, &item_id],
                )?;
            }
        }
    }
    Ok(())
}

/// Checks the tail marker the batch carried ([`ingest::check_tail`]); an
/// alert commits with the batch, which is stored all the same.
fn check_tail(
    tx: &mut Transaction<'_>,
    t: &TerminalAuth,
    tail: Option<&ingest::TailSeen>,
    public_key: Option<&str>,
    head_seq: u64,
) -> Result<()> {
    let Some(tail) = tail else {
        return Ok(());
    };
    let held = if tail.seq == 0 || tail.seq > head_seq {
        None
    } else {
        tx.query_opt(
            "SELECT hash FROM events WHERE terminal_id = $1 AND seq = $2",
            &[&t.terminal_id, &to_i64(tail.seq)],
        )?
        .map(|r| hash32("events.hash", &r.get::<_, Vec<u8>>(0)))
        .transpose()?
    };
    if let Err((code, detail)) = ingest::check_tail(&t.terminal_id, public_key, tail, held) {
        tracing::error!(terminal = %t.terminal_id, seq = tail.seq, %detail, "ALERT: {code}");
        tx.execute(
            "INSERT INTO alerts (at, terminal_id, code, seq, detail) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (terminal_id, code, seq) DO UPDATE
             SET count = alerts.count + 1, at = EXCLUDED.at, detail = EXCLUDED.detail",
            &[
                &now_rfc3339(),
                &t.terminal_id,
                &code,
                &to_i64(tail.seq),
                &detail,
            ],
        )?;
    }
    Ok(())
}

fn write_alert(
    c: &mut impl GenericClient,
    terminal_id: &str,
    code: &str,
    seq: u64,
    detail: &str,
) -> Result<()> {
    c.execute(
        "INSERT INTO alerts (at, terminal_id, code, seq, detail) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (terminal_id, code, seq) DO UPDATE
         SET count = alerts.count + 1, at = EXCLUDED.at, detail = EXCLUDED.detail",
        &[&now_rfc3339(), &terminal_id, &code, &to_i64(seq), &detail],
    )?;
    Ok(())
}

impl Store for PgStore {
    fn migrate(&self) -> Result<()> {
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        // Serialise concurrent migrations (several head office processes starting).
        tx.execute("SELECT pg_advisory_xact_lock(7423001)", &[])?;
        tx.batch_execute(SCHEMA)?;
        // Schema 3: read tokens.
        tx.batch_execute(super::tokens::PG_SCHEMA)?;
        let v: Option<i32> = tx
            .query_opt("SELECT max(version) FROM schema_version", &[])?
            .and_then(|r| r.get(0));
        match v {
            Some(v) if v > SCHEMA_VERSION => {
                return Err(StoreError::Invalid(format!(
                    "database schema {v} is newer than this build ({SCHEMA_VERSION})"
                )))
            }
            Some(v) if v == SCHEMA_VERSION => {}
            _ => {
                tx.execute("DELETE FROM schema_version", &[])?;
                tx.execute(
                    "INSERT INTO schema_version (version) VALUES ($1)",
                    &[&SCHEMA_VERSION],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn ping(&self) -> Result<()> {
        self.conn()?.simple_query("SELECT 1")?;
        Ok(())
    }

    fn register_terminal(&self, store_id: &str, terminal_id: &str, token: &[u8; 32]) -> Result<()> {
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        let now = now_rfc3339();
        tx.execute(
            "INSERT INTO stores (store_id, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&store_id, &now],
        )?;
        let existing: Option<String> = tx
            .query_opt(
                "SELECT store_id FROM terminals WHERE terminal_id = $1 FOR UPDATE",
                &[&terminal_id],
            )?
            .map(|r| r.get(0));
        match existing {
            Some(s) if s != store_id => {
                return Err(StoreError::Invalid(format!(
                    "terminal {terminal_id} belongs to store {s}, not {store_id}"
                )))
            }
            Some(_) => {
                tx.execute(
                    "UPDATE terminals SET token_sha256 = $2 WHERE terminal_id = $1",
                    &[&terminal_id, &&token[..]],
                )?;
            }
            None => {
                tx.execute(
                    "INSERT INTO terminals (terminal_id, store_id, token_sha256, created_at, last_hash)
                     VALUES ($1, $2, $3, $4, $5)",
                    &[&terminal_id, &store_id, &&token[..], &now, &&GENESIS_PREV_HASH[..]],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn authenticate(&self, token: &[u8; 32]) -> Result<Option<TerminalAuth>> {
        let mut c = self.conn()?;
        Ok(c.query_opt(
            "SELECT terminal_id, store_id FROM terminals WHERE token_sha256 = $1",
            &[&&token[..]],
        )?
        .map(|r| TerminalAuth {
            terminal_id: r.get(0),
            store_id: r.get(1),
        }))
    }

    fn add_read_token(&self, label: &str, role: Role, sha: &[u8; 32]) -> Result<()> {
        super::tokens::pg::add(&mut *self.conn()?, label, role, sha)
    }

    fn read_token_role(&self, sha: &[u8; 32]) -> Result<Option<Role>> {
        super::tokens::pg::role(&mut *self.conn()?, sha)
    }

    fn read_tokens(&self) -> Result<Vec<super::ReadToken>> {
        super::tokens::pg::list(&mut *self.conn()?)
    }

    fn revoke_read_token(&self, label: &str) -> Result<bool> {
        super::tokens::pg::revoke(&mut *self.conn()?, label)
    }

    fn ingest(&self, t: &TerminalAuth, batch: &[StoredEvent]) -> Result<IngestOutcome> {
        self.ingest_tail(t, batch, None)
    }

    fn ingest_prepared(
        &self,
        t: &TerminalAuth,
        work: &ingest::Shared<'_>,
    ) -> Result<IngestOutcome> {
        // Hashing and payload reading run here inside the transaction,
        // beside the insert (see ingest_once), not ahead of it.
        work.cancel();
        self.ingest_tail(t, work.events(), work.tail())
    }

    fn load_catalog(&self, rows: &[CatalogRow]) -> Result<u64> {
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        tx.execute("LOCK TABLE catalog_versions IN EXCLUSIVE MODE", &[])?;
        let version: i64 = tx
            .query_one(
                "SELECT coalesce(max(version), 0) + 1 FROM catalog_versions",
                &[],
            )?
            .get(0);
        let mut changed = 0i64;
        for row in rows {
            let store = row.store_id.as_deref().unwrap_or("");
            if row.deleted {
                tx.execute(
                    "DELETE FROM stock_thresholds WHERE store_id = $1 AND item_id = $2",
                    &[&store, &row.item.id],
                )?;
                // Withdrawn: the last item text stays, flagged.
                let n = tx.execute(
                    "UPDATE catalog SET version = $3, deleted = true
                     WHERE store_id = $1 AND item_id = $2 AND NOT deleted",
                    &[&store, &row.item.id, &version],
                )?;
                changed += i64::try_from(n).unwrap_or(0);
                continue;
            }
            if let Some(th) = row.low_stock {
                tx.execute(
                    "INSERT INTO stock_thresholds (store_id, item_id, threshold) VALUES ($1, $2, $3::text::numeric)
                     ON CONFLICT (store_id, item_id) DO UPDATE SET threshold = EXCLUDED.threshold",
                    &[&store, &row.item.id, &th.to_string()],
                )?;
            }
            let json = serde_json::to_string(&row.item)
                .map_err(|e| StoreError::Invalid(format!("item {}: {e}", row.item.id)))?;
            // Unchanged items keep their version.
            let n = tx.execute(
                "INSERT INTO catalog (store_id, item_id, version, item, deleted) VALUES ($1, $2, $3, $4, false)
                 ON CONFLICT (store_id, item_id) DO UPDATE
                 SET version = EXCLUDED.version, item = EXCLUDED.item, deleted = false
                 WHERE catalog.item <> EXCLUDED.item OR catalog.deleted",
                &[&store, &row.item.id, &version, &json],
            )?;
            changed += i64::try_from(n).unwrap_or(0);
        }
        if changed > 0 {
            tx.execute(
                "INSERT INTO catalog_versions (version, loaded_at, items) VALUES ($1, $2, $3)",
                &[&version, &now_rfc3339(), &changed],
            )?;
        }
        // Thresholds may have changed even when no item did.
        tx.commit()?;
        Ok(to_u64(if changed > 0 { version } else { version - 1 }))
    }

    fn catalog_since(&self, store_id: &str, since: u64) -> Result<CatalogDelta> {
        let mut c = self.conn()?;
        let current: i64 = c
            .query_one(
                "SELECT coalesce(max(version), 0) FROM catalog_versions",
                &[],
            )?
            .get(0);
        let rows = c.query(
            "SELECT store_id, item_id, version, item, deleted FROM catalog
             WHERE store_id IN ('', $1) AND item_id IN
               (SELECT item_id FROM catalog WHERE version > $2 AND store_id IN ('', $1))
             ORDER BY item_id, store_id",
            &[&store_id, &to_i64(since)],
        )?;
        let found = rows
            .iter()
            .map(|r| {
                let store: String = r.get(0);
                super::CatalogFound {
                    own: !store.is_empty(),
                    item_id: r.get(1),
                    version: to_u64(r.get(2)),
                    item: r.get(3),
                    deleted: r.get(4),
                }
            })
            .collect();
        super::catalog_delta(since, to_u64(current), found)
    }

    fn terminals(&self) -> Result<Vec<TerminalState>> {
        let mut c = self.conn()?;
        let rows = c.query(
            "SELECT t.terminal_id, t.store_id, t.last_seq, t.last_seen, t.last_event_ts,
                    (SELECT count(*) FROM events e WHERE e.terminal_id = t.terminal_id),
                    (SELECT count(*) FROM alerts a WHERE a.terminal_id = t.terminal_id AND a.cleared_at IS NULL)
             FROM terminals t ORDER BY t.store_id, t.terminal_id",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| TerminalState {
                terminal_id: r.get(0),
                store_id: r.get(1),
                last_seq: to_u64(r.get(2)),
                last_seen: r.get(3),
                last_event_ts: r.get(4),
                events: to_u64(r.get(5)),
                alerts: to_u64(r.get(6)),
                lag_seconds: super::lag_seconds(r.get::<_, Option<String>>(4).as_deref()),
            })
            .collect())
    }

    fn sales(
        &self,
        store: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<SalesRow>> {
        let mut c = self.conn()?;
        let rows = c.query(
            "SELECT store_id, day, key, amount::text FROM sales_totals
             WHERE ($1::text IS NULL OR store_id = $1) AND ($2::text IS NULL OR day >= $2)
               AND ($3::text IS NULL OR day <= $3)
             ORDER BY store_id, day, key",
            &[&store, &from, &to],
        )?;
        rows.iter()
            .map(|r| {
                let a: String = r.get(3);
                Ok(SalesRow {
                    store_id: r.get(0),
                    day: r.get(1),
                    key: r.get(2),
                    amount: parse_dec("sales_totals.amount", &a)?,
                })
            })
            .collect()
    }

    fn stock(&self, store: Option<&str>) -> Result<Vec<StockLevel>> {
        let mut c = self.conn()?;
        let rows = c.query(
            "SELECT store_id, item_id, level::text FROM stock_levels
             WHERE ($1::text IS NULL OR store_id = $1) ORDER BY store_id, item_id",
            &[&store],
        )?;
        rows.iter()
            .map(|r| {
                let l: String = r.get(2);
                Ok(StockLevel {
                    store_id: r.get(0),
                    item_id: r.get(1),
                    level: parse_dec("stock_levels.level", &l)?,
                })
            })
            .collect()
    }

    fn closings(&self, terminal: Option<&str>) -> Result<Vec<ClosingReceived>> {
        let mut c = self.conn()?;
        let rows = c.query(
            "SELECT terminal_id, store_id, seq, kind, period, first_seq, last_seq,
                    net_total::text, grand_total::text, grand_total_abs::text
             FROM closings WHERE ($1::text IS NULL OR terminal_id = $1) ORDER BY terminal_id, seq",
            &[&terminal],
        )?;
        rows.iter()
            .map(|r| {
                let (a, b, g): (String, String, String) = (r.get(7), r.get(8), r.get(9));
                Ok(ClosingReceived {
                    terminal_id: r.get(0),
                    store_id: r.get(1),
                    seq: to_u64(r.get(2)),
                    kind: r.get(3),
                    period: r.get(4),
                    first_seq: to_u64(r.get(5)),
                    last_seq: to_u64(r.get(6)),
                    net_total: parse_dec("closings.net_total", &a)?,
                    grand_total: parse_dec("closings.grand_total", &b)?,
                    grand_total_abs: parse_dec("closings.grand_total_abs", &g)?,
                })
            })
            .collect()
    }

    fn alerts(&self) -> Result<Vec<Alert>> {
        let mut c = self.conn()?;
        let rows = c.query(
            "SELECT id, at, terminal_id, code, seq, detail, count, cleared_at FROM alerts ORDER BY id",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| Alert {
                id: r.get(0),
                at: r.get(1),
                terminal_id: r.get(2),
                code: r.get(3),
                seq: to_u64(r.get(4)),
                detail: r.get(5),
                count: to_u64(r.get(6)),
                cleared_at: r.get(7),
            })
            .collect())
    }

    fn feed(&self, after: i64, limit: usize) -> Result<Vec<FeedEvent>> {
        let mut c = self.conn()?;
        let rows = c.query(
            "SELECT id, store_id, terminal_id, seq, ts, kind, payload, prev_hash, hash, signature
             FROM events WHERE id > $1 ORDER BY id LIMIT $2",
            &[&after, &i64::try_from(limit).unwrap_or(i64::MAX)],
        )?;
        rows.iter()
            .map(|r| {
                let prev: Vec<u8> = r.get(7);
                let hash: Vec<u8> = r.get(8);
                Ok(FeedEvent {
                    cursor: r.get(0),
                    store_id: r.get(1),
                    event: StoredEvent {
                        terminal_id: r.get(2),
                        seq: to_u64(r.get(3)),
                        ts: r.get(4),
                        kind: r.get(5),
                        payload: r.get(6),
                        prev_hash: hash32("events.prev_hash", &prev)?,
                        hash: hash32("events.hash", &hash)?,
                        signature: r.get(9),
                    },
                })
            })
            .collect()
    }

    fn event_counts(&self) -> Result<(u64, u64)> {
        let mut c = self.conn()?;
        let r = c.query_one(
            "SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT terminal_id, seq FROM events) d) FROM events",
            &[],
        )?;
        Ok((to_u64(r.get(0)), to_u64(r.get(1))))
    }
}
