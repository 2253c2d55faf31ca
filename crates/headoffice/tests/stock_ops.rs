//! Stock operations entered at head office (goods received, inventory
//! count, transfer), on SQLite and PostgreSQL: recorded as movements with
//! their source, added to the levels the tills' events feed, idempotent on
//! their id, bounded, raising and clearing low-stock alerts, and carried
//! down to the stores' tills with the catalog's next version.

mod common;

use common::*;
use headoffice::store::stockops::{
    StockOp, StockOpInvalid, StockOpKind, StockOpOutcome, StockQuery,
};
use headoffice::store::{CatalogRow, Store, TerminalAuth};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use till_core::records::Unit;
use till_core::{Item, PurchaseRules, VatRate};

const AT: &str = "2026-11-23T09:00:00.000Z";

pub fn item(id: &str, name: &str, price: Decimal) -> Item {
    Item {
        id: id.into(),
        barcodes: vec![format!("301{id}")],
        name: name.into(),
        price,
        vat_rate: VatRate::percent(dec!(5.5)).expect("rate"),
        unit: Unit::Piece,
        stock_tracked: true,
        meal_voucher: false,
        rules: PurchaseRules::default(),
    }
}

fn level(store: &dyn Store, shop: &str, item: &str) -> Decimal {
    store
        .stock(Some(shop))
        .expect("stock")
        .into_iter()
        .find(|l| l.item_id == item)
        .map(|l| l.level)
        .unwrap_or_default()
}

fn op(id: &str, kind: StockOpKind, lines: &[(&str, Decimal)]) -> StockOp {
    StockOp {
        op_id: id.into(),
        kind,
        user: "owner@shop.fr".into(),
        lines: lines.iter().map(|(i, q)| (i.to_string(), *q)).collect(),
    }
}

fn received(store: &str) -> StockOpKind {
    StockOpKind::Received {
        store: store.into(),
        supplier: "Moulins Dupont".into(),
        reference: "BL-2211".into(),
    }
}

/// Two stores with a terminal each, items 10001 (threshold 5) and 10002.
fn setup(store: &dyn Store) {
    register(store, "S1", "T01");
    register(store, "S2", "T02");
    let mut low = CatalogRow::new(None, item("10001", "Café moulu", dec!(4.20)));
    low.low_stock = Some(dec!(5));
    store
        .load_catalog(&[
            low,
            CatalogRow::new(None, item("10002", "Thé vert", dec!(3.10))),
        ])
        .expect("catalog");
}

#[test]
fn goods_received_raise_the_level_once_per_operation_id() {
    on_both_backends(|db| {
        let store = db.store();
        setup(&*store);
        let before = store.catalog_version().expect("version");
        let r = op(
            "rcv-1",
            received("S1"),
            &[("10001", dec!(24)), ("10002", dec!(6.5))],
        );
        let out = store.record_stock_op(&r, AT).expect("record");
        assert_eq!(
            out,
            StockOpOutcome::Recorded {
                version: before + 1
            },
            "{}",
            db.name
        );
        assert_eq!(level(&*store, "S1", "10001"), dec!(24));
        assert_eq!(level(&*store, "S1", "10002"), dec!(6.5));
        // The same form submitted again: nothing more.
        let again = store.record_stock_op(&r, AT).expect("record");
        assert_eq!(
            again,
            StockOpOutcome::AlreadyRecorded {
                version: before + 1
            }
        );
        assert_eq!(level(&*store, "S1", "10001"), dec!(24));
        let moves = store
            .stock_moves(Some("S1"), None, None, 10)
            .expect("moves");
        assert_eq!(moves.len(), 2, "{}", db.name);
        let m = moves.iter().find(|m| m.item_id == "10001").expect("move");
        assert_eq!(
            (
                m.reason.as_str(),
                m.delta,
                m.supplier.as_deref(),
                m.reference.as_deref()
            ),
            (
                "goods_received",
                dec!(24),
                Some("Moulins Dupont"),
                Some("BL-2211")
            )
        );
        assert_eq!((m.user.as_str(), m.at.as_str()), ("owner@shop.fr", AT));
        assert!(store
            .stock_moves(Some("S2"), None, None, 10)
            .expect("moves")
            .is_empty());
    });
}

