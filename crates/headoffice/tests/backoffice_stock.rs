//! The Stock and Catalog & prices pages over real HTTP on loopback, on
//! SQLite and PostgreSQL, as a browser without JavaScript uses them: goods
//! received raise the level (once per form), a count stores an adjustment,
//! a transfer moves between stores, a price edited is the next catalog
//! version, an import previewed changes nothing until confirmed, and a
//! manager is refused another store (and the shared catalog).

mod common;

use common::*;
use headoffice::access::Access;
use headoffice::http::Limits;
use headoffice::store::auth::BoRole;
use headoffice::store::{CatalogRow, Store};
use headoffice::web::accounts;
use headoffice::web::BackOffice;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::net::SocketAddr;
use till_core::records::Unit;
use till_core::{Item, PurchaseRules, VatRate};

mod web_client;
use web_client::*;

/// The value of the first `name="NAME" value="..."` in `html`.
fn value_of(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let at = html
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + key.len();
    html[at..].split('"').next().unwrap_or("").to_string()
}

/// The text of the element carrying `data-testid="ID"`.
fn cell(html: &str, id: &str) -> Option<String> {
    let key = format!("data-testid=\"{id}\"");
    let at = html.find(&key)?;
    let text = &html[at..];
    let start = text.find('>')? + 1;
    let end = text[start..].find('<')? + start;
    Some(text[start..end].trim().to_string())
}

fn item(id: &str, name: &str, price: Decimal) -> Item {
    Item {
        id: id.into(),
        barcodes: vec![],
        name: name.into(),
        price,
        vat_rate: VatRate::percent(dec!(5.5)).expect("rate"),
        unit: Unit::Piece,
        stock_tracked: true,
        meal_voucher: false,
        rules: PurchaseRules::default(),
    }
}

