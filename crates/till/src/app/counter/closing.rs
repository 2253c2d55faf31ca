//! The end of the day: the X report (so far), the cash count and the Z
//! closing, signed; months and years close on their own after it.

use super::ops::Op;
use super::{parse_money, CountRow, Counter, Effect, Screen};
use crate::app::keys::Key;
use anyhow::Result;
use chrono::{Datelike, NaiveDate};
use comptoir_i18n::till::Till;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use till_core::drawer::authorize_close_day;
use till_core::records::PeriodTotals;
use till_core::Money;

impl Counter {
    /// Keys on a report: F8 prints it.
    pub(crate) fn report_key(&mut self, k: Key, title: &str, text: &str) {
        match k {
            Key::Up => self.report_scroll = self.report_scroll.saturating_sub(5),
            Key::Down => {
                let last = u16::try_from(text.lines().count()).unwrap_or(u16::MAX);
                self.report_scroll = (self.report_scroll + 5).min(last.saturating_sub(1));
            }
            Key::Esc | Key::Enter => self.screen = Screen::Sale,
            Key::F(8) => {
                self.print_report(title, text);
                self.info(self.tr(Till::ReportSent));
            }
            _ => {}
        }
    }

    pub(crate) fn x_report(&mut self) {
        let day = self.business_day().to_string();
        self.emit(Effect::XReport { day });
    }

    pub(crate) fn x_report_ready(&mut self, day: String, result: Result<String, String>) {
        let shown = day
            .parse::<NaiveDate>()
            .map(|d| self.day_text(d))
            .unwrap_or(day);
        match result {
            Ok(text) => {
                self.report_scroll = 0;
                self.screen = Screen::Report {
                    title: self.trf(Till::XTitle, &[("day", &shown)]),
                    text,
                }
            }
            Err(e) => self.error(self.trf(Till::ReportFailed, &[("why", &e)])),
        }
    }

    /// Expected amounts per tender for the Z cash count.
    pub(crate) fn start_cash_count(&mut self) {
        let day = self.business_day().to_string();
        self.emit(Effect::ReadTotals { day });
    }

    pub(crate) fn totals_ready(&mut self, result: Result<PeriodTotals, String>) {
        let totals = match result {
            Ok(t) => t,
            Err(e) => {
                self.error(self.trf(Till::TotalsUnreadable, &[("why", &e)]));
                return;
            }
        };
        let mut expected: BTreeMap<String, Money> = totals.by_tender.clone();
        let cash = expected.entry("cash".into()).or_default();
        *cash += totals.cash_in - totals.cash_out;
        // Cash first: it is what the cashier counts by hand.
        let mut rows: Vec<CountRow> = Vec::new();
        if let Some(c) = expected.remove("cash") {
            rows.push(CountRow {
                tender: "cash".into(),
                expected: c,
                counted: None,
            });
        }
        rows.extend(expected.into_iter().map(|(tender, e)| CountRow {
            tender,
            expected: e,
            counted: None,
        }));
        self.input.clear();
        self.screen = Screen::CashCount { rows, sel: 0 };
    }

    pub(crate) fn cash_count_key(&mut self, k: Key, mut rows: Vec<CountRow>, mut sel: usize) {
        if self.edit(k) {
            return;
        }
        match k {
            Key::Up | Key::Down => sel = Self::move_sel(sel, rows.len(), k),
            Key::Enter => match parse_money(&self.input) {
                Some(m) if m >= Decimal::ZERO => {
                    if let Some(r) = rows.get_mut(sel) {
                        r.counted = Some(m);
                    }
                    self.input.clear();
                    if sel + 1 < rows.len() {
                        sel += 1;
                    }
                }
                _ => self.error(self.tr(Till::CountedUnreadable)),
            },
            Key::F(8) => {
                if rows.iter().any(|r| r.counted.is_none()) {
                    self.error(self.tr(Till::CountEach));
                } else {
                    self.screen = Screen::CashCount {
                        rows: rows.clone(),
                        sel,
                    };
                    self.exec(Op::CloseDay(rows));
                    return;
                }
            }
            Key::Esc => {
                self.input.clear();
                self.screen = Screen::Sale;
                return;
            }
            _ => {}
        }
        self.screen = Screen::CashCount { rows, sel };
    }

