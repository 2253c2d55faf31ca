//! A throwaway PostgreSQL cluster for tests and benchmarks: `initdb` in a
//! temporary directory, `postgres` listening on 127.0.0.1 at a free port with
//! its unix socket in that directory, stopped and deleted on drop.
//!
//! `initdb` refuses to run as root, so as root the cluster runs as the
//! unprivileged user `nobody` (through `runuser`). The binaries are looked up
//! in `$PG_BIN`, then `/usr/lib/postgresql/<newest>/bin`, then `$PATH`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Starting the cluster failed.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("PostgreSQL binaries not found (set PG_BIN or install postgresql)")]
    NotInstalled,
    #[error("{0}")]
    Setup(String),
}

/// A running throwaway cluster.
pub struct TestPg {
    dir: tempfile::TempDir,
    child: Option<Child>,
    port: u16,
    bin: PathBuf,
}

fn find_bin() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("PG_BIN") {
        let p = PathBuf::from(p);
        if p.join("initdb").exists() {
            return Some(p);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, b)| b)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A command run as `nobody` when we are root (initdb refuses root).
fn as_cluster_user(bin: &Path, prog: &str) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "nobody", "--"]).arg(bin.join(prog));
        c
    } else {
        Command::new(bin.join(prog))
    }
}

fn free_port() -> Result<u16, PgError> {
    let l = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| PgError::Setup(format!("finding a port: {e}")))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| PgError::Setup(e.to_string()))
}

impl TestPg {
    /// Whether the binaries are there (tests skip loudly when not).
    pub fn available() -> bool {
        find_bin().is_some()
    }

    /// initdb + start; `settings` are extra `-c name=value` for the server.
    pub fn start(settings: &[&str]) -> Result<TestPg, PgError> {
        let bin = find_bin().ok_or(PgError::NotInstalled)?;
        let dir = tempfile::Builder::new()
            .prefix("comptoir-pg-")
            .tempdir_in("/tmp")
            .map_err(|e| PgError::Setup(format!("temp dir: {e}")))?;
        if is_root() {
            let ok = Command::new("chown")
                .args(["nobody"])
                .arg(dir.path())
                .status()
                .map_err(|e| PgError::Setup(format!("chown: {e}")))?;
            if !ok.success() {
                return Err(PgError::Setup(
                    "chown of the cluster directory failed".into(),
                ));
            }
        }
        let data = dir.path().join("data");
        let out = as_cluster_user(&bin, "initdb")
            .arg("-D")
            .arg(&data)
            .args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ])
            .output()
            .map_err(|e| PgError::Setup(format!("initdb: {e}")))?;
        if !out.status.success() {
            return Err(PgError::Setup(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        let port = free_port()?;
        let log = std::fs::File::create(dir.path().join("postgres.log"))
            .map_err(|e| PgError::Setup(format!("log file: {e}")))?;
        if is_root() {
            let _ = Command::new("chown")
                .arg("nobody")
                .arg(dir.path().join("postgres.log"))
                .status();
        }
        let mut cmd = as_cluster_user(&bin, "postgres");
        cmd.arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-h", "127.0.0.1", "-k"])
            .arg(dir.path())
            .args(["-c", "max_connections=300"]);
        for s in settings {
            cmd.args(["-c", s]);
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| PgError::Setup(format!("starting postgres: {e}")))?;
        let mut pg = TestPg {
            dir,
            child: Some(child),
            port,
            bin,
        };
        pg.wait_ready()?;
        Ok(pg)
    }

    fn wait_ready(&mut self) -> Result<(), PgError> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if postgres::Client::connect(&self.url("postgres"), postgres::NoTls).is_ok() {
                return Ok(());
            }
            if let Some(c) = self.child.as_mut() {
                if let Ok(Some(st)) = c.try_wait() {
                    let log = std::fs::read_to_string(self.dir.path().join("postgres.log"))
                        .unwrap_or_default();
                    return Err(PgError::Setup(format!("postgres exited ({st}): {log}")));
                }
            }
            if Instant::now() > deadline {
                return Err(PgError::Setup(
                    "postgres did not accept connections in 60 s".into(),
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `postgres://postgres@127.0.0.1:PORT/DB`.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Creates a fresh database and returns its URL.
    pub fn create_db(&self, name: &str) -> Result<String, PgError> {
        let mut c = postgres::Client::connect(&self.url("postgres"), postgres::NoTls)
            .map_err(|e| PgError::Setup(e.to_string()))?;
        // Identifiers cannot be bound: accept only [a-z0-9_].
        if !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(PgError::Setup(format!("bad database name {name:?}")));
        }
        c.batch_execute(&format!("CREATE DATABASE {name}"))
            .map_err(|e| PgError::Setup(e.to_string()))?;
        Ok(self.url(name))
    }

    /// Where the binaries are.
    pub fn bin(&self) -> &Path {
        &self.bin
    }
}

impl Drop for TestPg {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            // pg_ctl, not a signal: as root the child is runuser, not postgres.
            let _ = as_cluster_user(&self.bin, "pg_ctl")
                .arg("-D")
                .arg(self.dir.path().join("data"))
                .args(["-m", "fast", "-w", "stop"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