#[test]
fn a_count_stores_the_difference_from_the_tills_level_as_an_adjustment() {
    on_both_backends(|db| {
        let store = db.store();
        setup(&*store);
        // The till received 12 itself (its own journal), then head office
        // counts 9: the adjustment is -3, whatever fed the level.
        let mut till = Till::new("T01", "S1", 7);
        till.push("stock_movement", stock_payload("12"));
        let t = TerminalAuth {
            terminal_id: "T01".into(),
            store_id: "S1".into(),
        };
        store.ingest(&t, &till.events).expect("ingest");
        assert_eq!(level(&*store, "S1", "10001"), dec!(12));
        let c = op(
            "count-1",
            StockOpKind::Count { store: "S1".into() },
            &[("10001", dec!(9)), ("10002", dec!(0))],
        );
        assert!(matches!(
            store.record_stock_op(&c, AT).expect("record"),
            StockOpOutcome::Recorded { .. }
        ));
        assert_eq!(level(&*store, "S1", "10001"), dec!(9), "{}", db.name);
        let moves = store
            .stock_moves(None, Some("10001"), None, 10)
            .expect("moves");
        assert_eq!(moves.len(), 1);
        assert_eq!(
            (
                moves[0].kind.as_str(),
                moves[0].reason.as_str(),
                moves[0].delta,
                moves[0].counted
            ),
            ("inventory_count", "adjustment", dec!(-3), Some(dec!(9)))
        );
    });
}

#[test]
fn a_transfer_moves_out_of_one_store_into_the_other_under_one_id() {
    on_both_backends(|db| {
        let store = db.store();
        setup(&*store);
        store
            .record_stock_op(&op("r", received("S1"), &[("10002", dec!(10))]), AT)
            .expect("record");
        let t = StockOpKind::Transfer {
            from: "S1".into(),
            to: "S2".into(),
            reference: "TR-7".into(),
        };
        store
            .record_stock_op(&op("tr-7", t, &[("10002", dec!(4))]), AT)
            .expect("record");
        assert_eq!(level(&*store, "S1", "10002"), dec!(6), "{}", db.name);
        assert_eq!(level(&*store, "S2", "10002"), dec!(4));
        let moves = store
            .stock_moves(None, Some("10002"), None, 10)
            .expect("moves");
        let tr: Vec<_> = moves.iter().filter(|m| m.op_id == "tr-7").collect();
        assert_eq!(tr.len(), 2);
        let out = tr.iter().find(|m| m.store_id == "S1").expect("out");
        assert_eq!((out.reason.as_str(), out.delta), ("transfer_out", dec!(-4)));
        assert_eq!(out.other_store.as_deref(), Some("S2"));
        let into = tr.iter().find(|m| m.store_id == "S2").expect("in");
        assert_eq!(into.other_store.as_deref(), Some("S1"));
        // Newest first, and a page before an id.
        assert!(moves.windows(2).all(|w| w[0].id > w[1].id));
        let older = store
            .stock_moves(None, Some("10002"), Some(moves[0].id), 10)
            .expect("moves");
        assert_eq!(older.len(), moves.len() - 1);
    });
}

#[test]
fn refused_operations_record_nothing() {
    on_both_backends(|db| {
        let store = db.store();
        setup(&*store);
        let v = store.catalog_version().expect("version");
        let cases = [
            (
                op("a", received("S9"), &[("10001", dec!(1))]),
                StockOpInvalid::UnknownStore("S9".into()),
            ),
            (
                op(
                    "b",
                    received("S1"),
                    &[("10001", dec!(1)), ("NOPE", dec!(1))],
                ),
                StockOpInvalid::UnknownItem("NOPE".into()),
            ),
            (
                op("c", received("S1"), &[("10001", dec!(10000001))]),
                StockOpInvalid::BadQuantity {
                    line: 1,
                    qty: dec!(10000001),
                },
            ),
            (
                op("d", received("S1"), &[("10001", dec!(-2))]),
                StockOpInvalid::BadQuantity {
                    line: 1,
                    qty: dec!(-2),
                },
            ),
        ];
        for (o, why) in cases {
            assert_eq!(
                store.record_stock_op(&o, AT).expect("record"),
                StockOpOutcome::Invalid(why),
                "{}",
                db.name
            );
        }
        assert_eq!(level(&*store, "S1", "10001"), Decimal::ZERO);
        assert!(store
            .stock_moves(None, None, None, 10)
            .expect("moves")
            .is_empty());
        assert_eq!(store.catalog_version().expect("version"), v);
        // The refused ids are free: the corrected form records.
        let fixed = op("b", received("S1"), &[("10001", dec!(1))]);
        assert!(matches!(
            store.record_stock_op(&fixed, AT).expect("record"),
            StockOpOutcome::Recorded { .. }
        ));
    });
}

