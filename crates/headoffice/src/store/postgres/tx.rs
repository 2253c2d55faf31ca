//! A batch's transaction on PostgreSQL: a pooled connection from `BEGIN` to
//! the commit, the terminal's row locked (`FOR UPDATE`) by the first read,
//! and multi-row (`unnest`) writes: one statement per table per batch.
//!
//! The lock is what lets several head office processes share one database:
//! two pushes of one terminal, wherever they land, take turns on its row,
//! and the second sees the head the first committed; different terminals
//! run in parallel. Rows shared between terminals (a store's totals and
//! levels) are written in key order, so transactions cannot deadlock on
//! them; a deadlock or serialisation failure anyway is retried by
//! [`crate::ingest::run`].

use super::Conn;
use crate::ingest::{ChainHead, Deltas, LowStockRow};
use crate::store::{
    hash32, parse_dec, to_i64, to_u64, Exec, IngestTx, NewAlert, Result, StoreError, TerminalHead,
    Tx,
};
use postgres::GenericClient;
use std::collections::BTreeMap;
use till_journal::StoredEvent;

/// Advisory lock key that orders feed ids (arbitrary, stable).
///
/// The ERP feed orders events by `id`. A sequence hands ids out in start
/// order, not commit order, so a reader could pass over an id whose
/// transaction commits later; this transaction-scoped lock, taken just
/// before the events are inserted, makes ids follow commit order (only the
/// insert-and-commit tail is serialised, not validation).
const FEED_LOCK: i64 = 0x636f_6d70_7465_6564;

pub(super) type PgTx<'a> = Tx<Conn<'a>>;

impl Exec for Conn<'_> {
    fn exec(&mut self, sql: &str) -> Result<()> {
        Ok(self.batch_execute(sql)?)
    }
}

/// Writes an alert, or counts it again; its id.
pub(super) fn upsert_alert(
    c: &mut impl GenericClient,
    terminal_id: &str,
    a: &NewAlert<'_>,
) -> Result<i64> {
    Ok(c.query_one(
        "INSERT INTO alerts (at, terminal_id, code, seq, detail) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (terminal_id, code, seq) DO UPDATE
         SET count = alerts.count + 1, at = EXCLUDED.at, detail = EXCLUDED.detail, cleared_at = NULL
         RETURNING id",
        &[&a.at, &terminal_id, &a.code, &to_i64(a.seq), &a.detail],
    )?
    .get(0))
}

