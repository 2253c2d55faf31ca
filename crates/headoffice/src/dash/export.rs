//! The Sales page's exports, from the day totals (`sales_totals`, one row
//! per store, day and key; never the events):
//!
//! - [`csv`]: one line per store and day, `;`-separated with decimal
//!   commas (what a French spreadsheet opens as numbers), columns for the
//!   counts, sales, refunds, net, each tender and each VAT rate met.
//! - [`fec`]: the French *Fichier des Écritures Comptables* (article
//!   A47 A-1 of the Livre des procédures fiscales): 18 tab-separated columns
//!   `JournalCode` ... `Idevise`, dates `YYYYMMDD`, amounts with a decimal
//!   comma. One balanced entry per store and day in journal `VE`: the
//!   tenders on the debit side (their accounts below), the sales net of VAT
//!   per rate (707...) and the VAT collected per rate (44571...) on the credit
//!   side, and the difference left by cash rounding on 758000 / 658000.
//!   A negative amount (more refunds than sales) goes to the other side.
//!   The accounts are the usual ones of the French chart of accounts; an
//!   accountant maps them to their own in the import.

use super::{tender_name, Sums};
use crate::store::SalesRow;
use comptoir_i18n::backoffice_dash::Dash;
use comptoir_i18n::{Fmt, Lang, Template};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt::Write;

/// An amount with two decimals, a decimal comma and no grouping: `1234,50`.
pub fn amount(v: Decimal) -> String {
    format!("{:.2}", v.round_dp(2)).replace('.', ",")
}

/// A CSV field: quoted when it holds the separator, a quote or a line break.
fn field(s: &str) -> String {
    if s.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Groups rows per (store, day), in their order.
fn per_store_day(rows: &[SalesRow]) -> BTreeMap<(&str, &str), Sums> {
    let mut out: BTreeMap<(&str, &str), Sums> = BTreeMap::new();
    for r in rows {
        out.entry((&r.store_id, &r.day))
            .or_default()
            .add(&r.key, r.amount);
    }
    out
}

/// The CSV export of `rows` (any order).
pub fn csv(rows: &[SalesRow], lang: Lang) -> String {
    let groups = per_store_day(rows);
    let mut tenders: Vec<&str> = Vec::new();
    let mut rates: Vec<Decimal> = Vec::new();
    for s in groups.values() {
        for (k, _) in &s.tenders {
            if !tenders.contains(&k.as_str()) {
                tenders.push(k);
            }
        }
        for v in &s.vat {
            if !rates.contains(&v.rate) {
                rates.push(v.rate);
            }
        }
    }
    tenders.sort_unstable();
    rates.sort_unstable();
    let fmt = Fmt::plain(lang);
    let mut head: Vec<String> = vec![
        "Date".into(),
        Dash::Store.text(lang),
        Dash::SalesCount.text(lang),
        Dash::SalesAmount.text(lang),
        Dash::Refunds.text(lang),
        Dash::Net.text(lang),
    ];
    head.extend(tenders.iter().map(|t| tender_name(t, lang)));
    for r in &rates {
        let p = fmt.percent(*r);
        for m in [Dash::VatBase, Dash::VatTax, Dash::VatTotal] {
            head.push(format!("{} {p}", m.text(lang)));
        }
    }
    let mut out = String::new();
    out.push_str(&head.iter().map(|h| field(h)).collect::<Vec<_>>().join(";"));
    out.push_str("\r\n");
    for ((store, day), s) in &groups {
        let date = super::day(day)
            .map(|d| fmt.date(d))
            .unwrap_or_else(|| day.to_string());
        let mut cols = vec![
            date,
            field(store),
            s.count().to_string(),
            amount(s.sales),
            amount(s.refunds),
            amount(s.net),
        ];
        for t in &tenders {
            let v = s.tenders.iter().find(|x| x.0 == *t).map(|x| x.1);
            cols.push(amount(v.unwrap_or_default()));
        }
        for r in &rates {
            let v = s
                .vat
                .iter()
                .find(|l| l.rate == *r)
                .cloned()
                .unwrap_or_default();
            cols.extend([amount(v.base), amount(v.tax), amount(v.total)]);
        }
        out.push_str(&cols.join(";"));
        out.push_str("\r\n");
    }
    out
}

/// The FEC's columns, in order.
pub const FEC_COLUMNS: [&str; 18] = [
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
];

/// The account (number, label) a tender is paid into.
pub fn tender_account(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "cash" => ("530000", "Caisse"),
        "card" => ("511500", "Cartes bancaires à encaisser"),
        "e_wallet" => ("511600", "Paiements mobiles à encaisser"),
        "cheque" => ("511200", "Chèques à encaisser"),
        "bank_transfer" => ("512000", "Banque"),
        "voucher" => ("419100", "Bons d'achat et avoirs clients"),
        "customer_account" => ("411000", "Clients"),
        _ => ("471000", "Compte d'attente"),
    }
}

