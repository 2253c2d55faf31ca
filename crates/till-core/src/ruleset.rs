//! The shop's counter rules as a shop writes them: `[rules]` in till.toml,
//! or head office's versioned ruleset (same keys). Every key is optional;
//! a missing key keeps the built-in behaviour. [`Ruleset::validate`] checks
//! each bound and names the key and its range; [`Ruleset::over`] lays head
//! office's ruleset over the till's own, key by key (head office wins where
//! both set a key).
//!
//! The rolling average basket the anomaly check compares with is not part
//! of the ruleset: the till computes it from its own journal (day totals of
//! the last `anomaly_days` business days), so the check works offline and
//! in a shop without head office, and follows this till's own customers.

use crate::barcode::EmbeddedPattern;
use crate::basket::BasketConfig;
use crate::money::Money;
use crate::permissions::Permissions;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Built-in number of days the rolling average basket covers.
pub const DEFAULT_ANOMALY_DAYS: u32 = 28;
/// Built-in number of sales below which the anomaly check stays off.
pub const DEFAULT_ANOMALY_MIN_SALES: u64 = 50;
/// Built-in alert delay for a drawer left open.
pub const DEFAULT_DRAWER_LEFT_OPEN_S: u64 = 60;

/// A customer group's own limits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupRules {
    /// Replaces `max_order_amount` for the group's customers.
    pub max_order_amount: Option<Money>,
}

/// The rules, as written in `[rules]` (or sent by head office).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Ruleset {
    /// The most one order may total without a supervisor.
    pub max_order_amount: Option<Money>,
    /// A basket above this many times the rolling average needs approval
    /// and is journaled flagged.
    pub anomaly_factor: Option<Decimal>,
    /// Below this many sales in the window, no anomaly check.
    pub anomaly_min_sales: Option<u64>,
    /// Business days the rolling average covers (today included).
    pub anomaly_days: Option<u32>,
    /// Cash-only sales are rounded to this step (e.g. 0.05).
    pub cash_rounding: Option<Money>,
    /// Discounts above this percentage need a supervisor.
    pub discount_threshold_percent: Option<Decimal>,
    /// Weight and price label patterns (e.g. `"21.....{WWWWW}"`); absent:
    /// the French 21 (weight) and 22 (price).
    pub label_patterns: Option<Vec<String>>,
    /// A drawer open longer than this is flagged on the status line.
    pub drawer_left_open_seconds: Option<u64>,
    /// Limits per customer group.
    pub customer_groups: BTreeMap<String, GroupRules>,
    /// Action name -> `cashier`, `supervisor` or `manager`.
    pub permissions: BTreeMap<String, String>,
    /// The most one sale takes in meal vouchers (titres-restaurant)
    /// together; absent: 25 €. The law's cap is per customer per day: the
    /// till, which does not know the customer's other purchases, applies
    /// it per sale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meal_voucher_cap: Option<Money>,
    /// The tenders the shop defines (`[[tenders]]`), beyond the built-in
    /// ones.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tenders: Vec<crate::tenders::ShopTender>,
}

/// A key out of its bounds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("[rules] {key}: {why}")]
pub struct RulesError {
    /// The key, as written (`customer_groups.pro.max_order_amount`).
    pub key: String,
    /// What is wrong, with the range allowed.
    pub why: String,
}

fn check(
    key: &str,
    v: Option<Decimal>,
    lo: Decimal,
    hi: Decimal,
    dp: u32,
) -> Result<(), RulesError> {
    match v {
        Some(v) if v < lo || v > hi || v.normalize().scale() > dp => Err(RulesError {
            key: key.into(),
            why: format!("{v} is outside {lo} to {hi} (at most {dp} decimals)"),
        }),
        _ => Ok(()),
    }
}

fn check_int(key: &str, v: Option<u64>, lo: u64, hi: u64) -> Result<(), RulesError> {
    match v {
        Some(v) if v < lo || v > hi => Err(RulesError {
            key: key.into(),
            why: format!("{v} is outside {lo} to {hi}"),
        }),
        _ => Ok(()),
    }
}

