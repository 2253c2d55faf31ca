//! The daemon against head office: a restored backup refused, the catalog
//! flowing down, head office down. Head office's own API tests (bad input,
//! tampered chains, reports, feed, metrics) are in
//! `crates/headoffice/tests/api.rs`, on both backends.

mod common;

use common::*;
use reqwest::blocking::Client;
use rust_decimal::Decimal;
use serde_json::Value;
use std::path::Path;
use sync_proto::EventBatch;
use till_journal::{Journal, StoredEvent};

/// Not a test: the entry point of the head office child process.
#[test]
fn headoffice_child() {
    maybe_serve_child();
}

const SALES: u64 = 300;

struct Setup {
    _dir: tempfile::TempDir,
    db: String,
    ho: HeadOfficeProc,
    journal: std::path::PathBuf,
    t1: String,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = journal(dir.path(), "T01", "S1", SALES, 5);
    let db = format!("sqlite:{}", dir.path().join("ho.db").display());
    let t1 = register(&db, "S1", "T01");
    let ho = HeadOfficeProc::start(dir.path(), &db, "127.0.0.1:0");
    Setup {
        _dir: dir,
        db,
        ho,
        journal,
        t1,
    }
}

fn events(journal: &Path, after: u64, n: usize) -> Vec<StoredEvent> {
    Journal::open_read_only(journal)
        .expect("journal")
        .events_after(after, n)
        .expect("events")
}

fn post(s: &Setup, token: Option<&str>, body: Vec<u8>) -> (u16, Value) {
    let mut r = Client::new()
        .post(format!("{}/v1/events", s.ho.url()))
        .header("content-type", "application/json")
        .body(body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let resp = r.send().expect("post");
    let status = resp.status().as_u16();
    let v = resp.json().unwrap_or(Value::Null);
    (status, v)
}

fn push(s: &Setup, token: &str, batch: &EventBatch) -> (u16, Value) {
    post(s, Some(token), serde_json::to_vec(batch).expect("json"))
}

fn store(s: &Setup) -> std::sync::Arc<dyn headoffice::store::Store> {
    headoffice::store::open(&s.db).expect("store")
}

/// A till restored from another backup (a different chain under the same
/// terminal id): the daemon is refused and says so, exit status 1. (Head
/// office's own refusals are in `crates/headoffice/tests/api.rs`.)
#[test]
fn a_restored_backup_is_refused_and_the_daemon_says_so() {
    let s = setup();
    let ev = events(&s.journal, 0, 100);
    let (st, v) = push(&s, &s.t1, &EventBatch::from_stored("T01", &ev));
    assert_eq!(st, 200, "{v}");
    let dir = tempfile::tempdir().expect("tempdir");
    let other = journal(dir.path(), "T01", "S1", 50, 99);
    let cfg = sync_config(
        dir.path(),
        &s.ho.url(),
        &s.t1,
        &other,
        "pull_catalog = false\n",
    );
    let (code, out) = once(&cfg);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("chain_broken"), "{out}");
    let st = till_sync()
        .arg("--config")
        .arg(&cfg)
        .arg("status")
        .output()
        .expect("status");
    let text = String::from_utf8_lossy(&st.stdout);
    assert!(
        text.contains("last error") && text.contains("chain"),
        "{text}"
    );
    assert_eq!(store(&s).event_counts().expect("counts"), (100, 100));
}