/// The sales and VAT accounts of a VAT rate (percent).
pub fn vat_accounts(rate: Decimal) -> (String, String) {
    let suffix = match rate.normalize().to_string().as_str() {
        "20" => "200",
        "10" => "100",
        "5.5" => "055",
        "2.1" => "021",
        "0" => "000",
        _ => "900",
    };
    (format!("707{suffix}"), format!("4457{suffix}"))
}

/// One FEC line's account and amounts.
struct Line {
    account: String,
    label: String,
    debit: Decimal,
    credit: Decimal,
}

/// `v` on its natural side (`debit` true: a debit), or on the other if negative.
fn line(account: &str, label: &str, v: Decimal, debit: bool) -> Option<Line> {
    if v.is_zero() {
        return None;
    }
    let (d, c) = match (debit, v > Decimal::ZERO) {
        (true, true) | (false, false) => (v.abs(), Decimal::ZERO),
        _ => (Decimal::ZERO, v.abs()),
    };
    Some(Line {
        account: account.to_string(),
        label: label.to_string(),
        debit: d,
        credit: c,
    })
}

/// The entry of one store's day, balanced.
fn entry(s: &Sums, lang: Lang) -> Vec<Line> {
    let fmt = Fmt::plain(lang);
    let mut lines = Vec::new();
    let mut debits = Decimal::ZERO;
    for (kind, v) in &s.tenders {
        let (acc, lib) = tender_account(kind);
        lines.extend(line(acc, lib, *v, true));
        debits += *v;
    }
    let mut credits = Decimal::ZERO;
    for v in &s.vat {
        let (sales, vat) = vat_accounts(v.rate);
        let p = fmt.percent(v.rate);
        lines.extend(line(
            &sales,
            &format!("Ventes de marchandises TVA {p}"),
            v.base,
            false,
        ));
        lines.extend(line(&vat, &format!("TVA collectée {p}"), v.tax, false));
        credits += v.base + v.tax;
    }
    // Cash rounding (and any sale without a VAT breakdown): the tenders
    // received minus what the VAT lines account for.
    let diff = debits - credits;
    if diff > Decimal::ZERO {
        lines.extend(line(
            "758000",
            "Écarts de règlement (produits)",
            diff,
            false,
        ));
    } else if diff < Decimal::ZERO {
        lines.extend(line("658000", "Écarts de règlement (charges)", -diff, true));
    }
    lines
}

