//! Browser tests for the pages of bo-dash (Today live, Alerts) and bo-stock
//! (Catalog, Stock), written against the element ids their modules promise
//! but NOT yet compiled: those pages were not on their branches when this was
//! written. Once merged, append this file to tests/tests/backoffice_browser.rs
//! (it uses that file's helpers: head_office, plain, net_of, status_in_page,
//! csrf_in; add `today, Till` to its imports, `Fmt` and
//! `rust_decimal::Decimal`, `till_core::records::ClosingKind`) and run `cargo test --release -p comptoir-e2e --test backoffice_browser`.

/// A journal's net takings of one day, as the back office writes money.
fn net_of(journal: &Path, day: chrono::NaiveDate) -> String {
    let j = till_journal::Journal::open_read_only(journal).expect("journal");
    let t = j
        .period_totals(ClosingKind::Day, &day.to_string())
        .expect("day totals");
    assert!(t.net_total > Decimal::ZERO, "the simulated day sold something");
    plain(&Fmt::web(Lang::Fr).money(t.net_total))
}

#[test]
fn owner_logs_in_sees_a_new_sale_live_on_today_and_logs_out() {
    let Some(b) = Browser::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let ho = head_office(dir.path(), None);
    let till = Till::new(dir.path(), &ho, "PARIS", "T01");
    let base = ho.url();

    // Not logged in: every page leads to the login form.
    b.goto(&format!("{base}/"));
    assert!(b.current_url().ends_with("/login"), "{}", b.current_url());
    login(&b, &base, OWNER, PASSWORD);
    assert!(!b.current_url().ends_with("/login"), "{}", b.visible_text());
    assert!(b.cookie("comptoir_session").is_some(), "session cookie set");
    b.goto(&format!("{base}/"));
    let before = plain(&b.text("#today-total"));
    assert_eq!(before, plain(&Fmt::web(Lang::Fr).money(Decimal::ZERO)));

    // A day of sales at the till, delivered while the page stays open.
    let day = today();
    till.simulate(40, 1, day, 7);
    till.sync();
    let want = net_of(&till.journal, day);
    let url = b.current_url();
    let got = b.wait_text("#today-total", Duration::from_secs(5), |t| plain(t) == want);
    assert_eq!(plain(&got), want);
    assert_eq!(b.current_url(), url, "updated in place, not reloaded");
    assert!(b.exists("[data-testid='terminal-T01']"), "{}", b.visible_text());

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
fn a_manager_is_refused_another_stores_page() {
    let Some(b) = Browser::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let ho = head_office(dir.path(), None);
    let paris = Till::new(dir.path(), &ho, "PARIS", "T01");
    let lyon = Till::new(dir.path(), &ho, "LYON", "T02");
    let day = today();
    paris.simulate(30, 1, day, 3);
    lyon.simulate(30, 1, day, 4);
    paris.sync();
    lyon.sync();
    let base = ho.url();
    login(&b, &base, MANAGER, PASSWORD);

    // Their own store: shown, with their takings.
    b.goto(&format!("{base}/?magasin=LYON"));
    assert_eq!(plain(&b.text("#today-total")), net_of(&lyon.journal, day));
    assert_eq!(status_in_page(&b, "/?magasin=LYON"), 200);
    // Without a filter: still only theirs.
    b.goto(&format!("{base}/"));
    assert_eq!(plain(&b.text("#today-total")), net_of(&lyon.journal, day));
    assert!(!b.exists("[data-testid='terminal-T01']"));

    // Another store's page: refused, nothing of it shown.
    b.goto(&format!("{base}/?magasin=PARIS"));
    assert_eq!(plain(&b.text("h1")), plain(&Bo::ForbiddenTitle.text(Lang::Fr)));
    assert!(!b.exists("#today-total"));
    assert!(!b.visible_text().contains(&net_of(&paris.journal, day)));
    assert_eq!(status_in_page(&b, "/?magasin=PARIS"), 403);
    assert_eq!(status_in_page(&b, "/aujourdhui/live?magasin=PARIS"), 403);
}

#[test]
fn owner_acknowledges_a_low_stock_alert() {
    let Some(b) = Browser::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    // Every item alerts below 5: the till sells from empty shelves.
    let ho = head_office(dir.path(), Some(5));
    let till = Till::new(dir.path(), &ho, "PARIS", "T01");
    till.simulate(20, 1, today(), 11);
    till.sync();
    let base = ho.url();
    login(&b, &base, OWNER, PASSWORD);
    b.goto(&format!("{base}/alertes"));
    let open = b.find_all("[data-testid^='ack-']");
    assert!(!open.is_empty(), "no alert to acknowledge: {}", b.visible_text());
    let before = open.len();
    let testid = open[0].attr("data-testid").expect("data-testid");
    let id = testid.trim_start_matches("ack-").to_string();
    let row = format!("[data-testid='alert-{id}']");
    assert_eq!(b.find(&row).attr("data-acked").as_deref(), Some("false"));
    open[0].click();
    b.wait_until("the alert acknowledged", Duration::from_secs(5), |b| {
        b.find_all(&row)
            .first()
            .and_then(|r| r.attr("data-acked"))
            .as_deref()
            == Some("true")
    });
    // Who acknowledged it is shown, its button is gone, the others remain.
    assert!(b.text(&row).contains(OWNER), "{}", b.text(&row));
    assert!(!b.exists(&format!("[data-testid='ack-{id}']")));
    assert_eq!(b.find_all("[data-testid^='ack-']").len(), before - 1);
}

/// The value of `name="csrf"` in a page's HTML.
fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a CSRF field in the page");
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').expect("end of the value")].to_string()
}

