//! Nothing head office already holds is sent again, with the default batch
//! settings and two batches in flight: the daemon's delivered count equals
//! the journal's, and head office's acknowledgements count no duplicate
//! (the `duplicates` of each ack, the figure behind head office's
//! `headoffice_events_duplicate_total`).

use comptoir_e2e::system::*;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Not a test: the entry point of the head office child process.
#[test]
fn headoffice_child() {
    maybe_serve_child();
}

/// The defaults of sync.toml for batching, said explicitly: the test
/// helper's own default is smaller batches.
const DEFAULT_BATCHES: &str = "batch_events = 2000\nbatch_bytes = 4194304\n";

/// About 2,150 events: a full batch of 2,000 and a short one after it,
/// which head office parses sooner and so often takes first.
const SALES: u64 = 2_070;

/// `till-sync once --json`: (exit code, the JSON, everything printed).
fn once_json(config: &Path) -> (i32, Value, String) {
    let out = till_sync()
        .arg("--config")
        .arg(config)
        .args(["once", "--json"])
        .output()
        .expect("running till-sync once");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let all = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let v = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), v, all)
}

fn assert_delivered_once(journal: &Path, code: i32, v: &Value, out: &str) {
    let head = journal_head(journal);
    assert!(
        head > 2_000,
        "the journal needs two batches ({head} events)"
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(v["delivered"], true, "{out}");
    assert_eq!(
        v["acked_this_pass"], head,
        "the daemon's delivered count is the journal's: {out}"
    );
    assert_eq!(
        v["duplicates_this_pass"], 0,
        "head office acknowledged duplicates: {out}"
    );
    assert_eq!(v["status"]["waiting"], 0, "{out}");
}

/// Three tills of a few thousand events each push at once with the default
/// settings (as in the field report: 3,809 acknowledged for 2,154 events,
/// 4,962 duplicates at head office for three tills).
#[test]
fn default_batches_deliver_each_event_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite:{}", dir.path().join("ho.db").display());
    let tills: Vec<_> = ["T01", "T02", "T03"]
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let sub = dir.path().join(t);
            std::fs::create_dir_all(&sub).expect("dir");
            let j = journal(&sub, t, "S1", SALES, 40 + i as u64);
            let token = register(&db, "S1", t);
            (sub, j, token)
        })
        .collect();
    let ho = HeadOfficeProc::start(dir.path(), &db, "127.0.0.1:0");
    let runs: Vec<_> = tills
        .iter()
        .map(|(sub, j, token)| {
            let cfg = sync_config(sub, &ho.url(), token, j, DEFAULT_BATCHES);
            std::thread::spawn(move || once_json(&cfg))
        })
        .collect();
    for ((_, j, _), run) in tills.iter().zip(runs) {
        let (code, v, out) = run.join().expect("till-sync thread");
        assert_delivered_once(j, code, &v, &out);
    }
    let s = headoffice::store::open(&db).expect("store");
    let (n, distinct) = s.event_counts().expect("counts");
    let total: u64 = tills.iter().map(|(_, j, _)| journal_head(j)).sum();
    assert_eq!((n, distinct), (total, total), "head office's rows");
}

/// A proxy that holds the first event batch back, so the second one always
/// reaches head office first: refused as a gap, naming the first batch's
/// first seq. Only that second batch may be resent.
#[test]
fn a_batch_overtaken_by_the_next_is_not_sent_twice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = journal(dir.path(), "T01", "S1", SALES, 41);
    let db = format!("sqlite:{}", dir.path().join("ho.db").display());
    let token = register(&db, "S1", "T01");
    let ho = HeadOfficeProc::start(dir.path(), &db, "127.0.0.1:0");
    let proxy = HoldFirstPush::start(ho.addr, Duration::from_millis(600));
    let cfg = sync_config(dir.path(), &proxy.url(), &token, &journal, DEFAULT_BATCHES);
    let (code, v, out) = once_json(&cfg);
    assert!(
        proxy.held.load(Ordering::SeqCst) >= 1,
        "the proxy held a batch back"
    );
    assert_delivered_once(&journal, code, &v, &out);
    assert_matches_till(&db, "S1", &journal);
}

/// A TCP proxy on 127.0.0.1 that delays the first `POST /v1/events` request
/// it sees by `hold`, forwarding everything else at once.
struct HoldFirstPush {
    addr: SocketAddr,
    held: Arc<AtomicU32>,
}

impl HoldFirstPush {
    fn start(upstream: SocketAddr, hold: Duration) -> HoldFirstPush {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy bind");
        let addr = listener.local_addr().expect("proxy addr");
        let held = Arc::new(AtomicU32::new(0));
        let h = held.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(client) = conn else { continue };
                let Ok(server) = TcpStream::connect(upstream) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                let (c2, s2) = (
                    client.try_clone().expect("clone"),
                    server.try_clone().expect("clone"),
                );
                let h = h.clone();
                std::thread::spawn(move || pump(client, server, Some((h, hold))));
                std::thread::spawn(move || pump(s2, c2, None));
            }
        });
        HoldFirstPush { addr, held }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, hold: Option<(Arc<AtomicU32>, Duration)>) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some((held, d)) = &hold {
            if buf[..n].starts_with(b"POST /v1/events")
                && held
                    .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok()
            {
                std::thread::sleep(*d);
            }
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}
