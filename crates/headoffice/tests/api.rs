//! Head office's API against bad input, other terminals' events and
//! tampered chains, and its reports, feed, health, metrics and OpenAPI: one
//! body per test, run on SQLite and on PostgreSQL (moved here from
//! till-sync's tests; the daemon's side of the same stories stays there).

mod common;

use common::*;
use headoffice::store::Store;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sync_proto::EventBatch;
use till_journal::chain::{record_hash, RecordFields};
use till_journal::StoredEvent;

fn push_events(srv: &Server, token: &str, events: &[StoredEvent]) -> (u16, String) {
    let body = serde_json::to_vec(&EventBatch::from_stored("T01", events)).expect("json");
    http(srv.addr, "POST", "/v1/events", Some(&bearer(token)), &body)
}

/// A till of `n` events: seq 1 its `terminal_initialised`, then sales.
fn till_of(n: u64) -> Till {
    let mut t = Till::new("T01", "S1", 5);
    while t.head() < n {
        t.sale(&format!("{}.{:02}", t.head() % 40 + 1, t.head() % 100));
    }
    t
}

#[test]
fn bad_input_is_refused_and_nothing_stored() {
    on_both_backends(|db| {
        let store = db.store();
        let t1 = register(&*store, "S1", "T01");
        let t2 = register(&*store, "S2", "T02");
        let srv = Server::public(store.clone());
        let ev = till_of(20).events;
        let good = serde_json::to_vec(&EventBatch::from_stored("T01", &ev)).expect("json");
        let post = |auth: Option<&str>, body: &[u8]| {
            let (st, b) = http(srv.addr, "POST", "/v1/events", auth, body);
            (st, code(&b))
        };
        let unauthorized = (401, "unauthorized".to_string());
        assert_eq!(post(Some(&bearer("")), &good), unauthorized);
        assert_eq!(post(None, &good), unauthorized);
        assert_eq!(post(Some(&bearer("not-a-token")), &good), unauthorized);
        // T02's credential cannot push T01's events.
        assert_eq!(
            post(Some(&bearer(&t2)), &good),
            (403, "forbidden_terminal".into())
        );
        let auth = bearer(&t1);
        assert_eq!(
            post(Some(&auth), b"{\"version\":1,\"terminal_id\":"),
            (400, "malformed".into())
        );
        let mut future: Value = serde_json::from_slice(&good).expect("json");
        future["version"] = json!(99);
        future["events"] = json!([{"something": "new"}]);
        assert_eq!(
            post(Some(&auth), &serde_json::to_vec(&future).expect("json")),
            (400, "unsupported_version".into())
        );
        let big = vec![b' '; 17 * 1024 * 1024];
        assert_eq!(post(Some(&auth), &big), (413, "batch_too_large".into()));
        let mut holes = EventBatch::from_stored("T01", &ev);
        holes.events.remove(3);
        assert_eq!(
            post(Some(&auth), &serde_json::to_vec(&holes).expect("json")),
            (400, "not_consecutive".into())
        );
        let mut bad_hex = EventBatch::from_stored("T01", &ev);
        bad_hex.events[0].hash = "zz".into();
        assert_eq!(
            post(Some(&auth), &serde_json::to_vec(&bad_hex).expect("json")),
            (400, "malformed".into())
        );
        // A gap: head office holds nothing, the batch starts at 5.
        let (st, body) = push_events(&srv, &t1, &ev[4..]);
        assert_eq!((st, code(&body).as_str()), (409, "seq_gap"), "{body}");
        let v: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(v["expected_seq"], 1);

        assert_eq!(store.event_counts().expect("counts"), (0, 0), "{}", db.name);
        assert!(store.alerts().expect("alerts").is_empty());
        assert!(store.sales(None, None, None).expect("sales").is_empty());

        // And the good batch goes in, twice with one effect.
        let (st, body) = push_events(&srv, &t1, &ev);
        assert_eq!(st, 200, "{body}");
        let v: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(
            (v["acked_seq"].clone(), v["stored"].clone()),
            (json!(20), json!(20))
        );
        let (st, body) = push_events(&srv, &t1, &ev);
        assert_eq!(st, 200, "{body}");
        let v: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(
            (v["stored"].clone(), v["duplicates"].clone()),
            (json!(0), json!(20))
        );
        assert_eq!(store.event_counts().expect("counts"), (20, 20));
    });
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

/// Changes a payload's bytes (still JSON: a space before the closing brace).
fn tamper(payload: &mut Vec<u8>) {
    let at = payload.len().saturating_sub(1);
    payload.insert(at, b' ');
}

#[test]
fn tampered_chains_are_refused_and_raised() {
    on_both_backends(|db| {
        let store = db.store();
        let t1 = register(&*store, "S1", "T01");
        let srv = Server::public(store.clone());
        let mut till = till_of(149);
        let key = till.key.clone();
        till.closing(&key);
        let ev = till.events.clone();
        let (st, body) = push_events(&srv, &t1, &ev[..100]);
        assert_eq!(st, 200, "{}: {body}", db.name);

        // 1. A payload edited in place: the hash no longer recomputes.
        let mut edited = ev[100..].to_vec();
        tamper(&mut edited[19].payload);
        let (st, body) = push_events(&srv, &t1, &edited);
        assert_eq!((st, code(&body).as_str()), (422, "hash_mismatch"), "{body}");
        assert!(body.contains("seq 120"), "{body}");

        // 2. Edited and re-hashed: the chain no longer continues what head office holds.
        let mut forged = ev[99..].to_vec();
        tamper(&mut forged[0].payload);
        rechain(ev[98].hash, &mut forged);
        let (st, body) = push_events(&srv, &t1, &forged[1..]);
        assert_eq!((st, code(&body).as_str()), (422, "chain_broken"), "{body}");
        // ...and resending the forged seq 100 itself is caught as a rewrite.
        let (st, body) = push_events(&srv, &t1, &forged);
        assert_eq!((st, code(&body).as_str()), (422, "chain_broken"), "{body}");
        assert_eq!(held(&*store, "T01"), (100, 100));
        assert_eq!(alerts(&*store, "T01", "hash_mismatch"), 1);
        assert_eq!(alerts(&*store, "T01", "chain_broken"), 2);
        let (_, over_http) = http(srv.addr, "GET", "/v1/reports/alerts", None, b"");
        let over_http: Value = serde_json::from_str(&over_http).expect("json");
        assert!(
            over_http.as_array().is_some_and(|a| a.len() >= 2),
            "{over_http}"
        );

        // 3. A closing whose signature was altered, or removed: refused and
        // raised; the genuine one then goes in.
        let (st, body) = push_events(&srv, &t1, &ev[100..149]);
        assert_eq!(st, 200, "{body}");
        let mut bad = ev[149].clone();
        assert_eq!(bad.kind, "closing");
        if let Some(sig) = bad.signature.as_mut() {
            sig[0] ^= 1;
        }
        let (st, body) = push_events(&srv, &t1, std::slice::from_ref(&bad));
        assert_eq!((st, code(&body).as_str()), (422, "bad_signature"), "{body}");
        bad.signature = None;
        let (st, body) = push_events(&srv, &t1, std::slice::from_ref(&bad));
        assert_eq!(
            (st, code(&body).as_str()),
            (422, "bad_signature"),
            "unsigned: {body}"
        );
        let (st, body) = push_events(&srv, &t1, &ev[149..]);
        assert_eq!(st, 200, "{body}");
        assert_eq!(alerts(&*store, "T01", "bad_signature"), 1);
        assert_eq!(store.event_counts().expect("counts"), (150, 150));
    });
}

#[test]
fn reports_feed_health_metrics_openapi() {
    on_both_backends(|db| {
        let store: std::sync::Arc<dyn Store> = db.store();
        let t1 = register(&*store, "S1", "T01");
        register(&*store, "S2", "T02");
        let srv = Server::public(store.clone());
        let mut till = till_of(300);
        let key = till.key.clone();
        till.closing(&key);
        let due: Decimal = till
            .events
            .iter()
            .filter(|e| e.kind == "sale_completed")
            .map(|e| {
                let v: Value = serde_json::from_slice(&e.payload).expect("json");
                v["total"]
                    .as_str()
                    .and_then(|t| t.parse::<Decimal>().ok())
                    .unwrap_or_default()
            })
            .sum();
        let (st, body) = push_events(&srv, &t1, &till.events);
        assert_eq!(st, 200, "{}: {body}", db.name);
        let get = |path: &str| http(srv.addr, "GET", path, None, b"");

        let (_, csv) = get("/v1/reports/sales?format=csv&store=S1");
        assert!(csv.starts_with("store_id,day,key,amount\n"), "{csv}");
        assert!(csv.lines().count() > 5, "{csv}");
        let (_, stock) = get("/v1/reports/stock?format=csv");
        assert!(stock.starts_with("store_id,item_id,level\n"), "{stock}");
        assert_eq!(get("/v1/reports/sales?format=xml").0, 400);
        assert_eq!(get("/v1/reports/sales?from=yesterday").0, 400);
        let terms: Value = serde_json::from_str(&get("/v1/reports/terminals").1).expect("json");
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
        let closings: Value =
            serde_json::from_str(&get("/v1/reports/closings?terminal=T01").1).expect("json");
        assert!(
            closings.as_array().is_some_and(|a| a.len() == 1),
            "{closings}"
        );

        // The ERP feed, page by page: every sale once, adding up to what was due.
        let mut after = 0i64;
        let mut sales = Decimal::ZERO;
        let mut seen = std::collections::BTreeSet::new();
        loop {
            let page: Value =
                serde_json::from_str(&get(&format!("/v1/feed?after={after}&limit=97")).1)
                    .expect("json");
            let next = page["next_cursor"].as_i64().expect("cursor");
            if next == after {
                break;
            }
            for e in page["entries"].as_array().cloned().unwrap_or_default() {
                if e["type"] == "sale" {
                    assert!(seen.insert(e["seq"].as_u64()), "sale listed twice");
                    sales += e["total"]
                        .as_str()
                        .and_then(|t| t.parse::<Decimal>().ok())
                        .unwrap_or_default();
                }
            }
            after = next;
        }
        assert_eq!(seen.len(), 299, "{}", db.name);
        assert_eq!(sales, due, "feed sales add up to what was due");

        assert_eq!(get("/healthz").0, 200);
        let (_, m) = get("/metrics");
        assert!(m.contains("headoffice_events_stored_total"), "{m}");
        assert!(
            m.contains("headoffice_terminal_last_seq{terminal=\"T01\",store=\"S1\"}"),
            "{m}"
        );
        let api: Value = serde_json::from_str(&get("/v1/openapi.json").1).expect("openapi");
        assert!(api["paths"]["/v1/events"]["post"].is_object());
    });
}
