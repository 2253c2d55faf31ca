//! Head office against a till credential in the wrong hands: each attack of
//! issue 9, run with one body on SQLite and on PostgreSQL.

mod common;

use common::*;
use ed25519_dalek::SigningKey;

/// A second `terminal_initialised` at seq 61 with a new key, then a closing
/// and a tail marker signed with that key: refused whole (422 key_change),
/// nothing stored, an alert written. The genuine till carries on.
#[test]
fn a_second_terminal_initialised_cannot_replace_the_signing_key() {
    on_both_backends(|db| {
        let store = db.store();
        let token = register(&*store, "S1", "T01");
        let srv = Server::public(store.clone());
        let auth = bearer(&token);
        let mut till = Till::new("T01", "S1", 7);
        for _ in 2..=60 {
            till.sale("6.00");
        }
        let (st, body) = http(srv.addr, "POST", "/v1/events", Some(&auth), &till.after(0));
        assert_eq!(st, 200, "{}: {body}", db.name);

        let mut forged = Till {
            terminal: till.terminal.clone(),
            shop: till.shop.clone(),
            key: till.key.clone(),
            events: till.events.clone(),
        };
        let attacker = SigningKey::from_bytes(&[9; 32]);
        forged.push("terminal_initialised", init_payload("T01", "S1", &attacker));
        forged.closing(&attacker);
        let batch = forged.batch(61, forged.head(), Some(&attacker));
        let (st, body) = http(srv.addr, "POST", "/v1/events", Some(&auth), &batch);
        assert_eq!(
            (st, code(&body).as_str()),
            (422, "key_change"),
            "{}: {body}",
            db.name
        );
        assert_eq!(
            held(&*store, "T01"),
            (60, 60),
            "{}: nothing stored",
            db.name
        );
        assert_eq!(alerts(&*store, "T01", "key_change"), 1, "{}", db.name);
        assert!(
            store.closings(None).expect("closings").is_empty(),
            "{}",
            db.name
        );

        // The same key again is no better: the key is pinned by seq 1, full stop.
        let mut again = Till {
            terminal: till.terminal.clone(),
            shop: till.shop.clone(),
            key: till.key.clone(),
            events: till.events.clone(),
        };
        let own = till.key.clone();
        again.push("terminal_initialised", init_payload("T01", "S1", &own));
        let (st, body) = http(
            srv.addr,
            "POST",
            "/v1/events",
            Some(&auth),
            &again.after(60),
        );
        assert_eq!(
            (st, code(&body).as_str()),
            (422, "key_change"),
            "{}: {body}",
            db.name
        );

        // A closing signed with another key, without a new key event: bad signature.
        let mut sneaky = Till {
            terminal: till.terminal.clone(),
            shop: till.shop.clone(),
            key: till.key.clone(),
            events: till.events.clone(),
        };
        sneaky.closing(&attacker);
        let (st, body) = http(
            srv.addr,
            "POST",
            "/v1/events",
            Some(&auth),
            &sneaky.after(60),
        );
        assert_eq!(
            (st, code(&body).as_str()),
            (422, "bad_signature"),
            "{}: {body}",
            db.name
        );

        // The genuine till's closing, with its own key, still goes through.
        let k = till.key.clone();
        till.closing(&k);
        let (st, body) = http(srv.addr, "POST", "/v1/events", Some(&auth), &till.after(60));
        assert_eq!(st, 200, "{}: {body}", db.name);
        assert_eq!(store.closings(None).expect("closings").len(), 1);
        assert_eq!(
            alerts(&*store, "T01", "bad_tail_signature"),
            0,
            "{}",
            db.name
        );
    });
}

/// A payload naming another terminal or shop than the credential's.
#[test]
fn a_payload_must_name_the_tokens_terminal_and_store() {
    on_both_backends(|db| {
        let store = db.store();
        let t1 = register(&*store, "S1", "T01");
        let t2 = register(&*store, "S1", "T02");
        let srv = Server::public(store.clone());
        for (token, terminal, claimed_t, claimed_s) in
            [(&t1, "T01", "T01", "S2"), (&t2, "T02", "T01", "S1")]
        {
            let mut till = Till::claiming(terminal, "S1", claimed_t, claimed_s, 3);
            till.sale("6.00");
            let (st, body) = http(
                srv.addr,
                "POST",
                "/v1/events",
                Some(&bearer(token)),
                &till.after(0),
            );
            assert_eq!(
                (st, code(&body).as_str()),
                (422, "identity_mismatch"),
                "{}: {terminal} claiming {claimed_t}/{claimed_s}: {body}",
                db.name
            );
            assert_eq!(held(&*store, terminal), (0, 0), "{}", db.name);
            assert_eq!(
                alerts(&*store, terminal, "identity_mismatch"),
                1,
                "{}",
                db.name
            );
        }
    });
}

