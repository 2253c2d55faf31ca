mod common;

use common::*;
use rust_decimal_macros::dec;
use till_core::records::*;
use till_journal::{Journal, JournalError};

#[test]
fn genesis_then_gap_free_seqs_and_durable_head() {
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    let g = j.event(1).unwrap().expect("genesis");
    assert_eq!(g.kind, "terminal_initialised");
    match g.decode().unwrap() {
        Event::TerminalInitialised(t) => {
            assert_eq!(t.terminal_id, "T01");
            assert_eq!(t.shop_id, "S001");
            assert_eq!(t.public_key, j.public_key_hex());
            assert_eq!(t.software_version, "0.1.0-test");
        }
        other => panic!("unexpected genesis {other:?}"),
    }
    assert_eq!(g.prev_hash, [0u8; 32]);
    let a = j.append(ts(10, 15, 0, 123), &login("u1")).unwrap();
    assert_eq!(a.seq, 2);
    let b = j
        .append(ts(10, 15, 1, 0), &five_line_sale(1, "2026-11-23"))
        .unwrap();
    assert_eq!(b.seq, 3);
    assert_eq!(j.head().unwrap(), (3, b.hash));
    let e = j.event(3).unwrap().unwrap();
    assert_eq!(e.prev_hash, a.hash);
    assert_eq!(e.recompute_hash(), Some(b.hash));
    assert_eq!(
        j.event(2).unwrap().unwrap().ts,
        "2026-11-23T10:15:00.123+01:00"
    );
    drop(j);
    // Reopen: same key, same head, appends continue.
    let j = open_new(dir.path());
    assert_eq!(j.head().unwrap().0, 3);
    assert_eq!(j.append(ts(11, 0, 0, 0), &login("u2")).unwrap().seq, 4);
    let r = till_journal::verify(db_path(dir.path()), Default::default()).unwrap();
    assert!(r.ok, "{r:?}");
    assert_eq!(r.events, 4);
}

#[test]
fn append_only_triggers_refuse_update_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    j.append(ts(10, 0, 0, 0), &login("u1")).unwrap();
    let c = raw(dir.path());
    let e = c
        .execute("UPDATE events SET kind = 'logout' WHERE seq = 2", [])
        .unwrap_err();
    assert!(
        e.to_string().contains("journal rows are append-only"),
        "{e}"
    );
    let e = c
        .execute("DELETE FROM events WHERE seq = 2", [])
        .unwrap_err();
    assert!(
        e.to_string().contains("journal rows are append-only"),
        "{e}"
    );
    let n: i64 = c
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2);
}

#[test]
fn no_update_or_delete_on_events_in_the_sources() {
    // Belt and braces next to the triggers: no crate's SQL ever targets the
    // events of the journal, or head office's copy of them (same table name).
    // Every crate's sources, not only this one: the journal file is opened by
    // the till, the sync daemon and the tools too. Tests are left out: the
    // tamper tests alter rows on purpose.
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let mut dirs: Vec<_> = std::fs::read_dir(&crates)
        .unwrap()
        .map(|c| c.unwrap().path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    assert!(dirs.len() >= 8, "crates found: {dirs:?}");
    let mut files = Vec::new();
    while let Some(d) = dirs.pop() {
        for f in std::fs::read_dir(d).unwrap() {
            let p = f.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "rs" || e == "sql") {
                files.push(p);
            }
        }
    }
    assert!(files.len() > 100);
    for p in files {
        let text = std::fs::read_to_string(&p).unwrap().to_lowercase();
        let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for bad in [
            "update events",
            "delete from events",
            "insert or replace into events",
            "replace into events",
        ] {
            assert!(!text.contains(bad), "{} contains {bad:?}", p.display());
        }
    }
}

#[test]
fn refuses_genesis_closing_and_bad_arithmetic() {
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    let g = j.event(1).unwrap().unwrap().decode().unwrap();
    assert!(matches!(
        j.append(ts(10, 0, 0, 0), &g),
        Err(JournalError::InvalidEvent(_))
    ));
    let mut s = match five_line_sale(1, "2026-11-23") {
        Event::SaleCompleted(s) => s,
        _ => unreachable!(),
    };
    s.total += dec!(0.01);
    let e = j
        .append(ts(10, 0, 0, 0), &Event::SaleCompleted(s))
        .unwrap_err();
    assert!(matches!(e, JournalError::InvalidEvent(_)), "{e}");
    assert_eq!(j.head().unwrap().0, 1, "nothing recorded");
}

