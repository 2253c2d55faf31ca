//! `till diag all`: check every device the config file declares, one line
//! each, pass or fail and what to try next.

use std::time::Duration;

use serde_json::json;
use till_devices::config::{DevicesConfig, DrawerConfig, DrawerVia, PrinterConfig, ScannerMode};
use till_devices::drawer;
use till_devices::transport::UsbLpTransport;
use till_devices::DeviceError;

use super::common::{advice, print_json};
use super::printer::open_printer;

struct Check {
    device: &'static str,
    target: String,
    ok: bool,
    detail: String,
    next: Option<String>,
}

impl Check {
    /// The device could not be reached: the error, and what to try next.
    fn failed(device: &'static str, target: String, e: &DeviceError) -> Check {
        Check {
            device,
            next: Some(advice(e, &target)),
            target,
            ok: false,
            detail: e.to_string(),
        }
    }
}

fn check_printer(p: &PrinterConfig) -> Check {
    let target = p.link.target().to_string();
    match open_printer(p).and_then(|mut pr| pr.full_status()) {
        Ok(s) if s.ready() => Check {
            device: "printer",
            target,
            ok: true,
            detail: "ready".into(),
            next: None,
        },
        Ok(s) => {
            let problems = s.problems();
            Check {
                device: "printer",
                target,
                ok: false,
                detail: problems.join("; "),
                next: problems
                    .first()
                    .map(|p| p.split(": ").nth(1).unwrap_or(p).to_string()),
            }
        }
        Err(e) => Check::failed("printer", target, &e),
    }
}

fn check_drawer(cfg: &DevicesConfig, d: &DrawerConfig) -> Check {
    match d.via {
        DrawerVia::Serial => {
            let Some(link) = d.serial_link() else {
                return Check {
                    device: "drawer",
                    target: "?".into(),
                    ok: false,
                    detail: "via = \"serial\" without a path".into(),
                    next: Some("set path under [devices.drawer]".into()),
                };
            };
            let target = link.target().to_string();
            match link.open(Duration::from_secs(1)) {
                Ok(_) => Check {
                    device: "drawer",
                    target,
                    ok: true,
                    detail: "serial port opens (run `till diag drawer open` to fire it)".into(),
                    next: None,
                },
                Err(e) => Check::failed("drawer", target, &e),
            }
        }
        DrawerVia::Printer => {
            let Some(p) = &cfg.printer else {
                return Check {
                    device: "drawer",
                    target: "printer".into(),
                    ok: false,
                    detail: "wired to the printer, but no printer is configured".into(),
                    next: Some("add [devices.printer]".into()),
                };
            };
            let target = p.link.target().to_string();
            match open_printer(p)
                .and_then(|mut pr| drawer::sensor_via_printer(&mut pr, d.sensor_open_level))
            {
                Ok(open) => Check {
                    device: "drawer",
                    target,
                    ok: true,
                    detail: format!(
                        "sensor reads {} (drawer on {}; run `till diag drawer open` to fire it)",
                        if open { "open" } else { "closed" },
                        d.pin
                    ),
                    next: None,
                },
                Err(e) => Check::failed("drawer", target, &e),
            }
        }
    }
}

fn check_scanner(s: &till_devices::config::ScannerConfig) -> Check {
    let target = s.link.target().to_string();
    let opened = match s.mode {
        ScannerMode::Wedge => UsbLpTransport::open(&target, Duration::from_secs(1)).map(|_| ()),
        ScannerMode::Serial => s.link.open(Duration::from_secs(1)).map(|_| ()),
    };
    match opened {
        Ok(()) => Check { device: "scanner", target, ok: true, detail: "port opens (scanners send nothing until they scan: run `till diag scanner listen --count 1`)".into(), next: None },
        Err(e) => Check::failed("scanner", target, &e),
    }
}

/// `till diag all`
pub fn all(config: Option<&str>, json: bool) -> anyhow::Result<i32> {
    let config = &super::common::resolve_config(config)?;
    let cfg = DevicesConfig::load(config)?;
    let mut checks = Vec::new();
    if let Some(p) = &cfg.printer {
        checks.push(check_printer(p));
    }
    if let Some(d) = &cfg.drawer {
        checks.push(check_drawer(&cfg, d));
    }
    if let Some(s) = &cfg.scanner {
        checks.push(check_scanner(s));
    }
    if let Some((target, ok, detail, next)) = super::terminal::check_configured(config) {
        checks.push(Check {
            device: "terminal",
            target,
            ok,
            detail,
            next,
        });
    }
    for (device, check) in [
        ("scale", super::scale::check_configured(config)),
        ("display", super::display::check_configured(config)),
    ] {
        if let Some((target, ok, detail, next)) = check {
            checks.push(Check {
                device,
                target,
                ok,
                detail,
                next,
            });
        }
    }
    let all_ok = checks.iter().all(|c| c.ok);
    if json {
        let list: Vec<_> = checks
            .iter()
            .map(|c| json!({ "device": c.device, "target": c.target, "ok": c.ok, "detail": c.detail, "next": c.next }))
            .collect();
        print_json(&json!({ "config": config, "ok": all_ok, "devices": list }));
    } else {
        if checks.is_empty() {
            println!("{config} declares no device ([devices.printer], [devices.drawer], [devices.scanner], [devices.terminal], [devices.scale], [devices.display])");
        }
        for c in &checks {
            println!(
                "{:<5} {:<8} {:<28} {}",
                if c.ok { "PASS" } else { "FAIL" },
                c.device,
                c.target,
                c.detail
            );
            if let Some(n) = &c.next {
                println!("      next: {n}");
            }
        }
    }
    Ok(if all_ok { 0 } else { 1 })
}
