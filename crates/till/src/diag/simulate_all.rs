//! `till diag simulate all`: every simulated device at once (printer with
//! the drawer on its kick-out port, scanner, card terminal, scale,
//! customer display) and the
//! till.toml that points a till at them, so `till run --config FILE` or
//! `till diag all --config FILE` works without hardware.

use std::sync::mpsc::Receiver;
use std::time::Duration;

use anyhow::Context;
use serde_json::json;
use till_devices::payment::TerminalProtocol;
use till_devices::scanner::Suffix;
use till_devices::sim::{PrinterSim, ScannerSim, Script, SimCard, SimKind, TerminalSim};

use super::common::print_json;
use super::simulate::{typed, PrinterView, PtyLink, SimulateArgs};
use super::simulate_scale::{display_args, scale_args, DisplayView};
use till_devices::sim::{DisplaySim, ScaleSim};

/// A TOML string, quoted and escaped.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The `[devices.scale]` and `[devices.display]` sections (always on a
/// pty: neither simulator listens on TCP).
fn scale_display_toml(scale: &str, display: &str, a: &SimulateArgs) -> anyhow::Result<String> {
    let (sp, _) = scale_args(a)?;
    let (dp, charset) = display_args(a)?;
    Ok(format!(
        "\n[devices.scale]\nprotocol = \"{}\"\npath = {}\n\n\
         [devices.display]\nprotocol = \"{}\"\npath = {}\ncharset = \"{}\"\n",
        sp.name(),
        quoted(scale),
        dp.name(),
        quoted(display),
        charset.name()
    ))
}

/// The `[devices]` sections for the simulated devices.
pub fn till_toml(
    printer: &str,
    scanner: &str,
    terminal: &str,
    tcp: bool,
    protocol: TerminalProtocol,
    a: &SimulateArgs,
) -> String {
    let link = |address: &str| {
        if tcp {
            format!("transport = \"tcp\"\naddress = {}\n", quoted(address))
        } else {
            format!("transport = \"serial\"\npath = {}\n", quoted(address))
        }
    };
    let terminal_key = match protocol {
        TerminalProtocol::Concert => "path",
        TerminalProtocol::CaisseAp => "address",
    };
    format!(
        "# till.toml for `till diag simulate all`: valid while the simulators run.\n\
         [devices.printer]\n{}width = {}\n\n\
         # The drawer is wired to the simulated printer's kick-out port, pin 2.\n\
         [devices.drawer]\nvia = \"printer\"\npin = \"2\"\n\n\
         [devices.scanner]\nmode = \"serial\"\n{}suffix = \"{}\"\n\n\
         [devices.terminal]\nprotocol = \"{}\"\n{terminal_key} = {}\n",
        link(printer),
        a.width,
        link(scanner),
        if a.crlf { "crlf" } else { "cr" },
        protocol.name(),
        quoted(terminal),
    )
}

pub fn run(
    a: &SimulateArgs,
    running: impl Fn() -> bool,
    input: &Option<Receiver<String>>,
) -> anyhow::Result<i32> {
    if a.wedge {
        anyhow::bail!(
            "--wedge is for `simulate scanner` alone: `simulate all` has a serial scanner"
        );
    }
    let kind = if a.tcp { SimKind::Tcp } else { SimKind::Pty };
    let protocol: TerminalProtocol = a.protocol.parse().map_err(anyhow::Error::msg)?;
    let script: Script = a.script.parse().map_err(anyhow::Error::msg)?;
    let printer = PrinterSim::spawn(kind, a.width)?;
    let suffix = if a.crlf { Suffix::CrLf } else { Suffix::Cr };
    let scanner = ScannerSim::spawn(kind, Vec::new(), suffix)?;
    let terminal = TerminalSim::start(protocol, script)?;
    let (scale_protocol, weights) = scale_args(a)?;
    let scale = ScaleSim::spawn(scale_protocol, weights)?;
    let display = DisplaySim::spawn(display_args(a)?.1)?;
    if let Some(pan) = &a.pan {
        terminal.control().set_card(SimCard {
            pan: pan.clone(),
            ..SimCard::default()
        });
    }
    // With --link, till.toml names the links: stable across restarts.
    let mut links = Vec::new();
    let mut name = |device: &str, address: &str, pty: bool| -> anyhow::Result<String> {
        match &a.link {
            Some(prefix) if pty => {
                let link = format!("{prefix}{device}");
                links.push(PtyLink::make(&link, address)?);
                Ok(link)
            }
            _ => Ok(address.to_string()),
        }
    };
    let printer_at = name("printer", &printer.endpoint.address, !a.tcp)?;
    let scanner_at = name("scanner", &scanner.endpoint.address, !a.tcp)?;
    let terminal_at = name(
        "terminal",
        terminal.address(),
        protocol == TerminalProtocol::Concert,
    )?;
    let scale_at = name("scale", &scale.endpoint.address, true)?;
    let display_at = name("display", &display.endpoint.address, true)?;
    let mut toml = till_toml(&printer_at, &scanner_at, &terminal_at, a.tcp, protocol, a);
    toml.push_str(&scale_display_toml(&scale_at, &display_at, a)?);
    if let Some(file) = &a.write_config {
        std::fs::write(file, &toml).with_context(|| format!("writing {file}"))?;
    }
    if a.json {
        print_json(&json!({
            "device": "all", "printer": printer_at, "scanner": scanner_at,
            "terminal": terminal_at, "protocol": protocol.name(),
            "scale": scale_at, "display": display_at,
            "transport": if a.tcp { "tcp" } else { "serial" },
            "config": toml, "config_file": a.write_config,
        }));
    } else {
        println!("simulated printer at {printer_at} (drawer on its kick-out port, pin 2)");
        println!("simulated scanner at {scanner_at}");
        println!(
            "simulated {protocol} card terminal at {terminal_at} (script {})",
            a.script
        );
        println!(
            "simulated {scale_protocol} scale at {scale_at} (weights {})",
            a.weights
        );
        println!("simulated customer display at {display_at}");
        match &a.write_config {
            Some(f) => println!("till.toml for them written to {f}: till run --config {f}"),
            None => println!("till.toml for them (--write-config FILE to save it):"),
        }
        print!("{toml}");
        if a.interactive {
            println!("type a code and Enter to scan it");
        }
        println!("Ctrl-C to stop");
    }
    let mut view = PrinterView::new(a.capture.as_deref(), "printer ")?;
    let mut display_view = DisplayView::new("display ");
    let mut seen = 0;
    while running() {
        while let Some(code) = typed(input) {
            if !code.trim().is_empty() {
                scanner.scan(a.aim.as_deref(), code.trim());
            }
        }
        view.poll(&printer, a.json)?;
        display_view.poll(&display, a.json);
        let n = terminal.control().requests();
        if n != seen {
            seen = n;
            if a.json {
                print_json(&json!({ "terminal_requests": n }));
            } else {
                println!("terminal * payment request {n}");
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(0)
}
