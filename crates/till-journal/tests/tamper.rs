//! Each tampering an attacker with write access to the file could try is
//! detected, and the verifier names the exact record.

mod common;

use common::*;
use std::collections::BTreeMap;
use till_core::records::ClosingKind;
use till_journal::chain::{record_hash, RecordFields};
use till_journal::{verify, ProblemKind, VerifyOptions, VerifyReport};

/// A journal of 40 records with a closing at seq 30; returns the temp dir.
fn journal() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    fill(&j, 28); // seqs 2..=29
    j.close(
        ts(20, 0, 0, 0),
        ClosingKind::Day,
        "2026-11-22",
        "m1",
        BTreeMap::new(),
    )
    .unwrap(); // seq 30
    fill_days(&j, 10, "2026-11-23", "2026-11-24"); // 31..=40
    assert_eq!(j.head().unwrap().0, 40);
    let r = check(dir.path());
    assert!(r.ok, "{r:?}");
    dir
}

fn check(dir: &std::path::Path) -> VerifyReport {
    verify(db_path(dir), VerifyOptions::default()).unwrap()
}

fn attacker(dir: &std::path::Path) -> rusqlite::Connection {
    let c = raw(dir);
    c.execute_batch("DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;")
        .unwrap();
    c
}

fn first(r: &VerifyReport) -> (Option<u64>, ProblemKind) {
    assert!(!r.ok);
    let p = r.first_problem.as_ref().expect("a problem");
    (p.seq, p.kind)
}

