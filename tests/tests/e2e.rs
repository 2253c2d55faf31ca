//! End to end on loopback: a simulated till, head office as a real process,
//! `till-sync` as a real process, with faults. After each: head office's
//! totals equal the till's to the cent, no event stored twice, none missing.

use comptoir_e2e::system::*;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Not a test: the entry point of the head office child process.
#[test]
fn headoffice_child() {
    maybe_serve_child();
}

/// 0..max milliseconds, different each call: kills land at varied points of
/// a batch (reading, hashing, inserting, committing, answering).
fn jitter(max: u64) -> Duration {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    Duration::from_millis(n.wrapping_mul(0x9E37_79B9) % max.max(1))
}

/// Till T01 of shop S1 with `sales_count()` sales, registered with a head
/// office on SQLite serving on loopback: what most fault tests start from.
fn one_till_on_sqlite() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    String,
    String,
    HeadOfficeProc,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = journal(dir.path(), "T01", "S1", sales_count(), 11);
    let db = format!("sqlite:{}", dir.path().join("ho.db").display());
    let token = register(&db, "S1", "T01");
    let ho = HeadOfficeProc::start(dir.path(), &db, "127.0.0.1:0");
    (dir, journal, db, token, ho)
}

#[test]
fn once_delivers_everything_and_resend_changes_nothing() {
    let (dir, journal, db, token, ho) = one_till_on_sqlite();
    let cfg = sync_config(dir.path(), &ho.url(), &token, &journal, "");
    let (code, out) = once(&cfg);
    assert_eq!(code, 0, "{out}");
    assert_matches_till(&db, "S1", &journal);
    // A second pass: nothing to send, nothing changes.
    let (code, out) = once(&cfg);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 waiting"), "{out}");
    assert_matches_till(&db, "S1", &journal);
    // status in words and JSON
    let st = till_sync()
        .arg("--config")
        .arg(&cfg)
        .args(["status", "--json"])
        .output()
        .expect("status");
    let v: serde_json::Value = serde_json::from_slice(&st.stdout).expect("status json");
    assert_eq!(v["waiting"], 0);
    assert!(v["last_success"].is_string());
}

#[test]
fn answers_lost_after_commit_are_resent_without_effect() {
    let (dir, journal, db, token, ho) = one_till_on_sqlite();
    let proxy = Proxy::start(ho.addr);
    proxy.drop_answers.store(3, Ordering::SeqCst);
    let cfg = sync_config(
        dir.path(),
        &proxy.url(),
        &token,
        &journal,
        "pull_catalog = false\n",
    );
    let (code, out) = once(&cfg);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        proxy.dropped.load(Ordering::SeqCst),
        3,
        "three answers were swallowed"
    );
    assert_matches_till(&db, "S1", &journal);
}

#[test]
fn head_office_killed_mid_stream_and_restarted() {
    let (dir, journal, db, token, mut ho) = one_till_on_sqlite();
    let cfg = sync_config(
        dir.path(),
        &ho.url(),
        &token,
        &journal,
        "batch_events = 50\n",
    );
    let mut daemon = spawn_run(&cfg);
    // Kill head office while batches are flowing, five times, at varied points.
    let s = headoffice::store::open(&db).expect("store");
    let head = journal_head(&journal);
    let mut interrupted = 0;
    for _ in 0..5 {
        let before = s.terminals().expect("t")[0].last_seq;
        if !wait_progress(s.as_ref(), before, head, Duration::from_secs(60)) {
            break;
        }
        std::thread::sleep(jitter(30));
        interrupted += 1;
        ho.kill();
        std::thread::sleep(Duration::from_millis(300));
        ho.restart();
    }
    assert!(
        interrupted >= 2,
        "only {interrupted} kills landed mid-stream"
    );
    wait_delivered(&db, "T01", &journal, Duration::from_secs(120));
    let _ = daemon.kill();
    let _ = daemon.wait();
    assert_matches_till(&db, "S1", &journal);
}

#[test]
fn daemon_killed_mid_push_and_restarted() {
    let (dir, journal, db, token, ho) = one_till_on_sqlite();
    let cfg = sync_config(
        dir.path(),
        &ho.url(),
        &token,
        &journal,
        "batch_events = 10\n",
    );
    let s = headoffice::store::open(&db).expect("store");
    let head = journal_head(&journal);
    let mut interrupted = 0;
    for _ in 0..5 {
        let mut daemon = spawn_run(&cfg);
        let before = s.terminals().expect("t")[0].last_seq;
        let moving = wait_progress(s.as_ref(), before, head, Duration::from_secs(60));
        if moving {
            std::thread::sleep(jitter(30));
        }
        let _ = daemon.kill();
        let _ = daemon.wait();
        if !moving {
            break;
        }
        interrupted += 1;
    }
    // Small batches keep most of the journal in flight across the kills; a
    // fast machine may still finish early, but never before a few kills.
    assert!(
        interrupted >= 2,
        "only {interrupted} kills landed mid-stream"
    );
    let (code, out) = once(&cfg);
    assert_eq!(code, 0, "{out}");
    assert_matches_till(&db, "S1", &journal);
}

