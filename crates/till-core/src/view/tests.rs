//! The view is serde's decoding, whichever decoder reads the payload: the
//! scanner takes what the till writes, and on any payload it either agrees
//! with serde or declines.

use super::test_support::{mutate, EDIT_ALPHABET};
use super::*;
use crate::records::{
    ApprovalRecord, CardOutcome, SaleLine, SaleRef, StockLine, TenderRecord, Unit,
};
use crate::vat::{VatLine, VatRate};
use proptest::prelude::*;
use rust_decimal_macros::dec;

fn line(no: u32, item: &str, qty: Decimal, tracked: bool) -> SaleLine {
    SaleLine {
        line_no: no,
        item_id: item.into(),
        barcode: (no % 2 == 1).then(|| "3017620422003".into()),
        name: "Café moulu « Arabica » 250 g".into(),
        unit: if no == 3 { Unit::Kg } else { Unit::Piece },
        quantity: qty,
        unit_price: dec!(3.99),
        overridden_from: (no == 2).then_some(dec!(4.50)),
        vat_rate: VatRate::percent(dec!(5.5)).unwrap_or_else(|e| panic!("{e}")),
        gross: dec!(7.98),
        line_discount: dec!(0.00),
        basket_discount: dec!(0.10),
        total: dec!(7.88),
        stock_tracked: tracked,
    }
}

/// A sale using every field: options set, a card outcome, approvals.
pub(crate) fn sale() -> SaleRecord {
    let rate = |p| VatRate::percent(p).unwrap_or_else(|e| panic!("{e}"));
    SaleRecord {
        kind: SaleKind::Sale,
        sale_no: "T01-000042".into(),
        business_day: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default(),
        operator: "u1".into(),
        customer: Some("C042".into()),
        lines: vec![
            line(1, "NUT400", dec!(2), true),
            line(2, "SAC-01", dec!(1), false),
            line(3, "POM-KG", dec!(1.235), true),
        ],
        basket_discount: dec!(0.30),
        total: dec!(23.64),
        rounding: dec!(0.01),
        vat: vec![
            VatLine {
                rate: rate(dec!(5.5)),
                base: dec!(14.94),
                tax: dec!(0.82),
                total: dec!(15.76),
            },
            VatLine {
                rate: rate(dec!(20)),
                base: dec!(6.57),
                tax: dec!(1.31),
                total: dec!(7.88),
            },
        ],
        tenders: vec![
            TenderRecord {
                kind: TenderKind::Card,
                amount: dec!(10.00),
                reference: Some("T01-000042/1".into()),
                card: Some(CardOutcome {
                    approved: true,
                    masked_pan: Some("************1234".into()),
                    auth_code: Some("A1B2C3".into()),
                    scheme: Some("CB".into()),
                    read_mode: None,
                    terminal_reference: Some("TX0001".into()),
                }),
            },
            TenderRecord {
                kind: TenderKind::Cash,
                amount: dec!(20.00),
                reference: None,
                card: None,
            },
        ],
        change: dec!(6.35),
        reverses: None,
        without_receipt: false,
        approvals: vec![ApprovalRecord {
            action: "line_discount".into(),
            requested_by: "u1".into(),
            approved_by: "m1".into(),
            detail: "remise 30 % au-delà du seuil 20 %".into(),
        }],
        flags: vec!["basket_above_average".into()],
        training: false,
    }
}

pub(crate) fn refund() -> SaleRecord {
    let mut r = sale();
    r.kind = SaleKind::Refund;
    r.lines.truncate(1);
    r.lines[0].quantity = dec!(-2);
    r.total = dec!(-7.88);
    r.change = dec!(0);
    r.customer = None;
    r.approvals.clear();
    r.reverses = Some(SaleRef {
        terminal_id: "T01".into(),
        seq: 4711,
        sale_no: "T01-000041".into(),
    });
    r
}

pub(crate) fn movement() -> StockMovement {
    StockMovement {
        reason: StockReason::InventoryCount,
        reference: Some("INV-2026-11".into()),
        other_shop: None,
        operator: "m1".into(),
        lines: vec![
            StockLine {
                item_id: "NUT400".into(),
                delta: dec!(-3),
                counted: Some(dec!(12)),
            },
            StockLine {
                item_id: "POM-KG".into(),
                delta: dec!(1.250),
                counted: None,
            },
        ],
    }
}

/// Everything a view exposes, decimals as text so that scales count too
/// (stored amounts keep them).
fn sale_fields(v: &SaleView<'_>) -> String {
    let lines: Vec<_> = v
        .lines()
        .map(|l| format!("{}|{}|{}", l.item_id, l.quantity, l.stock_tracked))
        .collect();
    let vat: Vec<_> = v
        .vat()
        .map(|x| format!("{}|{}|{}|{}", x.rate, x.base, x.tax, x.total))
        .collect();
    let tenders: Vec<_> = v.tenders().map(|(k, a)| format!("{k:?}|{a}")).collect();
    format!(
        "{:?} {} {} {} {} {:?} {lines:?} {vat:?} {tenders:?}",
        v.kind, v.business_day, v.total, v.change, v.training, v.reverses
    )
}

fn movement_fields(v: &MovementView<'_>) -> String {
    let lines: Vec<_> = v
        .lines()
        .map(|l| format!("{}|{}|{:?}", l.item_id, l.delta, l.counted))
        .collect();
    format!("{:?} {lines:?}", v.reason)
}