#[test]
fn intact_journal_verifies_with_and_without_expected_key() {
    let dir = journal();
    let j = open_new(dir.path());
    let pk = j.public_key_hex().to_string();
    let r = verify(
        db_path(dir.path()),
        VerifyOptions {
            expected_public_key: Some(pk),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(r.ok, "{r:?}");
    assert_eq!(
        (r.events, r.head_seq, r.tail_seq, r.closings_checked),
        (40, 40, Some(40), 1)
    );
    let json = serde_json::to_string(&r).unwrap();
    assert!(json.contains("\"ok\":true"));
    let r = verify(
        db_path(dir.path()),
        VerifyOptions {
            expected_public_key: Some("00".repeat(32)),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(first(&r), (Some(1), ProblemKind::PublicKeyMismatch));
}

#[test]
fn changed_payload_field_is_named() {
    let dir = journal();
    let c = attacker(dir.path());
    let p: Vec<u8> = c
        .query_row("SELECT payload FROM events WHERE seq = 18", [], |r| {
            r.get(0)
        })
        .unwrap();
    let text = String::from_utf8(p).unwrap();
    assert!(text.contains("\"12.50\""), "{text}");
    let forged = text.replacen("\"12.50\"", "\"1.25\"", 1);
    c.execute(
        "UPDATE events SET payload = ?1 WHERE seq = 18",
        [forged.as_bytes()],
    )
    .unwrap();
    let r = check(dir.path());
    assert_eq!(first(&r), (Some(18), ProblemKind::HashMismatch), "{r:?}");
    // JSON report names it too.
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["first_problem"]["seq"], 18);
    assert_eq!(json["first_problem"]["kind"], "hash_mismatch");
}

#[test]
fn changed_timestamp_or_kind_is_named() {
    let dir = journal();
    let c = attacker(dir.path());
    c.execute(
        "UPDATE events SET ts = '2026-11-23T10:00:00.124+01:00' WHERE seq = 9",
        [],
    )
    .unwrap();
    assert_eq!(
        first(&check(dir.path())),
        (Some(9), ProblemKind::HashMismatch)
    );
}

#[test]
fn rewritten_record_with_recomputed_hash_breaks_the_next_link() {
    let dir = journal();
    let c = attacker(dir.path());
    let (ts_, kind, payload, prev): (String, String, Vec<u8>, Vec<u8>) = c
        .query_row(
            "SELECT ts, kind, payload, prev_hash FROM events WHERE seq = 12",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    let forged = String::from_utf8(payload).unwrap().replacen("u1", "u9", 1);
    let h = record_hash(
        &prev.try_into().unwrap(),
        &RecordFields {
            terminal_id: "T01",
            seq: 12,
            ts: &ts_,
            kind: &kind,
            payload: forged.as_bytes(),
        },
    )
    .unwrap();
    c.execute(
        "UPDATE events SET payload = ?1, hash = ?2 WHERE seq = 12",
        rusqlite::params![forged.as_bytes(), &h[..]],
    )
    .unwrap();
    assert_eq!(
        first(&check(dir.path())),
        (Some(13), ProblemKind::BrokenLink)
    );
}

#[test]
fn changed_stored_hash_is_named() {
    let dir = journal();
    let c = attacker(dir.path());
    c.execute("UPDATE events SET hash = zeroblob(32) WHERE seq = 25", [])
        .unwrap();
    assert_eq!(
        first(&check(dir.path())),
        (Some(25), ProblemKind::HashMismatch)
    );
}

#[test]
fn deleted_middle_row_names_the_record_after_the_gap() {
    let dir = journal();
    let c = attacker(dir.path());
    c.execute("DELETE FROM events WHERE seq = 21", []).unwrap();
    let r = check(dir.path());
    assert_eq!(first(&r), (Some(22), ProblemKind::SeqGap));
    assert!(r
        .first_problem
        .unwrap()
        .message
        .contains("seq 21 is missing"));
}

#[test]
fn deleted_newest_rows_are_detected_by_the_tail_marker() {
    let dir = journal();
    let c = attacker(dir.path());
    c.execute("DELETE FROM events WHERE seq > 37", []).unwrap();
    let r = check(dir.path());
    assert_eq!(first(&r), (Some(38), ProblemKind::TailMismatch), "{r:?}");
    assert!(r
        .first_problem
        .unwrap()
        .message
        .contains("tail marker says seq 40 but the journal ends at 37"));
}

#[test]
fn forged_row_appended_is_named() {
    let dir = journal();
    let c = attacker(dir.path());
    let (prev,): (Vec<u8>,) = c
        .query_row("SELECT hash FROM events WHERE seq = 40", [], |r| {
            Ok((r.get(0)?,))
        })
        .unwrap();
    let payload = br#"{"user":"mallory"}"#;
    let ts_ = "2026-11-23T23:59:00.000+01:00";
    let h = record_hash(
        &prev.clone().try_into().unwrap(),
        &RecordFields {
            terminal_id: "T01",
            seq: 41,
            ts: ts_,
            kind: "login",
            payload,
        },
    )
    .unwrap();
    c.execute(
        "INSERT INTO events (terminal_id, seq, ts, kind, payload, prev_hash, hash) VALUES ('T01', 41, ?1, 'login', ?2, ?3, ?4)",
        rusqlite::params![ts_, &payload[..], prev, &h[..]],
    )
    .unwrap();
    assert_eq!(
        first(&check(dir.path())),
        (Some(41), ProblemKind::TailMismatch)
    );
    // Moving the tail marker too does not help without the key.
    c.execute("UPDATE tail SET seq = 41, hash = ?1", [&h[..]])
        .unwrap();
    assert_eq!(
        first(&check(dir.path())),
        (Some(41), ProblemKind::TailSignature)
    );
}

#[test]
fn forged_row_in_the_middle_is_named() {
    // Replace seq 15 by a forged record (delete + insert): the hash or the link names it.
    let dir = journal();
    let c = attacker(dir.path());
    c.execute("DELETE FROM events WHERE seq = 15", []).unwrap();
    let (prev,): (Vec<u8>,) = c
        .query_row("SELECT hash FROM events WHERE seq = 14", [], |r| {
            Ok((r.get(0)?,))
        })
        .unwrap();
    let payload = br#"{"user":"mallory"}"#;
    let ts_ = "2026-11-23T10:00:14.123+01:00";
    let h = record_hash(
        &prev.clone().try_into().unwrap(),
        &RecordFields {
            terminal_id: "T01",
            seq: 15,
            ts: ts_,
            kind: "login",
            payload,
        },
    )
    .unwrap();
    c.execute(
        "INSERT INTO events (terminal_id, seq, ts, kind, payload, prev_hash, hash) VALUES ('T01', 15, ?1, 'login', ?2, ?3, ?4)",
        rusqlite::params![ts_, &payload[..], prev, &h[..]],
    )
    .unwrap();
    assert_eq!(
        first(&check(dir.path())),
        (Some(16), ProblemKind::BrokenLink)
    );
}

#[test]
fn closing_signature_tampering_is_named() {
    let dir = journal();
    let c = attacker(dir.path());
    c.execute(
        "UPDATE events SET signature = zeroblob(64) WHERE seq = 30",
        [],
    )
    .unwrap();
    assert_eq!(
        first(&check(dir.path())),
        (Some(30), ProblemKind::BadSignature)
    );
    c.execute("UPDATE events SET signature = NULL WHERE seq = 30", [])
        .unwrap();
    assert_eq!(
        first(&check(dir.path())),
        (Some(30), ProblemKind::MissingSignature)
    );
}

#[test]
fn tampered_projections_are_named() {
    let dir = journal();
    let c = raw(dir.path());
    c.execute(
        "UPDATE day_totals SET amount = '0' WHERE key = 'net' AND day = '2026-11-23'",
        [],
    )
    .unwrap();
    let r = check(dir.path());
    let p = r.first_problem.clone().unwrap();
    assert_eq!(
        (p.kind, p.projection.as_deref()),
        (ProblemKind::ProjectionMismatch, Some("day_totals")),
        "{r:?}"
    );
    let dir = journal();
    raw(dir.path())
        .execute("DELETE FROM stock_ledger WHERE seq = 10", [])
        .unwrap();
    let p = check(dir.path()).first_problem.unwrap();
    assert_eq!(
        (p.seq, p.projection.as_deref()),
        (Some(10), Some("stock_ledger"))
    );
    let skip = verify(
        db_path(dir.path()),
        VerifyOptions {
            skip_projections: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(skip.ok && !skip.projections_checked);
}

#[test]
fn verifier_is_single_or_multi_threaded_alike() {
    let dir = journal();
    let c = attacker(dir.path());
    c.execute("UPDATE events SET hash = zeroblob(32) WHERE seq = 33", [])
        .unwrap();
    for threads in [1, 2, 3] {
        let r = verify(
            db_path(dir.path()),
            VerifyOptions {
                threads,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(first(&r), (Some(33), ProblemKind::HashMismatch));
    }
}

#[test]
fn verifying_while_the_till_appends_sees_a_consistent_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    drop(open_new(dir.path()));
    let d = dir.path().to_path_buf();
    let writer = std::thread::spawn(move || {
        let j = open_new(&d);
        fill(&j, 150);
    });
    let mut checks = 0;
    while !writer.is_finished() || checks == 0 {
        let r = check(dir.path());
        assert!(r.ok, "{r:?}");
        checks += 1;
    }
    writer.join().unwrap();
    assert!(check(dir.path()).ok);
}
