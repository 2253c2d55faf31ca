//! Tampering outside the chain: the users projection, meta, the sync cursor,
//! signatures where none belong, and damage to the file's B-trees. Each one
//! passed the verifier before it checked them.

mod common;

use common::*;
use std::collections::BTreeMap;
use till_core::auth::{hash_pin, Role, User};
use till_core::records::ClosingKind;
use till_journal::{verify, ProblemKind, VerifyOptions, VerifyReport};

fn user(id: &str, role: Role, pin: &str) -> User {
    user_with_hash(
        id,
        role,
        hash_pin(pin, format!("salt-of-{id}").as_bytes()).unwrap(),
    )
}

/// 30 records, two users, a closing at seq 20; the journal is closed.
fn journal() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    put_manager_m1(&j);
    j.put_user(
        ts(8, 0, 1, 0),
        "m1",
        "c1",
        &user("c1", Role::Cashier, "1111"),
    )
    .unwrap();
    fill(&j, 16);
    j.close(
        ts(20, 0, 0, 0),
        ClosingKind::Day,
        "2026-11-22",
        "m1",
        BTreeMap::new(),
    )
    .unwrap();
    fill_days(&j, 10, "2026-11-23", "2026-11-24");
    drop(j);
    let r = check(dir.path());
    assert!(r.ok, "{r:?}");
    dir
}

fn check(dir: &std::path::Path) -> VerifyReport {
    verify(db_path(dir), VerifyOptions::default()).unwrap()
}

fn kind(r: &VerifyReport) -> (ProblemKind, Option<String>) {
    assert!(!r.ok, "tampering went unseen");
    let p = r.first_problem.clone().expect("a problem");
    (p.kind, p.projection)
}

fn users_mismatch(r: &VerifyReport) {
    assert_eq!(
        kind(r),
        (ProblemKind::ProjectionMismatch, Some("users".into())),
        "{r:?}"
    );
}

#[test]
fn a_role_edited_in_the_users_table_is_found() {
    let dir = journal();
    let c = raw(dir.path());
    let rec: String = c
        .query_row("SELECT record FROM users WHERE user_id = 'c1'", [], |r| {
            r.get(0)
        })
        .unwrap();
    c.execute(
        "UPDATE users SET record = ?1 WHERE user_id = 'c1'",
        [rec.replace("\"cashier\"", "\"manager\"")],
    )
    .unwrap();
    let r = check(dir.path());
    users_mismatch(&r);
    assert!(r.first_problem.unwrap().message.contains("user c1"));
}

