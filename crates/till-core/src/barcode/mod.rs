//! Barcodes as a till sees them: retail EAN-13 / EAN-8 / UPC-A with their check
//! digit, restricted-circulation EAN-13 carrying a price, weight or quantity
//! (decoded by configurable patterns, see [`embedded`]), and GS1-128 application
//! identifiers (see [`gs1`]).
//!
//! Everything here is pure string work so the scanner driver, the catalog and
//! tests can share one definition of "a valid code".

pub mod embedded;
pub mod gs1;

pub use embedded::{Embedded, EmbeddedPattern, PatternError};
pub use gs1::{parse_gs1, Gs1Element, Gs1Error, Gs1Reading};

use serde::{Deserialize, Serialize};

/// The retail symbologies a till accepts, told apart by length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Symbology {
    /// 13 digits, the European retail code (GTIN-13).
    Ean13,
    /// 8 digits, for small packs (GTIN-8).
    Ean8,
    /// 12 digits, the North American code (GTIN-12).
    UpcA,
    /// 8 digits, a zero-suppressed UPC-A (number system 0 or 1); its check
    /// digit is the expanded UPC-A's.
    UpcE,
}

impl Symbology {
    /// The number of digits, check digit included.
    #[allow(clippy::len_without_is_empty)] // a digit count, never empty
    pub fn len(&self) -> usize {
        match self {
            Symbology::Ean13 => 13,
            Symbology::Ean8 => 8,
            Symbology::UpcA => 12,
            Symbology::UpcE => 8,
        }
    }

    /// Stable snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Symbology::Ean13 => "ean13",
            Symbology::Ean8 => "ean8",
            Symbology::UpcA => "upc_a",
            Symbology::UpcE => "upc_e",
        }
    }
}

/// A retail barcode whose check digit has been verified.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Barcode {
    /// Which symbology the length says it is.
    pub symbology: Symbology,
    /// All digits, check digit included, exactly as scanned.
    pub digits: String,
}

impl Barcode {
    /// The code as a GTIN-13: UPC-A gains a leading zero (that is how GS1 defines
    /// it), UPC-E is expanded to its UPC-A first, EAN-13 is unchanged. EAN-8 has
    /// no GTIN-13 form and is returned as is.
    pub fn gtin13(&self) -> String {
        match self.symbology {
            Symbology::UpcA => format!("0{}", self.digits),
            Symbology::UpcE => match expand_upc_e(&self.digits) {
                Ok(upc_a) => format!("0{upc_a}"),
                Err(_) => self.digits.clone(),
            },
            _ => self.digits.clone(),
        }
    }

    /// Restricted circulation numbers (GS1 prefixes 02 and 20-29) are assigned by
    /// the shop itself, typically for weighed or price-marked goods.
    pub fn is_restricted_circulation(&self) -> bool {
        if self.symbology == Symbology::Ean8 {
            return false;
        }
        let g = self.gtin13();
        g.starts_with("02") || g.starts_with('2')
    }
}

/// Why a code is not a valid retail barcode. Positions are 1-based, as a person
/// counts digits on a label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BarcodeError {
    /// Not 8, 12 or 13 characters long.
    #[error("a retail barcode has 8, 12 or 13 digits, this one has {0}")]
    WrongLength(usize),
    /// A character that is not an ASCII digit.
    #[error("character {found:?} at position {position} is not a digit")]
    NonDigit {
        /// 1-based position of the offending character.
        position: usize,
        /// The character found there.
        found: char,
    },
    /// The last digit does not match the GS1 modulo-10 check digit.
    #[error("bad check digit: expected {expected}, got {got}")]
    BadCheckDigit {
        /// What the other digits say the check digit must be.
        expected: u8,
        /// The check digit on the code.
        got: u8,
    },
}

