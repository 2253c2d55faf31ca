//! Files the till may meet in the field: newer, corrupt, read-only, full,
//! and key files with the wrong permissions or contents. Typed errors, no panics,
//! nothing recorded is lost.

mod common;

use common::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use till_journal::{verify, Journal, JournalError, VerifyOptions};

#[test]
fn newer_schema_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    drop(open_new(dir.path()));
    raw(dir.path())
        .execute_batch("PRAGMA user_version = 7")
        .unwrap();
    let e = Journal::open(db_path(dir.path()), opts(dir.path())).unwrap_err();
    assert!(
        matches!(
            e,
            JournalError::NewerSchema {
                found: 7,
                supported: till_journal::schema::SCHEMA_VERSION
            }
        ),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "journal schema version 7 is newer than this till understands (3): upgrade the till software"
    );
    assert!(matches!(
        Journal::open_read_only(db_path(dir.path())),
        Err(JournalError::NewerSchema { .. })
    ));
    assert!(matches!(
        verify(db_path(dir.path()), VerifyOptions::default()),
        Err(JournalError::NewerSchema { .. })
    ));
}

#[test]
fn a_file_that_is_not_a_database_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        db_path(dir.path()),
        b"this is a receipt, not a database\n".repeat(200),
    )
    .unwrap();
    let e = Journal::open(db_path(dir.path()), opts(dir.path())).unwrap_err();
    assert!(matches!(e, JournalError::NotADatabase { .. }), "{e}");
    assert!(matches!(
        verify(db_path(dir.path()), VerifyOptions::default()),
        Err(JournalError::NotADatabase { .. })
    ));
    // Nothing was written over it, and no key was created for it.
    assert!(std::fs::read(db_path(dir.path()))
        .unwrap()
        .starts_with(b"this is a receipt"));
}

#[test]
fn damaged_pages_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    {
        let j = open_new(dir.path());
        fill(&j, 200);
    } // closed: WAL checkpointed into the main file
    let path = db_path(dir.path());
    let len = std::fs::metadata(&path).unwrap().len();
    assert!(len > 16 * 4096, "{len}");
    let mut bytes = std::fs::read(&path).unwrap();
    for b in &mut bytes[8 * 4096..12 * 4096] {
        *b = 0xA5;
    }
    std::fs::write(&path, bytes).unwrap();
    match verify(&path, VerifyOptions::default()) {
        Ok(r) => assert!(!r.ok, "{r:?}"),
        Err(e) => assert!(
            matches!(
                e,
                JournalError::Corrupt { .. } | JournalError::NotADatabase { .. }
            ),
            "{e}"
        ),
    }
    if let Ok(j) = Journal::open(&path, opts(dir.path())) {
        let _ = j.append(ts(10, 0, 0, 0), &login("u1"));
        let _ = j.stock_levels();
    }
}

/// Makes a path unwritable even for root (chattr +i) or, failing that, by
/// permissions; undone on drop. None if neither works here.
struct Unwritable(PathBuf, bool);

impl Unwritable {
    fn new(p: &Path, probe: impl Fn() -> bool) -> Option<Unwritable> {
        let ok = Command::new("chattr")
            .arg("+i")
            .arg(p)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if ok && probe() {
            return Some(Unwritable(p.to_path_buf(), true));
        }
        if ok {
            let _ = Command::new("chattr").arg("-i").arg(p).status();
        }
        use std::os::unix::fs::PermissionsExt;
        let mode = if p.is_dir() { 0o555 } else { 0o444 };
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
        let u = Unwritable(p.to_path_buf(), false);
        if probe() {
            Some(u)
        } else {
            eprintln!("skipping: cannot make {} unwritable here", p.display());
            None
        }
    }
}

impl Drop for Unwritable {
    fn drop(&mut self) {
        if self.1 {
            let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
        }
        use std::os::unix::fs::PermissionsExt;
        let mode = if self.0.is_dir() { 0o755 } else { 0o644 };
        let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(mode));
    }
}

#[test]
fn read_only_file_is_a_typed_error_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    {
        let j = open_new(dir.path());
        fill(&j, 10);
    }
    let path = db_path(dir.path());
    let Some(_guard) = Unwritable::new(&path, || {
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .is_err()
    }) else {
        return;
    };
    let e = Journal::open(&path, opts(dir.path())).unwrap_err();
    assert!(matches!(e, JournalError::ReadOnly { .. }), "{e}");
    // The verifier (read-only) still works on it.
    let r = verify(&path, VerifyOptions::default()).unwrap();
    assert!(r.ok, "{r:?}");
}

