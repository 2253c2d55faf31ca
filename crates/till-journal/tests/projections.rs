mod common;

use common::*;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use rust_decimal_macros::dec;
use std::collections::BTreeMap;
use till_core::records::*;
use till_journal::JournalError;

#[test]
fn stock_levels_follow_sales_refunds_and_movements() {
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    j.append(ts(9, 0, 0, 0), &goods_received("A1", dec!(10)))
        .unwrap();
    j.append(ts(10, 0, 0, 0), &five_line_sale(1, "2026-11-23"))
        .unwrap();
    j.append(ts(10, 5, 0, 0), &refund_of_a1(2, "2026-11-23"))
        .unwrap();
    assert_eq!(j.stock_level("A1").unwrap(), dec!(9)); // 10 - 2 + 1
    assert_eq!(j.stock_level("B2").unwrap(), dec!(-1));
    assert_eq!(j.stock_level("nothing").unwrap(), dec!(0));
    let all = j.stock_levels().unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all[0], ("A1".to_string(), dec!(9)));
}

#[test]
fn training_sales_number_receipts_but_stay_out_of_totals_and_stock() {
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    let mut s = match five_line_sale(1, "2026-11-23") {
        Event::SaleCompleted(s) => s,
        _ => unreachable!(),
    };
    s.training = true;
    j.append(ts(10, 0, 0, 0), &Event::SaleCompleted(s)).unwrap();
    assert_eq!(j.next_sale_no().unwrap(), 2);
    assert_eq!(j.stock_level("A1").unwrap(), dec!(0));
    let t = j.period_totals(ClosingKind::Day, "2026-11-23").unwrap();
    assert_eq!(t, PeriodTotals::default());
    assert_eq!(j.grand_totals().unwrap(), (dec!(0), dec!(0)));
}

#[test]
fn period_totals_by_day_month_year() {
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    // Sale total: 3.98 + 12.50 + 2.55 + 7.00 + 3.20 = 29.23; card 20, cash 9.23 (10.50 - 1.27 change).
    j.append(ts(10, 0, 0, 0), &five_line_sale(1, "2026-11-22"))
        .unwrap();
    j.append(ts(10, 1, 0, 0), &five_line_sale(2, "2026-11-23"))
        .unwrap();
    j.append(ts(10, 2, 0, 0), &refund_of_a1(3, "2026-11-23"))
        .unwrap();
    j.append(ts(10, 3, 0, 0), &five_line_sale(4, "2026-12-01"))
        .unwrap();
    j.append(
        ts(10, 4, 0, 0),
        &Event::CashMovement(CashMovement {
            direction: CashDirection::In,
            amount: dec!(100.00),
            reason: "float".into(),
            operator: "u1".into(),
            approved_by: Some("m1".into()),
            business_day: day("2026-11-23"),
        }),
    )
    .unwrap();

    let d = j.period_totals(ClosingKind::Day, "2026-11-23").unwrap();
    assert_eq!(d.records, 2);
    assert_eq!(d.sales_total, dec!(29.23));
    assert_eq!(d.refunds_total, dec!(-1.99));
    assert_eq!(d.net_total, dec!(27.24));
    assert_eq!(d.by_tender["card"], dec!(20.00));
    assert_eq!(d.by_tender["cash"], dec!(9.23) - dec!(1.99));
    assert_eq!(d.cash_in, dec!(100.00));
    assert_eq!(d.cash_out, dec!(0));
    let vat_total: rust_decimal::Decimal = d.by_vat.iter().map(|v| v.total).sum();
    assert_eq!(vat_total, d.net_total);
    assert_eq!(d.by_vat.len(), 3);
    assert_eq!(d.by_vat[0].rate, rate(dec!(5.5)));
    for v in &d.by_vat {
        assert_eq!(v.base + v.tax, v.total);
    }

    let m = j.period_totals(ClosingKind::Month, "2026-11").unwrap();
    assert_eq!(m.records, 3);
    assert_eq!(m.net_total, dec!(29.23) * dec!(2) - dec!(1.99));
    let y = j.period_totals(ClosingKind::Year, "2026").unwrap();
    assert_eq!(y.records, 4);
    assert_eq!(y.net_total, dec!(29.23) * dec!(3) - dec!(1.99));
    assert_eq!(
        j.grand_totals().unwrap(),
        (
            dec!(29.23) * dec!(3) - dec!(1.99),
            dec!(29.23) * dec!(3) + dec!(1.99)
        )
    );

    for (k, p) in [
        (ClosingKind::Day, "2026-11"),
        (ClosingKind::Day, "2026-13-01"),
        (ClosingKind::Month, "2026-11-23"),
        (ClosingKind::Month, "2026-1"),
        (ClosingKind::Year, "26"),
    ] {
        assert!(
            matches!(
                j.period_totals(k, p),
                Err(JournalError::InvalidPeriod { .. })
            ),
            "{k:?} {p}"
        );
    }
}

