//! Head office instances are stateless: three `headoffice serve` processes
//! over one PostgreSQL, 50 tills (journals written by `till simulate`) each
//! pushing its batches to a random instance, one instance SIGKILLed mid-way
//! and restarted. Every event is stored exactly once, and each store's day
//! totals equal its tills' own to the cent.

use comptoir_e2e::shell::workspace_binary as binary;
use headoffice::testpg::TestPg;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use sync_proto::{EventBatch, TailMarker};
use till_core::records::{ClosingKind, PeriodTotals};
use till_journal::Journal;

const TILLS: usize = 50;
const STORES: usize = 5;
const SALES: u64 = 40;
const INSTANCES: usize = 3;
/// Events per batch: small, so each till's push crosses instances often.
const BATCH: usize = 12;

struct Till {
    terminal: String,
    store: String,
    journal: PathBuf,
    token: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One `headoffice serve` on a fixed port.
struct Instance {
    child: Option<Child>,
}

impl Instance {
    fn start(db: &str, port: u16, log: &Path) -> Instance {
        let log = std::fs::File::create(log).expect("log file");
        let child = Command::new(binary("headoffice", "headoffice"))
            .args(["--db", db, "serve", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting headoffice serve");
        let i = Instance { child: Some(child) };
        let deadline = Instant::now() + Duration::from_secs(30);
        while post(port, "GET", "/healthz", "", b"").map(|(s, _)| s) != Some(200) {
            assert!(
                Instant::now() < deadline,
                "instance on {port} did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        i
    }

    /// SIGKILL, no goodbye.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One HTTP/1.1 request (Connection: close): (status, body), None when the
/// instance cannot be reached or drops the connection (killed).
fn post(port: u16, method: &str, path: &str, token: &str, body: &[u8]) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body).ok()?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).ok()?;
    let out = String::from_utf8_lossy(&out).into_owned();
    let status = out.split(' ').nth(1)?.parse().ok()?;
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    Some((status, body))
}

/// A small deterministic generator (which instance gets a batch).
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Pushes the whole journal of `till`, each batch to a random instance,
/// with its signed tail marker; retries elsewhere when an instance is down.
fn push_all(till: &Till, ports: &[u16], seed: u64, acked: &AtomicU64) {
    let j = Journal::open_read_only(&till.journal).expect("journal");
    let head = j.head().expect("head").0;
    let tail = j.tail_marker().expect("tail marker");
    let mut rng = Rng(seed | 1);
    let mut cursor = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    while cursor < head {
        assert!(
            Instant::now() < deadline,
            "{}: stuck at {cursor}",
            till.terminal
        );
        let events = j.events_after(cursor, BATCH).expect("events");
        let mut batch = EventBatch::from_stored(&till.terminal, &events);
        batch.tail = tail
            .as_ref()
            .map(|(seq, hash, sig)| TailMarker::new(*seq, hash, sig));
        let body = serde_json::to_vec(&batch).expect("json");
        let port = ports[rng.below(ports.len())];
        let Some((status, answer)) = post(port, "POST", "/v1/events", &till.token, &body) else {
            // Killed or restarting: the next try goes to a random instance.
            std::thread::sleep(Duration::from_millis(20));
            continue;
        };
        let v: serde_json::Value = serde_json::from_str(&answer).unwrap_or_default();
        match status {
            200 => {
                let to = v["acked_seq"].as_u64().expect("acked_seq");
                acked.fetch_add(to - cursor, Ordering::Relaxed);
                cursor = to;
            }
            // Another instance got further (an answer lost to the kill).
            409 => {
                let to = v["expected_seq"].as_u64().expect("expected_seq") - 1;
                acked.fetch_add(to.saturating_sub(cursor), Ordering::Relaxed);
                cursor = cursor.max(to);
            }
            503 => std::thread::sleep(Duration::from_millis(20)),
            _ => panic!("{}: {status} {answer}", till.terminal),
        }
    }
}

/// A till's period totals as the head office report's keys.
fn flat(t: &PeriodTotals, into: &mut BTreeMap<String, Decimal>) {
    let mut add = |k: String, v: Decimal| *into.entry(k).or_default() += v;
    add("records".into(), Decimal::from(t.records));
    add("sales".into(), t.sales_total);
    add("refunds".into(), t.refunds_total);
    add("net".into(), t.net_total);
    add("cash_in".into(), t.cash_in);
    add("cash_out".into(), t.cash_out);
    for (k, v) in &t.by_tender {
        add(format!("tender:{k}"), *v);
    }
    for v in &t.by_vat {
        let r = v.rate.as_percent();
        add(format!("vat_base:{r}"), v.base);
        add(format!("vat_tax:{r}"), v.tax);
        add(format!("vat_total:{r}"), v.total);
    }
}

#[test]
fn three_instances_fifty_tills_one_killed_every_event_once() {
    if !TestPg::available() {
        assert!(
            std::env::var_os("COMPTOIR_REQUIRE_TOOLS").is_none(),
            "PostgreSQL is required here (COMPTOIR_REQUIRE_TOOLS is set)"
        );
        eprintln!(
            "\n*** SKIPPED: PostgreSQL binaries not found (install postgresql or set PG_BIN) ***\n"
        );
        return;
    }
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("tempdir");
    let pg = TestPg::start(&["fsync=off", "max_connections=200"]).expect("PostgreSQL");
    let db = pg.create_db("ha").expect("database");
    let store = headoffice::store::open(&db).expect("store");

    // 50 tills in 5 stores, journals written by the real `till simulate`.
    let till_bin = binary("till", "till");
    let tills: Vec<Till> = (0..TILLS)
        .map(|i| {
            let terminal = format!("T{i:03}");
            let shop = format!("S{}", i % STORES);
            let token = headoffice::new_token().expect("token");
            store
                .register_terminal(&shop, &terminal, &headoffice::token_sha256(&token))
                .expect("register");
            Till {
                journal: dir.path().join(format!("{terminal}.db")),
                terminal,
                store: shop,
                token,
            }
        })
        .collect();
    for (c, chunk) in tills.chunks(4).enumerate() {
        let runs: Vec<Child> = chunk
            .iter()
            .enumerate()
            .map(|(k, t)| {
                Command::new(&till_bin)
                    .arg("simulate")
                    .arg("--db")
                    .arg(&t.journal)
                    .args(["--sales", &SALES.to_string(), "--days", "2"])
                    .args(["--seed", &(c * 4 + k + 1).to_string()])
                    .args(["--start", "2026-03-02"])
                    .args(["--terminal", &t.terminal, "--shop", &t.store, "--quiet"])
                    .stdout(Stdio::null())
                    .spawn()
                    .expect("till simulate")
            })
            .collect();
        for mut r in runs {
            assert!(r.wait().expect("wait").success(), "till simulate failed");
        }
    }
    let total_events: u64 = tills
        .iter()
        .map(|t| {
            Journal::open_read_only(&t.journal)
                .expect("j")
                .head()
                .expect("h")
                .0
        })
        .sum();
    eprintln!(
        "{TILLS} journals, {total_events} events in {:?}",
        started.elapsed()
    );

    let ports: Vec<u16> = (0..INSTANCES).map(|_| free_port()).collect();
    let log = |i: usize| dir.path().join(format!("ho-{i}.log"));
    let mut instances: Vec<Instance> = ports
        .iter()
        .enumerate()
        .map(|(i, p)| Instance::start(&db, *p, &log(i)))
        .collect();

    // 10 pushers of 5 tills each, every batch to a random instance.
    let acked = Arc::new(AtomicU64::new(0));
    let tills = Arc::new(tills);
    let pushers: Vec<_> = (0..10)
        .map(|w| {
            let (tills, ports, acked) = (tills.clone(), ports.clone(), acked.clone());
            std::thread::spawn(move || {
                for (i, t) in tills.iter().enumerate().filter(|(i, _)| i % 10 == w) {
                    push_all(t, &ports, 0x9E37_79B9_7F4A_7C15 ^ i as u64, &acked);
                }
            })
        })
        .collect();

    // Mid-way, instance 1 is SIGKILLed, then restarted on its port.
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.load(Ordering::Relaxed) < total_events / 3 {
        assert!(Instant::now() < deadline, "no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    let at_kill = acked.load(Ordering::Relaxed);
    instances[1].kill();
    std::thread::sleep(Duration::from_millis(300));
    instances[1] = Instance::start(&db, ports[1], &log(3));
    for p in pushers {
        p.join().expect("a pusher failed");
    }
    assert!(
        at_kill < total_events,
        "the kill came after everything was delivered"
    );

    // Every event once.
    let (n, distinct) = store.event_counts().expect("counts");
    assert_eq!((n, distinct), (total_events, total_events), "events stored");
    let held = store.terminals().expect("terminals");
    for t in tills.iter() {
        let head = Journal::open_read_only(&t.journal)
            .expect("j")
            .head()
            .expect("h")
            .0;
        let h = held
            .iter()
            .find(|h| h.terminal_id == t.terminal)
            .expect("held");
        assert_eq!((h.last_seq, h.events), (head, head), "{}", t.terminal);
    }

    // Each store's day totals are its tills' to the cent.
    for s in 0..STORES {
        let shop = format!("S{s}");
        let mut ho: BTreeMap<String, BTreeMap<String, Decimal>> = BTreeMap::new();
        for r in store.sales(Some(&shop), None, None).expect("sales") {
            *ho.entry(r.day).or_default().entry(r.key).or_default() += r.amount;
        }
        assert!(!ho.is_empty(), "{shop}: no sales");
        for (day, mut got) in ho {
            let mut want = BTreeMap::new();
            for t in tills.iter().filter(|t| t.store == shop) {
                let j = Journal::open_read_only(&t.journal).expect("j");
                flat(
                    &j.period_totals(ClosingKind::Day, &day).expect("totals"),
                    &mut want,
                );
            }
            got.retain(|_, v| !v.is_zero());
            want.retain(|_, v| !v.is_zero());
            assert_eq!(got, want, "{shop} {day}: head office vs its tills");
        }
        let grand: Decimal = tills
            .iter()
            .filter(|t| t.store == shop)
            .map(|t| {
                Journal::open_read_only(&t.journal)
                    .expect("j")
                    .grand_totals()
                    .expect("gt")
                    .0
            })
            .sum();
        let net: Decimal = store
            .sales(Some(&shop), None, None)
            .expect("sales")
            .iter()
            .filter(|r| r.key == "net")
            .map(|r| r.amount)
            .sum();
        assert_eq!(net, grand, "{shop}: grand total");
    }
    // The simulated cashiers' approvals and refunds are fraud flags
    // (`fraud:*`); nothing else may be raised.
    let alerts: Vec<_> = store
        .alerts()
        .expect("alerts")
        .into_iter()
        .filter(|a| !a.code.starts_with("fraud:"))
        .collect();
    assert!(alerts.is_empty(), "no alert expected: {alerts:?}");
    eprintln!(
        "{total_events} events through {INSTANCES} instances (one killed at {at_kill}) in {:?}",
        started.elapsed()
    );
}
