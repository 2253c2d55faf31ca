//! `bench`: comptoir's benchmarks. Shared machines are noisy, so every figure is
//! given next to a baseline measured in the same run on the same disk, and as a
//! ratio to it:
//! - commit: a durable 5-line, 2-tender sale with its stock movements against a
//!   bare single-row INSERT commit (WAL, synchronous=FULL), interleaved in rounds;
//! - verify: walking a large journal against a bare scan of the same rows
//!   (with the CPU seconds spent, which a busy machine does not inflate as
//!   much as the wall clock);
//! - rebuild: recomputing the projections against the same bare scan;
//! - archive: the auditor's verifier on the exported year 2026 against a
//!   bare SHA-256 of the same file.

mod archive;
mod counter;
mod render;

use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use clap::Parser;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use till::simulate::{self, SimOptions};
use till_core::records::{Event, SaleRecord, TenderKind, TenderRecord};
use till_core::{Basket, BasketConfig, Catalog};
use till_journal::{verify, Journal, OpenOptions, VerifyOptions};

#[derive(Parser)]
#[command(
    name = "bench",
    about = "comptoir benchmarks, as ratios against same-run baselines"
)]
struct Args {
    /// Where the databases go (same disk as a till's journal, ideally).
    /// Default: a temporary folder under target/.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Durable commits measured per side.
    #[arg(long, default_value_t = 400)]
    commits: usize,
    /// Events in the journal that is verified and rebuilt.
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    /// Run only these: commit, verify, rebuild, start, scan, render, archive (comma-separated).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let base = match &args.dir {
        Some(d) => d.clone(),
        None => PathBuf::from("target/bench-data"),
    };
    std::fs::create_dir_all(&base).with_context(|| format!("creating {}", base.display()))?;
    let dir = tempfile::tempdir_in(&base)?;
    let wants = |name: &str| args.only.is_empty() || args.only.iter().any(|o| o == name);
    println!(
        "comptoir bench, data in {} (same disk for baseline and journal)",
        base.display()
    );
    if wants("commit") {
        bench_commit(dir.path(), args.commits)?;
    }
    if wants("verify") || wants("rebuild") {
        let db = big_journal(&base, args.events)?;
        let scan = bare_scan(&db)?;
        println!(
            "\nbaseline: bare scan of {} event rows (all columns read): {:.3} s = {:.0} rows/s",
            scan.0,
            scan.1.as_secs_f64(),
            scan.0 as f64 / scan.1.as_secs_f64()
        );
        if wants("verify") {
            bench_verify(&db, scan)?;
        }
        if wants("rebuild") {
            bench_rebuild(&db, scan)?;
        }
    }
    if wants("archive") {
        let db = big_journal(&base, args.events)?;
        archive::bench_archive(&base, &db)?;
    }
    if wants("start") {
        let db = counter::start_journal(&base, args.events)?;
        counter::bench_start(&base, &db, 100_000, 15)?;
    }
    if wants("scan") {
        counter::bench_scan(&base, 100_000, 5_000)?;
    }
    if wants("render") {
        render::bench_render(2_000)?;
    }
    Ok(())
}

fn ts() -> DateTime<FixedOffset> {
    FixedOffset::east_opt(3600)
        .and_then(|o| o.with_ymd_and_hms(2026, 1, 5, 10, 0, 0).single())
        .unwrap_or_else(|| DateTime::UNIX_EPOCH.into())
}

/// A 5-line sale paid by card and cash, built through the real basket.
fn five_line_sale(catalog: &Catalog, cashier: &till_core::User, n: u64) -> Result<SaleRecord> {
    let mut b = Basket::new(BasketConfig::default(), cashier);
    for item in catalog.items().iter().filter(|i| i.stock_tracked).take(5) {
        let code = item.barcodes.first().cloned().unwrap_or(item.id.clone());
        b.add_code(catalog, &code, None)?;
    }
    let due = b.payment_status().remaining;
    let card = due - rust_decimal::Decimal::from(5);
    b.pay(TenderRecord {
        kind: TenderKind::Card,
        amount: card,
        reference: None,
        card: None,
    })?;
    b.pay_cash(rust_decimal::Decimal::from(10))?;
    let day = NaiveDate::from_ymd_opt(2026, 1, 5).context("date")?;
    Ok(b.complete(&format!("T01-{n:06}"), day, &cashier.id)?)
}

