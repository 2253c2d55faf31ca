//! `till diag ...`: the technician's peripheral diagnostics.

use clap::Subcommand;

#[derive(Subcommand)]
pub enum DiagCmd {
    /// List serial ports and USB devices.
    Ports,
}

pub fn run(cmd: DiagCmd) -> anyhow::Result<i32> {
    match cmd {
        DiagCmd::Ports => {
            anyhow::bail!("not implemented yet")
        }
    }
}
