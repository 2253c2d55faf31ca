//! What `till-sync` says when something is wrong: a refused token as such,
//! each error once, numbers of sync.toml outside their range refused by
//! name (never a panic), and "1 event".

mod common;

use common::*;
use std::path::Path;
use till_core::records::{ConfigChanged, Event};
use till_journal::{Journal, OpenOptions};

/// Not a test: the entry point of the head office child process.
#[test]
fn headoffice_child() {
    maybe_serve_child();
}

/// (exit code, stdout, stderr) of `till-sync --config CONFIG ARGS`.
fn run(config: &Path, args: &[&str]) -> (i32, String, String) {
    let out = till_sync()
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .expect("running till-sync");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// Every numeric key, with values that are negative, not a number,
/// infinite, zero where zero means nothing, or absurdly large (1e300 s
/// panicked in `Duration::from_secs_f64`).
#[test]
fn numbers_out_of_range_in_sync_toml_are_refused_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seconds = ["-1.0", "0.0", "0", "nan", "inf", "-inf", "1e300", "1e12"];
    let whole = ["-1", "0", "1e300", "12.5", "nan", "10000000000000"];
    let cases = [
        ("request_timeout_seconds", &seconds[..]),
        ("backoff_base_seconds", &seconds[..]),
        ("backoff_cap_seconds", &seconds[..]),
        ("poll_seconds", &seconds[..]),
        ("catalog_seconds", &seconds[..]),
        ("batch_events", &whole[..]),
        ("batch_bytes", &whole[..]),
        ("once_attempts", &whole[..]),
    ];
    let cfg = dir.path().join("sync.toml");
    for (key, values) in cases {
        for value in values {
            std::fs::write(
                &cfg,
                format!(
                    "head_office = \"http://127.0.0.1:9\"\ntoken = \"t\"\njournal = \"{}\"\n{key} = {value}\n",
                    dir.path().join("journal.db").display()
                ),
            )
            .expect("write config");
            let (code, out, err) = run(&cfg, &["once"]);
            let said = format!("{key} = {value}: exit {code}\n{out}{err}");
            assert_eq!(code, 2, "{said}");
            assert!(!err.contains("panicked"), "{said}");
            assert!(
                err.contains(&format!("{key} = ")) && err.contains(" is refused: "),
                "the key is named: {said}"
            );
            assert!(
                err.contains(" from ") && err.contains(" to "),
                "the range: {said}"
            );
        }
    }
    // The cap below the base means nothing either.
    std::fs::write(
        &cfg,
        "head_office = \"http://127.0.0.1:9\"\ntoken = \"t\"\njournal = \"j.db\"\nbackoff_base_seconds = 5\nbackoff_cap_seconds = 1\n",
    )
    .expect("write config");
    let (code, _, err) = run(&cfg, &["once"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("backoff_cap_seconds = 1 is refused: at least backoff_base_seconds"),
        "{err}"
    );
}

/// A missing file is said once, not "reading X: reading X: …: …".
#[test]
fn errors_are_said_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nowhere.toml");
    let (code, _, err) = run(&missing, &["once"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err.matches(&format!("reading {}", missing.display()))
            .count(),
        1,
        "{err}"
    );
    assert_eq!(err.matches("No such file").count(), 1, "{err}");

    // A journal that is not there: "cannot open journal database" once.
    let cfg = dir.path().join("no-journal.toml");
    std::fs::write(
        &cfg,
        format!(
            "head_office = \"http://127.0.0.1:9\"\ntoken = \"t\"\njournal = \"{}\"\n",
            dir.path().join("none/journal.db").display()
        ),
    )
    .expect("config");
    for args in [&["once"][..], &["status"][..]] {
        let (code, _, err) = run(&cfg, args);
        assert_eq!(code, 2, "{err}");
        assert_eq!(
            err.matches("cannot open journal database").count(),
            1,
            "{err}"
        );
    }

    let journal = journal(dir.path(), "T01", "S1", 20, 3);
    let token_file = dir.path().join("sync.token");
    let cfg = dir.path().join("sync.toml");
    std::fs::write(
        &cfg,
        format!(
            "head_office = \"http://127.0.0.1:9\"\ntoken_file = \"{}\"\njournal = \"{}\"\n",
            token_file.display(),
            journal.display()
        ),
    )
    .expect("config");
    let (code, _, err) = run(&cfg, &["once"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err.matches(&format!("reading {}", token_file.display()))
            .count(),
        1,
        "{err}"
    );
    assert_eq!(err.matches("No such file").count(), 1, "{err}");
}

fn assert_token_refused(out: &str) {
    assert!(out.contains("refuses this till's token (HTTP 401"), "{out}");
    assert!(
        out.contains("token_file") && out.contains("register-terminal"),
        "{out}"
    );
    assert!(!out.contains("unreachable"), "{out}");
}

/// HTTP 401 is a refused token, to fix by hand, not "head office
/// unreachable or failing" retried with backoff: on a push, and on the
/// catalog pull when nothing is left to push.
#[test]
fn a_refused_token_is_said_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = journal(dir.path(), "T01", "S1", 50, 4);
    let db = format!("sqlite:{}", dir.path().join("ho.db").display());
    let token = register(&db, "S1", "T01");
    let ho = HeadOfficeProc::start(dir.path(), &db, "127.0.0.1:0");
    let wrong = "0".repeat(token.len());

    let push_only = sync_config(
        dir.path(),
        &ho.url(),
        &wrong,
        &journal,
        "pull_catalog = false\n",
    );
    let (code, out) = once(&push_only);
    assert_eq!(code, 1, "{out}");
    assert_token_refused(&out);

    let good = sync_config(dir.path(), &ho.url(), &token, &journal, "");
    let (code, out) = once(&good);
    assert_eq!(code, 0, "{out}");
    let bad = sync_config(dir.path(), &ho.url(), &wrong, &journal, "");
    let (code, out) = once(&bad);
    assert_eq!(code, 1, "{out}");
    assert_token_refused(&out);
    let (_, status, _) = run(&bad, &["status"]);
    assert!(status.contains("refuses this till's token"), "{status}");
}

/// One event appended after everything was delivered: "1 event".
#[test]
fn one_event_is_one_event() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = journal(dir.path(), "T01", "S1", 20, 5);
    let db = format!("sqlite:{}", dir.path().join("ho.db").display());
    let token = register(&db, "S1", "T01");
    let ho = HeadOfficeProc::start(dir.path(), &db, "127.0.0.1:0");
    let cfg = sync_config(
        dir.path(),
        &ho.url(),
        &token,
        &path,
        "pull_catalog = false\n",
    );
    let (code, out) = once(&cfg);
    assert_eq!(code, 0, "{out}");
    {
        let ro = Journal::open_read_only(&path).expect("journal");
        let opts = OpenOptions {
            terminal_id: ro.terminal_id().to_string(),
            shop_id: ro.shop_id().to_string(),
            key_path: key_of(&path),
            software_version: "test".into(),
        };
        drop(ro);
        let j = Journal::open(&path, opts).expect("journal");
        j.append(
            chrono::Local::now().fixed_offset(),
            &Event::ConfigChanged(ConfigChanged {
                key: "receipt_footer".into(),
                old_value: None,
                new_value: Some("Merci".into()),
                by: "test".into(),
            }),
        )
        .expect("append");
    }
    let (code, out) = once(&cfg);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("delivered: 1 event acknowledged this pass, 0 waiting"),
        "{out}"
    );
}
