//! Unit tests of the basket rules.

use super::*;
use crate::auth::tests::user;
use crate::auth::{approve, Role};
use crate::barcode::{with_check_digit, EmbeddedPattern};
use crate::catalog::{Catalog, Item, PurchaseRules};
use crate::records::CardOutcome;
use rust_decimal_macros::dec;

fn rate(p: Decimal) -> VatRate {
    VatRate::percent(p).unwrap()
}

fn item(id: &str, code: &str, price: Money, vat: Decimal, unit: Unit) -> Item {
    Item {
        id: id.into(),
        barcodes: if code.is_empty() {
            vec![]
        } else {
            vec![code.into()]
        },
        name: format!("Article {id}"),
        price,
        vat_rate: rate(vat),
        unit,
        stock_tracked: true,
        meal_voucher: false,
        rules: PurchaseRules::default(),
    }
}

pub(crate) fn catalog() -> Catalog {
    let mut limited = item("WATER", "4006381333931", dec!(0.50), dec!(5.5), Unit::Piece);
    limited.rules = PurchaseRules {
        min_qty: Some(dec!(2)),
        max_qty: Some(dec!(6)),
    };
    Catalog::new(
        vec![
            item("NUT", "3017620422003", dec!(3.99), dec!(5.5), Unit::Piece),
            item("BOOK", "96385074", dec!(12.00), dec!(5.5), Unit::Piece),
            item("TOOL", "036000291452", dec!(24.90), dec!(20), Unit::Piece),
            item("APPLE", "", dec!(2.99), dec!(5.5), Unit::Kg),
            item("11111", "", dec!(19.90), dec!(5.5), Unit::Kg),
            limited,
        ],
        vec![
            EmbeddedPattern::parse("20.....{PPPPP}").unwrap(),
            EmbeddedPattern::parse("02xxxxx{WWWWW}").unwrap(),
        ],
    )
    .unwrap()
}

pub(crate) fn cashier_basket() -> Basket {
    Basket::new(BasketConfig::default(), &user("c1", Role::Cashier))
}

pub(crate) fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

pub(crate) fn card(amount: Money, approved: bool) -> TenderRecord {
    TenderRecord {
        kind: TenderKind::Card,
        amount,
        reference: None,
        card: Some(CardOutcome {
            approved,
            masked_pan: Some("************1234".into()),
            auth_code: Some("A1B2C3".into()),
            scheme: Some("CB".into()),
            read_mode: Some("contactless".into()),
            terminal_reference: None,
        }),
    }
}

fn approval_for(b: &mut Basket, err: SaleError) {
    let SaleError::ApprovalRequired(req) = err else {
        panic!("expected ApprovalRequired, got {err:?}")
    };
    let rec = approve(
        &req,
        &user("s1", Role::Supervisor),
        &user("c1", Role::Cashier),
    )
    .unwrap();
    b.add_approval(rec);
}

#[test]
fn simple_cash_sale_with_change() {
    let c = catalog();
    let mut b = cashier_basket();
    b.add_code(&c, "3017620422003", None).unwrap();
    b.add_code(&c, "TOOL", Some(dec!(2))).unwrap();
    assert_eq!(b.totals().total, dec!(53.79));
    let s = b.pay_cash(dec!(60)).unwrap();
    assert_eq!(s.change, dec!(6.21));
    let r = b.complete("T01-000001", day(), "c1").unwrap();
    r.check().unwrap();
    assert_eq!(r.vat.len(), 2);
    assert_eq!(r.change, dec!(6.21));
    assert_eq!(r.lines[1].gross, dec!(49.80));
}

