//! Closings (Z reports) and period totals (X reports), read from the projections.

use crate::error::{JournalError, Result};
use crate::journal::{format_ts, to_u64, Appended, Journal};
use crate::projections;
use chrono::{DateTime, FixedOffset, NaiveDate};
use rusqlite::OptionalExtension;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use till_core::money::Money;
use till_core::records::{Closing, ClosingKind, Event, PeriodTotals};

/// Checks `period` has the shape `kind` needs and returns the day range
/// [lo, hi) of `day_totals.day` strings it covers.
fn period_range(kind: ClosingKind, period: &str) -> Result<(String, String)> {
    let bad = |expected| JournalError::InvalidPeriod {
        kind: kind.as_str(),
        period: period.to_string(),
        expected,
    };
    match kind {
        ClosingKind::Day => {
            let d = NaiveDate::parse_from_str(period, "%Y-%m-%d").map_err(|_| bad("YYYY-MM-DD"))?;
            if d.to_string() != period {
                return Err(bad("YYYY-MM-DD"));
            }
            // A single day: [day, day + "\0") in string order.
            Ok((period.to_string(), format!("{period}\u{0}")))
        }
        ClosingKind::Month => {
            let ok = period.len() == 7
                && NaiveDate::parse_from_str(&format!("{period}-01"), "%Y-%m-%d").is_ok();
            if !ok {
                return Err(bad("YYYY-MM"));
            }
            // Every "YYYY-MM-DD" with this prefix sorts within ["YYYY-MM-", "YYYY-MM.").
            Ok((format!("{period}-"), format!("{period}.")))
        }
        ClosingKind::Year => {
            if period.len() != 4 || !period.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("YYYY"));
            }
            Ok((format!("{period}-"), format!("{period}.")))
        }
    }
}

impl Journal {
    /// Totals of a day ("2026-11-23"), month ("2026-11") or year ("2026") by
    /// business day, training excluded: what an X report prints.
    pub fn period_totals(&self, kind: ClosingKind, period: &str) -> Result<PeriodTotals> {
        let (lo, hi) = period_range(kind, period)?;
        let db = |e| self.db(e);
        let mut sums: BTreeMap<String, Decimal> = BTreeMap::new();
        let mut st = self
            .conn
            .prepare_cached("SELECT key, amount FROM day_totals WHERE day >= ?1 AND day < ?2")
            .map_err(db)?;
        let mut rows = st.query([&lo, &hi]).map_err(db)?;
        while let Some(r) = rows.next().map_err(db)? {
            let k: String = r.get(0).map_err(db)?;
            let v: String = r.get(1).map_err(db)?;
            let v: Decimal = v.parse().map_err(|_| JournalError::Corrupt {
                path: self.path.clone(),
                detail: format!("day_totals {k} holds {v:?}"),
            })?;
            *sums.entry(k).or_default() += v;
        }
        Ok(totals_from_sums(&sums))
    }

    /// The perpetual grand totals: (net of every record ever, sum of |total|).
    pub fn grand_totals(&self) -> Result<(Money, Money)> {
        let get = |k: &str| -> Result<Money> {
            let v: Option<String> = self
                .conn
                .prepare_cached("SELECT amount FROM perpetual WHERE key = ?1")
                .and_then(|mut s| s.query_row([k], |r| r.get(0)).optional())
                .map_err(|e| self.db(e))?;
            match v {
                None => Ok(Decimal::ZERO),
                Some(v) => v.parse().map_err(|_| JournalError::Corrupt {
                    path: self.path.clone(),
                    detail: format!("perpetual {k} holds {v:?}"),
                }),
            }
        };
        Ok((
            get(projections::P_GRAND_TOTAL)?,
            get(projections::P_GRAND_TOTAL_ABS)?,
        ))
    }

    /// Records a daily (Z), monthly or yearly closing, signed with the
    /// terminal's key. Its totals come from the projections; `first_seq` is the
    /// `last_seq` of the previous closing of the same kind + 1 (1 for the first);
    /// `last_seq` is the head before the closing record, so consecutive closings
    /// of a kind tile the journal without gaps. A period is closed once.
    pub fn close(
        &self,
        ts: DateTime<FixedOffset>,
        kind: ClosingKind,
        period: &str,
        operator: &str,
        counted: BTreeMap<String, Money>,
    ) -> Result<Appended> {
        self.signing_key("close")?;
        period_range(kind, period)?;
        let tx = self.begin()?;
        let db = |e| self.db(e);
        let existing: Option<i64> = tx
            .prepare_cached("SELECT seq FROM closings WHERE kind = ?1 AND period = ?2")
            .and_then(|mut s| {
                s.query_row([kind.as_str(), period], |r| r.get(0))
                    .optional()
            })
            .map_err(db)?;
        if let Some(seq) = existing {
            return Err(JournalError::AlreadyClosed {
                kind: kind.as_str(),
                period: period.to_string(),
                seq: to_u64(seq),
            });
        }
        let prev_last: Option<i64> = tx
            .prepare_cached("SELECT max(last_seq) FROM closings WHERE kind = ?1")
            .and_then(|mut s| s.query_row([kind.as_str()], |r| r.get(0)))
            .map_err(db)?;
        let (head, _) = self.head_in(&tx)?;
        let totals = self.period_totals(kind, period)?;
        let (grand_total, grand_total_abs) = self.grand_totals()?;
        let closing = Closing {
            kind,
            period: period.to_string(),
            first_seq: prev_last.map(to_u64).unwrap_or(0) + 1,
            last_seq: head,
            totals,
            grand_total,
            grand_total_abs,
            operator: operator.to_string(),
            counted,
        };
        let a = self.append_in(&tx, &format_ts(&ts), &Event::Closing(closing), true)?;
        self.write_tail(&tx, a.seq, &a.hash)?;
        tx.commit().map_err(db)?;
        Ok(a)
    }

    /// The closings recorded: (kind, period, seq of the closing record).
    pub fn closings(&self) -> Result<Vec<(String, String, u64)>> {
        let db = |e| self.db(e);
        let mut st = self
            .conn
            .prepare_cached("SELECT kind, period, seq FROM closings ORDER BY seq")
            .map_err(db)?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, to_u64(r.get(2)?))))
            .map_err(db)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db)
    }
}

/// Builds `PeriodTotals` from summed `day_totals` keys (the rule is
/// `till_core::totals::period_totals`, shared with the archive verifier).
pub(crate) fn totals_from_sums(sums: &BTreeMap<String, Decimal>) -> PeriodTotals {
    till_core::totals::period_totals(sums)
}
