//! `headoffice`: the head office server and its admin commands.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use headoffice::config::Config;
use headoffice::http::{AppState, Limits};
use headoffice::metrics::Metrics;
use headoffice::store::{self, Store};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "headoffice",
    version,
    about = "comptoir head office: ingest, catalog, reports"
)]
struct Cli {
    /// Configuration file (headoffice.toml); flags win over it.
    #[arg(long, global = true, env = "HEADOFFICE_CONFIG")]
    config: Option<PathBuf>,
    /// Database: sqlite:PATH or postgres://...
    #[arg(long, global = true, env = "HEADOFFICE_DB")]
    db: Option<String>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the HTTP API.
    Serve {
        /// Address to listen on.
        #[arg(long)]
        listen: Option<String>,
    },
    /// Register a terminal of a store (creates the store); prints its token once.
    RegisterTerminal {
        #[arg(long)]
        store: String,
        #[arg(long)]
        terminal: String,
    },
    /// Load a catalog (JSON or CSV, by extension) as a new catalog version.
    LoadCatalog { file: PathBuf },
    /// List terminals with their sync state.
    Terminals {
        #[arg(long)]
        json: bool,
    },
    /// List alerts (chains broken, hashes that do not match, bad tail markers, low stock).
    Alerts {
        #[arg(long)]
        json: bool,
    },
}

fn open_store(cli: &Cli, cfg: &Config) -> Result<Arc<dyn Store>> {
    let db = cli.db.clone().or_else(|| cfg.db.clone()).context(
        "no database: pass --db sqlite:PATH (or postgres://...) or set db in the config",
    )?;
    store::open(&db).with_context(|| format!("opening {db}"))
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let cfg = match &cli.config {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    match &cli.cmd {
        Cmd::Serve { listen } => serve(&cli, &cfg, listen.clone()),
        Cmd::RegisterTerminal { store, terminal } => {
            if store.trim().is_empty() || terminal.trim().is_empty() {
                bail!("--store and --terminal must not be empty");
            }
            let s = open_store(&cli, &cfg)?;
            let token = headoffice::new_token()
                .map_err(|e| anyhow::anyhow!("drawing a random token: {e}"))?;
            s.register_terminal(store, terminal, &headoffice::token_sha256(&token))
                .with_context(|| format!("registering terminal {terminal}"))?;
            eprintln!("terminal {terminal} of store {store} registered; its token (shown once, head office keeps only a hash):");
            println!("{token}");
            Ok(())
        }
        Cmd::LoadCatalog { file } => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            let rows = match file.extension().and_then(|e| e.to_str()) {
                Some("csv") => headoffice::load::parse_csv(&text),
                Some("json") => headoffice::load::parse_json(&text),
                _ => bail!("{}: name it .json or .csv", file.display()),
            }
            .with_context(|| format!("reading {}", file.display()))?;
            let s = open_store(&cli, &cfg)?;
            let v = s.load_catalog(&rows).context("storing the catalog")?;
            println!("loaded {} rows; catalog version {v}", rows.len());
            Ok(())
        }
        Cmd::Terminals { json } => {
            let s = open_store(&cli, &cfg)?;
            let t = s.terminals()?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&t)?);
            } else {
                println!(
                    "{:<12} {:<10} {:>10} {:>10} {:>6}  last seen",
                    "terminal", "store", "last seq", "events", "alerts"
                );
                for r in t {
                    println!(
                        "{:<12} {:<10} {:>10} {:>10} {:>6}  {}",
                        r.terminal_id,
                        r.store_id,
                        r.last_seq,
                        r.events,
                        r.alerts,
                        r.last_seen.as_deref().unwrap_or("never")
                    );
                }
            }
            Ok(())
        }
        Cmd::Alerts { json } => {
            let s = open_store(&cli, &cfg)?;
            let a = s.alerts()?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&a)?);
            } else if a.is_empty() {
                println!("no alerts");
            } else {
                for r in a {
                    let cleared = r
                        .cleared_at
                        .map(|c| format!(" [cleared {c}]"))
                        .unwrap_or_default();
                    println!(
                        "{} {} {} seq {} (x{}): {}{cleared}",
                        r.at, r.terminal_id, r.code, r.seq, r.count, r.detail
                    );
                }
            }
            Ok(())
        }
    }
}

fn serve(cli: &Cli, cfg: &Config, listen: Option<String>) -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let listen = listen
        .or_else(|| cfg.listen.clone())
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let store = open_store(cli, cfg)?;
    let admin_token_sha256 = match &cfg.admin_token_file {
        Some(p) => {
            let t =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            Some(headoffice::token_sha256(&t))
        }
        None => None,
    };
    let defaults = Limits::default();
    let state = AppState {
        store,
        metrics: Arc::new(Metrics::default()),
        limits: Limits {
            max_body_bytes: cfg.max_body_bytes.unwrap_or(defaults.max_body_bytes),
            max_batch_events: cfg.max_batch_events.unwrap_or(defaults.max_batch_events),
        },
        admin_token_sha256,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let addr = listener.local_addr().context("local address")?;
        // Tests and scripts read this line to learn the port of --listen 127.0.0.1:0.
        println!("listening on {addr}");
        tracing::info!(%addr, "head office listening");
        // systemd stops with SIGTERM, a terminal with ^C: finish the requests
        // in flight (each batch commits or rolls back whole anyway).
        let shutdown = async {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{signal, SignalKind};
                match signal(SignalKind::terminate()) {
                    Ok(mut term) => {
                        tokio::select! {
                            _ = tokio::signal::ctrl_c() => {}
                            _ = term.recv() => {}
                        }
                    }
                    Err(_) => {
                        let _ = tokio::signal::ctrl_c().await;
                    }
                }
            }
            #[cfg(not(unix))]
            {
                let _ = tokio::signal::ctrl_c().await;
            }
            tracing::info!("shutting down");
        };
        headoffice::serve(listener, state, shutdown)
            .await
            .context("serving")
    })
}
