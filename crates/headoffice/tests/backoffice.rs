//! The back office's frame over real HTTP on loopback, on SQLite and on
//! PostgreSQL: login and logout, the session cookie's attributes, sessions
//! kept as hashes and ending when idle, the login limit per account and per
//! address, CSRF on POST, roles, security headers, the audit log, and the
//! storage of accounts (every `AuthStore` method on both backends).

mod common;

use common::*;
use headoffice::access::Access;
use headoffice::http::Limits;
use headoffice::store::auth::BoRole;
use headoffice::store::Store;
use headoffice::web::accounts;
use headoffice::web::session::token_sha256;
use headoffice::web::BackOffice;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod web_client;
use web_client::*;

fn owner(store: &dyn Store) {
    accounts::add_user(store, "Owner@Shop.fr", BoRole::Owner, None, PW).expect("owner");
}

fn server(store: Arc<dyn Store>, bo: BackOffice) -> Server {
    Server::with_backoffice(store, Access::default(), Limits::default(), bo)
}

#[test]
fn log_in_and_out_with_a_hashed_session_cookie() {
    on_both_backends(|db| {
        let store = db.store();
        owner(&*store);
        let srv = server(store.clone(), BackOffice::default());
        let mut b = Browser::new(srv.addr);

        // Without a session every page sends to /login.
        for path in ["/", "/journal-audit", "/ventes"] {
            let r = b.get(path);
            if path == "/ventes" && r.status == 404 {
                continue; // not built on this branch
            }
            assert_eq!(
                (r.status, r.header("location")),
                (303, Some("/login")),
                "{path}"
            );
        }
        let form = b.get("/login");
        assert_eq!(form.status, 200);
        assert!(form.body.contains("name=\"email\"") && form.body.contains("name=\"password\""));
        assert!(form.body.contains("<html lang=\"fr\""), "French by default");

        let bad = b.login("owner@shop.fr", "wrong password!");
        assert_eq!(bad.status, 401, "{}: {}", db.name, bad.body);
        assert!(bad
            .body
            .contains("Adresse e-mail ou mot de passe incorrect."));
        assert!(b.cookies.is_empty());

        // The e-mail is matched whatever its case.
        let ok = b.login(" OWNER@shop.FR ", PW);
        assert_eq!(
            (ok.status, ok.header("location")),
            (303, Some("/")),
            "{}",
            ok.body
        );
        let cookie = ok.header("set-cookie").expect("cookie").to_string();
        let token = b.cookies.get("comptoir_session").expect("session").clone();
        assert_eq!(token.len(), 64);
        assert_eq!(
            cookie,
            format!("comptoir_session={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200")
        );
        // Only the token's digest is stored.
        assert!(store
            .session(&token_sha256(&token))
            .expect("session")
            .is_some());

        let home = b.get("/");
        assert_eq!(home.status, 200);
        assert!(home.body.contains("owner@shop.fr"));
        for path in [
            "/ventes",
            "/stock",
            "/catalogue",
            "/regles",
            "/alertes",
            "/clotures",
            "/terminaux",
            "/journal-audit",
        ] {
            assert!(home.body.contains(&format!("href=\"{path}\"")), "{path}");
        }
        // /login with a session goes home.
        assert_eq!(b.get("/login").header("location"), Some("/"));

        // Logging out needs the form's CSRF token.
        let csrf = b.csrf();
        let refused = b.send("POST", "/logout", &[]);
        assert_eq!(refused.status, 403);
        assert!(
            refused.body.contains("Ce formulaire a expiré"),
            "{}",
            refused.body
        );
        let wrong = b.send("POST", "/logout", &[("csrf", &"0".repeat(64))]);
        assert_eq!(wrong.status, 403);
        assert_eq!(b.get("/").status, 200, "still logged in");
        let out = b.send("POST", "/logout", &[("csrf", &csrf)]);
        assert_eq!(out.status, 200, "{}", out.body);
        assert!(out
            .header("set-cookie")
            .is_some_and(|c| c.contains("Max-Age=0")));
        assert!(store
            .session(&token_sha256(&token))
            .expect("session")
            .is_none());
        // The old cookie opens nothing any more.
        b.cookies.insert("comptoir_session".into(), token);
        assert_eq!(b.get("/").status, 303);

        let log = store.audit_log(None, 10).expect("audit");
        let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            ["AuditLogout", "AuditLogin", "AuditUserAdded"],
            "{}",
            db.name
        );
        assert_eq!(log[0].actor, "owner@shop.fr");
        assert_eq!(log[2].actor, "cli");
    });
}

