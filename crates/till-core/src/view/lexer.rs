//! The JSON reading under the payload scanner (`scan.rs`): a cursor over
//! the bytes that reads exactly the JSON serde_json reads, or gives up
//! (`None`) so that serde decides. Kept apart from the record scanners so
//! that each file reads in one go.

use super::keys::*;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::de::value::{BorrowedStrDeserializer, Error as ValueError};
use serde::Deserialize;

/// Deep enough for any record; deeper payloads go to serde (limit 128).
const MAX_DEPTH: u32 = 32;

pub(super) struct P<'a> {
    pub(super) b: &'a [u8],
    pub(super) i: usize,
    pub(super) depth: u32,
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each of the 8 bytes that is `"`, `\\`, a control
/// character or not ASCII; the lowest set bit is exactly the first such byte
/// (borrows only run upwards from a match).
#[inline]
pub(super) fn special(x: u64) -> u64 {
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
    pub(super) fn ws(&mut self) {
        while let Some(c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\n' | b'\t' | b'\r') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    #[inline]
    pub(super) fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    #[inline]
    pub(super) fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// Skips to the next `"`, `\\`, control character or non-ASCII byte
    /// inside a string.
    #[inline]
    pub(super) fn run(&mut self) {
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
    pub(super) fn string(&mut self, escapes: bool) -> Option<(usize, usize)> {
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
    pub(super) fn plain_str(&mut self) -> Option<(usize, usize)> {
        self.string(false)
    }

    pub(super) fn plain(&mut self) -> Option<&'a str> {
        let (s, e) = self.plain_str()?;
        std::str::from_utf8(self.b.get(s..e)?).ok()
    }

    pub(super) fn skip_str(&mut self) -> Option<()> {
        self.string(true).map(|_| ())
    }

    pub(super) fn digits(&mut self) -> usize {
        let from = self.i;
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        self.i - from
    }

    /// A JSON number, strictly as the grammar has it.
    pub(super) fn skip_number(&mut self) -> Option<()> {
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

    pub(super) fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.ws();
        (self.b.get(self.i..self.i + word.len())? == word).then(|| self.i += word.len())
    }

    /// A JSON integer that fits a u64, as serde reads one (no sign, no
    /// fraction, no exponent, no leading zero).
    pub(super) fn unsigned(&mut self) -> Option<u64> {
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

    pub(super) fn boolean(&mut self) -> Option<bool> {
        match self.peek()? {
            b't' => self.literal(b"true").map(|_| true),
            b'f' => self.literal(b"false").map(|_| false),
            _ => None,
        }
    }

    pub(super) fn deeper(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    pub(super) fn skip_value(&mut self) -> Option<()> {
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
    pub(super) fn expect(&mut self, t: &Lit) -> bool {
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
    pub(super) fn object(
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

    pub(super) fn array(&mut self, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
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
    pub(super) fn decimal(&mut self) -> Option<Decimal> {
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

    pub(super) fn date(&mut self) -> Option<NaiveDate> {
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
    pub(super) fn variant<T: Deserialize<'a>>(&mut self) -> Option<T> {
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
    pub(super) fn opt<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            return Some(None);
        }
        f(self).map(Some)
    }

    pub(super) fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.unsigned()?).ok()
    }

    pub(super) fn strings(&mut self) -> Option<()> {
        self.array(|p| p.skip_str())
    }
}

/// Marks field number `bit` of an object as seen; a second occurrence goes
/// to serde (which refuses duplicate fields).
pub(super) fn first(seen: &mut u32, bit: u32) -> Option<()> {
    if *seen & (1 << bit) != 0 {
        return None;
    }
    *seen |= 1 << bit;
    Some(())
}

/// Whether every field of `all` (a bit per field) but the `optional` ones
/// was seen: serde reads a missing `Option` field as `None`.
pub(super) fn complete(seen: u32, all: u32, optional: u32) -> Option<()> {
    let required = all & !optional;
    (seen & required == required).then_some(())
}
