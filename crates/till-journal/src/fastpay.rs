//! A sale payload scanner for the verifier, several times faster than serde.
//!
//! The verifier reads every sale of a large journal, and serde spends most of
//! its time on fields the projections never use. This scanner walks the JSON
//! once, validating all of it, and keeps only what the projections need.
//!
//! It accepts a subset of what serde accepts: when it returns `Some`, the
//! serde decoding of [`crate::projections`]'s borrowed structs also succeeds and
//! yields the same values (a property test mutates payloads to check this).
//! Anything it is unsure of (an escape in a field it reads, a `\u` escape
//! anywhere, invalid UTF-8, a number where a string is expected, a duplicate
//! field, a decimal with more than 18 digits...) returns `None`, and the caller
//! decodes with serde, which then decides.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::de::value::{BorrowedStrDeserializer, Error as ValueError};
use serde::Deserialize;
use till_core::records::{SaleKind, TenderKind};

/// Deep enough for any record; deeper payloads go to serde (limit 128).
const MAX_DEPTH: u32 = 32;

/// One sale line: where its item id lies in the payload, quantity, tracked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LineScan {
    pub item: (usize, usize),
    pub quantity: Decimal,
    pub stock_tracked: bool,
}

/// The fields of a sale, cancellation or refund the projections use. Vectors
/// are kept between calls so that scanning does not allocate.
#[derive(Debug, Default)]
pub(crate) struct SaleScan {
    pub kind: Option<SaleKind>,
    pub business_day: Option<NaiveDate>,
    pub total: Option<Decimal>,
    pub change: Option<Decimal>,
    pub training: Option<bool>,
    pub lines: Vec<LineScan>,
    /// (rate, base, tax, total)
    pub vat: Vec<[Decimal; 4]>,
    pub tenders: Vec<(TenderKind, Decimal)>,
}

