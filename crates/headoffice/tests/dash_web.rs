//! The back office's dashboard pages over real HTTP on loopback (reqwest,
//! the session cookie carried by hand), on SQLite and on PostgreSQL: a sale
//! pushed by a till shows on Today's live fragment within 5 s; the CSV and
//! FEC exports are right to the cent; a manager sees only their store and
//! is refused another's; an alert's acknowledgement is stored and audited;
//! a terminal registered on the page gets a working token, and a revoked
//! one is refused; closings show their signature verified.

mod common;

use common::*;
use headoffice::access::Access;
use headoffice::http::Limits;
use headoffice::store::auth::BoRole;
use headoffice::web::{accounts, BackOffice};
use reqwest::blocking::{Client, Response};
use reqwest::redirect::Policy;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const PW: &str = "correct horse battery";
const NBSP: &str = "\u{a0}";

/// A person at a browser: a client that does not follow redirects, and the
/// cookies it was given.
struct Person {
    addr: SocketAddr,
    http: Client,
    cookies: BTreeMap<String, String>,
}

impl Person {
    fn new(addr: SocketAddr) -> Person {
        Person {
            addr,
            http: Client::builder()
                .redirect(Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            cookies: BTreeMap::new(),
        }
    }

    fn keep(&mut self, r: &Response) {
        for v in r.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap_or("");
            if let Some((k, val)) = v.split(';').next().and_then(|p| p.split_once('=')) {
                self.cookies.insert(k.into(), val.into());
            }
        }
    }

