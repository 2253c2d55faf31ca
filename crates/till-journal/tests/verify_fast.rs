//! The verifier's fast paths (payload scanner, stock ledger chunk digests,
//! per-worker sums) find exactly what the plain row-by-row comparison finds:
//! random tampering of a projection is always detected, and named as the
//! row-by-row comparison names it.

mod common;

use common::*;
use proptest::prelude::*;
use rust_decimal_macros::dec;
use std::path::Path;
use std::sync::OnceLock;
use till_core::records::{Event, StockLine, StockMovement, StockReason};
use till_core::view::test_support::{mutate, EDIT_ALPHABET};
use till_journal::projections::{scanner_agrees, scanner_takes};
use till_journal::{verify, ProblemKind, VerifyOptions, VerifyReport};

/// A journal of about 1,400 events (three of the verifier's 512-seq chunks),
/// built once; each test works on a copy.
fn template() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let j = open_new(dir.path());
        let mut batch = Vec::new();
        let mut sale_no = 0;
        for i in 0..1400u64 {
            let d = if i < 700 { "2026-11-22" } else { "2026-11-23" };
            let ev = match i % 5 {
                0 => goods_received(["A1", "B2", "C3"][(i % 3) as usize], dec!(10)),
                1 | 2 => {
                    sale_no += 1;
                    five_line_sale(sale_no, d)
                }
                3 => {
                    sale_no += 1;
                    refund_of_a1(sale_no, d)
                }
                _ => login("u1"),
            };
            batch.push((ts(10, 0, 0, 0), ev));
        }
        j.append_batch(&batch).unwrap();
        drop(j);
        dir
    })
    .path()
}

fn copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(template()).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), dir.path().join(f.file_name())).unwrap();
    }
    dir
}

fn check(dir: &Path) -> VerifyReport {
    verify(db_path(dir), VerifyOptions::default()).unwrap()
}

type LedgerRow = (i64, i64, String, String, String);

