//! Line and basket arithmetic: discounts, and spreading a basket discount over
//! lines so that the lines always add up to the total to the cent.

use crate::money::{round_to, Money};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// Money off a line or a basket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Discount {
    /// A percentage of the amount, 0 to 100.
    Percent(Decimal),
    /// A fixed amount, at most the amount it applies to.
    Amount(Money),
}

impl Discount {
    /// The money off `base`, rounded half-up to `dp` and never more than `base`
    /// nor below zero (validation rejects such discounts; this keeps the
    /// arithmetic total even on data that slipped through).
    pub fn amount_on(&self, base: Money, dp: u32) -> Money {
        let raw = match *self {
            Discount::Percent(p) => round_to(base * p / Decimal::ONE_HUNDRED, dp),
            Discount::Amount(a) => round_to(a, dp),
        };
        raw.max(Decimal::ZERO).min(base.max(Decimal::ZERO))
    }
}

/// The percentage `part` is of `whole` (0 when `whole` is 0), two decimals.
pub fn percent_of(part: Money, whole: Money) -> Decimal {
    if whole.is_zero() {
        return Decimal::ZERO;
    }
    round_to(part * Decimal::ONE_HUNDRED / whole, 2)
}

/// Splits `total` (non-negative, at most the sum of `weights`) over `weights`
/// pro rata, in units of 10^-dp, by largest remainder: each share is first
/// rounded down, then the cents left over go to the largest remainders, ties to
/// the earliest line. The shares sum to `total` exactly and none exceeds its
/// weight, so no line goes negative.
pub fn spread(total: Money, weights: &[Money], dp: u32) -> Vec<Money> {
    let sum: Money = weights.iter().sum();
    if total <= Decimal::ZERO || sum <= Decimal::ZERO {
        return vec![round_to(Decimal::ZERO, dp); weights.len()];
    }
    let total = total.min(sum);
    let unit = Decimal::new(1, dp);
    let mut shares = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let exact = total * *w / sum;
        let floor = round_to(
            exact.round_dp_with_strategy(dp, RoundingStrategy::ToZero),
            dp,
        );
        remainders.push((exact - floor, i));
        shares.push(floor);
    }
    let given: Money = shares.iter().sum();
    let mut left = ((total - given) / unit)
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .max(Decimal::ZERO);
    // Largest remainder first; equal remainders in line order, so the result is
    // the same on every till for the same basket.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in remainders {
        if left <= Decimal::ZERO {
            break;
        }
        shares[i] += unit;
        left -= Decimal::ONE;
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn spread_sums_exactly_and_is_deterministic() {
        let s = spread(dec!(1.00), &[dec!(1), dec!(1), dec!(1)], 2);
        assert_eq!(s, vec![dec!(0.34), dec!(0.33), dec!(0.33)]);
        let s = spread(dec!(10.00), &[dec!(3.33), dec!(6.67), dec!(0)], 2);
        assert_eq!(s.iter().sum::<Decimal>(), dec!(10.00));
        assert_eq!(s, vec![dec!(3.33), dec!(6.67), dec!(0.00)]);
        let s = spread(dec!(0.05), &[dec!(10), dec!(20), dec!(30)], 2);
        assert_eq!(s, vec![dec!(0.01), dec!(0.02), dec!(0.02)]);
        assert_eq!(s.iter().sum::<Decimal>(), dec!(0.05));
    }

    #[test]
    fn discounts_clamp() {
        assert_eq!(
            Discount::Percent(dec!(10)).amount_on(dec!(9.99), 2),
            dec!(1.00)
        );
        assert_eq!(
            Discount::Amount(dec!(20)).amount_on(dec!(9.99), 2),
            dec!(9.99)
        );
        assert_eq!(percent_of(dec!(3), dec!(12)), dec!(25));
    }
}
