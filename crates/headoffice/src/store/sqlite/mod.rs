//! The embedded backend: one SQLite file (WAL, synchronous=FULL, so an ack
//! means the batch is on disk). One connection behind a mutex: SQLite has one
//! writer anyway, and ingest transactions are short.

use super::{
    hash32, now_rfc3339, parse_dec, to_i64, to_u64, Alert, CatalogRow, ClosingReceived, FeedEvent,
    IngestTx, Result, SalesFilter, SalesRow, StockLevel, Store, StoreError, TerminalAuth,
    TerminalState,
};
use crate::access::Role;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::sync::Mutex;
use std::time::Duration;
use sync_proto::CatalogDelta;
use till_journal::chain::GENESIS_PREV_HASH;
use till_journal::StoredEvent;

mod archive;
mod auth;
mod catalog_edit;
mod customers;
mod dash;
mod rules;
mod schema;
mod stockops;
mod tx;

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
        dash::register(&conn)?;
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
        schema::migrate(&mut *self.lock()?)
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
        if super::known_terminal(terminal_id, store_id, existing)? {
            tx.execute(
                "UPDATE terminals SET token_sha256 = ?2, revoked_at = NULL WHERE terminal_id = ?1",
                params![terminal_id, &token[..]],
            )?;
        } else {
            tx.execute(
                "INSERT INTO terminals (terminal_id, store_id, token_sha256, created_at, last_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    terminal_id,
                    store_id,
                    &token[..],
                    now,
                    &GENESIS_PREV_HASH[..]
                ],
            )?;
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

    fn begin_ingest(&self, t: &TerminalAuth) -> Result<Box<dyn IngestTx + '_>> {
        Ok(Box::new(tx::begin(self.lock()?, t)?))
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
        let mut delta = super::catalog_delta(since, to_u64(current), found)?;
        delta.stock = stockops::stock_since(&c, store_id, since)?;
        Ok(delta)
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

    fn sales_in(&self, f: &SalesFilter<'_>) -> Result<Vec<SalesRow>> {
        let c = self.lock()?;
        let mut st = c.prepare_cached(
            "SELECT store_id, day, key, amount FROM sales_totals
             WHERE (?1 IS NULL OR store_id = ?1) AND (?2 IS NULL OR day >= ?2) AND (?3 IS NULL OR day <= ?3)
             ORDER BY store_id, day, key",
        )?;
        let mut rows = st.query(params![f.store_id, f.from, f.to])?;
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
