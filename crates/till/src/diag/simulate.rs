//! `till diag simulate printer|scanner|drawer|terminal|all`

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, ValueEnum};
use serde_json::json;
use till_devices::escpos::Event;
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
    /// Counter scale (8217, continuous output or Dialog 06) playing --weights.
    Scale,
    /// Customer display (Epson or CD5220): prints what the customer reads.
    Display,
    /// Printer (with the drawer on its kick-out port), scanner and card
    /// terminal at once, and a till.toml for them.
    All,
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
    /// Read commands on standard input (printer: paper-out, online...;
    /// scanner and all: a code to scan per line; drawer: close; terminal:
    /// script LIST, pan NUMBER). Without it stdin is never read, so the
    /// simulator runs in the background (`&`) of an interactive shell.
    #[arg(long)]
    pub interactive: bool,
    /// Pseudo-terminal: also create this symbolic link to it, a name known
    /// before the simulator starts (all: a prefix, e.g. demo-data/sim-
    /// gives demo-data/sim-printer, -scanner, -terminal).
    #[arg(long, value_name = "PATH")]
    pub link: Option<String>,
    /// all: also write the till.toml for the simulated devices to this
    /// file (for `till run --config FILE` or `till diag all --config FILE`).
    #[arg(long, value_name = "FILE")]
    pub write_config: Option<String>,
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
    /// Scale: "toledo-8217", "continuous" or "dialog06".
    #[arg(long, default_value = "toledo-8217")]
    pub scale_protocol: String,
    /// Scale: weights and states, one per weighing, the last repeating:
    /// a weight in kg (1.234), motion, underload, overload, zero,
    /// not-removed, silent, garbled, drop.
    #[arg(long, default_value = "1.234")]
    pub weights: String,
    /// Display: "epson" or "cd5220".
    #[arg(long, default_value = "epson")]
    pub display_protocol: String,
    /// Display: its character table, "pc858" or "pc437" (default: the
    /// protocol's: Epson pc858, CD5220 pc437).
    #[arg(long)]
    pub charset: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    /// Stop after this many milliseconds (for scripts and tests).
    #[arg(long, hide = true, value_parser = clap::value_parser!(u64).range(..=86_400_000))]
    pub exit_after_ms: Option<u64>,
}

/// The `[devices.*]` keys that point till.toml at a simulated device, in
/// the config's own spellings (one key per line in the file).
fn toml_hint(device: &str, tcp: bool, wedge: bool, address: &str) -> String {
    let link = if tcp {
        format!("transport = \"tcp\", address = \"{address}\"")
    } else {
        format!("transport = \"serial\", path = \"{address}\"")
    };
    match device {
        // A serial drawer's own keys; it has no TCP form in till.toml.
        "drawer" if tcp => "a drawer has no TCP link in till.toml: start it without --tcp".into(),
        "drawer" => format!(
            "[devices.drawer] via = \"serial\", path = \"{address}\", open_byte = 7, query_byte = 63"
        ),
        "scanner" if wedge => format!(
            "[devices.scanner] mode = \"wedge\", transport = \"evdev\", path = \"{address}\""
        ),
        other => format!("[devices.{other}] {link}"),
    }
}

fn announce(a: &SimulateArgs, device: &str, address: &str, help: &str) {
    if a.json {
        print_json(
            &json!({ "device": device, "address": address, "transport": if a.tcp { "tcp" } else { "serial" } }),
        );
    } else {
        println!("simulated {device} at {address}");
        println!(
            "point till.toml at it: {}",
            toml_hint(device, a.tcp, a.wedge, address)
        );
        if a.interactive {
            println!("{help}");
        } else {
            println!("(--interactive to {help})");
        }
        println!("Ctrl-C to stop");
    }
}

