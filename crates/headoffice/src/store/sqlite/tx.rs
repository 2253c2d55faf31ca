//! A batch's transaction on SQLite: the connection held (the single writer)
//! from `BEGIN IMMEDIATE` to the commit, and the SQL of each primitive.

use crate::ingest::{ChainHead, Deltas, LowStockRow};
use crate::store::{
    hash32, parse_dec, to_i64, to_u64, Exec, IngestTx, NewAlert, Result, StoreError, TerminalAuth,
    TerminalHead, Tx,
};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeMap;
use std::sync::MutexGuard;
use till_journal::StoredEvent;

pub(super) type SqliteTx<'a> = Tx<MutexGuard<'a, Connection>>;

impl Exec for MutexGuard<'_, Connection> {
    fn exec(&mut self, sql: &str) -> Result<()> {
        Ok(self.execute_batch(sql)?)
    }
}

/// Begins a batch's transaction: the write lock taken now, so the head read
/// next is the one this batch commits on.
pub(super) fn begin<'a>(c: MutexGuard<'a, Connection>, t: &TerminalAuth) -> Result<SqliteTx<'a>> {
    // A transaction left open by a panic mid-batch ends here.
    if !c.is_autocommit() {
        c.execute_batch("ROLLBACK")?;
    }
    Tx::begin(c, "BEGIN IMMEDIATE", t)
}

/// Writes an alert, or counts it again; its id.
pub(super) fn upsert_alert(c: &Connection, terminal_id: &str, a: &NewAlert<'_>) -> Result<i64> {
    Ok(c.prepare_cached(
        "INSERT INTO alerts (at, terminal_id, code, seq, detail) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (terminal_id, code, seq) DO UPDATE
         SET count = count + 1, at = excluded.at, detail = excluded.detail, cleared_at = NULL
         RETURNING id",
    )?
    .query_row(
        params![a.at, terminal_id, a.code, to_i64(a.seq), a.detail],
        |r| r.get(0),
    )?)
}

