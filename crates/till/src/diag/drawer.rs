//! `till diag drawer open|status [--watch]`: fire the cash drawer and read its
//! sensor, through the printer's DK port or the drawer's own serial interface.

use std::time::Duration;

use anyhow::Context;
use serde_json::json;
use till_devices::config::{DevicesConfig, DrawerConfig, DrawerVia};
use till_devices::drawer::{self, SerialDrawer};
use till_devices::escpos::{DrawerPin, KickHow};
use till_devices::DeviceError;

use super::common::{fail, print_json, Target};
use super::printer::{open_printer, printer_config};

fn drawer_config(cfg: &DevicesConfig) -> DrawerConfig {
    cfg.drawer.clone().unwrap_or_default()
}

/// `till diag drawer open`
pub fn drawer_open(t: &Target, pin: Option<&str>) -> anyhow::Result<i32> {
    let cfg = t.config()?;
    let mut dc = drawer_config(&cfg);
    if let Some(p) = pin
        .and_then(|p| p.parse().ok())
        .and_then(DrawerPin::from_number)
    {
        dc.pin = p;
    }
    if dc.via == DrawerVia::Serial && t.override_link().is_none() {
        let link = dc
            .serial_link()
            .context("[devices.drawer] via = \"serial\" needs a path")?;
        let target = link.target().to_string();
        let r = link.open(Duration::from_secs(1)).and_then(|l| {
            let mut d = SerialDrawer::new(l, dc.open_byte);
            d.open()?;
            match dc.query_byte {
                Some(q) => d.sensor(q, Duration::from_millis(500)).map(Some),
                None => Ok(None),
            }
        });
        return Ok(match r {
            Ok(sensor) => {
                report_open(t.json, &target, Kick::Serial(dc.open_byte), dc.pin, sensor);
                0
            }
            Err(e) => fail(t.json, "drawer", &target, &e),
        });
    }
    let pc = printer_config(t, &cfg)?;
    let target = pc.link.target().to_string();
    let r = open_printer(&pc).and_then(|mut p| {
        let pulse = dc.pulse();
        let how = p.kick_checked(pulse.pin, pulse.on_ms, pulse.off_ms)?;
        // Give the solenoid time to fire and the drawer to spring out.
        std::thread::sleep(Duration::from_millis(400));
        let sensor = drawer::sensor_via_printer(&mut p, dc.sensor_open_level).ok();
        Ok((how, sensor))
    });
    Ok(match r {
        // Neither the status before the kick nor the sensor after it was
        // readable: nothing is listening on that port, and "pulse sent"
        // would send the technician after the drawer instead of the printer.
        Ok((KickHow::RealtimeUnanswered, None)) => {
            no_printer_answered(t.json, &target);
            1
        }
        Ok((how, sensor)) => {
            report_open(
                t.json,
                &target,
                match how {
                    KickHow::EscP => Kick::EscP,
                    KickHow::RealtimeOffline | KickHow::RealtimeUnanswered => Kick::Realtime,
                },
                dc.pin,
                sensor,
            );
            if sensor == Some(false) {
                1
            } else {
                0
            }
        }
        Err(e) => fail(t.json, "drawer", &target, &e),
    })
}

/// The message for a drawer kick where the printer never answered.
fn no_printer_answered(json: bool, target: &str) {
    let msg = format!("no printer answered on {target}: check power, cable, baud rate");
    if json {
        print_json(&json!({
            "device": "drawer", "target": target, "ok": false,
            "realtime_pulse": true, "sensor_open": null,
            "error": "no printer answered", "next": msg,
        }));
    } else {
        println!("drawer via {target}: FAIL: {msg}");
        println!("  (a real-time pulse was sent blind, in case only the status line is broken)");
    }
}

/// How the drawer was fired.
enum Kick {
    EscP,
    Realtime,
    Serial(u8),
}