#[test]
fn two_daemons_on_one_journal() {
    let (dir, journal, db, token, ho) = one_till_on_sqlite();
    let cfg = sync_config(
        dir.path(),
        &ho.url(),
        &token,
        &journal,
        "batch_events = 100\n",
    );
    let mut a = spawn_run(&cfg);
    let mut b = spawn_run(&cfg);
    wait_delivered(&db, "T01", &journal, Duration::from_secs(120));
    for d in [&mut a, &mut b] {
        let _ = d.kill();
        let _ = d.wait();
    }
    assert_matches_till(&db, "S1", &journal);
    let (code, out) = once(&cfg);
    assert_eq!(code, 0, "{out}");
}

/// The same faults against PostgreSQL: lost answers, head office killed and
/// restarted, two daemons, then a second terminal of another store.
#[test]
fn postgres_backend_same_behaviour() {
    let Some((_pg, db)) = pg::cluster() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = journal(dir.path(), "T01", "S1", sales_count(), 11);
    let token = register(&db, "S1", "T01");
    let mut ho = HeadOfficeProc::start(dir.path(), &db, "127.0.0.1:0");
    let proxy = Proxy::start(ho.addr);
    proxy.drop_answers.store(2, Ordering::SeqCst);
    let cfg = sync_config(
        dir.path(),
        &proxy.url(),
        &token,
        &journal,
        "pull_catalog = false\nbatch_events = 100\n",
    );
    let mut a = spawn_run(&cfg);
    let mut b = spawn_run(&cfg);
    let s = headoffice::store::open(&db).expect("store");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while s.terminals().expect("t")[0].last_seq < 200 {
        assert!(std::time::Instant::now() < deadline, "no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    ho.kill();
    std::thread::sleep(Duration::from_millis(300));
    ho.restart();
    wait_delivered(&db, "T01", &journal, Duration::from_secs(120));
    for d in [&mut a, &mut b] {
        let _ = d.kill();
        let _ = d.wait();
    }
    assert_eq!(proxy.dropped.load(Ordering::SeqCst), 2);
    assert_matches_till(&db, "S1", &journal);

    // A second till of another store, through `once`.
    let j2 = comptoir_e2e::system::journal(dir.path(), "T02", "S2", 300, 12);
    let t2 = register(&db, "S2", "T02");
    let cfg2 = sync_config(dir.path(), &ho.url(), &t2, &j2, "pull_catalog = false\n");
    let (code, out) = once(&cfg2);
    assert_eq!(code, 0, "{out}");
    assert_matches_till(&db, "S2", &j2);
    assert_matches_till(&db, "S1", &journal);
}

/// The counter keeps selling (one durable commit per sale) while the daemon
/// pushes: the till is never refused its write lock, and everything arrives.
#[test]
fn till_keeps_selling_while_the_daemon_pushes() {
    let (dir, journal, db, token, ho) = one_till_on_sqlite();
    let cfg = sync_config(
        dir.path(),
        &ho.url(),
        &token,
        &journal,
        "batch_events = 100\npoll_seconds = 0.05\n",
    );
    let mut daemon = spawn_run(&cfg);
    let more = till::simulate::SimOptions {
        db: journal.clone(),
        key: None,
        sales: 400,
        days: 2,
        seed: 77,
        start: chrono::NaiveDate::from_ymd_opt(2026, 3, 2).expect("date"),
        terminal_id: "T01".into(),
        shop_id: "S1".into(),
        items: Some(300),
        ack: false,
        persist_basket: true,
        print_reports: false,
        batch: 1,
    };
    till::simulate::run(&more, &mut std::io::sink())
        .expect("the till sells while the daemon pushes");
    wait_delivered(&db, "T01", &journal, Duration::from_secs(120));
    let _ = daemon.kill();
    let _ = daemon.wait();
    assert_matches_till(&db, "S1", &journal);
}

/// Head office takes smaller bodies (4 MiB here) than the daemon is
/// configured to send: the 413 halves the batch and delivery goes on.
#[test]
fn batches_shrink_when_head_office_says_too_large() {
    let (dir, journal, db, token, ho) = one_till_on_sqlite();
    let cfg = sync_config(
        dir.path(),
        &ho.url(),
        &token,
        &journal,
        "batch_events = 100000\nbatch_bytes = 268435456\npull_catalog = false\n",
    );
    let (code, out) = once(&cfg);
    assert_eq!(code, 0, "{out}");
    assert_matches_till(&db, "S1", &journal);
    let refused: u64 = headoffice_metric(
        &ho,
        "headoffice_push_refused_total{code=\"batch_too_large\"}",
    );
    assert!(refused >= 1, "the first, too large, batch was refused");
}

fn headoffice_metric(ho: &HeadOfficeProc, series: &str) -> u64 {
    let text = reqwest::blocking::get(format!("{}/metrics", ho.url()))
        .and_then(|r| r.text())
        .expect("metrics");
    text.lines()
        .find_map(|l| l.strip_prefix(series))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}