impl Ruleset {
    /// Checks every key against its bounds.
    pub fn validate(&self) -> Result<(), RulesError> {
        let d = Decimal::from;
        check(
            "max_order_amount",
            self.max_order_amount,
            Decimal::new(1, 2),
            d(1_000_000),
            2,
        )?;
        check(
            "anomaly_factor",
            self.anomaly_factor,
            Decimal::new(11, 1),
            d(100),
            2,
        )?;
        check_int("anomaly_min_sales", self.anomaly_min_sales, 1, 100_000)?;
        check_int("anomaly_days", self.anomaly_days.map(u64::from), 1, 366)?;
        check(
            "cash_rounding",
            self.cash_rounding,
            Decimal::new(1, 2),
            d(1),
            2,
        )?;
        check(
            "discount_threshold_percent",
            self.discount_threshold_percent,
            d(0),
            d(100),
            2,
        )?;
        check_int(
            "drawer_left_open_seconds",
            self.drawer_left_open_seconds,
            5,
            3600,
        )?;
        if let Some(ps) = &self.label_patterns {
            if ps.len() > 20 {
                return Err(RulesError {
                    key: "label_patterns".into(),
                    why: format!("{} patterns, at most 20", ps.len()),
                });
            }
            for p in ps {
                EmbeddedPattern::parse(p).map_err(|e| RulesError {
                    key: "label_patterns".into(),
                    why: format!("{p:?}: {e}"),
                })?;
            }
        }
        if self.customer_groups.len() > 100 {
            return Err(RulesError {
                key: "customer_groups".into(),
                why: format!("{} groups, at most 100", self.customer_groups.len()),
            });
        }
        for (name, g) in &self.customer_groups {
            if name.is_empty() || name.chars().count() > 64 {
                return Err(RulesError {
                    key: format!("customer_groups.{name}"),
                    why: "a group name has 1 to 64 characters".into(),
                });
            }
            check(
                &format!("customer_groups.{name}.max_order_amount"),
                g.max_order_amount,
                Decimal::new(1, 2),
                d(1_000_000),
                2,
            )?;
        }
        Permissions::from_names(&self.permissions).map_err(|e| RulesError {
            key: "permissions".into(),
            why: e.to_string(),
        })?;
        check(
            "meal_voucher_cap",
            self.meal_voucher_cap,
            Decimal::new(1, 2),
            d(1_000),
            2,
        )?;
        crate::tenders::check_all(&self.tenders).map_err(|(code, p)| RulesError {
            key: match code {
                Some(c) => format!("tenders.{c}.{}", p.field()),
                None => "tenders".into(),
            },
            why: p.to_string(),
        })?;
        Ok(())
    }

    /// `self` (head office's) laid over `local`: each key head office sets
    /// wins, the till's own fills the rest; groups and permissions merge
    /// entry by entry.
    pub fn over(&self, local: &Ruleset) -> Ruleset {
        let mut customer_groups = local.customer_groups.clone();
        customer_groups.extend(self.customer_groups.clone());
        let mut permissions = local.permissions.clone();
        permissions.extend(self.permissions.clone());
        Ruleset {
            max_order_amount: self.max_order_amount.or(local.max_order_amount),
            anomaly_factor: self.anomaly_factor.or(local.anomaly_factor),
            anomaly_min_sales: self.anomaly_min_sales.or(local.anomaly_min_sales),
            anomaly_days: self.anomaly_days.or(local.anomaly_days),
            cash_rounding: self.cash_rounding.or(local.cash_rounding),
            discount_threshold_percent: self
                .discount_threshold_percent
                .or(local.discount_threshold_percent),
            label_patterns: self.label_patterns.clone().or(local.label_patterns.clone()),
            drawer_left_open_seconds: self
                .drawer_left_open_seconds
                .or(local.drawer_left_open_seconds),
            customer_groups,
            permissions,
            meal_voucher_cap: self.meal_voucher_cap.or(local.meal_voucher_cap),
            tenders: merge_tenders(&local.tenders, &self.tenders),
        }
    }

    /// The sale rules' settings: `base` with what this ruleset sets.
    /// Call on a validated ruleset (an invalid permission row is ignored).
    pub fn basket_config(&self, base: BasketConfig) -> BasketConfig {
        let mut c = base;
        if let Some(m) = self.max_order_amount {
            c.max_order_amount = Some(m);
        }
        if let Some(k) = self.anomaly_factor {
            c.anomaly_factor = Some(k);
        }
        if let Some(r) = self.cash_rounding {
            c.cash_rounding_step = Some(r);
        }
        if let Some(p) = self.discount_threshold_percent {
            c.discount_approval_threshold_percent = p;
        }
        for (g, r) in &self.customer_groups {
            if let Some(m) = r.max_order_amount {
                c.max_order_amount_by_group.insert(g.clone(), m);
            }
        }
        c.permissions = Permissions::from_names(&self.permissions).unwrap_or_default();
        if let Some(m) = self.meal_voucher_cap {
            c.meal_voucher_cap = m;
        }
        c.tenders = self.tenders.clone();
        c
    }