/// The GS1 modulo-10 check digit of `payload` (all digits but the check digit).
///
/// Weights alternate 3, 1 starting from the rightmost payload digit, which makes
/// one function right for GTIN-8, -12, -13, -14 and SSCC alike.
/// `payload` must hold digit values 0-9.
pub fn check_digit(payload: &[u8]) -> u8 {
    let sum: u32 = payload
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| u32::from(d) * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// Turns a string into digit values, or says where the first non-digit is.
pub(crate) fn digits_of(code: &str) -> Result<Vec<u8>, BarcodeError> {
    code.chars()
        .enumerate()
        .map(|(i, c)| match c.to_digit(10) {
            Some(d) if c.is_ascii_digit() => Ok(d as u8),
            _ => Err(BarcodeError::NonDigit {
                position: i + 1,
                found: c,
            }),
        })
        .collect()
}

/// Checks the GS1 check digit of a digit string of any length (GTIN-8/12/13/14).
pub fn verify_gs1_check_digit(code: &str) -> Result<(), BarcodeError> {
    let digits = digits_of(code)?;
    let Some((&got, payload)) = digits.split_last() else {
        return Err(BarcodeError::WrongLength(0));
    };
    let expected = check_digit(payload);
    if expected != got {
        return Err(BarcodeError::BadCheckDigit { expected, got });
    }
    Ok(())
}

/// Expands a UPC-E code (8 digits: number system, six digits, check digit) to
/// the 12-digit UPC-A it stands for. The check digit is copied, not verified.
pub fn expand_upc_e(code: &str) -> Result<String, BarcodeError> {
    let d = digits_of(code)?;
    if d.len() != 8 {
        return Err(BarcodeError::WrongLength(d.len()));
    }
    if d[0] > 1 {
        // Only number systems 0 and 1 can be zero-suppressed.
        return Err(BarcodeError::NonDigit {
            position: 1,
            found: char::from(b'0' + d[0]),
        });
    }
    let (n, x, c) = (d[0], &d[1..7], d[7]);
    let body: [u8; 10] = match x[5] {
        0..=2 => [x[0], x[1], x[5], 0, 0, 0, 0, x[2], x[3], x[4]],
        3 => [x[0], x[1], x[2], 0, 0, 0, 0, 0, x[3], x[4]],
        4 => [x[0], x[1], x[2], x[3], 0, 0, 0, 0, 0, x[4]],
        _ => [x[0], x[1], x[2], x[3], x[4], 0, 0, 0, 0, x[5]],
    };
    let mut out = String::with_capacity(12);
    for v in std::iter::once(n).chain(body).chain(std::iter::once(c)) {
        out.push(char::from(b'0' + v));
    }
    Ok(out)
}

/// Validates a UPC-E code: its check digit is the one of the UPC-A it expands to.
/// Use it when the scanner says UPC-E (AIM `]E0` with 8 digits); [`parse_retail`]
/// cannot always tell UPC-E from EAN-8.
pub fn parse_upc_e(code: &str) -> Result<Barcode, BarcodeError> {
    let upc_a = expand_upc_e(code)?;
    verify_gs1_check_digit(&upc_a)?;
    Ok(Barcode {
        symbology: Symbology::UpcE,
        digits: code.to_string(),
    })
}

/// Validates a scanned or typed retail code: EAN-13, EAN-8 or UPC-A, told apart
/// by length, with its check digit verified. An 8-digit code that is not a
/// valid EAN-8 but a valid UPC-E is read as UPC-E. The input must be exactly the
/// digits (strip the scanner's suffix and AIM prefix first).
pub fn parse_retail(code: &str) -> Result<Barcode, BarcodeError> {
    let len = code.chars().count();
    let symbology = match len {
        13 => Symbology::Ean13,
        12 => Symbology::UpcA,
        8 => Symbology::Ean8,
        // Report a non-digit before a wrong length: "12a4" is more helpfully
        // "not a digit at 3" than "wrong length".
        _ => {
            digits_of(code)?;
            return Err(BarcodeError::WrongLength(len));
        }
    };
    if let Err(e) = verify_gs1_check_digit(code) {
        if symbology == Symbology::Ean8 {
            // Keep the EAN-8 error: it is what a misread EAN-8 needs to report.
            return parse_upc_e(code).map_err(|_| e);
        }
        return Err(e);
    }
    Ok(Barcode {
        symbology,
        digits: code.to_string(),
    })
}

/// Completes a payload (12 digits for EAN-13, 7 for EAN-8, 11 for UPC-A) with
/// its check digit. Handy to print labels or to build test codes.
pub fn with_check_digit(payload: &str) -> Result<String, BarcodeError> {
    let digits = digits_of(payload)?;
    Ok(format!("{payload}{}", check_digit(&digits)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_world_codes_validate() {
        let b = parse_retail("4006381333931").unwrap();
        assert_eq!(b.symbology, Symbology::Ean13);
        // Nutella 400 g.
        assert_eq!(
            parse_retail("3017620422003").unwrap().symbology,
            Symbology::Ean13
        );
        assert_eq!(parse_retail("96385074").unwrap().symbology, Symbology::Ean8);
        let upc = parse_retail("036000291452").unwrap();
        assert_eq!(upc.symbology, Symbology::UpcA);
        assert_eq!(upc.gtin13(), "0036000291452");
    }

    #[test]
    fn bad_check_digit_says_what_was_expected() {
        assert_eq!(
            parse_retail("4006381333932"),
            Err(BarcodeError::BadCheckDigit {
                expected: 1,
                got: 2
            })
        );
        assert_eq!(
            parse_retail("96385075"),
            Err(BarcodeError::BadCheckDigit {
                expected: 4,
                got: 5
            })
        );
    }

    #[test]
    fn wrong_length_and_non_digits() {
        assert_eq!(parse_retail("12345"), Err(BarcodeError::WrongLength(5)));
        assert_eq!(parse_retail(""), Err(BarcodeError::WrongLength(0)));
        assert_eq!(
            parse_retail("40063813339A1"),
            Err(BarcodeError::NonDigit {
                position: 12,
                found: 'A'
            })
        );
        // Unicode digits are not barcode digits.
        assert!(matches!(
            parse_retail("٤006381333931"),
            Err(BarcodeError::NonDigit { position: 1, .. })
        ));
    }

    #[test]
    fn restricted_circulation_prefixes() {
        let c = with_check_digit("201234501234").unwrap();
        assert!(parse_retail(&c).unwrap().is_restricted_circulation());
        let c = with_check_digit("021234501234").unwrap();
        assert!(parse_retail(&c).unwrap().is_restricted_circulation());
        assert!(!parse_retail("3017620422003")
            .unwrap()
            .is_restricted_circulation());
        // UPC-A number system 2 is GTIN-13 prefix 02.
        let upc = with_check_digit("21234500123").unwrap();
        assert!(parse_retail(&upc).unwrap().is_restricted_circulation());
    }

    #[test]
    fn upc_e_expands_and_validates() {
        assert_eq!(expand_upc_e("04252614").unwrap(), "042100005264");
        assert_eq!(expand_upc_e("01234565").unwrap(), "012345000065");
        assert_eq!(expand_upc_e("01234531").unwrap(), "012300000451");
        assert_eq!(expand_upc_e("01234548").unwrap(), "012340000058");
        let b = parse_retail("04252614").unwrap();
        assert_eq!(b.symbology, Symbology::UpcE);
        assert_eq!(b.gtin13(), "0042100005264");
        // 01234565 is a valid EAN-8 too: without the AIM identifier it reads as
        // EAN-8; the scanner's ]E0 says UPC-E.
        assert_eq!(parse_retail("01234565").unwrap().symbology, Symbology::Ean8);
        assert_eq!(parse_upc_e("01234565").unwrap().symbology, Symbology::UpcE);
        assert!(matches!(
            parse_upc_e("04252615"),
            Err(BarcodeError::BadCheckDigit {
                expected: 4,
                got: 5
            })
        ));
        assert!(parse_upc_e("24252614").is_err());
        // Neither EAN-8 nor UPC-E: the EAN-8 error is reported.
        assert!(matches!(
            parse_retail("96385075"),
            Err(BarcodeError::BadCheckDigit {
                expected: 4,
                got: 5
            })
        ));
    }

    #[test]
    fn check_digit_helper_matches_known_codes() {
        assert_eq!(with_check_digit("400638133393").unwrap(), "4006381333931");
        assert_eq!(with_check_digit("03600029145").unwrap(), "036000291452");
    }
}
