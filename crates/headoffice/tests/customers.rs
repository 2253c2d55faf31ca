//! Customers at head office (`store::customers`), on SQLite and on
//! PostgreSQL: checked writes under versions, search, the account
//! balances ingest keeps from account sales, the overspend alert, and
//! `GET /v1/customers?since=V` for a terminal's token.

mod common;

use common::*;
use headoffice::store::customers::Write;
use rust_decimal::Decimal;
use sync_proto::CustomersDelta;
use till_core::customer::{AccountStatus, Customer, CustomerKind, PaymentTerms};

fn customer(number: &str, name: &str, limit: i64) -> Customer {
    Customer {
        number: number.into(),
        kind: CustomerKind::Business,
        name: name.into(),
        siren: Some("552081317".into()),
        siret: None,
        vat_number: Some("FR03552081317".into()),
        address: Some("1 rue de la Paix\n75002 Paris".into()),
        email: Some("compta@example.fr".into()),
        phone: None,
        terms: PaymentTerms::Net(30),
        credit_limit: Decimal::from(limit),
        group: Some("pro".into()),
        status: AccountStatus::Open,
        loyalty_card: None,
    }
}

/// A cash-and-account sale of `total`, `on_account` of it on `customer`'s
/// account (negative amounts: a refund to the account).
fn account_sale(total: &str, on_account: &str, customer: &str) -> Vec<u8> {
    let cash = (total.parse::<Decimal>().unwrap_or_default()
        - on_account.parse::<Decimal>().unwrap_or_default())
    .to_string();
    let mut tenders = vec![
        serde_json::json!({"kind": "customer_account", "amount": on_account,
        "reference": customer, "card": null}),
    ];
    if cash != "0" && cash != "0.00" {
        tenders.push(
            serde_json::json!({"kind": "cash", "amount": cash, "reference": null, "card": null}),
        );
    }
    let kind = if total.starts_with('-') {
        "refund"
    } else {
        "sale"
    };
    let p = serde_json::json!({
        "kind": kind, "sale_no": "T01-000002", "business_day": DAY, "operator": "c1",
        "customer": customer,
        "lines": [{"line_no": 1, "item_id": "10001", "barcode": null, "name": "Café",
                   "unit": "piece", "quantity": "1", "unit_price": total, "overridden_from": null,
                   "vat_rate": "20.00", "gross": total, "line_discount": "0.00",
                   "basket_discount": "0.00", "total": total, "stock_tracked": true}],
        "basket_discount": "0.00", "total": total, "rounding": "0.00",
        "vat": [{"rate": "20.00", "base": total, "tax": "0.00", "total": total}],
        "tenders": tenders,
        "change": "0.00", "reverses": null, "without_receipt": false, "approvals": [],
        "flags": [], "training": false
    });
    serde_json::to_vec(&p).expect("json")
}

#[test]
fn customers_are_checked_versioned_and_found() {
    on_both_backends(|db| {
        let s = db.store();
        let a = customer("C001", "Boulangerie Dupré", 1000);
        let mut b = customer("C002", "Café de la Gare", 500);
        b.loyalty_card = Some("2900000000017".into());
        assert_eq!(s.customers_write(&[a.clone()], Write::Add).expect("add"), 1);
        assert_eq!(s.customers_write(&[b.clone()], Write::Add).expect("add"), 2);
        // A number in use, an unknown number to edit, a card already
        // another's, a wrong SIREN, terms past the legal ceiling: refused,
        // nothing stored, the version unchanged.
        let refusals = [
            (vec![a.clone()], Write::Add, "exists already"),
            (
                vec![customer("C009", "X", 1)],
                Write::Edit,
                "no customer C009",
            ),
            (
                vec![Customer {
                    loyalty_card: Some("2900000000017".into()),
                    ..customer("C003", "Y", 1)
                }],
                Write::Add,
                "loyalty card",
            ),
            (
                vec![
                    customer("C004", "Z", 1),
                    Customer {
                        siren: Some("552081318".into()),
                        ..customer("C005", "W", 1)
                    },
                ],
                Write::Upsert,
                "siren",
            ),
            (
                vec![Customer {
                    terms: PaymentTerms::Net(75),
                    ..customer("C006", "V", 1)
                }],
                Write::Add,
                "legal ceiling",
            ),
        ];
        for (rows, how, why) in refusals {
            let e = s
                .customers_write(&rows, how)
                .expect_err("refused")
                .to_string();
            assert!(e.contains(why), "{}: {e}", db.name);
        }
        assert!(s.customer("C004").expect("read").is_none(), "{}", db.name);
        let (v, all) = s.customers_since(0).expect("since");
        assert_eq!((v, all.len()), (2, 2), "{}", db.name);

        // Read back as written (the address's newline kept).
        let got = s.customer("C001").expect("read").expect("C001");
        assert_eq!(got.customer, a, "{}", db.name);
        assert_eq!(
            (got.balance, got.available),
            (Decimal::ZERO, Decimal::from(1000))
        );

        // Search: number prefix, name words (accents and case folded), card.
        let numbers = |q: &str| -> Vec<String> {
            s.customers_find(q, 50)
                .expect("find")
                .into_iter()
                .map(|r| r.customer.number)
                .collect()
        };
        assert_eq!(numbers(""), ["C001", "C002"], "{}", db.name);
        assert_eq!(numbers("C00"), ["C001", "C002"]);
        assert_eq!(numbers("dupre"), ["C001"], "{}", db.name);
        assert_eq!(numbers("Gare CAFÉ"), ["C002"], "{}", db.name);
        assert_eq!(numbers("2900000000017"), ["C002"]);
        assert!(numbers("nobody").is_empty());
        assert!(
            numbers("%").is_empty(),
            "{}: LIKE wildcards are text",
            db.name
        );

        // An edit is the next version; only it is newer than 2.
        b.status = AccountStatus::OnHold;
        assert_eq!(
            s.customers_write(&[b.clone()], Write::Edit).expect("edit"),
            3
        );
        let (v, changed) = s.customers_since(2).expect("since");
        assert_eq!(v, 3);
        assert_eq!(
            changed
                .iter()
                .map(|r| (r.customer.number.as_str(), r.customer.status))
                .collect::<Vec<_>>(),
            [("C002", AccountStatus::OnHold)],
            "{}",
            db.name
        );
    });
}

