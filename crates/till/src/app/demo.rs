//! `till run --demo`: the demo shop with simulated peripherals, started in
//! this process on pseudo-terminals so the real drivers talk to them byte for
//! byte. What the simulated printer puts on paper is appended to
//! `<data>/receipts.txt`; the drawer closes itself after a few seconds, as a
//! cashier would close it. F11 scans the next demo article through the
//! simulated scanner; F12 runs the printer out of paper (and back). A
//! simulated Concert card terminal approves every payment. A simulated
//! customer display (Epson, PC858) shows what the customer reads; each of
//! its screens is appended to `<data>/display.txt`. A simulated Dialog 06
//! scale weighs the weighed articles (typed 40001 to 40005): 0.755 kg, then
//! 1.240 kg, then 0.480 kg for ever, priced by the scale.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use till_devices::config::TerminalConfig;
use till_devices::config::{DevicesConfig, PrinterConfig, ScannerConfig};
use till_devices::payment::TerminalProtocol;
use till_devices::scanner::Suffix;
use till_devices::sim::{PrinterSim, ScannerSim, Script, SimKind, TerminalSim};
use till_devices::transport::Link;

/// The running simulators' endpoints, the config pointing at them, and the
/// demo scanner's trigger.
pub struct DemoDevices {
    /// Points the device threads at the simulators.
    pub config: DevicesConfig,
    /// Points the terminal worker at the simulated card terminal.
    pub terminal: Option<TerminalConfig>,
    /// Kept alive as long as the demo runs.
    _terminal_sim: TerminalSim,
    /// Points the display thread at the simulated customer display.
    pub display: Option<till_devices::config::DisplayConfig>,
    /// Points the scale thread at the simulated scale.
    pub scale: Option<till_devices::config::ScaleConfig>,
    /// Kept alive as long as the demo runs.
    _scale_sim: till_devices::sim::ScaleSim,
    /// The receipts file.
    pub receipts: PathBuf,
    /// Sends the next demo article through the simulated scanner.
    pub scan_next: Box<dyn FnMut()>,
    /// Runs the simulated printer out of paper, or puts a new roll in: to
    /// see what the cashier sees when the printer fails.
    pub toggle_paper: Box<dyn FnMut()>,
    stop: Arc<AtomicBool>,
    paper: Option<std::thread::JoinHandle<()>>,
}

impl DemoDevices {
    /// On the way out: lets the simulated printer finish what it received
    /// and writes the last of the paper to the receipts file.
    pub fn finish(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.paper.take() {
            let _ = h.join();
        }
    }
}

/// Starts the printer (with its drawer) and scanner simulators.
pub fn start(data_dir: &Path, barcodes: Vec<String>) -> Result<DemoDevices> {
    let printer = PrinterSim::spawn(SimKind::Pty, 48).context("starting the printer simulator")?;
    let scanner = ScannerSim::spawn(SimKind::Pty, Vec::new(), Suffix::Cr)
        .context("starting the scanner simulator")?;
    let mut pc = PrinterConfig::new(Link::Serial {
        path: printer.endpoint.address.clone(),
        baud: 38400,
    });
    pc.timeout_ms = 800;
    let sc: ScannerConfig = toml::from_str(&format!(
        "transport = \"serial\"\npath = \"{}\"\nbaud = 9600\nsuffix = \"cr\"\n",
        scanner.endpoint.address
    ))
    .context("building the demo scanner config")?;
    let config = DevicesConfig {
        printer: Some(pc),
        drawer: None,
        scanner: Some(sc),
    };
    let terminal_sim = TerminalSim::start(TerminalProtocol::Concert, Script::default())
        .context("starting the card terminal simulator")?;
    let terminal: TerminalConfig = toml::from_str(&format!(
        "protocol = \"concert\"\npath = \"{}\"\n",
        terminal_sim.address()
    ))
    .context("building the demo card terminal config")?;
    let display_sim = till_devices::sim::DisplaySim::spawn(till_devices::display::Charset::Pc858)
        .context("starting the customer display simulator")?;
    let display = till_devices::config::DisplayConfig::from_value(
        toml::from_str(&format!(
            "protocol = \"epson\"\npath = {}\n",
            toml::Value::String(display_sim.endpoint.address.clone())
        ))
        .context("building the demo display config")?,
    )
    .map_err(anyhow::Error::msg)?;
    let scale_sim = till_devices::sim::ScaleSim::spawn(
        till_devices::scale::ScaleProtocol::Dialog06,
        "0.755,1.240,0.480".parse().map_err(anyhow::Error::msg)?,
    )
    .context("starting the scale simulator")?;
    let scale = till_devices::config::ScaleConfig::from_value(
        toml::from_str(&format!(
            "protocol = \"dialog06\"\npath = {}\n",
            toml::Value::String(scale_sim.endpoint.address.clone())
        ))
        .context("building the demo scale config")?,
    )
    .map_err(anyhow::Error::msg)?;
    let receipts = data_dir.join("receipts.txt");
    let path = receipts.clone();
    let paper_out = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let (flag, stop2) = (paper_out.clone(), stop.clone());
    let (stop3, screens) = (stop.clone(), data_dir.join("display.txt"));
    std::thread::Builder::new()
        .name("demo-display".into())
        .spawn(move || display_to_file(display_sim, &screens, &stop3))
        .context("starting the display writer")?;
    let paper = std::thread::Builder::new()
        .name("demo-paper".into())
        .spawn(move || paper_to_file(printer, &path, &flag, &stop2))
        .context("starting the receipts writer")?;
    let toggle_paper = Box::new(move || {
        paper_out.fetch_xor(true, Ordering::Relaxed);
    });
    let mut n = 0usize;
    let scan_next = Box::new(move || {
        if barcodes.is_empty() {
            return;
        }
        let code = &barcodes[n % barcodes.len()];
        n += 1;
        scanner.scan(None, code);
    });
    Ok(DemoDevices {
        config,
        terminal: Some(terminal),
        _terminal_sim: terminal_sim,
        display: Some(display),
        scale: Some(scale),
        _scale_sim: scale_sim,
        receipts,
        scan_next,
        toggle_paper,
        stop,
        paper: Some(paper),
    })
}

