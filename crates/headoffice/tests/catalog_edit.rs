//! The back office's catalog changes on SQLite and PostgreSQL: search by
//! name, code and barcode a page at a time; an item's edit, a store's own
//! price and a withdrawal, each the next catalog version the tills pull;
//! an import previewed without applying, then confirmed.

mod common;

use common::*;
use headoffice::catalog_ops::{
    confirm_import, edit_item, preview_import, set_store_price, withdraw, EditInvalid, EditOutcome,
    ItemEdit,
};
use headoffice::store::{CatalogRow, Store};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use till_core::records::Unit;
use till_core::{Item, PurchaseRules, VatRate};

fn item(id: &str, name: &str, price: Decimal, barcode: &str) -> Item {
    Item {
        id: id.into(),
        barcodes: vec![barcode.into()],
        name: name.into(),
        price,
        vat_rate: VatRate::percent(dec!(5.5)).expect("rate"),
        unit: Unit::Piece,
        stock_tracked: true,
        meal_voucher: false,
        rules: PurchaseRules::default(),
    }
}

fn setup(store: &dyn Store) {
    register(store, "S1", "T01");
    register(store, "S2", "T02");
    let rows: Vec<CatalogRow> = [
        item(
            "10001",
            "Crème fraîche épaisse",
            dec!(2.10),
            "3011111111111",
        ),
        item("10002", "Café moulu arabica", dec!(4.20), "3022222222222"),
        item("10003", "Pain complet", dec!(1.90), "3033333333333"),
    ]
    .into_iter()
    .map(|i| CatalogRow::new(None, i))
    .collect();
    store.load_catalog(&rows).expect("catalog");
}

fn ids(hits: &[headoffice::store::catalog_edit::CatalogHit]) -> Vec<&str> {
    hits.iter().map(|h| h.item.id.as_str()).collect()
}

fn edit_of(i: &Item) -> ItemEdit {
    ItemEdit {
        id: i.id.clone(),
        name: i.name.clone(),
        price: i.price,
        vat_rate: i.vat_rate.as_percent(),
        unit: i.unit,
        barcodes: i.barcodes.clone(),
        min_qty: i.rules.min_qty,
        max_qty: i.rules.max_qty,
    }
}

#[test]
fn search_by_name_code_and_barcode_a_page_at_a_time() {
    on_both_backends(|db| {
        let store = db.store();
        setup(&*store);
        let s = |q: &str| store.catalog_search(q, 0, 10).expect("search");
        assert_eq!(ids(&s("creme")), ["10001"], "{}", db.name);
        assert_eq!(ids(&s("CRÈ fra")), ["10001"]);
        assert_eq!(ids(&s("caf")), ["10002"]);
        assert_eq!(ids(&s("10003")), ["10003"]);
        assert_eq!(ids(&s("3022222")), ["10002"]);
        assert!(s("fraîche café").is_empty());
        assert_eq!(ids(&s("")), ["10001", "10002", "10003"]);
        assert_eq!(
            ids(&store.catalog_search("", 1, 1).expect("page")),
            ["10002"]
        );
        // The index follows later loads.
        store
            .load_catalog(&[CatalogRow::new(
                None,
                item("10004", "Crème dessert", dec!(1.50), "3044444444444"),
            )])
            .expect("load");
        assert_eq!(ids(&s("creme")), ["10001", "10004"]);
    });
}

#[test]
fn an_edit_is_the_next_catalog_version_and_stores_keep_their_own_price() {
    on_both_backends(|db| {
        let store = db.store();
        setup(&*store);
        let since = store.catalog_version().expect("version");
        let rows = store.catalog_item("10002").expect("item").expect("found");
        let shared = rows.shared.expect("shared");
        // S2 sells it at its own price.
        assert!(matches!(
            set_store_price(&*store, "S2", "10002", dec!(4.50)).expect("price"),
            EditOutcome::Saved { .. }
        ));
        let mut e = edit_of(&shared.item);
        e.name = "Café moulu pur arabica".into();
        e.price = dec!(4.40);
        e.vat_rate = dec!(20);
        e.max_qty = Some(dec!(6));
        // Made from a version that is no longer the item's? No: the store
        // price did not change the every-store row.
        let out = edit_item(&*store, &e, shared.version).expect("edit");
        let EditOutcome::Saved { version } = out else {
            panic!("{}: {out:?}", db.name)
        };
        let d1 = store.catalog_since("S1", since).expect("delta");
        assert_eq!(d1.catalog_version, version);
        let got = &d1.items[0].item;
        assert_eq!(
            (got.price, got.name.as_str()),
            (dec!(4.40), "Café moulu pur arabica")
        );
        assert_eq!(got.vat_rate.as_percent(), dec!(20));
        assert_eq!(got.rules.max_qty, Some(dec!(6)));
        let d2 = store.catalog_since("S2", since).expect("delta");
        let got = &d2.items[0].item;
        assert_eq!(
            (got.price, got.name.as_str()),
            (dec!(4.50), "Café moulu pur arabica")
        );
        // The same form again: unchanged; an old form: refused.
        assert_eq!(
            edit_item(&*store, &e, shared.version).expect("edit"),
            EditOutcome::Unchanged
        );
        e.price = dec!(9);
        assert_eq!(
            edit_item(&*store, &e, shared.version).expect("edit"),
            EditOutcome::Conflict { version }
        );
        assert_eq!(store.catalog_version().expect("v"), version);
    });
}

