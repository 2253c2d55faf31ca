//! PostgreSQL's SQL for the back office's stock operations and reads
//! ([`crate::store::stockops`] decides).

use super::tx::PgTx;
use super::PgStore;
use crate::store::stockops::{
    other_store, record, stock_row, stock_update, StockMove, StockOp, StockOpOutcome, StockOpTx,
    StockOpsStore, StockQuery, StockRow, HEADOFFICE_TERMINAL,
};
use crate::store::{parse_dec, to_i64, to_u64, Result, TerminalAuth, Tx};
use postgres::GenericClient;
use rust_decimal::Decimal;

impl StockOpTx for PgTx<'_> {
    fn set_store(&mut self, store: &str) {
        self.t.store_id = store.to_string();
    }

    fn next_version(&mut self) -> Result<u64> {
        // As load_catalog: one writer of catalog versions at a time.
        self.c
            .execute("LOCK TABLE catalog_versions IN EXCLUSIVE MODE", &[])?;
        let v: i64 = self
            .c
            .query_one(
                "SELECT coalesce(max(version), 0) + 1 FROM catalog_versions",
                &[],
            )?
            .get(0);
        Ok(to_u64(v))
    }

    fn op_version(&mut self, op_id: &str) -> Result<Option<u64>> {
        Ok(self
            .c
            .query_opt("SELECT version FROM stock_ops WHERE op_id = $1", &[&op_id])?
            .map(|r| to_u64(r.get(0))))
    }

    fn store_known(&mut self, store: &str) -> Result<bool> {
        Ok(self
            .c
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM stores WHERE store_id = $1)",
                &[&store],
            )?
            .get(0))
    }

    fn item_known(&mut self, item: &str) -> Result<bool> {
        Ok(self
            .c
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM catalog WHERE store_id = '' AND item_id = $1)",
                &[&item],
            )?
            .get(0))
    }

    fn level(&mut self, item: &str) -> Result<Decimal> {
        let v: Option<String> = self
            .c
            .query_opt(
                "SELECT level::text FROM stock_levels WHERE store_id = $1 AND item_id = $2 FOR UPDATE",
                &[&self.t.store_id, &item],
            )?
            .map(|r| r.get(0));
        v.map_or(Ok(Decimal::ZERO), |v| parse_dec("stock_levels.level", &v))
    }

    fn insert_op(&mut self, op: &StockOp, version: u64, at: &str) -> Result<()> {
        let stores = op.kind.stores();
        let (supplier, reference) = op.source();
        self.c.execute(
            "INSERT INTO stock_ops (op_id, kind, at, user_id, store_id, other_store, supplier, reference, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &op.op_id,
                &op.kind.as_str(),
                &at,
                &op.user,
                &stores[0],
                &stores.get(1).copied(),
                &supplier,
                &reference,
                &to_i64(version),
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
        let (delta, counted) = (delta.to_string(), counted.map(|c| c.to_string()));
        self.c.execute(
            "INSERT INTO stock_op_lines (op_id, store_id, item_id, reason, delta, counted, version)
             VALUES ($1, $2, $3, $4, $5::text::numeric, $6::text::numeric, $7)",
            &[
                &op_id,
                &self.t.store_id,
                &item,
                &reason,
                &delta,
                &counted,
                &to_i64(version),
            ],
        )?;
        self.c.execute(
            "INSERT INTO stock_levels (store_id, item_id, level) VALUES ($1, $2, $3::text::numeric)
             ON CONFLICT (store_id, item_id) DO UPDATE SET level = stock_levels.level + EXCLUDED.level",
            &[&self.t.store_id, &item, &delta],
        )?;
        Ok(())
    }

    fn add_version(&mut self, version: u64, at: &str, lines: u64) -> Result<()> {
        self.c.execute(
            "INSERT INTO catalog_versions (version, loaded_at, items) VALUES ($1, $2, $3)",
            &[&to_i64(version), &at, &to_i64(lines)],
        )?;
        Ok(())
    }
}

const LEVEL_COLUMNS: &str = "l.store_id, l.item_id, l.level::text,
        coalesce(own.threshold, every.threshold)::text, c.item
     FROM stock_levels l
     LEFT JOIN stock_thresholds own ON own.store_id = l.store_id AND own.item_id = l.item_id
     LEFT JOIN stock_thresholds every ON every.store_id = '' AND every.item_id = l.item_id
     LEFT JOIN catalog c ON c.store_id = '' AND c.item_id = l.item_id";

