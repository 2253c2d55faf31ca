//! The Customers page (`/clients`) over real HTTP on loopback, on SQLite
//! and PostgreSQL: every role reads, only the owner adds and changes (with
//! the session's CSRF token, audited), a refused form says why in French
//! and stores nothing, and a customer's account shows the credit limit, the
//! balance and the available credit.

mod common;

use common::*;
use headoffice::access::Access;
use headoffice::http::Limits;
use headoffice::store::auth::BoRole;
use headoffice::store::Store;
use headoffice::web::accounts;
use headoffice::web::BackOffice;
use rust_decimal::Decimal;
use std::net::SocketAddr;

mod web_client;
use web_client::*;

fn value_of(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let at = html
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + key.len();
    html[at..].split('"').next().unwrap_or("").to_string()
}

/// The text of the element `id="ID"`.
fn by_id(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let text = &html[at..];
    let start = text.find('>')? + 1;
    let end = text[start..].find('<')? + start;
    Some(text[start..end].trim().to_string())
}

fn setup(arc: &std::sync::Arc<dyn Store>) -> Server {
    let store = &**arc;
    for (email, role, shop) in [
        ("owner@shop.fr", BoRole::Owner, None),
        ("m1@shop.fr", BoRole::Manager, Some("S1")),
        ("compta@shop.fr", BoRole::Accountant, None),
    ] {
        accounts::add_user(store, email, role, shop, PW).expect("user");
    }
    Server::with_backoffice(
        arc.clone(),
        Access::default(),
        Limits::default(),
        BackOffice::default(),
    )
}

fn logged_in(addr: SocketAddr, email: &str) -> Browser {
    let mut b = Browser::new(addr);
    let r = b.login(email, PW);
    assert_eq!(r.status, 303, "{}", r.body);
    b
}

fn form<'a>(
    csrf: &'a str,
    number: &'a str,
    siret: &'a str,
    terms: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("number", number),
        ("kind", "b2b"),
        ("name", "Boulangerie Dupré"),
        ("siren", ""),
        ("siret", siret),
        ("vat_number", "FR03552081317"),
        ("address", "1 rue de la Paix\r\n75002 Paris"),
        ("email", "compta@dupre.fr"),
        ("phone", "01 23 45 67 89"),
        ("terms", terms),
        ("credit_limit", "1 500,00"),
        ("group", "pro"),
        ("status", "open"),
        ("loyalty_card", ""),
    ]
}

#[test]
fn the_owner_adds_and_changes_customers_the_others_read() {
    on_both_backends(|db| {
        let store = db.store();
        let srv = setup(&store);
        let mut owner = logged_in(srv.addr, "owner@shop.fr");
        let page = owner.get("/clients");
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("href=\"/clients\""), "in the menu");
        assert!(page.body.contains("Aucun client trouvé."));
        let csrf = value_of(&page.body, "csrf");

        // A wrong SIRET, terms past the legal ceiling: said in French,
        // nothing stored.
        let r = owner.send(
            "POST",
            "/clients",
            &form(&csrf, "C001", "55208131700019", "net30"),
        );
        assert_eq!(r.status, 400, "{}: {}", db.name, r.body);
        assert!(
            by_id(&r.body, "refused").is_some_and(|m| m.contains("SIRET invalide")),
            "{}",
            r.body
        );
        let r = owner.send(
            "POST",
            "/clients",
            &form(&csrf, "C001", "55208131700018", "net75"),
        );
        assert_eq!(r.status, 400);
        assert!(by_id(&r.body, "refused").is_some_and(|m| m.contains("L441-10")));
        // What was typed comes back.
        assert!(r.body.contains("value=\"net75\""));
        assert!(store.customer("C001").expect("read").is_none());
        // Without the session's token: 403, nothing stored.
        let r = owner.send(
            "POST",
            "/clients",
            &form("forged", "C001", "55208131700018", "net30"),
        );
        assert_eq!(r.status, 403);
        assert!(store.customer("C001").expect("read").is_none());

        let r = owner.send(
            "POST",
            "/clients",
            &form(&csrf, "C001", "55208131700018", "net30"),
        );
        assert_eq!(r.status, 303, "{}: {}", db.name, r.body);
        assert!(r
            .header("location")
            .is_some_and(|l| l.starts_with("/clients/fiche?numero=C001")));
        let c = store.customer("C001").expect("read").expect("stored");
        assert_eq!(c.customer.credit_limit, Decimal::from(1500));
        assert_eq!(c.customer.siren.as_deref(), Some("552081317"));
        assert_eq!(
            c.customer.address.as_deref(),
            Some("1 rue de la Paix\n75002 Paris")
        );
        // The same number again: refused by name.
        let r = owner.send(
            "POST",
            "/clients",
            &form(&csrf, "C001", "55208131700018", "net30"),
        );
        assert_eq!(r.status, 400);
        assert!(r.body.contains("Le client C001 existe déjà."));

        // The account page: limit, balance, available credit, in French.
        let one = owner.get("/clients/fiche?numero=C001&ok=1");
        assert_eq!(one.status, 200, "{}", one.body);
        assert!(by_id(&one.body, "saved").is_some());
        assert_eq!(
            by_id(&one.body, "limit").as_deref(),
            Some("1\u{a0}500,00\u{a0}€")
        );
        assert_eq!(by_id(&one.body, "balance").as_deref(), Some("0,00\u{a0}€"));
        assert_eq!(
            by_id(&one.body, "available").as_deref(),
            Some("1\u{a0}500,00\u{a0}€")
        );
        assert_eq!(by_id(&one.body, "status").as_deref(), Some("Ouvert"));

        // The owner puts the account on hold.
        let mut edit = form(&csrf, "C001", "55208131700018", "eom45");
        edit.retain(|(k, _)| *k != "status");
        edit.push(("status", "on_hold"));
        let r = owner.send("POST", "/clients/fiche", &edit);
        assert_eq!(r.status, 303, "{}: {}", db.name, r.body);
        let c = store.customer("C001").expect("read").expect("stored");
        assert_eq!(c.customer.status.code(), "on_hold");
        assert_eq!(c.version, 2);

        // The accountant and a manager read, and may not change.
        for who in ["compta@shop.fr", "m1@shop.fr"] {
            let mut b = logged_in(srv.addr, who);
            let list = b.get("/clients?q=dupre");
            assert_eq!(list.status, 200, "{who}");
            assert!(list.body.contains("C001"));
            assert!(!list.body.contains("id=\"add-customer\""), "{who}");
            let one = b.get("/clients/fiche?numero=C001");
            assert_eq!(one.status, 200);
            assert_eq!(by_id(&one.body, "status").as_deref(), Some("Suspendu"));
            assert!(!one.body.contains("id=\"edit-customer\""));
            let token = value_of(&one.body, "csrf");
            let r = b.send("POST", "/clients/fiche", &form(&token, "C001", "", "cash"));
            assert_eq!(r.status, 403, "{who}");
        }
        assert_eq!(
            store.customer("C001").expect("read").expect("C001").version,
            2
        );
        // An unknown customer is a 404; no session goes to the login.
        assert_eq!(owner.get("/clients/fiche?numero=C999").status, 404);
        assert_eq!(Browser::new(srv.addr).get("/clients").status, 303);

        let audit: Vec<String> = store
            .audit_log(None, 20)
            .expect("audit")
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(
            audit.iter().filter(|a| *a == "AuditAdded").count(),
            1,
            "{audit:?}"
        );
        assert_eq!(
            audit.iter().filter(|a| *a == "AuditEdited").count(),
            1,
            "{audit:?}"
        );
    });
}
