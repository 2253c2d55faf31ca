//! Performance checks. The quick ones run always (debug, small); the real
//! measurements are `#[ignore]`d, run them in release:
//! `cargo test -p till-journal --release --test perf -- --ignored --nocapture --test-threads 1`
//! (`VERIFY_EVENTS=N` sizes the verify journal, default 1,000,000, kept in the
//! temp dir between runs; `APPEND_DIR=/dev/shm` measures the CPU side of an
//! append; `BARE_BYTES=64` makes the baseline rows small).
//!
//! Measured on the 2-core development machine, shared with other builds
//! (2026-11-23): append of a 5-line, 2-tender sale vs a bare INSERT commit,
//! ratio 1.13-1.4 (fsync-bound, 10 WAL pages per append); verify of
//! 1,000,000 events: 346-369k events/s (2.9 CPU-seconds; 208-277k/s while
//! other builds ran), 450-650k/s without the projection comparison. Since
//! the verifier also checks the SQLite file (`verify_file`: `quick_check`,
//! 0.7 CPU-seconds on this 1.75 GB journal, and the index digests, 0.4),
//! the full check took 6.3-6.6 CPU-seconds, 43k events/s, with the machine's
//! load at 12 on its 2 cores (2026-12-03; no quiet run). The
//! bench's simulated journal (bigger sales, 20,000 items, 6 million ledger
//! rows) is the harder case: see `cargo run --release -p till-bench -- --only verify`.

mod common;

use common::*;
use std::time::Instant;
use till_journal::{verify, VerifyOptions};

/// Bare single-row INSERT commits under WAL + synchronous=FULL vs full appends
/// of a 5-line, 2-tender sale with stock movements. Returns (bare, append) seconds.
fn append_vs_bare(n: usize) -> (f64, f64) {
    // APPEND_DIR=/dev/shm measures the CPU side alone (fsync is free on tmpfs).
    let dir = match std::env::var("APPEND_DIR") {
        Ok(d) => tempfile::tempdir_in(d).unwrap(),
        Err(_) => tempfile::tempdir().unwrap(),
    };
    let bare = rusqlite::Connection::open(dir.path().join("bare.db")).unwrap();
    bare.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))
        .unwrap();
    bare.pragma_update(None, "synchronous", "FULL").unwrap();
    bare.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)")
        .unwrap();
    let payload = five_line_sale(1, "2026-11-23");
    let j = open_new(dir.path());
    let blob = match std::env::var("BARE_BYTES") {
        Ok(n) => vec![b'x'; n.parse().unwrap_or(64)],
        Err(_) => till_core::records::Event::payload(&payload),
    };
    // Warm up both.
    for _ in 0..5 {
        bare.execute("INSERT INTO t (payload) VALUES (?1)", [&blob])
            .unwrap();
        j.append(ts(10, 0, 0, 0), &payload).unwrap();
    }
    let mut bare_t = 0.0;
    let mut app_t = 0.0;
    // Interleave in rounds so disk noise hits both alike.
    for round in 0..5 {
        let t = Instant::now();
        for _ in 0..n / 5 {
            let mut st = bare
                .prepare_cached("INSERT INTO t (payload) VALUES (?1)")
                .unwrap();
            st.execute([&blob]).unwrap();
        }
        bare_t += t.elapsed().as_secs_f64();
        let t = Instant::now();
        for i in 0..n / 5 {
            let ev = five_line_sale((round * n + i) as u64, "2026-11-23");
            j.append(ts(10, 0, 0, 0), &ev).unwrap();
        }
        app_t += t.elapsed().as_secs_f64();
    }
    (bare_t, app_t)
}

/// A quick run of the same measurement (figures: `cargo run --release -p till-bench`).
#[test]
#[ignore]
fn append_cost_quick() {
    let (b, a) = append_vs_bare(50);
    eprintln!(
        "50 appends: bare {b:.3}s, journal {a:.3}s, ratio {:.2}",
        a / b
    );
}

