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

/// Compares with a golden file; `UPDATE_GOLDEN=1` rewrites it (review the diff!).
fn check_golden(name: &str, text: &str, golden: &str) {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let path = format!("{}/src/receipt/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::write(path, text).unwrap();
        return;
    }
    assert_eq!(text, golden);
}

/// A partial refund of a cash-rounded sale, on 48 columns.
const GOLDEN_REFUND_48: &str = include_str!("golden_refund_48.txt");

#[test]
fn golden_refund_48_columns() {
    use crate::basket::{Basket, BasketConfig};
    use crate::records::SaleRef;
    use crate::refund::{refund_lines, AlreadyRefunded, Reversal};
    let c = catalog();
    let cfg = BasketConfig {
        cash_rounding_step: Some(dec!(0.05)),
        ..BasketConfig::default()
    };
    let mut b = Basket::new(cfg, &user("c1", Role::Cashier));
    b.add_code(&c, "NUT", Some(dec!(2))).unwrap();
    b.add_code(&c, "BOOK", None).unwrap();
    b.pay_cash(dec!(20)).unwrap();
    let o = b.complete("T01-000050", day(), "c1").unwrap();
    let sale = render_text(
        &Receipt::from_record(&o, &shop(), &extras(0), &Currency::eur()),
        48,
    );
    assert!(sale.contains("Arrondi"), "{sale}");
    assert!(sale.contains("A PAYER"), "{sale}");
    let ctx = Reversal::new("T01-000051", day(), &user("s1", Role::Supervisor));
    let original = SaleRef {
        terminal_id: "T01".into(),
        seq: 1050,
        sale_no: o.sale_no.clone(),
    };
    let r = refund_lines(
        &o,
        original,
        &[(1, dec!(1))],
        &ctx,
        &AlreadyRefunded::default(),
    )
    .unwrap();
    let mut ex = extras(0);
    ex.seq = 1051;
    let text = render_text(
        &Receipt::from_record(&r, &shop(), &ex, &Currency::eur()),
        48,
    );
    check_golden("golden_refund_48.txt", &text, GOLDEN_REFUND_48);
}

#[test]
fn golden_42_columns() {
    let r = Receipt::from_record(&sale(), &shop(), &extras(0), &Currency::eur());
    let text = render_text(&r, 42);
    check_golden("golden_42.txt", &text, GOLDEN_42);
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
