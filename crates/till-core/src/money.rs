//! Money is a `Decimal` in the currency's unit (euros, not cents), rounded to the
//! currency's minor units half-up (away from zero), the way French tills round.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// An amount of money. Always a decimal, never a float.
pub type Money = Decimal;

/// The currency a till trades in. EUR by default; others are configurable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Currency {
    /// ISO 4217 alphabetic code, e.g. "EUR".
    pub code: String,
    /// ISO 4217 numeric code, e.g. 978 (payment terminals speak this one).
    pub numeric: u16,
    /// Digits after the decimal point (EUR: 2).
    pub minor_units: u32,
}

impl Default for Currency {
    fn default() -> Self {
        Currency::eur()
    }
}

impl Currency {
    /// The euro: code EUR, numeric 978, two decimals.
    pub fn eur() -> Self {
        Currency {
            code: "EUR".into(),
            numeric: 978,
            minor_units: 2,
        }
    }

    /// Rounds half-up (0.005 -> 0.01, -0.005 -> -0.01) to the minor unit.
    pub fn round(&self, amount: Decimal) -> Money {
        round_to(amount, self.minor_units)
    }

    /// Formats with exactly `minor_units` decimals and a comma, as on a French receipt.
    pub fn format(&self, amount: Money) -> String {
        let r = self.round(amount);
        let s = format!("{:.*}", self.minor_units as usize, r);
        s.replace('.', ",")
    }
}

/// Half-up rounding to `dp` decimal places, with a normalised scale so that
/// `1.5` and `1.50` encode the same way in the journal.
pub fn round_to(amount: Decimal, dp: u32) -> Decimal {
    let mut r = amount.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(dp);
    r
}

/// Rounds an amount to the nearest multiple of `step` (e.g. 0.05 for cash rounding),
/// halves away from zero.
pub fn round_to_step(amount: Decimal, step: Decimal) -> Decimal {
    if step <= Decimal::ZERO {
        return amount;
    }
    let units = (amount / step).round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    units * step
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rounds_half_up_away_from_zero() {
        let eur = Currency::eur();
        assert_eq!(eur.round(dec!(0.005)), dec!(0.01));
        assert_eq!(eur.round(dec!(-0.005)), dec!(-0.01));
        assert_eq!(eur.round(dec!(1.004)), dec!(1.00));
        assert_eq!(eur.round(dec!(2)).to_string(), "2.00");
    }

    #[test]
    fn formats_french_style() {
        assert_eq!(Currency::eur().format(dec!(12.5)), "12,50");
        assert_eq!(Currency::eur().format(dec!(-0.1)), "-0,10");
    }

    #[test]
    fn cash_rounding_to_five_cents() {
        assert_eq!(round_to_step(dec!(1.02), dec!(0.05)), dec!(1.00));
        assert_eq!(round_to_step(dec!(1.03), dec!(0.05)), dec!(1.05));
        assert_eq!(round_to_step(dec!(1.025), dec!(0.05)), dec!(1.05));
    }
}