/// Appends each new screen of the simulated customer display to `path`, as
/// a box of 2 x 20; owns the simulator.
fn display_to_file(sim: till_devices::sim::DisplaySim, path: &Path, stop: &AtomicBool) {
    let mut shown = 0;
    while !stop.load(Ordering::Relaxed) {
        let history = sim.control.history();
        if history.len() > shown {
            let mut text = String::new();
            for [a, b] in &history[shown..] {
                text.push_str(&format!(
                    "+--------------------+\n|{a}|\n|{b}|\n+--------------------+\n"
                ));
            }
            shown = history.len();
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
            {
                let _ = f.write_all(text.as_bytes());
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Appends every new line of paper to `path`; closes the drawer 3 s after it
/// opened. Owns the simulator, which lives as long as the process.
fn paper_to_file(printer: PrinterSim, path: &Path, paper_out: &AtomicBool, stop: &AtomicBool) {
    let mut written = 0usize;
    let mut opened_at: Option<Instant> = None;
    let mut last_bytes = 0usize;
    let mut quiet_since: Option<Instant> = None;
    loop {
        std::thread::sleep(Duration::from_millis(100));
        if stop.load(Ordering::Relaxed) {
            // Bytes may still be on their way through the pty: stop once
            // nothing new arrived for 300 ms (at most 3 s), after one last write.
            let n = printer.state().raw.len();
            if n != last_bytes {
                last_bytes = n;
                quiet_since = Some(Instant::now());
            }
            let quiet = quiet_since.get_or_insert_with(Instant::now);
            if quiet.elapsed() > Duration::from_millis(300) {
                write_new(&printer, path, &mut written);
                return;
            }
        }
        let drawer_open = {
            let mut st = printer.state();
            st.paper_out = paper_out.load(Ordering::Relaxed);
            st.drawer_open
        };
        write_new(&printer, path, &mut written);
        match (drawer_open, opened_at) {
            (true, None) => opened_at = Some(Instant::now()),
            (true, Some(t)) if t.elapsed() > Duration::from_secs(3) => {
                printer.state().drawer_open = false;
                opened_at = None;
            }
            (false, _) => opened_at = None,
            _ => {}
        }
    }
}

/// Appends the paper lines printed since `written`.
fn write_new(printer: &PrinterSim, path: &Path, written: &mut usize) {
    let new: Vec<String> = {
        let st = printer.state();
        let lines = &st.paper.lines;
        let new = lines.iter().skip(*written).cloned().collect();
        *written = lines.len();
        new
    };
    if new.is_empty() {
        return;
    }
    let res = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| {
            for l in &new {
                writeln!(f, "{l}")?;
            }
            f.flush()
        });
    // The demo's paper is a convenience: a failed write is not a reason to
    // stop the till.
    let _ = res;
}