#[test]
fn an_unknown_email_reads_and_takes_like_a_wrong_password() {
    let db_dir = tempfile::tempdir().expect("tmp");
    let store =
        headoffice::store::open(&format!("sqlite:{}", db_dir.path().join("h.db").display()))
            .expect("store");
    owner(&*store);
    let srv = server(
        store,
        BackOffice {
            max_failures: 100,
            ..BackOffice::default()
        },
    );
    let mut b = Browser::new(srv.addr);
    let mut time = |email: &str| {
        let mut best = Duration::MAX;
        let mut page = String::new();
        for _ in 0..3 {
            let t = Instant::now();
            let r = b.login(email, "wrong password!");
            best = best.min(t.elapsed());
            assert_eq!(r.status, 401);
            page = r.body.replace(email, "EMAIL");
        }
        (best, page)
    };
    let (known, known_page) = time("owner@shop.fr");
    let (unknown, unknown_page) = time("nobody@shop.fr");
    assert_eq!(known_page, unknown_page);
    // Both run argon2: an unknown e-mail is not answered at once.
    assert!(
        unknown * 3 >= known,
        "unknown {unknown:?} vs wrong password {known:?}"
    );
}

#[test]
fn failed_logins_lock_the_account_and_the_address() {
    on_both_backends(|db| {
        let store = db.store();
        owner(&*store);
        accounts::add_user(&*store, "compta@shop.fr", BoRole::Accountant, None, PW).expect("add");
        let bo = BackOffice {
            max_failures: 3,
            ..BackOffice::default()
        };
        let srv = server(store.clone(), bo);
        let mut b = Browser::new(srv.addr);
        for _ in 0..3 {
            assert_eq!(b.login("owner@shop.fr", "wrong password!").status, 401);
        }
        // Locked, even with the right password, and told for how long.
        let locked = b.login("owner@shop.fr", PW);
        assert_eq!(locked.status, 429, "{}: {}", db.name, locked.body);
        assert!(
            locked.body.contains("réessayez dans 15 minutes"),
            "{}",
            locked.body
        );
        assert!(b.cookies.is_empty());
        // The address is locked too: another account from here is refused.
        assert_eq!(b.login("compta@shop.fr", PW).status, 429);
        // Another instance sees the same counts (they are in the database);
        // with the address's failures forgotten, the account stays locked.
        store.clear_login_failures("addr:127.0.0.1").expect("clear");
        let other = server(
            store.clone(),
            BackOffice {
                max_failures: 3,
                ..BackOffice::default()
            },
        );
        let mut b2 = Browser::new(other.addr);
        assert_eq!(b2.login("owner@shop.fr", PW).status, 429);
        assert_eq!(b2.login("compta@shop.fr", PW).status, 303);
        // An unknown e-mail is locked the same way (no way to tell it apart).
        for _ in 0..3 {
            assert_eq!(b2.login("ghost@shop.fr", "wrong password!").status, 401);
        }
        store.clear_login_failures("addr:127.0.0.1").expect("clear");
        assert_eq!(b2.login("ghost@shop.fr", "wrong password!").status, 429);
    });
}

#[test]
fn an_idle_session_ends() {
    on_both_backends(|db| {
        let store = db.store();
        owner(&*store);
        let bo = BackOffice {
            // Seconds are the unit: 3 s leaves a loaded machine 2 s per request.
            idle: Duration::from_secs(3),
            ..BackOffice::default()
        };
        let srv = server(store.clone(), bo);
        let mut b = Browser::new(srv.addr);
        assert_eq!(b.login("owner@shop.fr", PW).status, 303);
        // Used within the idle time: kept alive past it.
        for _ in 0..3 {
            std::thread::sleep(Duration::from_millis(1000));
            assert_eq!(b.get("/").status, 200, "{}", db.name);
        }
        std::thread::sleep(Duration::from_millis(4200));
        let r = b.get("/");
        assert_eq!((r.status, r.header("location")), (303, Some("/login")));
        let token = b.cookies.get("comptoir_session").expect("cookie");
        assert!(store
            .session(&token_sha256(token))
            .expect("session")
            .is_none());
    });
}