#[test]
fn sale_numbers_count_sale_records() {
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    assert_eq!(j.next_sale_no().unwrap(), 1);
    j.append(ts(10, 0, 0, 0), &five_line_sale(1, "2026-11-23"))
        .unwrap();
    j.append(ts(10, 0, 1, 0), &login("u1")).unwrap();
    j.append(ts(10, 0, 2, 0), &refund_of_a1(2, "2026-11-23"))
        .unwrap();
    assert_eq!(j.next_sale_no().unwrap(), 3);
}

#[test]
fn basket_survives_reopen_and_clears_with_the_sale() {
    let dir = tempfile::tempdir().unwrap();
    {
        let j = open_new(dir.path());
        assert_eq!(j.load_basket().unwrap(), None);
        j.save_basket(b"basket v1").unwrap();
        j.save_basket(b"basket v2").unwrap();
    }
    let j = open_new(dir.path());
    assert_eq!(j.load_basket().unwrap().as_deref(), Some(&b"basket v2"[..]));
    j.append(ts(10, 0, 0, 0), &login("u1")).unwrap();
    assert!(
        j.load_basket().unwrap().is_some(),
        "plain append keeps the basket"
    );
    j.append_and_clear_basket(ts(10, 0, 1, 0), &five_line_sale(1, "2026-11-23"))
        .unwrap();
    assert_eq!(j.load_basket().unwrap(), None);
    j.save_basket(b"x").unwrap();
    j.clear_basket().unwrap();
    assert_eq!(j.load_basket().unwrap(), None);
    // A refused sale leaves the basket in place.
    j.save_basket(b"y").unwrap();
    let mut bad = match five_line_sale(2, "2026-11-23") {
        Event::SaleCompleted(s) => s,
        _ => unreachable!(),
    };
    bad.change += dec!(1);
    assert!(j
        .append_and_clear_basket(ts(10, 0, 2, 0), &Event::SaleCompleted(bad))
        .is_err());
    assert_eq!(j.load_basket().unwrap().as_deref(), Some(&b"y"[..]));
}

#[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq, Clone)]
struct User {
    name: String,
    role: String,
}

#[test]
fn users_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    let alice = User {
        name: "Alice".into(),
        role: "cashier".into(),
    };
    j.put_user(ts(8, 0, 0, 0), "m1", "u2", &alice).unwrap();
    j.put_user(
        ts(8, 0, 1, 0),
        "m1",
        "u1",
        &User {
            name: "Bob".into(),
            role: "manager".into(),
        },
    )
    .unwrap();
    assert_eq!(j.get_user::<User>("u2").unwrap(), Some(alice.clone()));
    assert_eq!(j.get_user::<User>("nobody").unwrap(), None);
    let all: Vec<(String, User)> = j.list_users().unwrap();
    assert_eq!(
        all.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
        ["u1", "u2"]
    );
    // Every change is in the chain, with who made it; no change, no event.
    let head = j.head().unwrap().0;
    j.put_user(ts(8, 0, 2, 0), "m1", "u2", &alice).unwrap();
    assert_eq!(
        j.head().unwrap().0,
        head,
        "an unchanged record is not journaled"
    );
    let promoted = User {
        name: "Alice".into(),
        role: "supervisor".into(),
    };
    j.put_user(ts(8, 1, 0, 0), "m1", "u2", &promoted).unwrap();
    let e = j.event(head + 1).unwrap().unwrap();
    match e.decode().unwrap() {
        Event::ConfigChanged(c) => {
            assert_eq!(c.key, "user:u2");
            assert_eq!(c.by, "m1");
            assert!(c.old_value.unwrap().contains("cashier"));
            assert!(c.new_value.unwrap().contains("supervisor"));
        }
        other => panic!("expected config_changed, got {other:?}"),
    }
    assert!(j.delete_user(ts(8, 2, 0, 0), "m1", "u2").unwrap());
    assert!(!j.delete_user(ts(8, 2, 1, 0), "m1", "u2").unwrap());
    assert_eq!(j.head().unwrap().0, head + 2);
    assert_eq!(j.get_user::<User>("u2").unwrap(), None);
    let r = till_journal::verify(db_path(dir.path()), Default::default()).unwrap();
    assert!(
        r.ok,
        "user changes keep the chain and tail intact: {:?}",
        r.first_problem
    );
    // A record that is not a User is a typed error, not a panic.
    assert!(matches!(
        j.get_user::<u32>("u1"),
        Err(JournalError::UserRecord { .. })
    ));
}

