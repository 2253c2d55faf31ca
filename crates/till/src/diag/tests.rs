//! The device commands against the simulators (pty), and their messages.

use std::time::Duration;

use serde_json::json;
use till_devices::config::DevicesConfig;
use till_devices::drawer::SerialDrawer;
use till_devices::escpos::receipt::Logo;
use till_devices::escpos::Interpreter;
use till_devices::DeviceError;

use super::all::all;
use super::common::{advice, Target};
use super::drawer::{drawer_open, drawer_status, watch_drawer, WatchEvent};
use super::printer::{printer_status, printer_test, test_page};
use super::render::printer_render;
use super::scanner::scan_report;
use super::RenderArgs;
use till_devices::sim::{PrinterSim, SimKind};

fn target(path: &str) -> Target {
    Target {
        config: Some("/nonexistent/till.toml".into()),
        path: Some(path.into()),
        address: None,
        transport: None,
        baud: None,
        json: true,
    }
}

#[test]
fn printer_status_and_drawer_against_the_simulator() {
    let sim = PrinterSim::spawn(SimKind::Pty, 48).unwrap();
    let t = target(&sim.endpoint.address);
    assert_eq!(printer_status(&t).unwrap(), 0);
    sim.state().paper_out = true;
    assert_eq!(printer_status(&t).unwrap(), 1);
    sim.state().paper_out = false;
    assert_eq!(drawer_open(&t, Some("2")).unwrap(), 0);
    assert!(sim.state().drawer_open);
    assert_eq!(drawer_status(&t, None).unwrap(), 0);
    // Wrong pin: the pulse goes out, the sensor stays closed: exit 1.
    sim.state().drawer_open = false;
    assert_eq!(drawer_open(&t, Some("5")).unwrap(), 1);
    assert_eq!(printer_test(&t).unwrap(), 0);
    assert!(sim.wait_for(Duration::from_secs(2), |s| s
        .paper
        .text()
        .contains("TEST comptoir")
        || s.paper.text().contains("T E S T")));
}

#[test]
fn drawer_open_on_a_silent_port_says_no_printer_answered() {
    let sim = PrinterSim::spawn(SimKind::Pty, 48).unwrap();
    sim.state().mute = true;
    let t = target(&sim.endpoint.address);
    // Neither status nor sensor readable: exit 1, not "pulse sent".
    assert_eq!(drawer_open(&t, Some("2")).unwrap(), 1);
    // A printer that answers "offline" still gets the real-time pulse.
    {
        let mut st = sim.state();
        st.mute = false;
        st.drawer_open = false;
        st.forced_offline = true;
    }
    assert_eq!(drawer_open(&t, Some("2")).unwrap(), 0);
    assert!(sim
        .state()
        .kicks
        .iter()
        .any(|k| matches!(k, till_devices::escpos::Event::RealtimeKick { .. })));
    assert!(sim.state().drawer_open);
}

#[test]
fn watch_reports_drawer_left_open_then_closed() {
    use till_devices::sim::DrawerSim;
    let mut sim = DrawerSim::spawn(SimKind::Pty, 0x07, b'?').unwrap();
    let mut d = SerialDrawer::new(sim.endpoint.take_host().unwrap(), 0x07);
    d.open().unwrap();
    let ms = Duration::from_millis;
    let mut reads = 0;
    let mut events = Vec::new();
    let left_open = watch_drawer(
        || {
            reads += 1;
            if reads == 10 {
                sim.close(); // the cashier finally pushes it shut
            }
            d.sensor(b'?', ms(500))
        },
        ms(200),
        ms(900),
        ms(50),
        |e| events.push(e.clone()),
    )
    .unwrap();
    assert!(!left_open, "{events:?}");
    assert!(matches!(events[0], WatchEvent::Sensor { open: true, .. }));
    assert!(
        matches!(events[1], WatchEvent::LeftOpen { open_for } if open_for >= ms(200)),
        "{events:?}"
    );
    assert!(matches!(events[2], WatchEvent::Sensor { open: false, .. }));
    assert!(matches!(events[3], WatchEvent::ClosedAfterAlert { .. }));
}

#[test]
fn drawer_status_watch_from_config_exits_1_when_left_open() {
    use till_devices::sim::DrawerSim;
    let sim = DrawerSim::spawn(SimKind::Pty, 0x07, b'?').unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("till.toml");
    std::fs::write(
        &cfg,
        format!(
            "[devices.drawer]\nvia = \"serial\"\npath = \"{}\"\nopen_byte = 7\nquery_byte = 63\nleft_open_after_s = 0\n",
            sim.endpoint.address
        ),
    )
    .unwrap();
    let t = Target {
        config: Some(cfg.to_string_lossy().into()),
        path: None,
        address: None,
        transport: None,
        baud: None,
        json: true,
    };
    assert_eq!(drawer_open(&t, None).unwrap(), 0);
    assert!(sim.is_open());
    assert_eq!(drawer_status(&t, Some(0.6)).unwrap(), 1);
    sim.close();
    assert_eq!(drawer_status(&t, Some(0.3)).unwrap(), 0);
}

