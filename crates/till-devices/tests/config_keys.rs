//! till.toml's `[devices.*]` sections: every number is checked against its
//! range with a message naming the key and the range (1e300, -5 or 1.5 are
//! refusals, never a panic later), and an unknown key is refused in every
//! section, including those that carry a link (transport, path, address),
//! which serde's flatten used to let anything through.

use till_devices::config::{DevicesConfig, TerminalConfig};
use till_devices::transport::Link;

/// A minimal valid section for each device, to which one key is added.
fn section(device: &str) -> &'static str {
    match device {
        "printer" => "transport = \"serial\"\npath = \"/dev/x\"\n",
        "drawer" => "via = \"printer\"\n",
        "scanner" => "transport = \"serial\"\npath = \"/dev/y\"\n",
        "terminal" => "protocol = \"concert\"\npath = \"/dev/z\"\n",
        _ => unreachable!(),
    }
}

/// Parse `[devices.DEVICE]` with `extra`; the error text, if any.
fn parse(device: &str, extra: &str) -> Result<(), String> {
    let text = format!("[devices.{device}]\n{}{extra}\n", section(device));
    if device == "terminal" {
        let c = TerminalConfig::from_toml(&text, "till.toml")
            .map_err(|e| e.to_string())?
            .unwrap();
        c.settings().map(|_| ()).map_err(|e| e.to_string())
    } else {
        DevicesConfig::from_toml(&text, "till.toml")
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// (device, key, a value in range, the range as the message gives it)
const NUMERIC_KEYS: &[(&str, &str, &str, &str)] = &[
    ("printer", "timeout_ms", "1000", "from 50 to 60000"),
    ("printer", "width", "48", "from 16 to 96"),
    ("printer", "code_page", "19", "from 0 to 255"),
    ("printer", "baud", "38400", "from 300 to 921600"),
    ("drawer", "on_ms", "100", "from 2 to 510"),
    ("drawer", "off_ms", "200", "from 2 to 510"),
    ("drawer", "left_open_after_s", "60", "from 0 to 86400"),
    ("drawer", "baud", "9600", "from 300 to 921600"),
    ("drawer", "open_byte", "7", "from 0 to 255"),
    ("drawer", "query_byte", "63", "from 0 to 255"),
    ("scanner", "baud", "9600", "from 300 to 921600"),
    ("scanner", "max_len", "256", "from 1 to 4096"),
    ("terminal", "baud", "9600", "300 to 115"),
    ("terminal", "pos_number", "1", "0 to 99"),
    ("terminal", "answer_timeout_ms", "120000", "5000"),
    ("terminal", "step_timeout_ms", "3000", "100"),
];

#[test]
fn every_numeric_key_is_checked_and_the_message_names_key_and_range() {
    for (device, key, good, range) in NUMERIC_KEYS {
        assert_eq!(
            parse(device, &format!("{key} = {good}")),
            Ok(()),
            "{device}.{key}"
        );
        for bad in [
            "1e300",
            "-5",
            "1.5",
            "-1e300",
            "99999999999999999",
            "nan",
            "inf",
        ] {
            let e = parse(device, &format!("{key} = {bad}"))
                .expect_err(&format!("{device}.{key} = {bad} was accepted"));
            assert!(e.contains(key), "{device}.{key} = {bad}: {e}");
            assert!(e.contains(range), "{device}.{key} = {bad}: {e}");
        }
    }
    // Just past each end of a range.
    for (device, line) in [
        ("printer", "timeout_ms = 49"),
        ("printer", "timeout_ms = 60001"),
        ("printer", "width = 0"),
        ("printer", "code_page = 256"),
        ("drawer", "on_ms = 1"),
        ("drawer", "off_ms = 511"),
        ("drawer", "left_open_after_s = 86401"),
        ("scanner", "max_len = 0"),
        ("terminal", "pos_number = 100"),
        ("terminal", "answer_timeout_ms = 600001"),
        ("terminal", "step_timeout_ms = 60001"),
        ("terminal", "baud = 50"),
    ] {
        assert!(parse(device, line).is_err(), "{device}: {line} accepted");
    }
}

#[test]
fn unknown_keys_are_refused_in_every_devices_section() {
    for (device, typo) in [
        ("printer", "timout_ms = 1000"),
        ("printer", "adress = \"h:1\""),
        ("drawer", "pinn = \"2\""),
        ("drawer", "transport = \"serial\""),
        ("scanner", "sufix = \"cr\""),
        ("terminal", "protocl = \"concert\""),
    ] {
        let e = parse(device, typo).expect_err(&format!("{device}: {typo} accepted"));
        let key = typo.split(' ').next().unwrap();
        assert!(
            e.contains("unknown field") && e.contains(key),
            "{device}: {e}"
        );
    }
    assert!(DevicesConfig::from_toml("[devices.printr]\n", "t").is_err());
}

#[test]
fn link_keys_must_belong_to_the_transport() {
    for (device, body, key) in [
        (
            "printer",
            "transport = \"tcp\"\naddress = \"h:9100\"\npath = \"/dev/x\"\n",
            "path",
        ),
        (
            "printer",
            "transport = \"serial\"\npath = \"/dev/x\"\naddress = \"h:1\"\n",
            "address",
        ),
        (
            "printer",
            "transport = \"usb\"\npath = \"/dev/usb/lp0\"\nbaud = 9600\n",
            "baud",
        ),
        ("printer", "transport = \"tcp\"\n", "address"),
        ("printer", "path = \"/dev/x\"\n", "transport"),
        (
            "scanner",
            "transport = \"pigeon\"\npath = \"/dev/y\"\n",
            "transport",
        ),
    ] {
        let e = DevicesConfig::from_toml(&format!("[devices.{device}]\n{body}"), "t")
            .expect_err(body)
            .to_string();
        assert!(e.contains(&format!("[devices.{device}] {key}")), "{e}");
    }
    let ok = DevicesConfig::from_toml(
        "[devices.printer]\ntransport = \"tcp\"\naddress = \"h:9100\"\n[devices.scanner]\nmode = \"wedge\"\ntransport = \"evdev\"\npath = \"/dev/input/event3\"\n",
        "t",
    )
    .unwrap();
    assert_eq!(
        ok.printer.unwrap().link,
        Link::Tcp {
            address: "h:9100".into()
        }
    );
    assert_eq!(
        ok.scanner.unwrap().link,
        Link::Evdev {
            path: "/dev/input/event3".into()
        }
    );
}

/// `Link` is an internally tagged enum: serde applies deny_unknown_fields
/// to its variants (unlike a flattened field), which this pins.
#[test]
fn a_link_read_on_its_own_refuses_unknown_keys_too() {
    let ok: Link = toml::from_str("transport = \"serial\"\npath = \"/dev/x\"\n").unwrap();
    assert_eq!(
        ok,
        Link::Serial {
            path: "/dev/x".into(),
            baud: 9600
        }
    );
    let e = toml::from_str::<Link>("transport = \"tcp\"\naddress = \"h:1\"\npath = \"/dev/x\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown field") && e.contains("path"), "{e}");
}

#[test]
fn the_shipped_till_toml_still_reads() {
    let text = include_str!("../../../config/till.toml");
    let c = DevicesConfig::from_toml(text, "till.toml").unwrap();
    assert!(c.printer.is_some() && c.drawer.is_some() && c.scanner.is_some());
}
