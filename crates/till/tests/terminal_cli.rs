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
    simulate_with(protocol, script, "echo")
}

/// Starts a simulator answering with `reference` (echo, own, blank).
fn simulate_with(protocol: &str, script: &str, reference: &str) -> (Sim, String) {
    let mut child = Command::new(TILL)
        .args([
            "diag",
            "simulate",
            "terminal",
            "--protocol",
            protocol,
            "--script",
            script,
            "--reference",
            reference,
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
    assert_eq!(v["reference"], reference);
    (Sim(child), v["address"].as_str().unwrap().to_string())
}

/// Runs `till diag terminal ARGS --json` at `address`: exit code and JSON.
fn diag(protocol: &str, address: &str, args: &[&str]) -> (i32, serde_json::Value) {
    let (code, v, _) = diag_with(protocol, address, args, &["--timeout-ms", "1500"]);
    (code, v)
}

/// The same with other options instead of the short timeout; also stderr.
fn diag_with(
    protocol: &str,
    address: &str,
    args: &[&str],
    options: &[&str],
) -> (i32, serde_json::Value, String) {
    let key = if protocol == "concert" {
        "--path"
    } else {
        "--address"
    };
    let out = Command::new(TILL)
        .args(["diag", "terminal"])
        .args(args)
        .args([key, address, "--json"])
        .args(options)
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
    (out.status.code().unwrap_or(-1), v, stderr)
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
    // It read "no answer to answer within 1500 ms".
    assert_eq!(
        v["error"], "payment terminal: no answer within 1500 ms",
        "{v}"
    );
    assert!(v["reference"].as_str().unwrap().starts_with("DIAG/"), "{v}");

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

/// A terminal that answers with its own reference, or a blank one, is paid
/// through the CLI too, and the JSON says what it returned.
fn foreign_references(protocol: &str, own: &str) {
    for (mode, want) in [("echo", None), ("own", Some(own)), ("blank", Some(""))] {
        let (_sim, address) = simulate_with(protocol, "approve,decline", mode);
        let (code, v) = diag(protocol, &address, &["pay", "12.34"]);
        assert_eq!(code, 0, "{mode}: {v}");
        assert_eq!(v["outcome"], "approved", "{mode}: {v}");
        assert_eq!(v["terminal_reference"].as_str(), want, "{mode}: {v}");
        let (code, v) = diag(protocol, &address, &["pay", "12.34"]);
        assert_eq!(
            (code, &v["outcome"]),
            (1, &"declined".into()),
            "{mode}: {v}"
        );
    }
}

#[test]
fn concert_answers_with_the_terminals_own_or_a_blank_reference_are_approvals() {
    foreign_references("concert", "TX00000001");
}

#[test]
fn caisse_ap_answers_with_the_terminals_own_cf_or_none_are_approvals() {
    foreign_references("caisse-ap", "1010000000");
}

/// `send_cf = false` in till.toml: no CF goes out, so a terminal that
/// returns none has nothing to note (with CF sent, a blank one is noted).
#[test]
fn send_cf_false_in_till_toml_sends_no_cf() {
    let (_sim, address) = simulate_with("caisse-ap", "approve", "blank");
    let dir = tempfile::tempdir().unwrap();
    for (send_cf, want) in [(true, Some("")), (false, None)] {
        let config = dir.path().join(format!("till-{send_cf}.toml"));
        std::fs::write(
            &config,
            format!(
                "[devices.terminal]\nprotocol = \"caisse-ap\"\naddress = \"{address}\"\n\
                 send_cf = {send_cf}\n"
            ),
        )
        .unwrap();
        let out = Command::new(TILL)
            .args([
                "diag",
                "terminal",
                "pay",
                "3.00",
                "--json",
                "--timeout-ms",
                "1500",
            ])
            .args(["--config", config.to_str().unwrap()])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["outcome"], "approved", "{v}");
        assert_eq!(
            v["terminal_reference"].as_str(),
            want,
            "send_cf {send_cf}: {v}"
        );
    }
}

/// Two diagnostic payments in the same second had the same reference
/// (DIAG/070236 twice), so an answer to one could pass for the other's.
#[test]
fn two_diagnostic_payments_in_the_same_second_get_different_references() {
    let (_sim, address) = simulate("caisse-ap", "approve");
    let mut same_second = 0;
    for _ in 0..6 {
        let (_, a) = diag("caisse-ap", &address, &["pay", "1.00"]);
        let (_, b) = diag("caisse-ap", &address, &["pay", "1.00"]);
        let (a, b) = (
            a["reference"].as_str().unwrap(),
            b["reference"].as_str().unwrap(),
        );
        // DIAG/HHMMSS...: the same second when the first 11 characters agree.
        if a[..11] == b[..11] {
            same_second += 1;
            assert_ne!(a, b);
        }
    }
    assert!(same_second > 0, "no two payments fell in the same second");
}

/// `till diag terminal pay` waits a minute by default (not the shop's two)
/// and counts down on stderr; stdout stays one line of JSON.
#[test]
fn diag_pay_waits_a_minute_by_default_and_counts_down_on_stderr() {
    let (_sim, address) = simulate("concert", "late:1200");
    let (code, v, stderr) = diag_with("concert", &address, &["pay", "2.00"], &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["outcome"], "approved", "{v}");
    assert!(
        stderr.contains("waiting for the card on the terminal: 60 s left"),
        "{stderr}"
    );
}
