//! `till diag printer status|test`: ask the receipt printer its status, print
//! the test page. (`printer render` is in `render.rs`: it needs no printer.)

use serde_json::json;
use till_devices::config::{DevicesConfig, PrinterConfig};
use till_devices::escpos::cmd::{self, Align, BarcodeKind, Cut, QrEc};
use till_devices::escpos::receipt::Logo;
use till_devices::escpos::{pc858, FullStatus, Printer};
use till_devices::transport::Transport;
use till_devices::DeviceError;

use super::common::{fail, print_json, Target};

pub(super) fn printer_config(t: &Target, cfg: &DevicesConfig) -> anyhow::Result<PrinterConfig> {
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

pub(super) fn open_printer(p: &PrinterConfig) -> Result<Printer<Box<dyn Transport>>, DeviceError> {
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