#[test]
fn a_pin_hash_swapped_in_the_users_table_is_found() {
    // The cashier gives the manager's record their own PIN hash.
    let dir = journal();
    let c = raw(dir.path());
    let mine: String = c
        .query_row("SELECT record FROM users WHERE user_id = 'c1'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let mine: User = serde_json::from_str(&mine).unwrap();
    let mut m1 = user("m1", Role::Manager, "0000");
    m1.pin_hash = mine.pin_hash;
    c.execute(
        "UPDATE users SET record = ?1 WHERE user_id = 'm1'",
        [serde_json::to_string(&m1).unwrap()],
    )
    .unwrap();
    users_mismatch(&check(dir.path()));
}

#[test]
fn a_user_added_or_removed_behind_the_journal_is_found() {
    let dir = journal();
    let rec = serde_json::to_string(&user("m9", Role::Manager, "9999")).unwrap();
    raw(dir.path())
        .execute(
            "INSERT INTO users (user_id, record) VALUES ('m9', ?1)",
            [rec],
        )
        .unwrap();
    users_mismatch(&check(dir.path()));

    let dir = journal();
    raw(dir.path())
        .execute("DELETE FROM users WHERE user_id = 'm1'", [])
        .unwrap();
    users_mismatch(&check(dir.path()));
}

#[test]
fn a_removed_user_stays_removed() {
    let dir = journal();
    let j = open_new(dir.path());
    assert!(j.delete_user(ts(21, 0, 0, 0), "m1", "c1").unwrap());
    drop(j);
    assert!(check(dir.path()).ok);
    let rec = serde_json::to_string(&user("c1", Role::Cashier, "1111")).unwrap();
    raw(dir.path())
        .execute(
            "INSERT INTO users (user_id, record) VALUES ('c1', ?1)",
            [rec],
        )
        .unwrap();
    users_mismatch(&check(dir.path()));
}

#[test]
fn meta_edits_are_found() {
    for sql in [
        "UPDATE meta SET value = 'S999' WHERE key = 'shop_id'",
        "UPDATE meta SET value = 'T99' WHERE key = 'terminal_id'",
        "UPDATE meta SET value = '00' WHERE key = 'public_key'",
        "DELETE FROM meta WHERE key = 'shop_id'",
        "INSERT INTO meta (key, value) VALUES ('trusted', 'yes')",
    ] {
        let dir = journal();
        raw(dir.path()).execute(sql, []).unwrap();
        let r = check(dir.path());
        assert_eq!(kind(&r).0, ProblemKind::MetaMismatch, "{sql}: {r:?}");
        // Meta is not a projection: the chain-only check sees it too.
        let r = verify(
            db_path(dir.path()),
            VerifyOptions {
                skip_projections: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(kind(&r).0, ProblemKind::MetaMismatch, "{sql}: {r:?}");
    }
}

#[test]
fn a_sync_cursor_beyond_the_head_or_malformed_is_found() {
    for sql in [
        "UPDATE sync_cursor SET acked_seq = 1000",
        "UPDATE sync_cursor SET acked_seq = -1",
        "UPDATE sync_cursor SET acked_seq = 'all'",
        "DELETE FROM sync_cursor",
    ] {
        let dir = journal();
        raw(dir.path()).execute(sql, []).unwrap();
        let r = check(dir.path());
        assert_eq!(kind(&r).0, ProblemKind::CursorMismatch, "{sql}: {r:?}");
    }
    // Up to the head is what the sync daemon writes.
    let dir = journal();
    let head = open_new(dir.path()).head().unwrap().0;
    raw(dir.path())
        .execute("UPDATE sync_cursor SET acked_seq = ?1", [head as i64])
        .unwrap();
    assert!(check(dir.path()).ok);
}

#[test]
fn a_second_tail_row_is_found() {
    let dir = journal();
    raw(dir.path())
        .execute(
            "INSERT INTO tail SELECT 'T02', seq, hash, signature FROM tail",
            [],
        )
        .unwrap();
    assert_eq!(kind(&check(dir.path())).0, ProblemKind::TailMismatch);
}

#[test]
fn a_signature_on_a_record_that_is_not_a_closing_is_found() {
    let dir = journal();
    let c = raw(dir.path());
    c.execute_batch("DROP TRIGGER events_no_update").unwrap();
    // The closing's own, valid signature, copied onto a sale.
    c.execute(
        "UPDATE events SET signature = (SELECT signature FROM events WHERE kind = 'closing') WHERE seq = 7",
        [],
    )
    .unwrap();
    let r = check(dir.path());
    assert_eq!(kind(&r).0, ProblemKind::UnexpectedSignature, "{r:?}");
    assert_eq!(r.first_problem.unwrap().seq, Some(7));
}

/// xorshift: a fixed sequence of positions, so a failure is reproducible.
fn positions(n: usize, len: u64, mut x: u64) -> Vec<(u64, u8)> {
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % len, 1u8 << (x >> 61))
        })
        .collect()
}

/// What `PRAGMA integrity_check` finds wrong, if anything.
fn integrity_fails(path: &std::path::Path) -> Option<String> {
    let c = match rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    ) {
        Ok(c) => c,
        Err(e) => return Some(e.to_string()),
    };
    let lines: rusqlite::Result<Vec<String>> = c
        .prepare("PRAGMA integrity_check")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect());
    match lines {
        Ok(l) if l.len() == 1 && l[0] == "ok" => None,
        Ok(l) => Some(l.join("; ")),
        Err(e) => Some(e.to_string()),
    }
}

