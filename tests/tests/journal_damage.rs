//! `till-sync once` never says "delivered" while the journal holds events
//! head office has not acknowledged: a journal whose index hides rows (a
//! damaged file) or whose cursor is past its end (an edited or replaced
//! file) is an error with a non-zero exit, and `status` shows it.

use comptoir_e2e::system::*;
use serde_json::Value;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Not a test: the entry point of the head office child process.
#[test]
fn headoffice_child() {
    maybe_serve_child();
}

const SALES: u64 = 300;

/// Makes the journal's primary-key index hold only the rows `keep` selects
/// (an SQL condition on `seq`), as a damaged index would: the rows stay in
/// the table. Done by pointing the index at the b-tree of a decoy table's
/// index built from those rows only.
fn index_only(journal: &Path, keep: &str) {
    let c = rusqlite::Connection::open(journal).expect("open journal");
    c.execute_batch(&format!(
        "CREATE TABLE decoy (terminal_id TEXT NOT NULL, seq INTEGER NOT NULL, ts TEXT NOT NULL,
             kind TEXT NOT NULL, payload BLOB NOT NULL, prev_hash BLOB NOT NULL, hash BLOB NOT NULL,
             signature BLOB, PRIMARY KEY (terminal_id, seq));
         INSERT INTO decoy (rowid, terminal_id, seq, ts, kind, payload, prev_hash, hash, signature)
             SELECT rowid, terminal_id, seq, ts, kind, payload, prev_hash, hash, signature
             FROM events WHERE {keep};"
    ))
    .expect("decoy");
    let root = |name: &str| -> i64 {
        c.query_row(
            "SELECT rootpage FROM sqlite_schema WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .expect("rootpage")
    };
    let (ev, de) = (
        root("sqlite_autoindex_events_1"),
        root("sqlite_autoindex_decoy_1"),
    );
    c.execute_batch("PRAGMA writable_schema = ON")
        .expect("writable_schema");
    for (name, page) in [
        ("sqlite_autoindex_events_1", de),
        ("sqlite_autoindex_decoy_1", ev),
    ] {
        c.execute(
            "UPDATE sqlite_schema SET rootpage = ?2 WHERE name = ?1",
            rusqlite::params![name, page],
        )
        .expect("swap index");
    }
    c.execute_batch("PRAGMA writable_schema = OFF")
        .expect("writable_schema");
}

/// `till-sync once`, killed if it runs longer than `limit`: (exit code or
/// None if killed, everything printed).
fn once_within(config: &Path, limit: Duration) -> (Option<i32>, String) {
    let dir = config.parent().expect("config dir");
    let (out, err) = (dir.join("once.out"), dir.join("once.err"));
    let mut child = till_sync()
        .arg("--config")
        .arg(config)
        .arg("once")
        .stdout(std::fs::File::create(&out).expect("out"))
        .stderr(std::fs::File::create(&err).expect("err"))
        .stdin(Stdio::null())
        .spawn()
        .expect("till-sync once");
    let deadline = Instant::now() + limit;
    let code = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let text = format!(
        "{}{}",
        std::fs::read_to_string(out).unwrap_or_default(),
        std::fs::read_to_string(err).unwrap_or_default()
    );
    (code, text)
}

/// `till-sync status --json` and in words: (exit code, JSON, words).
fn status(config: &Path) -> (i32, Value, String) {
    let run = |json: bool| {
        let mut c = till_sync();
        c.arg("--config").arg(config).arg("status");
        if json {
            c.arg("--json");
        }
        c.output().expect("till-sync status")
    };
    let j = run(true);
    let w = run(false);
    let v = serde_json::from_slice(&j.stdout).unwrap_or(Value::Null);
    (
        w.status.code().unwrap_or(-1),
        v,
        String::from_utf8_lossy(&w.stdout).to_string(),
    )
}

fn ho_holds(db: &str) -> u64 {
    headoffice::store::open(db)
        .expect("store")
        .terminals()
        .expect("terminals")[0]
        .last_seq
}

