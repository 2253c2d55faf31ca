//! GS1-128 (and other GS1 carriers) element strings: `(01)` GTIN, `(10)` batch,
//! `(17)` expiry, `(310n)` net weight and a few other common identifiers.
//!
//! The scanner sends the data with an optional AIM symbology identifier (`]C1`
//! for GS1-128) and FNC1 transmitted as the GS character (0x1D), which ends each
//! variable-length element. Fixed-length elements need no separator; one is
//! tolerated after them because some printers emit it anyway.

use super::{verify_gs1_check_digit, BarcodeError};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The group separator standing for FNC1.
pub const GS: char = '\u{1D}';

/// How long an element's data is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Length {
    Fixed(usize),
    Variable(usize),
}

/// What the parser knows about one application identifier.
struct AiSpec {
    /// The AI digits; for 4-digit AIs ending in a decimal-point digit this is the
    /// first three digits.
    prefix: &'static str,
    /// Total digits of the AI itself (2, 3 or 4).
    ai_len: usize,
    length: Length,
    numeric: bool,
}

const fn ai(prefix: &'static str, ai_len: usize, length: Length, numeric: bool) -> AiSpec {
    AiSpec {
        prefix,
        ai_len,
        length,
        numeric,
    }
}

use Length::{Fixed, Variable};

/// The identifiers a till meets on goods. Others are refused with a typed error:
/// without knowing an AI's length the rest of the string cannot be split.
const AIS: &[AiSpec] = &[
    ai("00", 2, Fixed(18), true),
    ai("01", 2, Fixed(14), true),
    ai("02", 2, Fixed(14), true),
    ai("10", 2, Variable(20), false),
    ai("11", 2, Fixed(6), true),
    ai("12", 2, Fixed(6), true),
    ai("13", 2, Fixed(6), true),
    ai("15", 2, Fixed(6), true),
    ai("16", 2, Fixed(6), true),
    ai("17", 2, Fixed(6), true),
    ai("20", 2, Fixed(2), true),
    ai("21", 2, Variable(20), false),
    ai("22", 2, Variable(20), false),
    ai("240", 3, Variable(30), false),
    ai("30", 2, Variable(8), true),
    ai("37", 2, Variable(8), true),
    ai("310", 4, Fixed(6), true),
    ai("311", 4, Fixed(6), true),
    ai("312", 4, Fixed(6), true),
    ai("313", 4, Fixed(6), true),
    ai("320", 4, Fixed(6), true),
    ai("390", 4, Variable(15), true),
    ai("391", 4, Variable(18), true),
    ai("392", 4, Variable(15), true),
    ai("393", 4, Variable(18), true),
    ai("400", 3, Variable(30), false),
    ai("410", 3, Fixed(13), true),
    ai("414", 3, Fixed(13), true),
];

/// One application identifier and its data, as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gs1Element {
    /// The AI, e.g. "01" or "3103".
    pub ai: String,
    /// Its data, e.g. "03453120000011".
    pub value: String,
}

/// A GS1 element string, with the elements a till cares about decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gs1Reading {
    /// Every element, in the order scanned.
    pub elements: Vec<Gs1Element>,
    /// AI 01: the trade item's GTIN-14, check digit verified.
    pub gtin: Option<String>,
    /// AI 10: batch or lot number.
    pub batch: Option<String>,
    /// AI 17: expiry date.
    pub expiry: Option<NaiveDate>,
    /// AI 310n: net weight in kilograms.
    pub net_weight_kg: Option<Decimal>,
}

impl Gs1Reading {
    /// The GTIN as a retail code: a GTIN-14 with indicator 0 is a GTIN-13 with a
    /// leading zero, which is what a catalog keys articles by.
    pub fn gtin13(&self) -> Option<&str> {
        let g = self.gtin.as_deref()?;
        g.strip_prefix('0')
    }
}

