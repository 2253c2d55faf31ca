//! X and Z reports as text: what a manager reads at the end of the day, on
//! screen and on the receipt printer.
//!
//! A closed period is printed from its signed closing record, never from the
//! live projections: a reprinted Z must show exactly what was signed.
//!
//! The layout fits the paper: every line is at most [`Paper::width`]
//! characters (32 on 58 mm paper, 42 or 48 on 80 mm, font A), a label and
//! its amount share a line when they fit and take two otherwise, tables fall
//! back to one block per row on narrow paper. It starts with who and what
//! (shop name, address, SIRET, VAT number, till, cashier, period, when it was
//! printed), the identification the French tax doctrine on cash registers
//! asks of their records (BOI-TVA-DECLA-30-10-30: the seller, the system, the
//! period, the cumulated totals). Words come from the
//! catalog (`comptoir_i18n::till`), figures from `Fmt::plain`.

use anyhow::{bail, Context, Result};
use chrono::NaiveDateTime;
use comptoir_i18n::till::Till;
use comptoir_i18n::{Fmt, Lang, Template};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use till_core::records::{ClosingKind, Event, PeriodTotals, TenderKind};
use till_core::ShopInfo;
use till_journal::Journal;

/// Who prints the report, on what.
#[derive(Debug, Clone)]
pub struct Paper<'a> {
    /// The shop's identity (name, address, SIRET, VAT number).
    pub shop: Option<&'a ShopInfo>,
    /// Characters per line.
    pub width: usize,
    /// The reader's language.
    pub lang: Lang,
    /// Who asked for it (the cashier logged in).
    pub cashier: Option<&'a str>,
    /// When it was printed (local time).
    pub printed_at: Option<NaiveDateTime>,
    /// The shop's own tenders, each totalled apart under its label.
    pub tenders: &'a [till_core::tenders::ShopTender],
}

impl Default for Paper<'_> {
    /// What `till journal report` prints: 42 columns, French, no header.
    fn default() -> Self {
        Paper {
            shop: None,
            width: 42,
            lang: Lang::Fr,
            cashier: None,
            printed_at: None,
            tenders: &[],
        }
    }
}

/// What a report is made of, wherever it comes from.
#[derive(Debug, Clone)]
pub struct Figures {
    /// Day, month or year.
    pub kind: ClosingKind,
    /// `2026-11-23`, `2026-11` or `2026`.
    pub period: String,
    /// The closing record's seq, for a closed period.
    pub closing_seq: Option<u64>,
    /// The period's totals.
    pub totals: PeriodTotals,
    /// The perpetual grand total.
    pub grand: Decimal,
    /// The perpetual grand total in absolute value.
    pub grand_abs: Decimal,
    /// The cash count per tender (a Z).
    pub counted: BTreeMap<String, Decimal>,
}

/// The report of a period in the default layout ([`Paper::default`]).
pub fn period_report(journal: &Journal, kind: ClosingKind, period: &str) -> Result<String> {
    period_report_on(journal, kind, period, &Paper::default())
}

/// The report of a period: a Z report from the signed closing if the period is
/// closed, else an X report (a reading: provisional, nothing recorded).
pub fn period_report_on(
    journal: &Journal,
    kind: ClosingKind,
    period: &str,
    paper: &Paper<'_>,
) -> Result<String> {
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
                period: period.to_string(),
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
                period: period.to_string(),
                closing_seq: None,
                totals: journal.period_totals(kind, period)?,
                grand,
                grand_abs,
                counted: BTreeMap::new(),
            }
        }
    };
    Ok(render(journal.terminal_id(), &figures, paper))
}

/// Lines of at most `width` characters.
struct Out {
    s: String,
    width: usize,
}