struct P<'a> {
    b: &'a [u8],
    i: usize,
    depth: u32,
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether any of the 8 bytes is `"`, `\` or a control character.
#[inline]
fn special(x: u64) -> bool {
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
    (zero(x ^ (ONES * b'"' as u64)) | zero(x ^ (ONES * b'\\' as u64)) | below_space) != 0
}

impl<'a> P<'a> {
    #[inline]
    fn ws(&mut self) {
        while let Some(c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\n' | b'\t' | b'\r') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    #[inline]
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// Skips to the next `"`, `\` or control character inside a string.
    #[inline]
    fn run(&mut self) {
        while let Some(chunk) = self.b.get(self.i..self.i + 8) {
            let mut w = [0u8; 8];
            w.copy_from_slice(chunk);
            if special(u64::from_le_bytes(w)) {
                break;
            }
            self.i += 8;
        }
        while let Some(&c) = self.b.get(self.i) {
            if c == b'"' || c == b'\\' || c < 0x20 {
                return;
            }
            self.i += 1;
        }
    }

    /// A string without escapes: its byte range.
    fn plain_str(&mut self) -> Option<(usize, usize)> {
        self.eat(b'"')?;
        let start = self.i;
        self.run();
        (*self.b.get(self.i)? == b'"').then(|| {
            self.i += 1;
            (start, self.i - 1)
        })
    }

    fn plain(&mut self) -> Option<&'a str> {
        let (s, e) = self.plain_str()?;
        // The whole payload was checked to be UTF-8, and `"` is ASCII.
        std::str::from_utf8(self.b.get(s..e)?).ok()
    }

    fn skip_str(&mut self) -> Option<()> {
        self.eat(b'"')?;
        loop {
            self.run();
            match *self.b.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    return Some(());
                }
                b'\\' => {
                    let e = *self.b.get(self.i + 1)?;
                    // `\u` (surrogates...) is left to serde.
                    if !matches!(e, b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') {
                        return None;
                    }
                    self.i += 2;
                }
                _ => return None,
            }
        }
    }

    fn digits(&mut self) -> usize {
        let from = self.i;
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        self.i - from
    }

    /// A JSON number, strictly as the grammar has it.
    fn skip_number(&mut self) -> Option<()> {
        self.ws();
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        match self.b.get(self.i)? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            (self.digits() > 0).then_some(())?;
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            (self.digits() > 0).then_some(())?;
        }
        Some(())
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.ws();
        (self.b.get(self.i..self.i + word.len())? == word).then(|| self.i += word.len())
    }

    fn boolean(&mut self) -> Option<bool> {
        match self.peek()? {
            b't' => self.literal(b"true").map(|_| true),
            b'f' => self.literal(b"false").map(|_| false),
            _ => None,
        }
    }

    fn deeper(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    fn skip_value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.skip_str(),
            b'{' => {
                self.deeper()?;
                self.object(|_, _| Some(false))?;
                self.depth -= 1;
                Some(())
            }
            b'[' => {
                self.deeper()?;
                self.array(|p| p.skip_value())?;
                self.depth -= 1;
                Some(())
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.skip_number(),
            _ => None,
        }
    }

    /// `{...}`: `field` reads the value of a key it knows (returning true), or
    /// returns false to have it skipped.
    fn object(&mut self, mut field: impl FnMut(&mut Self, &'a [u8]) -> Option<bool>) -> Option<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            let (s, e) = self.plain_str()?;
            self.eat(b':')?;
            let b = self.b;
            if !field(self, b.get(s..e)?)? {
                self.skip_value()?;
            }
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        if self.peek()? == b']' {
            self.i += 1;
            return Some(());
        }
        loop {
            item(self)?;
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn decimal(&mut self) -> Option<Decimal> {
        decimal(self.plain()?.as_bytes())
    }

    fn date(&mut self) -> Option<NaiveDate> {
        let s = self.plain()?.as_bytes();
        let n = |r: std::ops::Range<usize>| -> Option<u32> {
            s.get(r)?.iter().try_fold(0u32, |acc, c| {
                c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
            })
        };
        if s.len() != 10 || s[4] != b'-' || s[7] != b'-' {
            return None;
        }
        NaiveDate::from_ymd_opt(i32::try_from(n(0..4)?).ok()?, n(5..7)?, n(8..10)?)
    }

    /// A unit enum variant, through serde so names cannot drift.
    fn variant<T: Deserialize<'a>>(&mut self) -> Option<T> {
        let s = self.plain()?;
        T::deserialize(BorrowedStrDeserializer::<ValueError>::new(s)).ok()
    }
}

/// `-?digits(.digits)?`, at most 18 digits: exactly what `Decimal::from_str`
/// gives for such text (same mantissa and scale). Negative zero is left to
/// serde, whose `-0.00` keeps its sign.
pub(crate) fn decimal(s: &[u8]) -> Option<Decimal> {
    let (neg, d) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    let (mut m, mut digits, mut scale, mut dot) = (0i64, 0u32, 0u32, false);
    for &c in d {
        match c {
            b'0'..=b'9' => {
                m = m * 10 + i64::from(c - b'0');
                digits += 1;
                if digits > 18 {
                    return None;
                }
                scale += u32::from(dot);
            }
            b'.' if !dot && digits > 0 => dot = true,
            _ => return None,
        }
    }
    if digits == 0 || (dot && scale == 0) || (neg && m == 0) {
        return None;
    }
    Some(Decimal::new(if neg { -m } else { m }, scale))
}

/// Sets `*slot` once; a second occurrence of the field goes to serde (which
/// refuses duplicates).
fn once<T>(slot: &mut Option<T>, v: Option<T>) -> Option<bool> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(v?);
    Some(true)
}