/// Why an element string cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Gs1Error {
    /// Nothing to read.
    #[error("empty GS1 element string")]
    Empty,
    /// An AIM symbology identifier that does not carry GS1 data.
    #[error("symbology identifier {0:?} does not carry GS1 data")]
    NotGs1(String),
    /// An AI this parser does not know (so it cannot tell where its data ends).
    #[error("unknown application identifier at position {position}: {found:?}")]
    UnknownAi {
        /// 1-based character position in the data (after the AIM prefix).
        position: usize,
        /// The characters found where an AI was expected.
        found: String,
    },
    /// A fixed-length element cut short, or an AI without data.
    #[error("AI ({ai}) needs {expected} characters, only {got} left")]
    Truncated {
        /// The AI.
        ai: String,
        /// How many characters it needs.
        expected: usize,
        /// How many there were.
        got: usize,
    },
    /// A variable-length element longer than its maximum.
    #[error("AI ({ai}) allows at most {max} characters, got {got}")]
    TooLong {
        /// The AI.
        ai: String,
        /// Its maximum length.
        max: usize,
        /// The length read.
        got: usize,
    },
    /// A numeric element with something else than digits.
    #[error("AI ({ai}) must be digits, got {value:?}")]
    NotNumeric {
        /// The AI.
        ai: String,
        /// Its data.
        value: String,
    },
    /// A GTIN whose check digit is wrong.
    #[error("AI ({ai}) GTIN is invalid: {source}")]
    BadGtin {
        /// The AI.
        ai: String,
        /// What is wrong with it.
        #[source]
        source: BarcodeError,
    },
    /// A YYMMDD date that does not exist.
    #[error("AI ({ai}) date {value:?} is not a valid YYMMDD date")]
    BadDate {
        /// The AI.
        ai: String,
        /// Its data.
        value: String,
    },
}

/// Parses a GS1 element string, e.g. `]C101034531200000111717123110ABC123`
/// or the same without the `]C1` prefix, FNC1 sent as GS (0x1D).
///
/// Years are read as 20YY: no clock is consulted here, and goods expiring in the
/// previous century are not sold.
pub fn parse_gs1(input: &str) -> Result<Gs1Reading, Gs1Error> {
    let data = strip_symbology(input)?;
    // FNC1 in first position is sometimes transmitted; it carries no data.
    let data = data.trim_start_matches(GS);
    let chars: Vec<char> = data.chars().collect();
    if chars.is_empty() {
        return Err(Gs1Error::Empty);
    }
    let mut out = Gs1Reading::default();
    let mut i = 0;
    while i < chars.len() {
        let spec = lookup(&chars[i..]).ok_or_else(|| Gs1Error::UnknownAi {
            position: i + 1,
            found: chars[i..chars.len().min(i + 4)].iter().collect(),
        })?;
        let ai: String = chars[i..i + spec.ai_len].iter().collect();
        i += spec.ai_len;
        let rest = &chars[i..];
        let value: String = match spec.length {
            Fixed(n) => {
                let avail = rest.iter().take_while(|&&c| c != GS).count();
                if avail < n {
                    return Err(Gs1Error::Truncated {
                        ai,
                        expected: n,
                        got: avail,
                    });
                }
                i += n;
                rest[..n].iter().collect()
            }
            Variable(max) => {
                let len = rest.iter().take_while(|&&c| c != GS).count();
                if len == 0 {
                    return Err(Gs1Error::Truncated {
                        ai,
                        expected: 1,
                        got: 0,
                    });
                }
                if len > max {
                    return Err(Gs1Error::TooLong { ai, max, got: len });
                }
                i += len;
                rest[..len].iter().collect()
            }
        };
        // Skip the separator that ends a variable element (or that a printer put
        // after a fixed one anyway).
        if chars.get(i) == Some(&GS) {
            i += 1;
        }
        if spec.numeric && !value.chars().all(|c| c.is_ascii_digit()) {
            return Err(Gs1Error::NotNumeric { ai, value });
        }
        interpret(&mut out, &ai, &value)?;
        out.elements.push(Gs1Element { ai, value });
    }
    Ok(out)
}

/// Removes a GS1 AIM identifier; refuses other symbologies' identifiers.
fn strip_symbology(input: &str) -> Result<&str, Gs1Error> {
    let Some(rest) = input.strip_prefix(']') else {
        return Ok(input);
    };
    let id: String = rest.chars().take(2).collect();
    // ]C1 GS1-128, ]e0 GS1 DataBar, ]d2 GS1 DataMatrix, ]Q3 GS1 QR.
    match id.as_str() {
        "C1" | "e0" | "d2" | "Q3" => Ok(&rest[2..]),
        _ => Err(Gs1Error::NotGs1(format!("]{id}"))),
    }
}

fn lookup(at: &[char]) -> Option<&'static AiSpec> {
    AIS.iter().find(|s| {
        s.ai_len <= at.len()
            && s.prefix.chars().zip(at).all(|(p, &c)| p == c)
            && at[..s.ai_len].iter().all(|c| c.is_ascii_digit())
    })
}

