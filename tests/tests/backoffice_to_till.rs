//! What the back office changes at head office reaches a till with one run
//! of the real `till-sync once`, with no re-keying: a price changed (for
//! every store, then a store's own), and goods received, kept once in the
//! till's catalog.db however often the delta comes.

use comptoir_e2e::system::*;
use headoffice::catalog_ops::{edit_item, set_store_price, EditOutcome, ItemEdit};
use headoffice::store::stockops::{StockOp, StockOpKind, StockOpOutcome};
use headoffice::store::Store;
use rust_decimal::Decimal;

/// Not a test: the entry point of the head office child process.
#[test]
fn headoffice_child() {
    maybe_serve_child();
}

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

#[test]
fn a_price_changed_and_goods_received_at_head_office_are_on_the_till_after_one_sync() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = journal(dir.path(), "T01", "S1", 20, 3);
    let db = format!("sqlite:{}", dir.path().join("ho.db").display());
    let token = register(&db, "S1", "T01");
    let ho = HeadOfficeProc::start(dir.path(), &db, "127.0.0.1:0");
    let store = headoffice::store::open(&db).expect("store");
    let rows = headoffice::load::parse_csv(
        "id,name,price,vat_rate,unit,barcodes\n\
         PAIN,Pain,1.20,5.5,piece,3760000000017\n\
         LAIT,Lait,0.99,5.5,piece,\n",
    )
    .expect("csv");
    store.load_catalog(&rows).expect("load");
    let cfg = sync_config(dir.path(), &ho.url(), &token, &journal, "");
    let (code, out) = once(&cfg);
    assert_eq!(code, 0, "{out}");
    let cat = till_catalog::CatalogStore::open(&dir.path().join("catalog.db")).expect("catalog");
    let price = |c: &till_catalog::CatalogStore, id: &str| {
        c.load_items()
            .expect("items")
            .into_iter()
            .find(|i| i.id == id)
            .map(|i| i.price)
    };
    assert_eq!(price(&cat, "PAIN"), Some(dec("1.20")));

    // The back office's edit: a new every-store price.
    let shared = store
        .catalog_item("PAIN")
        .expect("item")
        .and_then(|r| r.shared)
        .expect("shared");
    let i = &shared.item;
    let edit = ItemEdit {
        id: i.id.clone(),
        name: i.name.clone(),
        price: dec("1.35"),
        vat_rate: i.vat_rate.as_percent(),
        unit: i.unit,
        barcodes: i.barcodes.clone(),
        min_qty: None,
        max_qty: None,
    };
    let out = edit_item(&*store, &edit, shared.version).expect("edit");
    assert!(matches!(out, EditOutcome::Saved { .. }), "{out:?}");
    // Goods received for the till's store (its sales are all in).
    let lait_before = level(&*store, "LAIT");
    let received = StockOp {
        op_id: "rcv-e2e-1".into(),
        kind: StockOpKind::Received {
            store: "S1".into(),
            supplier: "Minoterie".into(),
            reference: "BL-9".into(),
        },
        user: "owner@shop.fr".into(),
        lines: vec![("PAIN".into(), dec("30")), ("LAIT".into(), dec("12"))],
    };
    let rec = store
        .record_stock_op(&received, "2026-03-02T08:00:00.000Z")
        .expect("record");
    assert!(matches!(rec, StockOpOutcome::Recorded { .. }), "{rec:?}");

    let (code, out) = once(&cfg);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        price(&cat, "PAIN"),
        Some(dec("1.35")),
        "one sync, no re-keying"
    );
    assert_eq!(
        cat.head_office_stock().expect("stock"),
        vec![
            ("LAIT".to_string(), dec("12")),
            ("PAIN".to_string(), dec("30"))
        ]
    );
    assert_eq!(
        cat.version().expect("version"),
        store.catalog_version().expect("version")
    );

    // A store's own price, then a sync with nothing new: the stock lines
    // are not counted twice.
    let out = set_store_price(&*store, "S1", "LAIT", dec("1.05")).expect("price");
    assert!(matches!(out, EditOutcome::Saved { .. }), "{out:?}");
    for _ in 0..2 {
        let (code, out) = once(&cfg);
        assert_eq!(code, 0, "{out}");
    }
    assert_eq!(price(&cat, "LAIT"), Some(dec("1.05")));
    assert_eq!(cat.head_office_stock().expect("stock").len(), 2);
    assert_eq!(cat.head_office_stock().expect("stock")[1].1, dec("30"));
    // Head office's level counts the delivery beside the till's sales.
    assert_eq!(level(&*store, "LAIT"), lait_before + dec("12"));
}

fn level(store: &dyn Store, item: &str) -> Decimal {
    store
        .stock(Some("S1"))
        .expect("stock")
        .into_iter()
        .find(|l| l.item_id == item)
        .map(|l| l.level)
        .unwrap_or_default()
}