#[test]
fn embedded_labels_make_weighed_and_priced_lines() {
    let c = catalog();
    let mut b = cashier_basket();
    let n = b
        .add_code(&c, &with_check_digit("021111101250").unwrap(), None)
        .unwrap();
    let l = &b.lines()[0];
    assert_eq!((l.line_no, l.unit, l.quantity), (n, Unit::Kg, dec!(1.250)));
    assert_eq!(b.totals().total, dec!(24.88)); // 1.250 x 19.90 = 24.875
    assert_eq!(b.set_quantity(n, dec!(2)), Ok(()));
    assert_eq!(
        b.add_code(&c, "APPLE", None),
        Err(SaleError::WeightRequired("APPLE".into()))
    );
    b.add_code(&c, "APPLE", Some(dec!(0.5))).unwrap();
    assert_eq!(
        b.add_code(&c, "APPLE", Some(dec!(0.0005))),
        Err(SaleError::InvalidQuantity(dec!(0.0005)))
    );
}

#[test]
fn quantities_are_validated() {
    let c = catalog();
    let mut b = cashier_basket();
    for q in [dec!(0), dec!(-1), dec!(1.5), dec!(100000)] {
        assert_eq!(
            b.add_code(&c, "NUT", Some(q)),
            Err(SaleError::InvalidQuantity(q))
        );
    }
    assert!(b.lines().is_empty());
    assert!(matches!(
        b.add_code(&c, "nope", None),
        Err(SaleError::Lookup(_))
    ));
}

#[test]
fn basket_discount_spreads_to_the_cent() {
    let c = catalog();
    let mut b = cashier_basket();
    for code in ["NUT", "NUT", "TOOL"] {
        b.add_code(&c, code, None).unwrap();
    }
    b.set_basket_discount(Some(Discount::Amount(dec!(1.00))))
        .unwrap();
    let t = b.totals();
    assert_eq!(t.basket_discount, dec!(1.00));
    let shares: Vec<Money> = t.lines.iter().map(|l| l.basket_discount).collect();
    assert_eq!(shares.iter().sum::<Money>(), dec!(1.00));
    assert_eq!(t.total, dec!(31.88));
    assert_eq!(t.lines.iter().map(|l| l.total).sum::<Money>(), t.total);
}

#[test]
fn discount_over_threshold_needs_approval_bound_to_detail() {
    let c = catalog();
    let mut b = cashier_basket();
    let n = b.add_code(&c, "TOOL", None).unwrap();
    b.set_line_discount(n, Some(Discount::Percent(dec!(10))))
        .unwrap();
    let err = b
        .set_line_discount(n, Some(Discount::Percent(dec!(30))))
        .unwrap_err();
    // Refused: nothing changed.
    assert_eq!(b.lines()[0].discount, Some(Discount::Percent(dec!(10))));
    approval_for(&mut b, err);
    b.set_line_discount(n, Some(Discount::Percent(dec!(30))))
        .unwrap();
    // The approval was for 30 %, not for 50 %.
    assert!(matches!(
        b.set_line_discount(n, Some(Discount::Percent(dec!(50)))),
        Err(SaleError::ApprovalRequired(_))
    ));
    assert!(matches!(
        b.set_line_discount(n, Some(Discount::Percent(dec!(101)))),
        Err(SaleError::InvalidDiscount(_))
    ));
    b.pay_cash(dec!(20)).unwrap();
    let r = b.complete("T01-2", day(), "c1").unwrap();
    assert_eq!(r.approvals.len(), 1);
    assert_eq!(r.approvals[0].action, "discount_over_threshold");
    // Basket discounts over the threshold too.
    let mut b = cashier_basket();
    b.add_code(&c, "TOOL", None).unwrap();
    assert!(matches!(
        b.set_basket_discount(Some(Discount::Amount(dec!(10)))),
        Err(SaleError::ApprovalRequired(_))
    ));
}

