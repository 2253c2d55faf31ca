//! `headoffice`: the head office server and its admin commands.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use headoffice::access::{Access, Role};
use headoffice::config::Config;
use headoffice::http::AppState;
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
    /// Register a terminal of a store (creates the store); gives its token once.
    RegisterTerminal {
        #[arg(long)]
        store: String,
        #[arg(long)]
        terminal: String,
        /// Write the token to this new file, mode 0600 (else it is printed).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Read tokens for reports, the ERP feed and metrics.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Back-office accounts (owner, accountant, store manager). Passwords
    /// are read from standard input.
    #[command(subcommand)]
    User(UserCmd),
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
    /// The counter rules every till applies (versioned; see `rules set --help`).
    #[command(subcommand)]
    Rules(RulesCmd),
    /// Write the fiscal archive of a till's closed month (--period 2026-11)
    /// or year (--period 2026) from the events received (docs/archive.md).
    Archive {
        #[arg(long)]
        terminal: String,
        #[arg(long)]
        period: String,
        /// The folder the archive goes in (as OUT/<terminal>-<period>).
        #[arg(long)]
        out: PathBuf,
    },
    /// Customers with an account: add, list, show, import a CSV file.
    #[command(subcommand)]
    Customers(headoffice::customers_cmd::CustomersCmd),
}

#[derive(Subcommand)]
enum RulesCmd {
    /// Publish FILE.toml as the next ruleset version: the keys of a
    /// till.toml's `[rules]` (at the top level, or in a `[rules]` table),
    /// checked before anything is stored. Tills apply it at their next start.
    Set {
        file: PathBuf,
        /// Who sets it (kept with the version).
        #[arg(long, default_value = "headoffice-cli")]
        by: String,
    },
    /// Show the ruleset in force and its version.
    Show {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum TokenCmd {
    /// Issue a read token: feed (/v1/feed), monitoring (/metrics) or owner
    /// (reports, feed, metrics). Only its SHA-256 is kept.
    Add {
        #[arg(long, value_parser = ["feed", "monitoring", "owner"])]
        role: String,
        /// Write the token to this new file, mode 0600.
        #[arg(long)]
        out: PathBuf,
        /// A unique name to list and revoke it by (default: the file's name).
        #[arg(long)]
        label: Option<String>,
    },
    /// List read tokens (labels and roles; tokens are not kept).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a read token by its label.
    Revoke {
        #[arg(long)]
        label: String,
    },
}

#[derive(Subcommand)]
enum UserCmd {
    /// Add a user; the password is the first line of standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = ["owner", "accountant", "manager"])]
        role: String,
        /// The store a manager manages (only for --role manager).
        #[arg(long)]
        store: Option<String>,
    },
    /// List users (e-mail, role, store).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a user and end their sessions.
    Remove {
        #[arg(long)]
        email: String,
    },
    /// Set a new password (first line of standard input) and end the user's sessions.
    ResetPassword {
        #[arg(long)]
        email: String,
    },
}

/// The password: the first line of standard input (bounded; the newline
/// dropped). A person at a terminal is asked for it.
fn read_password() -> Result<String> {
    use std::io::{BufRead, IsTerminal, Read};
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!(
            "password (at least {} characters): ",
            headoffice::web::session::PASSWORD_MIN
        );
    }
    let max = headoffice::web::session::PASSWORD_MAX * 4 + 2;
    let mut line = Vec::new();
    stdin
        .lock()
        .take(max as u64 + 1)
        .read_until(b'\n', &mut line)
        .context("reading the password from standard input")?;
    if line.len() > max {
        bail!(
            "the password is too long: at most {} characters",
            headoffice::web::session::PASSWORD_MAX
        );
    }
    let text = String::from_utf8(line).context("the password is not UTF-8 text")?;
    Ok(text.trim_end_matches(['\n', '\r']).to_string())
}

