//! Stock reads, from the `stock_levels` and `stock_ledger` projections.

use crate::error::{JournalError, Result};
use crate::journal::{to_u64, Journal};
use rusqlite::OptionalExtension;
use rust_decimal::Decimal;
use till_core::records::ItemId;

/// One stock movement of one item, as in the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLedgerRow {
    /// The journal record that moved the stock.
    pub seq: u64,
    pub item_id: ItemId,
    pub delta: Decimal,
    /// "sale", "return", "cancellation", "goods_received", "adjustment", ...
    pub reason: String,
}

impl Journal {
    fn parse_dec(&self, what: &str, s: &str) -> Result<Decimal> {
        s.parse().map_err(|_| JournalError::Corrupt {
            path: self.path.clone(),
            detail: format!("{what} holds {s:?}, not a decimal"),
        })
    }

    /// The item's stock level (sum of its movements); 0 if it never moved.
    pub fn stock_level(&self, item_id: &str) -> Result<Decimal> {
        let v: Option<String> = self
            .conn
            .prepare_cached("SELECT level FROM stock_levels WHERE item_id = ?1")
            .and_then(|mut s| s.query_row([item_id], |r| r.get(0)).optional())
            .map_err(|e| self.db(e))?;
        match v {
            None => Ok(Decimal::ZERO),
            Some(v) => self.parse_dec("stock_levels", &v),
        }
    }

    /// Every item that ever moved, with its level, ordered by item id.
    pub fn stock_levels(&self) -> Result<Vec<(ItemId, Decimal)>> {
        let db = |e| self.db(e);
        let mut st = self
            .conn
            .prepare_cached("SELECT item_id, level FROM stock_levels ORDER BY item_id")
            .map_err(db)?;
        let rows: Vec<(String, String)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(db)?
            .collect::<rusqlite::Result<_>>()
            .map_err(db)?;
        rows.into_iter()
            .map(|(id, v)| Ok((id, self.parse_dec("stock_levels", &v)?)))
            .collect()
    }

    /// The movements of one item, oldest first.
    pub fn stock_ledger(&self, item_id: &str) -> Result<Vec<StockLedgerRow>> {
        let db = |e| self.db(e);
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT seq, item_id, delta, reason FROM stock_ledger WHERE item_id = ?1 ORDER BY seq, idx",
            )
            .map_err(db)?;
        let rows: Vec<(i64, String, String, String)> = st
            .query_map([item_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .map_err(db)?
            .collect::<rusqlite::Result<_>>()
            .map_err(db)?;
        rows.into_iter()
            .map(|(seq, item_id, d, reason)| {
                Ok(StockLedgerRow {
                    seq: to_u64(seq),
                    item_id,
                    delta: self.parse_dec("stock_ledger", &d)?,
                    reason,
                })
            })
            .collect()
    }
}
