//! French company identifiers and the intra-EU VAT number: the checks a
//! typed number must pass before it is stored (a typo in a SIREN puts an
//! invoice under another company).
//!
//! - SIREN (9 digits) and SIRET (14 digits, the SIREN then a 5-digit
//!   establishment number) carry a Luhn check digit. La Poste's
//!   establishments (SIREN 356 000 000) are numbered past what Luhn allows:
//!   INSEE checks their SIRET by the sum of its digits being a multiple of 5.
//! - A French VAT number is `FR`, a 2-digit key, the SIREN; the key is
//!   `(12 + 3 × (SIREN mod 97)) mod 97`. Other member states' numbers are
//!   checked for their shape only (country code, 2 to 12 letters or digits).

/// The SIREN of La Poste, whose SIRETs follow their own rule.
const LA_POSTE: &str = "356000000";

/// The EU member states' VAT prefixes (Greece is `EL`; Northern Ireland `XI`).
const EU_PREFIXES: [&str; 28] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI",
];

/// The Luhn check over a string of ASCII digits (false if any is not one).
pub fn luhn_ok(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A SIREN: 9 digits passing Luhn.
pub fn siren_ok(s: &str) -> bool {
    s.len() == 9 && luhn_ok(s)
}

/// A SIRET: 14 digits passing Luhn (La Poste's: digit sum a multiple of 5).
pub fn siret_ok(s: &str) -> bool {
    if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    if s.starts_with(LA_POSTE) && s != "35600000000048" {
        // The head office of La Poste keeps a Luhn-valid SIRET; its other
        // establishments follow the digit-sum rule.
        let sum: u32 = s.bytes().map(|b| u32::from(b - b'0')).sum();
        return sum.is_multiple_of(5);
    }
    luhn_ok(s)
}

/// The French VAT key of a SIREN (two digits).
pub fn fr_vat_key(siren: &str) -> Option<u32> {
    if siren.len() != 9 || !siren.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = siren.parse().ok()?;
    Some(((12 + 3 * (n % 97)) % 97) as u32)
}

/// The French VAT number of a SIREN ("FR" + key + SIREN).
pub fn fr_vat_number(siren: &str) -> Option<String> {
    fr_vat_key(siren).map(|k| format!("FR{k:02}{siren}"))
}

/// Why a VAT number is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VatError {
    /// Not a member state's code and 2 to 12 letters or digits.
    #[error("not an EU VAT number (a member state's code, then 2 to 12 letters or digits)")]
    Shape,
    /// The key does not match the SIREN.
    #[error("the French VAT key does not match the SIREN it carries")]
    FrenchKey,
    /// The SIREN it carries fails its Luhn check.
    #[error("the SIREN in the French VAT number is not a valid SIREN")]
    FrenchSiren,
}

/// Checks an intra-EU VAT number (spaces already removed, upper case): the
/// French key in full, the others' shape.
pub fn vat_check(v: &str) -> Result<(), VatError> {
    let (prefix, rest) = v.split_at_checked(2).ok_or(VatError::Shape)?;
    if !EU_PREFIXES.contains(&prefix)
        || !(2..=12).contains(&rest.len())
        || !rest
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
    {
        return Err(VatError::Shape);
    }
    if prefix != "FR" {
        return Ok(());
    }
    // France: 2 key characters then the SIREN. Numeric keys only: the
    // alphanumeric keys of the old scheme are not issued any more.
    if rest.len() != 11 {
        return Err(VatError::Shape);
    }
    let (key, siren) = rest.split_at(2);
    if !siren_ok(siren) {
        return Err(VatError::FrenchSiren);
    }
    let key: u32 = key.parse().map_err(|_| VatError::FrenchKey)?;
    if fr_vat_key(siren) != Some(key) {
        return Err(VatError::FrenchKey);
    }
    Ok(())
}

/// A number as people type it: spaces, dots and dashes dropped, upper case.
pub fn compact(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '\u{a0}' | '\u{202f}'))
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_numbers() {
        // Published identifiers: EDF's SIREN and VAT number (FR03...),
        // La Poste's head office and one of its post offices (digit sum).
        assert!(siren_ok("552081317"));
        assert!(!siren_ok("552081318"));
        assert!(siret_ok("73282932000074"));
        assert!(!siret_ok("73282932000075"));
        assert!(siret_ok("35600000000048"));
        assert!(siret_ok("35600000049837"));
        assert!(!siret_ok("35600000049838"));
        assert_eq!(fr_vat_number("552081317").as_deref(), Some("FR03552081317"));
        assert_eq!(vat_check("FR03552081317"), Ok(()));
        assert_eq!(vat_check("FR04552081317"), Err(VatError::FrenchKey));
        assert_eq!(vat_check("FR03552081318"), Err(VatError::FrenchSiren));
        assert_eq!(vat_check("DE123456789"), Ok(()));
        assert_eq!(vat_check("US123456789"), Err(VatError::Shape));
        assert_eq!(vat_check("F"), Err(VatError::Shape));
        assert_eq!(compact("fr 12 855.200-887"), "FR12855200887");
    }
}