fn setup(arc: &std::sync::Arc<dyn Store>) -> Server {
    let store = &**arc;
    register(store, "S1", "T01");
    register(store, "S2", "T02");
    store
        .load_catalog(&[
            CatalogRow::new(None, item("PAIN", "Pain de campagne", dec!(2.40))),
            CatalogRow::new(None, item("LAIT", "Lait entier", dec!(1.10))),
        ])
        .expect("catalog");
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

fn level(b: &mut Browser, shop: &str, item: &str) -> Option<String> {
    let page = b.get(&format!("/stock?magasin={shop}"));
    assert_eq!(page.status, 200, "{}", page.body);
    cell(&page.body, &format!("stock-{shop}-{item}"))
}

fn logged_in(addr: SocketAddr, email: &str) -> Browser {
    let mut b = Browser::new(addr);
    let r = b.login(email, PW);
    assert_eq!(r.status, 303, "{}", r.body);
    b
}

#[test]
fn receive_count_and_transfer_through_the_stock_page() {
    on_both_backends(|db| {
        let store = db.store();
        let srv = setup(&store);
        let mut b = logged_in(srv.addr, "owner@shop.fr");
        let page = b.get("/stock");
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("<h1>Stock</h1>"));
        assert!(page.body.contains("form id=\"receive\""));
        let csrf = value_of(&page.body, "csrf");
        let op = value_of(&page.body, "op_id");
        let receive = [
            ("csrf", csrf.as_str()),
            ("op_id", op.as_str()),
            ("magasin", "S1"),
            ("fournisseur", "Minoterie Dupont"),
            ("reference", "BL-77"),
            ("article", "PAIN"),
            ("quantite", "24"),
            ("article", "LAIT"),
            ("quantite", "6,5"),
            ("article", ""),
            ("quantite", ""),
        ];
        let r = b.send("POST", "/stock/reception", &receive);
        assert_eq!(r.status, 303, "{}: {}", db.name, r.body);
        assert!(r.header("location").is_some_and(|l| l.contains("fait=")));
        assert_eq!(level(&mut b, "S1", "PAIN").as_deref(), Some("24"));
        assert_eq!(level(&mut b, "S1", "LAIT").as_deref(), Some("6,5"));
        // The same form again (a double click): nothing more.
        let again = b.send("POST", "/stock/reception", &receive);
        assert!(again
            .header("location")
            .is_some_and(|l| l.contains("deja=")));
        assert_eq!(level(&mut b, "S1", "PAIN").as_deref(), Some("24"));

        // A refused form says why, in French, and records nothing.
        let bad = b.send(
            "POST",
            "/stock/reception",
            &[
                ("csrf", &csrf),
                ("op_id", "op-bad"),
                ("magasin", "S1"),
                ("article", "PAIN"),
                ("quantite", "douze"),
            ],
        );
        assert_eq!(bad.status, 422);
        assert!(
            bad.body
                .contains("Ligne 1 : « douze » n’est pas une quantité"),
            "{}",
            bad.body
        );
        assert!(bad.body.contains("Rien n’a été enregistré."));
        let unknown = b.send(
            "POST",
            "/stock/reception",
            &[
                ("csrf", &csrf),
                ("op_id", "op-unknown"),
                ("magasin", "S1"),
                ("article", "PAIN"),
                ("quantite", "1"),
                ("article", "NOPE"),
                ("quantite", "1"),
            ],
        );
        assert_eq!(unknown.status, 422);
        assert!(unknown.body.contains("Article inconnu : NOPE."));
        assert_eq!(level(&mut b, "S1", "PAIN").as_deref(), Some("24"));

        // An inventory count: the difference is stored as an adjustment.
        let page = b.get("/stock");
        let count = b.send(
            "POST",
            "/stock/inventaire",
            &[
                ("csrf", &csrf),
                (
                    "op_id",
                    &value_of(
                        &page.body[page.body.find("id=\"count\"").expect("count form")..],
                        "op_id",
                    ),
                ),
                ("magasin", "S1"),
                ("article", "PAIN"),
                ("quantite", "20"),
            ],
        );
        assert_eq!(count.status, 303, "{}", count.body);
        assert_eq!(level(&mut b, "S1", "PAIN").as_deref(), Some("20"));
        let page = b.get("/stock?magasin=S1");
        assert!(page.body.contains("Inventaire (ajustement)"));
        assert!(page.body.contains("compté 20"));
        assert!(page.body.contains(">-4<"), "{}", page.body);

        // A transfer: out of S1, into S2.
        let tr = b.send(
            "POST",
            "/stock/transfert",
            &[
                ("csrf", &csrf),
                ("op_id", "op-transfer-1"),
                ("de", "S1"),
                ("vers", "S2"),
                ("reference", "TR-1"),
                ("article", "PAIN"),
                ("quantite", "5"),
            ],
        );
        assert_eq!(tr.status, 303, "{}", tr.body);
        assert_eq!(level(&mut b, "S1", "PAIN").as_deref(), Some("15"));
        assert_eq!(level(&mut b, "S2", "PAIN").as_deref(), Some("5"));
        assert_eq!(
            store
                .stock_moves(None, None, None, 50)
                .expect("moves")
                .len(),
            5
        );

        // Without the CSRF field: refused, nothing recorded.
        let no_csrf = b.send(
            "POST",
            "/stock/reception",
            &[
                ("op_id", "op-x"),
                ("magasin", "S1"),
                ("article", "PAIN"),
                ("quantite", "1"),
            ],
        );
        assert_eq!(no_csrf.status, 403);
        let audit: Vec<String> = store
            .audit_log(None, 20)
            .expect("audit")
            .into_iter()
            .map(|e| e.action)
            .collect();
        for a in ["AuditReceived", "AuditCount", "AuditTransfer"] {
            assert_eq!(
                audit.iter().filter(|x| *x == a).count(),
                1,
                "{a} in {audit:?}"
            );
        }
    });
}