fn ledger(dir: &Path) -> Vec<LedgerRow> {
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

/// The seq the row-by-row comparison names: the first position where the
/// tampered ledger differs from the true one (deltas compared by value).
fn first_difference(good: &[LedgerRow], bad: &[LedgerRow]) -> Option<i64> {
    let same = |a: &LedgerRow, b: &LedgerRow| {
        a.0 == b.0
            && a.1 == b.1
            && a.2 == b.2
            && a.3.parse::<rust_decimal::Decimal>().ok() == b.3.parse().ok()
            && a.4 == b.4
    };
    for (i, g) in good.iter().enumerate() {
        match bad.get(i) {
            Some(b) if same(g, b) => {}
            _ => return Some(g.0),
        }
    }
    bad.get(good.len()).map(|b| b.0)
}

fn ledger_problem(r: &VerifyReport) -> (ProblemKind, Option<String>, Option<u64>) {
    let p = r.first_problem.clone().expect("a problem");
    (p.kind, p.projection, p.seq)
}

#[test]
fn a_multi_chunk_journal_verifies() {
    let dir = copy();
    let r = check(dir.path());
    assert!(r.ok && r.projections_checked, "{r:?}");
    assert!(r.events > 1024);
    // Seq 702 (a refund) has a ledger row: the test below edits it.
    assert!(ledger(dir.path()).iter().any(|r| r.0 == 702 && r.1 == 0));
}

#[derive(Debug, Clone)]
enum LedgerEdit {
    Item(usize),
    Delta(usize),
    Reason(usize),
    Delete(usize),
    Extra(usize),
    Swap(usize),
}

fn ledger_edit() -> impl Strategy<Value = LedgerEdit> {
    prop_oneof![
        any::<usize>().prop_map(LedgerEdit::Item),
        any::<usize>().prop_map(LedgerEdit::Delta),
        any::<usize>().prop_map(LedgerEdit::Reason),
        any::<usize>().prop_map(LedgerEdit::Delete),
        any::<usize>().prop_map(LedgerEdit::Extra),
        any::<usize>().prop_map(LedgerEdit::Swap),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn ledger_tampering_anywhere_is_named_as_row_by_row(edit in ledger_edit()) {
        let dir = copy();
        let good = ledger(dir.path());
        let c = raw(dir.path());
        let pick = |n: usize| &good[n % good.len()];
        match &edit {
            LedgerEdit::Item(n) => {
                let r = pick(*n);
                c.execute("UPDATE stock_ledger SET item_id = 'ZZ9' WHERE seq = ?1 AND idx = ?2", [r.0, r.1]).unwrap();
            }
            LedgerEdit::Delta(n) => {
                let r = pick(*n);
                c.execute("UPDATE stock_ledger SET delta = '-1000.5' WHERE seq = ?1 AND idx = ?2", [r.0, r.1]).unwrap();
            }
            LedgerEdit::Reason(n) => {
                let r = pick(*n);
                c.execute("UPDATE stock_ledger SET reason = 'adjustment' WHERE seq = ?1 AND idx = ?2", [r.0, r.1]).unwrap();
            }
            LedgerEdit::Delete(n) => {
                let r = pick(*n);
                c.execute("DELETE FROM stock_ledger WHERE seq = ?1 AND idx = ?2", [r.0, r.1]).unwrap();
            }
            LedgerEdit::Extra(n) => {
                let r = pick(*n);
                c.execute("INSERT INTO stock_ledger VALUES (?1, 99, 'A1', '1', 'sale')", [r.0]).unwrap();
            }
            LedgerEdit::Swap(n) => {
                // Two rows of one sale trade their items: same items, same sums.
                let r = pick(*n);
                let other = good.iter().find(|g| g.0 == r.0 && g.2 != r.2).cloned();
                if let Some(o) = other {
                    c.execute("UPDATE stock_ledger SET item_id = ?1 WHERE seq = ?2 AND idx = ?3", rusqlite::params![o.2, r.0, r.1]).unwrap();
                    c.execute("UPDATE stock_ledger SET item_id = ?1 WHERE seq = ?2 AND idx = ?3", rusqlite::params![r.2, o.0, o.1]).unwrap();
                } else {
                    c.execute("UPDATE stock_ledger SET idx = idx + 50 WHERE seq = ?1 AND idx = ?2", [r.0, r.1]).unwrap();
                }
            }
        }
        drop(c);
        let bad = ledger(dir.path());
        let want = first_difference(&good, &bad).map(|s| s as u64);
        prop_assert!(want.is_some());
        let r = check(dir.path());
        prop_assert_eq!(
            ledger_problem(&r),
            (ProblemKind::ProjectionMismatch, Some("stock_ledger".to_string()), want),
            "{:?}", edit
        );
    }

    #[test]
    fn projection_tampering_is_always_detected(table in 0usize..3, n in any::<usize>(), by in 1i64..1000) {
        let dir = copy();
        let c = raw(dir.path());
        let (name, key) = [("stock_levels", "item_id"), ("day_totals", "day || key"), ("perpetual", "key")][table];
        let keys: Vec<String> = c
            .prepare(&format!("SELECT {key} FROM {name} ORDER BY 1"))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let k = &keys[n % keys.len()];
        let col = if table == 0 { "level" } else { "amount" };
        let delta = format!("{}", rust_decimal::Decimal::new(by, 2));
        let old: String = c
            .query_row(&format!("SELECT {col} FROM {name} WHERE {key} = ?1"), [k], |r| r.get(0))
            .unwrap();
        let new = old.parse::<rust_decimal::Decimal>().unwrap() + delta.parse::<rust_decimal::Decimal>().unwrap();
        c.execute(&format!("UPDATE {name} SET {col} = ?1 WHERE {key} = ?2"), [new.to_string(), k.clone()])
            .unwrap();
        drop(c);
        let r = check(dir.path());
        let (kind, projection, _) = ledger_problem(&r);
        prop_assert_eq!(kind, ProblemKind::ProjectionMismatch);
        prop_assert_eq!(projection.as_deref(), Some(name));
    }
}

#[test]
fn ledger_deltas_are_compared_by_value() {
    let dir = copy();
    raw(dir.path())
        .execute(
            "UPDATE stock_ledger SET delta = delta || '.00' WHERE delta NOT LIKE '%.%' AND seq > 600",
            [],
        )
        .unwrap();
    let r = check(dir.path());
    assert!(r.ok, "{r:?}");
}

#[test]
fn ledger_rows_no_event_explains_are_named() {
    for (sql, want) in [
        (
            "INSERT INTO stock_ledger VALUES (5000, 0, 'A1', '1', 'sale')",
            Some(5000),
        ),
        (
            "INSERT INTO stock_ledger VALUES (0, 0, 'A1', '1', 'sale')",
            None,
        ),
        (
            "INSERT INTO stock_ledger VALUES ('x', 0, 'A1', '1', 'sale')",
            None,
        ),
        (
            "UPDATE stock_ledger SET delta = 'many' WHERE seq = 702 AND idx = 0",
            Some(702),
        ),
    ] {
        let dir = copy();
        raw(dir.path()).execute(sql, []).unwrap();
        let r = check(dir.path());
        let (kind, projection, seq) = ledger_problem(&r);
        assert_eq!(
            (kind, projection.as_deref()),
            (ProblemKind::ProjectionMismatch, Some("stock_ledger")),
            "{sql}: {r:?}"
        );
        if want.is_some() {
            assert_eq!(seq, want, "{sql}: {r:?}");
        }
    }
}

/// A refund that references its sale (a `reverses` object, not null).
fn refund_of(no: u64) -> Event {
    match refund_of_a1(no, "2026-11-23") {
        Event::Refund(mut r) => {
            r.reverses = Some(till_core::records::SaleRef {
                terminal_id: "T01".into(),
                seq: 1234,
                sale_no: "T01-000007".into(),
            });
            Event::Refund(r)
        }
        e => e,
    }
}

fn movement() -> Event {
    Event::StockMovement(StockMovement {
        reason: StockReason::InventoryCount,
        reference: Some("inv \"été\" \\ 2026".into()),
        other_shop: None,
        operator: "u1".into(),
        lines: vec![
            StockLine {
                item_id: "A1".into(),
                delta: dec!(-2.500),
                counted: Some(dec!(7.5)),
            },
            StockLine {
                item_id: "Bé2".into(),
                delta: dec!(3),
                counted: None,
            },
        ],
    })
}

/// Payloads mutated at random: the scanner either declines (serde decides) or
/// gives exactly serde's effects; it never takes a payload serde refuses.
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
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn the_scanner_agrees_with_serde_or_declines(e in edits(), which in 0usize..3) {
        let (kind, ev) = match which {
            0 => ("sale_completed", five_line_sale(7, "2026-11-23")),
            1 => ("refund", refund_of(8)),
            _ => ("stock_movement", movement()),
        };
        let p = ev.payload();
        prop_assert!(scanner_agrees(kind, &p));
        let m = mutate(p, &e);
        prop_assert!(scanner_agrees(kind, &m), "{}", String::from_utf8_lossy(&m));
    }
}

#[test]
fn the_scanner_takes_what_the_till_writes() {
    assert!(scanner_takes(
        "sale_completed",
        &five_line_sale(7, "2026-11-23").payload()
    ));
    assert!(scanner_takes(
        "refund",
        &refund_of_a1(8, "2026-11-23").payload()
    ));
    assert!(scanner_takes("stock_movement", &movement().payload()));
}
