//! Filling head office with a terminal's journal, two ways that must end
//! in the same rows:
//!
//! - [`ingest`]: `Store::ingest`, batch by batch, exactly as a till's push
//!   (what today's events always take);
//! - [`bulk`]: the events written in bulk (PostgreSQL `COPY ... FORMAT
//!   binary`, SQLite one transaction of prepared inserts) on a connection
//!   of their own, and the projections written batch by batch through the
//!   store's own ingest transaction ([`headoffice::store::IngestTx`]),
//!   after the checks ingest makes (chain links, hashes, trust, closing
//!   signatures) and from the deltas ingest computes
//!   ([`headoffice::ingest::Deltas::of`]): [`project`] is `ingest::run`
//!   with the event insert taken out. The unit test below ingests the same
//!   journals both ways and compares every projection table.

use anyhow::{ensure, Context, Result};
use headoffice::ingest::{
    check_signatures, low_stock_changes, plan_links, verify_hashes, vet, Deltas, LowStock, Plan,
};
use headoffice::store::{IngestOutcome, IngestTx, NewAlert, Store, TerminalAuth};
use till_journal::StoredEvent;

/// Events per batch, as the sync daemon pushes them.
pub const BATCH: usize = 2000;

/// The events of `part`, in the batches a till pushes.
pub fn batches(part: &[StoredEvent]) -> std::slice::Chunks<'_, StoredEvent> {
    part.chunks(BATCH)
}

/// Ingests `part` batch by batch through `Store::ingest`; events stored.
pub fn ingest(store: &dyn Store, auth: &TerminalAuth, part: &[StoredEvent]) -> Result<u64> {
    let mut stored = 0;
    for b in batches(part) {
        match store.ingest(auth, b)? {
            IngestOutcome::Acked { stored: s, .. } => stored += s,
            other => anyhow::bail!("{}: {other:?}", auth.terminal_id),
        }
    }
    Ok(stored)
}

/// A connection of its own that writes `events` rows in bulk.
pub enum Bulk {
    Sqlite(rusqlite::Connection),
    Pg(postgres::Client),
}

impl Bulk {
    pub fn open(db: &str) -> Result<Bulk> {
        if db.starts_with("postgres") {
            return Ok(Bulk::Pg(postgres::Client::connect(db, postgres::NoTls)?));
        }
        let c = rusqlite::Connection::open(db.strip_prefix("sqlite:").unwrap_or(db))?;
        c.busy_timeout(std::time::Duration::from_secs(30))?;
        Ok(Bulk::Sqlite(c))
    }

    /// Writes `events` of `auth` (consecutive, new) in one go.
    pub fn events(&mut self, auth: &TerminalAuth, events: &[StoredEvent]) -> Result<()> {
        match self {
            Bulk::Sqlite(c) => {
                let tx = c.transaction()?;
                {
                    let mut st = tx.prepare_cached(
                        "INSERT INTO events (terminal_id, seq, store_id, ts, kind, payload, prev_hash, hash, signature)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    )?;
                    for e in events {
                        st.execute(rusqlite::params![
                            auth.terminal_id,
                            i64::try_from(e.seq)?,
                            auth.store_id,
                            e.ts,
                            e.kind,
                            e.payload,
                            &e.prev_hash[..],
                            &e.hash[..],
                            e.signature,
                        ])?;
                    }
                }
                tx.commit()?;
            }
            Bulk::Pg(c) => {
                use postgres::binary_copy::BinaryCopyInWriter;
                use postgres::types::Type;
                let sink = c.copy_in(
                    "COPY events (terminal_id, seq, store_id, ts, kind, payload, prev_hash, hash, signature)
                     FROM STDIN (FORMAT binary)",
                )?;
                let types = [
                    Type::TEXT,
                    Type::INT8,
                    Type::TEXT,
                    Type::TEXT,
                    Type::TEXT,
                    Type::BYTEA,
                    Type::BYTEA,
                    Type::BYTEA,
                    Type::BYTEA,
                ];
                let mut w = BinaryCopyInWriter::new(sink, &types);
                for e in events {
                    w.write(&[
                        &auth.terminal_id,
                        &i64::try_from(e.seq)?,
                        &auth.store_id,
                        &e.ts,
                        &e.kind,
                        &e.payload,
                        &&e.prev_hash[..],
                        &&e.hash[..],
                        &e.signature,
                    ])?;
                }
                w.finish()?;
            }
        }
        Ok(())
    }
}

/// Writes `part` in bulk, then its projections batch by batch ([`project`]).
pub fn bulk(
    store: &dyn Store,
    raw: &mut Bulk,
    auth: &TerminalAuth,
    part: &[StoredEvent],
) -> Result<u64> {
    raw.events(auth, part)
        .with_context(|| format!("bulk events of {}", auth.terminal_id))?;
    for b in batches(part) {
        project(store, auth, b)?;
    }
    Ok(part.len() as u64)
}

fn alert<'a>(code: &'a str, seq: u64, detail: &'a str, at: &'a str) -> NewAlert<'a> {
    NewAlert {
        code,
        seq,
        detail,
        at,
    }
}