impl Out {
    fn line(&mut self, text: &str) {
        // Words are never cut: a line too long wraps at a space (a single
        // word longer than the paper, such as an address without spaces, is
        // the only thing ever split).
        let mut line = String::new();
        for word in text.split(' ') {
            let need = if line.is_empty() {
                word.chars().count()
            } else {
                line.chars().count() + 1 + word.chars().count()
            };
            if need > self.width && !line.is_empty() {
                self.push(&line);
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
            while line.chars().count() > self.width {
                let head: String = line.chars().take(self.width).collect();
                self.push(&head);
                line = line.chars().skip(self.width).collect();
            }
        }
        self.push(&line);
    }

    fn push(&mut self, line: &str) {
        self.s.push_str(line.trim_end());
        self.s.push('\n');
    }

    fn center(&mut self, text: &str) {
        let n = text.chars().count();
        if n >= self.width {
            self.line(text);
        } else {
            let pad = (self.width - n) / 2;
            self.push(&format!("{}{text}", " ".repeat(pad)));
        }
    }

    /// A label and its value on one line, the value to the right; on two
    /// lines (the value alone, right-aligned) when both do not fit.
    fn row(&mut self, label: &str, value: &str) {
        let (l, v) = (label.chars().count(), value.chars().count());
        if l + 1 + v <= self.width {
            let gap = self.width - l - v;
            self.push(&format!("{label}{}{value}", " ".repeat(gap)));
        } else {
            self.line(label);
            let pad = self.width.saturating_sub(v);
            self.push(&format!("{}{value}", " ".repeat(pad)));
        }
    }

    fn rule(&mut self, c: char) {
        self.push(&c.to_string().repeat(self.width));
    }

    /// A section title: `-- TVA --` filled to the width.
    fn section(&mut self, title: &str) {
        let t = format!("-- {title} ");
        let n = t.chars().count();
        if n >= self.width {
            self.line(title);
        } else {
            self.push(&format!("{t}{}", "-".repeat(self.width - n)));
        }
    }

    /// Cells right-aligned in columns of `widths` (the first left-aligned);
    /// None when they do not fit the paper.
    fn table_line(&self, cells: &[&str], widths: &[usize]) -> Option<String> {
        let mut line = String::new();
        for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
            if c.chars().count() > *w {
                return None;
            }
            if i == 0 {
                line.push_str(&format!("{c:<w$}"));
            } else {
                line.push_str(&format!(" {c:>w$}"));
            }
        }
        (line.chars().count() <= self.width).then_some(line)
    }
}

