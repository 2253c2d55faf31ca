//! `till-sync`: the till's sync daemon.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use till_sync::{events, Config, Syncer};

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
    /// Events waiting, last success, last error; exit 1 if the journal
    /// cannot be delivered as it is (damaged index, cursor past its end).
    Status {
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    match real_main() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("till-sync: {}", chain(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes, each said once: a cause whose text its
/// parent's message already holds is not repeated.
fn chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let s = cause.to_string();
        if out.contains(&s) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&s);
    }
    out
}

fn real_main() -> Result<ExitCode> {
    let cli = Cli::parse();
    // Config errors name the file themselves.
    let cfg = Config::load(&cli.config)?;
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
                    "duplicates_this_pass": r.as_ref().map(|p| p.duplicates).unwrap_or(0),
                    "error": r.as_ref().err().map(|e| e.to_string()),
                    "status": st,
                });
                println!("{v}");
            } else {
                match &r {
                    Ok(p) if p.duplicates > 0 => println!(
                        "delivered: {} acknowledged this pass ({} of them already held by head office), {} waiting",
                        events(p.acked),
                        p.duplicates,
                        st.waiting
                    ),
                    Ok(p) => println!(
                        "delivered: {} acknowledged this pass, {} waiting",
                        events(p.acked),
                        st.waiting
                    ),
                    Err(e) => println!("NOT delivered: {e} ({} waiting)", events(st.waiting)),
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
                if let Some(p) = &st.problem {
                    println!("PROBLEM: {p}");
                }
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
            Ok(match st.problem {
                Some(_) => ExitCode::from(1),
                None => ExitCode::SUCCESS,
            })
        }
    }
}
