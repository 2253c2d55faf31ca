//! Words for what the till records, shared by the counter's screens and head
//! office's pages: the label of an action by its stable code
//! (`till_core::auth::Action::as_str`), and an approval's detail, which the
//! rules write in stable English (the approval is bound to that exact text in
//! the journal), read back into a sentence. Text only: this crate knows no
//! till-core type.

use rust_decimal::Decimal;

use crate::till::Till;
use crate::{Fmt, Template};

/// The label of an action, by the code the journal records for it.
pub fn action_label(code: &str) -> Option<Till> {
    Some(match code {
        "sell" => Till::ActionSell,
        "refund" => Till::ActionRefund,
        "refund_without_receipt" => Till::ActionRefundWithoutReceipt,
        "void_after_total" => Till::ActionVoidAfterTotal,
        "cancel_sale" => Till::ActionCancelSale,
        "price_override" => Till::ActionPriceOverride,
        "discount_over_threshold" => Till::ActionDiscountOverThreshold,
        "no_sale_drawer" => Till::ActionNoSaleDrawer,
        "cash_in" => Till::ActionCashIn,
        "cash_out" => Till::ActionCashOut,
        "close_day" => Till::ActionCloseDay,
        "exceed_purchase_rule" => Till::ActionExceedPurchaseRule,
        "anomaly_basket" => Till::ActionAnomalyBasket,
        "reprint_receipt" => Till::ActionReprintReceipt,
        "abandon_basket" => Till::ActionAbandonBasket,
        "config_change" => Till::ActionConfigChange,
        "device_diagnostics" => Till::ActionDeviceDiagnostics,
        "manage_users" => Till::ActionManageUsers,
        "account_override" => Till::ActionAccountOverride,
        _ => return None,
    })
}

/// A quantity with as many decimals as it has: `1,5`, `3`.
pub fn qty(fmt: &Fmt, q: Decimal) -> String {
    let q = q.normalize();
    fmt.number(q, q.scale())
}

fn dec(s: &str) -> Option<Decimal> {
    s.trim()
        .trim_end_matches('%')
        .trim()
        .replace(',', ".")
        .parse()
        .ok()
}

