//! `till diag scanner listen`: print each scan with its symbology, check-digit
//! verdict and raw bytes, from a serial or keyboard-wedge scanner.

use std::time::Duration;

use serde_json::json;
use till_devices::config::{DevicesConfig, ScannerMode};
use till_devices::scanner::{Code, FrameConfig, ScanError, SerialScanner, WedgeScanner};
use till_devices::transport::UsbLpTransport;
use till_devices::DeviceError;

use super::common::{fail, Target};

/// One scan as `scanner listen` prints it: JSON, or a line of text plus
/// any warning lines.
pub(super) fn scan_report(
    json: bool,
    r: &Result<till_devices::scanner::Scan, ScanError>,
) -> Vec<String> {
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