/// `headoffice::ingest::run` for a batch whose events are already written:
/// the same checks (any refusal is an error here: the journal is made
/// right), the same deltas, the same primitives in the same order.
pub fn project(store: &dyn Store, t: &TerminalAuth, batch: &[StoredEvent]) -> Result<()> {
    let (Some(first), Some(last)) = (batch.first(), batch.last()) else {
        return Ok(());
    };
    let mut tx = store.begin_ingest(t)?;
    let head = tx.head()?;
    ensure!(
        head.chain.last_seq + 1 == first.seq,
        "{}: head at {}, batch from {}",
        t.terminal_id,
        head.chain.last_seq,
        first.seq
    );
    let plan = plan_links(head.chain, batch, |_| Ok::<_, anyhow::Error>(None))?;
    ensure!(plan == Plan::Store { skip: 0 }, "{plan:?}");
    ensure!(verify_hashes(batch).is_none(), "a hash does not verify");
    let pinned = head.public_key.as_deref();
    if let Some(r) = vet(&t.terminal_id, &t.store_id, pinned, batch) {
        anyhow::bail!("refused: {r:?}");
    }
    if let Some((seq, detail)) = check_signatures(pinned, batch) {
        anyhow::bail!("bad signature at {seq}: {detail}");
    }
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let deltas = Deltas::of(batch);
    ensure!(deltas.refused.is_none(), "refused: {:?}", deltas.refused);
    for (seq, detail) in &deltas.undecodable {
        tx.upsert_alert(&alert("unknown_kind", *seq, detail, &now))?;
    }
    for (seq, code, detail) in &deltas.flags {
        tx.upsert_alert(&alert(code, *seq, detail, &now))?;
    }
    tx.apply_deltas(&deltas)?;
    if let Some(pk) = &deltas.public_key {
        tx.set_public_key(pk)?;
    }
    low_stock(&mut *tx, t, &deltas, last.seq, &now)?;
    tx.set_head(last, &now)?;
    tx.commit()?;
    Ok(())
}

