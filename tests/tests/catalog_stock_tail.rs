//! Catalog withdrawals reaching the till, low-stock alerts (once per
//! crossing, cleared when stock is back above), and the till's signed tail
//! marker checked by head office.

use chrono::{FixedOffset, TimeZone};
use comptoir_e2e::system::*;
use headoffice::store::{Store, TerminalAuth};
use reqwest::blocking::Client;
use rust_decimal::Decimal;
use std::path::Path;
use std::sync::Arc;
use sync_proto::{EventBatch, TailMarker};
use till_core::records::{Event, StockLine, StockMovement, StockReason};
use till_journal::{Journal, OpenOptions};

/// Not a test: the entry point of the head office child process.
#[test]
fn headoffice_child() {
    maybe_serve_child();
}

fn catalog_json(text: &str) -> Vec<headoffice::store::CatalogRow> {
    headoffice::load::parse_json(text).expect("catalog parses")
}

#[test]
fn withdrawn_items_leave_the_tills_catalog_and_past_sales_stay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = journal(dir.path(), "T01", "S1", 300, 5);
    let db = format!("sqlite:{}", dir.path().join("ho.db").display());
    let token = register(&db, "S1", "T01");
    let ho = HeadOfficeProc::start(dir.path(), &db, "127.0.0.1:0");
    let store = headoffice::store::open(&db).expect("store");
    store
        .load_catalog(&catalog_json(
            r#"[{"id":"PAIN","name":"Pain","price":"1.20","vat_rate":"5.5","unit":"piece"},
                {"id":"LAIT","name":"Lait","price":"0.99","vat_rate":"5.5","unit":"piece"},
                {"store_id":"S2","id":"PAIN","name":"Pain","price":"1.50","vat_rate":"5.5","unit":"piece"}]"#,
        ))
        .expect("load");
    let cfg = sync_config(dir.path(), &ho.url(), &token, &journal, "");
    let (code, out) = once(&cfg);
    assert_eq!(code, 0, "{out}");
    // Read as the counter reads it (till-catalog, the file's owner).
    let cat = till_catalog::CatalogStore::open(&dir.path().join("catalog.db")).expect("catalog");
    let ids = |c: &till_catalog::CatalogStore| -> Vec<String> {
        let mut ids: Vec<String> = c
            .load_items()
            .expect("items")
            .into_iter()
            .map(|i| i.id)
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&cat), vec!["LAIT", "PAIN"]);

    // Withdrawn for every store, from a CSV with only the id filled in.
    let rows = headoffice::load::parse_csv(
        "id,name,price,vat_rate,unit,deleted\nPAIN,,,,,true\nGHOST,,,,,yes\n",
    )
    .expect("csv");
    assert_eq!(store.load_catalog(&rows).expect("load"), 2);
    assert_eq!(
        store.load_catalog(&rows).expect("load"),
        2,
        "already withdrawn"
    );
    let delta = store.catalog_since("S1", 1).expect("delta");
    assert!(delta.items.is_empty());
    assert_eq!(delta.removed.len(), 1);
    assert_eq!(delta.removed[0].item_id, "PAIN");
    // S2's own row wins over the withdrawal for every store.
    let s2 = store.catalog_since("S2", 1).expect("delta");
    assert!(s2.removed.is_empty());
    assert_eq!(s2.items.len(), 1);

    let (code, out) = once(&cfg);
    assert_eq!(code, 0, "{out}");
    assert_eq!(ids(&cat), vec!["LAIT"], "no longer sellable at the till");
    assert_eq!(cat.version().expect("version"), 2);
    // Past sales are untouched: head office still equals the till, and the
    // journal (catalog notes included) verifies.
    assert_matches_till(&db, "S1", &journal);
    // Loaded again: sellable again, at a new version.
    store
        .load_catalog(&catalog_json(
            r#"[{"id":"PAIN","name":"Pain","price":"1.25","vat_rate":"5.5","unit":"piece"}]"#,
        ))
        .expect("load");
    let (code, out) = once(&cfg);
    assert_eq!(code, 0, "{out}");
    assert_eq!(ids(&cat), vec!["LAIT", "PAIN"]);
}

/// A journal of one terminal to which the test appends stock movements.
fn fresh_journal(dir: &Path) -> Journal {
    let opts = OpenOptions {
        terminal_id: "T01".into(),
        shop_id: "S1".into(),
        key_path: dir.join("t01.key"),
        software_version: "test".into(),
    };
    Journal::open(dir.join("t01.db"), opts).expect("journal")
}