#[test]
fn a_post_without_the_csrf_token_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ho = head_office(dir.path(), Some(5));
    let till = Till::new(dir.path(), &ho, "PARIS", "T01");
    till.simulate(20, 1, today(), 11);
    till.sync();
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
    let page = get("/alertes");
    assert_eq!(page.status(), 200);
    let html = page.text().expect("body");
    let csrf = csrf_in(&html);
    let at = html.find("name=\"alert\" value=\"").expect("an alert to acknowledge");
    let rest = &html[at + "name=\"alert\" value=\"".len()..];
    let alert = rest[..rest.find('"').expect("end")].to_string();
    let post = |path: &str, form: &[(&str, &str)]| {
        http.post(format!("{base}{path}"))
            .header("cookie", &cookie)
            .form(form)
            .send()
            .expect("POST")
            .status()
            .as_u16()
    };

    // Without the token, or with another one: refused, nothing changed.
    assert_eq!(post("/alertes/acquitter", &[("alert", &alert)]), 403);
    assert_eq!(
        post("/alertes/acquitter", &[("alert", &alert), ("csrf", "0000")]),
        403
    );
    assert_eq!(post("/logout", &[]), 403);
    let html = get("/alertes").text().expect("body");
    assert!(
        html.contains(&format!("data-testid=\"ack-{alert}\"")),
        "the alert is still to acknowledge"
    );
    assert_eq!(get("/").status(), 200, "still logged in");

    // With the session's token: done.
    assert_eq!(
        post("/alertes/acquitter", &[("alert", &alert), ("csrf", &csrf)]),
        303
    );
    let html = get("/alertes").text().expect("body");
    assert!(!html.contains(&format!("data-testid=\"ack-{alert}\"")));
    assert_eq!(post("/logout", &[("csrf", &csrf)]), 200);
    assert_eq!(get("/").status(), 303, "logged out");
}

/// A figure as the back office writes it (`1 234,5`, `-3`) as a Decimal.
fn figure(text: &str) -> Decimal {
    let t: String = plain(text)
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    t.trim_end_matches('€')
        .replace('−', "-")
        .parse()
        .unwrap_or_else(|e| panic!("{text:?} is not a figure: {e}"))
}

/// The price the till's catalog holds for `item` (as the counter reads it).
fn till_price(till: &Till, item: &str) -> Decimal {
    let cat = till_catalog::CatalogStore::open(&till.catalog()).expect("the till's catalog");
    cat.load_items()
        .expect("items")
        .into_iter()
        .find(|i| i.id == item)
        .unwrap_or_else(|| panic!("{item} not in the till's catalog"))
        .price
}

#[test]
fn a_price_changed_in_the_back_office_reaches_the_till() {
    let Some(b) = Browser::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let ho = head_office(dir.path(), None);
    let till = Till::new(dir.path(), &ho, "PARIS", "T01");
    till.sync();
    // 10001 is the demo shop's first item, "Baguette tradition" at 1.30.
    assert_eq!(till_price(&till, "10001"), Decimal::new(130, 2));
    let base = ho.url();
    login(&b, &base, OWNER, PASSWORD);
    b.goto(&format!("{base}/catalogue?q=baguette"));
    b.click("tr[data-item='10001'] a");
    b.find("form#edit");
    b.fill("#item-price", "1,35");
    b.click("form#edit button[type=submit]");
    b.find("#flash");
    assert!(!b.exists("#form-error"), "{}", b.visible_text());

    till.sync();
    assert_eq!(till_price(&till, "10001"), Decimal::new(135, 2));
}

#[test]
fn goods_received_raise_the_stock() {
    let Some(b) = Browser::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let ho = head_office(dir.path(), None);
    let till = Till::new(dir.path(), &ho, "PARIS", "T01");
    till.simulate(60, 1, today(), 5);
    till.sync();
    let base = ho.url();
    login(&b, &base, OWNER, PASSWORD);
    b.goto(&format!("{base}/stock?magasin=PARIS&article=10001"));
    let cell = "td[data-testid='stock-PARIS-10001']";
    let before = if b.exists(cell) {
        figure(&b.text(cell))
    } else {
        Decimal::ZERO
    };
    b.goto(&format!("{base}/stock?magasin=PARIS"));
    b.click("form#receive select[name=magasin] option[value=PARIS]");
    b.fill("#receive-item-1", "10001");
    b.fill("#receive-qty-1", "24");
    b.click("form#receive button[type=submit]");
    b.find("#flash");
    assert!(!b.exists("#form-error"), "{}", b.visible_text());
    b.goto(&format!("{base}/stock?magasin=PARIS&article=10001"));
    assert_eq!(figure(&b.text(cell)), before + Decimal::from(24));
    // The movement is listed with its source.
    assert!(b.text("table#moves").contains("10001"), "{}", b.text("table#moves"));
}