/// `ingest::run`'s low-stock step (its primitives, its rule).
fn low_stock(
    tx: &mut dyn IngestTx,
    t: &TerminalAuth,
    d: &Deltas,
    seq: u64,
    now: &str,
) -> Result<()> {
    if d.levels.is_empty() || !tx.has_thresholds()? {
        return Ok(());
    }
    let items: Vec<&str> = d.levels.keys().map(String::as_str).collect();
    let rows = tx.low_stock_rows(&items)?;
    for change in low_stock_changes(&t.store_id, rows) {
        match change {
            LowStock::Raise { item_id, detail } => {
                let code = format!("low_stock:{item_id}");
                let id = tx.upsert_alert(&alert(&code, seq, &detail, now))?;
                tx.set_low_stock(&item_id, id)?;
            }
            LowStock::Clear { item_id, alert_id } => tx.clear_low_stock(&item_id, alert_id, now)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{journal, Shape};
    use headoffice::testpg::TestPg;

    /// The rows a page could read, as text (times of the run left out:
    /// `at`, `last_seen`; only whether an alert is cleared).
    const TABLES: &[(&str, &[&str])] = &[
        (
            "events",
            &[
                "terminal_id",
                "seq",
                "store_id",
                "ts",
                "kind",
                "payload",
                "hash",
                "signature",
            ],
        ),
        ("sales_totals", &["store_id", "day", "key", "amount"]),
        ("stock_levels", &["store_id", "item_id", "level"]),
        (
            "closings",
            &[
                "terminal_id",
                "seq",
                "store_id",
                "kind",
                "period",
                "first_seq",
                "last_seq",
                "net_total",
                "grand_total",
                "grand_total_abs",
            ],
        ),
        (
            "alerts",
            &[
                "id",
                "terminal_id",
                "code",
                "seq",
                "detail",
                "count",
                "cleared_at IS NULL",
            ],
        ),
        ("low_stock", &["store_id", "item_id", "alert_id"]),
        (
            "terminal_hours",
            &["day", "terminal_id", "hour", "store_id", "records", "net"],
        ),
        (
            "abandoned_baskets",
            &[
                "store_id",
                "terminal_id",
                "day",
                "operator",
                "baskets",
                "total",
            ],
        ),
        (
            "terminals",
            &[
                "terminal_id",
                "store_id",
                "last_seq",
                "last_hash",
                "last_event_ts",
                "public_key",
                "software_version",
                "tail_seq",
                "tail_ok",
            ],
        ),
    ];

    fn dump(db: &str) -> Vec<(String, Vec<String>)> {
        TABLES
            .iter()
            .map(|(table, cols)| {
                let rows = if db.starts_with("postgres") {
                    let mut c = postgres::Client::connect(db, postgres::NoTls).expect("connect");
                    let sql = format!(
                        "SELECT ROW({})::text FROM {table} ORDER BY 1",
                        cols.join(", ")
                    );
                    c.query(&sql, &[])
                        .expect(table)
                        .iter()
                        .map(|r| r.get(0))
                        .collect()
                } else {
                    let c = rusqlite::Connection::open(db.strip_prefix("sqlite:").unwrap_or(db))
                        .expect("open");
                    let quoted: Vec<String> = cols.iter().map(|c| format!("quote({c})")).collect();
                    let sql = format!(
                        "SELECT {} FROM {table} ORDER BY 1",
                        quoted.join(" || '|' || ")
                    );
                    let mut st = c.prepare(&sql).expect(table);
                    let rows: Vec<String> = st
                        .query_map([], |r| r.get(0))
                        .expect(table)
                        .collect::<Result<_, _>>()
                        .expect(table);
                    rows
                };
                (table.to_string(), rows)
            })
            .collect()
    }

    /// Fills `db` with `shape`, the past either in bulk or through ingest.
    fn fill(db: &str, shape: &Shape, bulk: bool) {
        let store = headoffice::store::open(db).expect("open");
        crate::load_catalog(&*store, shape.items).expect("catalog");
        let mut raw = Bulk::open(db).expect("bulk");
        let today = chrono::Local::now().date_naive();
        for t in 0..shape.terminals {
            let auth = shape.terminal(t);
            store
                .register_terminal(&auth.store_id, &auth.terminal_id, &[t as u8 + 1; 32])
                .expect("register");
            let (past, now) = journal(shape, t, today).expect("journal");
            if bulk {
                super::bulk(&*store, &mut raw, &auth, &past).expect("bulk");
            } else {
                ingest(&*store, &auth, &past).expect("ingest");
            }
            ingest(&*store, &auth, &now).expect("today");
        }
    }

    /// Three terminals of two stores, 4,500 events each (three batches of
    /// the past and today's), 300 items of which 200 watched: low-stock
    /// alerts raised, fraud flags, abandoned baskets, closings.
    const SHAPE: Shape = Shape {
        terminals: 3,
        stores: 2,
        events: 13_500,
        days: 4,
        items: 300,
    };

    fn same_rows(a: &str, b: &str) {
        fill(a, &SHAPE, true);
        fill(b, &SHAPE, false);
        let (da, db) = (dump(a), dump(b));
        for ((table, ra), (_, rb)) in da.iter().zip(&db) {
            assert!(
                !ra.is_empty(),
                "{table} is empty: the journal does not exercise it"
            );
            assert_eq!(ra.len(), rb.len(), "{table}: row counts differ");
            for (x, y) in ra.iter().zip(rb) {
                assert_eq!(x, y, "{table}");
            }
        }
        let alerts = &da[4].1;
        assert!(
            alerts.iter().any(|r| r.contains("low_stock:")),
            "no low-stock alert"
        );
        assert!(
            alerts.iter().any(|r| r.contains("fraud:")),
            "no fraud alert"
        );
    }

    #[test]
    fn bulk_writes_what_ingest_writes_sqlite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = format!("sqlite:{}", dir.path().join("a.db").display());
        let b = format!("sqlite:{}", dir.path().join("b.db").display());
        same_rows(&a, &b);
    }

    #[test]
    fn bulk_writes_what_ingest_writes_postgres() {
        if !TestPg::available() {
            eprintln!("SKIPPED: PostgreSQL binaries not found");
            return;
        }
        let pg = TestPg::start(&["fsync=off"]).expect("postgres");
        let a = pg.create_db("a").expect("db a");
        let b = pg.create_db("b").expect("db b");
        same_rows(&a, &b);
    }
}