#[test]
fn a_price_edited_on_the_catalog_page_is_the_next_catalog_version() {
    on_both_backends(|db| {
        let store = db.store();
        let srv = setup(&store);
        let mut b = logged_in(srv.addr, "owner@shop.fr");
        let found = b.get("/catalogue?q=pain");
        assert_eq!(found.status, 200);
        assert!(found.body.contains("data-item=\"PAIN\""));
        assert!(!found.body.contains("data-item=\"LAIT\""));
        let page = b.get("/catalogue/article?id=PAIN");
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("id=\"item-price\""));
        let before = store.catalog_version().expect("version");
        let csrf = value_of(&page.body, "csrf");
        let version = value_of(&page.body, "version");
        let mut form = vec![
            ("csrf", csrf.clone()),
            ("id", "PAIN".to_string()),
            ("version", version),
            ("name", "Pain de campagne".into()),
            ("price", "2,55".into()),
            ("vat_rate", "5.5".into()),
            ("unit", "piece".into()),
            ("barcodes", "".into()),
            ("min_qty", "".into()),
            ("max_qty", "".into()),
        ];
        let send = |b: &mut Browser, form: &[(&str, String)]| {
            let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            b.send("POST", "/catalogue/article", &f)
        };
        let r = send(&mut b, &form);
        assert_eq!(r.status, 303, "{}: {}", db.name, r.body);
        let d = store.catalog_since("S1", before).expect("delta");
        assert_eq!(d.catalog_version, before + 1);
        assert_eq!(d.items[0].item.price, dec!(2.55));
        let page = b.get(r.header("location").expect("back to the item"));
        assert!(page.body.contains("id=\"flash\""), "{}", page.body);
        assert_eq!(
            cell(&page.body, "price-S1-PAIN").as_deref(),
            Some("2,55\u{a0}€")
        );
        // A VAT rate that is not French: refused on the form, nothing saved.
        form[5].1 = "7".into();
        form[2].1 = value_of(&page.body, "version");
        let r = send(&mut b, &form);
        assert_eq!(r.status, 422);
        assert!(r.body.contains("Taux de TVA 7"), "{}", r.body);
        assert_eq!(store.catalog_version().expect("version"), before + 1);
        // A store's own price.
        let r = b.send(
            "POST",
            "/catalogue/prix",
            &[
                ("csrf", &csrf),
                ("id", "LAIT"),
                ("magasin", "S2"),
                ("price", "1,20"),
            ],
        );
        assert_eq!(r.status, 303, "{}", r.body);
        let d = store.catalog_since("S2", before + 1).expect("delta");
        assert_eq!(d.items[0].item.price, dec!(1.20));
        assert!(store
            .catalog_since("S1", before + 1)
            .expect("delta")
            .items
            .is_empty());
    });
}

#[test]
fn an_import_preview_applies_nothing_until_confirmed() {
    on_both_backends(|db| {
        let store = db.store();
        let srv = setup(&store);
        let mut b = logged_in(srv.addr, "owner@shop.fr");
        let csrf = b.csrf();
        let before = store.catalog_version().expect("version");
        let csv = "id,name,price,vat_rate,unit\nPAIN,Pain de campagne,2.60,5.5,piece\nBEURRE,Beurre doux,2.80,5.5,piece\n";
        let p = b.send(
            "POST",
            "/catalogue/import",
            &[("csrf", &csrf), ("csv", csv)],
        );
        assert_eq!(p.status, 200, "{}: {}", db.name, p.body);
        assert!(
            p.body.contains("id=\"preview-new\" data-count=\"1\""),
            "{}",
            p.body
        );
        assert!(p.body.contains("id=\"preview-changed\" data-count=\"1\""));
        assert!(p.body.contains("id=\"preview-unchanged\" data-count=\"0\""));
        assert!(p.body.contains(">prix<"), "the changed field is named");
        assert_eq!(
            store.catalog_version().expect("version"),
            before,
            "nothing applied"
        );
        assert!(store.catalog_item("BEURRE").expect("item").is_none());
        let version = value_of(&p.body, "version");
        let c = b.send(
            "POST",
            "/catalogue/import/confirmer",
            &[("csrf", &csrf), ("csv", csv), ("version", &version)],
        );
        assert_eq!(c.status, 303, "{}", c.body);
        assert_eq!(store.catalog_version().expect("version"), before + 1);
        assert!(store.catalog_item("BEURRE").expect("item").is_some());
        // A bad file names its line and column, applies nothing.
        let bad = b.send(
            "POST",
            "/catalogue/import",
            &[
                ("csrf", &csrf),
                ("csv", "id,name,price,vat_rate,unit\nA,B,abc,20,piece\n"),
            ],
        );
        assert_eq!(bad.status, 422);
        assert!(
            bad.body.contains("ligne 2") && bad.body.contains("price"),
            "{}",
            bad.body
        );
    });
}

