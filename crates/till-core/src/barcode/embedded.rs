//! Restricted-circulation EAN-13 codes that carry a value: price-marked or
//! weighed goods labelled by a scale, or packs with a quantity.
//!
//! A shop describes its labels with patterns over the 12 digits before the check
//! digit:
//! - a digit must match literally (e.g. the `20` or `02` prefix);
//! - `.` or `x` is a digit of the item code the shop looks the article up by;
//! - `?` is a digit to ignore (some scales put a price check digit there);
//! - `{PPPPP}` is a price, `{WWWWW}` a weight, `{QQQQQ}` a quantity. Without a
//!   decimal point, a price is in cents, a weight in grams and a quantity whole;
//!   a point sets the decimals explicitly, e.g. `{PPP.PP}` or `{WW.WWW}`.
//!
//! So `20.....{PPPPP}` reads 2012345012345 as item 12345 at 123.45, and
//! `02xxxxx{WWWWW}` reads 0212345012345 as item 12345 weighing 12.345 kg.

use super::{check_digit, Barcode, Symbology};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A value a field of a pattern carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldKind {
    Price,
    Weight,
    Quantity,
}

/// One of the 12 positions of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Literal(u8),
    Code,
    Ignore,
    Field(FieldKind),
}

/// A value field: where it sits and how many of its digits are decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Field {
    kind: FieldKind,
    start: usize,
    len: usize,
    decimals: u32,
}

/// A parsed label pattern. Serialises as its source text, so it can sit in a
/// config file as a plain string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmbeddedPattern {
    source: String,
    slots: Vec<Slot>,
    fields: Vec<Field>,
}

/// Why a pattern is not well formed. Positions are 1-based characters of the
/// pattern text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// The pattern does not describe exactly the 12 digits before the check digit.
    #[error("a pattern describes the 12 digits before the check digit, this one describes {0}")]
    WrongLength(usize),
    /// A character with no meaning in a pattern.
    #[error("unexpected {found:?} at position {position} of the pattern")]
    Unexpected {
        /// 1-based character position.
        position: usize,
        /// The character.
        found: char,
    },
    /// A `{` without its `}`.
    #[error("field opened at position {0} is not closed")]
    Unclosed(usize),
    /// A field that mixes letters, is empty or has two decimal points.
    #[error("field at position {0} must repeat one of P, W or Q, with at most one '.'")]
    BadField(usize),
    /// Two fields of the same kind.
    #[error("the pattern has two {0} fields")]
    Duplicate(&'static str),
    /// Nothing in the pattern carries a value, so it is not an embedded code.
    #[error("the pattern has no price, weight or quantity field")]
    NoField,
    /// More than 18 digits in one field could overflow; none has that many anyway.
    #[error("field at position {0} is too long")]
    FieldTooLong(usize),
}

impl FieldKind {
    fn from_letter(c: char) -> Option<FieldKind> {
        match c {
            'P' | 'p' => Some(FieldKind::Price),
            'W' | 'w' => Some(FieldKind::Weight),
            'Q' | 'q' => Some(FieldKind::Quantity),
            _ => None,
        }
    }
    fn default_decimals(self) -> u32 {
        match self {
            FieldKind::Price => 2,
            FieldKind::Weight => 3,
            FieldKind::Quantity => 0,
        }
    }
    fn name(self) -> &'static str {
        match self {
            FieldKind::Price => "price",
            FieldKind::Weight => "weight",
            FieldKind::Quantity => "quantity",
        }
    }
}

