//! The Today page's figures: what each store and terminal sold so far
//! today, the payment split, the hours, the last 30 days, and which
//! terminals went silent while their shop is open.
//!
//! "Open": the shop (store) sold something today, and the terminal has
//! not signed today's Z (a Z ends its day: silence after it is expected).
//! A terminal of an open shop, not revoked, whose last push is older than
//! [`SILENT_AFTER`] (or that never pushed) is silent.

use super::Sums;
use crate::store::dash::{HourRow, TerminalRow};
use crate::store::SalesRow;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// How long a terminal of an open shop may stay quiet.
pub const SILENT_AFTER: Duration = Duration::minutes(5);

/// Days of the sales-per-store chart.
pub const DAYS: i64 = 30;

/// One store today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreToday {
    pub store_id: String,
    pub sums: Sums,
}

/// What a terminal is doing today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncState {
    /// Pushed within [`SILENT_AFTER`].
    Ok,
    /// Open shop, no push for longer: shown as such, and as an alert.
    Silent,
    /// Signed today's Z.
    Closed,
    /// Its shop sold nothing today.
    Idle,
    /// Its token is revoked.
    Revoked,
}

/// One terminal today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalToday {
    pub terminal_id: String,
    pub store_id: String,
    pub records: i64,
    pub net: Decimal,
    pub last_seen: Option<DateTime<Utc>>,
    pub state: SyncState,
}

/// The whole page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Today {
    pub day: NaiveDate,
    /// Every store's sums added up.
    pub all: Sums,
    pub stores: Vec<StoreToday>,
    pub terminals: Vec<TerminalToday>,
    /// Net per hour 0..24 (the till's clock).
    pub hours: [Decimal; 24],
    /// The chart's days, oldest first, ending today.
    pub days: Vec<NaiveDate>,
    /// (store, net per day of `days`).
    pub per_day: Vec<(String, Vec<Decimal>)>,
}

/// What [`build`] reads.
pub struct Inputs<'a> {
    pub day: NaiveDate,
    pub now: DateTime<Utc>,
    /// `sales_totals` of `day` (all keys).
    pub totals: &'a [SalesRow],
    pub hours: &'a [HourRow],
    pub terminals: &'a [TerminalRow],
    /// Terminals that signed `day`'s Z.
    pub closed: &'a [String],
    /// `net` rows of the [`DAYS`] days ending `day`.
    pub nets: &'a [SalesRow],
}

/// The first day of the 30-day chart ending `day`.
pub fn first_day(day: NaiveDate) -> NaiveDate {
    day - Duration::days(DAYS - 1)
}

fn parse_at(s: Option<&str>) -> Option<DateTime<Utc>> {
    Some(DateTime::parse_from_rfc3339(s?).ok()?.with_timezone(&Utc))
}

