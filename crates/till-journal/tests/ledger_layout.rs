//! The stock ledger's layout across schema versions: a journal of schema 2
//! (ledger keyed by seq, with a by-item index) still verifies as it is, and
//! opening it migrates it to schema 3 (ledger keyed by item, no index) with
//! the same rows; the rebuild writes the same rows again.

mod common;

use common::*;
use till_journal::{verify, Journal, ProblemKind, VerifyOptions};

type Row = (i64, i64, String, String, String);

fn ledger(dir: &std::path::Path) -> Vec<Row> {
    raw(dir)
        .prepare("SELECT seq, idx, item_id, delta, reason FROM stock_ledger ORDER BY seq, idx")
        .unwrap()
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// (user_version, the ledger's CREATE TABLE, its indexes).
fn layout(dir: &std::path::Path) -> (i64, String, Vec<String>) {
    let c = raw(dir);
    let v = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    let sql = c
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'stock_ledger'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let indexes = c
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'stock_ledger'",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    (v, sql, indexes)
}

fn check(dir: &std::path::Path) -> till_journal::VerifyReport {
    verify(db_path(dir), VerifyOptions::default()).unwrap()
}

#[test]
fn a_schema_2_ledger_verifies_as_it_is_then_migrates_with_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    fill(&j, 120);
    let a1 = j.stock_ledger("A1").unwrap();
    assert!(a1.len() > 20, "{}", a1.len());
    drop(j);
    let (v, sql, indexes) = layout(dir.path());
    assert_eq!(v, till_journal::schema::SCHEMA_VERSION);
    assert!(sql.contains("PRIMARY KEY (item_id, seq, idx)"), "{sql}");
    assert!(indexes.is_empty(), "{indexes:?}");
    let rows = ledger(dir.path());

    to_schema_2(dir.path());
    let (v, sql, indexes) = layout(dir.path());
    assert_eq!((v, indexes), (2, vec!["stock_ledger_item".to_string()]));
    assert!(sql.contains("PRIMARY KEY (seq, idx)"), "{sql}");
    assert_eq!(ledger(dir.path()), rows);
    // Verified read-only, not migrated.
    let r = check(dir.path());
    assert!(r.ok && r.projections_checked, "{r:?}");
    assert_eq!(layout(dir.path()).0, 2);
    // A row edited in the old layout is still named.
    let backup = std::fs::read(db_path(dir.path())).unwrap();
    let (seq, idx) = (rows[7].0, rows[7].1);
    raw(dir.path())
        .execute(
            "UPDATE stock_ledger SET delta = '-99' WHERE seq = ?1 AND idx = ?2",
            [seq, idx],
        )
        .unwrap();
    let r = check(dir.path());
    let p = r.first_problem.expect("the edit is found");
    assert_eq!(
        (p.kind, p.projection.as_deref(), p.seq),
        (
            ProblemKind::ProjectionMismatch,
            Some("stock_ledger"),
            Some(seq as u64)
        )
    );
    std::fs::write(db_path(dir.path()), &backup).unwrap();

    // Opening it read-write migrates it: same rows, keyed by item.
    let j = Journal::open(db_path(dir.path()), opts(dir.path())).unwrap();
    assert_eq!(j.stock_ledger("A1").unwrap(), a1);
    drop(j);
    let (v, sql, indexes) = layout(dir.path());
    assert_eq!(v, 3);
    assert!(sql.contains("PRIMARY KEY (item_id, seq, idx)"), "{sql}");
    assert!(indexes.is_empty(), "{indexes:?}");
    assert_eq!(ledger(dir.path()), rows);
    assert!(check(dir.path()).ok);

    // The rebuild writes the same rows, in the same layout.
    let cookie = |dir: &std::path::Path| -> i64 {
        raw(dir)
            .query_row("PRAGMA schema_version", [], |r| r.get(0))
            .unwrap()
    };
    let before = cookie(dir.path());
    let j = Journal::open(db_path(dir.path()), opts(dir.path())).unwrap();
    j.rebuild_projections().unwrap();
    // The verifier's snapshot id sees that a rebuild happened.
    assert_ne!(cookie(dir.path()), before);
    assert_eq!(j.stock_ledger("A1").unwrap(), a1);
    drop(j);
    assert_eq!(layout(dir.path()).2, Vec::<String>::new());
    assert_eq!(ledger(dir.path()), rows);
    assert!(check(dir.path()).ok);
}