fn user_cmd(cli: &Cli, cfg: &Config, cmd: &UserCmd) -> Result<()> {
    use headoffice::store::auth::BoRole;
    use headoffice::web::accounts;
    let s = open_store(cli, cfg)?;
    match cmd {
        UserCmd::Add { email, role, store } => {
            let role = BoRole::parse(role).context("--role: owner, accountant or manager")?;
            let password = read_password()?;
            let email = accounts::add_user(&*s, email, role, store.as_deref(), &password)?;
            eprintln!("user {email} added ({})", role.as_str());
            Ok(())
        }
        UserCmd::List { json } => {
            let users = s.users()?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&users)?);
            } else if users.is_empty() {
                println!("no users (headoffice user add --email E --role owner)");
            } else {
                for u in users {
                    println!(
                        "{:<32} {:<10} {:<10} {}",
                        u.email,
                        u.role.as_str(),
                        u.store_id.as_deref().unwrap_or("-"),
                        u.created_at
                    );
                }
            }
            Ok(())
        }
        UserCmd::Remove { email } => {
            accounts::remove_user(&*s, email)?;
            eprintln!("user {email} removed");
            Ok(())
        }
        UserCmd::ResetPassword { email } => {
            let password = read_password()?;
            accounts::reset_password(&*s, email, &password)?;
            eprintln!("password of {email} changed; their sessions are ended");
            Ok(())
        }
    }
}

/// A new token written to `out` (0600, never overwriting a file).
fn new_token_file(out: &std::path::Path) -> Result<String> {
    let token =
        headoffice::new_token().map_err(|e| anyhow::anyhow!("drawing a random token: {e}"))?;
    headoffice::access::write_secret_file(out, &token).with_context(|| {
        format!(
            "writing {} (it must not exist yet; the token file is created 0600)",
            out.display()
        )
    })?;
    Ok(token)
}

