//! Files and PINs at rest: the journal and its WAL and shared-memory files are
//! readable by their owner only, PIN hashes are peppered with a secret kept
//! beside the signing key, and repeated wrong PINs lock a user out, journaled.

mod common;

use common::*;
use std::os::unix::fs::PermissionsExt;
use till_core::auth::{
    hash_pin, hash_pin_peppered, verify_pin, verify_pin_peppered, Role, User, MAX_PIN_FAILURES,
};
use till_core::records::Event;
use till_journal::{keys, verify, Journal, JournalError, PinFailures, VerifyOptions};

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn with_suffix(p: &std::path::Path, s: &str) -> std::path::PathBuf {
    let mut o = p.as_os_str().to_owned();
    o.push(s);
    o.into()
}

#[test]
fn the_journal_its_wal_and_shm_are_created_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    fill(&j, 3);
    let db = db_path(dir.path());
    for p in [
        db.clone(),
        with_suffix(&db, "-wal"),
        with_suffix(&db, "-shm"),
    ] {
        assert!(p.exists(), "{}", p.display());
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
    assert_eq!(mode(&dir.path().join("terminal.key")), 0o600);
    assert_eq!(
        mode(&keys::pepper_path(&dir.path().join("terminal.key"))),
        0o600
    );
}

#[test]
fn a_journal_left_readable_by_others_is_narrowed_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    fill(&j, 3);
    let db = db_path(dir.path());
    let files = [
        db.clone(),
        with_suffix(&db, "-wal"),
        with_suffix(&db, "-shm"),
    ];
    for p in &files {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    drop(j);
    let j = open_new(dir.path());
    fill(&j, 1);
    for p in &files {
        assert_eq!(mode(p), 0o600, "{}", p.display());
    }
}

#[test]
fn pin_hashes_are_peppered_with_a_secret_beside_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    let pepper = j
        .pin_pepper()
        .expect("a read-write journal has the pepper")
        .clone();
    let u = user_with_hash(
        "c1",
        Role::Cashier,
        hash_pin_peppered("1111", b"salt-of-c1", &pepper).unwrap(),
    );
    j.put_user(ts(8, 0, 0, 0), "setup", "c1", &u).unwrap();
    // The same pepper at the next open.
    drop(j);
    let j = open_new(dir.path());
    assert_eq!(j.pin_pepper(), Some(&pepper));
    let stored: User = j.get_user("c1").unwrap().unwrap();
    assert!(verify_pin_peppered(&stored, "1111", j.pin_pepper()));
    // The journal copied alone: no PIN of the 10,000 matches without the pepper.
    let ro = till_journal::Journal::open_read_only(db_path(dir.path())).unwrap();
    assert_eq!(ro.pin_pepper(), None);
    let copied: User = ro.get_user("c1").unwrap().unwrap();
    assert!(!verify_pin(&copied, "1111"));
    assert!(!verify_pin_peppered(
        &copied,
        "1111",
        Some(&till_core::auth::Pepper::from_bytes([0; 32]))
    ));
    // Hashes from before the pepper still verify, with it at hand.
    let old = user_with_hash(
        "c2",
        Role::Cashier,
        hash_pin("2222", b"salt-of-c2").unwrap(),
    );
    j.put_user(ts(8, 0, 1, 0), "setup", "c2", &old).unwrap();
    let stored: User = j.get_user("c2").unwrap().unwrap();
    assert!(verify_pin_peppered(&stored, "2222", j.pin_pepper()));
    assert!(
        verify(db_path(dir.path()), VerifyOptions::default())
            .unwrap()
            .ok
    );
}

#[test]
fn a_lost_pepper_is_an_error_once_pins_depend_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    let pepper_file = keys::pepper_path(&dir.path().join("terminal.key"));
    // No peppered hash yet: a missing pepper is simply created.
    drop(j);
    std::fs::remove_file(&pepper_file).unwrap();
    let j = open_new(dir.path());
    let pepper = j.pin_pepper().unwrap().clone();
    let u = user_with_hash(
        "c1",
        Role::Cashier,
        hash_pin_peppered("1111", b"salt-of-c1", &pepper).unwrap(),
    );
    j.put_user(ts(8, 0, 0, 0), "setup", "c1", &u).unwrap();
    drop(j);
    std::fs::remove_file(&pepper_file).unwrap();
    let err = till_journal::Journal::open(db_path(dir.path()), opts(dir.path())).unwrap_err();
    assert!(matches!(err, JournalError::PepperMissing { .. }), "{err}");
    assert!(err.to_string().contains("restore it"), "{err}");
    // A pepper file others can read is refused, like the key.
    std::fs::write(&pepper_file, format!("{}\n", "ab".repeat(32))).unwrap();
    std::fs::set_permissions(&pepper_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = till_journal::Journal::open(db_path(dir.path()), opts(dir.path())).unwrap_err();
    assert!(matches!(err, JournalError::KeyPermissions { .. }), "{err}");
}

