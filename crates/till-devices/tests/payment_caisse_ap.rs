//! The Caisse-AP driver against the Caisse-AP simulator over a real TCP
//! socket, through every scripted outcome. The simulator sends every answer
//! in three pieces, one cut inside a field.

use std::time::{Duration, Instant};

use till_devices::config::TerminalConfig;
use till_devices::payment::caisse_ap_fields::CaisseApRequest;
use till_devices::payment::{
    CaisseApSettings, CaisseApTerminal, PaymentError, PaymentKind, PaymentRequest, PaymentTerminal,
};
use till_devices::sim::{CaisseApTerminalSim, ReferenceMode, SimCard};
use till_devices::transport::TcpTransport;
use till_devices::DeviceError;

const ANSWER: Duration = Duration::from_millis(600);

fn setup(script: &str) -> (CaisseApTerminalSim, CaisseApTerminal<TcpTransport>) {
    let sim = CaisseApTerminalSim::spawn(script.parse().unwrap()).unwrap();
    let settings = CaisseApSettings {
        step_timeout: Duration::from_millis(500),
        answer_timeout: ANSWER,
        drain: Duration::from_millis(100),
        send_cf: true,
    };
    let t = CaisseApTerminal::tcp(&sim.endpoint.address, settings);
    (sim, t)
}

fn debit(cents: u64, reference: &str) -> PaymentRequest {
    PaymentRequest {
        amount_cents: cents,
        kind: PaymentKind::Debit,
        currency: 978,
        pos_number: 1,
        reference: reference.into(),
    }
}

#[test]
fn approved_payment_in_pieces_with_exact_request_bytes() {
    let (sim, mut t) = setup("approve");
    t.ping().unwrap();
    let a = t.pay(&debit(1250, "S42-1")).unwrap();
    assert!(a.approved, "{a:?}");
    assert_eq!(a.amount_cents, 1250);
    assert_eq!(a.masked_pan.as_deref(), Some("497010######0010"));
    assert_eq!(a.auth_code.as_deref(), Some("123456"));
    assert_eq!(a.scheme.as_deref(), Some("CB"));
    assert_eq!(a.read_mode.as_deref(), Some("chip"));
    assert_eq!(a.reference.as_deref(), Some("S42-1"));
    let expected = CaisseApRequest {
        pos_number: 1,
        amount_cents: 1250,
        kind: PaymentKind::Debit,
        currency: 978,
        private: "S42-1".into(),
    }
    .encode()
    .unwrap();
    assert_eq!(sim.control.from_till(), expected);
    assert_eq!(sim.control.requests(), 1);
}

#[test]
fn full_card_numbers_are_masked_and_contactless_is_reported() {
    let (sim, mut t) = setup("approve");
    sim.control.set_card(SimCard {
        pan: "5132850000000008".into(),
        scheme: "CB".into(),
        read_mode: "contactless".into(),
        auth_code: "A1B2C3".into(),
    });
    let a = t.pay(&debit(700, "S43-1")).unwrap();
    assert_eq!(a.masked_pan.as_deref(), Some("************0008"));
    assert_eq!(a.read_mode.as_deref(), Some("contactless"));
    assert!(!format!("{a:?}").contains("513285000"));
}

#[test]
fn declined_cancelled_and_refund() {
    let (sim, mut t) = setup("decline,cancel,approve");
    let a = t.pay(&debit(999, "S44-1")).unwrap();
    assert!(!a.approved);
    assert_eq!(a.reason.as_deref(), Some("declined by the bank"));
    let a = t.pay(&debit(999, "S44-2")).unwrap();
    assert!(!a.approved);
    assert!(a.reason.unwrap().contains("cancelled"));
    let refund = PaymentRequest {
        kind: PaymentKind::Refund,
        ..debit(999, "R44-1")
    };
    assert!(t.pay(&refund).unwrap().approved);
    let sent = String::from_utf8(sim.control.from_till()).unwrap();
    assert!(sent.contains("CD0011CE003978BA0010CF005R44-1"), "{sent}");
}