#[test]
fn a_manager_is_refused_another_store_and_the_shared_catalog() {
    on_both_backends(|db| {
        let store = db.store();
        let srv = setup(&store);
        let mut m = logged_in(srv.addr, "m1@shop.fr");
        let csrf = m.csrf();
        assert_eq!(m.get("/stock?magasin=S2").status, 403, "{}", db.name);
        let own = m.get("/stock");
        assert_eq!(own.status, 200);
        assert!(
            !own.body.contains("option value=\"S2\""),
            "only their store"
        );
        let post = |m: &mut Browser, path: &str, f: &[(&str, &str)]| m.send("POST", path, f).status;
        assert_eq!(
            post(
                &mut m,
                "/stock/reception",
                &[
                    ("csrf", &csrf),
                    ("op_id", "m-1"),
                    ("magasin", "S2"),
                    ("article", "PAIN"),
                    ("quantite", "1")
                ]
            ),
            403
        );
        assert_eq!(
            post(
                &mut m,
                "/stock/reception",
                &[
                    ("csrf", &csrf),
                    ("op_id", "m-2"),
                    ("magasin", "S1"),
                    ("article", "PAIN"),
                    ("quantite", "3")
                ]
            ),
            303
        );
        assert_eq!(
            post(
                &mut m,
                "/catalogue/prix",
                &[
                    ("csrf", &csrf),
                    ("id", "PAIN"),
                    ("magasin", "S2"),
                    ("price", "1")
                ]
            ),
            403
        );
        assert_eq!(
            post(
                &mut m,
                "/catalogue/prix",
                &[
                    ("csrf", &csrf),
                    ("id", "PAIN"),
                    ("magasin", "S1"),
                    ("price", "2,50")
                ]
            ),
            303
        );
        assert_eq!(
            post(
                &mut m,
                "/catalogue/article",
                &[
                    ("csrf", &csrf),
                    ("id", "PAIN"),
                    ("version", "1"),
                    ("name", "X"),
                    ("price", "1"),
                    ("vat_rate", "20")
                ]
            ),
            403
        );
        assert_eq!(
            post(
                &mut m,
                "/catalogue/retrait",
                &[("csrf", &csrf), ("id", "PAIN")]
            ),
            403
        );
        assert_eq!(
            post(
                &mut m,
                "/catalogue/import",
                &[("csrf", &csrf), ("csv", "id")]
            ),
            403
        );
        // The accountant reads, and changes nothing.
        let mut a = logged_in(srv.addr, "compta@shop.fr");
        let csrf = a.csrf();
        assert_eq!(a.get("/stock?magasin=S2").status, 200);
        assert_eq!(
            post(
                &mut a,
                "/stock/reception",
                &[
                    ("csrf", &csrf),
                    ("op_id", "a-1"),
                    ("magasin", "S1"),
                    ("article", "PAIN"),
                    ("quantite", "1")
                ]
            ),
            403
        );
        let levels = store.stock(None).expect("stock");
        assert_eq!(levels.len(), 1);
        assert_eq!(levels[0].level, dec!(3));
    });
}