    /// The label patterns set, parsed (None: not set, or one does not parse:
    /// call on a validated ruleset).
    pub fn patterns(&self) -> Option<Vec<EmbeddedPattern>> {
        self.label_patterns
            .as_ref()?
            .iter()
            .map(|p| EmbeddedPattern::parse(p).ok())
            .collect()
    }

    /// Seconds before an open drawer is flagged.
    pub fn drawer_left_open_s(&self) -> u64 {
        self.drawer_left_open_seconds
            .unwrap_or(DEFAULT_DRAWER_LEFT_OPEN_S)
    }

    /// Business days the rolling average covers.
    pub fn anomaly_days(&self) -> u32 {
        self.anomaly_days.unwrap_or(DEFAULT_ANOMALY_DAYS)
    }

    /// Sales needed in the window before the anomaly check applies.
    pub fn anomaly_min_sales(&self) -> u64 {
        self.anomaly_min_sales.unwrap_or(DEFAULT_ANOMALY_MIN_SALES)
    }
}

/// The till's tenders with head office's laid over them: an entry of
/// head office's replaces the till's of the same code, the others follow.
fn merge_tenders(
    local: &[crate::tenders::ShopTender],
    ho: &[crate::tenders::ShopTender],
) -> Vec<crate::tenders::ShopTender> {
    let mut out: Vec<_> = local
        .iter()
        .map(|t| ho.iter().find(|h| h.code == t.code).unwrap_or(t).clone())
        .collect();
    out.extend(
        ho.iter()
            .filter(|h| !local.iter().any(|t| t.code == h.code))
            .cloned(),
    );
    out
}

/// The rolling average basket: sales and their sum over the window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SalesHistory {
    /// Sale records in the window (the day totals' `records`: refunds and
    /// cancellations count too, which leans the average low: the check
    /// then errs toward asking).
    pub count: u64,
    /// Sum of the positive records (`sales`).
    pub total: Money,
}

impl SalesHistory {
    /// The average basket, if there are at least `min_sales` sales.
    pub fn average(&self, min_sales: u64) -> Option<Money> {
        if self.count == 0 || self.count < min_sales {
            return None;
        }
        Some(crate::money::round_to(
            self.total / Decimal::from(self.count),
            2,
        ))
    }

    /// One more sale of `total` (a refund's negative total is not a basket).
    pub fn add(&mut self, total: Money) {
        self.count += 1;
        if total > Decimal::ZERO {
            self.total += total;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_name_the_key_and_its_range() {
        let r = Ruleset {
            cash_rounding: Some(Decimal::new(3, 0)),
            ..Ruleset::default()
        };
        let e = r.validate().unwrap_err().to_string();
        assert_eq!(
            e,
            "[rules] cash_rounding: 3 is outside 0.01 to 1 (at most 2 decimals)"
        );
        let r = Ruleset {
            drawer_left_open_seconds: Some(1),
            ..Ruleset::default()
        };
        assert!(r
            .validate()
            .unwrap_err()
            .to_string()
            .contains("drawer_left_open_seconds"));
        let r = Ruleset {
            label_patterns: Some(vec!["23.....{WWWW".into()]),
            ..Ruleset::default()
        };
        assert!(r.validate().unwrap_err().key == "label_patterns");
        let r = Ruleset {
            permissions: [("refund".to_string(), "boss".to_string())].into(),
            ..Ruleset::default()
        };
        assert_eq!(r.validate().unwrap_err().key, "permissions");
        assert!(Ruleset::default().validate().is_ok());
    }

    #[test]
    fn head_office_wins_key_by_key() {
        let local = Ruleset {
            max_order_amount: Some(Decimal::from(100)),
            cash_rounding: Some(Decimal::new(5, 2)),
            permissions: [("refund".to_string(), "manager".to_string())].into(),
            ..Ruleset::default()
        };
        let ho = Ruleset {
            max_order_amount: Some(Decimal::from(300)),
            permissions: [("no_sale_drawer".to_string(), "cashier".to_string())].into(),
            ..Ruleset::default()
        };
        let r = ho.over(&local);
        assert_eq!(r.max_order_amount, Some(Decimal::from(300)));
        assert_eq!(r.cash_rounding, Some(Decimal::new(5, 2)));
        assert_eq!(r.permissions.len(), 2);
    }

    #[test]
    fn average_needs_enough_sales() {
        let h = SalesHistory {
            count: 10,
            total: Decimal::from(200),
        };
        assert_eq!(h.average(10), Some(Decimal::new(2000, 2)));
        assert_eq!(h.average(11), None);
    }
}