impl IngestTx for PgTx<'_> {
    fn head(&mut self) -> Result<TerminalHead> {
        let row = self.c.query_opt(
            "SELECT last_seq, last_hash, public_key FROM terminals WHERE terminal_id = $1 FOR UPDATE",
            &[&self.t.terminal_id],
        )?;
        let row = row.ok_or_else(|| {
            StoreError::Invalid(format!("unknown terminal {}", self.t.terminal_id))
        })?;
        let hash: Vec<u8> = row.get(1);
        Ok(TerminalHead {
            chain: ChainHead {
                last_seq: to_u64(row.get(0)),
                last_hash: hash32("terminals.last_hash", &hash)?,
            },
            public_key: row.get(2),
        })
    }

    fn held_hashes(&mut self, from: u64, to: u64) -> Result<BTreeMap<u64, [u8; 32]>> {
        self.c
            .query(
                "SELECT seq, hash FROM events WHERE terminal_id = $1 AND seq >= $2 AND seq <= $3",
                &[&self.t.terminal_id, &to_i64(from), &to_i64(to)],
            )?
            .iter()
            .map(|r| Ok((to_u64(r.get(0)), hash32("events.hash", r.get(1))?)))
            .collect()
    }

    fn insert_events(&mut self, events: &[StoredEvent]) -> Result<()> {
        self.c
            .execute("SELECT pg_advisory_xact_lock($1)", &[&FEED_LOCK])?;
        let seqs: Vec<i64> = events.iter().map(|e| to_i64(e.seq)).collect();
        let ts: Vec<&str> = events.iter().map(|e| e.ts.as_str()).collect();
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        let payloads: Vec<&[u8]> = events.iter().map(|e| &e.payload[..]).collect();
        let prevs: Vec<&[u8]> = events.iter().map(|e| &e.prev_hash[..]).collect();
        let hashes: Vec<&[u8]> = events.iter().map(|e| &e.hash[..]).collect();
        let sigs: Vec<Option<&[u8]>> = events.iter().map(|e| e.signature.as_deref()).collect();
        // One statement for the batch; WITH ORDINALITY keeps seq order, so ids follow seqs.
        self.c.execute(
            "INSERT INTO events (terminal_id, seq, store_id, ts, kind, payload, prev_hash, hash, signature)
             SELECT $1, u.seq, $2, u.ts, u.kind, u.payload, u.prev_hash, u.hash, u.signature
             FROM unnest($3::bigint[], $4::text[], $5::text[], $6::bytea[], $7::bytea[], $8::bytea[], $9::bytea[])
                  WITH ORDINALITY AS u(seq, ts, kind, payload, prev_hash, hash, signature, n)
             ORDER BY u.n",
            &[&self.t.terminal_id, &self.t.store_id, &seqs, &ts, &kinds, &payloads, &prevs, &hashes, &sigs],
        )?;
        Ok(())
    }

    fn apply_deltas(&mut self, d: &Deltas) -> Result<()> {
        let (c, t) = (&mut self.c, &self.t);
        super::dash::apply(&mut **c, t, d)?;
        super::rules::apply_abandoned(c, t, &d.abandoned)?;
        super::customers::apply_on_account(&mut **c, &d.on_account)?;
        if !d.totals.is_empty() {
            // BTreeMap order: every transaction locks rows in the same order (no deadlock).
            let days: Vec<&str> = d.totals.keys().map(|(day, _)| day.as_str()).collect();
            let keys: Vec<&str> = d.totals.keys().map(|(_, k)| k.as_str()).collect();
            let amounts: Vec<String> = d.totals.values().map(|v| v.to_string()).collect();
            c.execute(
                "INSERT INTO sales_totals (store_id, day, key, amount)
                 SELECT $1, u.day, u.key, u.amount::numeric FROM unnest($2::text[], $3::text[], $4::text[]) AS u(day, key, amount)
                 ON CONFLICT (store_id, day, key) DO UPDATE SET amount = sales_totals.amount + EXCLUDED.amount",
                &[&t.store_id, &days, &keys, &amounts],
            )?;
        }
        if !d.levels.is_empty() {
            let items: Vec<&str> = d.levels.keys().map(String::as_str).collect();
            let deltas: Vec<String> = d.levels.values().map(|v| v.to_string()).collect();
            c.execute(
                "INSERT INTO stock_levels (store_id, item_id, level)
                 SELECT $1, u.item, u.delta::numeric FROM unnest($2::text[], $3::text[]) AS u(item, delta)
                 ON CONFLICT (store_id, item_id) DO UPDATE SET level = stock_levels.level + EXCLUDED.level",
                &[&t.store_id, &items, &deltas],
            )?;
        }
        for k in &d.closings {
            c.execute(
                "INSERT INTO closings (terminal_id, seq, store_id, kind, period, first_seq, last_seq,
                     net_total, grand_total, grand_total_abs)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::numeric, $9::text::numeric, $10::text::numeric)",
                &[
                    &t.terminal_id,
                    &to_i64(k.seq),
                    &t.store_id,
                    &k.kind,
                    &k.period,
                    &to_i64(k.first_seq),
                    &to_i64(k.last_seq),
                    &k.net_total.to_string(),
                    &k.grand_total.to_string(),
                    &k.grand_total_abs.to_string(),
                ],
            )?;
        }
        Ok(())
    }

    fn set_public_key(&mut self, public_key: &str) -> Result<()> {
        self.c.execute(
            "UPDATE terminals SET public_key = $2 WHERE terminal_id = $1",
            &[&self.t.terminal_id, &public_key],
        )?;
        Ok(())
    }

    fn customer_credit(
        &mut self,
        number: &str,
    ) -> Result<Option<(rust_decimal::Decimal, rust_decimal::Decimal)>> {
        crate::store::credit_pair(super::customers::limit_and_balance(&mut *self.c, number)?)
    }

    fn has_thresholds(&mut self) -> Result<bool> {
        Ok(self
            .c
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM stock_thresholds WHERE store_id IN ('', $1))",
                &[&self.t.store_id],
            )?
            .get(0))
    }

    fn low_stock_rows(&mut self, items: &[&str]) -> Result<Vec<LowStockRow>> {
        let rows = self.c.query(
            "SELECT u.item, l.level::text, coalesce(own.threshold, every.threshold)::text, m.alert_id
             FROM unnest($2::text[]) AS u(item)
             JOIN stock_levels l ON l.store_id = $1 AND l.item_id = u.item
             LEFT JOIN stock_thresholds own ON own.store_id = $1 AND own.item_id = u.item
             LEFT JOIN stock_thresholds every ON every.store_id = '' AND every.item_id = u.item
             LEFT JOIN low_stock m ON m.store_id = $1 AND m.item_id = u.item
             WHERE coalesce(own.threshold, every.threshold) IS NOT NULL",
            &[&self.t.store_id, &items],
        )?;
        rows.iter()
            .map(|r| {
                Ok(LowStockRow {
                    item_id: r.get(0),
                    level: parse_dec("stock_levels.level", r.get(1))?,
                    threshold: parse_dec("stock_thresholds.threshold", r.get(2))?,
                    open_alert: r.get(3),
                })
            })
            .collect()
    }

    fn upsert_alert(&mut self, a: &NewAlert<'_>) -> Result<i64> {
        upsert_alert(&mut *self.c, &self.t.terminal_id, a)
    }

    fn set_low_stock(&mut self, item: &str, alert_id: i64) -> Result<()> {
        self.c.execute(
            "INSERT INTO low_stock (store_id, item_id, alert_id) VALUES ($1, $2, $3)
             ON CONFLICT (store_id, item_id) DO UPDATE SET alert_id = EXCLUDED.alert_id",
            &[&self.t.store_id, &item, &alert_id],
        )?;
        Ok(())
    }

    fn clear_low_stock(&mut self, item: &str, alert_id: i64, at: &str) -> Result<()> {
        self.c.execute(
            "UPDATE alerts SET cleared_at = $2 WHERE id = $1",
            &[&alert_id, &at],
        )?;
        self.c.execute(
            "DELETE FROM low_stock WHERE store_id = $1 AND item_id = $2",
            &[&self.t.store_id, &item],
        )?;
        Ok(())
    }

    fn note_tail(&mut self, seq: u64, ok: bool, at: &str) -> Result<()> {
        super::dash::note_tail(&mut *self.c, &self.t, seq, ok, at)
    }

    fn set_head(&mut self, last: &StoredEvent, now: &str) -> Result<()> {
        self.c.execute(
            "UPDATE terminals SET last_seq = $2, last_hash = $3, last_seen = $4, last_event_ts = $5
             WHERE terminal_id = $1",
            &[
                &self.t.terminal_id,
                &to_i64(last.seq),
                &&last.hash[..],
                &now,
                &last.ts,
            ],
        )?;
        Ok(())
    }

    fn touch(&mut self, now: &str) -> Result<()> {
        self.c.execute(
            "UPDATE terminals SET last_seen = $2 WHERE terminal_id = $1",
            &[&self.t.terminal_id, &now],
        )?;
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        self.end("COMMIT")
    }

    fn refuse(mut self: Box<Self>, alert: &NewAlert<'_>) -> Result<()> {
        self.end("ROLLBACK")?;
        upsert_alert(&mut *self.c, &self.t.terminal_id, alert)?;
        Ok(())
    }
}
