//! Property tests: for random event sequences, the incremental projections
//! equal a rebuild, the verifier's fast decoding agrees with the full one, and
//! the journal verifies.

mod common;

use common::*;
use proptest::prelude::*;
use rust_decimal::Decimal;
use till_core::records::*;

#[derive(Debug, Clone)]
enum Op {
    Sale(Vec<(u8, i64, i64, u8)>, bool, String),
    Refund(u8, i64),
    Stock(u8, i64),
    Cash(bool, i64),
}

fn item(i: u8) -> String {
    format!("I{}", i % 7)
}

fn rate_of(r: u8) -> Decimal {
    [
        Decimal::new(20, 0),
        Decimal::new(10, 0),
        Decimal::new(55, 1),
        Decimal::new(21, 1),
    ][r as usize % 4]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (
            prop::collection::vec((any::<u8>(), 1i64..5, 1i64..5000, any::<u8>()), 1..6),
            any::<bool>(),
            "[a-zA-Zé\"\\\\ ]{0,8}",
        )
            .prop_map(|(l, t, n)| Op::Sale(l, t, n)),
        (any::<u8>(), 1i64..3000).prop_map(|(i, p)| Op::Refund(i, p)),
        (any::<u8>(), -50i64..50).prop_map(|(i, q)| Op::Stock(i, q)),
        (any::<bool>(), 1i64..100000).prop_map(|(d, a)| Op::Cash(d, a)),
    ]
}

fn event(op: &Op, no: u64, day_: &str) -> Event {
    match op {
        Op::Sale(lines, training, name) => {
            let lines: Vec<(String, Decimal, Decimal, Decimal)> = lines
                .iter()
                .map(|(i, q, p, r)| {
                    (
                        item(*i),
                        Decimal::from(*q),
                        Decimal::new(*p, 2),
                        rate_of(*r),
                    )
                })
                .collect();
            let refs: Vec<(&str, Decimal, Decimal, Decimal)> = lines
                .iter()
                .map(|(i, q, p, r)| (i.as_str(), *q, *p, *r))
                .collect();
            let mut s = sale_record(
                SaleKind::Sale,
                no,
                day_,
                &refs,
                Decimal::ZERO,
                Decimal::new(50, 2),
            );
            s.training = *training;
            s.lines[0].name = name.clone();
            Event::SaleCompleted(s)
        }
        Op::Refund(i, p) => {
            let it = item(*i);
            Event::Refund(sale_record(
                SaleKind::Refund,
                no,
                day_,
                &[(
                    it.as_str(),
                    Decimal::from(-1),
                    Decimal::new(*p, 2),
                    rate_of(*i),
                )],
                Decimal::ZERO,
                Decimal::ZERO,
            ))
        }
        Op::Stock(i, q) => goods_received(&item(*i), Decimal::from(*q)),
        Op::Cash(inward, a) => Event::CashMovement(CashMovement {
            direction: if *inward {
                CashDirection::In
            } else {
                CashDirection::Out
            },
            amount: Decimal::new(*a, 2),
            reason: "float".into(),
            operator: "u1".into(),
            approved_by: None,
            business_day: day(day_),
        }),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn rebuild_equals_incremental_and_verifies(ops in prop::collection::vec(op(), 1..25)) {
        let dir = tempfile::tempdir().unwrap();
        let j = open_new(dir.path());
        for (i, o) in ops.iter().enumerate() {
            let d = if i % 3 == 0 { "2026-11-22" } else { "2026-11-23" };
            j.append(ts(10, 0, (i % 60) as u32, 0), &event(o, j.next_sale_no().unwrap(), d)).unwrap();
        }
        for e in j.events_after(0, 1000).unwrap() {
            prop_assert!(till_journal::projections::fast_effects_agree(&e.kind, &e.payload), "seq {}", e.seq);
        }
        let incremental = j.projection_snapshot().unwrap();
        j.rebuild_projections().unwrap();
        prop_assert_eq!(j.projection_snapshot().unwrap(), incremental);
        let r = till_journal::verify(db_path(dir.path()), Default::default()).unwrap();
        prop_assert!(r.ok, "{:?}", r);
        // Period totals add up: the month is the sum of its days.
        let m = j.period_totals(ClosingKind::Month, "2026-11").unwrap();
        let d1 = j.period_totals(ClosingKind::Day, "2026-11-22").unwrap();
        let d2 = j.period_totals(ClosingKind::Day, "2026-11-23").unwrap();
        prop_assert_eq!(m.net_total, d1.net_total + d2.net_total);
        prop_assert_eq!(m.records, d1.records + d2.records);
        let vat: Decimal = m.by_vat.iter().map(|v| v.total).sum();
        prop_assert_eq!(vat, m.net_total);
        let (grand, _) = j.grand_totals().unwrap();
        prop_assert_eq!(grand, m.net_total);
    }
}
