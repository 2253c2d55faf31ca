//! `till diag simulate printer|scanner|drawer|terminal`

use std::io::BufRead;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use serde_json::json;
use till_devices::scanner::Suffix;
use till_devices::sim::{DrawerSim, PrinterSim, ScannerSim, SimKind};

use super::common::print_json;

/// Which device to simulate.
#[derive(Clone, Copy, ValueEnum)]
pub enum SimDevice {
    /// ESC/POS printer with a drawer on its kick-out port.
    Printer,
    /// Serial barcode scanner: type codes on stdin, one per line.
    Scanner,
    /// Drawer with its own serial interface (opens on BEL, 0x07).
    Drawer,
    /// Card payment terminal: Concert on a pty, or Caisse-AP on TCP.
    Terminal,
}

/// Arguments of `till diag simulate`.
#[derive(Args)]
pub struct SimulateArgs {
    /// The device.
    pub device: SimDevice,
    /// Listen on a TCP port on 127.0.0.1 instead of a pseudo-terminal.
    #[arg(long)]
    pub tcp: bool,
    /// Printer paper width in characters.
    #[arg(long, default_value_t = 48)]
    pub width: usize,
    /// Scanner: send CR LF instead of CR.
    #[arg(long)]
    pub crlf: bool,
    /// Scanner: prefix every code with this AIM identifier (e.g. "]E0").
    #[arg(long)]
    pub aim: Option<String>,
    /// Scanner: send keyboard-wedge key events (struct input_event) instead
    /// of serial text.
    #[arg(long)]
    pub wedge: bool,
    /// Printer: append every byte received to this file, for
    /// `till diag printer render FILE` later.
    #[arg(long)]
    pub capture: Option<String>,
    /// Terminal: "concert" (serial, a pty) or "caisse-ap" (TCP).
    #[arg(long, default_value = "concert")]
    pub protocol: String,
    /// Terminal: outcomes, one per payment, the last one repeating:
    /// approve, decline, cancel, no-answer, garbled, drop, late:MS.
    #[arg(long, default_value = "approve")]
    pub script: String,
    /// Terminal: the card number it reports (a full number tests that the
    /// till masks it).
    #[arg(long)]
    pub pan: Option<String>,
    /// Terminal: what its answers carry in the reference field (Concert's
    /// private field, Caisse-AP's CF): echo (the till's), own (its own
    /// transaction id: TX00000001... on Concert, 1010000000 on Caisse-AP as
    /// akretion's reference server) or blank (spaces; Caisse-AP: no CF).
    #[arg(long, default_value = "echo")]
    pub reference: String,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    /// Stop after this many milliseconds (for scripts and tests).
    #[arg(long, hide = true)]
    pub exit_after_ms: Option<u64>,
}

fn announce(a: &SimulateArgs, device: &str, address: &str, help: &str) {
    if a.json {
        print_json(
            &json!({ "device": device, "address": address, "transport": if a.tcp { "tcp" } else { "serial" } }),
        );
    } else {
        let how = if a.tcp {
            format!("transport = \"tcp\", address = \"{address}\"")
        } else {
            format!("transport = \"serial\", path = \"{address}\"")
        };
        println!("simulated {device} at {address}");
        println!("point till.toml at it: {how}");
        println!("{help}");
        println!("Ctrl-C to stop");
    }
}

/// stdin lines on a channel, so the main loop can also watch the device.
fn stdin_lines() -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

