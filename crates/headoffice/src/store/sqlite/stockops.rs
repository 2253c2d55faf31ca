//! SQLite's SQL for the back office's stock operations and reads
//! ([`crate::store::stockops`] decides).

use super::tx::{self, SqliteTx};
use super::SqliteStore;
use crate::store::stockops::{
    record, StockMove, StockOp, StockOpOutcome, StockOpTx, StockOpsStore, StockQuery, StockRow,
    HEADOFFICE_TERMINAL,
};
use crate::store::{parse_dec, to_i64, to_u64, Result, TerminalAuth};
use rusqlite::{params, Connection, OptionalExtension};
use rust_decimal::Decimal;

impl StockOpTx for SqliteTx<'_> {
    fn set_store(&mut self, store: &str) {
        self.t.store_id = store.to_string();
    }

    fn next_version(&mut self) -> Result<u64> {
        // BEGIN IMMEDIATE already holds the single writer.
        let v: i64 = self.c.query_row(
            "SELECT coalesce(max(version), 0) + 1 FROM catalog_versions",
            [],
            |r| r.get(0),
        )?;
        Ok(to_u64(v))
    }

    fn op_version(&mut self, op_id: &str) -> Result<Option<u64>> {
        let v: Option<i64> = self
            .c
            .query_row(
                "SELECT version FROM stock_ops WHERE op_id = ?1",
                [op_id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(v.map(to_u64))
    }

    fn store_known(&mut self, store: &str) -> Result<bool> {
        Ok(self.c.query_row(
            "SELECT EXISTS (SELECT 1 FROM stores WHERE store_id = ?1)",
            [store],
            |r| r.get(0),
        )?)
    }

    fn item_known(&mut self, item: &str) -> Result<bool> {
        Ok(self.c.query_row(
            "SELECT EXISTS (SELECT 1 FROM catalog WHERE store_id = '' AND item_id = ?1)",
            [item],
            |r| r.get(0),
        )?)
    }

    fn level(&mut self, item: &str) -> Result<Decimal> {
        let v: Option<String> = self
            .c
            .query_row(
                "SELECT level FROM stock_levels WHERE store_id = ?1 AND item_id = ?2",
                params![self.t.store_id, item],
                |r| r.get(0),
            )
            .optional()?;
        v.map_or(Ok(Decimal::ZERO), |v| parse_dec("stock_levels.level", &v))
    }

    fn insert_op(&mut self, op: &StockOp, version: u64, at: &str) -> Result<()> {
        let stores = op.kind.stores();
        let (supplier, reference) = op.source();
        self.c.execute(
            "INSERT INTO stock_ops (op_id, kind, at, user_id, store_id, other_store, supplier, reference, version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                op.op_id,
                op.kind.as_str(),
                at,
                op.user,
                stores[0],
                stores.get(1),
                supplier,
                reference,
                to_i64(version)
            ],
        )?;
        Ok(())
    }

    fn insert_move(
        &mut self,
        op_id: &str,
        item: &str,
        reason: &str,
        delta: Decimal,
        counted: Option<Decimal>,
        version: u64,
    ) -> Result<()> {
        let store = &self.t.store_id;
        self.c.execute(
            "INSERT INTO stock_op_lines (op_id, store_id, item_id, reason, delta, counted, version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                op_id,
                store,
                item,
                reason,
                delta.to_string(),
                counted.map(|c| c.to_string()),
                to_i64(version)
            ],
        )?;
        self.c.execute(
            "INSERT INTO stock_levels (store_id, item_id, level) VALUES (?1, ?2, ?3)
             ON CONFLICT (store_id, item_id) DO UPDATE SET level = dec_add(level, excluded.level)",
            params![store, item, delta.to_string()],
        )?;
        Ok(())
    }

    fn add_version(&mut self, version: u64, at: &str, lines: u64) -> Result<()> {
        self.c.execute(
            "INSERT INTO catalog_versions (version, loaded_at, items) VALUES (?1, ?2, ?3)",
            params![to_i64(version), at, to_i64(lines)],
        )?;
        Ok(())
    }
}

/// The stock rows of a query's SELECT (store, item, level, threshold, item JSON).
fn rows(st: &mut rusqlite::Statement<'_>, p: impl rusqlite::Params) -> Result<Vec<StockRow>> {
    let mut q = st.query(p)?;
    let mut out = Vec::new();
    while let Some(r) = q.next()? {
        let level: String = r.get(2)?;
        let threshold: Option<String> = r.get(3)?;
        let item: Option<String> = r.get(4)?;
        out.push(crate::store::stockops::stock_row(
            r.get(0)?,
            r.get(1)?,
            parse_dec("stock_levels.level", &level)?,
            threshold
                .map(|t| parse_dec("stock_thresholds.threshold", &t))
                .transpose()?,
            item.as_deref(),
        ));
    }
    Ok(out)
}

const LEVEL_COLUMNS: &str =
    "l.store_id, l.item_id, l.level, coalesce(own.threshold, every.threshold), c.item
     FROM stock_levels l
     LEFT JOIN stock_thresholds own ON own.store_id = l.store_id AND own.item_id = l.item_id
     LEFT JOIN stock_thresholds every ON every.store_id = '' AND every.item_id = l.item_id
     LEFT JOIN catalog c ON c.store_id = '' AND c.item_id = l.item_id";