/// The FEC of `rows` (any order): a header line, then one entry per store
/// and day that has any tender or VAT amount, numbered from 1.
pub fn fec(rows: &[SalesRow], lang: Lang) -> String {
    let mut out = FEC_COLUMNS.join("\t");
    out.push_str("\r\n");
    let fmt = Fmt::plain(lang);
    let mut num = 0u64;
    for ((store, day), s) in per_store_day(rows) {
        let lines = entry(&s, lang);
        if lines.is_empty() {
            continue;
        }
        num += 1;
        let ymd = day.replace('-', "");
        let shown = super::day(day)
            .map(|d| fmt.date(d))
            .unwrap_or_else(|| day.to_string());
        let lib = Dash::SalesEntry.fill(lang, &[("store", &store), ("date", &shown)]);
        let journal = Dash::JournalSales.text(lang);
        // Tabs and line breaks cannot appear inside a field.
        let clean = |s: &str| s.replace(['\t', '\r', '\n'], " ");
        let piece = clean(&format!("{store}-{ymd}"));
        for l in lines {
            let _ = write!(
                out,
                "VE\t{}\t{num}\t{ymd}\t{}\t{}\t\t\t{piece}\t{ymd}\t{}\t{}\t{}\t\t\t{ymd}\t\t\r\n",
                clean(&journal),
                l.account,
                clean(&l.label),
                clean(&lib),
                amount(l.debit),
                amount(l.credit),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn rows() -> Vec<SalesRow> {
        let r = |store: &str, day: &str, key: &str, v: Decimal| SalesRow {
            store_id: store.into(),
            day: day.into(),
            key: key.into(),
            amount: v,
        };
        vec![
            r("S1", "2026-12-03", "records", dec!(3)),
            r("S1", "2026-12-03", "sales", dec!(36.40)),
            r("S1", "2026-12-03", "refunds", dec!(-2.40)),
            r("S1", "2026-12-03", "net", dec!(34.00)),
            // Cash rounding: 0.02 more received than sold.
            r("S1", "2026-12-03", "tender:cash", dec!(10.02)),
            r("S1", "2026-12-03", "tender:card", dec!(24.00)),
            r("S1", "2026-12-03", "vat_base:20.00", dec!(20.00)),
            r("S1", "2026-12-03", "vat_tax:20.00", dec!(4.00)),
            r("S1", "2026-12-03", "vat_total:20.00", dec!(24.00)),
            r("S1", "2026-12-03", "vat_base:5.50", dec!(9.48)),
            r("S1", "2026-12-03", "vat_tax:5.50", dec!(0.52)),
            r("S1", "2026-12-03", "vat_total:5.50", dec!(10.00)),
            r("S2;x", "2026-12-04", "records", dec!(1)),
            r("S2;x", "2026-12-04", "net", dec!(-5.00)),
            r("S2;x", "2026-12-04", "tender:cash", dec!(-5.00)),
            r("S2;x", "2026-12-04", "vat_base:20.00", dec!(-4.17)),
            r("S2;x", "2026-12-04", "vat_tax:20.00", dec!(-0.83)),
            r("S2;x", "2026-12-04", "vat_total:20.00", dec!(-5.00)),
        ]
    }

    #[test]
    fn csv_has_a_column_per_tender_and_rate_to_the_cent() {
        let out = csv(&rows(), Lang::Fr);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "{out}");
        assert_eq!(
            lines[0],
            "Date;Magasin;Tickets;Ventes TTC;Remboursements TTC;Net TTC;Carte bancaire;Espèces;\
             Base HT 5,5 %;TVA 5,5 %;TTC 5,5 %;Base HT 20 %;TVA 20 %;TTC 20 %"
        );
        assert_eq!(
            lines[1],
            "03/12/2026;S1;3;36,40;-2,40;34,00;24,00;10,02;9,48;0,52;10,00;20,00;4,00;24,00"
        );
        assert_eq!(
            lines[2],
            "04/12/2026;\"S2;x\";1;0,00;0,00;-5,00;0,00;-5,00;0,00;0,00;0,00;-4,17;-0,83;-5,00"
        );
    }

    #[test]
    fn fec_entries_have_18_columns_and_balance() {
        let out = fec(&rows(), Lang::Fr);
        let lines: Vec<&str> = out.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines[0].split('\t').collect::<Vec<_>>(), FEC_COLUMNS);
        let mut by_entry: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
        for l in &lines[1..] {
            let c: Vec<&str> = l.split('\t').collect();
            assert_eq!(c.len(), 18, "{l:?}");
            assert_eq!((c[0], c[15]), ("VE", c[3]));
            assert!(c[3].len() == 8 && c[3].chars().all(|x| x.is_ascii_digit()));
            let d: Decimal = c[11].replace(',', ".").parse().unwrap_or_default();
            let k: Decimal = c[12].replace(',', ".").parse().unwrap_or_default();
            assert!(d >= Decimal::ZERO && k >= Decimal::ZERO && (d.is_zero() != k.is_zero()));
            let e = by_entry.entry(c[2].to_string()).or_default();
            e.0 += d;
            e.1 += k;
        }
        assert_eq!(by_entry.len(), 2);
        for (n, (d, k)) in &by_entry {
            assert_eq!(d, k, "entry {n} does not balance");
        }
        assert_eq!(by_entry["1"].0, dec!(34.02));
        assert!(out.contains(
            "\t530000\tCaisse\t\t\tS1-20261203\t20261203\tVentes S1 du 03/12/2026\t10,02\t0,00\t"
        ));
        assert!(out.contains("\t707055\t"));
        assert!(out.contains("\t758000\t"), "rounding: {out}");
        // A refund day: cash on the credit side, sales and VAT on the debit side.
        assert!(out.contains("\t530000\tCaisse\t\t\tS2;x-20261204\t20261204\tVentes S2;x du 04/12/2026\t0,00\t5,00\t"), "{out}");
        assert!(out.contains("\t707200\tVentes de marchandises TVA 20 %\t\t\tS2;x-20261204\t20261204\tVentes S2;x du 04/12/2026\t4,17\t0,00\t"));
    }
}