#[test]
fn read_only_directory_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("data");
    std::fs::create_dir(&sub).unwrap();
    let probe_path = sub.join("probe");
    let Some(_guard) = Unwritable::new(&sub, || std::fs::File::create(&probe_path).is_err()) else {
        return;
    };
    let mut o = opts(dir.path());
    o.key_path = dir.path().join("k.key");
    let e = Journal::open(sub.join("journal.db"), o).unwrap_err();
    assert!(matches!(e, JournalError::ReadOnly { .. }), "{e}");
    assert!(e.to_string().contains("not writable"), "{e}");
}

#[test]
fn disk_full_rolls_back_and_keeps_everything_committed() {
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    fill(&j, 20);
    let before = j.head().unwrap();
    let pages: u64 = raw(dir.path())
        .query_row("PRAGMA page_count", [], |r| r.get::<_, i64>(0))
        .unwrap() as u64;
    j.set_max_page_count_for_tests(pages).unwrap();
    let mut full = None;
    for i in 0..200 {
        match j.append(ts(12, 0, 0, 0), &five_line_sale(1000 + i, "2026-11-23")) {
            Ok(_) => continue,
            Err(e) => {
                full = Some(e);
                break;
            }
        }
    }
    let e = full.expect("the capped database fills up");
    assert!(matches!(e, JournalError::DiskFull { .. }), "{e}");
    assert!(e.to_string().contains("disk full"), "{e}");
    let (head, _) = j.head().unwrap();
    assert!(head >= before.0);
    // Nothing half-written: the chain, the tail and the projections agree.
    let r = verify(db_path(dir.path()), VerifyOptions::default()).unwrap();
    assert!(r.ok, "{r:?}");
    assert_eq!(r.head_seq, head);
    // The same handle recovers once space is back, gap-free.
    j.set_max_page_count_for_tests(1 << 30).unwrap();
    assert_eq!(
        j.append(ts(12, 1, 0, 0), &login("u1")).unwrap().seq,
        head + 1
    );
    assert!(
        verify(db_path(dir.path()), VerifyOptions::default())
            .unwrap()
            .ok
    );
}

#[test]
fn key_file_is_created_0600_and_reloaded() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    let pk = j.public_key_hex().to_string();
    drop(j);
    let key = dir.path().join("terminal.key");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&key).unwrap();
    assert_eq!(text.trim().len(), 64);
    let j = open_new(dir.path());
    assert_eq!(j.public_key_hex(), pk);
}

#[test]
fn key_file_with_wrong_permissions_or_garbage_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    drop(open_new(dir.path()));
    let key = dir.path().join("terminal.key");
    let good = std::fs::read(&key).unwrap();

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = Journal::open(db_path(dir.path()), opts(dir.path())).unwrap_err();
    assert!(
        matches!(e, JournalError::KeyPermissions { mode: 0o644, .. }),
        "{e}"
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();

    std::fs::File::create(&key)
        .unwrap()
        .write_all(b"not a key at all")
        .unwrap();
    let e = Journal::open(db_path(dir.path()), opts(dir.path())).unwrap_err();
    assert!(matches!(e, JournalError::KeyInvalid { .. }), "{e}");

    // Another valid key: does not match the journal's genesis.
    std::fs::write(&key, format!("{}\n", "42".repeat(32))).unwrap();
    let e = Journal::open(db_path(dir.path()), opts(dir.path())).unwrap_err();
    assert!(matches!(e, JournalError::KeyMismatch { .. }), "{e}");

    std::fs::remove_file(&key).unwrap();
    let e = Journal::open(db_path(dir.path()), opts(dir.path())).unwrap_err();
    assert!(matches!(e, JournalError::KeyMissing { .. }), "{e}");
    assert!(
        !key.exists(),
        "no new key is made up for an existing journal"
    );

    std::fs::write(&key, &good).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    Journal::open(db_path(dir.path()), opts(dir.path())).unwrap();
}

#[test]
fn another_terminals_journal_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(open_new(dir.path()));
    let mut o = opts(dir.path());
    o.terminal_id = "T02".into();
    let e = Journal::open(db_path(dir.path()), o).unwrap_err();
    assert!(matches!(e, JournalError::TerminalMismatch { .. }), "{e}");
}
