//! Money, numbers and dates as a French reader expects them (`1 234,50 €`, `5,5 %`,
//! `03/12/2026`), or an English one (`€1,234.50`, `5.5%`, `03/12/2026`).
//!
//! Two layouts: [`Fmt::web`] separates thousands and the euro sign with a no-break space
//! (U+00A0), so a browser never splits an amount across lines; [`Fmt::plain`] uses an
//! ASCII space, for the counter screen and receipts, whose widths are counted in columns
//! and whose printers' code pages may lack U+00A0.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::Lang;

/// How to write numbers for one reader on one medium.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fmt {
    /// The reader's language.
    pub lang: Lang,
    space: char,
}

impl Fmt {
    /// For web pages, PDFs and e-mails: no-break spaces.
    pub fn web(lang: Lang) -> Fmt {
        Fmt {
            lang,
            space: '\u{a0}',
        }
    }

    /// For fixed-width text (the counter screen, receipts): ASCII spaces.
    pub fn plain(lang: Lang) -> Fmt {
        Fmt { lang, space: ' ' }
    }

    /// A number with exactly `decimals` decimals, rounded half away from zero, thousands
    /// grouped: `1 234,50` / `1,234.50`.
    pub fn number(&self, value: Decimal, decimals: u32) -> String {
        let rounded =
            value.round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero);
        let text = format!("{:.*}", decimals as usize, rounded.abs());
        let (int, frac) = match text.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (text.as_str(), None),
        };
        let (group, point) = match self.lang {
            Lang::Fr => (self.space, ','),
            Lang::En => (',', '.'),
        };
        let mut out = String::with_capacity(text.len() + 4);
        if rounded.is_sign_negative() && !rounded.is_zero() {
            out.push('-');
        }
        for (i, digit) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                out.push(group);
            }
            out.push(digit);
        }
        if let Some(frac) = frac {
            out.push(point);
            out.push_str(frac);
        }
        out
    }

    /// A whole count: `12 345` / `12,345`.
    pub fn count(&self, value: u64) -> String {
        self.number(Decimal::from(value), 0)
    }

    /// Euros with two decimals: `-1 234,50 €` / `-€1,234.50`.
    pub fn money(&self, amount: Decimal) -> String {
        let number = self.number(amount, 2);
        match self.lang {
            Lang::Fr => format!("{number}{}€", self.space),
            Lang::En => match number.strip_prefix('-') {
                Some(abs) => format!("-€{abs}"),
                None => format!("€{number}"),
            },
        }
    }

    /// A rate given in percent (`5.5` -> `5,5 %` / `5.5%`), with as many decimals as it
    /// needs and no more.
    pub fn percent(&self, percent: Decimal) -> String {
        let number = self.number(percent, percent.normalize().scale());
        match self.lang {
            Lang::Fr => format!("{number}{}%", self.space),
            Lang::En => format!("{number}%"),
        }
    }

    /// A day: `03/12/2026` (both languages write day first in Europe).
    pub fn date(&self, date: NaiveDate) -> String {
        date.format("%d/%m/%Y").to_string()
    }

    /// A time of day to the minute: `14:05` / `14:05`.
    pub fn time(&self, time: NaiveTime) -> String {
        time.format("%H:%M").to_string()
    }

    /// A day and time: `03/12/2026 14:05` / `03/12/2026 14:05`.
    pub fn datetime(&self, at: NaiveDateTime) -> String {
        format!("{} {}", self.date(at.date()), self.time(at.time()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn french_conventions() {
        let fr = Fmt::plain(Lang::Fr);
        assert_eq!(fr.money(dec!(1234.5)), "1 234,50 €");
        assert_eq!(fr.money(dec!(-0.004)), "0,00 €");
        assert_eq!(fr.money(dec!(-1234567.005)), "-1 234 567,01 €");
        assert_eq!(fr.percent(dec!(5.5)), "5,5 %");
        assert_eq!(fr.percent(dec!(20.00)), "20 %");
        assert_eq!(fr.count(12345), "12 345");
        let day = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        assert_eq!(fr.date(day), "03/12/2026");
        assert_eq!(
            fr.datetime(day.and_hms_opt(9, 5, 59).unwrap()),
            "03/12/2026 09:05"
        );
        assert_eq!(
            Fmt::web(Lang::Fr).money(dec!(1234.5)),
            "1\u{a0}234,50\u{a0}€"
        );
    }

    #[test]
    fn english_conventions() {
        let en = Fmt::web(Lang::En);
        assert_eq!(en.money(dec!(1234.5)), "€1,234.50");
        assert_eq!(en.money(dec!(-2)), "-€2.00");
        assert_eq!(en.percent(dec!(5.5)), "5.5%");
    }

    proptest! {
        #[test]
        fn french_money_reads_back_to_the_rounded_amount(cents in -10_000_000_000i64..10_000_000_000) {
            let amount = Decimal::new(cents, 2);
            let text = Fmt::plain(Lang::Fr).money(amount);
            let back: Decimal = text.trim_end_matches(" €").replace(' ', "").replace(',', ".").parse().unwrap();
            prop_assert_eq!(back, amount);
            prop_assert!(!text.contains("  "));
        }
    }
}