#[test]
fn roles_headers_language_and_css() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = headoffice::store::open(&format!("sqlite:{}", dir.path().join("h.db").display()))
        .expect("store");
    owner(&*store);
    accounts::add_user(&*store, "m1@shop.fr", BoRole::Manager, Some("S1"), PW).expect("m1");
    let srv = server(
        store.clone(),
        BackOffice {
            secure_cookie: true,
            ..BackOffice::default()
        },
    );
    let mut m = Browser::new(srv.addr);
    let r = m.login("m1@shop.fr", PW);
    assert!(r
        .header("set-cookie")
        .is_some_and(|c| c.ends_with("; Secure")));
    let home = m.get("/");
    assert_eq!(home.status, 200);
    assert!(home.body.contains("responsable du magasin S1"));
    // A manager's menu has their store's pages only...
    assert!(
        home.body.contains("href=\"/stock\"") && !home.body.contains("href=\"/journal-audit\"")
    );
    // Their store's page opens, another store's is refused.
    assert_eq!(m.get("/?magasin=S1").status, 200);
    let other = m.get("/?magasin=S2");
    assert_eq!(other.status, 403);
    assert!(other.body.contains("Accès refusé"), "{}", other.body);
    // ...and the audit log answers 403 with a French page.
    let audit = m.get("/journal-audit");
    assert_eq!(audit.status, 403);
    assert!(audit.body.contains("Accès refusé"), "{}", audit.body);

    for (path, r) in [("/", &home), ("/journal-audit", &audit)] {
        let csp = r.header("content-security-policy").unwrap_or("");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}"
        );
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("referrer-policy"), Some("same-origin"));
        assert_eq!(r.header("cache-control"), Some("no-store"));
    }
    // No inline script or style in the pages (a script is a vendored file).
    assert!(
        home.body.matches("<script").count() == home.body.matches("<script src=\"/").count()
            && !home.body.contains("style=")
    );

    // The owner reads the audit log, in English after the switch.
    let mut o = Browser::new(srv.addr);
    let sw = o.get("/langue?vers=en&retour=/journal-audit");
    assert_eq!(
        (sw.status, sw.header("location")),
        (303, Some("/journal-audit"))
    );
    assert_eq!(o.get("/login").status, 200);
    assert!(o.get("/login").body.contains("E-mail address"));
    o.login("owner@shop.fr", PW);
    let log = o.get("/journal-audit");
    assert_eq!(log.status, 200);
    assert!(log.body.contains("<html lang=\"en\""));
    assert!(log.body.contains("Logged in") && log.body.contains("m1@shop.fr"));
    assert!(log.body.contains("command line"), "the CLI's additions");
    // An open redirect is not offered.
    assert_eq!(
        o.get("/langue?vers=fr&retour=//evil.example")
            .header("location"),
        Some("/")
    );

    let css = o.get("/static/app.css");
    assert_eq!(css.status, 200);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert!(css
        .header("cache-control")
        .is_some_and(|c| c.contains("max-age")));
    assert!(css.body.contains("@media"));
    assert_eq!(o.get("/static/nothing.js").status, 404);
    // The JSON API still answers with its bearer tokens, not a redirect.
    let (st, _) = http(srv.addr, "GET", "/v1/reports/sales", None, b"");
    assert_eq!(st, 401);
}