#[test]
fn no_answer_is_a_timeout_within_the_answer_timeout() {
    let (_sim, mut t) = setup("no-answer");
    let start = Instant::now();
    let e = t.pay(&debit(100, "S45-1")).unwrap_err();
    assert!(
        matches!(e, PaymentError::Timeout { ref step, .. } if step == "answer"),
        "{e}"
    );
    assert!(start.elapsed() < ANSWER + Duration::from_secs(1));
    assert!(t.late_answer(Duration::from_millis(200)).unwrap().is_none());
}

#[test]
fn a_garbled_answer_is_reported_at_once() {
    let (_sim, mut t) = setup("garbled,approve");
    let start = Instant::now();
    let e = t.pay(&debit(100, "S46-1")).unwrap_err();
    assert!(matches!(e, PaymentError::Garbled { .. }), "{e}");
    assert!(start.elapsed() < ANSWER + Duration::from_secs(1));
    assert!(t.pay(&debit(100, "S46-2")).unwrap().approved);
}

#[test]
fn a_dropped_connection_is_a_disconnection_and_reconnecting_is_not_an_answer() {
    let (sim, mut t) = setup("drop,approve");
    let e = t.pay(&debit(100, "S47-1")).unwrap_err();
    assert!(
        matches!(e, PaymentError::Device(DeviceError::Disconnected { .. })),
        "{e}"
    );
    // late_answer reconnects; the terminal accepts, and says nothing.
    let start = Instant::now();
    assert!(t.late_answer(Duration::from_millis(400)).unwrap().is_none());
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(sim.control.requests(), 1);
}

#[test]
fn a_late_approval_is_found_by_late_answer() {
    let (_sim, mut t) = setup("late:1500");
    let e = t.pay(&debit(2500, "S48-1")).unwrap_err();
    assert!(matches!(e, PaymentError::Timeout { .. }), "{e}");
    let a = t
        .late_answer(Duration::from_secs(3))
        .unwrap()
        .expect("the late approval");
    assert!(a.approved);
    assert_eq!(a.reference.as_deref(), Some("S48-1"));
    assert_eq!(a.amount_cents, 2500);
    assert!(t.late_answer(Duration::from_millis(100)).unwrap().is_none());
}

#[test]
fn a_closed_port_is_an_open_error_and_nothing_is_pending() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut t = CaisseApTerminal::tcp(&format!("127.0.0.1:{port}"), CaisseApSettings::default());
    let e = t.pay(&debit(100, "S49-1")).unwrap_err();
    assert!(
        matches!(e, PaymentError::Device(DeviceError::Open { .. })),
        "{e}"
    );
    assert!(t.late_answer(Duration::from_millis(50)).unwrap().is_none());
}

#[test]
fn opened_from_till_toml_by_address() {
    let sim = CaisseApTerminalSim::spawn("approve".parse().unwrap()).unwrap();
    let text = format!(
        "[devices.terminal]\nprotocol = \"caisse-ap\"\naddress = \"{}\"\npos_number = 7\n",
        sim.endpoint.address
    );
    let config = TerminalConfig::from_toml(&text, "till.toml")
        .unwrap()
        .unwrap();
    let settings = config.settings().unwrap();
    let mut t = settings.open().unwrap();
    t.ping().unwrap();
    let req = PaymentRequest {
        pos_number: settings.pos_number,
        ..debit(4200, "S50-1")
    };
    assert!(t.pay(&req).unwrap().approved);
    assert!(String::from_utf8(sim.control.from_till())
        .unwrap()
        .contains("CA00207"));
}

