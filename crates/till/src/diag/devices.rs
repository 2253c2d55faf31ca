//! `till diag printer|drawer|scanner|all`: talk to the real devices.

use std::time::Duration;

#[cfg(test)]
use super::render::printer_render;
#[cfg(test)]
use super::RenderArgs;
use anyhow::Context;
use serde_json::json;
use till_devices::config::{DevicesConfig, DrawerConfig, DrawerVia, PrinterConfig, ScannerMode};
use till_devices::drawer::{self, SerialDrawer};
use till_devices::escpos::cmd::{self, Align, BarcodeKind, Cut, QrEc};
use till_devices::escpos::receipt::Logo;
#[cfg(test)]
use till_devices::escpos::Interpreter;
use till_devices::escpos::{pc858, DrawerPin, FullStatus, KickHow, Printer};
use till_devices::scanner::{Code, FrameConfig, ScanError, SerialScanner, WedgeScanner};
use till_devices::transport::{Transport, UsbLpTransport};
use till_devices::DeviceError;

use super::common::{advice, print_json, Target};

/// A failure as printed: what happened and what to try next.
fn fail(json: bool, device: &str, target: &str, e: &DeviceError) -> i32 {
    let next = advice(e, target);
    if json {
        print_json(
            &json!({ "device": device, "target": target, "ok": false, "error": e.to_string(), "next": next }),
        );
    } else {
        println!("{device} {target}: FAIL: {e}");
        println!("next: {next}");
    }
    1
}

fn printer_config(t: &Target, cfg: &DevicesConfig) -> anyhow::Result<PrinterConfig> {
    let mut p = match (&cfg.printer, t.override_link()) {
        (Some(p), _) => p.clone(),
        (None, Some(link)) => PrinterConfig::new(link),
        (None, None) => anyhow::bail!(
            "no [devices.printer] in {} and no --path/--address given",
            t.config_label()
        ),
    };
    if let Some(link) = t.override_link_with(Some(&p.link)) {
        p.link = link;
    }
    Ok(p)
}

fn open_printer(p: &PrinterConfig) -> Result<Printer<Box<dyn Transport>>, DeviceError> {
    Ok(Printer::new(p.link.open(p.timeout())?, p.timeout()))
}

fn describe_status(s: &FullStatus) -> Vec<String> {
    let mut lines: Vec<String> = s.problems().iter().map(|p| p.to_string()).collect();
    if lines.is_empty() {
        lines.push("ready: online, cover closed, paper present, no error".into());
    }
    lines.push(format!(
        "drawer sensor (pin 3): {}",
        if s.printer.drawer_pin3_high {
            "HIGH"
        } else {
            "LOW"
        }
    ));
    lines
}

/// `till diag printer status`
pub fn printer_status(t: &Target) -> anyhow::Result<i32> {
    let cfg = t.config()?;
    let pc = printer_config(t, &cfg)?;
    let target = pc.link.target().to_string();
    let status = open_printer(&pc).and_then(|mut p| p.full_status());
    match status {
        Ok(s) => {
            if t.json {
                print_json(
                    &json!({ "device": "printer", "target": target, "ok": s.ready(), "status": s, "problems": s.problems() }),
                );
            } else {
                println!("printer {target}:");
                for l in describe_status(&s) {
                    println!("  {l}");
                }
            }
            Ok(if s.ready() { 0 } else { 1 })
        }
        Err(e) => Ok(fail(t.json, "printer", &target, &e)),
    }
}

/// The test page: every feature a receipt uses, and the configured logo
/// (through `PrinterConfig::logo`, as the till loads it) when there is one.
pub fn test_page(width: usize, code_page: u8, logo: Option<&Logo>) -> Result<Vec<u8>, DeviceError> {
    let mut b = cmd::INIT.to_vec();
    b.extend(cmd::code_page(code_page));
    if let Some(l) = logo {
        b.extend(cmd::align(Align::Center));
        b.extend(cmd::raster(l.width_bytes, l.rows, &l.bits)?);
    }
    let text = |s: &str, b: &mut Vec<u8>| {
        pc858::encode_into(s, b);
        b.push(b'\n');
    };
    b.extend(cmd::align(Align::Center));
    b.extend(cmd::bold(true));
    b.extend(cmd::size(2, 2));
    text("TEST comptoir", &mut b);
    b.extend(cmd::size(1, 1));
    b.extend(cmd::bold(false));
    text(&"=".repeat(width), &mut b);
    b.extend(cmd::align(Align::Left));
    text("Code page PC858 (ESC t 19):", &mut b);
    text("  € é è ê ë à â ç ù û ü ô î ï œ Œ", &mut b);
    text("  É È Ê À Ç « guillemets » 12,50 €", &mut b);
    text("Styles:", &mut b);
    b.extend(cmd::bold(true));
    text("  gras (ESC E 1)", &mut b);
    b.extend(cmd::bold(false));
    b.extend(cmd::size(2, 1));
    text("  double largeur", &mut b);
    b.extend(cmd::size(1, 2));
    text("  double hauteur", &mut b);
    b.extend(cmd::size(1, 1));
    b.extend(cmd::align(Align::Right));
    text("aligné à droite", &mut b);
    b.extend(cmd::align(Align::Center));
    text("EAN-13 3017620422003:", &mut b);
    b.extend(cmd::barcode_height(60));
    b.extend(cmd::barcode_hri(2));
    b.extend(cmd::barcode(BarcodeKind::Ean13, "3017620422003")?);
    text("", &mut b);
    text("QR code:", &mut b);
    b.extend(cmd::qr(b"comptoir test page", 5, QrEc::M)?);
    text("", &mut b);
    text("Coupe partielle ci-dessous", &mut b);
    b.extend(cmd::align(Align::Left));
    b.extend(cmd::cut(Cut::FeedPartial(3)));
    Ok(b)
}

