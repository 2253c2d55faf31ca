//! Head office's versioned counter rules (set, validated, served to a
//! terminal's token on `GET /v1/rules?since=V`) and the abandoned baskets
//! counted per cashier at ingest (store function and report), on SQLite
//! and on PostgreSQL.

mod common;

use common::*;
use headoffice::access::Access;
use headoffice::http::Limits;
use headoffice::store::auth::BoRole;
use headoffice::web::{accounts, BackOffice};

mod web_client;
use rust_decimal::Decimal;
use serde_json::Value;
use sync_proto::RulesetReply;
use till_core::ruleset::Ruleset;
use web_client::Browser;

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

/// The Rules page's form over HTTP: a bad value is refused next to its
/// field with nothing stored; only the owner publishes (a manager's and an
/// accountant's POST are 403, a POST without the CSRF token too); what the
/// owner publishes is the next version `GET /v1/rules` serves, audited.
#[test]
fn the_rules_form_checks_each_key_and_only_the_owner_publishes() {
    on_both_backends(|db| {
        let store = db.store();
        let pw = web_client::PW;
        accounts::add_user(&*store, "owner@shop.fr", BoRole::Owner, None, pw).expect("owner");
        accounts::add_user(&*store, "m1@shop.fr", BoRole::Manager, Some("S1"), pw).expect("m1");
        accounts::add_user(&*store, "acc@shop.fr", BoRole::Accountant, None, pw).expect("acc");
        let token = register(&*store, "S1", "T01");
        let srv = Server::with_backoffice(
            store.clone(),
            Access::default(),
            Limits::default(),
            BackOffice::default(),
        );
        let served = |since: u64| -> RulesetReply {
            let (st, body) = http(
                srv.addr,
                "GET",
                &format!("/v1/rules?since={since}"),
                Some(&bearer(&token)),
                b"",
            );
            assert_eq!(st, 200, "{}: {body}", db.name);
            serde_json::from_str(&body).expect("reply")
        };

        // A manager and the accountant read the page, without the form, and
        // may not publish (with their own valid CSRF token).
        for who in ["m1@shop.fr", "acc@shop.fr"] {
            let mut b = Browser::new(srv.addr);
            assert_eq!(b.login(who, pw).status, 303, "{who}");
            let page = b.get("/regles");
            assert_eq!(page.status, 200, "{}: {who}", db.name);
            assert!(!page.body.contains("id=\"rules\""), "{who}: a form");
            assert!(page.body.contains("Seul le propriétaire"), "{who}");
            let csrf = b.csrf();
            let r = b.send(
                "POST",
                "/regles",
                &[("csrf", &csrf), ("max_order_amount", "500")],
            );
            assert_eq!(r.status, 403, "{}: {who}", db.name);
        }
        assert!(store.ruleset_since(0).expect("read").is_none());

        let mut o = Browser::new(srv.addr);
        o.login("owner@shop.fr", pw);
        let page = o.get("/regles");
        assert!(page.body.contains("id=\"rules\""), "the owner's form");
        // Without the CSRF token: refused.
        let r = o.send("POST", "/regles", &[("max_order_amount", "500")]);
        assert_eq!(r.status, 403);
        // Out of bounds, and not a number: each said next to its field, in
        // French; the typed values kept; nothing stored.
        let csrf = o.csrf();
        let r = o.send(
            "POST",
            "/regles",
            &[
                ("csrf", &csrf),
                ("max_order_amount", "500"),
                ("cash_rounding", "2"),
                ("anomaly_days", "douze"),
            ],
        );
        assert_eq!(r.status, 400, "{}: {}", db.name, r.body);
        assert!(
            r.body
                .contains("id=\"error-cash_rounding\">Entre 0,01 et 1, au plus 2 décimales."),
            "{}",
            r.body
        );
        assert!(
            r.body
                .contains("id=\"error-anomaly_days\">« douze » n&#39;est pas un nombre.")
                || r.body
                    .contains("id=\"error-anomaly_days\">« douze » n'est pas un nombre."),
            "{}",
            r.body
        );
        assert!(!r.body.contains("error-max_order_amount"));
        assert!(r.body.contains("value=\"500\""), "typed values kept");
        assert!(
            store.ruleset_since(0).expect("read").is_none(),
            "{}",
            db.name
        );
        assert_eq!(served(0).ruleset_version, 0);

        // Valid: version 1, served to the tills, audited.
        let r = o.send(
            "POST",
            "/regles",
            &[
                ("csrf", &csrf),
                ("max_order_amount", "1 250,50"),
                ("anomaly_factor", "3,5"),
                ("permission.refund", "supervisor"),
                ("permission.cash_out", ""),
            ],
        );
        assert_eq!(
            (r.status, r.header("location")),
            (303, Some("/regles?publiee=1")),
            "{}: {}",
            db.name,
            r.body
        );
        let reply = served(0);
        assert_eq!(reply.ruleset_version, 1);
        let rules = reply.rules.expect("rules");
        assert_eq!(rules.max_order_amount, Some(Decimal::new(125050, 2)));
        assert_eq!(rules.anomaly_factor, Some(Decimal::new(35, 1)));
        assert_eq!(
            rules.permissions.get("refund").map(String::as_str),
            Some("supervisor")
        );
        assert!(!rules.permissions.contains_key("cash_out"));
        assert_eq!(
            store.ruleset_since(0).expect("read").expect("v1").set_by,
            "owner@shop.fr"
        );
        let page = o.get("/regles?publiee=1");
        assert!(page.body.contains("id=\"flash\""), "{}", page.body);
        assert!(page.body.contains("data-version=\"1\""));
        let log = store.audit_log(None, 10).expect("audit");
        assert_eq!(log[0].action, "AuditRulesSet");
        assert_eq!(log[0].actor, "owner@shop.fr");
        assert!(log[0].details.contains("version=1"), "{}", log[0].details);
        // The audit page reads the keys in words.
        let audit = o.get("/journal-audit");
        assert!(audit.body.contains("Règles publiées"));
        assert!(
            !audit.body.contains("anomaly_factor"),
            "a code name on the audit page"
        );
    });
}
