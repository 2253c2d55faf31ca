//! The till's card tenders against the real drivers and simulators: Concert
//! over a pty, Caisse-AP over TCP. The app runs in-process with the real
//! state machine and terminal worker; the simulator plays a script.
//! Approved, declined, no answer then retry, a late approval, a refund;
//! then the journal verifies and holds one card tender per approval, and
//! no full card number anywhere in the data folder.

mod common;

use common::{card_money, check_journal, done, paid, press, sell, typed, wait_for};
use std::time::Duration;
use till::app::{App, Key, Screen};
use till_core::records::Event;
use till_devices::config::TerminalConfig;
use till_devices::payment::TerminalProtocol;
use till_devices::sim::{ReferenceMode, Script, SimCard, TerminalSim};

const FULL_PAN: &str = "4970101234567890";

/// The app pointed at `sim`, giving up on an answer after `timeout`.
fn app_for(dir: &std::path::Path, sim: &TerminalSim, timeout: Duration) -> App {
    let key = match sim.protocol() {
        TerminalProtocol::Concert => "path",
        TerminalProtocol::CaisseAp => "address",
    };
    let cfg: TerminalConfig = toml::from_str(&format!(
        "protocol = \"{}\"\n{key} = \"{}\"\n",
        sim.protocol().name(),
        sim.address()
    ))
    .unwrap();
    let mut settings = cfg.settings().unwrap();
    // Shorter than a shop's two minutes, so the test does not wait that long.
    settings.answer_timeout = timeout;
    settings.step_timeout = settings.step_timeout.min(timeout);
    let open = Box::new(move || settings.open().map_err(|e| e.to_string()));
    common::app_with(dir, open, Duration::from_secs(15))
}

fn whole_day(protocol: TerminalProtocol) {
    let dir = tempfile::tempdir().unwrap();
    let script: Script = "approve,decline,no-answer,approve,late:3000,approve"
        .parse()
        .unwrap();
    let sim = TerminalSim::start(protocol, script).unwrap();
    // The simulator sends a full card number: the till must keep four digits.
    sim.control().set_card(SimCard {
        pan: FULL_PAN.into(),
        ..SimCard::default()
    });
    let mut app = app_for(dir.path(), &sim, Duration::from_millis(1500));

    // 1. Approved.
    sell(&mut app);
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    done(&app);

    // 2. Declined, then no answer, then a retry that goes through.
    sell(&mut app);
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    assert!(matches!(app.screen(), Screen::Payment));
    let msg = app.message().cloned().unwrap().1;
    assert!(msg.contains("refusé"), "{msg}");
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    assert!(matches!(app.screen(), Screen::Payment));
    let msg = app.message().cloned().unwrap().1;
    assert!(
        msg.contains("Pas de réponse du terminal de paiement"),
        "{msg}"
    );
    assert!(app.basket().unwrap().tenders().is_empty());
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    done(&app);

    // 3. The till gives up after 1.5 s; the approval comes at 3 s.
    sell(&mut app);
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    assert!(
        matches!(app.screen(), Screen::Payment),
        "{:?}",
        app.message()
    );
    wait_for(&mut app, "the late approval", |a| {
        matches!(a.screen(), Screen::LateApproval)
    });
    let msg = app.message().cloned().unwrap().1;
    assert!(msg.contains("4,90"), "{msg}");
    press(&mut app, &[Key::Enter]);
    done(&app);

    // 4. A refund of the first sale's baguette goes back to the card.
    press(&mut app, &[Key::Esc, Key::F(9)]);
    typed(&mut app, "1");
    typed(&mut app, "1\n");
    assert!(
        matches!(app.screen(), Screen::Refund(_)),
        "{:?}",
        app.message()
    );
    press(&mut app, &[Key::Enter, Key::F(8)]);
    typed(&mut app, "2222\n");
    paid(&mut app);
    done(&app);

    assert_eq!(
        sim.control().requests(),
        6,
        "{}",
        sim.control().transcript_text()
    );
    // One card tender per approval: three sales and the refund.
    let (tenders, outside) = card_money(&app.journal());
    assert_eq!(tenders, vec!["4.90", "4.90", "4.90", "-1.30"]);
    assert!(outside.is_empty());
    for e in common::events(&app.journal()) {
        if let Some(s) = e.sale() {
            for t in &s.tenders {
                let pan = t.card.as_ref().and_then(|c| c.masked_pan.clone());
                if let Some(p) = pan {
                    assert!(p.ends_with("7890") && p.starts_with("****"), "{p}");
                }
            }
        }
        if let Event::Refund(r) = &e {
            assert!(r.tenders[0].card.as_ref().unwrap().approved);
        }
    }
    check_journal(&app, FULL_PAN);
}