#[test]
fn closings_are_signed_tile_the_journal_and_close_once() {
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    j.append(ts(10, 0, 0, 0), &five_line_sale(1, "2026-11-23"))
        .unwrap(); // seq 2
    j.append(ts(10, 1, 0, 0), &refund_of_a1(2, "2026-11-23"))
        .unwrap(); // seq 3
    let counted = BTreeMap::from([("cash".to_string(), dec!(7.24))]);
    let z = j
        .close(
            ts(20, 0, 0, 0),
            ClosingKind::Day,
            "2026-11-23",
            "m1",
            counted.clone(),
        )
        .unwrap();
    assert_eq!(z.seq, 4);
    let rec = j.event(4).unwrap().unwrap();
    let c = match rec.decode().unwrap() {
        Event::Closing(c) => c,
        other => panic!("{other:?}"),
    };
    assert_eq!((c.first_seq, c.last_seq), (1, 3));
    assert_eq!(
        c.totals,
        j.period_totals(ClosingKind::Day, "2026-11-23").unwrap()
    );
    assert_eq!(c.totals.net_total, dec!(27.24));
    assert_eq!(c.grand_total, dec!(27.24));
    assert_eq!(c.grand_total_abs, dec!(31.22));
    assert_eq!(c.counted, counted);
    assert_eq!(c.operator, "m1");
    // Signature = Ed25519 over the record hash, with the genesis public key.
    let pk: [u8; 32] = hex::decode(j.public_key_hex()).unwrap().try_into().unwrap();
    let pk = VerifyingKey::from_bytes(&pk).unwrap();
    let sig = Signature::from_slice(rec.signature.as_deref().unwrap()).unwrap();
    assert_eq!(z.signature.as_deref(), rec.signature.as_deref());
    pk.verify(&rec.hash, &sig).unwrap();

    let e = j
        .close(
            ts(20, 1, 0, 0),
            ClosingKind::Day,
            "2026-11-23",
            "m1",
            BTreeMap::new(),
        )
        .unwrap_err();
    assert!(
        matches!(e, JournalError::AlreadyClosed { seq: 4, .. }),
        "{e}"
    );

    j.append(ts(9, 0, 0, 0), &five_line_sale(3, "2026-11-24"))
        .unwrap(); // seq 5
    let z2 = j
        .close(
            ts(20, 0, 0, 0),
            ClosingKind::Day,
            "2026-11-24",
            "m1",
            BTreeMap::new(),
        )
        .unwrap();
    let c2 = match j.event(z2.seq).unwrap().unwrap().decode().unwrap() {
        Event::Closing(c) => c,
        _ => unreachable!(),
    };
    assert_eq!((c2.first_seq, c2.last_seq), (4, 5));
    assert_eq!(c2.grand_total, dec!(27.24) + dec!(29.23));
    let m = j
        .close(
            ts(20, 0, 0, 0),
            ClosingKind::Month,
            "2026-11",
            "m1",
            BTreeMap::new(),
        )
        .unwrap();
    let cm = match j.event(m.seq).unwrap().unwrap().decode().unwrap() {
        Event::Closing(c) => c,
        _ => unreachable!(),
    };
    assert_eq!((cm.first_seq, cm.last_seq), (1, 6));
    assert_eq!(cm.totals.records, 3);
    assert_eq!(j.closings().unwrap().len(), 3);
    let r = till_journal::verify(db_path(dir.path()), Default::default()).unwrap();
    assert!(r.ok, "{r:?}");
    assert_eq!(r.closings_checked, 3);
}

#[test]
fn rebuild_equals_incremental() {
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    fill(&j, 60);
    j.close(
        ts(20, 0, 0, 0),
        ClosingKind::Day,
        "2026-11-22",
        "m1",
        BTreeMap::new(),
    )
    .unwrap();
    let incremental = j.projection_snapshot().unwrap();
    let levels = j.stock_levels().unwrap();
    let totals = j.period_totals(ClosingKind::Month, "2026-11").unwrap();
    let ledger_before: Vec<(i64, i64, String, String, String)> = ledger(dir.path());
    assert!(!incremental.stock_levels.is_empty());
    assert!(!incremental.day_totals.is_empty());
    assert_eq!(incremental.closings.len(), 1);

    j.rebuild_projections().unwrap();
    assert_eq!(j.projection_snapshot().unwrap(), incremental);
    assert_eq!(j.stock_levels().unwrap(), levels);
    assert_eq!(
        j.period_totals(ClosingKind::Month, "2026-11").unwrap(),
        totals
    );
    assert_eq!(ledger(dir.path()), ledger_before);

    // A projection damaged behind the journal's back is repaired by a rebuild.
    raw(dir.path())
        .execute(
            "UPDATE stock_levels SET level = '999' WHERE item_id = 'A1'",
            [],
        )
        .unwrap();
    let r = till_journal::verify(db_path(dir.path()), Default::default()).unwrap();
    assert_eq!(
        r.first_problem.unwrap().projection.as_deref(),
        Some("stock_levels")
    );
    j.rebuild_projections().unwrap();
    assert_eq!(j.projection_snapshot().unwrap(), incremental);
    assert!(
        till_journal::verify(db_path(dir.path()), Default::default())
            .unwrap()
            .ok
    );
}