#[test]
fn supervisor_needs_no_approval() {
    let c = catalog();
    let mut b = Basket::new(BasketConfig::default(), &user("s1", Role::Supervisor));
    let n = b.add_code(&c, "TOOL", None).unwrap();
    b.override_price(n, dec!(9.99)).unwrap();
    b.set_line_discount(n, Some(Discount::Percent(dec!(50))))
        .unwrap();
    let t = b.totals();
    assert_eq!(t.lines[0].overridden_from, Some(dec!(24.90)));
    assert_eq!(t.total, dec!(4.99)); // 9.99 - 5.00 (4.995 rounds up)
}

#[test]
fn price_override_needs_approval() {
    let c = catalog();
    let mut b = cashier_basket();
    let n = b.add_code(&c, "TOOL", None).unwrap();
    let err = b.override_price(n, dec!(20)).unwrap_err();
    let SaleError::ApprovalRequired(req) = &err else {
        panic!()
    };
    assert_eq!(req.action, Action::PriceOverride);
    assert_eq!(req.min_role, Role::Supervisor);
    assert_eq!(req.detail, "line 1 TOOL: price 24,90 -> 20,00");
    approval_for(&mut b, err);
    b.override_price(n, dec!(20)).unwrap();
    assert_eq!(b.totals().total, dec!(20.00));
}

#[test]
fn purchase_rules_ask_for_approval() {
    let c = catalog();
    let mut b = cashier_basket();
    let n = b.add_code(&c, "WATER", Some(dec!(6))).unwrap();
    let err = b.set_quantity(n, dec!(7)).unwrap_err();
    assert!(
        matches!(&err, SaleError::ApprovalRequired(r) if r.action == Action::ExceedPurchaseRule)
    );
    assert_eq!(b.lines()[0].quantity, dec!(6));
    b.set_quantity(n, dec!(1)).unwrap();
    // The minimum is checked at payment time: the cashier may still add more.
    let err = b.pay_cash(dec!(5)).unwrap_err();
    let SaleError::ApprovalRequired(req) = &err else {
        panic!()
    };
    assert_eq!(req.detail, "item WATER: quantity 1 below minimum 2");
    approval_for(&mut b, err);
    b.pay_cash(dec!(5)).unwrap();
    // Maximum amount per order.
    let mut b = cashier_basket();
    b.config.max_order_amount = Some(dec!(20));
    b.add_code(&c, "TOOL", None).unwrap();
    assert!(matches!(
        b.complete("x", day(), "c1"),
        Err(SaleError::ApprovalRequired(r)) if r.action == Action::ExceedPurchaseRule
    ));
}

#[test]
fn anomaly_needs_approval_and_is_flagged() {
    let c = catalog();
    let mut b = cashier_basket();
    b.rolling_average = Some(dec!(10));
    b.add_code(&c, "TOOL", Some(dec!(3))).unwrap();
    let err = b.pay_cash(dec!(100)).unwrap_err();
    assert!(matches!(&err, SaleError::ApprovalRequired(r) if r.action == Action::AnomalyBasket));
    approval_for(&mut b, err);
    b.pay_cash(dec!(100)).unwrap();
    let r = b.complete("T01-3", day(), "c1").unwrap();
    assert_eq!(r.flags, vec![FLAG_ABOVE_AVERAGE.to_string()]);
}