/// An approval's detail as a sentence (`None` for a shape not known here:
/// show the action's label instead, never the raw text).
pub fn approval_detail_words(fmt: &Fmt, d: &str) -> Option<String> {
    let l = fmt.lang;
    let money = |s: &str| dec(s).map(|v| fmt.money(v));
    let pct = |s: &str| dec(s).map(|v| fmt.percent(v));
    let q = |s: &str| dec(s).map(|v| qty(fmt, v));
    // "customer C1 account on hold",
    // "customer C1 on account 60,00 above available credit 50,00"
    if let Some(rest) = d.strip_prefix("customer ") {
        if let Some(who) = rest.strip_suffix(" account on hold") {
            return Some(Till::DetailAccountOnHold.fill(l, &[("customer", &who)]));
        }
        let (who, rest) = rest.split_once(" on account ")?;
        let (a, c) = rest.split_once(" above available credit ")?;
        return Some(Till::DetailAccountOverLimit.fill(
            l,
            &[
                ("customer", &who),
                ("amount", &money(a)?),
                ("available", &money(c)?),
            ],
        ));
    }
    // "basket discount 30.09 % above 20 %"
    if let Some(rest) = d.strip_prefix("basket discount ") {
        let (p, t) = rest.split_once(" above ")?;
        return Some(
            Till::DetailBasketDiscount.fill(l, &[("percent", &pct(p)?), ("threshold", &pct(t)?)]),
        );
    }
    // "order total 250,00 above maximum 200,00"
    if let Some(rest) = d.strip_prefix("order total ") {
        let (t, m) = rest.split_once(" above maximum ")?;
        return Some(
            Till::DetailOrderAboveMax.fill(l, &[("total", &money(t)?), ("limit", &money(m)?)]),
        );
    }
    // "basket 70,00 above 3 x average 20,00"
    if let Some(rest) = d.strip_prefix("basket ") {
        let (t, rest) = rest.split_once(" above ")?;
        let (k, avg) = rest.split_once(" x average ")?;
        return Some(Till::DetailAnomaly.fill(
            l,
            &[
                ("total", &money(t)?),
                ("factor", &q(k)?),
                ("average", &money(avg)?),
            ],
        ));
    }
    // "item 10001: quantity 30 above maximum 24" / "... below minimum ..."
    if let Some(rest) = d.strip_prefix("item ") {
        let (item, rest) = rest.split_once(": quantity ")?;
        let (msg, (n, lim)) = match rest.split_once(" above maximum ") {
            Some(p) => (Till::DetailQtyAboveMax, p),
            None => (Till::DetailQtyBelowMin, rest.split_once(" below minimum ")?),
        };
        return Some(msg.fill(l, &[("item", &item), ("qty", &q(n)?), ("limit", &q(lim)?)]));
    }
    // "line 2 10001: price 3,00 -> 2,00", "line 2 10001: discount 50 % above 20 %",
    // "line 2 10001 3,00 after payment started"
    if let Some(rest) = d.strip_prefix("line ") {
        if let Some(rest) = rest.strip_suffix(" after payment started") {
            let mut w = rest.splitn(3, ' ');
            let (line, item, amount) = (w.next()?, w.next()?, w.next()?);
            return Some(Till::DetailVoidAfterPay.fill(
                l,
                &[
                    ("line", &line),
                    ("item", &item),
                    ("amount", &money(amount)?),
                ],
            ));
        }
        let (head, what) = rest.split_once(": ")?;
        let (line, item) = head.split_once(' ')?;
        if let Some(p) = what.strip_prefix("price ") {
            let (from, to) = p.split_once(" -> ")?;
            return Some(Till::DetailPriceOverride.fill(
                l,
                &[
                    ("line", &line),
                    ("item", &item),
                    ("from", &money(from)?),
                    ("to", &money(to)?),
                ],
            ));
        }
        let (p, t) = what.strip_prefix("discount ")?.split_once(" above ")?;
        return Some(Till::DetailLineDiscount.fill(
            l,
            &[
                ("line", &line),
                ("item", &item),
                ("percent", &pct(p)?),
                ("threshold", &pct(t)?),
            ],
        ));
    }
    // "abandon sale of 12,00 with 5,00 paid"
    if let Some(rest) = d.strip_prefix("abandon sale of ") {
        let (t, p) = rest.strip_suffix(" paid")?.split_once(" with ")?;
        return Some(
            Till::DetailAbandonPaid.fill(l, &[("total", &money(t)?), ("paid", &money(p)?)]),
        );
    }
    if let Some(sale) = d.strip_prefix("cancel sale ") {
        return Some(Till::DetailCancelSale.fill(l, &[("sale", &sale)]));
    }
    if let Some(sale) = d.strip_prefix("refund of sale ") {
        return Some(Till::DetailRefundSale.fill(l, &[("sale", &sale)]));
    }
    if let Some(a) = d.strip_prefix("refund without receipt of ") {
        return Some(Till::DetailRefundNoReceipt.fill(l, &[("amount", &money(a)?)]));
    }
    // "cash_in 50,00: apport"
    for (prefix, msg) in [
        ("cash_in ", Till::DetailCashIn),
        ("cash_out ", Till::DetailCashOut),
    ] {
        if let Some(rest) = d.strip_prefix(prefix) {
            let (a, _) = rest.split_once(':')?;
            return Some(msg.fill(l, &[("amount", &money(a)?)]));
        }
    }
    if d.starts_with("no sale") {
        return Some(Till::DetailNoSale.text(l));
    }
    if let Some(day) = d.strip_prefix("close day ") {
        let day: chrono::NaiveDate = day.trim().parse().ok()?;
        return Some(Till::DetailCloseDay.fill(l, &[("day", &fmt.date(day))]));
    }
    None
}
