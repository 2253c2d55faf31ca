//! Golden rendering of a full receipt.

use super::*;
use crate::auth::tests::user;
use crate::auth::Role;
use crate::barcode::with_check_digit;
use crate::basket::tests::{card, cashier_basket, catalog, day};
use crate::basket::Discount;
use rust_decimal_macros::dec;

fn shop() -> ShopInfo {
    ShopInfo {
        name: "EPICERIE DU COIN".into(),
        address_lines: vec!["12 rue de la Paix".into(), "75002 Paris".into()],
        siret: "12345678900012".into(),
        vat_number: Some("FR12123456789".into()),
        footer_lines: vec!["Merci de votre visite".into()],
    }
}

fn extras(reprint: u32) -> ReceiptExtras {
    ReceiptExtras {
        terminal_id: "T01".into(),
        seq: 1042,
        date_time: day().and_hms_opt(14, 5, 9).unwrap(),
        operator_name: "Alice".into(),
        signature_extract: "9f3a-77c1".into(),
        software_version: "0.1.0".into(),
        reprint_count: reprint,
    }
}

fn sale() -> SaleRecord {
    let c = catalog();
    let mut b = cashier_basket();
    b.add_code(&c, "3017620422003", Some(dec!(3))).unwrap();
    let n = b.add_code(&c, "TOOL", None).unwrap();
    b.add_code(&c, &with_check_digit("021111101250").unwrap(), None)
        .unwrap();
    b.set_line_discount(n, Some(Discount::Percent(dec!(10))))
        .unwrap();
    b.set_basket_discount(Some(Discount::Amount(dec!(2))))
        .unwrap();
    b.pay(card(dec!(30), true)).unwrap();
    b.pay_cash(dec!(50)).unwrap();
    b.complete("T01-000042", day(), "c1").unwrap()
}

/// Reviewed by hand: amounts, VAT table and alignment checked.
const GOLDEN_42: &str = include_str!("golden_42.txt");

#[test]
fn golden_42_columns() {
    let r = Receipt::from_record(&sale(), &shop(), &extras(0), &Currency::eur());
    let text = render_text(&r, 42);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/receipt/golden_42.txt");
        std::fs::write(path, &text).unwrap();
    }
    assert_eq!(text, GOLDEN_42);
}

#[test]
fn every_line_fits_and_training_and_duplicate_marks() {
    let mut s = sale();
    s.training = true;
    let r = Receipt::from_record(&s, &shop(), &extras(2), &Currency::eur());
    for w in [32, 42, 48] {
        let text = render_text(&r, w);
        assert!(text.lines().all(|l| l.chars().count() <= w), "{text}");
        assert_eq!(text.matches(TRAINING_MARK).count(), 2);
        assert!(text.contains("DUPLICATA n° 2"));
    }
    let _ = user("x", Role::Cashier);
}
