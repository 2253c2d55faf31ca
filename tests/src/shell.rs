//! Running documented commands as a reader would: `bash`, in a scratch
//! folder laid out like the checkout (`target/release/till`, `hw-fixtures/`,
//! `config/`), with `till` also on `PATH`, background commands kept running
//! until the session ends.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::doc::DocCommand;

/// The repository's root (this package lives in `tests/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The `till` binary of the profile this test was built with.
pub fn till_binary() -> PathBuf {
    workspace_binary("till", "till")
}

/// The binary `bin` of workspace package `package`, for the profile this
/// test was built with. Another package's binary has no `CARGO_BIN_EXE_*`
/// here, so it is found beside this test's own executable: `cargo test
/// --workspace` builds it (the package's own tests need it) before any test
/// runs. Cargo is called only when it is missing or older than a source file
/// (`cargo test -p comptoir-e2e` alone after an edit): never in a workspace
/// run, where a build of one package alone (other features unified) would
/// relink the binary other tests use. Checked once per test process, one
/// check at a time (a test binary's tests run in parallel threads).
pub fn workspace_binary(package: &str, bin: &str) -> PathBuf {
    static CHECKED: std::sync::Mutex<Vec<(String, PathBuf)>> = std::sync::Mutex::new(Vec::new());
    let mut checked = CHECKED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, p)) = checked.iter().find(|(b, _)| b == bin) {
        return p.clone();
    }
    let path = find_or_build(package, bin);
    checked.push((bin.to_string(), path.clone()));
    path
}

fn find_or_build(package: &str, bin: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    // target/<profile>/deps/<test>: the binaries are in target/<profile>.
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary under target/<profile>/deps")
        .to_path_buf();
    let path = profile_dir.join(bin);
    let built = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
    if built.is_some_and(|b| newest_source(&repo_root()).is_none_or(|s| s <= b)) {
        return path;
    }
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(repo_root())
        .args(["build", "--quiet", "-p", package, "--bin", bin]);
    if release {
        build.arg("--release");
    }
    let status = build
        .status()
        .unwrap_or_else(|e| panic!("running cargo build -p {package}: {e}"));
    assert!(status.success(), "cargo build -p {package} failed");
    assert!(path.is_file(), "{} was not built", path.display());
    path
}

/// When the newest Rust source, manifest or lock file of the crates was
/// last changed.
fn newest_source(root: &Path) -> Option<std::time::SystemTime> {
    let mut newest = std::fs::metadata(root.join("Cargo.lock"))
        .and_then(|m| m.modified())
        .ok();
    let mut dirs = vec![root.join("crates")];
    while let Some(d) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.map_while(Result::ok) {
            let p = e.path();
            let name = e.file_name();
            let name = name.to_string_lossy();
            if p.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    dirs.push(p);
                }
            } else if name.ends_with(".rs") || name == "Cargo.toml" {
                let m = e.metadata().and_then(|m| m.modified()).ok();
                newest = newest.max(m);
            }
        }
    }
    newest
}

/// What a command did.
#[derive(Debug)]
pub struct Ran {
    /// Exit code (None: killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// A command left running in the background, and the first line it printed.
pub struct Background {
    /// The command as documented.
    pub command: String,
    /// Its first line of output (a simulator's address).
    pub first_line: String,
    child: Child,
}

/// A shell session in a scratch folder.
pub struct Session {
    dir: tempfile::TempDir,
    prelude: Vec<String>,
    background: Vec<Background>,
    /// How long a foreground command may take.
    pub timeout: Duration,
}

impl Session {
    /// A scratch folder with `target/release/till` (and `bin/till` on PATH)
    /// pointing at `till`, `headoffice` and `comptoir-verify` beside it, and the checkout's `hw-fixtures/` and `config/`.
    pub fn new(till: &Path) -> Session {
        let dir = tempfile::tempdir().expect("scratch folder");
        let root = repo_root();
        for sub in ["target/release", "bin"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("scratch layout");
            std::os::unix::fs::symlink(till, dir.path().join(sub).join("till"))
                .expect("linking till");
            // Head office's binary and the auditor's verifier are built
            // beside the till's (the README runs both).
            for other in ["headoffice", "comptoir-verify"] {
                std::os::unix::fs::symlink(
                    till.with_file_name(other),
                    dir.path().join(sub).join(other),
                )
                .expect("linking a workspace binary");
            }
        }
        for shared in ["hw-fixtures", "config"] {
            std::os::unix::fs::symlink(root.join(shared), dir.path().join(shared))
                .expect("linking the checkout's files");
        }
        Session {
            dir,
            prelude: Vec::new(),
            background: Vec::new(),
            timeout: Duration::from_secs(300),
        }
    }