fn token_cmd(cli: &Cli, cfg: &Config, cmd: &TokenCmd) -> Result<()> {
    let s = open_store(cli, cfg)?;
    match cmd {
        TokenCmd::Add { role, out, label } => {
            let role = Role::parse(role).context("--role: feed, monitoring or owner")?;
            let label = match label {
                Some(l) => l.clone(),
                None => out
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .context("--out names no file")?,
            };
            if label.trim().is_empty() {
                bail!("--label must not be empty");
            }
            // The label is checked before the file is written, so a refusal leaves nothing behind.
            if s.read_tokens()?.iter().any(|t| t.label == label) {
                bail!("a read token labelled {label:?} exists; revoke it first or pass another --label");
            }
            let token = new_token_file(out)?;
            if let Err(e) = s.add_read_token(&label, role, &headoffice::token_sha256(&token)) {
                let _ = std::fs::remove_file(out);
                return Err(e).context("storing the token's hash");
            }
            eprintln!(
                "{} token {label:?} written to {} (mode 0600; head office keeps only its hash)",
                role.as_str(),
                out.display()
            );
            Ok(())
        }
        TokenCmd::List { json } => {
            let t = s.read_tokens()?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&t)?);
            } else if t.is_empty() {
                println!("no read tokens");
            } else {
                for r in t {
                    println!("{:<24} {:<10} {}", r.label, r.role, r.created_at);
                }
            }
            Ok(())
        }
        TokenCmd::Revoke { label } => {
            if !s.revoke_read_token(label)? {
                bail!("no read token labelled {label:?} (headoffice token list)");
            }
            eprintln!("read token {label:?} revoked");
            Ok(())
        }
    }
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
        Cmd::Rules(cmd) => rules_cmd(open_store(&cli, &cfg)?.as_ref(), cmd),
        Cmd::Archive {
            terminal,
            period,
            out,
        } => {
            let kind = match period.len() {
                4 => till_core::records::ClosingKind::Year,
                _ => till_core::records::ClosingKind::Month,
            };
            let s = open_store(&cli, &cfg)?;
            let w = headoffice::archive::write(
                s.as_ref(),
                terminal,
                kind,
                period,
                out,
                env!("CARGO_PKG_VERSION"),
            )?;
            println!(
                "archive fiscale écrite dans {} : {} événements (seq {} à {}) ; vérification : comptoir-verify {}",
                w.dir.display(),
                w.events,
                w.first_seq,
                w.last_seq,
                w.dir.display()
            );
            Ok(())
        }
        Cmd::Customers(cmd) => {
            headoffice::customers_cmd::run(open_store(&cli, &cfg)?.as_ref(), cmd)
        }
        Cmd::Serve { listen } => serve(&cli, &cfg, listen.clone()),
        Cmd::RegisterTerminal {
            store,
            terminal,
            out,
        } => {
            if store.trim().is_empty() || terminal.trim().is_empty() {
                bail!("--store and --terminal must not be empty");
            }
            let s = open_store(&cli, &cfg)?;
            let token = match out {
                Some(out) => new_token_file(out)?,
                None => headoffice::new_token()
                    .map_err(|e| anyhow::anyhow!("drawing a random token: {e}"))?,
            };
            if let Err(e) = s.register_terminal(store, terminal, &headoffice::token_sha256(&token))
            {
                if let Some(out) = out {
                    let _ = std::fs::remove_file(out);
                }
                return Err(e).with_context(|| format!("registering terminal {terminal}"));
            }
            match out {
                Some(out) => eprintln!(
                    "terminal {terminal} of store {store} registered; its token is in {} (mode 0600; head office keeps only a hash)",
                    out.display()
                ),
                None => {
                    eprintln!("terminal {terminal} of store {store} registered; its token (shown once, head office keeps only a hash):");
                    println!("{token}");
                }
            }
            Ok(())
        }
        Cmd::Token(cmd) => token_cmd(&cli, &cfg, cmd),
        Cmd::User(cmd) => user_cmd(&cli, &cfg, cmd),
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
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in a log file.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let listen = listen
        .or_else(|| cfg.listen.clone())
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let store = open_store(cli, cfg)?;
    let admin_token_sha256 = match &cfg.admin_token_file {
        Some(p) => {
            let t =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            if t.trim().is_empty() {
                bail!("{}: the admin token file is empty", p.display());
            }
            Some(headoffice::token_sha256(&t))
        }
        None => None,
    };
    let access = Access {
        public_reports: cfg.public_reports.unwrap_or(false),
        admin_token_sha256,
    };
    if access.public_reports {
        tracing::warn!("public_reports = true: reports, the ERP feed and /metrics answer anyone, without a credential");
    } else {
        tracing::info!("reports, the ERP feed and /metrics need a read token (headoffice token add --role feed|monitoring|owner)");
    }
    let limits = cfg.limits();
    tracing::info!(
        max_connections = limits.max_connections,
        header_read_timeout_s = limits.header_read_timeout.as_secs(),
        idle_timeout_s = limits.idle_timeout.as_secs(),
        "connection limits"
    );
    let state = AppState {
        store,
        metrics: Arc::new(Metrics::default()),
        limits,
        access,
        backoffice: cfg.backoffice(),
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
        tracing::info!("back office: http://{addr}/ (accounts: headoffice user add)");
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

fn rules_cmd(s: &dyn Store, cmd: &RulesCmd) -> Result<()> {
    match cmd {
        RulesCmd::Set { file, by } => {
            let rules = headoffice::store::rules::read_file(file)?;
            let v = s
                .set_ruleset(&rules, by)
                .with_context(|| format!("publishing {}", file.display()))?;
            eprintln!(
                "ruleset version {v} published from {} (tills apply it at their next start)",
                file.display()
            );
            Ok(())
        }
        RulesCmd::Show { json } => {
            let r = s.ruleset_since(0)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                match r {
                    None => println!("no ruleset published: tills apply their own [rules]"),
                    Some(r) => {
                        println!("version {} set {} by {}", r.version, r.set_at, r.set_by);
                        println!("{}", toml::to_string(&r.rules)?);
                    }
                }
            }
            Ok(())
        }
    }
}