    fn cookie(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// (status, body)
    fn get(&mut self, path: &str) -> (u16, String) {
        let r = self
            .http
            .get(format!("http://{}{path}", self.addr))
            .header("cookie", self.cookie())
            .send()
            .expect("get");
        self.keep(&r);
        (r.status().as_u16(), r.text().unwrap_or_default())
    }

    fn post(&mut self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let r = self
            .http
            .post(format!("http://{}{path}", self.addr))
            .header("cookie", self.cookie())
            .form(form)
            .send()
            .expect("post");
        self.keep(&r);
        (r.status().as_u16(), r.text().unwrap_or_default())
    }

    fn login(addr: SocketAddr, email: &str) -> Person {
        let mut p = Person::new(addr);
        let (st, body) = p.post("/login", &[("email", email), ("password", PW)]);
        assert_eq!(st, 303, "login {email}: {body}");
        assert!(p.cookies.contains_key("comptoir_session"));
        p
    }

    /// The CSRF token of the pages' forms.
    fn csrf(&mut self) -> String {
        let (_, page) = self.get("/");
        let at = page.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
        page[at..].split('"').next().unwrap_or("").to_string()
    }
}

/// Head office's today, as the pages compute it.
fn today() -> String {
    chrono::Local::now().date_naive().to_string()
}

/// A sale of `total` dated today, paid by `tender`.
fn sale_today(total: &str, tender: &str) -> Vec<u8> {
    let p = String::from_utf8(sale_payload(total, "1")).expect("utf8");
    p.replace(DAY, &today())
        .replace("\"kind\":\"cash\"", &format!("\"kind\":\"{tender}\""))
        .into_bytes()
}

fn push(addr: SocketAddr, token: &str, till: &Till, after: u64) -> (u16, String) {
    http(
        addr,
        "POST",
        "/v1/events",
        Some(&bearer(token)),
        &till.after(after),
    )
}

/// The text of the element with `id="ID"` (up to its closing tag).
fn by_id(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let rest = &html[start..];
    let open = rest.find('>').map(|i| i + 1).unwrap_or(0);
    rest[open..].split('<').next().unwrap_or("").to_string()
}

#[test]
fn dashboard_pages_roles_exports_and_changes() {
    on_both_backends(|db| {
        let store = db.store();
        let s = &*store;
        accounts::add_user(s, "owner@shop.fr", BoRole::Owner, None, PW).expect("owner");
        accounts::add_user(s, "compta@shop.fr", BoRole::Accountant, None, PW).expect("accountant");
        accounts::add_user(s, "resp1@shop.fr", BoRole::Manager, Some("S1"), PW).expect("manager");
        let tok1 = register(s, "S1", "T01");
        let tok2 = register(s, "S2", "T02");
        let srv = Server::with_backoffice(
            store.clone(),
            Access::default(),
            Limits::default(),
            BackOffice::default(),
        );
        let addr = srv.addr;
        let mut owner = Person::login(addr, "owner@shop.fr");

        // Today, before any sale.
        let (st, page) = owner.get("/");
        assert_eq!(st, 200, "{}: {page}", db.name);
        assert_eq!(by_id(&page, "today-total"), format!("0,00{NBSP}€"));
        assert!(page.contains("Aucune vente") && page.contains("data-live=\"/aujourdhui/live\""));
        assert!(page.contains("<script src=\"/aujourdhui/live.js\""));
        let (st, js) = owner.get("/aujourdhui/live.js");
        assert!(st == 200 && js.contains("today-live"));

        // A sale reaches head office: the live fragment shows it within 5 s.
        let mut t1 = Till::new("T01", "S1", 1);
        t1.push("sale_completed", sale_today("12.34", "cash"));
        let pushed = Instant::now();
        let (st, body) = push(addr, &tok1, &t1, 0);
        assert_eq!(st, 200, "{body}");
        loop {
            let (st, frag) = owner.get("/aujourdhui/live");
            assert_eq!(st, 200);
            if by_id(&frag, "today-total") == format!("12,34{NBSP}€") {
                assert_eq!(by_id(&frag, "today-sales-count"), "1");
                assert!(
                    frag.contains("data-testid=\"terminal-T01\" data-state=\"ok\""),
                    "{frag}"
                );
                assert!(!frag.contains("<html"), "a fragment, not a page");
                break;
            }
            assert!(
                pushed.elapsed() < Duration::from_secs(5),
                "not shown within 5 s: {frag}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }

        // More sales: a card sale in S1, a cash sale in S2.
        t1.push("sale_completed", sale_today("7.66", "card"));
        assert_eq!(push(addr, &tok1, &t1, 2).0, 200);
        let mut t2 = Till::new("T02", "S2", 2);
        t2.push("sale_completed", sale_today("100.01", "cash"));
        assert_eq!(push(addr, &tok2, &t2, 0).0, 200);
        let (_, page) = owner.get("/");
        assert_eq!(by_id(&page, "today-total"), format!("120,01{NBSP}€"));
        assert_eq!(by_id(&page, "today-basket"), format!("40,00{NBSP}€"));
        assert!(page.contains("id=\"chart-hours\"") && page.contains("id=\"chart-tenders\""));

        // Sales and its exports, to the cent.
        let d = today();
        let fr = chrono::Local::now()
            .date_naive()
            .format("%d/%m/%Y")
            .to_string();
        let (st, sales) = owner.get(&format!("/ventes?du={d}&au={d}&par=jour"));
        assert_eq!(st, 200, "{sales}");
        assert_eq!(by_id(&sales, "sales-total"), format!("120,01{NBSP}€"));
        let (st, csv) = owner.get(&format!("/ventes/export.csv?du={d}&au={d}"));
        assert_eq!(st, 200);
        let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines.len(), 3, "{csv}");
        assert!(lines[0].starts_with(
            "Date;Magasin;Tickets;Ventes TTC;Remboursements TTC;Net TTC;Carte bancaire;Espèces;"
        ));
        assert_eq!(
            lines[1],
            format!("{fr};S1;2;20,00;0,00;20,00;7,66;12,34;20,00;0,00;20,00")
        );
        assert_eq!(
            lines[2],
            format!("{fr};S2;1;100,01;0,00;100,01;0,00;100,01;100,01;0,00;100,01")
        );
        let (st, fec) = owner.get(&format!("/ventes/fec.txt?du={d}&au={d}"));
        assert_eq!(st, 200);
        let ymd = d.replace('-', "");
        assert!(fec.starts_with("JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum"));
        for (acc, debit, credit) in [
            ("530000", "12,34", "0,00"),
            ("511500", "7,66", "0,00"),
            ("707200", "0,00", "20,00"),
            ("530000", "100,01", "0,00"),
            ("707200", "0,00", "100,01"),
        ] {
            assert!(
                fec.lines().any(|l| {
                    let c: Vec<&str> = l.split('\t').collect();
                    c.len() == 18 && c[3] == ymd && c[4] == acc && c[11] == debit && c[12] == credit
                }),
                "{acc} {debit} {credit} in {fec}"
            );
        }

        // A manager: their store only; another store's page is refused.
        let mut m = Person::login(addr, "resp1@shop.fr");
        let (st, page) = m.get("/");
        assert_eq!(st, 200);
        assert_eq!(by_id(&page, "today-total"), format!("20,00{NBSP}€"));
        assert!(page.contains("data-testid=\"store-S1\"") && !page.contains("store-S2"));
        assert!(!page.contains("terminal-T02"));
        assert_eq!(m.get("/?magasin=S2").0, 403);
        assert_eq!(m.get("/aujourdhui/live?magasin=S2").0, 403);
        assert_eq!(m.get(&format!("/ventes?magasin=S2&du={d}&au={d}")).0, 403);
        assert_eq!(m.get("/?magasin=S1").0, 200);
        let (_, csv) = m.get(&format!("/ventes/export.csv?du={d}&au={d}"));
        assert!(csv.contains(";S1;") && !csv.contains(";S2;"), "{csv}");
        for path in ["/ventes/fec.txt", "/alertes", "/clotures", "/terminaux"] {
            assert_eq!(m.get(path).0, 403, "{path}");
        }

        // An alert (a tampered batch of T02), acknowledged by the owner.
        t2.sale("1.00");
        let mut evs = t2.events[1..].to_vec();
        evs[1].payload.push(b' ');
        let body =
            serde_json::to_vec(&sync_proto::EventBatch::from_stored("T02", &evs)).expect("json");
        let (st, _) = http(addr, "POST", "/v1/events", Some(&bearer(&tok2)), &body);
        assert_eq!(st, 422);
        let (_, page) = owner.get("/alertes");
        let a = store
            .dash_alerts(None, 10)
            .expect("alerts")
            .into_iter()
            .find(|a| a.alert.code == "hash_mismatch")
            .expect("alert");
        let id = a.alert.id.to_string();
        assert!(
            page.contains(&format!("data-testid=\"ack-{id}\"")),
            "{page}"
        );
        assert!(page.contains(&format!("data-testid=\"alert-{id}\" data-acked=\"false\"")));
        assert_eq!(
            owner.post("/alertes/acquitter", &[("alert", &id)]).0,
            403,
            "no CSRF"
        );
        let mut acc = Person::login(addr, "compta@shop.fr");
        let acc_csrf = acc.csrf();
        assert_eq!(acc.get("/alertes").0, 200, "the accountant reads alerts");
        assert_eq!(
            acc.post("/alertes/acquitter", &[("alert", &id), ("csrf", &acc_csrf)])
                .0,
            403,
            "the accountant does not acknowledge"
        );
        let csrf = owner.csrf();
        let (st, _) = owner.post("/alertes/acquitter", &[("alert", &id), ("csrf", &csrf)]);
        assert_eq!(st, 303);
        assert!(store
            .dash_alert(a.alert.id)
            .expect("alert")
            .expect("held")
            .acknowledged());
        let (_, page) = owner.get("/alertes");
        assert!(page.contains(&format!("data-testid=\"alert-{id}\" data-acked=\"true\"")));
        assert!(page.contains("Acquittée par owner@shop.fr"));
        let (_, audit) = owner.get("/journal-audit");
        assert!(
            audit.contains("Alerte acquittée") && audit.contains(&format!("n° {id} : ")),
            "{audit}"
        );

        // Terminals: registered here (token shown once), then revoked.
        let (st, page) = owner.post(
            "/terminaux/enregistrer",
            &[("store", "S3"), ("terminal", "T03"), ("csrf", &csrf)],
        );
        assert_eq!(st, 200, "{page}");
        let token = by_id(&page, "new-token");
        assert_eq!(token.len(), 64, "{page}");
        let t3 = Till::new("T03", "S3", 3);
        assert_eq!(push(addr, &token, &t3, 0).0, 200);
        assert!(
            !owner.get("/terminaux").1.contains(&token),
            "the token is shown once"
        );
        let (st, _) = owner.post(
            "/terminaux/revoquer",
            &[("terminal", "T03"), ("csrf", &csrf)],
        );
        assert_eq!(st, 303);
        let (st, body) = push(addr, &token, &t3, 0);
        assert_eq!((st, code(&body).as_str()), (401, "unauthorized"));
        let (_, page) = owner.get("/terminaux");
        assert!(page.contains("Révoquée"));
        assert_eq!(
            acc.post(
                "/terminaux/revoquer",
                &[("terminal", "T01"), ("csrf", &acc_csrf)]
            )
            .0,
            403
        );

        // Closings: T01's Z, its signature verified.
        let key = t1.key.clone();
        let seq = t1.closing(&key);
        assert_eq!(push(addr, &tok1, &t1, seq - 1).0, 200);
        let (st, page) = acc.get("/clotures");
        assert_eq!(st, 200);
        assert!(
            page.contains(&format!(
                "data-testid=\"closing-T01-{seq}\" data-verified=\"true\""
            )),
            "{page}"
        );
        assert!(page.contains("data-testid=\"grand-T01\""));
    });
}