    /// The scratch folder (what the commands see as `.`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The commands still running in the background.
    pub fn background(&self) -> &[Background] {
        &self.background
    }

    fn bash(&self, code: &str) -> Command {
        let path = format!(
            "{}:{}",
            self.dir().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let script = format!("set -o pipefail\n{}\n{code}\n", self.prelude.join("\n"));
        let mut c = Command::new("bash");
        c.arg("-c")
            .arg(script)
            .current_dir(self.dir())
            .env("PATH", path)
            // Hermetic: the reader's own settings must not change what runs.
            .env_remove("TILL_CONFIG")
            .env_remove("TILL_DB")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, so whatever it starts can be stopped.
            .process_group(0);
        c
    }

    /// Run one documented command: a variable is remembered for the next
    /// ones, a `... &` is started and kept running once it has printed its
    /// first line, anything else runs to completion (within `timeout`).
    pub fn run(&mut self, cmd: &DocCommand) -> Ran {
        if cmd.assignment().is_some() {
            self.prelude.push(cmd.code().to_string());
            return Ran {
                code: Some(0),
                stdout: String::new(),
                stderr: String::new(),
            };
        }
        if cmd.background() {
            return self.start(cmd);
        }
        let mut child = self.bash(cmd.code()).spawn().expect("starting bash");
        let out = drain(child.stdout.take());
        let err = drain(child.stderr.take());
        let deadline = Instant::now() + self.timeout;
        let status = loop {
            if let Some(s) = child.try_wait().expect("waiting for bash") {
                break Some(s);
            }
            if Instant::now() > deadline {
                kill_group(&mut child);
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Ran {
            code: status.and_then(|s| s.code()),
            stdout: out.recv().unwrap_or_default(),
            stderr: err.recv().unwrap_or_default(),
        }
    }

    /// Start a background command and wait for its first line of output:
    /// a simulator prints its address once it is ready, which is what a
    /// reader waits for before typing the next command.
    fn start(&mut self, cmd: &DocCommand) -> Ran {
        let code = cmd.code().trim_end_matches('&').trim();
        let mut child = self.bash(code).spawn().expect("starting bash");
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped stdout");
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next().and_then(Result::ok));
            // Keep reading: a simulator must not die on a full pipe.
            for _ in lines.map_while(Result::ok) {}
        });
        let err = drain(child.stderr.take());
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(Some(first_line)) => {
                self.background.push(Background {
                    command: cmd.text.clone(),
                    first_line: first_line.clone(),
                    child,
                });
                Ran {
                    code: Some(0),
                    stdout: first_line,
                    stderr: String::new(),
                }
            }
            _ => {
                kill_group(&mut child);
                Ran {
                    code: None,
                    stdout: String::new(),
                    stderr: format!(
                        "printed nothing within 30 s; stderr: {}",
                        err.recv().unwrap_or_default()
                    ),
                }
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        for b in &mut self.background {
            kill_group(&mut b.child);
        }
    }
}

/// Read a pipe to its end on a thread (so a chatty command never blocks).
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(mut p) = pipe {
            let mut bytes = Vec::new();
            let _ = p.read_to_end(&mut bytes);
            s = String::from_utf8_lossy(&bytes).into_owned();
        }
        let _ = tx.send(s);
    });
    rx
}

/// Stop a command and everything it started (its process group).
fn kill_group(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", "--", &format!("-{}", child.id())])
        .stderr(Stdio::null())
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}