fn report_open(json: bool, target: &str, kick: Kick, pin: DrawerPin, sensor: Option<bool>) {
    let realtime = matches!(kick, Kick::Realtime);
    let next = match sensor {
        Some(false) => Some(format!("the pulse was sent on {pin} but the sensor still reads closed: check the drawer cable is in the printer's DK port (not the phone socket), try the other pin (--pin {}), check the drawer is not key-locked; if it did open, flip sensor_open_level in till.toml", pin.other().number())),
        _ => None,
    };
    if json {
        print_json(
            &json!({ "device": "drawer", "target": target, "ok": sensor != Some(false), "realtime_pulse": realtime, "sensor_open": sensor, "next": next }),
        );
    } else {
        match kick {
            Kick::EscP => println!("drawer via {target}: pulse sent (ESC p)"),
            Kick::Realtime => {
                println!(
                    "drawer via {target}: pulse sent (real-time DLE DC4: the printer is offline)"
                )
            }
            Kick::Serial(b) => println!("drawer {target}: open byte {b:02X} sent"),
        }
        match sensor {
            Some(true) => println!("  sensor: open"),
            Some(false) => println!("  sensor: closed"),
            None => println!("  sensor: not readable"),
        }
        if let Some(n) = next {
            println!("next: {n}");
        }
    }
}

/// A sensor reader for `drawer status --watch`, and what it reads.
type SensorReader = Box<dyn FnMut() -> Result<bool, DeviceError>>;

/// Open whatever carries the drawer's sensor (the printer, or the drawer's
/// own serial interface) and return a reader for it.
fn sensor_reader(
    t: &Target,
    cfg: &DevicesConfig,
    dc: &DrawerConfig,
) -> anyhow::Result<(String, Result<SensorReader, DeviceError>)> {
    if dc.via == DrawerVia::Serial && t.override_link().is_none() {
        let link = dc
            .serial_link()
            .context("[devices.drawer] via = \"serial\" needs a path")?;
        let target = link.target().to_string();
        let Some(q) = dc.query_byte else {
            anyhow::bail!("drawer {target}: this serial drawer has no sensor configured (query_byte): nothing to watch");
        };
        let open_byte = dc.open_byte;
        let r = link.open(Duration::from_secs(1)).map(|l| {
            let mut d = SerialDrawer::new(l, open_byte);
            Box::new(move || d.sensor(q, Duration::from_millis(500))) as SensorReader
        });
        return Ok((target, r));
    }
    let pc = printer_config(t, cfg)?;
    let target = pc.link.target().to_string();
    let level = dc.sensor_open_level;
    let r = open_printer(&pc)
        .map(|mut p| Box::new(move || drawer::sensor_via_printer(&mut p, level)) as SensorReader);
    Ok((target, r))
}

/// One thing `drawer status --watch` reports.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchEvent {
    /// First reading or a change: open or closed, at `at` since the start.
    Sensor { open: bool, at: Duration },
    /// Open longer than the configured `left_open_after_s`.
    LeftOpen { open_for: Duration },
    /// Closed after a left-open alert.
    ClosedAfterAlert { at: Duration },
}

/// Poll `read` every `period` for `duration`, feeding [`drawer::LeftOpenWatch`]
/// (the same logic the till uses), and hand each event to `emit`. Returns
/// true if the drawer is still left open (alerted and not closed) at the end.
pub fn watch_drawer(
    mut read: impl FnMut() -> Result<bool, DeviceError>,
    limit: Duration,
    duration: Duration,
    period: Duration,
    mut emit: impl FnMut(&WatchEvent),
) -> Result<bool, DeviceError> {
    let start = std::time::Instant::now();
    let mut watch = drawer::LeftOpenWatch::new(limit);
    let mut last: Option<bool> = None;
    let mut left_open = false;
    loop {
        let open = read()?;
        let at = start.elapsed();
        if last != Some(open) {
            emit(&WatchEvent::Sensor { open, at });
            last = Some(open);
        }
        match watch.observe(open, at) {
            drawer::DrawerAlert::LeftOpen { open_for } => {
                left_open = true;
                emit(&WatchEvent::LeftOpen { open_for });
            }
            drawer::DrawerAlert::ClosedAfterAlert => {
                left_open = false;
                emit(&WatchEvent::ClosedAfterAlert { at });
            }
            drawer::DrawerAlert::None => {}
        }
        if at >= duration {
            return Ok(left_open);
        }
        std::thread::sleep(
            period
                .min(duration.saturating_sub(at))
                .max(Duration::from_millis(1)),
        );
    }
}