#[test]
#[ignore]
fn append_cost_vs_bare_insert() {
    let (b, a) = append_vs_bare(500);
    let ratio = a / b;
    eprintln!(
        "500 commits: bare {:.1} us/commit, journal append {:.1} us/commit, ratio {ratio:.2}",
        b * 2000.0,
        a * 2000.0
    );
}

#[test]
#[ignore]
fn verify_a_million_events() {
    let n: usize = std::env::var("VERIFY_EVENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let dir = std::env::var("VERIFY_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir());
    let path = dir.join(format!("verify-{n}.db"));
    let keydir = dir.join(format!("verify-{n}-key"));
    std::fs::create_dir_all(&keydir).unwrap();
    let mut o = opts(&keydir);
    o.key_path = keydir.join("terminal.key");
    if !path.exists() {
        let t = Instant::now();
        let j = till_journal::Journal::open(&path, o.clone()).unwrap();
        let mut i = 0usize;
        let mut sale_no = 1u64;
        while i < n - 1 {
            let mut batch = Vec::with_capacity(10_000);
            while batch.len() < 10_000 && i < n - 1 {
                let d = if i % 100_000 < 50_000 {
                    "2026-11-22"
                } else {
                    "2026-11-23"
                };
                let ev = match i % 5 {
                    0 => goods_received("A1", rust_decimal_macros::dec!(10)),
                    1 | 2 => {
                        sale_no += 1;
                        five_line_sale(sale_no, d)
                    }
                    3 => {
                        sale_no += 1;
                        refund_of_a1(sale_no, d)
                    }
                    _ => login("u1"),
                };
                batch.push((ts(10, 0, 0, 0), ev));
                i += 1;
            }
            j.append_batch(&batch).unwrap();
        }
        eprintln!("built {n} events in {:.1}s", t.elapsed().as_secs_f64());
    }
    for threads in [1, 2] {
        let t = Instant::now();
        let c = cpu_seconds();
        let r = verify(
            &path,
            VerifyOptions {
                threads,
                ..Default::default()
            },
        )
        .unwrap();
        let s = t.elapsed().as_secs_f64();
        let c = cpu_seconds() - c;
        assert!(r.ok, "{r:?}");
        eprintln!(
            "verify {} events, {threads} worker(s): {s:.2}s = {:.0} events/s; CPU {c:.2}s = {:.0} events per CPU-second",
            r.events,
            r.events as f64 / s,
            r.events as f64 / c
        );
    }
    let t = Instant::now();
    let r = verify(
        &path,
        VerifyOptions {
            skip_projections: true,
            ..Default::default()
        },
    )
    .unwrap();
    let s = t.elapsed().as_secs_f64();
    eprintln!(
        "verify without projections: {s:.2}s = {:.0} events/s",
        r.events as f64 / s
    );
}

/// User + system CPU time of this process so far (Linux /proc), to judge speed
/// on a machine shared with other jobs.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 (utime, stime) are at 11 and 12 after the ")".
    (ticks(11) + ticks(12)) / 100.0
}

/// WAL frames (pages) one sale append writes: the main I/O cost of an append.
#[test]
#[ignore]
fn pages_per_append() {
    let dir = tempfile::tempdir().unwrap();
    let j = open_new(dir.path());
    fill(&j, 50);
    let wal = db_path(dir.path()).with_extension("db-wal");
    let c = raw(dir.path());
    c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    drop(c);
    let before = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    for i in 0..10 {
        j.append(ts(10, 0, 0, 0), &five_line_sale(100 + i, "2026-11-23"))
            .unwrap();
    }
    let after = std::fs::metadata(&wal).unwrap().len();
    eprintln!(
        "WAL frames per sale append: {:.1}",
        (after - before) as f64 / 10.0 / (4096.0 + 24.0)
    );
    if let Ok(to) = std::env::var("KEEP") {
        // Copies of the db and its WAL, for page-level analysis (dbstat).
        std::fs::copy(db_path(dir.path()), format!("{to}.db")).unwrap();
        std::fs::copy(&wal, format!("{to}.db-wal")).unwrap();
    }
}