impl IngestTx for SqliteTx<'_> {
    fn head(&mut self) -> Result<TerminalHead> {
        let row: Option<(i64, Vec<u8>, Option<String>)> = self
            .c
            .prepare_cached(
                "SELECT last_seq, last_hash, public_key FROM terminals WHERE terminal_id = ?1",
            )?
            .query_row([&self.t.terminal_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let (seq, hash, public_key) = row.ok_or_else(|| {
            StoreError::Invalid(format!("unknown terminal {}", self.t.terminal_id))
        })?;
        Ok(TerminalHead {
            chain: ChainHead {
                last_seq: to_u64(seq),
                last_hash: hash32("terminals.last_hash", &hash)?,
            },
            public_key,
        })
    }

    fn held_hashes(&mut self, from: u64, to: u64) -> Result<BTreeMap<u64, [u8; 32]>> {
        let mut st = self.c.prepare_cached(
            "SELECT seq, hash FROM events WHERE terminal_id = ?1 AND seq BETWEEN ?2 AND ?3",
        )?;
        let mut rows = st.query(params![self.t.terminal_id, to_i64(from), to_i64(to)])?;
        let mut out = BTreeMap::new();
        while let Some(r) = rows.next()? {
            let hash: Vec<u8> = r.get(1)?;
            out.insert(to_u64(r.get(0)?), hash32("events.hash", &hash)?);
        }
        Ok(out)
    }

    fn insert_events(&mut self, events: &[StoredEvent]) -> Result<()> {
        let mut st = self.c.prepare_cached(
            "INSERT INTO events (terminal_id, seq, store_id, ts, kind, payload, prev_hash, hash, signature)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for e in events {
            st.execute(params![
                self.t.terminal_id,
                to_i64(e.seq),
                self.t.store_id,
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

    fn apply_deltas(&mut self, d: &Deltas) -> Result<()> {
        let (c, t) = (&*self.c, &self.t);
        super::dash::apply(c, t, d)?;
        // One upsert per key; dec_add adds the decimal texts exactly inside SQLite.
        let mut put = c.prepare_cached(
            "INSERT INTO sales_totals (store_id, day, key, amount) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (store_id, day, key) DO UPDATE SET amount = dec_add(amount, excluded.amount)",
        )?;
        for ((day, key), v) in &d.totals {
            put.execute(params![t.store_id, day, key, v.to_string()])?;
        }
        super::rules::apply_abandoned(c, t, &d.abandoned)?;
        super::customers::apply_on_account(c, &d.on_account)?;
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
            c.prepare_cached(
                "INSERT INTO stock_levels (store_id, item_id, level)
                 SELECT ?1, j.key, j.value FROM json_each(?2) AS j WHERE true
                 ON CONFLICT (store_id, item_id) DO UPDATE SET level = dec_add(level, excluded.level)",
            )?
            .execute(params![t.store_id, json])?;
        }
        let mut st = c.prepare_cached(
            "INSERT INTO closings (terminal_id, seq, store_id, kind, period, first_seq, last_seq,
                 net_total, grand_total, grand_total_abs)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        for k in &d.closings {
            st.execute(params![
                t.terminal_id,
                to_i64(k.seq),
                t.store_id,
                k.kind,
                k.period,
                to_i64(k.first_seq),
                to_i64(k.last_seq),
                k.net_total.to_string(),
                k.grand_total.to_string(),
                k.grand_total_abs.to_string()
            ])?;
        }
        Ok(())
    }

    fn set_public_key(&mut self, public_key: &str) -> Result<()> {
        self.c
            .prepare_cached("UPDATE terminals SET public_key = ?2 WHERE terminal_id = ?1")?
            .execute(params![self.t.terminal_id, public_key])?;
        Ok(())
    }

    fn customer_credit(
        &mut self,
        number: &str,
    ) -> Result<Option<(rust_decimal::Decimal, rust_decimal::Decimal)>> {
        crate::store::credit_pair(super::customers::limit_and_balance(&self.c, number)?)
    }

    fn has_thresholds(&mut self) -> Result<bool> {
        Ok(self
            .c
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM stock_thresholds WHERE store_id IN ('', ?1))",
            )?
            .query_row([&self.t.store_id], |r| r.get(0))?)
    }

    fn low_stock_rows(&mut self, items: &[&str]) -> Result<Vec<LowStockRow>> {
        // CROSS JOIN keeps the batch's items the outer loop: left to
        // itself, SQLite scanned the store's every level for each item.
        let items = serde_json::to_string(items)
            .map_err(|e| StoreError::Invalid(format!("stock items: {e}")))?;
        let mut st = self.c.prepare_cached(
            "SELECT j.value, l.level, coalesce(own.threshold, every.threshold), m.alert_id
             FROM json_each(?2) AS j
             CROSS JOIN stock_levels l ON l.store_id = ?1 AND l.item_id = j.value
             LEFT JOIN stock_thresholds own ON own.store_id = ?1 AND own.item_id = j.value
             LEFT JOIN stock_thresholds every ON every.store_id = '' AND every.item_id = j.value
             LEFT JOIN low_stock m ON m.store_id = ?1 AND m.item_id = j.value
             WHERE coalesce(own.threshold, every.threshold) IS NOT NULL",
        )?;
        let mut q = st.query(params![self.t.store_id, items])?;
        let mut rows = Vec::new();
        while let Some(r) = q.next()? {
            let (level, threshold): (String, String) = (r.get(1)?, r.get(2)?);
            rows.push(LowStockRow {
                item_id: r.get(0)?,
                level: parse_dec("stock_levels.level", &level)?,
                threshold: parse_dec("stock_thresholds.threshold", &threshold)?,
                open_alert: r.get(3)?,
            });
        }
        Ok(rows)
    }

    fn upsert_alert(&mut self, a: &NewAlert<'_>) -> Result<i64> {
        upsert_alert(&self.c, &self.t.terminal_id, a)
    }

    fn set_low_stock(&mut self, item: &str, alert_id: i64) -> Result<()> {
        self.c
            .prepare_cached(
                "INSERT INTO low_stock (store_id, item_id, alert_id) VALUES (?1, ?2, ?3)
                 ON CONFLICT (store_id, item_id) DO UPDATE SET alert_id = excluded.alert_id",
            )?
            .execute(params![self.t.store_id, item, alert_id])?;
        Ok(())
    }

    fn clear_low_stock(&mut self, item: &str, alert_id: i64, at: &str) -> Result<()> {
        self.c
            .prepare_cached("UPDATE alerts SET cleared_at = ?2 WHERE id = ?1")?
            .execute(params![alert_id, at])?;
        self.c
            .prepare_cached("DELETE FROM low_stock WHERE store_id = ?1 AND item_id = ?2")?
            .execute(params![self.t.store_id, item])?;
        Ok(())
    }

    fn note_tail(&mut self, seq: u64, ok: bool, at: &str) -> Result<()> {
        super::dash::note_tail(&self.c, &self.t, seq, ok, at)
    }

    fn set_head(&mut self, last: &StoredEvent, now: &str) -> Result<()> {
        self.c
            .prepare_cached(
                "UPDATE terminals SET last_seq = ?2, last_hash = ?3, last_seen = ?4, last_event_ts = ?5
                 WHERE terminal_id = ?1",
            )?
            .execute(params![
                self.t.terminal_id,
                to_i64(last.seq),
                &last.hash[..],
                now,
                last.ts
            ])?;
        Ok(())
    }

    fn touch(&mut self, now: &str) -> Result<()> {
        self.c
            .prepare_cached("UPDATE terminals SET last_seen = ?2 WHERE terminal_id = ?1")?
            .execute(params![self.t.terminal_id, now])?;
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        self.end("COMMIT")
    }

    fn refuse(mut self: Box<Self>, alert: &NewAlert<'_>) -> Result<()> {
        self.end("ROLLBACK")?;
        upsert_alert(&self.c, &self.t.terminal_id, alert)?;
        Ok(())
    }
}