#[test]
fn config_is_looked_for_in_order_and_the_error_names_every_path() {
    use super::common::resolve_config_from;
    let none = |_: &str| false;
    assert_eq!(
        resolve_config_from(Some("x.toml"), None, none).unwrap(),
        "x.toml"
    );
    let e = resolve_config_from(None, Some("/srv/t.toml".into()), none)
        .unwrap_err()
        .to_string();
    assert!(e.contains("$TILL_CONFIG=/srv/t.toml"), "{e}");
    assert!(
        e.contains("/etc/comptoir/till.toml") && e.contains("config/till.toml"),
        "{e}"
    );
    let e = resolve_config_from(None, None, none)
        .unwrap_err()
        .to_string();
    assert!(e.contains("$TILL_CONFIG (not set)"), "{e}");
    let only_etc = |p: &str| p == "/etc/comptoir/till.toml";
    assert_eq!(
        resolve_config_from(None, Some("/srv/t.toml".into()), only_etc).unwrap(),
        "/etc/comptoir/till.toml"
    );
    let env_too = |p: &str| p == "/srv/t.toml" || p == "config/till.toml";
    assert_eq!(
        resolve_config_from(None, Some("/srv/t.toml".into()), env_too).unwrap(),
        "/srv/t.toml"
    );
    // A missing file: the OS reason appears once, not twice.
    let e = format!(
        "{:#}",
        anyhow::Error::from(DevicesConfig::load("/nonexistent/till.toml").unwrap_err())
    );
    assert_eq!(e.matches("os error").count(), 1, "{e}");
}

#[test]
fn a_file_opened_as_a_serial_port_gets_use_transport_usb() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lp0");
    std::fs::write(&file, b"").unwrap();
    let f = file.to_string_lossy().to_string();
    let mut t = target(&f);
    t.transport = Some("serial".into());
    let link = t.override_link().unwrap();
    let e = link.open(Duration::from_millis(100)).err().unwrap();
    let a = advice(&e, &f);
    assert!(
        a.starts_with("not a serial port") && a.contains("--transport usb"),
        "{e} / {a}"
    );
    let d = dir.path().to_string_lossy().to_string();
    let mut t = target(&d);
    t.transport = Some("serial".into());
    let e = t
        .override_link()
        .unwrap()
        .open(Duration::from_millis(100))
        .err()
        .unwrap();
    assert!(advice(&e, &d).contains("--transport usb"), "{e}");
    // A /dev/usb/lp path given as serial, even if the OS said something else.
    let e = DeviceError::Open {
        path: "/dev/usb/lp0".into(),
        detail: "Input/output error".into(),
    };
    assert!(advice(&e, "/dev/usb/lp0").contains("--transport usb"));
    let e = DeviceError::Open {
        path: "/dev/usb/lp0".into(),
        detail: "No such file or directory".into(),
    };
    assert!(advice(&e, "/dev/usb/lp0").contains("not found"));
    // Without --transport the path decides.
    let t = target("/dev/usb/lp0");
    assert!(matches!(
        t.override_link(),
        Some(till_devices::transport::Link::Usb { .. })
    ));
    let t = target("/dev/input/event3");
    assert!(matches!(
        t.override_link(),
        Some(till_devices::transport::Link::Evdev { .. })
    ));
    let t = target("/dev/ttyUSB0");
    assert!(matches!(
        t.override_link(),
        Some(till_devices::transport::Link::Serial { baud: 9600, .. })
    ));
}

#[test]
fn unreachable_printer_is_a_failure_with_advice_not_an_error() {
    assert_eq!(
        printer_status(&target("/dev/nonexistent-printer")).unwrap(),
        1
    );
}

#[test]
fn scan_reports_show_raw_bytes_and_aim_warnings() {
    use till_devices::scanner::{validate, Frame};
    let frame = |aim: Option<&str>, data: &str, raw: &[u8]| Frame {
        raw: raw.to_vec(),
        aim: aim.map(String::from),
        data: data.into(),
    };
    let bad = validate(frame(None, "4006381333932", b"4006381333932\r"));
    let text = scan_report(false, &bad);
    assert!(text[0].starts_with("REJECTED "), "{text:?}");
    assert!(
        text[0].contains(&till_devices::error::hex(b"4006381333932\r")),
        "{text:?}"
    );
    let j: serde_json::Value = serde_json::from_str(&scan_report(true, &bad)[0]).unwrap();
    assert_eq!(j["ok"], false);
    assert_eq!(j["raw"], till_devices::error::hex(b"4006381333932\r"));

    let mislabelled = validate(frame(Some("]E0"), "96385074", b"]E096385074\r"));
    let text = scan_report(false, &mislabelled);
    assert_eq!(text.len(), 2, "{text:?}");
    assert!(text[1].starts_with("  warning: AIM ]E0"), "{text:?}");
    let j: serde_json::Value = serde_json::from_str(&scan_report(true, &mislabelled)[0]).unwrap();
    assert_eq!(j["ok"], true);
    assert!(j["warnings"][0].as_str().unwrap().contains("]E4"));
}

