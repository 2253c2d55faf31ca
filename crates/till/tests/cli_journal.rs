//! `till simulate` and `till journal verify|rebuild|report` as a user runs them:
//! the real binary, a real journal file, the documented exit codes.

use std::path::Path;
use std::process::{Command, Output};

fn till(args: &[&str], db: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_till"))
        .args(args)
        .arg("--db")
        .arg(db)
        .output()
        .expect("running till")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn simulate_verify_tamper_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("journal.db");

    let o = till(
        &["simulate", "--sales", "120", "--days", "2", "--seed", "3"],
        &db,
    );
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("journal intact"), "{out}");
    assert!(out.contains("TICKET Z"), "{out}");
    assert!(out.contains("simulated 120 sales"), "{out}");

    let o = till(&["journal", "verify"], &db);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    let o = till(&["journal", "verify", "--json"], &db);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ok"], true);
    let head = v["head_seq"].as_u64().unwrap();
    assert!(head > 120);

    let o = till(&["journal", "report", "--day", "2026-01-06"], &db);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("TICKET Z"), "{}", text(&o));
    let o = till(&["journal", "report", "--month", "2026-01"], &db);
    assert!(o.status.success(), "{}", text(&o));

    let o = till(&["journal", "rebuild"], &db);
    assert!(o.status.success(), "{}", text(&o));
    let o = till(&["journal", "verify"], &db);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // A reprinted Z shows what was signed, even after more trading.
    let z1 = till(&["journal", "report", "--day", "2026-01-05"], &db);
    let o = till(
        &["simulate", "--sales", "30", "--seed", "4", "--quiet"],
        &db,
    );
    assert!(o.status.success(), "{}", text(&o));
    let z1_again = till(&["journal", "report", "--day", "2026-01-05"], &db);
    assert_eq!(text(&z1), text(&z1_again));
    assert!(text(&z1).contains("Clôture signée"), "{}", text(&z1));

    // An attacker drops the triggers and edits one sale's payload.
    let tampered;
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute_batch(
            "DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;",
        )
        .unwrap();
        let triggers: Vec<String> = c
            .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        for t in triggers {
            c.execute_batch(&format!("DROP TRIGGER {t}")).unwrap();
        }
        let seq: i64 = c
            .query_row(
                "SELECT min(seq) FROM events WHERE kind = 'sale_completed' AND seq > 50 \
                 AND CAST(payload AS TEXT) LIKE '%\"quantity\":\"1\"%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let n = c
            .execute(
                "UPDATE events SET payload = CAST(replace(CAST(payload AS TEXT), '\"quantity\":\"1\"', '\"quantity\":\"9\"') AS BLOB) \
                 WHERE seq = ?1",
                [seq],
            )
            .unwrap();
        assert_eq!(n, 1);
        tampered = seq as u64;
    }
    let o = till(&["journal", "verify", "--json"], &db);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["first_problem"]["seq"].as_u64(), Some(tampered), "{v}");
    let o = till(&["journal", "verify"], &db);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("TAMPERED"), "{}", text(&o));

    // Not a journal at all: could not check.
    let junk = dir.path().join("junk.db");
    std::fs::write(
        &junk,
        b"this is not a database, just some bytes that pretend",
    )
    .unwrap();
    let o = till(&["journal", "verify"], &junk);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = till(&["journal", "verify"], &dir.path().join("missing.db"));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn users_are_managed_from_the_command_line_and_journaled() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("journal.db");
    let o = till(&["simulate", "--sales", "5", "--quiet"], &db);
    assert!(o.status.success(), "{}", text(&o));
    let set = |pin: &str, role: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_till"))
            .args([
                "users", "set", "--id", "c9", "--name", "Lou", "--role", role, "--by", "m1", "--db",
            ])
            .arg(&db)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            // The new PIN, then the acting manager's (m1, demo PIN 3333).
            .write_all(format!("{pin}\n3333\n").as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let o = set("12", "cashier");
    assert_eq!(
        o.status.code(),
        Some(2),
        "a 2-digit PIN is refused: {}",
        text(&o)
    );
    let o = set("9876", "cashier");
    assert!(o.status.success(), "{}", text(&o));
    let o = set("9876", "supervisor");
    assert!(o.status.success(), "{}", text(&o));

    let o = till(&["users", "list", "--json"], &db);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let lou = v
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == "c9")
        .unwrap()
        .clone();
    assert_eq!(lou["role"], "supervisor");
    assert!(
        !String::from_utf8_lossy(&o.stdout).contains("argon2"),
        "no PIN hash listed"
    );

    let j = till_journal::Journal::open_read_only(&db).unwrap();
    let changes: Vec<_> = j
        .events_after(0, 100_000)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "config_changed")
        .map(|e| String::from_utf8_lossy(&e.payload).to_string())
        .filter(|p| p.contains("user:c9"))
        .collect();
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert!(changes[1].contains("supervisor") && changes[1].contains("\"by\":\"m1\""));
    assert!(
        !changes.iter().any(|c| c.contains("argon2")),
        "PIN hashes stay out of the chain"
    );
    drop(j);

    let remove = || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_till"))
            .args(["users", "remove", "--id", "c9", "--by", "m1", "--db"])
            .arg(&db)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(b"3333\n").unwrap();
        child.wait_with_output().unwrap()
    };
    let o = remove();
    assert!(o.status.success(), "{}", text(&o));
    let o = remove();
    assert_eq!(o.status.code(), Some(1));
    let o = till(&["journal", "verify"], &db);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}