struct Till {
    dir: tempfile::TempDir,
    journal: std::path::PathBuf,
    db: String,
    token: String,
    ho: HeadOfficeProc,
}

fn till() -> Till {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = journal(dir.path(), "T01", "S1", SALES, 21);
    let db = format!("sqlite:{}", dir.path().join("ho.db").display());
    let token = register(&db, "S1", "T01");
    let ho = HeadOfficeProc::start(dir.path(), &db, "127.0.0.1:0");
    Till {
        dir,
        journal,
        db,
        token,
        ho,
    }
}

/// The index ends 162 events before the table does: a pass sends what the
/// index shows, then must not call the rest delivered.
#[test]
fn an_index_hiding_the_newest_events_is_not_delivered() {
    let t = till();
    let head = journal_head(&t.journal);
    let shown = head - 162;
    index_only(&t.journal, &format!("seq <= {shown}"));
    let cfg = sync_config(t.dir.path(), &t.ho.url(), &t.token, &t.journal, "");
    let (code, out) = once_within(&cfg, Duration::from_secs(60));
    assert_eq!(code, Some(1), "{out}");
    assert!(out.starts_with("NOT delivered: "), "{out}");
    assert!(out.contains("journal is damaged"), "{out}");
    assert!(
        out.contains(&format!("up to seq {head}")) && out.contains("162 events"),
        "{out}"
    );
    assert_eq!(ho_holds(&t.db), shown, "what the index showed was sent");
    let (code, v, words) = status(&cfg);
    assert_eq!(code, 1, "{words}");
    assert_eq!(v["waiting"], 162, "{v}");
    assert!(
        v["problem"].as_str().unwrap_or("").contains("damaged"),
        "{v}"
    );
    assert!(words.contains("PROBLEM: the journal is damaged"), "{words}");
}

/// Rows 100 to 150 missing from the index: head office answers a gap at 100
/// for ever; the daemon stops with an error instead of resending in a loop.
#[test]
fn an_index_missing_events_midway_stops_with_an_error() {
    let t = till();
    index_only(&t.journal, "seq < 100 OR seq > 150");
    let cfg = sync_config(
        t.dir.path(),
        &t.ho.url(),
        &t.token,
        &t.journal,
        "batch_events = 99\n",
    );
    let (code, out) = once_within(&cfg, Duration::from_secs(30));
    assert_eq!(code, Some(1), "ended, not delivered: {out}");
    assert!(
        out.contains("seq 100 is missing from the journal's index"),
        "{out}"
    );
    assert_eq!(ho_holds(&t.db), 99);
}

/// Everything delivered, then the cursor is moved 162 past the journal's
/// end (an edited file): the events the till records next would be
/// skipped. Not "delivered".
#[test]
fn a_cursor_past_the_journal_end_is_not_delivered() {
    let t = till();
    let cfg = sync_config(t.dir.path(), &t.ho.url(), &t.token, &t.journal, "");
    let (code, out) = once(&cfg);
    assert_eq!(code, 0, "{out}");
    let head = journal_head(&t.journal);
    rusqlite::Connection::open(&t.journal)
        .expect("journal")
        .execute(
            "UPDATE sync_cursor SET acked_seq = ?1 WHERE id = 1",
            [head as i64 + 162],
        )
        .expect("edit the cursor");
    let (code, out) = once_within(&cfg, Duration::from_secs(60));
    assert_eq!(code, Some(1), "{out}");
    assert!(out.starts_with("NOT delivered: "), "{out}");
    assert!(
        out.contains(&format!(
            "acknowledged up to seq {}, but the journal ends at seq {head}",
            head + 162
        )),
        "{out}"
    );
    let (code, v, words) = status(&cfg);
    assert_eq!(code, 1, "{words}");
    assert!(
        v["problem"].as_str().unwrap_or("").contains("cursor"),
        "{v}"
    );
    assert!(words.contains("PROBLEM: the sync cursor"), "{words}");
    // The last error is kept for the till's screen and for `status`.
    assert!(
        v["last_error"]
            .as_str()
            .unwrap_or("")
            .contains("sync cursor"),
        "{v}"
    );
}
