//! The back office in a real headless Chromium, against the real
//! `headoffice serve` on SQLite: users made by `headoffice user add`, sales
//! by `till simulate` delivered by `till-sync once`. Skipped (printed)
//! without chromium and chromedriver, failed under COMPTOIR_REQUIRE_TOOLS.

use comptoir_e2e::backoffice::{self, login, Server};
use comptoir_e2e::browser::Browser;
use comptoir_i18n::backoffice::Bo;
use comptoir_i18n::{Lang, Template};
use std::path::Path;
use std::time::Duration;

const OWNER: &str = "patronne@exemple.fr";
const MANAGER: &str = "gerant.lyon@exemple.fr";
const PASSWORD: &str = "correct horse battery staple";

/// Head office on a fresh SQLite file with the demo catalog, an owner, and
/// a manager of store LYON.
fn head_office(dir: &Path, low_stock: Option<u32>) -> Server {
    let db = format!("sqlite:{}", dir.join("ho.db").display());
    let csv = dir.join("catalogue.csv");
    backoffice::demo_catalog_csv(&csv, low_stock);
    backoffice::load_catalog(&db, &csv);
    backoffice::user_add(&db, OWNER, "owner", None, PASSWORD);
    backoffice::user_add(&db, MANAGER, "manager", Some("LYON"), PASSWORD);
    Server::start(&db)
}

/// Spaces as a person reads them: the French formats' no-break spaces too.
fn plain(s: &str) -> String {
    s.replace(['\u{a0}', '\u{202f}'], " ").trim().to_string()
}

/// The HTTP status of a GET made by the page itself (with its cookies).
fn status_in_page(b: &Browser, path: &str) -> u64 {
    b.execute(
        "var x = new XMLHttpRequest(); x.open('GET', arguments[0], false); x.send(); return x.status;",
        &[serde_json::json!(path)],
    )
    .as_u64()
    .expect("a status")
}

#[test]
fn owner_logs_in_and_out() {
    let Some(b) = Browser::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let ho = head_office(dir.path(), None);
    let base = ho.url();

    // Not logged in: every page leads to the login form.
    b.goto(&format!("{base}/"));
    assert!(b.current_url().ends_with("/login"), "{}", b.current_url());
    // A wrong password: refused, said so, no session.
    login(&b, &base, OWNER, "not the password at all");
    assert!(b.exists("[role=alert]"), "{}", b.visible_text());
    assert!(b.cookie("comptoir_session").is_none());

    login(&b, &base, OWNER, PASSWORD);
    assert!(!b.current_url().ends_with("/login"), "{}", b.visible_text());
    assert!(b.cookie("comptoir_session").is_some(), "session cookie set");
    assert!(b.visible_text().contains(OWNER), "{}", b.visible_text());
    b.goto(&format!("{base}/journal-audit"));
    assert_eq!(status_in_page(&b, "/journal-audit"), 200);
    assert!(
        b.text("main").contains(OWNER),
        "the login is in the audit log"
    );

    // Log out: the session ends, the pages lead to the login form again.
    b.click("form[action='/logout'] button");
    b.wait_until("the session cookie cleared", Duration::from_secs(5), |b| {
        b.cookie("comptoir_session").is_none()
    });
    assert!(
        plain(&b.visible_text()).contains(&plain(&Bo::LoggedOut.text(Lang::Fr))),
        "{}",
        b.visible_text()
    );
    b.goto(&format!("{base}/"));
    assert!(b.current_url().ends_with("/login"), "{}", b.current_url());
}

#[test]
fn a_manager_is_refused_the_owners_pages() {
    let Some(b) = Browser::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let ho = head_office(dir.path(), None);
    let base = ho.url();
    login(&b, &base, MANAGER, PASSWORD);
    assert!(
        b.cookie("comptoir_session").is_some(),
        "{}",
        b.visible_text()
    );
    assert_eq!(status_in_page(&b, "/"), 200);
    b.goto(&format!("{base}/journal-audit"));
    assert_eq!(
        plain(&b.text("h1")),
        plain(&Bo::ForbiddenTitle.text(Lang::Fr))
    );
    assert!(!b.visible_text().contains(OWNER), "{}", b.visible_text());
    assert_eq!(status_in_page(&b, "/journal-audit"), 403);
}

/// The value of `name="csrf"` in a page's HTML.
fn csrf_in(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a CSRF field in the page");
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').expect("end of the value")].to_string()
}

#[test]
fn a_post_without_the_csrf_token_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ho = head_office(dir.path(), None);
    let base = ho.url();
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .expect("client");
    let r = http
        .post(format!("{base}/login"))
        .form(&[("email", OWNER), ("password", PASSWORD)])
        .send()
        .expect("login");
    assert_eq!(r.status(), 303, "logged in");
    let set = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("comptoir_session="))
        .expect("a session cookie")
        .to_string();
    let cookie = set.split(';').next().expect("name=value").to_string();
    let get = |path: &str| {
        http.get(format!("{base}{path}"))
            .header("cookie", &cookie)
            .send()
            .expect("GET")
    };
    let page = get("/");
    assert_eq!(page.status(), 200);
    let csrf = csrf_in(&page.text().expect("body"));
    let post = |path: &str, form: &[(&str, &str)]| {
        http.post(format!("{base}{path}"))
            .header("cookie", &cookie)
            .form(form)
            .send()
            .expect("POST")
            .status()
            .as_u16()
    };
    // Without the token, or with another one: refused, still logged in.
    assert_eq!(post("/logout", &[]), 403);
    assert_eq!(post("/logout", &[("csrf", "0000")]), 403);
    assert_eq!(get("/").status(), 200, "still logged in");
    // With the session's token: done.
    assert_eq!(post("/logout", &[("csrf", &csrf)]), 200);
    assert_eq!(get("/").status(), 303, "logged out");
}
