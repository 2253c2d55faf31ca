//! Head office's versioned counter rules (set, validated, served to a
//! terminal's token on `GET /v1/rules?since=V`) and the abandoned baskets
//! counted per cashier at ingest (store function and report), on SQLite
//! and on PostgreSQL.

mod common;

use common::*;
use rust_decimal::Decimal;
use serde_json::Value;
use sync_proto::RulesetReply;
use till_core::ruleset::Ruleset;

fn abandoned(operator: &str, total: &str, training: bool) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "operator": operator,
        "business_day": DAY,
        "lines": [],
        "total": total,
        "approved_by": null,
        "training": training,
    }))
    .expect("json")
}

#[test]
fn rulesets_are_versioned_checked_and_served_to_terminals() {
    on_both_backends(|db| {
        let store = db.store();
        let token = register(&*store, "S1", "T01");
        let srv = Server::public(store.clone());
        let get = |since: u64, auth: Option<&str>| {
            let (st, body) = http(
                srv.addr,
                "GET",
                &format!("/v1/rules?since={since}"),
                auth,
                b"",
            );
            (st, body)
        };
        // Nothing published yet.
        let (st, body) = get(0, Some(&bearer(&token)));
        assert_eq!(st, 200, "{}: {body}", db.name);
        let r: RulesetReply = serde_json::from_str(&body).expect("reply");
        assert_eq!((r.ruleset_version, r.rules), (0, None));
        // A terminal's token is needed.
        assert_eq!(get(0, None).0, 401);

        // Out of bounds: refused by name, nothing stored.
        let bad = Ruleset {
            cash_rounding: Some(Decimal::from(2)),
            ..Ruleset::default()
        };
        let e = store.set_ruleset(&bad, "owner").unwrap_err().to_string();
        assert!(e.contains("cash_rounding"), "{}: {e}", db.name);
        assert!(store.ruleset_since(0).expect("read").is_none());

        let v1 = Ruleset {
            max_order_amount: Some(Decimal::from(500)),
            ..Ruleset::default()
        };
        let v2 = Ruleset {
            anomaly_factor: Some(Decimal::from(3)),
            permissions: [("abandon_basket".to_string(), "supervisor".to_string())].into(),
            ..Ruleset::default()
        };
        assert_eq!(store.set_ruleset(&v1, "owner").expect("v1"), 1);
        assert_eq!(store.set_ruleset(&v2, "owner").expect("v2"), 2);
        let row = store.ruleset_since(0).expect("read").expect("a ruleset");
        assert_eq!(
            (row.version, &row.rules, row.set_by.as_str()),
            (2, &v2, "owner")
        );

        let (_, body) = get(1, Some(&bearer(&token)));
        let r: RulesetReply = serde_json::from_str(&body).expect("reply");
        assert_eq!((r.ruleset_version, r.rules), (2, Some(v2)));
        // Up to date: nothing more.
        let (_, body) = get(2, Some(&bearer(&token)));
        let r: RulesetReply = serde_json::from_str(&body).expect("reply");
        assert_eq!((r.ruleset_version, r.rules), (2, None));
    });
}

#[test]
fn abandoned_baskets_are_counted_per_cashier_at_ingest() {
    on_both_backends(|db| {
        let store = db.store();
        let token = register(&*store, "S1", "T01");
        let srv = Server::public(store.clone());
        let mut t = Till::new("T01", "S1", 5);
        t.sale("4.00");
        t.push("basket_abandoned", abandoned("c1", "12.50", false));
        t.push("basket_abandoned", abandoned("c1", "3.20", false));
        t.push("basket_abandoned", abandoned("c2", "7.00", false));
        // Training is not real trade: not counted.
        t.push("basket_abandoned", abandoned("c2", "99.00", true));
        // Two batches: the second adds to the first's rows.
        let (st, body) = http(
            srv.addr,
            "POST",
            "/v1/events",
            Some(&bearer(&token)),
            &t.batch(1, 3, None),
        );
        assert_eq!(st, 200, "{}: {body}", db.name);
        let (st, body) = http(
            srv.addr,
            "POST",
            "/v1/events",
            Some(&bearer(&token)),
            &t.after(3),
        );
        assert_eq!(st, 200, "{}: {body}", db.name);

        let rows = store.abandoned_baskets(None, None).expect("rows");
        let got: Vec<(String, u64, Decimal)> = rows
            .iter()
            .map(|r| (r.operator.clone(), r.baskets, r.total))
            .collect();
        assert_eq!(
            got,
            vec![
                ("c1".to_string(), 2, Decimal::new(1570, 2)),
                ("c2".to_string(), 1, Decimal::new(700, 2)),
            ],
            "{}",
            db.name
        );
        assert!(rows
            .iter()
            .all(|r| r.day == DAY && r.terminal_id == "T01" && r.store_id == "S1"));
        assert!(store
            .abandoned_baskets(Some("2026-11-24"), None)
            .expect("rows")
            .is_empty());
        assert_eq!(
            store
                .abandoned_baskets(Some(DAY), Some(DAY))
                .expect("rows")
                .len(),
            2
        );
        // The sale is still summed as before.
        assert_eq!(held(&*store, "T01"), (t.head(), t.head()));

        let (st, body) = http(
            srv.addr,
            "GET",
            "/v1/reports/abandoned?from=2026-11-23",
            None,
            b"",
        );
        assert_eq!(st, 200, "{body}");
        let v: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(v[0]["operator"], "c1");
        assert_eq!(v[0]["baskets"], 2);
        let (st, body) = http(
            srv.addr,
            "GET",
            "/v1/reports/abandoned?format=csv",
            None,
            b"",
        );
        assert_eq!(st, 200);
        assert!(
            body.starts_with("day,store_id,terminal_id,operator,baskets,total"),
            "{body}"
        );
        assert!(body.contains("2026-11-23,S1,T01,c2,1,7.00"), "{body}");
    });
}

#[test]
fn a_ruleset_file_is_read_with_or_without_its_rules_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("rules.toml");
    std::fs::write(&p, "max_order_amount = 300\n").expect("write");
    let r = headoffice::store::rules::read_file(&p).expect("top level");
    assert_eq!(r.max_order_amount, Some(Decimal::from(300)));
    std::fs::write(&p, "[rules]\nanomaly_factor = 3\n").expect("write");
    let r = headoffice::store::rules::read_file(&p).expect("in [rules]");
    assert_eq!(r.anomaly_factor, Some(Decimal::from(3)));
    std::fs::write(&p, "anomaly_factr = 3\n").expect("write");
    let e = format!("{:#}", headoffice::store::rules::read_file(&p).unwrap_err());
    assert!(e.contains("anomaly_factr"), "{e}");
    std::fs::write(&p, "drawer_left_open_seconds = 1\n").expect("write");
    let e = format!("{:#}", headoffice::store::rules::read_file(&p).unwrap_err());
    assert!(
        e.contains("drawer_left_open_seconds") && e.contains("5 to 3600"),
        "{e}"
    );
}
