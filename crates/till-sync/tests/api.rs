//! Head office's API against bad input, other terminals' events, tampered
//! chains; catalog flowing down; reports, feed, health, metrics, OpenAPI.

mod common;

use common::*;
use reqwest::blocking::Client;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::path::Path;
use sync_proto::{EventBatch, WireEvent};
use till_journal::chain::{record_hash, RecordFields};
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
    t2: String,
}

fn setup() -> Setup {
    setup_on(None)
}

/// On SQLite, or on the database `db` names.
fn setup_on(db: Option<String>) -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = journal(dir.path(), "T01", "S1", SALES, 5);
    let db = db.unwrap_or_else(|| format!("sqlite:{}", dir.path().join("ho.db").display()));
    let t1 = register(&db, "S1", "T01");
    let t2 = register(&db, "S2", "T02");
    let ho = HeadOfficeProc::start(dir.path(), &db, "127.0.0.1:0");
    Setup {
        _dir: dir,
        db,
        ho,
        journal,
        t1,
        t2,
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

#[test]
fn bad_input_is_refused_and_nothing_stored() {
    bad_input(&setup());
}

#[test]
fn postgres_bad_input_and_tampered_chains() {
    let Some((_pg, db)) = pg::cluster() else {
        return;
    };
    bad_input(&setup_on(Some(db.clone())));
    // A second database in the same cluster for the chain test.
    let db2 = _pg.create_db("tamper").expect("db");
    tampered(&setup_on(Some(db2)));
}

fn bad_input(s: &Setup) {
    let ev = events(&s.journal, 0, 20);
    let good = EventBatch::from_stored("T01", &ev);
    let code = |v: &Value| v["code"].as_str().unwrap_or("").to_string();

    let (st, v) = push(s, "", &good);
    assert_eq!((st, code(&v).as_str()), (401, "unauthorized"), "{v}");
    let (st, v) = post(s, None, serde_json::to_vec(&good).expect("json"));
    assert_eq!((st, code(&v).as_str()), (401, "unauthorized"), "{v}");
    let (st, v) = push(s, "not-a-token", &good);
    assert_eq!((st, code(&v).as_str()), (401, "unauthorized"), "{v}");
    // T02's credential cannot push T01's events.
    let (st, v) = push(s, &s.t2, &good);
    assert_eq!((st, code(&v).as_str()), (403, "forbidden_terminal"), "{v}");
    let (st, v) = post(s, Some(&s.t1), b"{\"version\":1,\"terminal_id\":".to_vec());
    assert_eq!((st, code(&v).as_str()), (400, "malformed"), "{v}");
    let mut future = serde_json::to_value(&good).expect("json");
    future["version"] = json!(99);
    future["events"] = json!([{"something": "new"}]);
    let (st, v) = post(s, Some(&s.t1), serde_json::to_vec(&future).expect("json"));
    assert_eq!((st, code(&v).as_str()), (400, "unsupported_version"), "{v}");
    let big = vec![b' '; 5 * 1024 * 1024];
    let (st, v) = post(s, Some(&s.t1), big);
    assert_eq!((st, code(&v).as_str()), (413, "batch_too_large"), "{v}");
    let mut holes = good.clone();
    holes.events.remove(3);
    let (st, v) = push(s, &s.t1, &holes);
    assert_eq!((st, code(&v).as_str()), (400, "not_consecutive"), "{v}");
    let mut bad_hex = good.clone();
    bad_hex.events[0].hash = "zz".into();
    let (st, v) = push(s, &s.t1, &bad_hex);
    assert_eq!((st, code(&v).as_str()), (400, "malformed"), "{v}");
    // A gap: head office holds nothing, the batch starts at 5.
    let late = EventBatch::from_stored("T01", &ev[4..]);
    let (st, v) = push(s, &s.t1, &late);
    assert_eq!((st, code(&v).as_str()), (409, "seq_gap"), "{v}");
    assert_eq!(v["expected_seq"], 1);

    let st = store(s);
    assert_eq!(st.event_counts().expect("counts"), (0, 0), "nothing stored");
    assert!(st.alerts().expect("alerts").is_empty());
    assert!(st.sales(None, None, None).expect("sales").is_empty());

    // And the good batch goes in, twice with one effect.
    let (code1, v1) = push(s, &s.t1, &good);
    assert_eq!(code1, 200, "{v1}");
    assert_eq!(v1["acked_seq"], 20);
    assert_eq!(v1["stored"], 20);
    let (code2, v2) = push(s, &s.t1, &good);
    assert_eq!(code2, 200, "{v2}");
    assert_eq!(
        (v2["stored"].clone(), v2["duplicates"].clone()),
        (json!(0), json!(20))
    );
    assert_eq!(st.event_counts().expect("counts"), (20, 20));
}

/// Re-hashes a run of events from `prev` after tampering (what a forger who
/// knows the encoding would do).
fn rechain(prev: [u8; 32], evs: &mut [StoredEvent]) {
    let mut p = prev;
    for e in evs {
        e.prev_hash = p;
        e.hash = record_hash(
            &p,
            &RecordFields {
                terminal_id: &e.terminal_id,
                seq: e.seq,
                ts: &e.ts,
                kind: &e.kind,
                payload: &e.payload,
            },
        )
        .expect("hash");
        p = e.hash;
    }
}

#[test]
fn tampered_chains_are_refused_and_raised() {
    tampered(&setup());
}

fn tampered(s: &Setup) {
    let ev = events(&s.journal, 0, 150);
    let (st, v) = push(s, &s.t1, &EventBatch::from_stored("T01", &ev[..100]));
    assert_eq!(st, 200, "{v}");

    // 1. A payload edited in place: the hash no longer recomputes.
    let mut edited = ev[100..].to_vec();
    tamper(&mut edited[19].payload);
    let (st, v) = push(s, &s.t1, &EventBatch::from_stored("T01", &edited));
    assert_eq!(
        (st, v["code"].as_str()),
        (422, Some("hash_mismatch")),
        "{v}"
    );
    assert!(
        v["message"].as_str().unwrap_or("").contains("seq 120"),
        "{v}"
    );

    // 2. Edited and re-hashed: the chain no longer continues what head office holds.
    let mut forged = ev[99..].to_vec();
    tamper(&mut forged[0].payload);
    rechain(ev[98].hash, &mut forged);
    let (st, v) = push(s, &s.t1, &EventBatch::from_stored("T01", &forged[1..]));
    assert_eq!((st, v["code"].as_str()), (422, Some("chain_broken")), "{v}");
    // ...and resending the forged seq 100 itself is caught as a rewrite.
    let (st, v) = push(s, &s.t1, &EventBatch::from_stored("T01", &forged));
    assert_eq!((st, v["code"].as_str()), (422, Some("chain_broken")), "{v}");

    let store = store(s);
    assert_eq!(
        store
            .terminals()
            .expect("t")
            .iter()
            .find(|t| t.terminal_id == "T01")
            .map(|t| t.last_seq),
        Some(100)
    );
    assert_eq!(store.event_counts().expect("counts"), (100, 100));
    let alerts = store.alerts().expect("alerts");
    let codes: Vec<&str> = alerts.iter().map(|a| a.code.as_str()).collect();
    assert!(
        codes.contains(&"hash_mismatch") && codes.contains(&"chain_broken"),
        "{alerts:?}"
    );
    let over_http: Value = Client::new()
        .get(format!("{}/v1/reports/alerts", s.ho.url()))
        .send()
        .expect("alerts")
        .json()
        .expect("json");
    assert!(
        over_http.as_array().is_some_and(|a| a.len() >= 2),
        "{over_http}"
    );

    // 3. A till restored from another backup (a different chain under the
    // same terminal id): the daemon is refused and says so, exit status 1.
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
    assert_eq!(store.event_counts().expect("counts"), (100, 100));

    // 4. A closing whose signature was altered: refused and raised; the
    // genuine one then goes in.
    let rest = events(&s.journal, 100, 100_000);
    let at = rest
        .iter()
        .position(|e| e.kind == "closing")
        .expect("a closing after seq 100");
    let (st, v) = push(s, &s.t1, &EventBatch::from_stored("T01", &rest[..at]));
    assert_eq!(st, 200, "{v}");
    let mut bad = rest[at].clone();
    if let Some(sig) = bad.signature.as_mut() {
        sig[0] ^= 1;
    }
    let (st, v) = push(
        s,
        &s.t1,
        &EventBatch::from_stored("T01", std::slice::from_ref(&bad)),
    );
    assert_eq!(
        (st, v["code"].as_str()),
        (422, Some("bad_signature")),
        "{v}"
    );
    bad.signature = None;
    let (st, v) = push(
        s,
        &s.t1,
        &EventBatch::from_stored("T01", std::slice::from_ref(&bad)),
    );
    assert_eq!(
        (st, v["code"].as_str()),
        (422, Some("bad_signature")),
        "unsigned closing: {v}"
    );
    let (st, v) = push(s, &s.t1, &EventBatch::from_stored("T01", &rest[at..=at]));
    assert_eq!(st, 200, "{v}");
    assert!(store
        .alerts()
        .expect("alerts")
        .iter()
        .any(|a| a.code == "bad_signature"));
    let n = rest[at].seq;
    assert_eq!(store.event_counts().expect("counts"), (n, n));
}

/// Changes a payload's bytes (still JSON: a space before the closing brace).
fn tamper(payload: &mut Vec<u8>) {
    let at = payload.len().saturating_sub(1);
    payload.insert(at, b' ');
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
fn reports_feed_health_metrics_openapi() {
    let s = setup();
    let cfg = sync_config(
        s._dir.path(),
        &s.ho.url(),
        &s.t1,
        &s.journal,
        "pull_catalog = false\n",
    );
    let (code, out) = once(&cfg);
    assert_eq!(code, 0, "{out}");
    let c = Client::new();
    let get = |path: &str| c.get(format!("{}{path}", s.ho.url())).send().expect("get");

    let csv = get("/v1/reports/sales?format=csv&store=S1")
        .text()
        .expect("csv");
    assert!(csv.starts_with("store_id,day,key,amount\n"), "{csv}");
    assert!(csv.lines().count() > 10);
    let stock = get("/v1/reports/stock?format=csv").text().expect("csv");
    assert!(stock.starts_with("store_id,item_id,level\n"));
    assert_eq!(get("/v1/reports/sales?format=xml").status().as_u16(), 400);
    assert_eq!(
        get("/v1/reports/sales?from=yesterday").status().as_u16(),
        400
    );
    let terms: Value = get("/v1/reports/terminals").json().expect("json");
    assert!(terms.as_array().is_some_and(|a| a.len() == 2), "{terms}");
    assert_eq!(terms[0]["terminal_id"], "T01");
    assert!(
        terms[0]["lag_seconds"].is_i64(),
        "lag of a till that pushed: {terms}"
    );
    assert!(
        terms[1]["lag_seconds"].is_null(),
        "T02 never pushed: {terms}"
    );
    let closings: Value = get("/v1/reports/closings?terminal=T01")
        .json()
        .expect("json");
    assert!(closings.as_array().is_some_and(|a| !a.is_empty()));

    // The ERP feed, page by page: every sale once, payments add up to the net.
    let (grand, _) = Journal::open_read_only(&s.journal)
        .expect("j")
        .grand_totals()
        .expect("gt");
    let mut after = 0i64;
    let mut sales = Decimal::ZERO;
    let mut payments = Decimal::ZERO;
    let mut rounding = Decimal::ZERO;
    let mut seen = std::collections::BTreeSet::new();
    loop {
        let page: Value = get(&format!("/v1/feed?after={after}&limit=97"))
            .json()
            .expect("json");
        let entries = page["entries"].as_array().cloned().unwrap_or_default();
        let next = page["next_cursor"].as_i64().expect("cursor");
        if next == after {
            break;
        }
        for e in entries {
            match e["type"].as_str() {
                Some("sale") => {
                    assert!(seen.insert(e["seq"].as_u64()), "sale listed twice");
                    let dec = |k: &str| -> Decimal {
                        e[k].as_str()
                            .and_then(|t| t.parse().ok())
                            .unwrap_or_default()
                    };
                    sales += dec("total");
                    rounding += dec("rounding");
                }
                Some("payment") => {
                    payments += e["amount"]
                        .as_str()
                        .and_then(|t| t.parse::<Decimal>().ok())
                        .unwrap_or_default()
                }
                _ => {}
            }
        }
        after = next;
    }
    assert_eq!(sales, grand, "feed sales add up to the grand total");
    assert_eq!(
        payments,
        grand + rounding,
        "feed payments (cash net of change) add up to what was due"
    );

    assert_eq!(get("/healthz").status().as_u16(), 200);
    let m = get("/metrics").text().expect("metrics");
    assert!(m.contains("headoffice_events_stored_total"), "{m}");
    assert!(
        m.contains("headoffice_terminal_last_seq{terminal=\"T01\",store=\"S1\"}"),
        "{m}"
    );
    let api: Value = get("/v1/openapi.json").json().expect("openapi");
    assert!(api["paths"]["/v1/events"]["post"].is_object());
    let _ = WireEvent::from_stored; // the wire types the API describes
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
