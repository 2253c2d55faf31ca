//! The end of the day: the X report (so far), the cash count and the Z
//! closing, signed; months and years close on their own after it.

use super::ops::Op;
use super::{parse_money, CountRow, Counter, Effect, Screen};
use crate::app::keys::Key;
use anyhow::Result;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use till_core::drawer::authorize_close_day;
use till_core::records::PeriodTotals;
use till_core::Money;

impl Counter {
    /// Keys on a report: F8 prints it.
    pub(crate) fn report_key(&mut self, k: Key, title: &str, text: &str) {
        match k {
            Key::Esc | Key::Enter => self.screen = Screen::Sale,
            Key::F(8) => {
                self.print_report(title, text);
                self.info("Rapport envoyé à l'imprimante");
            }
            _ => {}
        }
    }

    pub(crate) fn x_report(&mut self) {
        let day = self.business_day().to_string();
        self.emit(Effect::XReport { day });
    }

    pub(crate) fn x_report_ready(&mut self, day: String, result: Result<String, String>) {
        match result {
            Ok(text) => {
                self.screen = Screen::Report {
                    title: format!("Rapport X du {day} (provisoire)"),
                    text,
                }
            }
            Err(e) => self.error(format!("Rapport impossible : {e}")),
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
                self.error(format!("Totaux illisibles : {e}"));
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
                _ => self.error("Montant compté illisible"),
            },
            Key::F(8) => {
                if rows.iter().any(|r| r.counted.is_none()) {
                    self.error("Comptez chaque moyen de paiement (Entrée après chaque montant)");
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
            self.error(e);
            return;
        }
        self.last_closed = Some(day);
        let period = day.to_string();
        let mut text = match report {
            Ok(t) => t,
            Err(e) => {
                self.error(e);
                return;
            }
        };
        if !text.to_lowercase().contains("comptage") {
            // The report did not show the count: add it.
            text.push_str("\nComptage (attendu / compté / écart)\n");
            for r in rows {
                let c = r.counted.unwrap_or_default();
                text.push_str(&format!(
                    "  {:<14} {:>12} {:>12} {:>10}\n",
                    r.tender,
                    self.money(r.expected),
                    self.money(c),
                    self.money(c - r.expected)
                ));
            }
        }
        if !auto.is_empty() {
            text.push_str(&format!("\nClôtures automatiques : {}\n", auto.join(", ")));
        }
        self.print_report(&format!("Z {period}"), &text);
        self.screen = Screen::Report {
            title: format!("Clôture Z du {period} enregistrée"),
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
