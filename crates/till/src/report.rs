//! X and Z reports as text: what a manager reads at the end of the day.
//!
//! A closed period is printed from its signed closing record, never from the
//! live projections: a reprinted Z must show exactly what was signed.

use anyhow::{bail, Context, Result};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt::Write;
use till_core::records::{ClosingKind, Event, PeriodTotals, TenderKind};
use till_core::Currency;
use till_journal::Journal;

/// What a report is made of, wherever it comes from.
struct Figures<'a> {
    kind: ClosingKind,
    period: &'a str,
    /// The closing record's seq, for a closed period.
    closing_seq: Option<u64>,
    totals: PeriodTotals,
    grand: Decimal,
    grand_abs: Decimal,
    counted: BTreeMap<String, Decimal>,
}

/// The report of a period: a Z report from the signed closing if the period is
/// closed, else an X report (a reading: provisional, nothing recorded).
pub fn period_report(journal: &Journal, kind: ClosingKind, period: &str) -> Result<String> {
    let closing_seq = journal
        .closings()?
        .into_iter()
        .find(|(k, p, _)| k == kind.as_str() && p == period)
        .map(|(_, _, seq)| seq);
    let figures = match closing_seq {
        Some(seq) => {
            let stored = journal
                .event(seq)?
                .with_context(|| format!("closing record seq {seq} is missing"))?;
            let Event::Closing(c) = stored.decode()? else {
                bail!(
                    "seq {seq} is listed as a closing but holds a {} record",
                    stored.kind
                );
            };
            Figures {
                kind,
                period,
                closing_seq: Some(seq),
                totals: c.totals,
                grand: c.grand_total,
                grand_abs: c.grand_total_abs,
                counted: c.counted,
            }
        }
        None => {
            let (grand, grand_abs) = journal.grand_totals()?;
            Figures {
                kind,
                period,
                closing_seq: None,
                totals: journal.period_totals(kind, period)?,
                grand,
                grand_abs,
                counted: BTreeMap::new(),
            }
        }
    };
    Ok(render(journal.terminal_id(), &figures, &Currency::eur()))
}

fn tender_label(key: &str) -> String {
    TenderKind::ALL
        .iter()
        .find(|t| t.as_str() == key)
        .map(|t| t.label_fr().to_string())
        .unwrap_or_else(|| key.to_string())
}

fn render(terminal: &str, f: &Figures<'_>, cur: &Currency) -> String {
    let m = |d: Decimal| cur.format(d);
    let t = &f.totals;
    let mut s = String::new();
    let title = match (f.kind, f.closing_seq.is_some()) {
        (ClosingKind::Day, true) => "TICKET Z (clôture journalière)",
        (ClosingKind::Day, false) => "TICKET X (lecture, sans clôture)",
        (ClosingKind::Month, true) => "CLÔTURE MENSUELLE",
        (ClosingKind::Month, false) => "LECTURE MENSUELLE (non clôturée)",
        (ClosingKind::Year, true) => "CLÔTURE ANNUELLE",
        (ClosingKind::Year, false) => "LECTURE ANNUELLE (non clôturée)",
    };
    let _ = writeln!(s, "==== {title} ====");
    let _ = writeln!(s, "terminal {terminal}   période {}", f.period);
    let _ = match f.closing_seq {
        Some(seq) => writeln!(s, "clôture signée, enregistrement n° {seq}"),
        None => writeln!(s, "période non clôturée"),
    };
    let row = |s: &mut String, label: &str, value: String| {
        let _ = writeln!(s, "{label:<28}{value:>14}");
    };
    row(&mut s, "opérations", t.records.to_string());
    row(&mut s, "ventes", m(t.sales_total));
    row(&mut s, "retours et annulations", m(t.refunds_total));
    row(&mut s, "TOTAL NET TTC", m(t.net_total));
    let _ = writeln!(s, "-- par moyen de paiement --");
    for (tender, amount) in &t.by_tender {
        row(&mut s, &tender_label(tender), m(*amount));
    }
    let _ = writeln!(s, "-- TVA --   {:>9} {:>9} {:>10}", "HT", "TVA", "TTC");
    for v in &t.by_vat {
        let rate = format!("{} %", v.rate.as_percent().normalize()).replace('.', ",");
        let _ = writeln!(
            s,
            "{rate:<11}{:>10} {:>9} {:>10}",
            m(v.base),
            m(v.tax),
            m(v.total)
        );
    }
    row(&mut s, "entrées de caisse", m(t.cash_in));
    row(&mut s, "sorties de caisse", m(t.cash_out));
    if !f.counted.is_empty() {
        let _ = writeln!(s, "-- comptage --      {:>11} {:>10}", "attendu", "compté");
        for (tender, counted) in &f.counted {
            let mut expected = t.by_tender.get(tender).copied().unwrap_or_default();
            if tender == TenderKind::Cash.as_str() {
                expected += t.cash_in - t.cash_out;
            }
            let _ = writeln!(
                s,
                "{:<19}{:>12} {:>10}{}",
                tender_label(tender),
                m(expected),
                m(*counted),
                if expected == *counted { "" } else { "  ÉCART" }
            );
        }
    }
    row(&mut s, "grand total perpétuel", m(f.grand));
    row(&mut s, "grand total (val. abs.)", m(f.grand_abs));
    s
}
