//! The back office as an owner meets it: the real `headoffice serve` binary
//! on a SQLite file in a temporary directory, users created by the real
//! `headoffice user add` (password on standard input), trading days made by
//! the real `till simulate` and delivered by `till-sync once`
//! ([`crate::system`]'s configuration and runner), and a [`Browser`] logged in.

use crate::browser::Browser;
use crate::shell::{till_binary, workspace_binary};
use crate::system;
use chrono::NaiveDate;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The `headoffice` binary of this build.
pub fn headoffice() -> Command {
    Command::new(workspace_binary("headoffice", "headoffice"))
}

/// `headoffice serve` as a child process, on a free loopback port.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    /// `sqlite:PATH`
    pub db: String,
}

impl Server {
    /// Serves `db` (e.g. `sqlite:/tmp/x/ho.db`) on 127.0.0.1:0; returns once
    /// it printed the port it listens on.
    pub fn start(db: &str) -> Server {
        let mut child = headoffice()
            .args(["--db", db, "serve", "--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawning headoffice serve");
        let out = child.stdout.take().expect("stdout piped");
        let mut lines = BufReader::new(out).lines();
        let addr = loop {
            match lines.next() {
                Some(Ok(l)) => {
                    if let Some(a) = l.strip_prefix("listening on ") {
                        break a.trim().parse().expect("an address after 'listening on'");
                    }
                }
                _ => {
                    let st = child.wait();
                    panic!("headoffice serve ended before listening: {st:?}");
                }
            }
        };
        // Keep draining its standard output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Server {
            child,
            addr,
            db: db.to_string(),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `headoffice user add`, the password on standard input; panics with its
/// message when refused.
pub fn user_add(db: &str, email: &str, role: &str, store: Option<&str>, password: &str) {
    let mut cmd = headoffice();
    cmd.args(["--db", db, "user", "add", "--email", email, "--role", role]);
    if let Some(s) = store {
        cmd.args(["--store", s]);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning headoffice user add");
    child
        .stdin
        .take()
        .expect("stdin piped")
        .write_all(format!("{password}\n").as_bytes())
        .expect("writing the password");
    let out = child.wait_with_output().expect("headoffice user add");
    assert!(
        out.status.success(),
        "headoffice user add --email {email} --role {role}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `headoffice load-catalog FILE`.
pub fn load_catalog(db: &str, file: &Path) {
    let out = headoffice()
        .args(["--db", db, "load-catalog"])
        .arg(file)
        .output()
        .expect("headoffice load-catalog");
    assert!(
        out.status.success(),
        "headoffice load-catalog: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `till simulate`: `sales` sales over `days` days from `start` (a new
/// journal; an existing one continues after its last Z). Its key is beside it.
pub fn simulate(
    journal: &Path,
    terminal: &str,
    shop: &str,
    sales: u64,
    days: u32,
    start: NaiveDate,
    seed: u64,
) {
    let out = Command::new(till_binary())
        .args(["simulate", "--quiet", "--db"])
        .arg(journal)
        .args(["--terminal", terminal, "--shop", shop])
        .args(["--sales", &sales.to_string(), "--days", &days.to_string()])
        .args(["--start", &start.to_string(), "--seed", &seed.to_string()])
        .args(["--batch", "100"])
        .output()
        .expect("till simulate");
    assert!(
        out.status.success(),
        "till simulate: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A terminal of a store, with its journal and its sync configuration.
pub struct Till {
    pub journal: PathBuf,
    pub config: PathBuf,
    pub terminal: String,
    pub store: String,
}

impl Till {
    /// Registers `terminal` of `store` with head office and writes its
    /// `sync.toml` in `dir/terminal/` (the catalog lands there as `catalog.db`).
    pub fn new(dir: &Path, server: &Server, store: &str, terminal: &str) -> Till {
        let home = dir.join(terminal);
        std::fs::create_dir_all(&home).expect("till directory");
        let journal = home.join("journal.db");
        let token = system::register(&server.db, store, terminal);
        let config = system::sync_config(&home, &server.url(), &token, &journal, "");
        Till {
            journal,
            config,
            terminal: terminal.into(),
            store: store.into(),
        }
    }

    pub fn simulate(&self, sales: u64, days: u32, start: NaiveDate, seed: u64) {
        simulate(
            &self.journal,
            &self.terminal,
            &self.store,
            sales,
            days,
            start,
            seed,
        );
    }

    /// `till-sync once`: pushes the journal, pulls the catalog.
    pub fn sync(&self) {
        let (code, out) = system::once(&self.config);
        assert_eq!(code, 0, "till-sync once: {out}");
    }

    /// The catalog file `till-sync` keeps for the counter.
    pub fn catalog(&self) -> PathBuf {
        self.config
            .parent()
            .expect("config in a directory")
            .join("catalog.db")
    }
}

/// Head office's local calendar day, the one Today shows (the child
/// inherits the test's TZ).
pub fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// Logs in through the form at `/login`; returns once the page after it loaded.
pub fn login(b: &Browser, base: &str, email: &str, password: &str) {
    b.goto(&format!("{base}/login"));
    b.fill("#email", email);
    b.fill("#password", password);
    b.click("form[action='/login'] button[type=submit]");
    b.wait_until("leaving the login page", Duration::from_secs(10), |b| {
        !b.current_url().ends_with("/login") || b.exists("[role=alert]")
    });
}

/// The demo shop's catalog (the one `till simulate` sells from) as a head
/// office CSV, every item alerting below `low_stock` when given.
pub fn demo_catalog_csv(path: &Path, low_stock: Option<u32>) {
    let (items, _) = till::demo::catalog().expect("the demo catalog");
    let mut csv = String::from("id,name,price,vat_rate,unit,low_stock\n");
    for i in items {
        let unit = match i.unit {
            till_core::records::Unit::Piece => "piece",
            till_core::records::Unit::Kg => "kg",
        };
        let name = i.name.replace('"', "\"\"");
        let low = low_stock.map(|n| n.to_string()).unwrap_or_default();
        csv.push_str(&format!(
            "{},\"{name}\",{},{},{unit},{low}\n",
            i.id,
            i.price,
            i.vat_rate.as_percent()
        ));
    }
    std::fs::write(path, csv).expect("writing the catalog CSV");
}