/// `till diag printer test`
pub fn printer_test(t: &Target) -> anyhow::Result<i32> {
    let cfg = t.config()?;
    let pc = printer_config(t, &cfg)?;
    let target = pc.link.target().to_string();
    // A logo that does not load is reported, and the page printed without it.
    let (logo, logo_note) = match pc.logo() {
        Ok(Some(l)) => {
            let note = format!(
                "logo {}x{} dots printed at the top",
                l.width_bytes as usize * 8,
                l.rows
            );
            (Some(l), Some(Ok(note)))
        }
        Ok(None) => (None, None),
        Err(e) => (None, Some(Err(format!("logo not printed: {e}")))),
    };
    let logo_ok = !matches!(logo_note, Some(Err(_)));
    let page = test_page(pc.width, pc.code_page, logo.as_ref())?;
    let r = open_printer(&pc).and_then(|mut p| {
        p.send(&page)?;
        p.full_status()
    });
    match r {
        Ok(s) => {
            let ok = s.ready() && logo_ok;
            if t.json {
                let logo_json = match &logo_note {
                    None => serde_json::Value::Null,
                    Some(Ok(n)) | Some(Err(n)) => json!(n),
                };
                print_json(
                    &json!({ "device": "printer", "target": target, "ok": ok, "bytes_sent": page.len(), "status": s, "problems": s.problems(), "logo": logo_json }),
                );
            } else {
                println!("printer {target}: test page sent ({} bytes)", page.len());
                for l in describe_status(&s) {
                    println!("  {l}");
                }
                match &logo_note {
                    Some(Ok(n)) => println!("  {n}"),
                    Some(Err(n)) => println!("  {n}: fix `logo` under [devices.printer] (a binary PBM, at most {} dots wide)", pc.width * 12),
                    None => {}
                }
                if s.ready() {
                    println!("check the page: accents and the euro sign must print as such (if not, the printer lacks code page 19: set code_page in till.toml)");
                }
            }
            Ok(if ok { 0 } else { 1 })
        }
        Err(e) => Ok(fail(t.json, "printer", &target, &e)),
    }
}

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

/// One scan as `scanner listen` prints it: JSON, or a line of text plus
/// any warning lines.
fn scan_report(json: bool, r: &Result<till_devices::scanner::Scan, ScanError>) -> Vec<String> {
    use till_devices::error::hex;
    match r {
        Ok(s) => {
            let (text, verdict) = match &s.code {
                Code::Retail(b) => (b.digits.clone(), "check digit OK"),
                Code::Gs1(g) => (
                    g.elements
                        .iter()
                        .map(|e| format!("({}){}", e.ai, e.value))
                        .collect::<Vec<_>>()
                        .join(""),
                    "GS1 OK",
                ),
                Code::Other { text, .. } => (text.clone(), "no check digit"),
            };
            if json {
                vec![json!({ "ok": true, "symbology": s.code.symbology(), "aim": s.aim, "text": text, "verdict": verdict, "code": s.code, "raw": hex(&s.raw), "warnings": s.warnings }).to_string()]
            } else {
                let mut out = vec![format!(
                    "{:<8} {:<15} {}  raw: {}",
                    s.code.symbology(),
                    verdict,
                    text,
                    hex(&s.raw)
                )];
                out.extend(s.warnings.iter().map(|w| format!("  warning: {w}")));
                out
            }
        }
        Err(e) => {
            let raw = e.raw().map(hex);
            if json {
                vec![json!({ "ok": false, "error": e.to_string(), "raw": raw }).to_string()]
            } else {
                match raw {
                    Some(raw) => vec![format!("REJECTED {e}  raw: {raw}")],
                    None => vec![format!("REJECTED {e}")],
                }
            }
        }
    }
}