fn moved(j: &Journal, item: &str, delta: i64) {
    let ts = FixedOffset::east_opt(3600)
        .and_then(|o| o.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).single())
        .expect("ts");
    let ev = Event::StockMovement(StockMovement {
        reason: if delta > 0 {
            StockReason::GoodsReceived
        } else {
            StockReason::Adjustment
        },
        reference: None,
        other_shop: None,
        operator: "u1".into(),
        lines: vec![StockLine {
            item_id: item.into(),
            delta: Decimal::from(delta),
            counted: None,
        }],
    });
    j.append(ts, &ev).expect("append");
}

/// Pushes what head office does not hold yet; returns the open low-stock
/// alerts' codes and every low-stock alert's count.
fn push_new(store: &Arc<dyn Store>, j: &Journal, after: &mut u64) -> (Vec<String>, usize) {
    let auth = TerminalAuth {
        terminal_id: "T01".into(),
        store_id: "S1".into(),
    };
    let evs = j.events_after(*after, usize::MAX).expect("events");
    *after = evs.last().map(|e| e.seq).unwrap_or(*after);
    let out = store.ingest(&auth, &evs).expect("ingest");
    assert!(
        matches!(out, headoffice::store::IngestOutcome::Acked { .. }),
        "{out:?}"
    );
    let alerts = store.alerts().expect("alerts");
    let low: Vec<_> = alerts
        .iter()
        .filter(|a| a.code.starts_with("low_stock:"))
        .collect();
    let mut open: Vec<String> = low
        .iter()
        .filter(|a| a.cleared_at.is_none())
        .map(|a| a.code.clone())
        .collect();
    open.sort();
    (open, low.len())
}

fn low_stock_scenario(db: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = headoffice::store::open(db).expect("store");
    store
        .register_terminal("S1", "T01", &[1u8; 32])
        .expect("register");
    store
        .load_catalog(&catalog_json(
            r#"[{"id":"A","name":"A","price":"1","vat_rate":"20","unit":"piece","low_stock":"5"},
                {"id":"B","name":"B","price":"1","vat_rate":"20","unit":"piece","low_stock":"9"},
                {"store_id":"S1","id":"B","name":"B","price":"1","vat_rate":"20","unit":"piece","low_stock":"1"},
                {"id":"C","name":"C","price":"1","vat_rate":"20","unit":"piece"}]"#,
        ))
        .expect("load");
    let j = fresh_journal(dir.path());
    let mut after = 0;
    moved(&j, "A", 10);
    moved(&j, "B", 3);
    moved(&j, "C", 1);
    assert_eq!(push_new(&store, &j, &mut after), (vec![], 0), "all above");

    moved(&j, "A", -5);
    moved(&j, "C", -5);
    assert_eq!(
        push_new(&store, &j, &mut after),
        (vec!["low_stock:A".to_string()], 1),
        "A reached its threshold; C has none"
    );
    moved(&j, "A", -1);
    moved(&j, "A", -1);
    assert_eq!(
        push_new(&store, &j, &mut after),
        (vec!["low_stock:A".to_string()], 1),
        "once per crossing, not once per movement"
    );
    moved(&j, "A", 10);
    assert_eq!(push_new(&store, &j, &mut after), (vec![], 1), "cleared");
    moved(&j, "A", -10);
    moved(&j, "B", -2);
    assert_eq!(
        push_new(&store, &j, &mut after),
        (
            vec!["low_stock:A".to_string(), "low_stock:B".to_string()],
            3
        ),
        "a new crossing of A; B at 1, S1's own threshold"
    );
    // Resending changes nothing.
    let all = j.events_after(0, usize::MAX).expect("events");
    let auth = TerminalAuth {
        terminal_id: "T01".into(),
        store_id: "S1".into(),
    };
    store.ingest(&auth, &all).expect("resend");
    assert_eq!(
        store
            .alerts()
            .expect("alerts")
            .iter()
            .filter(|a| a.code.starts_with("low_stock:"))
            .count(),
        3
    );
    let t = store.terminals().expect("terminals");
    assert_eq!(t[0].alerts, 2, "open alerts counted per terminal");
}

#[test]
fn low_stock_alerts_once_per_crossing() {
    let dir = tempfile::tempdir().expect("tempdir");
    low_stock_scenario(&format!("sqlite:{}", dir.path().join("ho.db").display()));
}

#[test]
fn postgres_low_stock_alerts_once_per_crossing() {
    let Some((_pg, db)) = pg::cluster() else {
        return;
    };
    low_stock_scenario(&db);
}