/// Scans a sale, cancellation or refund payload into `out`. `None`: decode
/// with serde instead.
pub(crate) fn scan_sale(payload: &[u8], out: &mut SaleScan) -> Option<()> {
    std::str::from_utf8(payload).ok()?;
    out.kind = None;
    out.business_day = None;
    out.total = None;
    out.change = None;
    out.training = None;
    out.lines.clear();
    out.vat.clear();
    out.tenders.clear();
    let mut p = P {
        b: payload,
        i: 0,
        depth: 1,
    };
    let (mut lines, mut vat, mut tenders) = (false, false, false);
    p.object(|p, key| match key {
        b"kind" => once(&mut out.kind, p.variant()),
        b"business_day" => once(&mut out.business_day, p.date()),
        b"total" => once(&mut out.total, p.decimal()),
        b"change" => once(&mut out.change, p.decimal()),
        b"training" => once(&mut out.training, p.boolean()),
        b"lines" if !lines => {
            lines = true;
            p.array(|p| {
                let (mut item, mut qty, mut tracked) = (None, None, None);
                p.object(|p, key| match key {
                    b"item_id" => once(&mut item, p.plain_str()),
                    b"quantity" => once(&mut qty, p.decimal()),
                    b"stock_tracked" => once(&mut tracked, p.boolean()),
                    _ => Some(false),
                })?;
                out.lines.push(LineScan {
                    item: item?,
                    quantity: qty?,
                    stock_tracked: tracked?,
                });
                Some(())
            })?;
            Some(true)
        }
        b"vat" if !vat => {
            vat = true;
            p.array(|p| {
                let (mut rate, mut base, mut tax, mut total) = (None, None, None, None);
                p.object(|p, key| match key {
                    b"rate" => once(&mut rate, p.decimal()),
                    b"base" => once(&mut base, p.decimal()),
                    b"tax" => once(&mut tax, p.decimal()),
                    b"total" => once(&mut total, p.decimal()),
                    _ => Some(false),
                })?;
                out.vat.push([rate?, base?, tax?, total?]);
                Some(())
            })?;
            Some(true)
        }
        b"tenders" if !tenders => {
            tenders = true;
            p.array(|p| {
                let (mut kind, mut amount) = (None, None);
                p.object(|p, key| match key {
                    b"kind" => once(&mut kind, p.variant()),
                    b"amount" => once(&mut amount, p.decimal()),
                    _ => Some(false),
                })?;
                out.tenders.push((kind?, amount?));
                Some(())
            })?;
            Some(true)
        }
        b"lines" | b"vat" | b"tenders" => None,
        _ => Some(false),
    })?;
    p.ws();
    (p.i == payload.len()
        && lines
        && vat
        && tenders
        && out.kind.is_some()
        && out.business_day.is_some()
        && out.total.is_some()
        && out.change.is_some()
        && out.training.is_some())
    .then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_match_from_str() {
        for s in [
            "0",
            "1",
            "-1",
            "171.47",
            "0.00",
            "-3.53",
            "007.50",
            "123456789012345678",
            "0.00000000000000001",
        ] {
            assert_eq!(decimal(s.as_bytes()), s.parse::<Decimal>().ok(), "{s}");
            let d = decimal(s.as_bytes()).map(|d| d.scale());
            assert_eq!(d, s.parse::<Decimal>().ok().map(|d| d.scale()), "{s}");
        }
        for s in [
            "",
            "-",
            ".5",
            "5.",
            "1.2.3",
            "-0",
            "-0.00",
            "1e5",
            "+1",
            "1_0",
            " 1",
            "1234567890123456789",
        ] {
            assert_eq!(decimal(s.as_bytes()), None, "{s}");
        }
    }

    #[test]
    fn special_bytes_are_found_in_words() {
        assert!(!special(u64::from_le_bytes(*b"Article ")));
        for b in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
            let mut w = *b"abcdefgh";
            w[5] = b;
            assert!(special(u64::from_le_bytes(w)), "{b}");
        }
        assert!(!special(u64::from_le_bytes(*b"\xc3\xa9t\xc3\xa9   ")));
    }
}

#[cfg(test)]
mod timing {
    use super::*;
    use crate::projections::{scanned_sale_effects, FxSink};
    use std::time::Instant;

    /// `BENCH_DB=... cargo test --release -p till-journal --lib timing -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn scan_timing() {
        let Ok(path) = std::env::var("BENCH_DB") else {
            return;
        };
        let c = rusqlite::Connection::open(path).unwrap();
        let mut st = c
            .prepare("SELECT payload FROM events WHERE kind = 'sale_completed' LIMIT 100000")
            .unwrap();
        let ps: Vec<Vec<u8>> = st
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let n = ps.len() as f64;
        let mut scan = SaleScan::default();
        let t = Instant::now();
        for p in &ps {
            scan_sale(p, &mut scan).unwrap();
        }
        eprintln!("scan: {:.3} us", t.elapsed().as_secs_f64() / n * 1e6);
        let mut sums = crate::verify_sums::Sums::default();
        let t = Instant::now();
        for p in &ps {
            scan_sale(p, &mut scan).unwrap();
            scanned_sale_effects(&scan, p, &mut sums).unwrap();
            sums.take_ledger_digest();
        }
        eprintln!(
            "scan+sums+digest: {:.3} us",
            t.elapsed().as_secs_f64() / n * 1e6
        );
        struct Null;
        impl FxSink for Null {
            fn stock(&mut self, _: usize, _: &str, _: Decimal, _: &'static str) {}
            fn day(&mut self, _: NaiveDate, _: crate::projections::DayKey, _: Decimal) {}
            fn perpetual(&mut self, _: &'static str, _: Decimal) {}
            fn closing(&mut self, _: till_core::records::ClosingKind, _: &str, _: u64) {}
        }
        let t = Instant::now();
        for p in &ps {
            scan_sale(p, &mut scan).unwrap();
            scanned_sale_effects(&scan, p, &mut Null).unwrap();
        }
        eprintln!(
            "scan+effects(null): {:.3} us",
            t.elapsed().as_secs_f64() / n * 1e6
        );
        let t = Instant::now();
        for p in &ps {
            crate::projections::effects_from_payload("sale_completed", p).unwrap();
        }
        eprintln!(
            "serde effects: {:.3} us",
            t.elapsed().as_secs_f64() / n * 1e6
        );
    }
}