#[test]
fn every_bit_flip_that_damages_the_file_fails_verification() {
    // A journal with several pages of each B-tree and index, checkpointed
    // into the main file (the journal is closed: no WAL left).
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    put_manager_m1(&j);
    fill(&j, 300);
    drop(j);
    let original = std::fs::read(db_path(dir.path())).unwrap();
    assert_eq!(integrity_fails(&db_path(dir.path())), None);
    let (mut damaged, mut flips) = (0, 0);
    let work = tempfile::tempdir().unwrap();
    // Skip the 100-byte header: a flip there makes the file unreadable,
    // which the verifier reports as "could not check" (exit 2) anyway.
    for (i, (at, bit)) in positions(400, original.len() as u64 - 100, 0x9e3779b97f4a7c15)
        .into_iter()
        .enumerate()
    {
        let path = work.path().join(format!("j{i}.db"));
        let mut bytes = original.clone();
        bytes[(at + 100) as usize] ^= bit;
        std::fs::write(&path, &bytes).unwrap();
        flips += 1;
        if let Some(why) = integrity_fails(&path) {
            damaged += 1;
            let outcome = verify(&path, VerifyOptions::default());
            assert!(
                !matches!(&outcome, Ok(r) if r.ok),
                "flip of bit {bit:#04x} at byte {} damages the file ({why}) but verifies",
                at + 100
            );
        }
        let _ = std::fs::remove_file(&path);
    }
    eprintln!(
        "{damaged} of {flips} single-bit flips damaged the file; verification failed on each"
    );
    // Not a vacuous test: some flips damaged the file.
    assert!(damaged >= 5, "{damaged} of {flips} flips damaged the file");
}

/// What `PRAGMA quick_check` finds wrong, if anything.
fn quick_check_fails(path: &std::path::Path) -> bool {
    let c = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    let lines: rusqlite::Result<Vec<String>> = c
        .prepare("PRAGMA quick_check")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect());
    !matches!(lines, Ok(l) if l.len() == 1 && l[0] == "ok")
}

/// Flips bits in `index`'s root page until one changes an entry without
/// breaking any B-tree (quick_check passes, integrity_check does not): the
/// verifier must name that index as damaged.
fn an_entry_flip_in(dir: &std::path::Path, index: &str) {
    let path = db_path(dir);
    let original = std::fs::read(&path).unwrap();
    let root: i64 = raw(dir)
        .query_row(
            "SELECT rootpage FROM sqlite_schema WHERE name = ?1",
            [index],
            |r| r.get(0),
        )
        .unwrap();
    let page = (root as usize - 1) * 4096;
    let mut found = false;
    // The page's cell content, from the end backwards: the flips that
    // change a key without breaking the page's structure.
    for at in (page + 12..page + 4096).rev() {
        let mut bytes = original.clone();
        bytes[at] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        if quick_check_fails(&path) || integrity_fails(&path).is_none() {
            continue;
        }
        let r = verify(&path, VerifyOptions::default()).unwrap();
        assert!(!r.ok, "{index}: flip at byte {at} verifies");
        let p = r.first_problem.unwrap();
        assert_eq!(p.kind, ProblemKind::DamagedFile, "{index}: {p:?}");
        assert!(p.message.contains(index), "{index}: {}", p.message);
        found = true;
        break;
    }
    assert!(
        found,
        "no flip in {index}'s root page passes quick_check alone"
    );
    std::fs::write(&path, &original).unwrap();
    assert!(verify(&path, VerifyOptions::default()).unwrap().ok);
}

#[test]
fn an_index_entry_changed_behind_its_table_is_found() {
    // The verifier does not run integrity_check's look-up of every row in
    // every index: it compares digests of the big indexes with digests of
    // their tables. A flip that leaves every B-tree well formed, so that
    // quick_check passes, but changes an index entry must still fail.
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    fill(&j, 300);
    drop(j);
    // Since schema 3 the ledger has no index of its own.
    let indexes: Vec<String> = raw(dir.path())
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'stock_ledger'",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(indexes.is_empty(), "{indexes:?}");
    an_entry_flip_in(dir.path(), "sqlite_autoindex_events_1");
    // A journal of schema 2, verified as it is (read-only, not migrated):
    // its ledger's by-item index is compared too.
    to_schema_2(dir.path());
    assert!(check(dir.path()).ok);
    for index in ["stock_ledger_item", "sqlite_autoindex_events_1"] {
        an_entry_flip_in(dir.path(), index);
    }
}