fn moves(
    c: &Connection,
    store: Option<&str>,
    item: Option<&str>,
    before: Option<i64>,
    limit: usize,
) -> Result<Vec<StockMove>> {
    let mut st = c.prepare_cached(
        "SELECT l.id, l.op_id, o.kind, l.reason, l.store_id, l.item_id, l.delta, l.counted, o.at,
                o.user_id, o.supplier, o.reference, o.store_id, o.other_store, l.version
         FROM stock_op_lines l JOIN stock_ops o ON o.op_id = l.op_id
         WHERE (?1 IS NULL OR l.store_id = ?1) AND (?2 IS NULL OR l.item_id = ?2)
           AND (?3 IS NULL OR l.id < ?3)
         ORDER BY l.id DESC LIMIT ?4",
    )?;
    let mut q = st.query(params![store, item, before, to_i64(limit as u64)])?;
    let mut out = Vec::new();
    while let Some(r) = q.next()? {
        let delta: String = r.get(6)?;
        let counted: Option<String> = r.get(7)?;
        let store_id: String = r.get(4)?;
        let (first, second): (String, Option<String>) = (r.get(12)?, r.get(13)?);
        out.push(StockMove {
            id: r.get(0)?,
            op_id: r.get(1)?,
            kind: r.get(2)?,
            reason: r.get(3)?,
            other_store: crate::store::stockops::other_store(&store_id, &first, second),
            store_id,
            item_id: r.get(5)?,
            delta: parse_dec("stock_op_lines.delta", &delta)?,
            counted: counted
                .map(|c| parse_dec("stock_op_lines.counted", &c))
                .transpose()?,
            at: r.get(8)?,
            user: r.get(9)?,
            supplier: r.get(10)?,
            reference: r.get(11)?,
            version: to_u64(r.get(14)?),
        });
    }
    Ok(out)
}

/// The stock lines of a store after catalog version `since`, for a till.
pub(super) fn stock_since(
    c: &Connection,
    store: &str,
    since: u64,
) -> Result<Vec<sync_proto::StockUpdate>> {
    let mut st = c.prepare_cached(
        "SELECT op_id, item_id, delta, reason, version FROM stock_op_lines
         WHERE store_id = ?1 AND version > ?2 ORDER BY version, id",
    )?;
    let mut q = st.query(params![store, to_i64(since)])?;
    let mut out = Vec::new();
    while let Some(r) = q.next()? {
        let delta: String = r.get(2)?;
        out.push(crate::store::stockops::stock_update(
            r.get(0)?,
            r.get(1)?,
            &delta,
            r.get(3)?,
            r.get(4)?,
        )?);
    }
    Ok(out)
}

impl StockOpsStore for SqliteStore {
    fn record_stock_op(&self, op: &StockOp, at: &str) -> Result<StockOpOutcome> {
        let t = TerminalAuth {
            terminal_id: HEADOFFICE_TERMINAL.into(),
            store_id: String::new(),
        };
        record(Box::new(tx::begin(self.lock()?, &t)?), op, at)
    }

    fn store_ids(&self) -> Result<Vec<String>> {
        let c = self.lock()?;
        let mut st = c.prepare_cached("SELECT store_id FROM stores ORDER BY store_id")?;
        let v = st
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(v)
    }

    fn low_stock_levels(&self, store: Option<&str>) -> Result<Vec<StockRow>> {
        let c = self.lock()?;
        let mut st = c.prepare_cached(&format!(
            "SELECT {LEVEL_COLUMNS}
             JOIN low_stock m ON m.store_id = l.store_id AND m.item_id = l.item_id
             WHERE (?1 IS NULL OR l.store_id = ?1)"
        ))?;
        let mut out = rows(&mut st, params![store])?;
        out.sort_by(|a, b| a.level.cmp(&b.level).then(a.item_id.cmp(&b.item_id)));
        Ok(out)
    }

    fn stock_rows(&self, q: &StockQuery) -> Result<Vec<StockRow>> {
        let c = self.lock()?;
        // One statement per filter: SQLite plans `(?1 IS NULL OR ...)` as a
        // scan of every level, whatever the parameters.
        let filter = match (&q.store, &q.item) {
            (Some(_), Some(_)) => "l.store_id = ?1 AND l.item_id = ?2",
            (Some(_), None) => "l.store_id = ?1 AND ?2 IS NULL",
            (None, Some(_)) => "?1 IS NULL AND l.item_id = ?2",
            (None, None) => "?1 IS NULL AND ?2 IS NULL",
        };
        let mut st = c.prepare_cached(&format!(
            "SELECT {LEVEL_COLUMNS}
             WHERE {filter}
             ORDER BY l.store_id, l.item_id LIMIT ?3 OFFSET ?4"
        ))?;
        rows(
            &mut st,
            params![
                q.store,
                q.item,
                to_i64(q.limit as u64),
                to_i64(q.offset as u64)
            ],
        )
    }

    fn stock_moves(
        &self,
        store: Option<&str>,
        item: Option<&str>,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<StockMove>> {
        moves(&*self.lock()?, store, item, before, limit)
    }
}