#[test]
fn concert_over_a_pty() {
    whole_day(TerminalProtocol::Concert);
}

#[test]
fn caisse_ap_over_tcp() {
    whole_day(TerminalProtocol::CaisseAp);
}

/// A damaged answer and a lost one are not payments: the tender stays
/// unpaid, and the retry pays once.
fn damaged_then_retry(protocol: TerminalProtocol, script: &str) {
    let dir = tempfile::tempdir().unwrap();
    let sim = TerminalSim::start(protocol, script.parse().unwrap()).unwrap();
    // A full number on the card, so that the scans below can fail: damaged
    // answers end up in error messages.
    sim.control().set_card(SimCard {
        pan: FULL_PAN.into(),
        ..SimCard::default()
    });
    let mut app = app_for(dir.path(), &sim, Duration::from_millis(1500));
    sell(&mut app);
    for _ in 0..2 {
        press(&mut app, &[Key::F(2)]);
        paid(&mut app);
        assert!(
            matches!(app.screen(), Screen::Payment),
            "{:?}",
            app.message()
        );
        assert!(app.basket().unwrap().tenders().is_empty());
        let msg = app.message().cloned().unwrap().1;
        assert!(msg.contains("NON"), "{msg}");
        assert!(!msg.contains(FULL_PAN), "{msg}");
    }
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    done(&app);
    assert_eq!(card_money(&app.journal()), (vec!["4.90".into()], vec![]));
    check_journal(&app, FULL_PAN);
}

#[test]
fn concert_damaged_answers() {
    // A dropped Concert link is the pty itself going away: nothing to retry.
    damaged_then_retry(TerminalProtocol::Concert, "garbled,no-answer,approve");
}

#[test]
fn caisse_ap_damaged_answers() {
    damaged_then_retry(TerminalProtocol::CaisseAp, "garbled,drop,approve");
}

/// A terminal that does not echo the till's reference (its own transaction
/// id, or a blank field) still pays, on time and late; the journal's card
/// record keeps what it returned, and each approval is credited once.
fn foreign_references(protocol: TerminalProtocol, own: [&str; 2]) {
    let dir = tempfile::tempdir().unwrap();
    let script: Script = "approve,approve,late:3000".parse().unwrap();
    let sim = TerminalSim::start(protocol, script).unwrap();
    sim.control().set_card(SimCard {
        pan: FULL_PAN.into(),
        ..SimCard::default()
    });
    let mut app = app_for(dir.path(), &sim, Duration::from_millis(1500));

    // 1. The terminal's own reference; 2. a blank one: paid at once.
    for mode in [ReferenceMode::Own, ReferenceMode::Blank] {
        sim.control().set_reference(mode);
        sell(&mut app);
        press(&mut app, &[Key::F(2)]);
        paid(&mut app);
        done(&app);
    }
    // 3. Its own reference on an approval that comes after the till gave
    // up: credited to the lost attempt, once.
    sim.control().set_reference(ReferenceMode::Own);
    sell(&mut app);
    press(&mut app, &[Key::F(2)]);
    paid(&mut app);
    assert!(
        matches!(app.screen(), Screen::Payment),
        "{:?}",
        app.message()
    );
    wait_for(&mut app, "the late approval", |a| {
        matches!(a.screen(), Screen::LateApproval)
    });
    press(&mut app, &[Key::Enter]);
    done(&app);

    assert_eq!(
        sim.control().requests(),
        3,
        "{}",
        sim.control().transcript_text()
    );
    let (tenders, outside) = card_money(&app.journal());
    assert_eq!(tenders, vec!["4.90", "4.90", "4.90"]);
    assert!(outside.is_empty(), "{outside:?}");
    let kept: Vec<Option<String>> = common::events(&app.journal())
        .iter()
        .filter_map(|e| e.sale())
        .flat_map(|s| s.tenders.iter())
        .filter_map(|t| t.card.as_ref())
        .map(|c| c.terminal_reference.clone())
        .collect();
    assert_eq!(
        kept,
        vec![
            Some(own[0].to_string()),
            Some(String::new()),
            Some(own[1].to_string())
        ]
    );
    check_journal(&app, FULL_PAN);
}

#[test]
fn concert_answers_that_do_not_echo_the_reference_are_paid() {
    foreign_references(TerminalProtocol::Concert, ["TX00000001", "TX00000003"]);
}

#[test]
fn caisse_ap_answers_that_do_not_echo_cf_are_paid() {
    foreign_references(TerminalProtocol::CaisseAp, ["1010000000", "1010000000"]);
}