#[test]
fn account_sales_make_the_balance_and_the_tills_get_the_credit_left() {
    on_both_backends(|db| {
        let s = db.store();
        let token = register(&*s, "S1", "T01");
        let srv = Server::public(s.clone());
        s.customers_write(&[customer("C001", "Dupré", 100)], Write::Add)
            .expect("add");
        let get = |since: u64| -> CustomersDelta {
            let (st, body) = http(
                srv.addr,
                "GET",
                &format!("/v1/customers?since={since}"),
                Some(&bearer(&token)),
                b"",
            );
            assert_eq!(st, 200, "{}: {body}", db.name);
            serde_json::from_str(&body).expect("delta")
        };
        let d = get(0);
        assert_eq!((d.customers_version, d.terminal_seq), (1, 0));
        assert_eq!(d.customers[0].available_credit, Decimal::from(100));
        // A terminal's token only.
        let (st, _) = http(srv.addr, "GET", "/v1/customers?since=0", None, b"");
        assert_eq!(st, 401);

        let mut t = Till::new("T01", "S1", 7);
        t.sale("5.00");
        t.push("sale_completed", account_sale("60.00", "60.00", "C001"));
        t.push("sale_completed", account_sale("30.00", "20.00", "C001"));
        let (st, body) = http(
            srv.addr,
            "POST",
            "/v1/events",
            Some(&bearer(&token)),
            &t.after(0),
        );
        assert_eq!(st, 200, "{}: {body}", db.name);
        let r = s.customer("C001").expect("read").expect("C001");
        assert_eq!(
            (r.balance, r.available, r.account_sales),
            (Decimal::from(80), Decimal::from(20), 2)
        );
        assert_eq!(
            alerts(&*s, "T01", "credit_overspent:C001"),
            0,
            "{}",
            db.name
        );

        // The change reaches the till as a newer version, with the seq it
        // counts up to.
        let d = get(1);
        assert_eq!((d.customers_version, d.terminal_seq), (2, 4), "{}", db.name);
        assert_eq!(d.customers.len(), 1);
        assert_eq!(d.customers[0].available_credit, Decimal::from(20));
        assert!(get(2).customers.is_empty());

        // Sold offline past the limit: an alert; the credit left is none.
        t.push("sale_completed", account_sale("50.00", "50.00", "C001"));
        let (st, _) = http(
            srv.addr,
            "POST",
            "/v1/events",
            Some(&bearer(&token)),
            &t.after(4),
        );
        assert_eq!(st, 200);
        assert_eq!(
            alerts(&*s, "T01", "credit_overspent:C001"),
            1,
            "{}",
            db.name
        );
        let r = s.customer("C001").expect("read").expect("C001");
        assert_eq!(
            (r.balance, r.available),
            (Decimal::from(130), Decimal::ZERO)
        );
        // A refund to the account brings the balance down.
        t.push("refund", account_sale("-30.00", "-30.00", "C001"));
        let (st, body) = http(
            srv.addr,
            "POST",
            "/v1/events",
            Some(&bearer(&token)),
            &t.after(5),
        );
        assert_eq!(st, 200, "{}: {body}", db.name);
        let r = s.customer("C001").expect("read").expect("C001");
        assert_eq!(r.balance, Decimal::from(100), "{}", db.name);
        // Resent: nothing counted twice.
        let (st, _) = http(
            srv.addr,
            "POST",
            "/v1/events",
            Some(&bearer(&token)),
            &t.after(0),
        );
        assert_eq!(st, 200);
        let r = s.customer("C001").expect("read").expect("C001");
        assert_eq!(
            (r.balance, r.account_sales),
            (Decimal::from(100), 4),
            "{}",
            db.name
        );
    });
}