impl EmbeddedPattern {
    /// Parses a pattern such as `20.....{PPPPP}`.
    pub fn parse(source: &str) -> Result<EmbeddedPattern, PatternError> {
        let chars: Vec<char> = source.chars().collect();
        let mut slots = Vec::with_capacity(12);
        let mut fields: Vec<Field> = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match c {
                '0'..='9' => slots.push(Slot::Literal(c as u8 - b'0')),
                '.' | 'x' | 'X' => slots.push(Slot::Code),
                '?' => slots.push(Slot::Ignore),
                '{' => {
                    let open = i + 1;
                    let close = chars[i..]
                        .iter()
                        .position(|&c| c == '}')
                        .map(|p| p + i)
                        .ok_or(PatternError::Unclosed(open))?;
                    let field = parse_field(&chars[i + 1..close], open, slots.len())?;
                    if fields.iter().any(|f| f.kind == field.kind) {
                        return Err(PatternError::Duplicate(field.kind.name()));
                    }
                    for _ in 0..field.len {
                        slots.push(Slot::Field(field.kind));
                    }
                    fields.push(field);
                    i = close;
                }
                _ => {
                    return Err(PatternError::Unexpected {
                        position: i + 1,
                        found: c,
                    })
                }
            }
            i += 1;
        }
        if slots.len() != 12 {
            return Err(PatternError::WrongLength(slots.len()));
        }
        if fields.is_empty() {
            return Err(PatternError::NoField);
        }
        Ok(EmbeddedPattern {
            source: source.to_string(),
            slots,
            fields,
        })
    }

    /// The pattern's text, as configured.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Decodes a validated EAN-13 (or UPC-A, read as its GTIN-13) if its literal
    /// digits match this pattern. EAN-8 never matches.
    pub fn decode(&self, barcode: &Barcode) -> Option<Embedded> {
        if barcode.symbology == Symbology::Ean8 {
            return None;
        }
        let gtin = barcode.gtin13();
        let digits: Vec<u8> = gtin.bytes().map(|b| b.wrapping_sub(b'0')).collect();
        if digits.len() != 13 || digits.iter().any(|&d| d > 9) {
            return None;
        }
        let mut item_code = String::new();
        // The base code is the label with every value digit zeroed: the form under
        // which shops usually register such articles in their catalog.
        let mut base: Vec<u8> = Vec::with_capacity(13);
        for (slot, &d) in self.slots.iter().zip(&digits) {
            match slot {
                Slot::Literal(l) if *l != d => return None,
                Slot::Literal(_) => base.push(d),
                Slot::Code => {
                    item_code.push(char::from(b'0' + d));
                    base.push(d);
                }
                Slot::Ignore | Slot::Field(_) => base.push(0),
            }
        }
        base.push(check_digit(&base));
        let mut out = Embedded {
            item_code,
            price: None,
            weight_kg: None,
            quantity: None,
            base_code: base.iter().map(|d| char::from(b'0' + d)).collect(),
            pattern: self.source.clone(),
        };
        for f in &self.fields {
            let mut n: i64 = 0;
            for &d in &digits[f.start..f.start + f.len] {
                n = n * 10 + i64::from(d);
            }
            let value = Decimal::new(n, f.decimals);
            match f.kind {
                FieldKind::Price => out.price = Some(value),
                FieldKind::Weight => out.weight_kg = Some(value),
                FieldKind::Quantity => out.quantity = Some(value),
            }
        }
        Some(out)
    }
}

fn parse_field(inner: &[char], open: usize, start: usize) -> Result<Field, PatternError> {
    let letter = inner
        .iter()
        .find(|&&c| c != '.')
        .ok_or(PatternError::BadField(open))?;
    let kind = FieldKind::from_letter(*letter).ok_or(PatternError::BadField(open))?;
    let mut len = 0;
    let mut decimals = None;
    for &c in inner {
        if c == '.' {
            if decimals.is_some() {
                return Err(PatternError::BadField(open));
            }
            decimals = Some(0);
        } else if FieldKind::from_letter(c) == Some(kind) {
            len += 1;
            if let Some(d) = decimals.as_mut() {
                *d += 1;
            }
        } else {
            return Err(PatternError::BadField(open));
        }
    }
    if len > 18 {
        return Err(PatternError::FieldTooLong(open));
    }
    Ok(Field {
        kind,
        start,
        len,
        decimals: decimals.unwrap_or_else(|| kind.default_decimals()),
    })
}

impl TryFrom<String> for EmbeddedPattern {
    type Error = PatternError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        EmbeddedPattern::parse(&s)
    }
}

impl From<EmbeddedPattern> for String {
    fn from(p: EmbeddedPattern) -> String {
        p.source
    }
}

impl std::str::FromStr for EmbeddedPattern {
    type Err = PatternError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EmbeddedPattern::parse(s)
    }
}