/// stdin lines on a channel, so the main loop can also watch the device.
/// Only with `--interactive`: a simulator started with `&` from a shell
/// that touched stdin would be stopped by the shell (SIGTTIN) before it
/// even printed its address.
pub(super) fn stdin_lines(interactive: bool) -> Option<Receiver<String>> {
    if !interactive {
        return None;
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Some(rx)
}

/// The next line typed, if any (never blocks; none without `--interactive`).
pub(super) fn typed(input: &Option<Receiver<String>>) -> Option<String> {
    input.as_ref().and_then(|rx| rx.try_recv().ok())
}

/// `--link PATH`: a symbolic link to a simulator's pseudo-terminal, so a
/// script or the README can name it before it exists (`/dev/pts/N` changes
/// every run). Removed when the simulator ends normally; a stale link left
/// by Ctrl-C is replaced next time, but never a file that is not a link.
pub(super) struct PtyLink(PathBuf);

impl PtyLink {
    pub(super) fn make(link: &str, pty: &str) -> anyhow::Result<Self> {
        let path = PathBuf::from(link);
        if let Ok(meta) = std::fs::symlink_metadata(&path) {
            if !meta.file_type().is_symlink() {
                anyhow::bail!("--link {link}: a file by that name exists and is not a link: pick another name");
            }
            std::fs::remove_file(&path)
                .with_context(|| format!("--link {link}: replacing the old link"))?;
        }
        std::os::unix::fs::symlink(pty, &path)
            .with_context(|| format!("--link {link}: creating the link to {pty}"))?;
        Ok(Self(path))
    }
}

impl Drop for PtyLink {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The link for a simulator at `address`, if `--link` was given.
fn link_for(a: &SimulateArgs, address: &str) -> anyhow::Result<Option<PtyLink>> {
    match &a.link {
        Some(_) if a.tcp => anyhow::bail!("--link names a pseudo-terminal: it does not go with --tcp (the address printed is the one to use)"),
        Some(l) => PtyLink::make(l, address).map(Some),
        None => Ok(None),
    }
}

/// What the printer simulator shows as it happens: the paper, drawer
/// kicks, and the capture file kept up to date.
pub(super) struct PrinterView {
    shown: usize,
    kicks: usize,
    captured: usize,
    capture: Option<std::fs::File>,
    prefix: &'static str,
}

impl PrinterView {
    pub(super) fn new(capture: Option<&str>, prefix: &'static str) -> anyhow::Result<Self> {
        let capture = match capture {
            Some(path) => Some(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .with_context(|| format!("capture file {path}"))?,
            ),
            None => None,
        };
        Ok(Self {
            shown: 0,
            kicks: 0,
            captured: 0,
            capture,
            prefix,
        })
    }

    pub(super) fn poll(&mut self, sim: &PrinterSim, json: bool) -> anyhow::Result<()> {
        let s = sim.state();
        for l in s.paper.lines.iter().skip(self.shown) {
            if json {
                print_json(&json!({ "paper": l }));
            } else {
                println!("{}| {l}", self.prefix);
            }
        }
        self.shown = s.paper.lines.len();
        for k in s.kicks.iter().skip(self.kicks) {
            if json {
                print_json(&json!({ "kick": k, "drawer_open": s.drawer_open }));
            } else {
                println!(
                    "{}* drawer: {} -> {}",
                    self.prefix,
                    describe_kick(k),
                    if s.drawer_open {
                        "open"
                    } else {
                        "closed (wrong pin?)"
                    }
                );
            }
        }
        self.kicks = s.kicks.len();
        if let Some(f) = self.capture.as_mut() {
            use std::io::Write;
            // Written as it arrives: Ctrl-C must not lose the capture.
            f.write_all(&s.raw[self.captured..])?;
            self.captured = s.raw.len();
        }
        Ok(())
    }
}

/// A drawer kick in the words of till.toml ("pin 2, 100/200 ms").
fn describe_kick(k: &Event) -> String {
    match k {
        Event::Kick { pin, on_ms, off_ms } => format!("kick on {pin}, {on_ms}/{off_ms} ms"),
        Event::RealtimeKick { pin, on_ms } => {
            format!("real-time kick on {pin}, {on_ms} ms")
        }
        other => format!("{}", serde_json::to_value(other).unwrap_or_default()),
    }
}

/// One printer command typed on stdin.
pub(super) fn printer_command(sim: &PrinterSim, cmd: &str) {
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
        "" => {}
        other => eprintln!("unknown command {other:?}: {PRINTER_COMMANDS}"),
    }
}

const PRINTER_COMMANDS: &str = "paper-out, paper-after N (the roll ends after N more lines), paper-low, cover-open, offline, online, close-drawer, mute, unmute";

pub fn run(a: &SimulateArgs) -> anyhow::Result<i32> {
    let kind = if a.tcp { SimKind::Tcp } else { SimKind::Pty };
    let deadline = a
        .exit_after_ms
        .map(|ms| Instant::now() + Duration::from_millis(ms));
    let running = || deadline.is_none_or(|d| Instant::now() < d);
    let input = stdin_lines(a.interactive);
    match a.device {
        SimDevice::Terminal => return run_terminal(a, running, &input),
        SimDevice::All => return super::simulate_all::run(a, running, &input),
        SimDevice::Scale => return super::simulate_scale::run_scale(a, running, &input),
        SimDevice::Display => return super::simulate_scale::run_display(a, running),
        SimDevice::Printer => {
            let sim = PrinterSim::spawn(kind, a.width)?;
            let _link = link_for(a, &sim.endpoint.address)?;
            announce(
                a,
                "printer",
                &sim.endpoint.address,
                &format!("type commands on stdin: {PRINTER_COMMANDS}"),
            );
            let mut view = PrinterView::new(a.capture.as_deref(), "")?;
            while running() {
                while let Some(cmd) = typed(&input) {
                    printer_command(&sim, &cmd);
                }
                view.poll(&sim, a.json)?;
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        SimDevice::Scanner => {
            let suffix = if a.crlf { Suffix::CrLf } else { Suffix::Cr };
            let sim = ScannerSim::spawn(kind, Vec::new(), suffix)?;
            let _link = link_for(a, &sim.endpoint.address)?;
            announce(
                a,
                "scanner",
                &sim.endpoint.address,
                "type a code and Enter to scan it",
            );
            while running() {
                match typed(&input) {
                    Some(line) if !line.trim().is_empty() && a.wedge => sim.scan_keys(line.trim()),
                    Some(line) if !line.trim().is_empty() => {
                        sim.scan(a.aim.as_deref(), line.trim())
                    }
                    _ => std::thread::sleep(Duration::from_millis(50)),
                }
            }
        }
        SimDevice::Drawer => {
            let sim = DrawerSim::spawn(kind, 0x07, b'?')?;
            let _link = link_for(a, &sim.endpoint.address)?;
            announce(a, "drawer", &sim.endpoint.address, "type close on stdin to shut it (it opens on byte 07 and answers '?' with '1' open / '0' closed)");
            let mut opened = 0;
            while running() {
                if let Some(l) = typed(&input) {
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
    input: &Option<Receiver<String>>,
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
    let _link = match &a.link {
        Some(_) if tcp => anyhow::bail!(
            "--link names a pseudo-terminal: Caisse-AP listens on TCP (use the address printed)"
        ),
        Some(l) => Some(PtyLink::make(l, &address)?),
        None => None,
    };
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
        let stdin = if a.interactive {
            "stdin"
        } else {
            "with --interactive, stdin"
        };
        println!(
            "script: {}, reference: {reference} ({stdin}: script LIST, pan NUMBER)",
            a.script
        );
        println!("Ctrl-C to stop");
    }
    let mut seen = 0;
    while running() {
        while let Some(cmd) = typed(input) {
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