fn ledger(dir: &std::path::Path) -> Vec<(i64, i64, String, String, String)> {
    let c = raw(dir);
    let mut st = c
        .prepare("SELECT seq, idx, item_id, delta, reason FROM stock_ledger ORDER BY seq, idx")
        .unwrap();
    let rows = st
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

#[test]
fn verifier_fast_decoding_agrees_with_full_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    fill(&j, 30);
    let mut training = match five_line_sale(99, "2026-11-23") {
        Event::SaleCompleted(s) => s,
        _ => unreachable!(),
    };
    training.training = true;
    j.append(ts(11, 0, 0, 0), &Event::SaleCompleted(training))
        .unwrap();
    let mut cancel = match five_line_sale(100, "2026-11-23") {
        Event::SaleCompleted(s) => s,
        _ => unreachable!(),
    };
    cancel.kind = SaleKind::Cancellation;
    for l in &mut cancel.lines {
        l.quantity = -l.quantity;
        l.gross = -l.gross;
        l.total = -l.total;
    }
    cancel.total = -cancel.total;
    for v in &mut cancel.vat {
        v.base = -v.base;
        v.tax = -v.tax;
        v.total = -v.total;
    }
    for t in &mut cancel.tenders {
        t.amount = -t.amount;
    }
    cancel.change = -cancel.change;
    cancel.lines[1].item_id = "é\"\\ünicode".into(); // escapes: borrowed strings must cope
    j.append(ts(11, 0, 1, 0), &Event::SaleCancelled(cancel))
        .unwrap();
    for dir_ in [CashDirection::In, CashDirection::Out] {
        j.append(
            ts(11, 0, 2, 0),
            &Event::CashMovement(CashMovement {
                direction: dir_,
                amount: dec!(12.30),
                reason: "bank".into(),
                operator: "u1".into(),
                approved_by: None,
                business_day: day("2026-11-23"),
            }),
        )
        .unwrap();
    }
    j.close(
        ts(20, 0, 0, 0),
        ClosingKind::Day,
        "2026-11-23",
        "m1",
        BTreeMap::new(),
    )
    .unwrap();
    let events = j.events_after(0, 1000).unwrap();
    assert!(events.len() > 35);
    for e in &events {
        assert!(
            till_journal::projections::fast_effects_agree(&e.kind, &e.payload),
            "seq {} ({})",
            e.seq,
            e.kind
        );
    }
    assert!(
        till_journal::verify(db_path(dir.path()), Default::default())
            .unwrap()
            .ok
    );
}

/// A whole-shop inventory moves tens of thousands of items in one event: more
/// rows than SQLite binds in one statement. It must append, verify and rebuild.
#[test]
fn one_event_with_twenty_thousand_stock_lines() {
    let dir = tempfile::tempdir().unwrap();
    let j = common::open_new(dir.path());
    let lines: Vec<StockLine> = (0..20_000)
        .map(|i| StockLine {
            item_id: format!("I{i:05}"),
            delta: rust_decimal::Decimal::from(i % 7 + 1),
            counted: None,
        })
        .collect();
    let ev = Event::StockMovement(StockMovement {
        reason: StockReason::GoodsReceived,
        reference: Some("BL-big".into()),
        other_shop: None,
        operator: "s1".into(),
        lines,
    });
    j.append(common::ts(9, 0, 0, 0), &ev).unwrap();
    assert_eq!(j.stock_levels().unwrap().len(), 20_000);
    assert_eq!(
        j.stock_level("I19999").unwrap(),
        rust_decimal::Decimal::from(19_999 % 7 + 1)
    );
    let before = j.projection_snapshot().unwrap();
    j.rebuild_projections().unwrap();
    assert_eq!(j.projection_snapshot().unwrap(), before);
    let r = till_journal::verify(common::db_path(dir.path()), Default::default()).unwrap();
    assert!(r.ok, "{:?}", r.first_problem);
}