#[test]
fn change_only_from_cash_and_no_overpay() {
    let c = catalog();
    let mut b = cashier_basket();
    b.add_code(&c, "TOOL", None).unwrap();
    assert_eq!(
        b.pay(card(dec!(30), true)),
        Err(SaleError::Overpay {
            kind: TenderKind::Card,
            amount: dec!(30),
            remaining: dec!(24.90)
        })
    );
    assert_eq!(b.pay(card(dec!(10), false)), Err(SaleError::CardDeclined));
    b.pay(card(dec!(10), true)).unwrap();
    assert!(matches!(
        b.complete("x", day(), "c1"),
        Err(SaleError::NotFullyPaid { .. })
    ));
    let s = b.pay_cash(dec!(20)).unwrap();
    assert_eq!(s.change, dec!(5.10));
    // Fully paid: no more tenders.
    assert_eq!(b.pay_cash(dec!(1)), Err(SaleError::AlreadyPaid));
    assert!(matches!(
        b.pay(card(dec!(1), true)),
        Err(SaleError::AlreadyPaid)
    ));
    let r = b.complete("T01-4", day(), "c1").unwrap();
    assert_eq!(r.change, dec!(5.10));
    // Cash first, then a card for more than what remains: refused.
    let mut b = cashier_basket();
    b.add_code(&c, "TOOL", None).unwrap();
    b.pay_cash(dec!(20)).unwrap();
    assert!(matches!(
        b.pay(card(dec!(5), true)),
        Err(SaleError::Overpay { .. })
    ));
    b.pay(card(dec!(4.90), true)).unwrap();
    assert_eq!(b.payment_status().remaining, dec!(0));
    assert_eq!(b.pay_cash(dec!(0)), Err(SaleError::InvalidAmount(dec!(0))));
}

#[test]
fn customer_account_within_credit() {
    let c = catalog();
    let mut b = cashier_basket();
    b.add_code(&c, "TOOL", Some(dec!(4))).unwrap(); // 99.60
    assert_eq!(
        b.pay_on_account(dec!(99.60), "CUST-9", dec!(50)),
        Err(SaleError::CreditLimitExceeded {
            amount: dec!(99.60),
            available: dec!(50)
        })
    );
    b.pay_on_account(dec!(50), "CUST-9", dec!(50)).unwrap();
    assert!(matches!(
        b.pay_on_account(dec!(1), "CUST-9", dec!(50)),
        Err(SaleError::CreditLimitExceeded { .. })
    ));
    assert_eq!(
        b.pay_on_account(dec!(1), "OTHER", dec!(500)),
        Err(SaleError::CustomerMismatch("CUST-9".into()))
    );
    assert_eq!(
        b.pay(TenderRecord {
            kind: TenderKind::CustomerAccount,
            amount: dec!(1),
            reference: None,
            card: None
        }),
        Err(SaleError::CreditCheckRequired)
    );
    b.pay(TenderRecord {
        kind: TenderKind::Cheque,
        amount: dec!(49.60),
        reference: Some("0001234".into()),
        card: None,
    })
    .unwrap();
    let r = b.complete("T01-5", day(), "c1").unwrap();
    assert_eq!(r.customer.as_deref(), Some("CUST-9"));
    assert_eq!(r.tenders.len(), 2);
}

#[test]
fn cash_rounding_applies_to_cash_only_sales() {
    let c = catalog();
    let cfg = BasketConfig {
        cash_rounding_step: Some(dec!(0.05)),
        ..BasketConfig::default()
    };
    let mut b = Basket::new(cfg.clone(), &user("c1", Role::Cashier));
    b.add_code(&c, "NUT", None).unwrap(); // 3.99
    assert_eq!(b.due_in_cash(), dec!(4.00));
    b.pay_cash(dec!(5)).unwrap();
    let r = b.complete("T01-6", day(), "c1").unwrap();
    assert_eq!(
        (r.total, r.rounding, r.change),
        (dec!(3.99), dec!(0.01), dec!(1.00))
    );
    // With a card in the mix the exact amount is due.
    let mut b = Basket::new(cfg, &user("c1", Role::Cashier));
    b.add_code(&c, "NUT", None).unwrap();
    b.pay(card(dec!(2), true)).unwrap();
    b.pay_cash(dec!(2)).unwrap();
    let r = b.complete("T01-7", day(), "c1").unwrap();
    assert_eq!((r.rounding, r.change), (dec!(0), dec!(0.01)));
}