/// What a price/weight/quantity label says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Embedded {
    /// The digits at the pattern's `.`/`x` positions: the shop's article code.
    pub item_code: String,
    /// The price printed by the scale, in currency units (tax-inclusive).
    pub price: Option<Decimal>,
    /// The net weight in kilograms.
    pub weight_kg: Option<Decimal>,
    /// A count of pieces.
    pub quantity: Option<Decimal>,
    /// The GTIN-13 with every value digit zeroed and the check digit recomputed,
    /// e.g. 2012345000007: how such articles are often keyed in a catalog.
    pub base_code: String,
    /// The pattern that matched.
    pub pattern: String,
}

/// Decodes a code with the first pattern that matches it, if any.
pub fn decode_with(patterns: &[EmbeddedPattern], barcode: &Barcode) -> Option<Embedded> {
    patterns.iter().find_map(|p| p.decode(barcode))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::barcode::{parse_retail, with_check_digit};
    use rust_decimal_macros::dec;

    fn code(payload: &str) -> Barcode {
        parse_retail(&with_check_digit(payload).unwrap()).unwrap()
    }

    #[test]
    fn price_in_cents() {
        let p = EmbeddedPattern::parse("20.....{PPPPP}").unwrap();
        let e = p.decode(&code("201234501234")).unwrap();
        assert_eq!(e.item_code, "12345");
        assert_eq!(e.price, Some(dec!(12.34)));
        assert_eq!(e.weight_kg, None);
        assert_eq!(e.base_code, with_check_digit("201234500000").unwrap());
    }

    #[test]
    fn weight_in_grams() {
        let p = EmbeddedPattern::parse("02xxxxx{WWWWW}").unwrap();
        let e = p.decode(&code("021234501250")).unwrap();
        assert_eq!(e.item_code, "12345");
        assert_eq!(e.weight_kg, Some(dec!(1.250)));
        // The same label read as a UPC-A (number system 2) decodes too.
        let upc = code("21234501250");
        assert_eq!(p.decode(&upc).unwrap().weight_kg, Some(dec!(1.250)));
    }

    #[test]
    fn quantity_and_explicit_decimals_and_ignored_digit() {
        let p = EmbeddedPattern::parse("25....?{QQQQQ}").unwrap();
        let e = p.decode(&code("250042900012")).unwrap();
        assert_eq!(e.item_code, "0042");
        assert_eq!(e.quantity, Some(dec!(12)));
        let p = EmbeddedPattern::parse("22....{PPP.PP}?").unwrap();
        let e = p.decode(&code("220042123459")).unwrap();
        assert_eq!(e.price, Some(dec!(123.45)));
    }

    #[test]
    fn literals_must_match() {
        let p = EmbeddedPattern::parse("20.....{PPPPP}").unwrap();
        assert!(p.decode(&code("211234501234")).is_none());
        assert!(p.decode(&parse_retail("96385074").unwrap()).is_none());
        let patterns = vec![p, EmbeddedPattern::parse("21.....{WWWWW}").unwrap()];
        let e = decode_with(&patterns, &code("211234501234")).unwrap();
        assert_eq!(e.weight_kg, Some(dec!(1.234)));
    }

    #[test]
    fn malformed_patterns_are_typed_errors() {
        use PatternError::*;
        assert_eq!(
            EmbeddedPattern::parse("20....{PPPPP}"),
            Err(WrongLength(11))
        );
        assert_eq!(EmbeddedPattern::parse("20.....{PPPPP"), Err(Unclosed(8)));
        assert_eq!(EmbeddedPattern::parse("20.....{PPWPP}"), Err(BadField(8)));
        assert_eq!(EmbeddedPattern::parse("20.....{}....."), Err(BadField(8)));
        assert_eq!(
            EmbeddedPattern::parse("20..........."),
            Err(WrongLength(13))
        );
        assert_eq!(EmbeddedPattern::parse("20.........."), Err(NoField));
        assert_eq!(
            EmbeddedPattern::parse("2a.....{PPPPP}"),
            Err(Unexpected {
                position: 2,
                found: 'a'
            })
        );
        assert_eq!(
            EmbeddedPattern::parse("2{PPPPP}{PPPPPP}"),
            Err(Duplicate("price"))
        );
    }

    #[test]
    fn pattern_serialises_as_its_text() {
        let p = EmbeddedPattern::parse("20.....{PPPPP}").unwrap();
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, "\"20.....{PPPPP}\"");
        let back: EmbeddedPattern = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
        assert!(serde_json::from_str::<EmbeddedPattern>("\"20{\"").is_err());
    }
}