/// Amounts near the Decimal maximum (and other absurd values) are refused at
/// ingest with a clear code; another terminal of the same store and day, and
/// the reports, carry on; the refused terminal's next honest batch too.
#[test]
fn absurd_amounts_are_refused_and_block_no_one() {
    on_both_backends(|db| {
        let store = db.store();
        let ta = register(&*store, "S1", "TA");
        let tb = register(&*store, "S1", "TB");
        let srv = Server::public(store.clone());
        let (aa, ab) = (bearer(&ta), bearer(&tb));
        let mut a = Till::new("TA", "S1", 1);
        a.sale("6.00");
        let (st, body) = http(srv.addr, "POST", "/v1/events", Some(&aa), &a.after(0));
        assert_eq!(st, 200, "{}: {body}", db.name);

        let absurd: Vec<(&str, Vec<u8>)> = vec![
            (
                "sale_completed",
                sale_payload("79228162514264337593543950335", "1"),
            ),
            (
                "sale_completed",
                sale_payload("39614081257132168796771975168", "1"),
            ),
            ("refund", sale_payload("-1000000000.01", "-1")),
            ("sale_completed", sale_payload("6.00", "10000001")),
            ("sale_completed", sale_payload("0.0000001", "1")),
            ("stock_movement", stock_payload("100000000")),
            (
                "stock_movement",
                stock_payload("-79228162514264337593543950335"),
            ),
        ];
        for (kind, payload) in absurd {
            let mut bad = Till {
                terminal: a.terminal.clone(),
                shop: a.shop.clone(),
                key: a.key.clone(),
                events: a.events.clone(),
            };
            bad.push(kind, payload.clone());
            let (st, body) = http(srv.addr, "POST", "/v1/events", Some(&aa), &bad.after(2));
            assert_eq!(
                (st, code(&body).as_str()),
                (422, "amount_out_of_range"),
                "{}: {kind} {}: {body}",
                db.name,
                String::from_utf8_lossy(&payload)
            );
            assert_eq!(held(&*store, "TA"), (2, 2), "{}", db.name);
        }
        assert!(
            alerts(&*store, "TA", "amount_out_of_range") >= 1,
            "{}",
            db.name
        );

        // Terminal B, same store, same day: not blocked.
        let mut b = Till::new("TB", "S1", 2);
        b.sale("1000000000.00");
        b.push("stock_movement", stock_payload("10000000"));
        let (st, body) = http(srv.addr, "POST", "/v1/events", Some(&ab), &b.after(0));
        assert_eq!(st, 200, "{}: {body}", db.name);
        b.sale("4.50");
        let (st, body) = http(srv.addr, "POST", "/v1/events", Some(&ab), &b.after(3));
        assert_eq!(st, 200, "{}: {body}", db.name);
        // Terminal A's honest next sale too.
        a.sale("2.00");
        let (st, body) = http(srv.addr, "POST", "/v1/events", Some(&aa), &a.after(2));
        assert_eq!(st, 200, "{}: {body}", db.name);

        for path in [
            "/v1/reports/sales",
            "/v1/reports/sales?store=S1",
            "/v1/reports/stock",
        ] {
            let (st, body) = http(srv.addr, "GET", path, None, b"");
            assert_eq!(st, 200, "{}: {path}: {body}", db.name);
        }
        let net = store
            .sales(Some("S1"), None, None)
            .expect("sales")
            .into_iter()
            .find(|r| r.key == "net")
            .expect("net");
        assert_eq!(net.amount.to_string(), "1000000012.50", "{}", db.name);
    });
}

/// A sale whose payload does not decode is refused with an alert, never
/// acknowledged and left out of the totals; a kind this build does not know
/// (a newer till) is kept, and said.
#[test]
fn an_undecodable_sale_is_refused_not_dropped() {
    on_both_backends(|db| {
        let store = db.store();
        let token = register(&*store, "S1", "T01");
        let srv = Server::public(store.clone());
        let auth = bearer(&token);
        let mut till = Till::new("T01", "S1", 5);
        till.sale("6.00");
        let (st, _) = http(srv.addr, "POST", "/v1/events", Some(&auth), &till.after(0));
        assert_eq!(st, 200);

        let mut bad = Till {
            terminal: till.terminal.clone(),
            shop: till.shop.clone(),
            key: till.key.clone(),
            events: till.events.clone(),
        };
        bad.push(
            "sale_completed",
            br#"{"kind":"sale","total":"oops"}"#.to_vec(),
        );
        let (st, body) = http(srv.addr, "POST", "/v1/events", Some(&auth), &bad.after(2));
        assert_eq!(
            (st, code(&body).as_str()),
            (422, "undecodable"),
            "{}: {body}",
            db.name
        );
        assert_eq!(held(&*store, "T01"), (2, 2), "{}", db.name);
        assert_eq!(alerts(&*store, "T01", "undecodable"), 1, "{}", db.name);

        till.push("loyalty_points_added", br#"{"points":3}"#.to_vec());
        let (st, body) = http(srv.addr, "POST", "/v1/events", Some(&auth), &till.after(2));
        assert_eq!(st, 200, "{}: {body}", db.name);
        assert_eq!(held(&*store, "T01"), (3, 3), "{}", db.name);
        assert_eq!(alerts(&*store, "T01", "unknown_kind"), 1, "{}", db.name);
    });
}