/// Computes the page from its rows.
pub fn build(i: &Inputs<'_>) -> Today {
    let mut all = Sums::default();
    let mut stores: BTreeMap<&str, Sums> = BTreeMap::new();
    for r in i.totals {
        all.add(&r.key, r.amount);
        stores.entry(&r.store_id).or_default().add(&r.key, r.amount);
    }
    let mut hours = [Decimal::ZERO; 24];
    let mut per_terminal: BTreeMap<&str, (i64, Decimal)> = BTreeMap::new();
    for h in i.hours {
        if let Some(slot) = hours.get_mut(h.hour as usize) {
            *slot += h.net;
        }
        let t = per_terminal.entry(&h.terminal_id).or_default();
        t.0 += h.records;
        t.1 += h.net;
    }
    let open: BTreeSet<&str> = stores
        .iter()
        .filter(|(_, s)| !s.records.is_zero())
        .map(|(k, _)| *k)
        .collect();
    let closed: BTreeSet<&str> = i.closed.iter().map(String::as_str).collect();
    let terminals = i
        .terminals
        .iter()
        .map(|t| {
            let last_seen = parse_at(t.last_seen.as_deref());
            let state = if t.revoked_at.is_some() {
                SyncState::Revoked
            } else if closed.contains(t.terminal_id.as_str()) {
                SyncState::Closed
            } else if !open.contains(t.store_id.as_str()) {
                SyncState::Idle
            } else if last_seen.is_some_and(|at| i.now - at <= SILENT_AFTER) {
                SyncState::Ok
            } else {
                SyncState::Silent
            };
            let (records, net) = per_terminal
                .get(t.terminal_id.as_str())
                .copied()
                .unwrap_or_default();
            TerminalToday {
                terminal_id: t.terminal_id.clone(),
                store_id: t.store_id.clone(),
                records,
                net,
                last_seen,
                state,
            }
        })
        .collect();
    let first = first_day(i.day);
    let days: Vec<NaiveDate> = first.iter_days().take(DAYS as usize).collect();
    let mut per_day: BTreeMap<&str, Vec<Decimal>> = BTreeMap::new();
    for r in i.nets {
        let Some(d) = super::day(&r.day) else {
            continue;
        };
        let Ok(idx) = usize::try_from((d - first).num_days()) else {
            continue;
        };
        if idx < days.len() {
            per_day
                .entry(&r.store_id)
                .or_insert_with(|| vec![Decimal::ZERO; days.len()])[idx] += r.amount;
        }
    }
    Today {
        day: i.day,
        all,
        stores: stores
            .into_iter()
            .map(|(k, sums)| StoreToday {
                store_id: k.to_string(),
                sums,
            })
            .collect(),
        terminals,
        hours,
        days,
        per_day: per_day
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn row(store: &str, day: &str, key: &str, v: Decimal) -> SalesRow {
        SalesRow {
            store_id: store.into(),
            day: day.into(),
            key: key.into(),
            amount: v,
        }
    }

    fn term(id: &str, store: &str, seen: Option<&str>) -> TerminalRow {
        TerminalRow {
            terminal_id: id.into(),
            store_id: store.into(),
            last_seq: 1,
            last_seen: seen.map(str::to_string),
            last_event_ts: None,
            software_version: None,
            revoked_at: None,
            tail: None,
        }
    }

    #[test]
    fn open_shops_flag_their_silent_terminals() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap_or_default();
        let now = DateTime::parse_from_rfc3339("2026-12-03T15:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let totals = vec![
            row("S1", "2026-12-03", "records", dec!(2)),
            row("S1", "2026-12-03", "net", dec!(30.00)),
            row("S1", "2026-12-03", "tender:cash", dec!(30.00)),
        ];
        let hours = vec![HourRow {
            terminal_id: "T1".into(),
            store_id: "S1".into(),
            hour: 14,
            records: 2,
            net: dec!(30.00),
        }];
        let mut revoked = term("T5", "S1", None);
        revoked.revoked_at = Some("2026-12-01T00:00:00Z".into());
        let terminals = vec![
            term("T1", "S1", Some("2026-12-03T14:58:00Z")),
            term("T2", "S1", Some("2026-12-03T14:50:00Z")),
            term("T3", "S1", None),
            term("T4", "S2", Some("2026-12-01T10:00:00Z")),
            revoked,
            term("T6", "S1", Some("2026-12-03T12:00:00Z")),
        ];
        let nets = vec![
            row("S1", "2026-12-03", "net", dec!(30.00)),
            row("S1", "2026-11-04", "net", dec!(5)),
            row("S2", "2026-11-03", "net", dec!(99)),
        ];
        let t = build(&Inputs {
            day,
            now,
            totals: &totals,
            hours: &hours,
            terminals: &terminals,
            closed: &["T6".to_string()],
            nets: &nets,
        });
        let states: Vec<SyncState> = t.terminals.iter().map(|t| t.state).collect();
        use SyncState::*;
        assert_eq!(states, vec![Ok, Silent, Silent, Idle, Revoked, Closed]);
        assert_eq!((t.all.count(), t.all.net), (2, dec!(30.00)));
        assert_eq!(t.terminals[0].net, dec!(30.00));
        assert_eq!(t.hours[14], dec!(30.00));
        assert_eq!(t.days.len(), 30);
        assert_eq!(t.days[29], day);
        // 2026-11-04 is the first day of the chart; 2026-11-03 is before it.
        assert_eq!(t.per_day.len(), 1);
        assert_eq!(
            (t.per_day[0].1[0], t.per_day[0].1[29]),
            (dec!(5), dec!(30.00))
        );
    }
}
