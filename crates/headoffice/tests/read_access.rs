//! Reports, the ERP feed and `/metrics` need a read credential unless the
//! configuration opts in (`public_reports`); each role reaches only its own.
//! One body, run on SQLite and on PostgreSQL.

mod common;

use common::*;
use headoffice::access::{Access, Role};
use headoffice::http::Limits;

const REPORTS: &[&str] = &[
    "/v1/reports/sales",
    "/v1/reports/stock",
    "/v1/reports/terminals",
    "/v1/reports/closings",
    "/v1/reports/alerts",
];

#[test]
fn reports_feed_and_metrics_need_a_credential_with_the_right_role() {
    on_both_backends(|db| {
        let store = db.store();
        let terminal = register(&*store, "S1", "T01");
        let mut tokens = Vec::new();
        for role in [Role::Feed, Role::Monitoring, Role::Owner] {
            let t = headoffice::new_token().expect("token");
            store
                .add_read_token(role.as_str(), role, &headoffice::token_sha256(&t))
                .expect("add");
            tokens.push((role, t));
        }
        let srv = Server::start(store.clone(), Access::default(), Limits::default());
        let get = |path: &str, auth: Option<&str>| http(srv.addr, "GET", path, auth, b"").0;
        let name = db.name;

        // Nobody, and a terminal's sync token, read nothing; health and the API description stay open.
        for path in REPORTS.iter().chain(&["/v1/feed", "/metrics"]) {
            assert_eq!(get(path, None), 401, "{name}: {path} without a credential");
            assert_eq!(
                get(path, Some(&bearer(&terminal))),
                401,
                "{name}: {path} with a terminal token"
            );
            assert_eq!(get(path, Some("Bearer not-a-token")), 401, "{name}: {path}");
        }
        assert_eq!(get("/healthz", None), 200, "{name}");
        assert_eq!(get("/v1/openapi.json", None), 200, "{name}");

        for (role, t) in &tokens {
            let auth = bearer(t);
            let want = |ok: bool| if ok { 200 } else { 403 };
            for path in REPORTS {
                assert_eq!(
                    get(path, Some(&auth)),
                    want(*role == Role::Owner),
                    "{name}: {role:?} {path}"
                );
            }
            assert_eq!(
                get("/v1/feed", Some(&auth)),
                want(*role != Role::Monitoring),
                "{name}: {role:?} feed"
            );
            assert_eq!(
                get("/metrics", Some(&auth)),
                want(*role != Role::Feed),
                "{name}: {role:?} metrics"
            );
        }
        // The scheme is case-insensitive.
        let owner = &tokens[2].1;
        for scheme in ["bearer", "BEARER", "Bearer"] {
            let a = format!("{scheme} {owner}");
            assert_eq!(get("/v1/reports/sales", Some(&a)), 200, "{name}: {scheme}");
        }
        let (st, _) = http(
            srv.addr,
            "GET",
            "/v1/catalog?since=0",
            Some(&format!("bearer {terminal}")),
            b"",
        );
        assert_eq!(st, 200, "{name}: a terminal's lower-case scheme");
        // A revoked token reads nothing.
        assert!(store.revoke_read_token("owner").expect("revoke"));
        assert_eq!(
            get("/v1/reports/sales", Some(&bearer(owner))),
            401,
            "{name}"
        );
        drop(srv);

        // public_reports = true: open, as configured.
        let open = Server::start(store.clone(), Access::public(), Limits::default());
        for path in REPORTS.iter().chain(&["/v1/feed", "/metrics"]) {
            assert_eq!(
                http(open.addr, "GET", path, None, b"").0,
                200,
                "{name}: public {path}"
            );
        }
        drop(open);

        // The admin token file's token is an owner token.
        let admin = "an-admin-token-of-old";
        let with_admin = Access {
            public_reports: false,
            admin_token_sha256: Some(headoffice::token_sha256(admin)),
        };
        let srv = Server::start(store.clone(), with_admin, Limits::default());
        for path in REPORTS.iter().chain(&["/v1/feed", "/metrics"]) {
            assert_eq!(
                http(srv.addr, "GET", path, Some(&bearer(admin)), b"").0,
                200,
                "{name}: admin {path}"
            );
            assert_eq!(
                http(srv.addr, "GET", path, None, b"").0,
                401,
                "{name}: {path}"
            );
        }
    });
}
