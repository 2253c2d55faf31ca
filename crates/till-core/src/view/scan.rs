//! The payload scanner behind [`super::SaleView`] and [`super::MovementView`]:
//! several times faster than serde on the payloads the till writes.
//!
//! The verifier and head office read every sale of a large journal or batch,
//! and serde spends most of its time building strings nobody reads (names,
//! barcodes, card outcomes). This scanner walks the JSON once, checks every
//! field of the record the way serde's decoding of [`crate::records`] would
//! (presence, type, duplicates), and keeps only what the totals and stock
//! need.
//!
//! It may only decline, never accept what serde refuses: when it returns
//! `Some`, `serde_json::from_slice::<SaleRecord>` (or `StockMovement`) also
//! succeeds and gives the same values (property tests mutate payloads to
//! check this). Anything it is unsure of (an escape in a field it reads, a
//! `\u` escape anywhere, invalid UTF-8, a number where a string is expected,
//! a decimal written as a JSON number or with more than 18 digits...) returns
//! `None`, and serde decides.

use crate::records::{SaleKind, StockReason, TenderKind, Unit};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::de::value::{BorrowedStrDeserializer, Error as ValueError};
use serde::Deserialize;

/// Deep enough for any record; deeper payloads go to serde (limit 128).
const MAX_DEPTH: u32 = 32;

/// One sale line: where its item id lies in the text, quantity, tracked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LineScan {
    pub item: (usize, usize),
    pub quantity: Decimal,
    pub stock_tracked: bool,
}

/// The fields of a sale, cancellation or refund the totals and stock use.
/// Vectors are kept between calls so that scanning does not allocate.
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
    /// The seq of the sale reversed (`reverses.seq`), if any.
    pub reverses: Option<u64>,
}

use super::keys::*;

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;

struct P<'a> {
    b: &'a [u8],
    i: usize,
    depth: u32,
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each of the 8 bytes that is `"`, `\\`, a control
/// character or not ASCII; the lowest set bit is exactly the first such byte
/// (borrows only run upwards from a match).
#[inline]
fn special(x: u64) -> u64 {
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
    zero(x ^ (ONES * b'"' as u64)) | zero(x ^ (ONES * b'\\' as u64)) | below_space | (x & HIGHS)
}