fn print_scan(json: bool, r: &Result<till_devices::scanner::Scan, ScanError>) {
    for l in scan_report(json, r) {
        println!("{l}");
    }
}

/// `till diag scanner listen`
pub fn scanner_listen(
    t: &Target,
    count: Option<usize>,
    timeout_s: u64,
    wedge: Option<&str>,
) -> anyhow::Result<i32> {
    // A wedge node given on the command line needs no config file.
    let cfg = match (wedge, t.config()) {
        (Some(_), Err(_)) => DevicesConfig::default(),
        (_, c) => c?,
    };
    let sc = cfg.scanner.clone();
    let framing = sc.as_ref().map(|s| s.framing()).unwrap_or_default();
    let wedge_path = wedge
        .map(str::to_string)
        .or_else(|| match (&sc, t.override_link()) {
            (Some(s), None) if s.mode == ScannerMode::Wedge => Some(s.link.target().to_string()),
            _ => None,
        });
    let timeout = Duration::from_secs(timeout_s);
    let mut next: Box<dyn FnMut() -> Result<till_devices::scanner::Scan, ScanError>> =
        if let Some(path) = wedge_path {
            let link = match UsbLpTransport::open(&path, Duration::from_secs(1)) {
                Ok(l) => l,
                Err(e) => return Ok(fail(t.json, "scanner", &path, &e)),
            };
            if let Err(e) = link.grab_input() {
                eprintln!("warning: {e}; scans will also type into the focused window");
            }
            let mut r = WedgeScanner::new(link, framing.max_len);
            if !t.json {
                println!("listening to keyboard-wedge scanner {path}; scan codes now");
            }
            Box::new(move || r.next_scan(timeout))
        } else {
            let link = match (t.override_link(), &sc) {
                (Some(l), _) => l,
                (None, Some(s)) => s.link.clone(),
                (None, None) => {
                    anyhow::bail!(
                        "no [devices.scanner] in {} and no --path given",
                        t.config_label()
                    )
                }
            };
            let target = link.target().to_string();
            let opened = match link.open(Duration::from_secs(1)) {
                Ok(l) => l,
                Err(e) => return Ok(fail(t.json, "scanner", &target, &e)),
            };
            let mut r = SerialScanner::new(opened, FrameConfig { ..framing });
            if !t.json {
                println!("listening to scanner {target}; scan codes now");
            }
            Box::new(move || r.next_scan(timeout))
        };
    let mut seen = 0;
    loop {
        if count.is_some_and(|c| seen >= c) {
            return Ok(0);
        }
        match next() {
            Err(ScanError::Device(DeviceError::Timeout { .. })) => {
                if !t.json {
                    println!("no scan in {timeout_s} s; if the scanner beeps but nothing shows, check its suffix (CR) and baud rate, or try --wedge /dev/input/eventN (see `till diag ports`)");
                }
                return Ok(1);
            }
            Err(ScanError::Device(e)) => return Ok(fail(t.json, "scanner", "scanner", &e)),
            r => {
                print_scan(t.json, &r);
                seen += 1;
            }
        }
    }
}

struct Check {
    device: &'static str,
    target: String,
    ok: bool,
    detail: String,
    next: Option<String>,
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
        Err(e) => Check {
            device: "printer",
            next: Some(advice(&e, &target)),
            target,
            ok: false,
            detail: e.to_string(),
        },
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
                Err(e) => Check {
                    device: "drawer",
                    next: Some(advice(&e, &target)),
                    target,
                    ok: false,
                    detail: e.to_string(),
                },
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
                Err(e) => Check {
                    device: "drawer",
                    next: Some(advice(&e, &target)),
                    target,
                    ok: false,
                    detail: e.to_string(),
                },
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
        Err(e) => Check { device: "scanner", next: Some(advice(&e, &target)), target, ok: false, detail: e.to_string() },
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
    let all_ok = checks.iter().all(|c| c.ok);
    if json {
        let list: Vec<_> = checks
            .iter()
            .map(|c| json!({ "device": c.device, "target": c.target, "ok": c.ok, "detail": c.detail, "next": c.next }))
            .collect();
        print_json(&json!({ "config": config, "ok": all_ok, "devices": list }));
    } else {
        if checks.is_empty() {
            println!("{config} declares no device ([devices.printer], [devices.drawer], [devices.scanner], [devices.terminal])");
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

#[cfg(test)]
mod tests {
    use super::*;
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
        use super::super::common::resolve_config_from;
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
        let j: serde_json::Value =
            serde_json::from_str(&scan_report(true, &mislabelled)[0]).unwrap();
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
            max_bytes: super::super::RENDER_MAX_BYTES,
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
}