#[test]
fn outbox_pages_and_cursor_only_moves_forward() {
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    for i in 0..9 {
        j.append(ts(10, 0, i, 0), &login("u1")).unwrap();
    }
    // seqs 1..=10
    let p1 = j.events_after(0, 4).unwrap();
    assert_eq!(p1.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
    let p2 = j.events_after(4, 4).unwrap();
    assert_eq!(p2.iter().map(|e| e.seq).collect::<Vec<_>>(), [5, 6, 7, 8]);
    assert_eq!(p2[0].prev_hash, p1[3].hash);
    let p3 = j.events_after(8, 4).unwrap();
    assert_eq!(p3.iter().map(|e| e.seq).collect::<Vec<_>>(), [9, 10]);
    assert!(j.events_after(10, 4).unwrap().is_empty());

    assert_eq!(j.acked_seq().unwrap(), 0);
    j.set_acked_seq(4).unwrap();
    j.set_acked_seq(4).unwrap(); // a repeated ack is fine
    assert!(matches!(
        j.set_acked_seq(3),
        Err(JournalError::CursorBackwards {
            current: 4,
            requested: 3
        })
    ));
    assert!(matches!(
        j.set_acked_seq(11),
        Err(JournalError::CursorBeyondHead {
            head: 10,
            requested: 11
        })
    ));
    j.set_acked_seq(10).unwrap();
    drop(j);
    let j = open_new(dir.path());
    assert_eq!(j.acked_seq().unwrap(), 10);

    // A read-only handle (the sync daemon's) reads but cannot write.
    let ro = Journal::open_read_only(db_path(dir.path())).unwrap();
    assert_eq!(ro.events_after(8, 10).unwrap().len(), 2);
    assert_eq!(ro.acked_seq().unwrap(), 10);
    assert!(matches!(
        ro.append(ts(1, 0, 0, 0), &login("x")),
        Err(JournalError::OpenedReadOnly(_))
    ));
}

#[test]
fn sync_daemon_handle_moves_the_cursor_without_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    for i in 0..4 {
        j.append(ts(10, 0, i, 0), &login("u1")).unwrap();
    }
    let sync = Journal::open_for_sync(db_path(dir.path())).unwrap();
    assert_eq!(sync.events_after(0, 100).unwrap().len(), 5);
    sync.set_acked_seq(3).unwrap();
    assert_eq!(j.acked_seq().unwrap(), 3);
    assert!(matches!(
        sync.append(ts(11, 0, 0, 0), &login("x")),
        Err(JournalError::OpenedReadOnly(_))
    ));
    // The till keeps appending while the daemon holds its handle.
    j.append(ts(11, 0, 0, 0), &login("u2")).unwrap();
    sync.set_acked_seq(6).unwrap();
    assert!(matches!(
        sync.set_acked_seq(7),
        Err(JournalError::CursorBeyondHead { head: 6, .. })
    ));
}

/// Once a day is signed off, its totals are final: a late sale for that day
/// is refused (and so is one in a closed month), the next day is open.
#[test]
fn nothing_is_recorded_into_a_closed_period() {
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    j.append(ts(10, 0, 0, 0), &five_line_sale(1, "2026-11-23"))
        .unwrap();
    let closing = j
        .close(
            ts(20, 0, 0, 0),
            ClosingKind::Day,
            "2026-11-23",
            "s1",
            Default::default(),
        )
        .unwrap();
    let before = j.period_totals(ClosingKind::Day, "2026-11-23").unwrap();
    match j.append(ts(20, 5, 0, 0), &five_line_sale(2, "2026-11-23")) {
        Err(JournalError::AlreadyClosed {
            kind: "day",
            period,
            seq,
        }) => {
            assert_eq!(period, "2026-11-23");
            assert_eq!(seq, closing.seq);
        }
        other => panic!("a sale into a closed day was not refused: {other:?}"),
    }
    assert_eq!(
        j.period_totals(ClosingKind::Day, "2026-11-23").unwrap(),
        before
    );
    assert_eq!(j.head().unwrap().0, closing.seq, "nothing appended");
    j.append(ts(9, 0, 0, 0), &five_line_sale(2, "2026-11-24"))
        .unwrap();

    j.close(
        ts(21, 0, 0, 0),
        ClosingKind::Month,
        "2026-11",
        "s1",
        Default::default(),
    )
    .unwrap();
    assert!(matches!(
        j.append(ts(9, 0, 0, 0), &five_line_sale(3, "2026-11-30")),
        Err(JournalError::AlreadyClosed { kind: "month", .. })
    ));
    let r = till_journal::verify(db_path(dir.path()), Default::default()).unwrap();
    assert!(r.ok, "{:?}", r.first_problem);
}

/// "Acknowledged means on disk" rests on these two settings; a SIGKILL test
/// cannot tell FULL from NORMAL, so they are checked directly.
#[test]
fn journal_connection_is_wal_with_full_sync() {
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    assert_eq!(j.durability().unwrap(), ("wal".to_string(), 2));
    drop(j);
    let j = Journal::open(db_path(dir.path()), opts(dir.path())).unwrap();
    assert_eq!(j.durability().unwrap(), ("wal".to_string(), 2));
}
