//! X and Z reports as text: what a manager reads at the end of the day.

use anyhow::Result;
use std::fmt::Write;
use till_core::records::{ClosingKind, PeriodTotals};
use till_core::Currency;
use till_journal::Journal;

/// The report of a period: a Z report if the period is closed (with the
/// closing's seq), else an X report (provisional, nothing recorded).
pub fn period_report(journal: &Journal, kind: ClosingKind, period: &str) -> Result<String> {
    let totals = journal.period_totals(kind, period)?;
    let closing = journal
        .closings()?
        .into_iter()
        .find(|(k, p, _)| k == kind.as_str() && p == period)
        .map(|(_, _, seq)| seq);
    let (grand, grand_abs) = journal.grand_totals()?;
    Ok(render(
        journal.terminal_id(),
        kind,
        period,
        closing,
        &totals,
        grand,
        grand_abs,
    ))
}

fn render(
    terminal: &str,
    kind: ClosingKind,
    period: &str,
    closing_seq: Option<u64>,
    t: &PeriodTotals,
    grand: rust_decimal::Decimal,
    grand_abs: rust_decimal::Decimal,
) -> String {
    let eur = Currency::eur();
    let m = |d| eur.format(d);
    let mut s = String::new();
    let title = match (kind, closing_seq) {
        (ClosingKind::Day, Some(_)) => "TICKET Z (clôture journalière)",
        (ClosingKind::Day, None) => "TICKET X (lecture, sans clôture)",
        (ClosingKind::Month, _) => "CLÔTURE MENSUELLE",
        (ClosingKind::Year, _) => "CLÔTURE ANNUELLE",
    };
    let _ = writeln!(s, "==== {title} ====");
    let _ = writeln!(s, "terminal {terminal}   période {period}");
    match closing_seq {
        Some(seq) => {
            let _ = writeln!(s, "clôture signée, enregistrement n° {seq}");
        }
        None => {
            let _ = writeln!(s, "période non clôturée");
        }
    }
    let _ = writeln!(s, "{:<28}{:>14}", "opérations", t.records);
    let _ = writeln!(s, "{:<28}{:>14}", "ventes", m(t.sales_total));
    let _ = writeln!(
        s,
        "{:<28}{:>14}",
        "retours et annulations",
        m(t.refunds_total)
    );
    let _ = writeln!(s, "{:<28}{:>14}", "TOTAL NET TTC", m(t.net_total));
    let _ = writeln!(s, "-- par moyen de paiement --");
    for (tender, amount) in &t.by_tender {
        let _ = writeln!(s, "{:<28}{:>14}", tender, m(*amount));
    }
    let _ = writeln!(s, "-- TVA --   {:>9} {:>9} {:>10}", "HT", "TVA", "TTC");
    for v in &t.by_vat {
        let _ = writeln!(
            s,
            "{:<11}{:>10} {:>9} {:>10}",
            v.rate.to_string(),
            m(v.base),
            m(v.tax),
            m(v.total)
        );
    }
    let _ = writeln!(s, "{:<28}{:>14}", "entrées de caisse", m(t.cash_in));
    let _ = writeln!(s, "{:<28}{:>14}", "sorties de caisse", m(t.cash_out));
    let _ = writeln!(s, "{:<28}{:>14}", "grand total perpétuel", m(grand));
    let _ = writeln!(s, "{:<28}{:>14}", "grand total (val. abs.)", m(grand_abs));
    s
}
