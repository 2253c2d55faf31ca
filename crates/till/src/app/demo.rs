//! `till run --demo`: the demo shop with simulated peripherals, started in
//! this process on pseudo-terminals so the real drivers talk to them byte for
//! byte. What the simulated printer puts on paper is appended to
//! `<data>/receipts.txt`; the drawer closes itself after a few seconds, as a
//! cashier would close it.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use till_devices::config::{DevicesConfig, PrinterConfig, ScannerConfig};
use till_devices::scanner::Suffix;
use till_devices::sim::{PrinterSim, ScannerSim, SimKind};
use till_devices::transport::Link;

/// The running simulators' endpoints, the config pointing at them, and the
/// demo scanner's trigger.
pub struct DemoDevices {
    /// Points the device threads at the simulators.
    pub config: DevicesConfig,
    /// The receipts file.
    pub receipts: PathBuf,
    /// Sends the next demo article through the simulated scanner.
    pub scan_next: Box<dyn FnMut()>,
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
    let receipts = data_dir.join("receipts.txt");
    let path = receipts.clone();
    std::thread::Builder::new()
        .name("demo-paper".into())
        .spawn(move || paper_to_file(printer, &path))
        .context("starting the receipts writer")?;
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
        receipts,
        scan_next,
    })
}

/// Appends every new line of paper to `path`; closes the drawer 3 s after it
/// opened. Owns the simulator, which lives as long as the process.
fn paper_to_file(printer: PrinterSim, path: &Path) {
    let mut written = 0usize;
    let mut opened_at: Option<Instant> = None;
    loop {
        std::thread::sleep(Duration::from_millis(150));
        let (new, drawer_open) = {
            let st = printer.state();
            let lines = &st.paper.lines;
            let new: Vec<String> = lines.iter().skip(written).cloned().collect();
            written = lines.len();
            (new, st.drawer_open)
        };
        if !new.is_empty() {
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
            // The demo's paper is a convenience: a failed write is not a
            // reason to stop the till.
            let _ = res;
        }
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