#[test]
fn operations_reach_the_stores_tills_with_the_catalog_version() {
    on_both_backends(|db| {
        let store = db.store();
        setup(&*store);
        let v0 = store.catalog_since("S1", 0).expect("delta").catalog_version;
        store
            .record_stock_op(&op("r1", received("S1"), &[("10001", dec!(24))]), AT)
            .expect("record");
        let t = StockOpKind::Transfer {
            from: "S1".into(),
            to: "S2".into(),
            reference: String::new(),
        };
        store
            .record_stock_op(&op("t1", t, &[("10001", dec!(5))]), AT)
            .expect("record");
        let d1 = store.catalog_since("S1", v0).expect("delta");
        assert_eq!(d1.catalog_version, v0 + 2, "{}", db.name);
        assert!(d1.items.is_empty());
        let s1: Vec<_> = d1
            .stock
            .iter()
            .map(|s| {
                (
                    s.op_id.as_str(),
                    s.item_id.as_str(),
                    s.delta,
                    s.reason.as_str(),
                )
            })
            .collect();
        assert_eq!(
            s1,
            vec![
                ("r1", "10001", dec!(24), "goods_received"),
                ("t1", "10001", dec!(-5), "transfer_out")
            ]
        );
        let d2 = store.catalog_since("S2", v0).expect("delta");
        assert_eq!(d2.stock.len(), 1);
        assert_eq!((d2.stock[0].delta, d2.stock[0].version), (dec!(5), v0 + 2));
        // Asked again from the version it got: nothing new.
        assert!(store
            .catalog_since("S1", d1.catalog_version)
            .expect("delta")
            .stock
            .is_empty());
    });
}

#[test]
fn low_stock_alerts_follow_head_office_operations_and_low_items_come_first() {
    on_both_backends(|db| {
        let store = db.store();
        setup(&*store);
        let count = |id: &str, q: Decimal| {
            store
                .record_stock_op(
                    &op(
                        id,
                        StockOpKind::Count { store: "S1".into() },
                        &[("10001", q)],
                    ),
                    AT,
                )
                .expect("record")
        };
        count("c1", dec!(3));
        let low = store.low_stock_levels(None).expect("low");
        assert_eq!(low.len(), 1, "{}", db.name);
        assert_eq!(
            (
                low[0].item_id.as_str(),
                low[0].level,
                low[0].threshold,
                low[0].low
            ),
            ("10001", dec!(3), Some(dec!(5)), true)
        );
        assert_eq!(low[0].name, "Café moulu");
        let open = |s: &dyn Store| {
            s.alerts()
                .expect("alerts")
                .into_iter()
                .filter(|a| a.code == "low_stock:10001" && a.cleared_at.is_none())
                .count()
        };
        assert_eq!(open(&*store), 1);
        store
            .record_stock_op(&op("r", received("S1"), &[("10001", dec!(10))]), AT)
            .expect("record");
        assert!(store.low_stock_levels(Some("S1")).expect("low").is_empty());
        assert_eq!(open(&*store), 0, "{}", db.name);
        // Every level, a page at a time, by store and item.
        let all = store
            .stock_rows(&StockQuery {
                store: None,
                item: None,
                limit: 50,
                offset: 0,
            })
            .expect("rows");
        assert_eq!(all.len(), 1);
        assert_eq!((all[0].level, all[0].low), (dec!(13), false));
        let one = store
            .stock_rows(&StockQuery {
                store: Some("S2".into()),
                item: Some("10001".into()),
                limit: 50,
                offset: 0,
            })
            .expect("rows");
        assert!(one.is_empty());
        assert_eq!(store.store_ids().expect("stores"), vec!["S1", "S2"]);
    });
}