/// The key code of `b[s..e]`, reading whole words where the payload allows.
#[inline]
fn key_code(b: &[u8], s: usize, e: usize) -> Option<Code> {
    let load = |at: usize| -> Option<u64> {
        let mut w = [0u8; 8];
        w.copy_from_slice(b.get(at..at + 8)?);
        Some(u64::from_le_bytes(w))
    };
    let n = e.checked_sub(s)?;
    let fast = match n {
        0 => Some((0, 0, 0)),
        1..=7 => load(s).map(|w| (n, w & ((1u64 << (8 * n)) - 1), 0)),
        8 => load(s).map(|w| (n, w, 0)),
        9..=16 => load(s).zip(load(e - 8)).map(|(a, z)| (n, a, z)),
        _ => Some((n, u64::MAX, u64::MAX)),
    };
    fast.or_else(|| b.get(s..e).map(code))
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

    /// Skips to the next `"`, `\\`, control character or non-ASCII byte
    /// inside a string.
    #[inline]
    fn run(&mut self) {
        while let Some(chunk) = self.b.get(self.i..self.i + 8) {
            let mut w = [0u8; 8];
            w.copy_from_slice(chunk);
            let m = special(u64::from_le_bytes(w));
            if m != 0 {
                self.i += (m.trailing_zeros() / 8) as usize;
                return;
            }
            self.i += 8;
        }
        while let Some(&c) = self.b.get(self.i) {
            if c == b'"' || c == b'\\' || !(0x20..0x80).contains(&c) {
                return;
            }
            self.i += 1;
        }
    }

    /// A string: its byte range, between the quotes. Escapes are validated
    /// (`escapes`) or refused; non-ASCII must be valid UTF-8, so that a
    /// payload the scanner takes is valid UTF-8 as a whole (outside strings
    /// only ASCII gets through).
    fn string(&mut self, escapes: bool) -> Option<(usize, usize)> {
        self.eat(b'"')?;
        let start = self.i;
        loop {
            self.run();
            let c = *self.b.get(self.i)?;
            match c {
                b'"' => {
                    self.i += 1;
                    return Some((start, self.i - 1));
                }
                b'\\' if escapes => {
                    let e = *self.b.get(self.i + 1)?;
                    // `\\u` (surrogates...) is left to serde.
                    if !matches!(e, b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') {
                        return None;
                    }
                    self.i += 2;
                }
                0x80.. => {
                    let n = match c {
                        0xC2..=0xDF => 2,
                        0xE0..=0xEF => 3,
                        0xF0..=0xF4 => 4,
                        _ => return None,
                    };
                    std::str::from_utf8(self.b.get(self.i..self.i + n)?).ok()?;
                    self.i += n;
                }
                _ => return None,
            }
        }
    }

    /// A string without escapes: its byte range.
    fn plain_str(&mut self) -> Option<(usize, usize)> {
        self.string(false)
    }

    fn plain(&mut self) -> Option<&'a str> {
        let (s, e) = self.plain_str()?;
        std::str::from_utf8(self.b.get(s..e)?).ok()
    }

    fn skip_str(&mut self) -> Option<()> {
        self.string(true).map(|_| ())
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

    /// A JSON integer that fits a u64, as serde reads one (no sign, no
    /// fraction, no exponent, no leading zero).
    fn unsigned(&mut self) -> Option<u64> {
        self.ws();
        let start = self.i;
        let n = self.digits();
        let d = self.b.get(start..self.i)?;
        if n == 0 || n > 19 || (n > 1 && d[0] == b'0') {
            return None;
        }
        if matches!(self.b.get(self.i), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        Some(d.iter().fold(0u64, |acc, c| acc * 10 + u64::from(c - b'0')))
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
                self.object(&[], |_, _| Some(false))?;
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

    /// Whether `"key":` of `t` is next, without spaces; if so, skips it.
    #[inline]
    fn expect(&mut self, t: &Lit) -> bool {
        let word = |at: usize| -> Option<u64> {
            let mut w = [0u8; 8];
            w.copy_from_slice(self.b.get(at..at + 8)?);
            Some(u64::from_le_bytes(w))
        };
        let i = self.i;
        let hit = t.len <= 24
            && self.b.len() >= i + 24
            && (0..3).all(|k| word(i + 8 * k).is_some_and(|w| w & t.mask[k] == t.words[k]));
        if hit {
            self.i += t.len;
        }
        hit
    }

    /// `{...}`: `field` reads the value of a key it knows (returning true), or
    /// returns false to have it skipped. `template` is the keys in the order
    /// serde writes them: checking the expected key whole is quicker than
    /// reading a key; anything else (another order, spaces, escapes) takes
    /// the general path.
    fn object(
        &mut self,
        template: &[Lit],
        mut field: impl FnMut(&mut Self, Code) -> Option<bool>,
    ) -> Option<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        let mut next = 0;
        loop {
            let code = match template.get(next) {
                Some(t) if self.expect(t) => t.code,
                _ => {
                    let (s, e) = self.plain_str()?;
                    self.eat(b':')?;
                    key_code(self.b, s, e)?
                }
            };
            next += 1;
            if !field(self, code)? {
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

    /// A decimal in a string, read in one pass when it is short and plain
    /// (`"-?[0-9.]+"`, what the till writes), else through [`decimal`].
    fn decimal(&mut self) -> Option<Decimal> {
        self.ws();
        let start = self.i;
        if self.b.get(start) == Some(&b'"') {
            let body = start + 1;
            let mut end = body;
            while end < body + 21
                && self
                    .b
                    .get(end)
                    .is_some_and(|c| c.is_ascii_digit() || *c == b'.' || *c == b'-')
            {
                end += 1;
            }
            if self.b.get(end) == Some(&b'"') {
                self.i = end + 1;
                return decimal(self.b.get(body..end)?);
            }
        }
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

impl<'a> P<'a> {
    /// `null`, or what `f` reads (an `Option<T>` field).
    fn opt<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            return Some(None);
        }
        f(self).map(Some)
    }

    fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.unsigned()?).ok()
    }

    fn strings(&mut self) -> Option<()> {
        self.array(|p| p.skip_str())
    }
}

/// Marks field number `bit` of an object as seen; a second occurrence goes
/// to serde (which refuses duplicate fields).
fn first(seen: &mut u32, bit: u32) -> Option<()> {
    if *seen & (1 << bit) != 0 {
        return None;
    }
    *seen |= 1 << bit;
    Some(())
}

/// Whether every field of `all` (a bit per field) but the `optional` ones
/// was seen: serde reads a missing `Option` field as `None`.
fn complete(seen: u32, all: u32, optional: u32) -> Option<()> {
    let required = all & !optional;
    (seen & required == required).then_some(())
}

/// Scans a sale, cancellation or refund payload (a whole `SaleRecord`) into
/// `out`. `None`: decode with serde instead.
pub(crate) fn scan_sale(payload: &[u8], out: &mut SaleScan) -> Option<()> {
    out.kind = None;
    out.business_day = None;
    out.total = None;
    out.change = None;
    out.training = None;
    out.lines.clear();
    out.vat.clear();
    out.tenders.clear();
    out.reverses = None;
    let mut p = P {
        b: payload,
        i: 0,
        depth: 1,
    };
    let mut seen = 0u32;
    p.object(&SALE_KEYS, |p, key| {
        match key {
            KIND => {
                first(&mut seen, 0)?;
                out.kind = Some(p.variant()?);
            }
            SALE_NO => {
                first(&mut seen, 1)?;
                p.skip_str()?;
            }
            BUSINESS_DAY => {
                first(&mut seen, 2)?;
                out.business_day = Some(p.date()?);
            }
            OPERATOR => {
                first(&mut seen, 3)?;
                p.skip_str()?;
            }
            CUSTOMER => {
                first(&mut seen, 4)?;
                p.opt(|p| p.skip_str())?;
            }
            LINES => {
                first(&mut seen, 5)?;
                p.array(|p| {
                    let l = sale_line(p)?;
                    out.lines.push(l);
                    Some(())
                })?;
            }
            BASKET_DISCOUNT => {
                first(&mut seen, 6)?;
                p.decimal()?;
            }
            TOTAL => {
                first(&mut seen, 7)?;
                out.total = Some(p.decimal()?);
            }
            ROUNDING => {
                first(&mut seen, 8)?;
                p.decimal()?;
            }
            VAT => {
                first(&mut seen, 9)?;
                p.array(|p| {
                    let v = vat_line(p)?;
                    out.vat.push(v);
                    Some(())
                })?;
            }
            TENDERS => {
                first(&mut seen, 10)?;
                p.array(|p| {
                    let t = tender(p)?;
                    out.tenders.push(t);
                    Some(())
                })?;
            }
            CHANGE => {
                first(&mut seen, 11)?;
                out.change = Some(p.decimal()?);
            }
            REVERSES => {
                first(&mut seen, 12)?;
                out.reverses = p.opt(sale_ref)?;
            }
            WITHOUT_RECEIPT => {
                first(&mut seen, 13)?;
                p.boolean()?;
            }
            APPROVALS => {
                first(&mut seen, 14)?;
                p.array(approval)?;
            }
            FLAGS => {
                first(&mut seen, 15)?;
                p.strings()?;
            }
            TRAINING => {
                first(&mut seen, 16)?;
                out.training = Some(p.boolean()?);
            }
            _ => return Some(false),
        }
        Some(true)
    })?;
    p.ws();
    // customer (4) and reverses (12) are options.
    complete(seen, (1 << 17) - 1, 1 << 4 | 1 << 12)?;
    (p.i == payload.len()).then_some(())
}

/// A `SaleLine`.
fn sale_line(p: &mut P<'_>) -> Option<LineScan> {
    let (mut item, mut qty, mut tracked) = (None, None, None);
    let mut seen = 0u32;
    p.object(&LINE_KEYS, |p, key| {
        match key {
            LINE_NO => {
                first(&mut seen, 0)?;
                p.u32()?;
            }
            ITEM_ID => {
                first(&mut seen, 1)?;
                item = Some(p.plain_str()?);
            }
            BARCODE => {
                first(&mut seen, 2)?;
                p.opt(|p| p.skip_str())?;
            }
            NAME => {
                first(&mut seen, 3)?;
                p.skip_str()?;
            }
            UNIT => {
                first(&mut seen, 4)?;
                p.variant::<Unit>()?;
            }
            QUANTITY => {
                first(&mut seen, 5)?;
                qty = Some(p.decimal()?);
            }
            UNIT_PRICE => {
                first(&mut seen, 6)?;
                p.decimal()?;
            }
            OVERRIDDEN_FROM => {
                first(&mut seen, 7)?;
                p.opt(|p| p.decimal())?;
            }
            VAT_RATE => {
                first(&mut seen, 8)?;
                p.decimal()?;
            }
            GROSS => {
                first(&mut seen, 9)?;
                p.decimal()?;
            }
            LINE_DISCOUNT => {
                first(&mut seen, 10)?;
                p.decimal()?;
            }
            BASKET_DISCOUNT => {
                first(&mut seen, 11)?;
                p.decimal()?;
            }
            TOTAL => {
                first(&mut seen, 12)?;
                p.decimal()?;
            }
            STOCK_TRACKED => {
                first(&mut seen, 13)?;
                tracked = Some(p.boolean()?);
            }
            _ => return Some(false),
        }
        Some(true)
    })?;
    // barcode (2) and overridden_from (7) are options.
    complete(seen, (1 << 14) - 1, 1 << 2 | 1 << 7)?;
    Some(LineScan {
        item: item?,
        quantity: qty?,
        stock_tracked: tracked?,
    })
}

/// A `VatLine`: (rate, base, tax, total).
fn vat_line(p: &mut P<'_>) -> Option<[Decimal; 4]> {
    let mut v = [None; 4];
    p.object(&VAT_KEYS, |p, key| {
        let at = match key {
            RATE => 0,
            BASE => 1,
            TAX => 2,
            TOTAL => 3,
            _ => return Some(false),
        };
        if v[at].is_some() {
            return None;
        }
        v[at] = Some(p.decimal()?);
        Some(true)
    })?;
    Some([v[0]?, v[1]?, v[2]?, v[3]?])
}

/// A `TenderRecord`: (kind, amount).
fn tender(p: &mut P<'_>) -> Option<(TenderKind, Decimal)> {
    let (mut kind, mut amount) = (None, None);
    let mut seen = 0u32;
    p.object(&TENDER_KEYS, |p, key| {
        match key {
            KIND => {
                first(&mut seen, 0)?;
                kind = Some(p.variant()?);
            }
            AMOUNT => {
                first(&mut seen, 1)?;
                amount = Some(p.decimal()?);
            }
            REFERENCE => {
                first(&mut seen, 2)?;
                p.opt(|p| p.skip_str())?;
            }
            CARD => {
                first(&mut seen, 3)?;
                p.opt(card)?;
            }
            _ => return Some(false),
        }
        Some(true)
    })?;
    Some((kind?, amount?))
}

/// A `CardOutcome`: only checked.
fn card(p: &mut P<'_>) -> Option<()> {
    let mut seen = 0u32;
    p.object(&CARD_KEYS, |p, key| {
        let bit = match key {
            APPROVED => {
                first(&mut seen, 0)?;
                p.boolean()?;
                return Some(true);
            }
            MASKED_PAN => 1,
            AUTH_CODE => 2,
            SCHEME => 3,
            READ_MODE => 4,
            // The only key over 16 bytes: see `Code`. Another key of that
            // length is taken for it, which can only make the scanner
            // decline (a duplicate, a value that is not a string).
            TERMINAL_REFERENCE => 5,
            _ => return Some(false),
        };
        first(&mut seen, bit)?;
        p.opt(|p| p.skip_str())?;
        Some(true)
    })?;
    complete(seen, 1, 0)
}

/// A `SaleRef`: its seq.
fn sale_ref(p: &mut P<'_>) -> Option<u64> {
    let mut seq = None;
    let mut seen = 0u32;
    p.object(&REF_KEYS, |p, key| {
        match key {
            TERMINAL_ID => {
                first(&mut seen, 0)?;
                p.skip_str()?;
            }
            SEQ => {
                first(&mut seen, 1)?;
                seq = Some(p.unsigned()?);
            }
            SALE_NO => {
                first(&mut seen, 2)?;
                p.skip_str()?;
            }
            _ => return Some(false),
        }
        Some(true)
    })?;
    complete(seen, 0b111, 0)?;
    seq
}

/// An `ApprovalRecord`: only checked (four strings).
fn approval(p: &mut P<'_>) -> Option<()> {
    let mut seen = 0u32;
    p.object(&APPROVAL_KEYS, |p, key| {
        let bit = match key {
            ACTION => 0,
            REQUESTED_BY => 1,
            APPROVED_BY => 2,
            DETAIL => 3,
            _ => return Some(false),
        };
        first(&mut seen, bit)?;
        p.skip_str()?;
        Some(true)
    })?;
    complete(seen, 0b1111, 0)
}

/// One stock movement line: where its item id lies, delta, counted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MovementLineScan {
    pub item: (usize, usize),
    pub delta: Decimal,
    pub counted: Option<Decimal>,
}

/// The fields of a stock movement the stock uses.
#[derive(Debug, Default)]
pub(crate) struct MovementScan {
    pub reason: Option<StockReason>,
    pub lines: Vec<MovementLineScan>,
}

/// Scans a stock movement payload (a whole `StockMovement`) into `out`, as
/// [`scan_sale`] does a sale.
pub(crate) fn scan_movement(payload: &[u8], out: &mut MovementScan) -> Option<()> {
    out.reason = None;
    out.lines.clear();
    let mut p = P {
        b: payload,
        i: 0,
        depth: 1,
    };
    let mut seen = 0u32;
    p.object(&MOVEMENT_KEYS, |p, key| {
        match key {
            REASON => {
                first(&mut seen, 0)?;
                out.reason = Some(p.variant()?);
            }
            REFERENCE => {
                first(&mut seen, 1)?;
                p.opt(|p| p.skip_str())?;
            }
            OTHER_SHOP => {
                first(&mut seen, 2)?;
                p.opt(|p| p.skip_str())?;
            }
            OPERATOR => {
                first(&mut seen, 3)?;
                p.skip_str()?;
            }
            LINES => {
                first(&mut seen, 4)?;
                p.array(|p| {
                    let l = movement_line(p)?;
                    out.lines.push(l);
                    Some(())
                })?;
            }
            _ => return Some(false),
        }
        Some(true)
    })?;
    p.ws();
    complete(seen, 0b11111, 0b110)?;
    (p.i == payload.len()).then_some(())
}

fn movement_line(p: &mut P<'_>) -> Option<MovementLineScan> {
    let (mut item, mut delta, mut counted) = (None, None, None);
    let mut seen = 0u32;
    p.object(&MOVEMENT_LINE_KEYS, |p, key| {
        match key {
            ITEM_ID => {
                first(&mut seen, 0)?;
                item = Some(p.plain_str()?);
            }
            DELTA => {
                first(&mut seen, 1)?;
                delta = Some(p.decimal()?);
            }
            COUNTED => {
                first(&mut seen, 2)?;
                counted = p.opt(|p| p.decimal())?;
            }
            _ => return Some(false),
        }
        Some(true)
    })?;
    Some(MovementLineScan {
        item: item?,
        delta: delta?,
        counted,
    })
}
