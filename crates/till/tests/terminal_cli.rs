//! Driver and simulator as separate processes: `till diag simulate
//! terminal` in one, `till diag terminal pay|refund|ping --json` in
//! another, for both protocols: exit codes, JSON, and no full card number
//! in anything the till prints.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const TILL: &str = env!("CARGO_BIN_EXE_till");
const FULL_PAN: &str = "4970101234567890";

/// The simulator, killed when dropped.
struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a simulator; returns it and its address.
fn simulate(protocol: &str, script: &str) -> (Sim, String) {
    let mut child = Command::new(TILL)
        .args([
            "diag",
            "simulate",
            "terminal",
            "--protocol",
            protocol,
            "--script",
            script,
            "--pan",
            FULL_PAN,
            "--json",
            "--exit-after-ms",
            "60000",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    out.read_line(&mut first).unwrap();
    // Keep reading, or the simulator dies on a closed pipe at its next line.
    std::thread::spawn(move || for _ in out.lines().map_while(Result::ok) {});
    let v: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(v["device"], "terminal");
    assert_eq!(v["protocol"], protocol);
    (Sim(child), v["address"].as_str().unwrap().to_string())
}

/// Runs `till diag terminal ARGS --json` at `address`: exit code and JSON.
fn diag(protocol: &str, address: &str, args: &[&str]) -> (i32, serde_json::Value) {
    let key = if protocol == "concert" {
        "--path"
    } else {
        "--address"
    };
    let out = Command::new(TILL)
        .args(["diag", "terminal"])
        .args(args)
        .args([key, address, "--timeout-ms", "1500", "--json"])
        .env("TILL_CONFIG", "/nonexistent/till.toml")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !stdout.contains(FULL_PAN) && !stderr.contains(FULL_PAN),
        "a full card number was printed: {stdout} {stderr}"
    );
    let v = serde_json::from_str(stdout.trim()).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), v)
}

fn both_ways(protocol: &str) {
    let (_sim, address) = simulate(protocol, "approve,decline,no-answer,approve");
    let (code, v) = diag(protocol, &address, &["ping"]);
    assert_eq!(code, 0, "{v}");

    let (code, v) = diag(protocol, &address, &["pay", "12.34"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["outcome"], "approved");
    assert_eq!(v["ok"], true);
    assert_eq!(v["amount_cents"], 1234);
    assert_eq!(v["masked_pan"], "************7890");

    let (code, v) = diag(protocol, &address, &["pay", "12.34"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["outcome"], "declined");
    assert_eq!(v["ok"], false);

    let (code, v) = diag(protocol, &address, &["pay", "12.34"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["outcome"], "no_answer");
    assert!(v["next"].as_str().unwrap().contains("charge twice"), "{v}");

    let (code, v) = diag(protocol, &address, &["refund", "1,00"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["kind"], "refund");
    assert_eq!(v["amount_cents"], 100);

    // Not whole cents: refused before anything is sent.
    let (code, _) = diag(protocol, &address, &["pay", "12.345"]);
    assert_eq!(code, 2);
}

#[test]
fn concert_driver_and_simulator_in_two_processes() {
    both_ways("concert");
}

#[test]
fn caisse_ap_driver_and_simulator_in_two_processes() {
    both_ways("caisse-ap");
}

#[test]
fn nothing_listening_is_unreachable() {
    let (code, v) = diag("caisse-ap", "127.0.0.1:9", &["pay", "1.00"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["ok"], false);
}
