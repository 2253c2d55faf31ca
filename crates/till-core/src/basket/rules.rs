//! The sale rules that may need a supervisor: purchase limits per item,
//! discounts over the threshold, price overrides, the order cap and the
//! anomaly check. Each refusal is `SaleError::ApprovalRequired` naming the
//! exact detail an approval must carry.

use super::pricing::percent_of;
use super::Basket;
use crate::auth::Action;
use crate::catalog::PurchaseRules;
use crate::error::SaleError;
use crate::money::Money;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

impl Basket {
    /// Rules checked on every change: maximum quantities, discounts over the
    /// threshold, price overrides.
    pub(super) fn scanning_checks(&self) -> Result<(), SaleError> {
        let cur = &self.config.currency;
        for (item, (q, rules)) in self.quantities() {
            if let Some(max) = rules.max_qty {
                if q > max {
                    self.need(
                        Action::ExceedPurchaseRule,
                        format!(
                            "item {item}: quantity {} above maximum {}",
                            q.normalize(),
                            max.normalize()
                        ),
                    )?;
                }
            }
        }
        let threshold = self.config.discount_approval_threshold_percent;
        let t = self.totals();
        for (bl, sl) in self.lines.iter().filter(|l| !l.voided).zip(&t.lines) {
            if bl.overridden {
                self.need(
                    Action::PriceOverride,
                    format!(
                        "line {} {}: price {} -> {}",
                        bl.line_no,
                        bl.item_id,
                        cur.format(bl.catalog_price),
                        cur.format(bl.unit_price)
                    ),
                )?;
            }
            let p = percent_of(sl.line_discount, sl.gross);
            if p > threshold {
                self.need(
                    Action::DiscountOverThreshold,
                    format!(
                        "line {} {}: discount {} % above {} %",
                        bl.line_no,
                        bl.item_id,
                        p.normalize(),
                        threshold.normalize()
                    ),
                )?;
            }
        }
        let net: Money = t.lines.iter().map(|l| l.gross - l.line_discount).sum();
        let p = percent_of(t.basket_discount, net);
        if p > threshold {
            self.need(
                Action::DiscountOverThreshold,
                format!(
                    "basket discount {} % above {} %",
                    p.normalize(),
                    threshold.normalize()
                ),
            )?;
        }
        Ok(())
    }

    /// Rules checked before payment: everything of [`Self::scanning_checks`],
    /// minimum quantities, the maximum order amount and the anomaly check.
    pub fn payment_checks(&self) -> Result<(), SaleError> {
        self.scanning_checks()?;
        let cur = &self.config.currency;
        for (item, (q, rules)) in self.quantities() {
            if let Some(min) = rules.min_qty {
                if q < min {
                    self.need(
                        Action::ExceedPurchaseRule,
                        format!(
                            "item {item}: quantity {} below minimum {}",
                            q.normalize(),
                            min.normalize()
                        ),
                    )?;
                }
            }
        }
        let total = self.totals().total;
        if let Some(max) = self.max_order_amount() {
            if total > max {
                self.need(
                    Action::ExceedPurchaseRule,
                    format!(
                        "order total {} above maximum {}",
                        cur.format(total),
                        cur.format(max)
                    ),
                )?;
            }
        }
        if self.is_anomalous(total) {
            self.need(Action::AnomalyBasket, self.anomaly_detail(total))?;
        }
        Ok(())
    }

    /// The order limit in force: the customer group's, else the shop's.
    pub fn max_order_amount(&self) -> Option<Money> {
        self.customer_group
            .as_ref()
            .and_then(|g| self.config.max_order_amount_by_group.get(g).copied())
            .or(self.config.max_order_amount)
    }

    fn anomaly_detail(&self, total: Money) -> String {
        let cur = &self.config.currency;
        format!(
            "basket {} above {} x average {}",
            cur.format(total),
            self.config.anomaly_factor.unwrap_or_default().normalize(),
            cur.format(self.rolling_average.unwrap_or_default())
        )
    }

    pub(super) fn is_anomalous(&self, total: Money) -> bool {
        match (self.config.anomaly_factor, self.rolling_average) {
            (Some(k), Some(avg)) if k > Decimal::ZERO && avg > Decimal::ZERO => {
                // Both are bounded by config and sale totals; checked_mul still
                // guards a hand-edited config against an overflow panic.
                avg.checked_mul(k).is_some_and(|limit| total > limit)
            }
            _ => false,
        }
    }

    /// Quantity per item over live lines, with the item's rules.
    fn quantities(&self) -> BTreeMap<&str, (Decimal, &PurchaseRules)> {
        let mut m: BTreeMap<&str, (Decimal, &PurchaseRules)> = BTreeMap::new();
        for l in self.lines.iter().filter(|l| !l.voided) {
            m.entry(l.item_id.as_str())
                .or_insert((Decimal::ZERO, &l.rules))
                .0 += l.quantity;
        }
        m
    }
}