    pub(crate) fn close_day(&mut self, rows: &[CountRow]) -> Result<()> {
        let user = self.logged_user()?;
        let day = self.business_day();
        authorize_close_day(
            &user,
            &self.op_approvals,
            day,
            &self.settings.basket.permissions,
        )?;
        let counted: BTreeMap<String, Money> = rows
            .iter()
            .filter_map(|r| r.counted.map(|c| (r.tender.clone(), c)))
            .collect();
        let ts = self.now();
        self.emit(Effect::CloseDay {
            ts,
            day,
            operator: user.id.clone(),
            counted,
            rows: rows.to_vec(),
        });
        Ok(())
    }

    /// The Z is signed (or not): print its report.
    pub(crate) fn day_closed(
        &mut self,
        day: NaiveDate,
        rows: &[CountRow],
        closed: Result<(), String>,
        report: Result<String, String>,
        auto: Vec<String>,
    ) {
        if let Err(e) = closed {
            self.error(self.trf(
                Till::CloseFailed,
                &[("day", &self.day_text(day)), ("why", &e)],
            ));
            return;
        }
        self.last_closed = Some(day);
        let period = day.to_string();
        // The count is in the report: the signed closing carries it.
        let _ = rows;
        let mut text = match report {
            Ok(t) => t,
            Err(e) => {
                self.error(e);
                return;
            }
        };
        if !auto.is_empty() {
            let list: Vec<String> = auto
                .iter()
                .map(|p| match p.len() {
                    4 => self.trf(Till::AutoYear, &[("year", p)]),
                    _ => self.trf(
                        Till::AutoMonth,
                        &[(
                            "month",
                            &p.split_once('-')
                                .map_or(p.clone(), |(y, m)| format!("{m}/{y}")),
                        )],
                    ),
                })
                .collect();
            text.push('\n');
            text.push_str(&self.trf(Till::AutoClosings, &[("list", &list.join(", "))]));
            text.push('\n');
        }
        self.print_report(&format!("Z {period}"), &text);
        self.report_scroll = 0;
        self.screen = Screen::Report {
            title: self.trf(Till::ZTitle, &[("day", &self.day_text(day))]),
            text,
        };
    }
}

/// The months and years to close after the Z of `day`, given the closings
/// so far (kind, period, seq): the month (year) of `day` if it is its last
/// day, and any earlier month (year) with closed days but no closing of
/// its own. Oldest first.
pub fn due_periods(
    day: NaiveDate,
    closings: &[(String, String, u64)],
) -> (Vec<String>, Vec<String>) {
    let closed = |kind: &str, p: &str| closings.iter().any(|(k, q, _)| k == kind && q == p);
    let next = day.succ_opt().unwrap_or(day);
    let this_month = format!("{:04}-{:02}", day.year(), day.month());
    let mut months: Vec<String> = closings
        .iter()
        .filter(|(k, _, _)| k == "day")
        .filter_map(|(_, p, _)| p.get(..7).map(str::to_string))
        .filter(|m| *m < this_month || (*m == this_month && next.month() != day.month()))
        .collect();
    months.sort();
    months.dedup();
    months.retain(|m| !closed("month", m));
    let this_year = format!("{:04}", day.year());
    let mut years: Vec<String> = closings
        .iter()
        .filter(|(k, _, _)| k == "day")
        .filter_map(|(_, p, _)| p.get(..4).map(str::to_string))
        .filter(|y| *y < this_year || (*y == this_year && next.year() != day.year()))
        .collect();
    years.sort();
    years.dedup();
    years.retain(|y| !closed("year", y));
    (months, years)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(kind: &str, p: &str) -> (String, String, u64) {
        (kind.into(), p.into(), 0)
    }

    #[test]
    fn months_and_years_close_after_their_last_day_or_when_left_open() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let closings = vec![day("day", "2026-10-30"), day("day", "2026-11-23")];
        // October was left open; November goes on.
        assert_eq!(
            due_periods(d("2026-11-23"), &closings),
            (vec!["2026-10".to_string()], vec![])
        );
        let closings = vec![
            day("day", "2026-10-30"),
            day("month", "2026-10"),
            day("day", "2026-12-31"),
        ];
        // The last day of the year closes its month and its year.
        assert_eq!(
            due_periods(d("2026-12-31"), &closings),
            (vec!["2026-12".to_string()], vec!["2026".to_string()])
        );
    }
}
