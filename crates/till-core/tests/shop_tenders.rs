//! Property tests of the tenders a shop defines, titres-restaurant first:
//! whatever the basket (eligible and other lines, discounts) and whatever
//! the cashier types, in whatever order, meal vouchers never pay more than
//! the eligible lines nor more than the cap, no change is ever given on
//! them, and every sale completed adds up (`SaleRecord::check`).

use proptest::prelude::*;
use rust_decimal::Decimal;
use till_core::auth::{Role, User};
use till_core::basket::{Basket, BasketConfig, Discount};
use till_core::catalog::{Catalog, Item, PurchaseRules};
use till_core::records::{TenderCode, TenderKind, TenderRecord, Unit};
use till_core::tenders::{Excess, PaysFor, ShopTender};
use till_core::vat::VatRate;
use till_core::SaleError;

fn paper() -> ShopTender {
    ShopTender {
        code: TenderCode::new("titre_restaurant").unwrap(),
        label: "Titres-restaurant".into(),
        short_label: Some("TR papier".into()),
        gives_change: false,
        opens_drawer: true,
        max_per_sale: None,
        pays_for: PaysFor::MealVoucher,
        excess: Excess::Lost,
    }
}

fn card() -> ShopTender {
    ShopTender {
        code: TenderCode::new("titre_restaurant_carte").unwrap(),
        label: "Titres-restaurant carte".into(),
        opens_drawer: false,
        excess: Excess::Refused,
        ..paper()
    }
}

fn config(cap_cents: i64) -> BasketConfig {
    BasketConfig {
        tenders: vec![paper(), card()],
        meal_voucher_cap: Decimal::new(cap_cents, 2),
        ..BasketConfig::default()
    }
}

fn supervisor() -> User {
    User {
        id: "s1".into(),
        name: "s1".into(),
        role: Role::Supervisor,
        pin_hash: String::new(),
    }
}

/// (price in cents, eligible, quantity, line discount in percent).
type LineSpec = (i64, bool, i64, Option<i64>);

fn basket(specs: &[LineSpec], cap_cents: i64) -> Basket {
    let items: Vec<Item> = specs
        .iter()
        .enumerate()
        .map(|(i, (cents, eligible, _, _))| Item {
            id: format!("I{i}"),
            barcodes: vec![],
            name: format!("Article {i}"),
            price: Decimal::new(*cents, 2),
            vat_rate: VatRate::percent(Decimal::new(55, 1)).unwrap(),
            unit: Unit::Piece,
            stock_tracked: false,
            meal_voucher: *eligible,
            rules: PurchaseRules::default(),
        })
        .collect();
    let catalog = Catalog::new(items, vec![]).unwrap();
    let mut b = Basket::new(config(cap_cents), &supervisor());
    for (i, (_, _, qty, discount)) in specs.iter().enumerate() {
        let line = b
            .add_code(&catalog, &format!("I{i}"), Some(Decimal::from(*qty)))
            .unwrap();
        if let Some(p) = discount {
            b.set_line_discount(line, Some(Discount::Percent(Decimal::from(*p))))
                .unwrap();
        }
    }
    b
}

fn tender(kind: TenderKind, cents: i64) -> TenderRecord {
    TenderRecord {
        kind,
        amount: Decimal::new(cents, 2),
        reference: None,
        card: None,
    }
}

/// A payment the cashier may try: 0 paper, 1 paper keeping the excess,
/// 2 card titre, 3 cash, 4 bank card; amount in cents.
fn payment() -> impl Strategy<Value = (u8, i64)> {
    (0u8..5, 1i64..6_000)
}

