//! `till users set|remove` as an attacker at the keyboard would try them: the
//! acting manager must exist, be a manager or the technician, and prove it
//! with their PIN; a PIN belongs to one user; wrong PINs lock out; and an
//! edited users table makes `till journal verify` fail.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn till(args: &[&str], db: &Path, stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_till"))
        .args(args)
        .arg("--db")
        .arg(db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running till");
    // The command may stop reading early (a refusal): a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn set(db: &Path, id: &str, role: &str, by: &str, stdin: &str) -> Output {
    till(
        &[
            "users", "set", "--id", id, "--name", "Lou", "--role", role, "--by", by,
        ],
        db,
        stdin,
    )
}

fn roles(db: &Path) -> serde_json::Value {
    let o = till(&["users", "list", "--json"], db, "");
    assert!(o.status.success(), "{}", text(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn role_of(db: &Path, id: &str) -> Option<String> {
    roles(db)
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == id)
        .map(|u| u["role"].as_str().unwrap().to_string())
}

/// A journal with the demo users: c1 cashier 1111, s1 supervisor 2222,
/// m1 manager 3333, t1 technician 4444.
fn demo() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("journal.db");
    let o = till(&["simulate", "--sales", "3", "--quiet"], &db, "");
    assert!(o.status.success(), "{}", text(&o));
    (dir, db)
}

#[test]
fn the_acting_manager_must_exist_and_prove_it() {
    let (_d, db) = demo();
    // Unknown --by: refused, nothing recorded.
    let o = set(&db, "m9", "manager", "zz", "9999\n0000\n");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--by zz: no such user"), "{}", text(&o));
    // A cashier, even with their own right PIN, cannot create a manager.
    let o = set(&db, "m9", "manager", "c1", "9999\n1111\n");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("a cashier may not manage users"),
        "{}",
        text(&o)
    );
    // A manager without their PIN, or with a wrong one.
    let o = set(&db, "m9", "manager", "m1", "9999\n");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("PIN of m1"), "{}", text(&o));
    let o = set(&db, "m9", "manager", "m1", "9999\n3334\n");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("wrong PIN for m1"), "{}", text(&o));
    assert_eq!(role_of(&db, "m9"), None);
    // Removing m1 without a PIN, or as a cashier: refused.
    let o = till(
        &["users", "remove", "--id", "m1", "--by", "c1"],
        &db,
        "1111\n",
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = till(&["users", "remove", "--id", "m1", "--by", "m1"], &db, "");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(role_of(&db, "m1").as_deref(), Some("manager"));
    // The manager, and the technician, with their PINs.
    let o = set(&db, "m9", "manager", "m1", "9999\n3333\n");
    assert!(o.status.success(), "{}", text(&o));
    let o = set(&db, "c8", "cashier", "t1", "8888\n4444\n");
    assert!(o.status.success(), "{}", text(&o));
    let o = till(
        &["users", "remove", "--id", "c8", "--by", "m9"],
        &db,
        "9999\n",
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(role_of(&db, "c8"), None);
    let o = till(&["journal", "verify"], &db, "");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn a_pin_already_held_by_another_user_is_refused() {
    let (_d, db) = demo();
    // 1111 is the cashier c1's.
    let o = set(&db, "c9", "cashier", "m1", "1111\n3333\n");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("already another user's"), "{}", text(&o));
    // A user may keep their own PIN when their role changes.
    let o = set(&db, "c1", "supervisor", "m1", "1111\n3333\n");
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn the_help_and_the_error_state_the_same_pin_rule() {
    let (_d, db) = demo();
    let help = Command::new(env!("CARGO_BIN_EXE_till"))
        .args(["users", "set", "--help"])
        .output()
        .unwrap();
    let help = text(&help);
    assert!(help.contains("4 to 32 digits"), "{help}");
    for bad in ["12", "12a4", "123456789012345678901234567890123"] {
        let o = set(&db, "c9", "cashier", "m1", &format!("{bad}\n3333\n"));
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(
            text(&o).contains("a PIN is 4 to 32 digits"),
            "{bad}: {}",
            text(&o)
        );
    }
}

#[test]
fn five_wrong_pins_lock_the_acting_manager_out_until_a_new_pin_is_set() {
    let (_d, db) = demo();
    for n in 1..=5 {
        let o = set(&db, "c9", "cashier", "m1", "9876\n0000\n");
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        if n == 5 {
            assert!(text(&o).contains("locked out"), "{}", text(&o));
        }
    }
    // Locked: even the right PIN is refused now, and the list says so.
    let o = set(&db, "c9", "cashier", "m1", "9876\n3333\n");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("m1 is locked out"), "{}", text(&o));
    let v = roles(&db);
    let m1 = v
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == "m1")
        .unwrap();
    assert_eq!(m1["locked"], true);
    // The lock-out is in the chain, which still verifies.
    let j = till_journal::Journal::open_read_only(&db).unwrap();
    let locks = j
        .events_after(0, 100_000)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "config_changed")
        .filter(|e| String::from_utf8_lossy(&e.payload).contains("\\\"locked\\\":true"))
        .count();
    assert_eq!(locks, 1);
    drop(j);
    let o = till(&["journal", "verify"], &db, "");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // The technician sets m1 a new PIN: the lock is lifted.
    let o = till(
        &[
            "users", "set", "--id", "m1", "--name", "Morgane", "--role", "manager", "--by", "t1",
        ],
        &db,
        "3535\n4444\n",
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = set(&db, "c9", "cashier", "m1", "9876\n3535\n");
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn the_first_manager_of_a_new_till_comes_from_setup_and_only_then() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("journal.db");
    // A new till: the journal exists, no users.
    let o = till(&["simulate", "--sales", "1", "--quiet"], &db, "");
    assert!(o.status.success(), "{}", text(&o));
    let c = rusqlite::Connection::open(&db).unwrap();
    let before: i64 = c
        .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
        .unwrap();
    assert!(before > 0, "simulate creates the demo users");
    drop(c);
    // With a manager present, setup is refused.
    let o = set(&db, "m9", "manager", "setup", "9999\n");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("only creates the first manager"),
        "{}",
        text(&o)
    );

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("journal.db");
    till_journal::Journal::open(
        &db,
        till_journal::OpenOptions {
            terminal_id: "T01".into(),
            shop_id: "SHOP01".into(),
            key_path: dir.path().join("journal.db.key"),
            software_version: "test".into(),
        },
    )
    .unwrap();
    let o = set(&db, "c1", "cashier", "setup", "1111\n");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--role manager"), "{}", text(&o));
    let o = set(&db, "m1", "manager", "setup", "3333\n");
    assert!(o.status.success(), "{}", text(&o));
    let o = set(&db, "m2", "manager", "setup", "3434\n");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = set(&db, "c1", "cashier", "m1", "1111\n3333\n");
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn a_role_edited_in_the_file_makes_verify_fail() {
    let (_d, db) = demo();
    let c = rusqlite::Connection::open(&db).unwrap();
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
    drop(c);
    assert_eq!(role_of(&db, "c1").as_deref(), Some("manager"));
    let o = till(&["journal", "verify"], &db, "");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("user c1"), "{}", text(&o));
}
