//! The PostgreSQL backend, for a chain of shops: the same tables and the
//! same rules as SQLite ([`crate::ingest::run`] decides every batch); only
//! the SQL and the locking are its own ([`tx`]: a row lock per terminal,
//! multi-row writes, feed ids in commit order).
//!
//! Head office processes keep no state of their own beyond this pool: any
//! number of them may serve one database (behind a load balancer), since
//! every decision reads the database under the terminal's row lock.
//! The `postgres` crate is blocking, called from `spawn_blocking` like SQLite.

use super::{
    hash32, now_rfc3339, parse_dec, to_i64, to_u64, Alert, CatalogRow, ClosingReceived, FeedEvent,
    IngestTx, Result, SalesFilter, SalesRow, StockLevel, Store, StoreError, TerminalAuth,
    TerminalState,
};
use crate::access::Role;
use postgres::{Client, NoTls};
use std::sync::{Condvar, Mutex};
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

impl PgStore {
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
}

impl Store for PgStore {
    fn migrate(&self) -> Result<()> {
        schema::migrate(&mut *self.conn()?)
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
        if super::known_terminal(terminal_id, store_id, existing)? {
            tx.execute(
                "UPDATE terminals SET token_sha256 = $2, revoked_at = NULL WHERE terminal_id = $1",
                &[&terminal_id, &&token[..]],
            )?;
        } else {
            tx.execute(
                "INSERT INTO terminals (terminal_id, store_id, token_sha256, created_at, last_hash)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &terminal_id,
                    &store_id,
                    &&token[..],
                    &now,
                    &&GENESIS_PREV_HASH[..],
                ],
            )?;
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

    fn begin_ingest(&self, t: &TerminalAuth) -> Result<Box<dyn IngestTx + '_>> {
        Ok(Box::new(tx::PgTx::begin(self.conn()?, "BEGIN", t)?))
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
        let mut delta = super::catalog_delta(since, to_u64(current), found)?;
        delta.stock = stockops::stock_since(&mut *c, store_id, since)?;
        Ok(delta)
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

    fn sales_in(&self, f: &SalesFilter<'_>) -> Result<Vec<SalesRow>> {
        let mut c = self.conn()?;
        let rows = c.query(
            "SELECT store_id, day, key, amount::text FROM sales_totals
             WHERE ($1::text IS NULL OR store_id = $1) AND ($2::text IS NULL OR day >= $2)
               AND ($3::text IS NULL OR day <= $3)
             ORDER BY store_id, day, key",
            &[&f.store_id, &f.from, &f.to],
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