fn stats(mut v: Vec<Duration>) -> (f64, f64, f64) {
    v.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let mean = v.iter().map(|d| us(*d)).sum::<f64>() / v.len().max(1) as f64;
    let median = v.get(v.len() / 2).map(|d| us(*d)).unwrap_or(0.0);
    let p99 = v.get(v.len() * 99 / 100).map(|d| us(*d)).unwrap_or(0.0);
    (median, mean, p99)
}

fn bench_commit(dir: &Path, commits: usize) -> Result<()> {
    let bare = Connection::open(dir.join("bare.db"))?;
    bare.pragma_update(None, "journal_mode", "WAL")?;
    bare.pragma_update(None, "synchronous", "FULL")?;
    bare.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)",
        [],
    )?;
    let row = vec![0x5au8; 1200];

    let journal = Journal::open(
        dir.join("journal.db"),
        OpenOptions {
            terminal_id: "T01".into(),
            shop_id: "SHOP01".into(),
            key_path: dir.join("journal.key"),
            software_version: till::VERSION.into(),
        },
    )?;
    let (items, patterns) = till::demo::catalog()?;
    let catalog = Catalog::new(items, patterns)?;
    let cashier = till_core::User {
        id: "c1".into(),
        name: "Camille".into(),
        role: till_core::Role::Cashier,
        pin_hash: String::new(),
    };
    let sale = five_line_sale(&catalog, &cashier, 1)?;
    println!(
        "\ncommit: {} lines, {} tenders, {} bytes of payload per sale",
        sale.lines.len(),
        sale.tenders.len(),
        Event::SaleCompleted(sale.clone()).payload().len()
    );

    // Interleaved rounds so that both sides see the same disk weather.
    let (mut t_bare, mut t_sale, mut t_build) = (Vec::new(), Vec::new(), Vec::new());
    let rounds = 8;
    let per_round = commits.div_ceil(rounds).max(1);
    let mut n = 1;
    for _ in 0..rounds {
        for _ in 0..per_round {
            let t = Instant::now();
            bare.execute("INSERT INTO t (payload) VALUES (?1)", [&row])?;
            t_bare.push(t.elapsed());
        }
        for _ in 0..per_round {
            n += 1;
            let t = Instant::now();
            let sale = five_line_sale(&catalog, &cashier, n)?;
            t_build.push(t.elapsed());
            let t = Instant::now();
            journal.append_and_clear_basket(ts(), &Event::SaleCompleted(sale))?;
            t_sale.push(t.elapsed());
        }
    }
    let (bm, bmean, bp99) = stats(t_bare);
    let (sm, smean, sp99) = stats(t_sale);
    let (km, _, _) = stats(t_build);
    println!("  bare single-row INSERT commit (WAL, FULL): median {bm:8.1} us  mean {bmean:8.1} us  p99 {bp99:8.1} us");
    println!("  sale append (event + stock + projections + signed tail): median {sm:8.1} us  mean {smean:8.1} us  p99 {sp99:8.1} us");
    println!("  building the sale through the basket (not in the commit): median {km:.1} us");
    println!(
        "  RATIO sale commit / bare commit: median {:.2}, mean {:.2} (target <= 1.5)",
        sm / bm.max(1e-9),
        smean / bmean.max(1e-9)
    );
    Ok(())
}

