//! The Sales page: a period of day totals by day, week (from Monday) or
//! month, per store, tender and VAT rate.

use super::Sums;
use crate::store::SalesRow;
use chrono::{Datelike, Duration, NaiveDate};
use std::collections::BTreeMap;

/// How the period's rows are grouped in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Grain {
    #[default]
    Day,
    Week,
    Month,
}

impl Grain {
    pub fn parse(s: &str) -> Option<Grain> {
        match s {
            "day" | "jour" => Some(Grain::Day),
            "week" | "semaine" => Some(Grain::Week),
            "month" | "mois" => Some(Grain::Month),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Grain::Day => "day",
            Grain::Week => "week",
            Grain::Month => "month",
        }
    }

    /// The first day of the bucket holding `d`.
    pub fn start(self, d: NaiveDate) -> NaiveDate {
        match self {
            Grain::Day => d,
            Grain::Week => d - Duration::days(i64::from(d.weekday().num_days_from_monday())),
            Grain::Month => d.with_day(1).unwrap_or(d),
        }
    }
}

/// The longest period one page or export reads, in days.
pub const MAX_DAYS: i64 = 800;

/// Checks a period: from <= to, at most [`MAX_DAYS`] long.
pub fn period_ok(from: NaiveDate, to: NaiveDate) -> bool {
    from <= to && (to - from).num_days() < MAX_DAYS
}

/// Groups day rows (one store's, or summed over stores: [`crate::store::dash::Group::DayKey`])
/// into buckets of `grain`, oldest first: (bucket start, sums).
pub fn buckets(rows: &[SalesRow], grain: Grain) -> Vec<(NaiveDate, Sums)> {
    let mut out: BTreeMap<NaiveDate, Sums> = BTreeMap::new();
    for r in rows {
        if let Some(d) = super::day(&r.day) {
            out.entry(grain.start(d)).or_default().add(&r.key, r.amount);
        }
    }
    out.into_iter().collect()
}

/// Groups rows per store ([`crate::store::dash::Group::StoreKey`]).
pub fn per_store(rows: &[SalesRow]) -> Vec<(String, Sums)> {
    let mut out: BTreeMap<&str, Sums> = BTreeMap::new();
    for r in rows {
        out.entry(&r.store_id).or_default().add(&r.key, r.amount);
    }
    out.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// Sums every row.
pub fn total(rows: &[SalesRow]) -> Sums {
    let mut s = Sums::default();
    for r in rows {
        s.add(&r.key, r.amount);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        let rows: Vec<SalesRow> = [
            ("2026-11-29", dec!(1)),
            ("2026-11-30", dec!(2)),
            ("2026-12-03", dec!(4)),
        ]
        .iter()
        .map(|(d, v)| SalesRow {
            store_id: String::new(),
            day: d.to_string(),
            key: "net".into(),
            amount: *v,
        })
        .collect();
        let d = |s: &str| super::super::day(s).unwrap_or_default();
        let w = buckets(&rows, Grain::Week);
        assert_eq!(
            w.iter().map(|(k, s)| (*k, s.net)).collect::<Vec<_>>(),
            vec![(d("2026-11-23"), dec!(1)), (d("2026-11-30"), dec!(6))]
        );
        let m = buckets(&rows, Grain::Month);
        assert_eq!(
            m.iter().map(|(k, s)| (*k, s.net)).collect::<Vec<_>>(),
            vec![(d("2026-11-01"), dec!(3)), (d("2026-12-01"), dec!(4))]
        );
        assert_eq!(buckets(&rows, Grain::Day).len(), 3);
        assert!(period_ok(d("2026-01-01"), d("2026-12-31")));
        assert!(!period_ok(d("2026-12-31"), d("2026-01-01")));
        assert!(!period_ok(d("2020-01-01"), d("2026-12-31")));
    }
}
