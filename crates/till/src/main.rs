//! `till`: the counter app, the technician's diagnostics and the journal tools.

use clap::{Parser, Subcommand};

mod diag;

#[derive(Parser)]
#[command(name = "till", version, about = "comptoir: the counter app, technician diagnostics and journal tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Technician diagnostics: find, test and debug each peripheral.
    #[command(subcommand)]
    Diag(diag::DiagCmd),
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Diag(cmd) => diag::run(cmd),
    };
    match code {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}