#[test]
fn five_wrong_pins_lock_a_user_out_journaled_and_a_new_pin_lifts_it() {
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    let pepper = j.pin_pepper().unwrap().clone();
    let m1 = user_with_hash(
        "m1",
        Role::Manager,
        hash_pin_peppered("3333", b"salt-of-m1", &pepper).unwrap(),
    );
    j.put_user(ts(8, 0, 0, 0), "setup", "m1", &m1).unwrap();
    assert_unlocked(&j, "m1");
    assert_eq!(
        j.record_pin_failure(ts(8, 1, 0, 0), "nobody").unwrap(),
        None
    );
    // A right PIN in between starts the count over.
    j.record_pin_failure(ts(8, 1, 0, 0), "m1").unwrap();
    j.clear_pin_failures(ts(8, 1, 1, 0), "m1").unwrap();
    assert_eq!(j.pin_failures("m1").unwrap().unwrap().failures, 0);
    let head = j.head().unwrap().0;
    for n in 1..=MAX_PIN_FAILURES {
        let f = j.record_pin_failure(ts(8, 2, n, 0), "m1").unwrap().unwrap();
        assert_eq!(
            f,
            PinFailures {
                failures: n,
                locked: n == MAX_PIN_FAILURES
            }
        );
    }
    // Each failure and the lock-out are in the chain.
    let last = j
        .event(head + u64::from(MAX_PIN_FAILURES))
        .unwrap()
        .unwrap();
    let Event::ConfigChanged(c) = last.decode().unwrap() else {
        panic!("expected config_changed")
    };
    assert_eq!((c.key.as_str(), c.by.as_str()), ("user:m1", "pin-check"));
    assert!(c.new_value.unwrap().contains("\"locked\":true"));
    // A right PIN does not lift the lock.
    j.clear_pin_failures(ts(8, 3, 0, 0), "m1").unwrap();
    assert!(j.pin_failures("m1").unwrap().unwrap().locked);
    // The user record still reads as a User (the lock fields are extra).
    let _: User = j.get_user("m1").unwrap().unwrap();
    assert!(
        verify(db_path(dir.path()), VerifyOptions::default())
            .unwrap()
            .ok
    );
    // Forging the lock away behind the journal is seen.
    let c = raw(dir.path());
    let rec: String = c
        .query_row("SELECT record FROM users WHERE user_id = 'm1'", [], |r| {
            r.get(0)
        })
        .unwrap();
    c.execute(
        "UPDATE users SET record = ?1 WHERE user_id = 'm1'",
        [rec.replace(",\"locked\":true", "")],
    )
    .unwrap();
    assert!(
        !verify(db_path(dir.path()), VerifyOptions::default())
            .unwrap()
            .ok
    );
    c.execute("UPDATE users SET record = ?1 WHERE user_id = 'm1'", [rec])
        .unwrap();
    // A manager (here: a new record) setting a new PIN lifts it.
    let reset = user_with_hash(
        "m1",
        Role::Manager,
        hash_pin_peppered("3434", b"salt-of-m1b", &pepper).unwrap(),
    );
    j.put_user(ts(9, 0, 0, 0), "m2", "m1", &reset).unwrap();
    assert_unlocked(&j, "m1");
    assert!(
        verify(db_path(dir.path()), VerifyOptions::default())
            .unwrap()
            .ok
    );
}

/// No wrong PIN counted against `id`, and not locked out.
fn assert_unlocked(j: &Journal, id: &str) {
    assert_eq!(
        j.pin_failures(id).unwrap(),
        Some(PinFailures {
            failures: 0,
            locked: false
        })
    );
}