/// A journal of about `events` events from the simulator (cached between runs).
fn big_journal(base: &Path, events: u64) -> Result<PathBuf> {
    let db = base.join(format!("journal-{events}.db"));
    if db.exists() {
        if let Ok(j) = Journal::open_read_only(&db) {
            if j.head()?.0 >= events {
                println!("\nreusing {} ({} events)", db.display(), j.head()?.0);
                // A journal left by an older build gets this build's schema,
                // as the till's start would give it.
                let opts = OpenOptions {
                    terminal_id: j.terminal_id().to_string(),
                    shop_id: j.shop_id().to_string(),
                    key_path: simulate::key_path_for(&db),
                    software_version: till::VERSION.into(),
                };
                drop(j);
                drop(Journal::open(&db, opts)?);
                return Ok(db);
            }
        }
        for suffix in ["", "-wal", "-shm", ".key"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
    }
    // About 1.04 events per sale (refunds, cash movements, closings).
    let days = (events / 2000).max(1) as u32;
    let sales = events * 100 / 104;
    let t = Instant::now();
    let opts = SimOptions {
        db: db.clone(),
        key: None,
        sales,
        days,
        seed: 7,
        start: NaiveDate::from_ymd_opt(2026, 1, 5).context("date")?,
        terminal_id: "T01".into(),
        shop_id: "SHOP01".into(),
        items: Some(20_000),
        ack: false,
        persist_basket: false,
        print_reports: false,
        batch: 5000,
    };
    let summary = simulate::run(&opts, &mut std::io::sink())?;
    println!(
        "\ngenerated {} events ({} sales over {days} days) in {:.1} s",
        summary.head_seq,
        summary.sales,
        t.elapsed().as_secs_f64()
    );
    Ok(db)
}

fn bare_scan(db: &Path) -> Result<(u64, Duration)> {
    let conn = Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let t = Instant::now();
    let mut stmt = conn.prepare(
        "SELECT terminal_id, seq, ts, kind, payload, prev_hash, hash, signature FROM events ORDER BY terminal_id, seq",
    )?;
    let mut rows = stmt.query([])?;
    let (mut n, mut bytes) = (0u64, 0usize);
    while let Some(r) = rows.next()? {
        let payload: Vec<u8> = r.get(4)?;
        let hash: Vec<u8> = r.get(6)?;
        bytes += payload.len() + hash.len();
        n += 1;
    }
    std::hint::black_box(bytes);
    Ok((n, t.elapsed()))
}

fn bench_verify(db: &Path, scan: (u64, Duration)) -> Result<()> {
    for (label, skip) in [
        ("chain, signatures, tail", true),
        ("everything, with projections", false),
    ] {
        let t = Instant::now();
        let cpu = cpu_seconds();
        let r = verify(
            db,
            VerifyOptions {
                skip_projections: skip,
                ..VerifyOptions::default()
            },
        )?;
        let el = t.elapsed();
        let cpu = cpu_seconds() - cpu;
        anyhow::ensure!(
            r.ok,
            "the generated journal does not verify: {:?}",
            r.first_problem
        );
        println!(
            "verify ({label}): {} events in {:.3} s = {:.0} events/s (target >= 300,000); {:.2}x the bare scan; CPU {cpu:.2} s",
            r.events,
            el.as_secs_f64(),
            r.events as f64 / el.as_secs_f64(),
            el.as_secs_f64() / scan.1.as_secs_f64()
        );
    }
    Ok(())
}

/// User + system CPU seconds of this process so far (Linux /proc; 0 elsewhere):
/// on a shared machine, what the work cost when the wall clock was stolen.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15, the 12th and 13th after the ")".
    (ticks(11) + ticks(12)) / 100.0
}

fn bench_rebuild(db: &Path, scan: (u64, Duration)) -> Result<()> {
    let ro = Journal::open_read_only(db)?;
    let opts = OpenOptions {
        terminal_id: ro.terminal_id().to_string(),
        shop_id: ro.shop_id().to_string(),
        key_path: simulate::key_path_for(db),
        software_version: till::VERSION.into(),
    };
    drop(ro);
    let j = Journal::open(db, opts)?;
    let t = Instant::now();
    j.rebuild_projections()?;
    let el = t.elapsed();
    println!(
        "rebuild projections: {} events in {:.3} s = {:.0} events/s; {:.2}x the bare scan",
        scan.0,
        el.as_secs_f64(),
        scan.0 as f64 / el.as_secs_f64(),
        el.as_secs_f64() / scan.1.as_secs_f64()
    );
    Ok(())
}
