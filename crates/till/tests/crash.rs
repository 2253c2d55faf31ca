//! Crash test: a child `till simulate --ack` commits sales in a loop and prints
//! each acknowledged seq; we SIGKILL it at random moments, hundreds of times,
//! and after each kill check that every acknowledged sale is on disk with the
//! hash it was acknowledged with, and that nothing half-written is left.
//!
//! COMPTOIR_CRASH_KILLS sets the number of kills (default 200);
//! COMPTOIR_CRASH_SEED replays a run.

use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use till::rng::Rng;
use till_core::basket::Basket;
use till_journal::{verify, Journal, VerifyOptions};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Stock levels recomputed here from the events themselves, independently of
/// the journal's own projection code.
fn stock_from_events(journal: &Journal) -> BTreeMap<String, Decimal> {
    let mut levels = BTreeMap::new();
    let mut after = 0;
    loop {
        let batch = journal.events_after(after, 1000).expect("reading events");
        if batch.is_empty() {
            break;
        }
        for e in &batch {
            let ev = e.decode().expect("every stored payload decodes");
            for (item, delta, _) in ev.stock_deltas() {
                *levels.entry(item).or_insert(Decimal::ZERO) += delta;
            }
            after = e.seq;
        }
    }
    levels.retain(|_, v| !v.is_zero());
    levels
}

#[test]
fn sigkill_at_random_moments_loses_no_acknowledged_sale() {
    let kills = env_u64("COMPTOIR_CRASH_KILLS", 200);
    let seed = env_u64(
        "COMPTOIR_CRASH_SEED",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1),
    );
    eprintln!("crash test: {kills} kills, COMPTOIR_CRASH_SEED={seed}");
    let mut rng = Rng::new(seed);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("journal.db");
    let mut acked: HashMap<u64, String> = HashMap::new();
    let mut acked_in_last_runs = 0usize;
    let started = Instant::now();

    for run in 0..kills {
        let mut child = Command::new(env!("CARGO_BIN_EXE_till"))
            .args(["simulate", "--db"])
            .arg(&db)
            .args(["--sales", "1000000", "--ack", "--persist-basket", "--quiet"])
            .args(["--seed", &run.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning till simulate");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                match line {
                    Ok(l) => {
                        if tx.send(l).is_err() {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
        });
        // A third of the kills land during start-up (open, migrations, key,
        // genesis); the rest once sales are flowing, a random time after the
        // first acknowledgement, so most land mid-commit or mid-basket.
        let mut early = Vec::new();
        if rng.chance(33) {
            std::thread::sleep(Duration::from_millis(rng.range(0, 40)));
        } else {
            match rx.recv_timeout(Duration::from_secs(20)) {
                Ok(first) => early.push(first),
                Err(_) => panic!("run {run}: no sale acknowledged within 20 s"),
            }
            std::thread::sleep(Duration::from_micros(rng.range(0, 40_000)));
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut err);
            }
            panic!("run {run}: till simulate exited by itself ({status}) before the kill: {err}");
        }
        child.kill().expect("SIGKILL");
        let status = child.wait().expect("reaping the child");
        assert!(!status.success(), "run {run}: the child was not killed");
        reader.join().expect("reader thread");
        let mut this_run = 0;
        for line in early.into_iter().chain(rx.try_iter()) {
            let mut parts = line.split_whitespace();
            if parts.next() == Some("ack") {
                let seq: u64 = parts.next().and_then(|s| s.parse().ok()).expect("ack seq");
                let hash = parts.next().expect("ack hash").to_string();
                acked.insert(seq, hash);
                this_run += 1;
            }
        }
        acked_in_last_runs += this_run;

        // Every acknowledged sale is there, with the hash it was acknowledged with.
        if !db.exists() {
            assert!(acked.is_empty(), "acknowledged sales but no journal file");
            continue;
        }
        let journal = match Journal::open_read_only(&db) {
            Ok(j) => j,
            // Killed before the genesis event committed: nothing was acknowledged.
            Err(e) => {
                assert!(
                    acked.is_empty(),
                    "run {run}: journal unreadable after acks: {e}"
                );
                continue;
            }
        };
        let (head, _) = journal.head().expect("head");
        for seq in acked.keys() {
            assert!(
                *seq <= head,
                "run {run}: acknowledged seq {seq} beyond head {head}"
            );
        }
        let newest: Vec<u64> = acked.keys().copied().filter(|s| *s + 200 > head).collect();
        for seq in newest {
            let e = journal
                .event(seq)
                .expect("read")
                .unwrap_or_else(|| panic!("acked seq {seq} missing"));
            assert_eq!(hex(&e.hash), acked[&seq], "run {run}: seq {seq} changed");
        }
        // A basket in progress, if any, is whole (it parses back).
        if let Some(bytes) = journal.load_basket().expect("load basket") {
            serde_json::from_slice::<Basket>(&bytes)
                .unwrap_or_else(|e| panic!("run {run}: saved basket is damaged: {e}"));
        }
        drop(journal);
        if run % 25 == 24 || run + 1 == kills {
            let report = verify(&db, VerifyOptions::default()).expect("verify runs");
            assert!(
                report.ok,
                "run {run}: journal does not verify: {:?}",
                report.first_problem
            );
        }
    }

    let journal = Journal::open_read_only(&db).expect("final open");
    for (seq, hash) in &acked {
        let e = journal
            .event(*seq)
            .expect("read")
            .unwrap_or_else(|| panic!("acked seq {seq} missing"));
        assert_eq!(&hex(&e.hash), hash, "seq {seq} changed");
    }
    let projected: BTreeMap<String, Decimal> = journal
        .stock_levels()
        .expect("stock levels")
        .into_iter()
        .filter(|(_, v)| !v.is_zero())
        .collect();
    assert_eq!(
        projected,
        stock_from_events(&journal),
        "stock levels != sum of movements"
    );
    eprintln!(
        "crash test: {kills} kills, {} acknowledged sales all present, {:.1} s",
        acked.len(),
        started.elapsed().as_secs_f64()
    );
    // Most kills must land while sales are being committed, or the test proves little.
    assert!(
        acked_in_last_runs as u64 >= kills / 2,
        "only {acked_in_last_runs} sales acknowledged over {kills} runs"
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