#[test]
fn auth_store_on_both_backends() {
    on_both_backends(|db| {
        let s = db.store();
        let add = |email: &str, role, store: Option<&str>| {
            s.add_user(&headoffice::store::auth::NewBoUser {
                email,
                role,
                store_id: store,
                password_hash: "h1",
                created_at: "2026-12-03T10:00:00.000Z",
            })
        };
        let id = add("a@shop.fr", BoRole::Owner, None).expect("add");
        let e = add("a@shop.fr", BoRole::Accountant, None)
            .expect_err("taken")
            .to_string();
        assert!(e.contains("a@shop.fr exists"), "{e}");
        add("m@shop.fr", BoRole::Manager, Some("S2")).expect("add");
        let users = s.users().expect("users");
        assert_eq!(users.len(), 2);
        assert_eq!(users[1].store_id.as_deref(), Some("S2"));
        assert_eq!(users[1].role, BoRole::Manager);
        let a = s.user_by_email("a@shop.fr").expect("get").expect("a");
        assert_eq!((a.id, a.password_hash.as_str()), (id, "h1"));
        assert!(s.user_by_email("b@shop.fr").expect("get").is_none());

        s.create_session(&[1; 32], id, "c1", 1000).expect("session");
        s.create_session(&[2; 32], id, "c2", 1000).expect("session");
        let got = s.session(&[1; 32]).expect("get").expect("session");
        assert_eq!(
            (got.csrf.as_str(), got.created_at, got.last_seen),
            ("c1", 1000, 1000)
        );
        assert_eq!(got.user.email, "a@shop.fr");
        s.touch_session(&[1; 32], 1500).expect("touch");
        assert_eq!(
            s.session(&[1; 32]).expect("get").expect("s").last_seen,
            1500
        );
        // Session 2 is idle since 1000: gone; session 1 stays.
        assert_eq!(s.delete_expired_sessions(1200, 0).expect("expire"), 1);
        assert!(s.session(&[2; 32]).expect("get").is_none());
        // A new password ends the sessions.
        assert!(s.set_password("a@shop.fr", "h2").expect("set"));
        assert!(s.session(&[1; 32]).expect("get").is_none());
        assert!(!s.set_password("b@shop.fr", "h2").expect("set"));
        s.create_session(&[3; 32], id, "c3", 2000).expect("session");
        s.delete_session(&[3; 32]).expect("delete");
        assert!(s.session(&[3; 32]).expect("get").is_none());
        s.create_session(&[4; 32], id, "c4", 2000).expect("session");
        assert!(s.remove_user("a@shop.fr").expect("remove"));
        assert!(!s.remove_user("a@shop.fr").expect("remove"));
        assert!(s.session(&[4; 32]).expect("get").is_none());

        s.record_login_failure(&["user:x", "addr:1"], 100, 0)
            .expect("fail");
        s.record_login_failure(&["user:x"], 200, 0).expect("fail");
        assert_eq!(s.login_failures("user:x", 100).expect("count"), 2);
        assert_eq!(s.login_failures("user:x", 150).expect("count"), 1);
        assert_eq!(s.login_failures("addr:1", 0).expect("count"), 1);
        // Old failures are forgotten as new ones come.
        s.record_login_failure(&["user:x"], 300, 150).expect("fail");
        assert_eq!(s.login_failures("user:x", 0).expect("count"), 2);
        s.clear_login_failures("user:x").expect("clear");
        assert_eq!(s.login_failures("user:x", 0).expect("count"), 0);
        assert_eq!(s.login_failures("addr:1", 0).expect("count"), 1);

        for i in 0..5 {
            s.audit(&headoffice::store::auth::NewAudit {
                at: "2026-12-03T10:00:00.000Z",
                actor: "a@shop.fr",
                action: "Thing",
                action_fr: "Chose",
                action_en: "Thing",
                details: &format!("n{i}"),
            })
            .expect("audit");
        }
        let page = s.audit_log(None, 3).expect("log");
        let d: Vec<&str> = page.iter().map(|e| e.details.as_str()).collect();
        assert_eq!(d, ["n4", "n3", "n2"]);
        let older = s.audit_log(Some(page[2].id), 3).expect("log");
        let d: Vec<&str> = older.iter().map(|e| e.details.as_str()).collect();
        assert_eq!(d, ["n1", "n0"]);
        assert_eq!(older[0].action_fr, "Chose");
    });
}