fn rows(found: Vec<postgres::Row>) -> Result<Vec<StockRow>> {
    found
        .iter()
        .map(|r| {
            let threshold: Option<String> = r.get(3);
            let item: Option<String> = r.get(4);
            Ok(stock_row(
                r.get(0),
                r.get(1),
                parse_dec("stock_levels.level", r.get(2))?,
                threshold
                    .map(|t| parse_dec("stock_thresholds.threshold", &t))
                    .transpose()?,
                item.as_deref(),
            ))
        })
        .collect()
}

/// The stock lines of a store after catalog version `since`, for a till.
pub(super) fn stock_since(
    c: &mut impl GenericClient,
    store: &str,
    since: u64,
) -> Result<Vec<sync_proto::StockUpdate>> {
    c.query(
        "SELECT op_id, item_id, delta::text, reason, version FROM stock_op_lines
         WHERE store_id = $1 AND version > $2 ORDER BY version, id",
        &[&store, &to_i64(since)],
    )?
    .iter()
    .map(|r| stock_update(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
    .collect()
}

impl StockOpsStore for PgStore {
    fn record_stock_op(&self, op: &StockOp, at: &str) -> Result<StockOpOutcome> {
        let t = TerminalAuth {
            terminal_id: HEADOFFICE_TERMINAL.into(),
            store_id: String::new(),
        };
        record(Box::new(Tx::begin(self.conn()?, "BEGIN", &t)?), op, at)
    }

    fn store_ids(&self) -> Result<Vec<String>> {
        Ok(self
            .conn()?
            .query("SELECT store_id FROM stores ORDER BY store_id", &[])?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn low_stock_levels(&self, store: Option<&str>) -> Result<Vec<StockRow>> {
        let found = self.conn()?.query(
            &format!(
                "SELECT {LEVEL_COLUMNS}
                 JOIN low_stock m ON m.store_id = l.store_id AND m.item_id = l.item_id
                 WHERE ($1::text IS NULL OR l.store_id = $1)
                 ORDER BY l.level, l.item_id"
            ),
            &[&store],
        )?;
        rows(found)
    }

    fn stock_rows(&self, q: &StockQuery) -> Result<Vec<StockRow>> {
        let found = self.conn()?.query(
            &format!(
                "SELECT {LEVEL_COLUMNS}
                 WHERE ($1::text IS NULL OR l.store_id = $1) AND ($2::text IS NULL OR l.item_id = $2)
                 ORDER BY l.store_id, l.item_id LIMIT $3 OFFSET $4"
            ),
            &[
                &q.store,
                &q.item,
                &to_i64(q.limit as u64),
                &to_i64(q.offset as u64),
            ],
        )?;
        rows(found)
    }

    fn stock_moves(
        &self,
        store: Option<&str>,
        item: Option<&str>,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<StockMove>> {
        let found = self.conn()?.query(
            "SELECT l.id, l.op_id, o.kind, l.reason, l.store_id, l.item_id, l.delta::text,
                    l.counted::text, o.at, o.user_id, o.supplier, o.reference, o.store_id,
                    o.other_store, l.version
             FROM stock_op_lines l JOIN stock_ops o ON o.op_id = l.op_id
             WHERE ($1::text IS NULL OR l.store_id = $1) AND ($2::text IS NULL OR l.item_id = $2)
               AND ($3::bigint IS NULL OR l.id < $3)
             ORDER BY l.id DESC LIMIT $4",
            &[&store, &item, &before, &to_i64(limit as u64)],
        )?;
        found
            .iter()
            .map(|r| {
                let store_id: String = r.get(4);
                let counted: Option<String> = r.get(7);
                let first: String = r.get(12);
                Ok(StockMove {
                    id: r.get(0),
                    op_id: r.get(1),
                    kind: r.get(2),
                    reason: r.get(3),
                    other_store: other_store(&store_id, &first, r.get(13)),
                    store_id,
                    item_id: r.get(5),
                    delta: parse_dec("stock_op_lines.delta", r.get(6))?,
                    counted: counted
                        .map(|c| parse_dec("stock_op_lines.counted", &c))
                        .transpose()?,
                    at: r.get(8),
                    user: r.get(9),
                    supplier: r.get(10),
                    reference: r.get(11),
                    version: to_u64(r.get(14)),
                })
            })
            .collect()
    }
}