#[test]
fn void_before_and_after_total() {
    let c = catalog();
    let mut b = cashier_basket();
    let a = b.add_code(&c, "TOOL", None).unwrap();
    let n = b.add_code(&c, "NUT", None).unwrap();
    b.void_line(a).unwrap();
    assert_eq!(b.void_line(a), Err(SaleError::LineVoided(a)));
    assert_eq!(b.void_line(99), Err(SaleError::NoSuchLine(99)));
    assert_eq!(b.totals().total, dec!(3.99));
    let m = b.add_code(&c, "BOOK", None).unwrap();
    b.pay(card(dec!(10), true)).unwrap();
    assert_eq!(b.add_code(&c, "NUT", None), Err(SaleError::PaymentStarted));
    let err = b.void_line(n).unwrap_err();
    assert!(matches!(&err, SaleError::ApprovalRequired(r) if r.action == Action::VoidAfterTotal));
    approval_for(&mut b, err);
    b.void_line(n).unwrap();
    // Voiding the book would leave the card above the total.
    let err = b.void_line(m).unwrap_err();
    approval_for(&mut b, err);
    assert_eq!(b.void_line(m), Err(SaleError::NonCashAboveTotal));
    b.pay_cash(dec!(2)).unwrap();
    let r = b.complete("T01-8", day(), "c1").unwrap();
    assert_eq!(r.lines.len(), 1);
    assert_eq!(r.lines[0].line_no, 1);
    assert!(b.check_abandon().is_err());
}

#[test]
fn basket_survives_a_json_round_trip() {
    let c = catalog();
    let mut b = cashier_basket();
    b.add_code(&c, "TOOL", None).unwrap();
    b.set_basket_discount(Some(Discount::Percent(dec!(5))))
        .unwrap();
    b.pay(card(dec!(10), true)).unwrap();
    let json = serde_json::to_string(&b).unwrap();
    let back: Basket = serde_json::from_str(&json).unwrap();
    assert_eq!(back, b);
    assert_eq!(back.totals(), b.totals());
}

#[test]
fn empty_basket_cannot_complete() {
    let b = cashier_basket();
    assert_eq!(b.complete("x", day(), "c1"), Err(SaleError::EmptyBasket));
    let mut b = cashier_basket();
    assert_eq!(b.pay_cash(dec!(1)), Err(SaleError::EmptyBasket));
}

#[test]
fn technician_cannot_sell() {
    let c = catalog();
    let mut b = Basket::new(BasketConfig::default(), &user("t1", Role::Technician));
    assert_eq!(
        b.add_code(&c, "TOOL", None),
        Err(SaleError::Forbidden {
            role: Role::Technician,
            action: Action::Sell
        })
    );
}

#[test]
fn hard_ceilings_hold_whatever_the_config() {
    assert_eq!(HARD_MAX_PRICE, Decimal::from(1_000_000_000_000u64));
    assert_eq!(HARD_MAX_QUANTITY, Decimal::from(1_000_000_000u64));
    let c = catalog();
    let mut b = cashier_basket();
    b.config.max_quantity = Decimal::MAX;
    b.config.max_unit_price = Decimal::MAX;
    assert!(matches!(
        b.add_code(&c, "NUT", Some(Decimal::MAX)),
        Err(SaleError::InvalidQuantity(_))
    ));
}

#[test]
fn customer_group_order_limit_replaces_the_shops() {
    let c = catalog();
    let mut b = cashier_basket();
    b.config.max_order_amount = Some(dec!(20));
    b.config
        .max_order_amount_by_group
        .insert("wholesale".into(), dec!(1000));
    b.add_code(&c, "TOOL", Some(dec!(2))).unwrap();
    assert!(matches!(
        b.pay_cash(dec!(50)),
        Err(SaleError::ApprovalRequired(_))
    ));
    b.customer_group = Some("wholesale".into());
    assert_eq!(b.max_order_amount(), Some(dec!(1000)));
    b.pay_cash(dec!(50)).unwrap();
    b.customer_group = Some("retail".into());
    assert_eq!(b.max_order_amount(), Some(dec!(20)));
}