/// When the scanner takes `p`, serde takes it too and reads the same; and
/// `decode` succeeds exactly when serde does.
fn sale_agrees(p: &[u8]) -> Result<(), String> {
    let serde = serde_json::from_slice::<SaleRecord>(p);
    let mut b1 = SaleBuf::default();
    let mut b2 = SaleBuf::default();
    let mut b3 = SaleBuf::default();
    let reference = serde
        .as_ref()
        .ok()
        .map(|r| sale_fields(&SaleView::of_record(r, &mut b1)));
    if let Some(v) = SaleView::scan_only(p, &mut b2) {
        match &reference {
            None => return Err(format!("scanner takes what serde refuses: {serde:?}")),
            Some(r) if *r != sale_fields(&v) => {
                return Err(format!("scanner reads {}, serde {r}", sale_fields(&v)))
            }
            _ => {}
        }
    }
    let decoded = SaleView::decode(p, &mut b3).ok().map(|v| sale_fields(&v));
    if decoded != reference {
        return Err(format!("decode gives {decoded:?}, serde {reference:?}"));
    }
    Ok(())
}

fn movement_agrees(p: &[u8]) -> Result<(), String> {
    let serde = serde_json::from_slice::<StockMovement>(p);
    let (mut b1, mut b2, mut b3) = Default::default();
    let reference = serde
        .as_ref()
        .ok()
        .map(|m| movement_fields(&MovementView::of_record(m, &mut b1)));
    if let Some(v) = MovementView::scan_only(p, &mut b2) {
        if reference.as_deref() != Some(movement_fields(&v).as_str()) {
            return Err(format!(
                "scanner reads {}, serde {reference:?}",
                movement_fields(&v)
            ));
        }
    }
    let decoded = MovementView::decode(p, &mut b3)
        .ok()
        .map(|v| movement_fields(&v));
    if decoded != reference {
        return Err(format!("decode gives {decoded:?}, serde {reference:?}"));
    }
    Ok(())
}

fn payloads() -> Vec<(bool, Vec<u8>)> {
    let j = |v: &dyn erased::Json| v.json();
    vec![
        (true, j(&sale())),
        (true, j(&refund())),
        (false, j(&movement())),
    ]
}

/// `serde_json::to_vec` of either record type.
mod erased {
    pub trait Json {
        fn json(&self) -> Vec<u8>;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> Vec<u8> {
            serde_json::to_vec(self).unwrap_or_default()
        }
    }
}

#[test]
fn the_scanner_takes_what_the_till_writes() {
    for (is_sale, p) in payloads() {
        if is_sale {
            let mut b = SaleBuf::default();
            assert!(SaleView::scan_only(&p, &mut b).is_some());
            sale_agrees(&p).unwrap_or_else(|e| panic!("{e}"));
        } else {
            let mut b = MovementBuf::default();
            assert!(MovementView::scan_only(&p, &mut b).is_some());
            movement_agrees(&p).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

/// Every field renamed away, or set to null, in turn: required fields are
/// refused by both, options read as absent by both.
#[test]
fn a_missing_or_null_field_is_decided_as_serde_decides() {
    for (is_sale, p) in payloads() {
        let text = String::from_utf8(p).unwrap_or_default();
        let keys: Vec<usize> = text.match_indices("\":").map(|(i, _)| i).collect();
        for at in keys {
            let mut renamed = text.clone();
            renamed.replace_range(at - 1..at, "§");
            let value = at + 2;
            let end = text[value..]
                .find([',', '}'])
                .map_or(text.len(), |e| value + e);
            let mut nulled = text.clone();
            nulled.replace_range(value..end, "null");
            for m in [renamed, nulled] {
                let r = if is_sale {
                    sale_agrees(m.as_bytes())
                } else {
                    movement_agrees(m.as_bytes())
                };
                r.unwrap_or_else(|e| panic!("{e}\n{m}"));
            }
        }
    }
}

#[test]
fn a_sale_missing_a_name_does_not_decode() {
    let p = String::from_utf8(payloads()[0].1.clone()).unwrap_or_default();
    let p = p.replace("\"name\":", "\"nom\":");
    let mut b = SaleBuf::default();
    assert!(SaleView::scan_only(p.as_bytes(), &mut b).is_none());
    assert!(SaleView::decode(p.as_bytes(), &mut b).is_err());
}

#[test]
fn serde_decides_what_the_scanner_declines() {
    // An escape in an item id: the scanner declines, serde reads it.
    let p = String::from_utf8(payloads()[0].1.clone()).unwrap_or_default();
    let p = p.replace("\"NUT400\"", "\"NUT\\u0034\\/00\"");
    let mut b = SaleBuf::default();
    assert!(SaleView::scan_only(p.as_bytes(), &mut b).is_none());
    let v = SaleView::decode(p.as_bytes(), &mut b).unwrap_or_else(|e| panic!("{e}"));
    assert!(!v.scanned);
    assert_eq!(v.lines().next().map(|l| l.item_id), Some("NUT4/00"));
}

fn edits() -> impl Strategy<Value = Vec<(usize, u8, u8)>> {
    prop::collection::vec(
        (
            any::<usize>(),
            0u8..4,
            prop::sample::select(EDIT_ALPHABET.to_vec()),
        ),
        1..4,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    /// The scanner agrees with serde or declines, on arbitrary mutations of
    /// real payloads; `decode` succeeds exactly when serde does.
    #[test]
    fn the_fast_path_agrees_with_serde_or_declines(e in edits(), which in 0usize..3) {
        let (is_sale, p) = payloads().swap_remove(which);
        let m = mutate(p, &e);
        let r = if is_sale { sale_agrees(&m) } else { movement_agrees(&m) };
        prop_assert!(r.is_ok(), "{}: {}", r.err().unwrap_or_default(), String::from_utf8_lossy(&m));
    }
}
