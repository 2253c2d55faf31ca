//! The back office dashboard's store ([`headoffice::store::dash::DashStore`])
//! on both backends: the projections ingest fills for it (sales per
//! terminal and hour, software version, last tail marker), its reads
//! (day totals and their exact sums, closings verified, grand totals,
//! alerts of one store), acknowledgement, and revocation (a revoked
//! terminal's token is refused by `/v1/events`).

mod common;

use common::*;
use headoffice::store::dash::{Group, TotalsQuery};
use headoffice::store::{IngestOutcome, TerminalAuth};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn auth(t: &str, s: &str) -> TerminalAuth {
    TerminalAuth {
        terminal_id: t.into(),
        store_id: s.into(),
    }
}

fn acked(out: IngestOutcome) -> u64 {
    match out {
        IngestOutcome::Acked { acked_seq, .. } => acked_seq,
        other => panic!("not acked: {other:?}"),
    }
}

#[test]
fn projections_reads_acknowledgement_and_revocation() {
    on_both_backends(|db| {
        let store = db.store();
        let tok1 = register(&*store, "S1", "T01");
        register(&*store, "S2", "T02");
        let srv = Server::public(store.clone());

        // T01: three sales at 10 h, a daily Z (pushed over HTTP: with a tail marker).
        let mut t1 = Till::new("T01", "S1", 1);
        for total in ["12.50", "7.25", "0.25"] {
            t1.sale(total);
        }
        let key = t1.key.clone();
        t1.closing(&key);
        let (st, body) = http(
            srv.addr,
            "POST",
            "/v1/events",
            Some(&bearer(&tok1)),
            &t1.after(0),
        );
        assert_eq!(st, 200, "{}: {body}", db.name);
        // T02: one sale, in store S2.
        let mut t2 = Till::new("T02", "S2", 2);
        t2.sale("100.00");
        assert_eq!(
            acked(
                store
                    .ingest(&auth("T02", "S2"), &t2.events)
                    .expect("ingest")
            ),
            2
        );

        let q = TotalsQuery {
            store_id: None,
            from: DAY,
            to: DAY,
            key: None,
        };
        let rows = store.day_rows(&q).expect("day rows");
        let get = |s: &str, k: &str| {
            rows.iter()
                .find(|r| r.store_id == s && r.key == k)
                .map(|r| r.amount)
        };
        assert_eq!(get("S1", "net"), Some(dec!(20.00)), "{}", db.name);
        assert_eq!(get("S1", "records"), Some(dec!(3)));
        assert_eq!(get("S2", "tender:cash"), Some(dec!(100.00)));
        let net_only = store
            .day_rows(&TotalsQuery {
                key: Some("net"),
                ..q
            })
            .expect("net rows");
        assert_eq!(net_only.len(), 2);
        let s1 = store
            .day_rows(&TotalsQuery {
                store_id: Some("S1"),
                ..q
            })
            .expect("S1 rows");
        assert!(s1.iter().all(|r| r.store_id == "S1") && !s1.is_empty());

        // Exact sums, three ways.
        let by_key = store.sums(&q, Group::Key).expect("sums");
        let net = by_key.iter().find(|r| r.key == "net").map(|r| r.amount);
        assert_eq!(net, Some(dec!(120.00)), "{}: {by_key:?}", db.name);
        assert!(by_key
            .iter()
            .all(|r| r.store_id.is_empty() && r.day.is_empty()));
        let by_store = store.sums(&q, Group::StoreKey).expect("sums");
        assert!(by_store
            .iter()
            .any(|r| r.store_id == "S2" && r.key == "records" && r.amount == Decimal::ONE));
        let by_day = store.sums(&q, Group::DayKey).expect("sums");
        assert!(by_day
            .iter()
            .any(|r| r.day == DAY && r.key == "records" && r.amount == dec!(4)));
        let none = store
            .sums(
                &TotalsQuery {
                    from: "2030-01-01",
                    to: "2030-01-31",
                    ..q
                },
                Group::Key,
            )
            .expect("sums");
        assert!(none.is_empty());

        // Per terminal and hour (the tills' ts are at 10 h, +01:00).
        let hours = store.hours(DAY, None).expect("hours");
        assert_eq!(hours.len(), 2, "{hours:?}");
        assert_eq!(
            (
                hours[0].terminal_id.as_str(),
                hours[0].hour,
                hours[0].records,
                hours[0].net
            ),
            ("T01", 10, 3, dec!(20.00))
        );
        assert_eq!(store.hours(DAY, Some("S2")).expect("hours").len(), 1);

        // Terminals: software version, last tail marker (T01 sent one).
        let terms = store.dash_terminals(None).expect("terminals");
        assert_eq!(terms.len(), 2);
        assert_eq!(terms[0].software_version.as_deref(), Some("test"));
        let tail = terms[0].tail.as_ref().expect("T01's tail marker");
        assert_eq!((tail.seq, tail.ok), (5, true));
        assert!(terms[1].tail.is_none());
        assert_eq!(
            store.dash_terminals(Some("S2")).expect("terminals").len(),
            1
        );

        // Closings: T01's Z, its signature verified again; grand totals.
        assert_eq!(
            store.closed_on(DAY, None).expect("closed"),
            vec!["T01".to_string()]
        );
        assert!(store.closed_on(DAY, Some("S2")).expect("closed").is_empty());
        let closings = store.closing_events(None, 100).expect("closings");
        assert_eq!(closings.len(), 1);
        assert_eq!(closings[0].verify(), Ok(()), "{}", db.name);
        let mut forged = closings[0].clone();
        forged.public_key = Some(hex::encode([9u8; 32]));
        assert!(forged.verify().is_err());
        let mut edited = closings[0].clone();
        if let Some(e) = edited.event.as_mut() {
            e.payload.push(b' ');
        }
        assert!(edited.verify().is_err_and(|e| e.contains("hash")));
        let grand = store.grand_totals(None).expect("grand totals");
        assert_eq!(grand.len(), 1);
        assert_eq!(grand[0].seq, 5);

        // Alerts: a tampered batch of T02, raised; acknowledged; raised again.
        let mut bad = Till::new("T02", "S2", 2);
        bad.sale("100.00");
        bad.sale("1.00");
        let mut evs = bad.events[2..].to_vec();
        evs[0].payload.push(b' ');
        for _ in 0..2 {
            let out = store.ingest(&auth("T02", "S2"), &evs).expect("ingest");
            assert!(matches!(out, IngestOutcome::HashMismatch { .. }), "{out:?}");
        }
        let all = store.dash_alerts(None, 50).expect("alerts");
        let a = all
            .iter()
            .find(|a| a.alert.code == "hash_mismatch")
            .expect("alert");
        assert_eq!((a.store_id.as_deref(), a.alert.count), (Some("S2"), 2));
        assert!(!a.acknowledged());
        assert!(store
            .dash_alerts(Some("S1"), 50)
            .expect("alerts")
            .is_empty());
        assert!(store
            .ack_alert(a.alert.id, "owner@shop", "2026-12-03T10:00:00Z")
            .expect("ack"));
        assert!(!store
            .ack_alert(a.alert.id + 1000, "owner@shop", "x")
            .expect("ack"));
        let again = store.dash_alert(a.alert.id).expect("alert").expect("held");
        assert!(again.acknowledged());
        assert_eq!(
            again.ack.as_ref().map(|k| k.by.as_str()),
            Some("owner@shop")
        );
        store.ingest(&auth("T02", "S2"), &evs).expect("ingest");
        let raised = store.dash_alert(a.alert.id).expect("alert").expect("held");
        assert!(!raised.acknowledged(), "a repeat asks again: {raised:?}");
        assert!(store.dash_alert(-1).expect("alert").is_none());

        // A fraud flag from the till (the drawer opened outside a sale) is an alert.
        let mut t3 = Till::new("T03", "S1", 3);
        register(&*store, "S1", "T03");
        let seq = t3.push(
            "drawer_opened",
            br#"{"operator":"c1","approved_by":null,"reason":"no sale"}"#.to_vec(),
        );
        assert_eq!(
            acked(
                store
                    .ingest(&auth("T03", "S1"), &t3.events)
                    .expect("ingest")
            ),
            seq
        );
        let s1 = store.dash_alerts(Some("S1"), 50).expect("alerts");
        assert!(
            s1.iter()
                .any(|a| a.alert.code == "fraud:drawer_opened" && a.alert.seq == seq),
            "{}: {s1:?}",
            db.name
        );

        // Revocation: the old token is refused, a new registration works.
        assert!(store
            .revoke_terminal("T01", "2026-12-03T11:00:00Z")
            .expect("revoke"));
        assert!(!store.revoke_terminal("T99", "now").expect("revoke"));
        t1.sale("1.00");
        let (st, body) = http(
            srv.addr,
            "POST",
            "/v1/events",
            Some(&bearer(&tok1)),
            &t1.after(5),
        );
        assert_eq!((st, code(&body).as_str()), (401, "unauthorized"), "{body}");
        let terms = store.dash_terminals(Some("S1")).expect("terminals");
        assert!(terms[0].revoked_at.is_some());
        let tok = register(&*store, "S1", "T01");
        assert!(store.dash_terminals(Some("S1")).expect("t")[0]
            .revoked_at
            .is_none());
        let (st, body) = http(
            srv.addr,
            "POST",
            "/v1/events",
            Some(&bearer(&tok)),
            &t1.after(5),
        );
        assert_eq!(st, 200, "{body}");
        assert_eq!(store.hours(DAY, Some("S1")).expect("hours")[0].records, 4);
    });
}