#[test]
fn restored_baskets_are_validated() {
    let c = catalog();
    let mut b = cashier_basket();
    b.add_code(&c, "TOOL", None).unwrap();
    assert_eq!(b.validate(), Ok(()));
    let json = serde_json::to_string(&b).unwrap().replace(
        "\"quantity\":\"1\"",
        "\"quantity\":\"79228162514264337593543950335\"",
    );
    let tampered: Basket = serde_json::from_str(&json).unwrap();
    assert!(matches!(
        tampered.validate(),
        Err(SaleError::Inconsistent(_))
    ));
}

#[test]
fn amount_discounts_cannot_exceed_the_amount() {
    let c = catalog();
    let mut b = Basket::new(BasketConfig::default(), &user("s1", Role::Supervisor));
    let n = b.add_code(&c, "NUT", None).unwrap();
    assert!(matches!(
        b.set_line_discount(n, Some(Discount::Amount(dec!(4)))),
        Err(SaleError::InvalidDiscount(_))
    ));
    b.set_line_discount(n, Some(Discount::Amount(dec!(3.99))))
        .unwrap();
    assert!(matches!(
        b.set_basket_discount(Some(Discount::Amount(dec!(0.01)))),
        Err(SaleError::InvalidDiscount(_))
    ));
    assert_eq!(b.totals().total, dec!(0.00));
}

#[test]
fn account_rules_refuse_or_ask_a_manager() {
    use crate::customer::{AccountStatus, CustomerKind, TillCustomer};
    let c = catalog();
    let customer = |status| TillCustomer {
        number: "C1".into(),
        name: "Dupré".into(),
        kind: CustomerKind::Business,
        group: Some("pro".into()),
        status,
        available_credit: dec!(50),
        loyalty_card: None,
    };
    let mut b = cashier_basket();
    b.add_code(&c, "TOOL", Some(dec!(4))).unwrap(); // 99.60
    b.attach_customer(&customer(AccountStatus::Open)).unwrap();
    assert_eq!(b.customer_group.as_deref(), Some("pro"));
    assert_eq!(
        b.pay_on_customer_account(dec!(1), &customer(AccountStatus::InCollection), dec!(50)),
        Err(SaleError::AccountInCollection("C1".into()))
    );
    // Within the credit: taken; past what is left of it: a manager.
    b.pay_on_customer_account(dec!(30), &customer(AccountStatus::Open), dec!(50))
        .unwrap();
    let err = b
        .pay_on_customer_account(dec!(30), &customer(AccountStatus::Open), dec!(50))
        .unwrap_err();
    let SaleError::ApprovalRequired(req) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(req.action, Action::AccountOverride);
    assert_eq!(req.min_role, Role::Manager);
    assert!(approve(
        req,
        &user("s1", Role::Supervisor),
        &user("c1", Role::Cashier)
    )
    .is_err());
    let rec = approve(req, &user("m1", Role::Manager), &user("c1", Role::Cashier)).unwrap();
    b.add_approval(rec);
    b.pay_on_customer_account(dec!(30), &customer(AccountStatus::Open), dec!(50))
        .unwrap();
    // On hold: a manager too, whatever the credit.
    let mut h = cashier_basket();
    h.add_code(&c, "TOOL", Some(dec!(1))).unwrap();
    assert!(matches!(
        h.pay_on_customer_account(dec!(1), &customer(AccountStatus::OnHold), dec!(50)),
        Err(SaleError::ApprovalRequired(r)) if r.action == Action::AccountOverride
    ));
    let r = {
        b.pay_cash(dec!(39.60)).unwrap();
        b.complete("T01-6", day(), "c1").unwrap()
    };
    assert_eq!(r.customer.as_deref(), Some("C1"));
    assert_eq!(
        r.tenders
            .iter()
            .filter(|t| t.kind == TenderKind::CustomerAccount)
            .map(|t| t.amount)
            .sum::<Money>(),
        dec!(60)
    );
}
