//! `till diag ...`: the technician's peripheral diagnostics.
//!
//! Every command talks to the device directly (no till running needed),
//! says in plain words what it found and what to try next, and has `--json`
//! for scripts. Exit codes: 0 all good, 1 the device answered but something
//! is wrong (or could not be reached), 2 the command itself failed.

use clap::{Args, Subcommand};

// One module per device, each with its commands; `all` checks them together.
mod all;
mod common;
mod display;
mod drawer;
mod ports;
mod printer;
mod render;
mod scale;
mod scanner;
mod simulate;
mod simulate_all;
mod simulate_scale;
mod terminal;
#[cfg(test)]
mod tests;

pub use common::Target;

/// `till diag` subcommands.
#[derive(Subcommand)]
pub enum DiagCmd {
    /// List serial ports, USB printers and USB input devices with VID:PID,
    /// maker, product and the likely device kind.
    Ports {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// The receipt printer: status, test page, render a captured stream.
    #[command(subcommand)]
    Printer(PrinterCmd),
    /// The cash drawer: open it, read its sensor.
    #[command(subcommand)]
    Drawer(DrawerCmd),
    /// The barcode scanner.
    #[command(subcommand)]
    Scanner(ScannerCmd),
    /// The card payment terminal: ping, a test payment or refund.
    #[command(subcommand)]
    Terminal(terminal::TerminalCmd),
    /// The counter scale: read a stable weight, zero it, watch it.
    #[command(subcommand)]
    Scale(scale::ScaleCmd),
    /// The customer display: show a text, the test screens, clear it.
    #[command(subcommand)]
    Display(display::DisplayCmd),
    /// Start a simulated device (or all of them) and print its path; runs
    /// until Ctrl-C. Reads stdin only with --interactive.
    Simulate(simulate::SimulateArgs),
    /// Check every device in the config file: pass/fail and what to try next.
    All {
        /// Config file (default: $TILL_CONFIG, then /etc/comptoir/till.toml,
        /// then ./config/till.toml).
        #[arg(long)]
        config: Option<String>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

/// `till diag printer ...`
#[derive(Subcommand)]
pub enum PrinterCmd {
    /// Ask the printer its status (DLE EOT 1-4) and explain it.
    Status(Target),
    /// Print a test page: code page, accents and euro, styles, barcode, QR, cut.
    Test(Target),
    /// Decode a captured ESC/POS byte stream into readable text.
    Render(RenderArgs),
}

/// Arguments of `printer render`.
#[derive(Args)]
pub struct RenderArgs {
    /// The capture: raw bytes, or hex text (hw-fixtures format) if it ends in .hex.
    pub file: String,
    /// Paper width in characters.
    #[arg(long, default_value_t = 48)]
    pub width: usize,
    /// Read at most this many bytes of FILE (default 16 MiB: a receipt is a
    /// few KiB, a day of captures a few MiB); a larger file is refused, as
    /// is a device such as /dev/zero that never ends.
    #[arg(long, value_name = "BYTES", default_value_t = RENDER_MAX_BYTES)]
    pub max_bytes: u64,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

/// `printer render`'s default read limit.
pub const RENDER_MAX_BYTES: u64 = 16 * 1024 * 1024;

/// `till diag drawer ...`
#[derive(Subcommand)]
pub enum DrawerCmd {
    /// Fire the drawer.
    Open {
        /// Connector pin (overrides the config).
        #[arg(long, value_parser = ["2", "5"])]
        pin: Option<String>,
        #[command(flatten)]
        target: Target,
    },
    /// Read the drawer's open sensor.
    Status {
        /// Keep reading it for this many seconds, printing each change and
        /// "drawer left open for N s" after the config's left_open_after_s.
        #[arg(long, value_name = "SECONDS", value_parser = watch_seconds)]
        watch: Option<f64>,
        #[command(flatten)]
        target: Target,
    },
}

/// `till diag scanner ...`
#[derive(Subcommand)]
pub enum ScannerCmd {
    /// Print each scan with its symbology, check-digit verdict and raw bytes.
    Listen {
        /// Stop after this many scans (rejected ones count).
        #[arg(long)]
        count: Option<usize>,
        /// Give up after this many seconds without a scan (1 to 86400).
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
        timeout: u64,
        /// Read a keyboard-wedge scanner from this evdev node instead.
        #[arg(long)]
        wedge: Option<String>,
        #[command(flatten)]
        target: Target,
    },
}

/// `--watch SECONDS`: a number of seconds a person can wait, not 1e300
/// (which no clock can add) or NaN.
fn watch_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=604_800.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "{s} is not a number of seconds from 0 to 604800 (a week)"
        )),
    }
}

/// Run one diag command; returns the process exit code.
pub fn run(cmd: DiagCmd) -> anyhow::Result<i32> {
    match cmd {
        DiagCmd::Ports { json } => ports::run(json),
        DiagCmd::Printer(PrinterCmd::Status(t)) => printer::printer_status(&t),
        DiagCmd::Printer(PrinterCmd::Test(t)) => printer::printer_test(&t),
        DiagCmd::Printer(PrinterCmd::Render(a)) => render::printer_render(&a),
        DiagCmd::Drawer(DrawerCmd::Open { pin, target }) => {
            drawer::drawer_open(&target, pin.as_deref())
        }
        DiagCmd::Drawer(DrawerCmd::Status { watch, target }) => {
            drawer::drawer_status(&target, watch)
        }
        DiagCmd::Scanner(ScannerCmd::Listen {
            count,
            timeout,
            wedge,
            target,
        }) => scanner::scanner_listen(&target, count, timeout, wedge.as_deref()),
        DiagCmd::Simulate(a) => simulate::run(&a),
        DiagCmd::Terminal(cmd) => terminal::run(cmd),
        DiagCmd::Scale(cmd) => scale::run(cmd),
        DiagCmd::Display(cmd) => display::run(cmd),
        DiagCmd::All { config, json } => all::all(config.as_deref(), json),
    }
}
