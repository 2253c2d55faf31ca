//! `till-sync`: the till's sync daemon.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use till_sync::{Config, Syncer};

#[derive(Parser)]
#[command(
    name = "till-sync",
    version,
    about = "comptoir sync daemon: journal up to head office, catalog down"
)]
struct Cli {
    /// Configuration file.
    #[arg(
        long,
        env = "TILL_SYNC_CONFIG",
        default_value = "/etc/comptoir/sync.toml"
    )]
    config: PathBuf,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run until stopped (safe to kill at any instant: delivery resumes from the cursor).
    Run,
    /// One pass; exit 0 if everything was delivered, 1 if not.
    Once {
        #[arg(long)]
        json: bool,
    },
    /// Events waiting, last success, last error.
    Status {
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    match real_main() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("till-sync: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn real_main() -> Result<ExitCode> {
    let cli = Cli::parse();
    let cfg =
        Config::load(&cli.config).with_context(|| format!("reading {}", cli.config.display()))?;
    match cli.cmd {
        Cmd::Run => {
            let mut s = Syncer::open(cfg).context("starting")?;
            eprintln!(
                "till-sync: running for terminal {}",
                s.journal().terminal_id()
            );
            let stop = AtomicBool::new(false);
            s.run(&stop, |m| eprintln!("till-sync: {m}"));
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Once { json } => {
            let mut s = Syncer::open(cfg.clone()).context("starting")?;
            let r = s.once();
            let st = till_sync::status(&cfg).context("reading the status")?;
            let ok = r.is_ok();
            if json {
                let v = serde_json::json!({
                    "delivered": ok,
                    "acked_this_pass": r.as_ref().map(|p| p.acked).unwrap_or(0),
                    "error": r.as_ref().err().map(|e| e.to_string()),
                    "status": st,
                });
                println!("{v}");
            } else {
                match &r {
                    Ok(p) => println!(
                        "delivered: {} events acknowledged this pass, {} waiting",
                        p.acked, st.waiting
                    ),
                    Err(e) => println!("NOT delivered: {e} ({} events waiting)", st.waiting),
                }
            }
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Cmd::Status { json } => {
            let st = till_sync::status(&cfg).context("reading the status")?;
            if json {
                println!("{}", serde_json::to_string_pretty(&st)?);
            } else {
                println!("terminal {}", st.terminal_id);
                println!(
                    "events waiting: {} (journal head {}, acknowledged up to {})",
                    st.waiting, st.journal_head, st.acked_seq
                );
                println!(
                    "last success: {}",
                    st.last_success.as_deref().unwrap_or("never")
                );
                match (&st.last_error_at, &st.last_error) {
                    (Some(at), Some(e)) => println!("last error: {at}: {e}"),
                    _ => println!("last error: none"),
                }
                if st.consecutive_failures > 0 {
                    println!("failing for {} passes in a row", st.consecutive_failures);
                }
                println!("catalog version: {}", st.catalog_version);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