#[test]
fn render_json_events_are_tagged_values() {
    let mut paper = Interpreter::new(48);
    paper.feed(&test_page(48, 19, None).unwrap());
    let v = serde_json::to_value(&paper.events).unwrap();
    let events = v.as_array().unwrap();
    let find = |t: &str| events.iter().find(|e| e["type"] == t).cloned();
    assert_eq!(find("init").unwrap(), json!({ "type": "init" }));
    assert_eq!(
        find("code_page").unwrap(),
        json!({ "type": "code_page", "n": 19 })
    );
    assert_eq!(find("qr").unwrap()["data"], json!("comptoir test page"));
    assert_eq!(
        find("barcode").unwrap(),
        json!({ "type": "barcode", "kind": find("barcode").unwrap()["kind"], "data": "3017620422003" })
    );
    assert_eq!(
        find("cut").unwrap(),
        json!({ "type": "cut", "mode": "partial", "feed": 3 })
    );
    // Nothing is a Rust debug string any more.
    assert!(events
        .iter()
        .all(|e| e.is_object() && e["type"].is_string()));
}

#[test]
fn test_page_uses_every_feature() {
    let b = test_page(48, 19, None).unwrap();
    let mut paper = Interpreter::new(48);
    let events = paper.feed(&b);
    let has = |f: &dyn Fn(&till_devices::escpos::Event) -> bool| events.iter().any(f);
    use till_devices::escpos::Event as E;
    assert!(has(&|e| matches!(e, E::Barcode { .. })));
    assert!(has(&|e| matches!(e, E::Qr(_))));
    assert!(has(&|e| matches!(e, E::Cut(_))));
    assert!(paper.text().contains("€ é è ê"));
    let logo = Logo {
        width_bytes: 2,
        rows: 1,
        bits: vec![0xAA, 0x55],
    };
    let mut paper = Interpreter::new(48);
    paper.feed(&test_page(48, 19, Some(&logo)).unwrap());
    assert_eq!(paper.lines[0], "[image 16x1 dots]");
}

#[test]
fn printer_test_prints_the_configured_logo() {
    let sim = PrinterSim::spawn(SimKind::Pty, 48).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pbm = dir.path().join("logo.pbm");
    let mut bytes = b"P4\n16 2\n".to_vec();
    bytes.extend([0xFF, 0xFF, 0x81, 0x81]);
    std::fs::write(&pbm, bytes).unwrap();
    let cfg = dir.path().join("till.toml");
    std::fs::write(
        &cfg,
        format!(
            "[devices.printer]\ntransport = \"serial\"\npath = \"{}\"\nlogo = \"{}\"\n",
            sim.endpoint.address,
            pbm.display()
        ),
    )
    .unwrap();
    let mut t = target("unused");
    t.path = None;
    t.config = Some(cfg.to_string_lossy().into());
    assert_eq!(printer_test(&t).unwrap(), 0);
    assert!(sim.wait_for(Duration::from_secs(2), |s| s
        .paper
        .text()
        .contains("[image 16x2 dots]")));
    // A logo that cannot be read: page printed without it, exit 1.
    std::fs::remove_file(&pbm).unwrap();
    assert_eq!(printer_test(&t).unwrap(), 1);
}

#[test]
fn render_and_all_from_config() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("capture.bin");
    std::fs::write(&capture, test_page(48, 19, None).unwrap()).unwrap();
    let args = RenderArgs {
        file: capture.to_string_lossy().into(),
        width: 48,
        max_bytes: super::RENDER_MAX_BYTES,
        json: true,
    };
    assert_eq!(printer_render(&args).unwrap(), 0);

    let sim = PrinterSim::spawn(SimKind::Pty, 48).unwrap();
    let cfg = dir.path().join("till.toml");
    std::fs::write(
        &cfg,
        format!(
            "[devices.printer]\ntransport = \"serial\"\npath = \"{}\"\n[devices.drawer]\npin = \"2\"\n",
            sim.endpoint.address
        ),
    )
    .unwrap();
    assert_eq!(all(Some(&cfg.to_string_lossy()), true).unwrap(), 0);
    sim.state().cover_open = true;
    assert_eq!(all(Some(&cfg.to_string_lossy()), false).unwrap(), 1);
}