#[test]
fn bad_edits_are_refused_and_name_the_field() {
    on_both_backends(|db| {
        let store = db.store();
        setup(&*store);
        let shared = store
            .catalog_item("10001")
            .expect("item")
            .and_then(|r| r.shared)
            .expect("shared");
        let v = shared.version;
        let base = edit_of(&shared.item);
        let refused = |e: ItemEdit| match edit_item(&*store, &e, v).expect("edit") {
            EditOutcome::Invalid(why) => why,
            other => panic!("{}: {other:?}", db.name),
        };
        assert_eq!(
            refused(ItemEdit {
                vat_rate: dec!(7),
                ..base.clone()
            }),
            EditInvalid::VatRate(dec!(7))
        );
        assert_eq!(
            refused(ItemEdit {
                price: dec!(-1),
                ..base.clone()
            }),
            EditInvalid::Price(dec!(-1))
        );
        assert_eq!(
            refused(ItemEdit {
                price: dec!(1.234),
                ..base.clone()
            }),
            EditInvalid::Price(dec!(1.234))
        );
        assert_eq!(
            refused(ItemEdit {
                name: "  ".into(),
                ..base.clone()
            }),
            EditInvalid::Name
        );
        assert_eq!(
            refused(ItemEdit {
                min_qty: Some(dec!(5)),
                max_qty: Some(dec!(2)),
                ..base.clone()
            }),
            EditInvalid::Quantity
        );
        assert_eq!(
            refused(ItemEdit {
                barcodes: vec!["3022222222222".into()],
                ..base.clone()
            }),
            EditInvalid::BarcodeTaken {
                code: "3022222222222".into(),
                item: "10002".into()
            }
        );
        assert!(matches!(
            set_store_price(&*store, "S9", "10001", dec!(1)).expect("price"),
            EditOutcome::Invalid(EditInvalid::UnknownStore(_))
        ));
        assert_eq!(
            edit_item(
                &*store,
                &ItemEdit {
                    id: "NOPE".into(),
                    ..base
                },
                v
            )
            .expect("edit"),
            EditOutcome::NotFound
        );
        assert_eq!(store.catalog_version().expect("v"), v);
    });
}

#[test]
fn a_withdrawn_item_leaves_every_store_and_comes_back_when_saved() {
    on_both_backends(|db| {
        let store = db.store();
        setup(&*store);
        set_store_price(&*store, "S2", "10003", dec!(2.00)).expect("price");
        let since = store.catalog_version().expect("version");
        assert!(matches!(
            withdraw(&*store, "10003").expect("withdraw"),
            EditOutcome::Saved { .. }
        ));
        assert_eq!(
            withdraw(&*store, "10003").expect("again"),
            EditOutcome::Unchanged
        );
        for shop in ["S1", "S2"] {
            let d = store.catalog_since(shop, since).expect("delta");
            assert_eq!(d.removed.len(), 1, "{} {shop}", db.name);
            assert!(d.items.is_empty());
        }
        let hit = store.catalog_search("pain", 0, 5).expect("search");
        assert!(hit[0].deleted);
        let shared = store
            .catalog_item("10003")
            .expect("item")
            .and_then(|r| r.shared)
            .expect("shared");
        let back = edit_item(&*store, &edit_of(&shared.item), shared.version).expect("edit");
        assert!(matches!(back, EditOutcome::Saved { .. }), "{back:?}");
        let d = store.catalog_since("S2", since).expect("delta");
        assert_eq!(d.items.len(), 1, "{}", db.name);
        assert_eq!(d.items[0].item.price, dec!(2.00));
    });
}

#[test]
fn an_import_preview_changes_nothing_and_its_confirmation_applies_it() {
    on_both_backends(|db| {
        let store = db.store();
        setup(&*store);
        let v = store.catalog_version().expect("version");
        let csv = "id,name,price,vat_rate,unit,barcodes,deleted\n\
                   10001,Crème fraîche épaisse,2.10,5.5,piece,3011111111111,\n\
                   10002,Café moulu arabica,4.35,5.5,piece,3022222222222|3099,\n\
                   10003,,,,,,true\n\
                   10009,Beurre doux,2.80,5.5,piece,,\n";
        let p = preview_import(&*store, csv).expect("preview");
        assert_eq!(
            (p.new.len(), p.changed.len(), p.withdrawn.len(), p.unchanged),
            (1, 1, 1, 1),
            "{}",
            db.name
        );
        assert_eq!(p.changed[0].item_id, "10002");
        assert_eq!(p.changed[0].fields, ["price", "barcodes"]);
        assert_eq!(p.new[0].item_id, "10009");
        assert_eq!(p.withdrawn[0].item_id, "10003");
        // Nothing applied by the preview.
        assert_eq!(store.catalog_version().expect("version"), v);
        assert!(store.catalog_item("10009").expect("item").is_none());
        let applied = confirm_import(&*store, csv, p.version).expect("confirm");
        let Ok(version) = applied else {
            panic!("{}: {applied:?}", db.name)
        };
        assert_eq!(version, v + 1);
        let d = store.catalog_since("S1", v).expect("delta");
        assert_eq!(d.items.len(), 2);
        assert_eq!(d.removed.len(), 1);
        // A preview of an older catalog is not applied.
        assert_eq!(
            confirm_import(&*store, csv, v).expect("confirm"),
            Err(v + 1)
        );
        // A bad file names its line and column.
        let e = preview_import(&*store, "id,name,price,vat_rate,unit\nA,B,abc,20,piece\n")
            .expect_err("refused")
            .to_string();
        assert!(e.contains("line 2") && e.contains("price"), "{e}");
    });
}