fn print_watch_event(json: bool, target: &str, limit: Duration, e: &WatchEvent) {
    let secs = |d: &Duration| (d.as_secs_f64() * 10.0).round() / 10.0;
    match (json, e) {
        (true, WatchEvent::Sensor { open, at }) => print_json(
            &json!({ "device": "drawer", "target": target, "event": if *open { "open" } else { "closed" }, "at_s": secs(at) }),
        ),
        (true, WatchEvent::LeftOpen { open_for }) => print_json(
            &json!({ "device": "drawer", "target": target, "event": "left_open", "open_for_s": open_for.as_secs(), "left_open_after_s": limit.as_secs_f64() }),
        ),
        (true, WatchEvent::ClosedAfterAlert { at }) => print_json(
            &json!({ "device": "drawer", "target": target, "event": "closed_after_alert", "at_s": secs(at) }),
        ),
        (false, WatchEvent::Sensor { open, at }) => println!(
            "{:>6.1} s  drawer {}",
            secs(at),
            if *open { "open" } else { "closed" }
        ),
        (false, WatchEvent::LeftOpen { open_for }) => println!(
            "        drawer left open for {} s (alert after left_open_after_s = {} s)",
            open_for.as_secs(),
            limit.as_secs_f64()
        ),
        (false, WatchEvent::ClosedAfterAlert { at }) => {
            println!("{:>6.1} s  drawer closed after the alert", secs(at))
        }
    }
}

/// `till diag drawer status --watch SECONDS`
fn drawer_watch(
    t: &Target,
    cfg: &DevicesConfig,
    dc: &DrawerConfig,
    seconds: f64,
) -> anyhow::Result<i32> {
    let (target, reader) = sensor_reader(t, cfg, dc)?;
    let read = match reader {
        Ok(r) => r,
        Err(e) => return Ok(fail(t.json, "drawer", &target, &e)),
    };
    let limit = Duration::from_secs(dc.left_open_after_s);
    let duration = Duration::from_secs_f64(seconds.max(0.0));
    if !t.json {
        println!(
            "watching drawer via {target} for {seconds} s (left open alert after {} s)",
            dc.left_open_after_s
        );
    }
    let json = t.json;
    match watch_drawer(read, limit, duration, Duration::from_millis(250), |e| {
        print_watch_event(json, &target, limit, e)
    }) {
        Ok(left_open) => Ok(if left_open { 1 } else { 0 }),
        Err(e) => Ok(fail(t.json, "drawer", &target, &e)),
    }
}

/// `till diag drawer status [--watch SECONDS]`
pub fn drawer_status(t: &Target, watch: Option<f64>) -> anyhow::Result<i32> {
    let cfg = t.config()?;
    let dc = drawer_config(&cfg);
    if let Some(seconds) = watch {
        return drawer_watch(t, &cfg, &dc, seconds);
    }
    if dc.via == DrawerVia::Serial && t.override_link().is_none() {
        let link = dc
            .serial_link()
            .context("[devices.drawer] via = \"serial\" needs a path")?;
        let target = link.target().to_string();
        let Some(q) = dc.query_byte else {
            println!("drawer {target}: this serial drawer has no sensor configured (query_byte)");
            return Ok(0);
        };
        return Ok(
            match link.open(Duration::from_secs(1)).and_then(|l| {
                SerialDrawer::new(l, dc.open_byte).sensor(q, Duration::from_millis(500))
            }) {
                Ok(open) => {
                    if t.json {
                        print_json(
                            &json!({ "device": "drawer", "target": target, "ok": true, "open": open }),
                        );
                    } else {
                        println!("drawer {target}: {}", if open { "open" } else { "closed" });
                    }
                    0
                }
                Err(e) => fail(t.json, "drawer", &target, &e),
            },
        );
    }
    let pc = printer_config(t, &cfg)?;
    let target = pc.link.target().to_string();
    Ok(
        match open_printer(&pc).and_then(|mut p| p.printer_status()) {
            Ok(s) => {
                let open = dc.sensor_open_level.is_open(s.drawer_pin3_high);
                if t.json {
                    print_json(
                        &json!({ "device": "drawer", "target": target, "ok": true, "open": open, "pin3_high": s.drawer_pin3_high }),
                    );
                } else {
                    println!(
                        "drawer via {target}: {} (pin 3 {}, sensor_open_level = \"{}\")",
                        if open { "open" } else { "closed" },
                        if s.drawer_pin3_high { "HIGH" } else { "LOW" },
                        dc.sensor_open_level
                    );
                    println!("  if this is the wrong way round, open and close the drawer by hand, rerun, and flip sensor_open_level in till.toml");
                }
                0
            }
            Err(e) => fail(t.json, "drawer", &target, &e),
        },
    )
}