#[test]
fn catalog_flows_down_with_store_prices_and_is_journaled() {
    let s = setup();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("cat.json");
    std::fs::write(
        &file,
        r#"[{"id":"PAIN","name":"Pain","price":"1.20","vat_rate":"5.5","unit":"piece","barcodes":["3760000000017"]},
            {"id":"LAIT","name":"Lait","price":"0.99","vat_rate":"5.5","unit":"piece"},
            {"store_id":"S1","id":"LAIT","name":"Lait","price":"1.09","vat_rate":"5.5","unit":"piece"},
            {"store_id":"S2","id":"PAIN","name":"Pain","price":"1.50","vat_rate":"5.5","unit":"piece"}]"#,
    )
    .expect("write");
    let rows = headoffice::load::parse_json(&std::fs::read_to_string(&file).expect("read"))
        .expect("parse");
    let v1 = store(&s).load_catalog(&rows).expect("load");
    assert_eq!(v1, 1);

    let cfg = sync_config(s._dir.path(), &s.ho.url(), &s.t1, &s.journal, "");
    let (code, out) = once(&cfg);
    assert_eq!(code, 0, "{out}");
    let cat =
        till_sync::catalog::LocalCatalog::open(&s._dir.path().join("catalog.db")).expect("catalog");
    assert_eq!(cat.version().expect("v"), 1);
    let items = cat.items().expect("items");
    let price = |id: &str| items.iter().find(|i| i.id == id).map(|i| i.price);
    assert_eq!(
        price("LAIT"),
        Some(Decimal::new(109, 2)),
        "S1's own price wins"
    );
    assert_eq!(
        price("PAIN"),
        Some(Decimal::new(120, 2)),
        "S2's price is not S1's"
    );

    // The update is in the journal, and delivered in the same pass.
    let j = Journal::open_read_only(&s.journal).expect("journal");
    let head = j.head().expect("head").0;
    let last = j.event(head).expect("event").expect("exists");
    assert_eq!(last.kind, "config_changed");
    let payload: Value = serde_json::from_slice(&last.payload).expect("json");
    assert_eq!(payload["key"], "catalog_version");
    assert_eq!(payload["new_value"], "1");
    assert_matches_till(&s.db, "S1", &s.journal);

    // A price change: only that item comes down, the version moves on.
    let mut rows2 = rows.clone();
    rows2[0].item.price = Decimal::new(125, 2);
    assert_eq!(store(&s).load_catalog(&rows2).expect("load"), 2);
    assert_eq!(
        store(&s).load_catalog(&rows2).expect("load"),
        2,
        "unchanged: same version"
    );
    let delta = store(&s).catalog_since("S1", 1).expect("delta");
    assert_eq!(delta.items.len(), 1);
    assert_eq!(delta.catalog_version, 2);
    let (code, out) = once(&cfg);
    assert_eq!(code, 0, "{out}");
    let items = cat.items().expect("items");
    assert_eq!(
        items.iter().find(|i| i.id == "PAIN").map(|i| i.price),
        Some(Decimal::new(125, 2))
    );
    assert_eq!(cat.version().expect("v"), 2);
    // Nothing new: no new journal note.
    let head2 = Journal::open_read_only(&s.journal)
        .expect("j")
        .head()
        .expect("h")
        .0;
    let (code, _) = once(&cfg);
    assert_eq!(code, 0);
    assert_eq!(
        Journal::open_read_only(&s.journal)
            .expect("j")
            .head()
            .expect("h")
            .0,
        head2
    );
}

#[test]
fn once_says_so_when_head_office_is_down() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = journal(dir.path(), "T01", "S1", SALES, 5);
    // A port nothing listens on (bound then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let cfg = sync_config(
        dir.path(),
        &format!("http://127.0.0.1:{port}"),
        "token",
        &journal,
        "once_attempts = 3\n",
    );
    let (code, out) = once(&cfg);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("NOT delivered"), "{out}");
    let st = till_sync()
        .arg("--config")
        .arg(&cfg)
        .args(["status", "--json"])
        .output()
        .expect("status");
    let v: Value = serde_json::from_slice(&st.stdout).expect("json");
    assert!(v["waiting"].as_u64().is_some_and(|w| w > 0), "{v}");
    assert!(
        v["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("unreachable")),
        "{v}"
    );
    assert!(v["last_success"].is_null());
    assert_eq!(
        Journal::open_read_only(&journal)
            .expect("j")
            .acked_seq()
            .expect("a"),
        0
    );
}
