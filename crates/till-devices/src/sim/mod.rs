//! Device simulators that speak the real byte protocol, each on its own
//! thread, reachable through a pseudo-terminal (a `/dev/pts/N` path the till
//! opens like a real serial port) or a TCP socket on localhost.
//!
//! Tests drive them end to end; technicians and the demo start them with
//! `till diag simulate printer|scanner|drawer|terminal`.

mod display;
mod drawer;
mod printer;
mod runner;
mod scale;
mod scanner;
mod terminal;
mod terminal_caisse_ap;
mod terminal_concert;

pub use display::{DisplayControl, DisplaySim};
pub use drawer::DrawerSim;
pub use printer::{PrinterSim, PrinterSimState};
pub use runner::{Endpoint, SimKind};
pub use scale::{ScaleControl, ScaleScript, ScaleSim, ScaleStep, CONTINUOUS_HOLD};
pub use scanner::ScannerSim;
pub use terminal::{
    format_transcript, Direction, Outcome, ReferenceMode, Script, SimCard, SimControl, TerminalSim,
};
pub use terminal_caisse_ap::CaisseApTerminalSim;
pub use terminal_concert::ConcertTerminalSim;
