//! The sales of a run of business days, from the day totals projection:
//! what the counter's rolling average basket starts from (one indexed read
//! of a few rows per day, never a walk of the events).

use crate::{Journal, JournalError, Result};
use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use till_core::money::Money;
use till_core::totals::names;

impl Journal {
    /// (sale records, sum of the positive ones) of the business days
    /// `first..=last`, training excluded (the day totals' `records` and
    /// `sales`).
    pub fn sales_between(&self, first: NaiveDate, last: NaiveDate) -> Result<(u64, Money)> {
        let db = |e| self.db(e);
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT key, amount FROM day_totals
                 WHERE day >= ?1 AND day <= ?2 AND key IN (?3, ?4)",
            )
            .map_err(db)?;
        let mut rows = st
            .query([
                first.to_string(),
                last.to_string(),
                names::RECORDS.to_string(),
                names::SALES.to_string(),
            ])
            .map_err(db)?;
        let (mut count, mut total) = (Decimal::ZERO, Decimal::ZERO);
        while let Some(r) = rows.next().map_err(db)? {
            let k: String = r.get(0).map_err(db)?;
            let v: String = r.get(1).map_err(db)?;
            let v: Decimal = v.parse().map_err(|_| JournalError::Corrupt {
                path: self.path.clone(),
                detail: format!("day_totals {k} holds {v:?}"),
            })?;
            if k == names::RECORDS {
                count += v;
            } else {
                total += v;
            }
        }
        let count = count.to_u64().unwrap_or(0);
        Ok((count, total))
    }
}