#[test]
fn an_answer_paused_at_a_field_boundary_before_its_status_is_awaited_not_garbled() {
    use std::io::{Read, Write};
    // A terminal (or a slow network) that sends the echoed fields, pauses
    // longer than the drain time, then the status: the fields before the
    // pause parse whole, but without AE they are not an answer yet. Taking
    // them as one made an approval "garbled", i.e. not recorded.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 256];
        let _ = s.read(&mut buf).unwrap();
        s.write_all(b"CZ0040300CA00201CB0041250CD0010CE003978CF005S42-1")
            .unwrap();
        std::thread::sleep(Duration::from_millis(400));
        s.write_all(b"AE00210AC006A1B2C3").unwrap();
        std::thread::sleep(Duration::from_millis(200));
    });
    let settings = CaisseApSettings {
        step_timeout: Duration::from_secs(5),
        answer_timeout: Duration::from_secs(10),
        drain: Duration::from_millis(100),
        send_cf: true,
    };
    let mut t = CaisseApTerminal::tcp(&address, settings);
    let a = t.pay(&debit(1250, "S42-1")).unwrap();
    assert!(a.approved, "{a:?}");
    assert_eq!(a.auth_code.as_deref(), Some("A1B2C3"));
    server.join().unwrap();
}

/// akretion/caisse-ap-ip's server answers every approval with CF =
/// 1010000000; other terminals leave CF out. Both are approvals (before,
/// the first was reported "garbled", check the baud rate).
#[test]
fn answers_with_the_terminals_own_cf_or_none_are_taken() {
    for (mode, want) in [
        (ReferenceMode::Echo, None),
        (ReferenceMode::Own, Some("1010000000")),
        (ReferenceMode::Blank, Some("")),
    ] {
        let (sim, mut t) = setup("approve,decline");
        sim.control.set_reference(mode);
        let a = t
            .pay(&debit(1250, "S42-1"))
            .unwrap_or_else(|e| panic!("{mode}: {e}\n{}", sim.control.transcript_text()));
        assert!(a.approved, "{mode}: {a:?}");
        assert_eq!(a.reference.as_deref(), Some("S42-1"), "{mode}");
        assert_eq!(a.terminal_reference.as_deref(), want, "{mode}");
        assert_eq!(a.auth_code.as_deref(), Some("123456"));
        let d = t.pay(&debit(1250, "S42-2")).unwrap();
        assert!(!d.approved && d.reason.is_some(), "{mode}: {d:?}");
    }
}

/// `send_cf = false` (as OCA's module): no CF on the wire, and the answer,
/// with no CF or the terminal's own, is still the attempt's.
#[test]
fn without_cf_the_request_carries_none_and_the_answer_is_still_taken() {
    for (mode, want) in [
        (ReferenceMode::Echo, None),
        (ReferenceMode::Own, Some("1010000000")),
    ] {
        let sim = CaisseApTerminalSim::spawn("approve".parse().unwrap()).unwrap();
        sim.control.set_reference(mode);
        let text = format!(
            "[devices.terminal]\nprotocol = \"caisse-ap\"\naddress = \"{}\"\nsend_cf = false\n",
            sim.endpoint.address
        );
        let config = TerminalConfig::from_toml(&text, "till.toml")
            .unwrap()
            .unwrap();
        let mut t = config.open().unwrap();
        let a = t.pay(&debit(1250, "S51-1")).unwrap();
        assert!(a.approved, "{mode}: {a:?}");
        assert_eq!(a.reference.as_deref(), Some("S51-1"), "{mode}");
        assert_eq!(a.terminal_reference.as_deref(), want, "{mode}");
        let expected = CaisseApRequest {
            pos_number: 1,
            amount_cents: 1250,
            kind: PaymentKind::Debit,
            currency: 978,
            private: String::new(),
        }
        .encode()
        .unwrap();
        assert_eq!(sim.control.from_till(), expected);
    }
}

/// A late approval with the server's own CF is found, once.
#[test]
fn a_late_approval_with_the_terminals_own_cf_is_taken_once() {
    let (sim, mut t) = setup("late:1200");
    sim.control.set_reference(ReferenceMode::Own);
    let e = t.pay(&debit(2500, "S52-1")).unwrap_err();
    assert!(matches!(e, PaymentError::Timeout { .. }), "{e}");
    let a = t
        .late_answer(Duration::from_secs(3))
        .unwrap()
        .expect("the late approval");
    assert!(a.approved);
    assert_eq!(a.reference.as_deref(), Some("S52-1"));
    assert_eq!(a.terminal_reference.as_deref(), Some("1010000000"));
    assert!(t.late_answer(Duration::from_millis(200)).unwrap().is_none());
}
