//! The `sale_links` projection (schema 2): which refunds, cancellations and
//! reprints reference a sale. Kept on append, rebuilt, filled by the
//! migration from schema 1, and checked by the verifier.

mod common;

use common::*;
use till_core::records::{Event, ReceiptReprinted, SaleRef};
use till_journal::{verify, Journal, ProblemKind, VerifyOptions};

/// A sale (seq 2), filler, a refund of it, a reprint of it, a sale nobody
/// references; returns (sale seq, refund seq, reprint seq).
fn journal(dir: &std::path::Path) -> (u64, u64, u64) {
    let j = open_new(dir);
    let no = j.next_sale_no().unwrap();
    let sale = j
        .append(ts(10, 0, 0, 0), &five_line_sale(no, "2026-11-23"))
        .unwrap()
        .seq;
    fill_days(&j, 12, "2026-11-23", "2026-11-23");
    let reference = SaleRef {
        terminal_id: "T01".into(),
        seq: sale,
        sale_no: format!("T01-{no:06}"),
    };
    let refund = match refund_of_a1(j.next_sale_no().unwrap(), "2026-11-23") {
        Event::Refund(mut r) => {
            r.reverses = Some(reference.clone());
            Event::Refund(r)
        }
        _ => unreachable!(),
    };
    let refund = j.append(ts(11, 0, 0, 0), &refund).unwrap().seq;
    let reprint = Event::ReceiptReprinted(ReceiptReprinted {
        sale: reference,
        reprint_count: 1,
        operator: "u1".into(),
    });
    let reprint = j.append(ts(11, 0, 1, 0), &reprint).unwrap().seq;
    fill_days(&j, 3, "2026-11-23", "2026-11-23");
    (sale, refund, reprint)
}

fn check(dir: &std::path::Path) -> till_journal::VerifyReport {
    verify(db_path(dir), VerifyOptions::default()).unwrap()
}

#[test]
fn links_are_kept_on_append_and_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let (sale, refund, reprint) = journal(dir.path());
    let j = open_new(dir.path());
    assert_eq!(j.sale_links(sale).unwrap(), Some(vec![refund, reprint]));
    assert_eq!(j.sale_links(sale + 1).unwrap(), Some(vec![]));
    j.rebuild_projections().unwrap();
    assert_eq!(j.sale_links(sale).unwrap(), Some(vec![refund, reprint]));
    drop(j);
    assert!(check(dir.path()).ok);
}

#[test]
fn tampered_links_are_named() {
    for sql in [
        "DELETE FROM sale_links WHERE rowid IN (SELECT rowid FROM sale_links LIMIT 1)",
        "INSERT INTO sale_links VALUES (3, 9)",
        "UPDATE sale_links SET orig_seq = orig_seq + 1",
    ] {
        let dir = tempfile::tempdir().unwrap();
        journal(dir.path());
        let sql = sql.replace(
            "rowid IN (SELECT rowid FROM sale_links LIMIT 1)",
            "seq = (SELECT min(seq) FROM sale_links)",
        );
        raw(dir.path()).execute(&sql, []).unwrap();
        let p = check(dir.path()).first_problem.unwrap();
        assert_eq!(
            (p.kind, p.projection.as_deref()),
            (ProblemKind::ProjectionMismatch, Some("sale_links")),
            "{sql}"
        );
    }
}

#[test]
fn a_schema_1_journal_is_migrated_with_its_links() {
    let dir = tempfile::tempdir().unwrap();
    let (sale, refund, reprint) = journal(dir.path());
    // Schema 1 had schema 2's ledger (keyed by seq, indexed by item).
    to_schema_2(dir.path());
    raw(dir.path())
        .execute_batch("DROP TABLE sale_links; PRAGMA user_version = 1;")
        .unwrap();
    // Read-only, not migrated: no links to read, nothing to compare.
    let ro = Journal::open_read_only(db_path(dir.path())).unwrap();
    assert_eq!(ro.sale_links(sale).unwrap(), None);
    drop(ro);
    assert!(check(dir.path()).ok);
    // Opened by the till: migrated, links filled from the events.
    let j = open_new(dir.path());
    assert_eq!(j.sale_links(sale).unwrap(), Some(vec![refund, reprint]));
    drop(j);
    let version: i64 = raw(dir.path())
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, till_journal::schema::SCHEMA_VERSION);
    assert!(check(dir.path()).ok);
}
