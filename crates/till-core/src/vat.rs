//! VAT on tax-inclusive (TTC) prices. Tax is computed once per rate on that rate's
//! total and rounded half-up once, so the breakdown always sums to the sale total.

use crate::money::{round_to, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A VAT rate in percent (20, 10, 5.5, 2.1 in France). Stored normalised to two
/// decimals so that 5.5 and 5.50 are the same rate everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VatRate(Decimal);

impl VatRate {
    /// A rate from its percentage; refused unless 0 <= p < 100.
    pub fn percent(p: Decimal) -> Result<VatRate, crate::CoreError> {
        if p < Decimal::ZERO || p >= Decimal::from(100) {
            return Err(crate::CoreError::InvalidVatRate(p));
        }
        Ok(VatRate(round_to(p, 2)))
    }
    /// The rate in percent, two decimals.
    pub fn as_percent(&self) -> Decimal {
        self.0
    }
}

impl std::fmt::Display for VatRate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}%", self.0.normalize())
    }
}

/// One row of the VAT table on a receipt: base (HT) + tax = total (TTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatLine {
    /// The rate.
    pub rate: VatRate,
    /// Taxable base (HT).
    pub base: Money,
    /// VAT amount (TVA).
    pub tax: Money,
    /// Tax-inclusive total (TTC).
    pub total: Money,
}

/// The tax contained in a tax-inclusive amount, half-up to `dp` decimals.
pub fn tax_in(total: Money, rate: VatRate, dp: u32) -> Money {
    let r = rate.as_percent();
    let tax = total * r / (Decimal::from(100) + r);
    round_to(tax, dp)
}

/// Groups tax-inclusive amounts by rate and computes the tax once per rate.
/// Rates whose total is zero are still listed if they appear, so a refund of
/// a whole line shows up in the table. Sorted by rate.
pub fn breakdown<I>(amounts: I, dp: u32) -> Vec<VatLine>
where
    I: IntoIterator<Item = (VatRate, Money)>,
{
    let mut per_rate: BTreeMap<VatRate, Money> = BTreeMap::new();
    for (rate, amount) in amounts {
        *per_rate.entry(rate).or_insert(Decimal::ZERO) += amount;
    }
    per_rate
        .into_iter()
        .map(|(rate, total)| {
            let total = round_to(total, dp);
            let tax = tax_in(total, rate, dp);
            VatLine {
                rate,
                base: total - tax,
                tax,
                total,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn twenty_percent_of_twelve_euros() {
        let r = VatRate::percent(dec!(20)).unwrap();
        let b = breakdown([(r, dec!(12.00))], 2);
        assert_eq!(b[0].tax, dec!(2.00));
        assert_eq!(b[0].base, dec!(10.00));
    }

    #[test]
    fn tax_is_rounded_once_per_rate_not_per_line() {
        let r = VatRate::percent(dec!(5.5)).unwrap();
        // Three lines of 0.99: per line tax would be 0.05 x 3 = 0.15; on the total 2.97 it is 0.15 too,
        // but 7 x 0.33 shows the drift: per line 0.02 x 7 = 0.14, on 2.31 it is 0.12.
        let b = breakdown((0..7).map(|_| (r, dec!(0.33))), 2);
        assert_eq!(b[0].total, dec!(2.31));
        assert_eq!(b[0].tax, dec!(0.12));
        assert_eq!(b[0].base + b[0].tax, b[0].total);
    }

    #[test]
    fn rates_normalise() {
        assert_eq!(
            VatRate::percent(dec!(5.5)).unwrap(),
            VatRate::percent(dec!(5.50)).unwrap()
        );
        assert!(VatRate::percent(dec!(-1)).is_err());
        assert!(VatRate::percent(dec!(100)).is_err());
    }
}