pub fn run(a: &SimulateArgs) -> anyhow::Result<i32> {
    let kind = if a.tcp { SimKind::Tcp } else { SimKind::Pty };
    let deadline = a
        .exit_after_ms
        .map(|ms| Instant::now() + Duration::from_millis(ms));
    let running = || deadline.is_none_or(|d| Instant::now() < d);
    let input = stdin_lines();
    match a.device {
        SimDevice::Terminal => return run_terminal(a, running, &input),
        SimDevice::Printer => {
            let sim = PrinterSim::spawn(kind, a.width)?;
            announce(a, "printer", &sim.endpoint.address, "commands on stdin: paper-out, paper-after N (the roll ends after N more lines), paper-low, cover-open, offline, online, close-drawer, mute, unmute");
            let mut shown = 0;
            let mut kicks = 0;
            let mut captured = 0;
            let mut capture = match &a.capture {
                Some(path) => Some(
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)
                        .map_err(|e| anyhow::anyhow!("capture file {path}: {e}"))?,
                ),
                None => None,
            };
            while running() {
                while let Ok(cmd) = input.try_recv() {
                    let mut s = sim.state();
                    match cmd.trim() {
                        "paper-out" => s.paper_out = true,
                        "paper-low" => s.paper_near_end = true,
                        "cover-open" => s.cover_open = true,
                        "offline" => s.forced_offline = true,
                        c if c.starts_with("paper-after ") => {
                            match c["paper-after ".len()..].trim().parse::<usize>() {
                                Ok(n) => s.paper_lines_left = Some(n),
                                Err(_) => eprintln!("paper-after takes a number of lines"),
                            }
                        }
                        "online" => {
                            s.paper_lines_left = None;
                            s.paper_out = false;
                            s.paper_near_end = false;
                            s.cover_open = false;
                            s.forced_offline = false;
                            s.cutter_error = false;
                        }
                        "close-drawer" => s.drawer_open = false,
                        "mute" => s.mute = true,
                        "unmute" => s.mute = false,
                        other => eprintln!("unknown command {other:?}"),
                    }
                }
                {
                    let s = sim.state();
                    for l in s.paper.lines.iter().skip(shown) {
                        if a.json {
                            print_json(&json!({ "paper": l }));
                        } else {
                            println!("| {l}");
                        }
                    }
                    shown = s.paper.lines.len();
                    for k in s.kicks.iter().skip(kicks) {
                        if a.json {
                            print_json(
                                &json!({ "kick": format!("{k:?}"), "drawer_open": s.drawer_open }),
                            );
                        } else {
                            println!(
                                "* drawer: {k:?} -> {}",
                                if s.drawer_open {
                                    "open"
                                } else {
                                    "closed (wrong pin?)"
                                }
                            );
                        }
                    }
                    kicks = s.kicks.len();
                    if let Some(f) = capture.as_mut() {
                        use std::io::Write;
                        // Written as it arrives: Ctrl-C must not lose the capture.
                        f.write_all(&s.raw[captured..])?;
                        captured = s.raw.len();
                    }
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        SimDevice::Scanner => {
            let suffix = if a.crlf { Suffix::CrLf } else { Suffix::Cr };
            let sim = ScannerSim::spawn(kind, Vec::new(), suffix)?;
            announce(
                a,
                "scanner",
                &sim.endpoint.address,
                "type a code and Enter to scan it",
            );
            while running() {
                match input.recv_timeout(Duration::from_millis(50)) {
                    Ok(line) if !line.trim().is_empty() && a.wedge => sim.scan_keys(line.trim()),
                    Ok(line) if !line.trim().is_empty() => sim.scan(a.aim.as_deref(), line.trim()),
                    _ => {}
                }
            }
        }
        SimDevice::Drawer => {
            let sim = DrawerSim::spawn(kind, 0x07, b'?')?;
            announce(a, "drawer", &sim.endpoint.address, "opens on byte 07, answers '?' with '1' open / '0' closed; type close on stdin to shut it");
            let mut opened = 0;
            while running() {
                if let Ok(l) = input.try_recv() {
                    if l.trim() == "close" {
                        sim.close();
                    }
                }
                let n = sim.times_opened();
                if n != opened {
                    opened = n;
                    if a.json {
                        print_json(&json!({ "opened": n }));
                    } else {
                        println!("* drawer opened ({n} times so far)");
                    }
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
    Ok(0)
}

/// `till diag simulate terminal`: prints where it listens, then one line per
/// payment request; stdin takes `script LIST` and `pan NUMBER`.
fn run_terminal(
    a: &SimulateArgs,
    running: impl Fn() -> bool,
    input: &std::sync::mpsc::Receiver<String>,
) -> anyhow::Result<i32> {
    use till_devices::payment::TerminalProtocol;
    use till_devices::sim::{ReferenceMode, Script, SimCard, TerminalSim};
    let protocol: TerminalProtocol = a.protocol.parse().map_err(anyhow::Error::msg)?;
    let script: Script = a.script.parse().map_err(anyhow::Error::msg)?;
    let reference: ReferenceMode = a.reference.parse().map_err(anyhow::Error::msg)?;
    let sim = TerminalSim::start(protocol, script)?;
    sim.control().set_reference(reference);
    if let Some(pan) = &a.pan {
        sim.control().set_card(SimCard {
            pan: pan.clone(),
            ..SimCard::default()
        });
    }
    let address = sim.address().to_string();
    let tcp = protocol == TerminalProtocol::CaisseAp;
    if a.json {
        print_json(&json!({
            "device": "terminal", "protocol": protocol.name(), "address": address,
            "transport": if tcp { "tcp" } else { "serial" }, "script": a.script,
            "reference": reference.to_string(),
        }));
    } else {
        let key = if tcp { "address" } else { "path" };
        println!("simulated {protocol} card terminal at {address}");
        println!(
            "point till.toml at it: [devices.terminal] protocol = \"{protocol}\", {key} = \"{address}\""
        );
        println!("or: till diag terminal pay 12.34 --protocol {protocol} --{key} {address}");
        println!(
            "script: {}, reference: {reference} (stdin: script LIST, pan NUMBER)",
            a.script
        );
        println!("Ctrl-C to stop");
    }
    let mut seen = 0;
    while running() {
        while let Ok(cmd) = input.try_recv() {
            let cmd = cmd.trim();
            if let Some(list) = cmd.strip_prefix("script ") {
                match list.parse::<Script>() {
                    Ok(s) => sim.control().set_script(s),
                    Err(e) => eprintln!("{e}"),
                }
            } else if let Some(pan) = cmd.strip_prefix("pan ") {
                sim.control().set_card(SimCard {
                    pan: pan.trim().to_string(),
                    ..SimCard::default()
                });
            } else if !cmd.is_empty() {
                eprintln!("unknown command {cmd:?}: script LIST or pan NUMBER");
            }
        }
        let n = sim.control().requests();
        if n != seen {
            seen = n;
            if a.json {
                print_json(&json!({ "requests": n }));
            } else {
                println!("* payment request {n}");
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(0)
}
