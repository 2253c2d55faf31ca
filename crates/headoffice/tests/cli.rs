//! The `headoffice` binary: admin commands and `serve`, as an operator runs them.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

fn ho() -> Command {
    Command::new(env!("CARGO_BIN_EXE_headoffice"))
}

fn http_get(addr: &str, path: &str) -> String {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    out
}

#[test]
fn admin_commands_and_serve() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite:{}", dir.path().join("ho.db").display());

    let out = ho()
        .args([
            "--db",
            &db,
            "register-terminal",
            "--store",
            "S1",
            "--terminal",
            "T01",
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_eq!(token.len(), 64, "a 32-byte hex token: {token}");
    // Only its hash is stored.
    let raw = std::fs::read(dir.path().join("ho.db")).expect("db");
    assert!(!raw.windows(token.len()).any(|w| w == token.as_bytes()));

    let csv = dir.path().join("cat.csv");
    std::fs::write(
        &csv,
        "id,name,price,vat_rate,unit\nA1,Pain,1.20,5.5,piece\nA2,Pommes,2.99,5.5,kg\n",
    )
    .expect("csv");
    let out = ho()
        .args(["--db", &db, "load-catalog"])
        .arg(&csv)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("catalog version 1"));
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "id,name,price,vat_rate,unit\nA1,Pain,cheap,5.5,piece\n",
    )
    .expect("csv");
    let out = ho()
        .args(["--db", &db, "load-catalog"])
        .arg(&bad)
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2"));

    let out = ho()
        .args(["--db", &db, "terminals", "--json"])
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v[0]["terminal_id"], "T01");
    assert_eq!(v[0]["last_seq"], 0);

    let mut child = ho()
        .args(["--db", &db, "serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("line");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .expect("listening line")
        .to_string();
    let health = http_get(&addr, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let metrics = http_get(&addr, "/metrics");
    assert!(
        metrics.starts_with("HTTP/1.1 401"),
        "metrics need a read token by default: {metrics}"
    );
    let catalog = http_get(&addr, "/v1/catalog?since=0");
    assert!(
        catalog.starts_with("HTTP/1.1 401"),
        "catalog needs a terminal token: {catalog}"
    );
    let _ = child.kill();
    let _ = child.wait();

    let out = ho().args(["serve"]).output().expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no database"));
}