/// Fills the typed fields from the elements a till uses.
fn interpret(out: &mut Gs1Reading, ai: &str, value: &str) -> Result<(), Gs1Error> {
    match ai {
        "01" => {
            verify_gs1_check_digit(value).map_err(|source| Gs1Error::BadGtin {
                ai: ai.to_string(),
                source,
            })?;
            out.gtin = Some(value.to_string());
        }
        "10" => out.batch = Some(value.to_string()),
        "11" | "12" | "13" | "15" | "16" | "17" => {
            let date = yymmdd(value).ok_or_else(|| Gs1Error::BadDate {
                ai: ai.to_string(),
                value: value.to_string(),
            })?;
            if ai == "17" {
                out.expiry = Some(date);
            }
        }
        _ if ai.len() == 4 && ai.starts_with("310") => {
            let decimals = u32::from(ai.as_bytes()[3] - b'0');
            // Six digits always fit in an i64; digits were checked just before.
            let n: i64 = value.parse().map_err(|_| Gs1Error::NotNumeric {
                ai: ai.to_string(),
                value: value.to_string(),
            })?;
            out.net_weight_kg = Some(Decimal::new(n, decimals));
        }
        _ => {}
    }
    Ok(())
}

/// YYMMDD, with DD = 00 meaning the last day of the month (GS1 rule).
fn yymmdd(v: &str) -> Option<NaiveDate> {
    let num = |r: std::ops::Range<usize>| v.get(r).and_then(|s| s.parse::<u32>().ok());
    let (yy, mm, dd) = (num(0..2)?, num(2..4)?, num(4..6)?);
    let year = 2000 + yy as i32;
    if dd == 0 {
        let next = if mm == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, mm + 1, 1)?
        };
        return next.pred_opt();
    }
    NaiveDate::from_ymd_opt(year, mm, dd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn gtin_expiry_batch_with_aim_prefix() {
        let r = parse_gs1("]C1010345312000001117271231103456789").unwrap();
        assert_eq!(r.gtin.as_deref(), Some("03453120000011"));
        assert_eq!(r.gtin13(), Some("3453120000011"));
        assert_eq!(r.expiry, NaiveDate::from_ymd_opt(2027, 12, 31));
        assert_eq!(r.batch.as_deref(), Some("3456789"));
        assert_eq!(r.elements.len(), 3);
    }

    #[test]
    fn batch_ended_by_gs_then_weight() {
        let s = format!("0103453120000011{}10LOT-7{GS}3103001250", GS);
        let r = parse_gs1(&s).unwrap();
        assert_eq!(r.batch.as_deref(), Some("LOT-7"));
        assert_eq!(r.net_weight_kg, Some(dec!(1.250)));
        let r = parse_gs1("]C13102001500").unwrap();
        assert_eq!(r.net_weight_kg, Some(dec!(15.00)));
    }

    #[test]
    fn day_zero_is_last_day_of_month() {
        let r = parse_gs1("17280200").unwrap();
        assert_eq!(r.expiry, NaiveDate::from_ymd_opt(2028, 2, 29));
        let r = parse_gs1("17261200").unwrap();
        assert_eq!(r.expiry, NaiveDate::from_ymd_opt(2026, 12, 31));
        assert!(matches!(
            parse_gs1("17261332"),
            Err(Gs1Error::BadDate { .. })
        ));
    }

    #[test]
    fn typed_errors() {
        assert_eq!(parse_gs1(""), Err(Gs1Error::Empty));
        assert_eq!(parse_gs1("]C1"), Err(Gs1Error::Empty));
        assert_eq!(
            parse_gs1("]E0400638133393"),
            Err(Gs1Error::NotGs1("]E0".into()))
        );
        assert_eq!(
            parse_gs1("010345312000"),
            Err(Gs1Error::Truncated {
                ai: "01".into(),
                expected: 14,
                got: 10
            })
        );
        assert!(matches!(
            parse_gs1("0103453120000011991234"),
            Err(Gs1Error::UnknownAi { position: 17, .. })
        ));
        assert!(matches!(
            parse_gs1("0103453120000012"),
            Err(Gs1Error::BadGtin { .. })
        ));
        assert!(matches!(
            parse_gs1("10ABCDEFGHIJKLMNOPQRSTU"),
            Err(Gs1Error::TooLong { max: 20, .. })
        ));
        assert!(matches!(
            parse_gs1("310300A250"),
            Err(Gs1Error::NotNumeric { .. })
        ));
        assert!(matches!(parse_gs1("10"), Err(Gs1Error::Truncated { .. })));
        assert!(matches!(parse_gs1("3"), Err(Gs1Error::UnknownAi { .. })));
    }
}