/// The journal's tail marker, read as till-sync does.
fn tail_of(journal: &Path) -> TailMarker {
    let c = rusqlite::Connection::open(journal).expect("open");
    let (seq, hash, sig): (i64, Vec<u8>, Vec<u8>) = c
        .query_row(
            "SELECT seq, hash, signature FROM tail WHERE terminal_id = 'T01'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("tail");
    let hash: [u8; 32] = hash.try_into().expect("32 bytes");
    TailMarker::new(seq as u64, &hash, &sig)
}

#[test]
fn tail_marker_is_verified_and_a_forged_one_raised() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = journal(dir.path(), "T01", "S1", 200, 9);
    let db = format!("sqlite:{}", dir.path().join("ho.db").display());
    let token = register(&db, "S1", "T01");
    let ho = HeadOfficeProc::start(dir.path(), &db, "127.0.0.1:0");
    let j = Journal::open_read_only(&journal).expect("journal");
    let evs = j.events_after(0, usize::MAX).expect("events");
    let tail = tail_of(&journal);
    assert_eq!(tail.seq, evs.last().map(|e| e.seq).unwrap_or(0));
    let post = |body: Vec<u8>| {
        let r = Client::new()
            .post(format!("{}/v1/events", ho.url()))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .expect("post");
        r.status().as_u16()
    };
    let (first, rest) = evs.split_at(evs.len() / 2);
    // A marker ahead of the batch: only its signature can be checked yet.
    assert_eq!(
        post(EventBatch::encode_stored_with_tail(
            "T01",
            first,
            Some(&tail)
        )),
        200
    );
    assert_eq!(
        post(EventBatch::encode_stored_with_tail(
            "T01",
            rest,
            Some(&tail)
        )),
        200
    );
    let store = headoffice::store::open(&db).expect("store");
    // The simulated tills' own fraud flags (approvals, refunds) are alerts
    // too; none may be about the chain or the marker.
    assert!(
        integrity_alerts(&*store).is_empty(),
        "a good marker: {:?}",
        integrity_alerts(&*store)
    );

    // Signed by someone else (a byte of the signature changed): raised, and
    // the events (valid chain) are still stored.
    let mut forged = tail.clone();
    forged.signature.replace_range(
        0..2,
        if forged.signature.starts_with("00") {
            "01"
        } else {
            "00"
        },
    );
    assert_eq!(
        post(EventBatch::encode_stored_with_tail(
            "T01",
            rest,
            Some(&forged)
        )),
        200
    );
    // A marker moved to another seq without signing it again.
    let mut other = tail.clone();
    other.seq = first.len() as u64;
    assert_eq!(
        post(EventBatch::encode_stored_with_tail(
            "T01",
            rest,
            Some(&other)
        )),
        200
    );
    let codes: Vec<String> = integrity_alerts(&*store)
        .into_iter()
        .map(|a| a.code)
        .collect();
    assert!(
        codes.contains(&"bad_tail_signature".to_string()),
        "{codes:?}"
    );
    assert_eq!(codes.len(), 2, "{codes:?}");
    // Malformed marker: refused, nothing stored.
    let mut bad = tail.clone();
    bad.hash = "zz".into();
    assert_eq!(
        post(EventBatch::encode_stored_with_tail("T01", rest, Some(&bad))),
        400
    );
    // The daemon sends the marker with every batch: no alert over a full sync.
    let dir2 = tempfile::tempdir().expect("tempdir");
    let journal2 = comptoir_e2e::system::journal(dir2.path(), "T01", "S1", 300, 4);
    let db2 = format!("sqlite:{}", dir2.path().join("ho.db").display());
    let token2 = register(&db2, "S1", "T01");
    let ho2 = HeadOfficeProc::start(dir2.path(), &db2, "127.0.0.1:0");
    let cfg = sync_config(
        dir2.path(),
        &ho2.url(),
        &token2,
        &journal2,
        "batch_events = 50\n",
    );
    let (code, out) = once(&cfg);
    assert_eq!(code, 0, "{out}");
    let s2 = headoffice::store::open(&db2).expect("store");
    assert!(integrity_alerts(&*s2).is_empty());
}

/// Alerts other than the tills' own fraud flags (`fraud:*`, raised from what
/// the simulated cashiers did).
fn integrity_alerts(store: &dyn headoffice::store::Store) -> Vec<headoffice::store::Alert> {
    let alerts = store.alerts().expect("alerts");
    alerts
        .into_iter()
        .filter(|a| !a.code.starts_with("fraud:"))
        .collect()
}
