//! The scale driver against the byte-level scale simulator over a
//! pseudo-terminal, for each protocol: a weight is taken only when stable,
//! every other state is its typed error, Dialog 06's price is the scale's.

use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use till_devices::scale::{Scale, ScaleError, ScaleProtocol, ScaleState, WeighRequest};
use till_devices::sim::ScaleSim;
use till_devices::transport::SerialTransport;

fn kg(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn start(protocol: ScaleProtocol, script: &str) -> (ScaleSim, Scale<SerialTransport>) {
    let mut sim = ScaleSim::spawn(protocol, script.parse().unwrap()).unwrap();
    let host = sim.endpoint.take_host().unwrap();
    (sim, Scale::new(host, protocol, Duration::from_millis(400)))
}

fn code(r: Result<impl std::fmt::Debug, ScaleError>) -> &'static str {
    match r {
        Ok(v) => panic!("a weight where an error was due: {v:?}"),
        Err(e) => e.code(),
    }
}

#[test]
fn toledo_8217_takes_only_a_stable_weight_and_names_every_other_state() {
    let (sim, mut scale) = start(
        ScaleProtocol::Toledo8217,
        "motion,overload,underload,zero,1.234",
    );
    let none = WeighRequest::default();
    assert_eq!(code(scale.weigh(&none)), "motion");
    assert_eq!(code(scale.weigh(&none)), "overload");
    assert_eq!(code(scale.weigh(&none)), "underload");
    assert_eq!(code(scale.weigh(&none)), "zero");
    let w = scale.weigh(&none).unwrap();
    assert_eq!(w.net_kg, kg("1.234"));
    assert!(w.price.is_none(), "a weight-only scale gives no price");
    // A tare (a container) comes off the gross weight.
    let tared = WeighRequest {
        unit_price: None,
        tare_kg: Some(kg("0.200")),
    };
    let w = scale.weigh(&tared).unwrap();
    assert_eq!((w.net_kg, w.tare_kg), (kg("1.034"), kg("0.200")));
    let heavy_tare = WeighRequest {
        unit_price: None,
        tare_kg: Some(kg("2")),
    };
    assert_eq!(code(scale.weigh(&heavy_tare)), "underload");
    assert_eq!(scale.zero().unwrap(), ScaleState::Stable(kg("1.234")));
    assert_eq!(sim.control.zeroed(), 1);
    assert_eq!(sim.control.from_till(), b"WWWWWWWZW".to_vec());
}

#[test]
fn toledo_8217_motion_is_waited_out_within_the_settle_time() {
    let (_sim, mut scale) = start(ScaleProtocol::Toledo8217, "motion,motion,0.750");
    let w = scale
        .weigh_settled(&WeighRequest::default(), Duration::from_secs(3))
        .unwrap();
    assert_eq!(w.net_kg, kg("0.750"));
    let (_sim, mut scale) = start(ScaleProtocol::Toledo8217, "motion");
    let e = scale
        .weigh_settled(&WeighRequest::default(), Duration::from_millis(500))
        .unwrap_err();
    assert_eq!(e.code(), "motion");
}

#[test]
fn a_silent_garbled_or_lost_scale_is_a_typed_link_error() {
    let (_sim, mut scale) = start(ScaleProtocol::Toledo8217, "silent,garbled,drop");
    let none = WeighRequest::default();
    let started = Instant::now();
    assert_eq!(code(scale.weigh(&none)), "no_answer");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(code(scale.weigh(&none)), "garbled");
    let e = scale.weigh(&none).unwrap_err();
    // The simulator hung up: the pty reads as closed (or, on a slow
    // machine, the answer never came).
    assert!(
        matches!(e.code(), "disconnected" | "no_answer"),
        "{e}: {}",
        e.code()
    );
    let e = scale.weigh(&none).unwrap_err();
    assert!(
        matches!(e, ScaleError::Device(ref d) if d.is_transient()),
        "{e}"
    );
}

#[test]
fn continuous_output_is_listened_to_and_settles() {
    let (sim, mut scale) = start(ScaleProtocol::Continuous, "motion,1.500,overload");
    let w = scale
        .weigh_settled(&WeighRequest::default(), Duration::from_secs(3))
        .unwrap();
    assert_eq!(w.net_kg, kg("1.500"));
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        match scale.state() {
            Ok(ScaleState::Overload) => break,
            Ok(_) if Instant::now() < deadline => continue,
            other => panic!("no overload seen: {other:?}"),
        }
    }
    assert_eq!(code(scale.weigh(&WeighRequest::default())), "overload");
    assert_eq!(code(scale.zero()), "unsupported");
    assert!(sim.control.from_till().is_empty(), "the till only listens");
}

#[test]
fn dialog06_records_the_scales_price_and_asks_why_after_a_nak() {
    let (sim, mut scale) = start(ScaleProtocol::Dialog06, "motion,0.470,not-removed,overload");
    let req = WeighRequest {
        unit_price: Some(kg("12.90")),
        tare_kg: Some(kg("0.015")),
    };
    assert_eq!(code(scale.weigh(&req)), "motion");
    let w = scale.weigh(&req).unwrap();
    assert_eq!(w.net_kg, kg("0.455"));
    let price = w.price.unwrap();
    // 0.455 kg at 12.90: the scale's total, 5.87, taken as it is.
    assert_eq!(price.unit_price, kg("12.90"));
    assert_eq!(price.total, kg("5.87"));
    assert_eq!(sim.control.last_price(), Some((1290, 15)));
    assert_eq!(code(scale.weigh(&req)), "not_removed");
    assert_eq!(code(scale.weigh(&req)), "overload");
    // The exchange as Coop IT Easy's driver makes it: the record, EOT after
    // the ACK, EOT ENQ, EOT after the result; after a NAK, record 08.
    let sent = sim.control.from_till();
    let price_tare = b"\x04\x0203\x1b001290\x1b0015\x03";
    let mut ok_exchange = price_tare.to_vec();
    ok_exchange.extend(b"\x04\x04\x05\x04");
    assert!(
        sent.windows(ok_exchange.len()).any(|w| w == ok_exchange),
        "{sent:02X?}"
    );
    let why = b"\x04\x05\x04\x04\x0208\x03\x04";
    assert!(sent.windows(why.len()).any(|w| w == why), "{sent:02X?}");
    let big = WeighRequest {
        unit_price: Some(kg("10000")),
        tare_kg: None,
    };
    assert_eq!(code(scale.weigh(&big)), "unsupported");
}