fn meal_paid(b: &Basket) -> Decimal {
    b.tenders()
        .iter()
        .filter(|t| matches!(t.kind, TenderKind::Shop(_)))
        .map(|t| t.amount)
        .sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn meal_vouchers_pay_only_eligible_lines_within_the_cap_and_never_give_change(
        specs in prop::collection::vec(
            (1i64..3_000, any::<bool>(), 1i64..4, prop::option::of(0i64..50)),
            1..6,
        ),
        cap in 100i64..5_000,
        payments in prop::collection::vec(payment(), 1..8),
    ) {
        let mut b = basket(&specs, cap);
        let (p, c) = (paper().kind(), card().kind());
        let mut lost = Decimal::ZERO;
        for (which, cents) in payments {
            let before = b.clone();
            let r = match which {
                0 => b.pay(tender(p, cents)).map(|_| Decimal::ZERO),
                1 => b.pay_keeping_excess(tender(p, cents)).map(|(_, l)| l),
                2 => b.pay(tender(c, cents)).map(|_| Decimal::ZERO),
                3 => b.pay_cash(Decimal::new(cents, 2)).map(|_| Decimal::ZERO),
                _ => b.pay(tender(TenderKind::Card, cents)).map(|_| Decimal::ZERO),
            };
            match r {
                Ok(l) => lost += l,
                // A refusal changes nothing.
                Err(e) => {
                    prop_assert_eq!(&b, &before, "refused with {:?} but changed", e);
                    if let SaleError::AboveRoom { room, amount, .. } = e {
                        prop_assert!(room < amount);
                    }
                }
            }
            let eligible = b.eligible_total(PaysFor::MealVoucher);
            prop_assert!(meal_paid(&b) <= eligible, "{} paid on {} eligible", meal_paid(&b), eligible);
            prop_assert!(meal_paid(&b) <= Decimal::new(cap, 2));
            prop_assert!(lost >= Decimal::ZERO);
        }
        if b.payment_status().remaining > Decimal::ZERO {
            let rest = b.remaining_in_cash();
            b.pay_cash(rest).unwrap();
        }
        let cash: Decimal = b
            .tenders()
            .iter()
            .filter(|t| t.kind == TenderKind::Cash)
            .map(|t| t.amount)
            .sum();
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let rec = b.complete("T1-000001", day, "s1").unwrap();
        prop_assert!(rec.check().is_ok(), "{:?}", rec.check());
        // Change only ever comes out of the cash handed over.
        prop_assert!(rec.change <= cash, "change {} from {} cash", rec.change, cash);
        if cash.is_zero() {
            prop_assert_eq!(rec.change, Decimal::ZERO);
        }
    }
}

#[test]
fn a_paper_titre_above_the_eligible_lines_is_the_customers_loss_once_confirmed() {
    // 8,00 € of food and 5,00 € of household goods; a 10,00 € titre.
    let mut b = basket(&[(800, true, 1, None), (500, false, 1, None)], 2_500);
    let p = paper().kind();
    match b.pay(tender(p, 1_000)) {
        Err(SaleError::AboveRoom {
            room,
            loss_allowed: true,
            ..
        }) => assert_eq!(room, Decimal::new(800, 2)),
        other => panic!("{other:?}"),
    }
    let (status, lost) = b.pay_keeping_excess(tender(p, 1_000)).unwrap();
    assert_eq!(lost, Decimal::new(200, 2));
    assert_eq!(status.remaining, Decimal::new(500, 2));
    assert_eq!(b.tenders()[0].amount, Decimal::new(800, 2));
    assert_eq!(
        b.tenders()[0].reference.as_deref(),
        Some("face_value=10.00")
    );
    // Nothing eligible is left: the rest is paid otherwise.
    assert_eq!(
        b.pay(tender(p, 100)),
        Err(SaleError::AboveRoom {
            kind: p,
            amount: Decimal::new(100, 2),
            room: Decimal::ZERO,
            limit: till_core::tenders::Limit::Eligible,
            loss_allowed: true,
        })
    );
    b.pay_cash(Decimal::new(500, 2)).unwrap();
    let rec = b
        .complete(
            "T1-1",
            chrono::NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
            "s1",
        )
        .unwrap();
    assert_eq!(rec.change, Decimal::ZERO);
    assert!(rec.check().is_ok());
}

#[test]
fn a_card_titre_is_refused_above_its_room_and_the_cap_is_shared() {
    let mut b = basket(&[(4_000, true, 1, None)], 2_500);
    let (p, c) = (paper().kind(), card().kind());
    b.pay(tender(p, 1_500)).unwrap();
    match b.pay_keeping_excess(tender(c, 1_500)) {
        Err(SaleError::AboveRoom {
            room,
            limit: till_core::tenders::Limit::Cap,
            loss_allowed: false,
            ..
        }) => assert_eq!(room, Decimal::new(1_000, 2)),
        other => panic!("{other:?}"),
    }
    b.pay(tender(c, 1_000)).unwrap();
    assert_eq!(b.payment_status().remaining, Decimal::new(1_500, 2));
}

#[test]
fn a_basket_without_food_takes_no_titre() {
    let mut b = basket(&[(990, false, 1, None)], 2_500);
    assert_eq!(
        b.pay(tender(paper().kind(), 500)),
        Err(SaleError::NothingEligible(paper().kind()))
    );
}

#[test]
fn a_titre_the_rules_do_not_define_is_refused() {
    let mut b = basket(&[(990, true, 1, None)], 2_500);
    let other = TenderKind::Shop(TenderCode::new("cheque_vacances").unwrap());
    assert!(matches!(
        b.pay(tender(other, 500)),
        Err(SaleError::UnknownTender(_))
    ));
}