/// The report as text, lines of at most `paper.width` characters.
pub fn render(terminal: &str, f: &Figures, paper: &Paper<'_>) -> String {
    let lang = paper.lang;
    let fmt = Fmt::plain(lang);
    let tr = |m: Till| m.text(lang);
    let money = |d: Decimal| fmt.money(d);
    let amount = |d: Decimal| fmt.number(d, 2);
    let mut o = Out {
        s: String::new(),
        width: paper.width.max(24),
    };
    let t = &f.totals;
    let closed = f.closing_seq.is_some();
    let (title, sub) = match (f.kind, closed) {
        (ClosingKind::Day, true) => (tr(Till::RepZ), Some(tr(Till::RepZSub))),
        (ClosingKind::Day, false) => (tr(Till::RepX), Some(tr(Till::RepXSub))),
        (ClosingKind::Month, true) => (tr(Till::RepMonthClosed), None),
        (ClosingKind::Month, false) => (tr(Till::RepMonthOpen), None),
        (ClosingKind::Year, true) => (tr(Till::RepYearClosed), None),
        (ClosingKind::Year, false) => (tr(Till::RepYearOpen), None),
    };
    if let Some(shop) = paper.shop {
        if !shop.name.is_empty() {
            o.center(&shop.name);
        }
        for a in &shop.address_lines {
            o.center(a);
        }
        if !shop.siret.is_empty() {
            o.center(&Till::RepSiret.fill(lang, &[("siret", &shop.siret)]));
        }
        if let Some(v) = shop.vat_number.as_deref().filter(|v| !v.is_empty()) {
            o.center(&Till::RepVatNo.fill(lang, &[("number", &v)]));
        }
        o.rule('=');
    }
    o.center(&title);
    if let Some(sub) = sub {
        o.center(&format!("({sub})"));
    }
    o.rule('=');
    o.row(&tr(Till::RepTerminal), terminal);
    if let Some(c) = paper.cashier {
        o.row(&tr(Till::RepCashier), c);
    }
    let (period_label, period) = match f.kind {
        ClosingKind::Day => (
            tr(Till::RepDay),
            f.period
                .parse::<chrono::NaiveDate>()
                .map(|d| fmt.date(d))
                .unwrap_or_else(|_| f.period.clone()),
        ),
        // "2026-11" -> "11/2026"
        ClosingKind::Month => (
            tr(Till::RepMonth),
            match f.period.split_once('-') {
                Some((y, m)) => format!("{m}/{y}"),
                None => f.period.clone(),
            },
        ),
        ClosingKind::Year => (tr(Till::RepYear), f.period.clone()),
    };
    o.row(&period_label, &period);
    if let Some(at) = paper.printed_at {
        o.row(&tr(Till::RepPrinted), &fmt.datetime(at));
    }
    match f.closing_seq {
        Some(seq) => o.row(
            &tr(Till::RepSigned),
            &Till::RepSignedSeq.fill(lang, &[("seq", &seq)]),
        ),
        None => o.line(&tr(Till::RepNotClosed)),
    }
    o.rule('-');
    o.row(&tr(Till::RepRecords), &fmt.count(t.records));
    o.row(&tr(Till::RepSales), &money(t.sales_total));
    o.row(&tr(Till::RepRefunds), &money(t.refunds_total));
    o.row(&tr(Till::RepNet), &money(t.net_total));
    o.section(&tr(Till::RepByTender));
    for (tender, value) in &t.by_tender {
        o.row(
            &crate::app::words::tender_named_with(lang, tender, paper.tenders),
            &money(*value),
        );
    }
    o.section(&tr(Till::RepVat));
    // A table when it fits the paper (42 and 48 columns), else one block
    // per rate (32 columns, or amounts too large for the columns).
    let rest = o.width.saturating_sub(6 + 3);
    let col = rest / 3;
    let widths = [o.width - 3 * (col + 1), col, col, col];
    let header = [
        tr(Till::RepVatRate),
        tr(Till::RepVatBase),
        tr(Till::RepVatTax),
        tr(Till::RepVatTotal),
    ];
    let rows: Vec<[String; 4]> = t
        .by_vat
        .iter()
        .map(|v| {
            [
                fmt.percent(v.rate.as_percent()),
                amount(v.base),
                amount(v.tax),
                amount(v.total),
            ]
        })
        .collect();
    let as_cells = |r: &[String; 4]| -> Vec<String> { r.to_vec() };
    let table: Option<Vec<String>> = std::iter::once(header.to_vec())
        .chain(rows.iter().map(as_cells))
        .map(|r| {
            let cells: Vec<&str> = r.iter().map(String::as_str).collect();
            o.table_line(&cells, &widths)
        })
        .collect();
    match table {
        Some(lines) if o.width >= 40 => {
            for l in lines {
                o.push(&l);
            }
            o.line(&format!("({})", tr(Till::RepAmounts)));
        }
        _ => {
            for (v, r) in t.by_vat.iter().zip(&rows) {
                o.line(&Till::RepVatAt.fill(lang, &[("rate", &r[0])]));
                o.row(&format!("  {}", header[1]), &money(v.base));
                o.row(&format!("  {}", header[2]), &money(v.tax));
                o.row(&format!("  {}", header[3]), &money(v.total));
            }
        }
    }
    o.rule('-');
    o.row(&tr(Till::RepCashIn), &money(t.cash_in));
    o.row(&tr(Till::RepCashOut), &money(t.cash_out));
    if !f.counted.is_empty() {
        o.section(&tr(Till::RepCount));
        for (tender, counted) in &f.counted {
            let mut expected = t.by_tender.get(tender).copied().unwrap_or_default();
            if tender == TenderKind::Cash.as_str() {
                expected += t.cash_in - t.cash_out;
            }
            let diff = *counted - expected;
            o.line(&crate::app::words::tender_named_with(
                lang,
                tender,
                paper.tenders,
            ));
            o.row(&format!("  {}", tr(Till::RepExpected)), &money(expected));
            o.row(&format!("  {}", tr(Till::RepCounted)), &money(*counted));
            // The difference is always printed; in capitals when there is one.
            let label = if diff.is_zero() {
                tr(Till::RepNoDiff)
            } else {
                tr(Till::RepDiff)
            };
            o.row(&format!("  {label}"), &money(diff));
        }
    }
    o.rule('-');
    o.row(&tr(Till::RepGrand), &money(f.grand));
    o.row(&tr(Till::RepGrandAbs), &money(f.grand_abs));
    o.s
}

/// The bytes that print a report: the printer's own font, PC858 (so `é` and
/// `€` print), three lines fed and a partial cut.
pub fn report_bytes(text: &str, code_page: u8) -> Vec<u8> {
    use till_devices::escpos::{cmd, pc858, Cut};
    let mut bytes = cmd::INIT.to_vec();
    bytes.extend_from_slice(&cmd::code_page(code_page));
    for line in text.lines() {
        pc858::encode_into(line, &mut bytes);
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(&cmd::feed(3));
    bytes.extend(cmd::cut(Cut::FeedPartial(3)));
    bytes
}
