//! `till`: the counter app, the technician's diagnostics and the journal tools.

use clap::{Parser, Subcommand};

mod catalog_cmd;
mod diag;
mod journal_cmd;
mod users_cmd;

#[derive(Parser)]
#[command(
    name = "till",
    version,
    about = "comptoir: the counter app, technician diagnostics and journal tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The counter app (terminal UI). `--demo` runs the demo shop with
    /// simulated printer, drawer and scanner; data in ./demo-data.
    Run(till::app::run::RunArgs),
    /// Simulate trading days through the real sale rules and journal, then verify
    /// the journal and print the Z report.
    Simulate(journal_cmd::SimulateArgs),
    /// Journal tools: verify, rebuild projections, reports.
    #[command(subcommand)]
    Journal(journal_cmd::JournalCmd),
    /// Technician diagnostics: find, test and debug each peripheral.
    #[command(subcommand)]
    Diag(diag::DiagCmd),
    /// Users and PINs (every change is journaled).
    #[command(subcommand)]
    Users(users_cmd::UsersCmd),
    /// The till's own catalog, for a shop without head office: import a CSV
    /// or JSON file (the format of `headoffice load-catalog`), export, list.
    #[command(subcommand)]
    Catalog(catalog_cmd::CatalogCmd),
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Run(args) => till::app::run::run(args),
        Command::Simulate(args) => journal_cmd::simulate(args),
        Command::Journal(cmd) => journal_cmd::run(cmd),
        Command::Diag(cmd) => diag::run(cmd),
        Command::Users(cmd) => users_cmd::run(cmd),
        Command::Catalog(cmd) => catalog_cmd::run(cmd),
    };
    match code {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}
