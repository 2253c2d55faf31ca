//! The operator's side of credentials: token files written 0600, read tokens
//! issued by role and kept as hashes, the start-up line that says who may
//! read, no colour codes in a redirected log, and config values checked.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn ho() -> Command {
    Command::new(env!("CARGO_BIN_EXE_headoffice"))
}

fn run(args: &[&str]) -> std::process::Output {
    ho().args(args).output().expect("run headoffice")
}

fn ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
}

fn get(addr: &str, path: &str, auth: Option<&str>) -> String {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let auth = auth
        .map(|t| format!("Authorization: bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )
    .expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    out
}

#[test]
fn token_files_are_0600_and_only_hashes_are_stored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dbp = dir.path().join("ho.db");
    let db = format!("sqlite:{}", dbp.display());
    let t01 = dir.path().join("t01.token");
    let out = run(&[
        "--db",
        &db,
        "register-terminal",
        "--store",
        "S1",
        "--terminal",
        "T01",
        "--out",
        t01.to_str().expect("utf8"),
    ]);
    ok(&out);
    assert!(out.stdout.is_empty(), "the token goes to the file only");
    assert_eq!(mode(&t01), 0o600);
    let token = std::fs::read_to_string(&t01).expect("token");
    assert_eq!(token.trim().len(), 64);
    // Never over an existing file.
    let again = run(&[
        "--db",
        &db,
        "register-terminal",
        "--store",
        "S1",
        "--terminal",
        "T01",
        "--out",
        t01.to_str().expect("utf8"),
    ]);
    assert!(!again.status.success());
    assert_eq!(
        std::fs::read_to_string(&t01).expect("token"),
        token,
        "the first token is untouched"
    );

    let mut read_tokens = Vec::new();
    for role in ["feed", "monitoring", "owner"] {
        let f = dir.path().join(format!("{role}.token"));
        let out = run(&[
            "--db",
            &db,
            "token",
            "add",
            "--role",
            role,
            "--out",
            f.to_str().expect("utf8"),
        ]);
        ok(&out);
        assert_eq!(mode(&f), 0o600, "{role}");
        read_tokens.push(
            std::fs::read_to_string(&f)
                .expect("token")
                .trim()
                .to_string(),
        );
    }
    let bad = run(&[
        "--db",
        &db,
        "token",
        "add",
        "--role",
        "admin",
        "--out",
        dir.path().join("x").to_str().expect("utf8"),
    ]);
    assert!(!bad.status.success());
    assert!(!dir.path().join("x").exists());
    let list = run(&["--db", &db, "token", "list"]);
    ok(&list);
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.contains("feed.token") && list.contains("monitoring") && list.contains("owner"),
        "{list}"
    );

    let raw = std::fs::read(&dbp).expect("db");
    for t in read_tokens.iter().chain([&token.trim().to_string()]) {
        assert!(
            !raw.windows(t.len()).any(|w| w == t.as_bytes()),
            "a token is in the database"
        );
    }

    // Served: the start-up line says reads need a token; no colour codes in a file.
    let log = dir.path().join("serve.log");
    let mut child = ho()
        .args(["--db", &db, "serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("log"))
        .spawn()
        .expect("serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("line");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .expect("listening line")
        .to_string();
    assert!(get(&addr, "/metrics", None).starts_with("HTTP/1.1 401"));
    assert!(get(&addr, "/metrics", Some(&read_tokens[1])).starts_with("HTTP/1.1 200"));
    assert!(get(&addr, "/v1/feed", Some(&read_tokens[1])).starts_with("HTTP/1.1 403"));
    assert!(get(&addr, "/v1/feed", Some(&read_tokens[0])).starts_with("HTTP/1.1 200"));
    let revoke = run(&["--db", &db, "token", "revoke", "--label", "feed.token"]);
    ok(&revoke);
    assert!(get(&addr, "/v1/feed", Some(&read_tokens[0])).starts_with("HTTP/1.1 401"));
    let deadline = Instant::now() + Duration::from_secs(10);
    let text = loop {
        let t = std::fs::read_to_string(&log).unwrap_or_default();
        if t.contains("read token") || Instant::now() > deadline {
            break t;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(text.contains("need a read token"), "{text}");
    assert!(
        !text.contains('\x1b'),
        "colour codes in a redirected log: {text:?}"
    );
}

#[test]
fn public_reports_is_said_at_start_and_config_numbers_are_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite:{}", dir.path().join("ho.db").display());
    let cfg = dir.path().join("headoffice.toml");
    std::fs::write(&cfg, format!("db = \"{db}\"\npublic_reports = true\n")).expect("cfg");
    let log = dir.path().join("serve.log");
    let mut child = ho()
        .args([
            "--config",
            cfg.to_str().expect("utf8"),
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("log"))
        .spawn()
        .expect("serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("line");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .expect("listening line")
        .to_string();
    assert!(get(&addr, "/v1/reports/sales", None).starts_with("HTTP/1.1 200"));
    let _ = child.kill();
    let _ = child.wait();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(text.contains("public_reports = true"), "{text}");

    for (body, key) in [
        ("max_connections = 0", "max_connections"),
        ("idle_timeout_seconds = 1e300", "idle_timeout_seconds"),
        (
            "header_read_timeout_seconds = 100000",
            "header_read_timeout_seconds",
        ),
        ("max_body_bytes = -1", "max_body_bytes"),
        ("public_report = true", "public_report"),
    ] {
        std::fs::write(&cfg, format!("db = \"{db}\"\n{body}\n")).expect("cfg");
        let out = run(&["--config", cfg.to_str().expect("utf8"), "terminals"]);
        assert!(!out.status.success(), "{body} accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(key), "{body}: {err}");
    }
}

/// The README's catalog step loads a file that is in the repository, and the
/// README documents that file's header.
#[test]
fn the_readme_catalog_sample_loads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("crates/headoffice/README.md")).expect("README");
    assert!(readme.contains("load-catalog config/catalog-sample.csv"));
    let sample = root.join("config/catalog-sample.csv");
    let text = std::fs::read_to_string(&sample).expect("config/catalog-sample.csv");
    let header = text.lines().next().expect("header");
    assert!(
        readme.contains(header),
        "the README documents the header {header:?}"
    );
    assert!(readme.contains("Required: `id,name,price,vat_rate,unit`"));
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite:{}", dir.path().join("ho.db").display());
    let out = run(&["--db", &db, "load-catalog", sample.to_str().expect("utf8")]);
    ok(&out);
    let rows = text.lines().count() - 1;
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("loaded {rows} rows")),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
