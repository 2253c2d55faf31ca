//! `backoffice-bench`: every back-office page's server time, each against
//! a bare query on the projection table the page reads, measured in the
//! same run on the same database (SQLite, and PostgreSQL with `--postgres`).
//!
//! # The data, and why it is what head office would hold
//!
//! - Catalog: `--items` items (default 100,000) loaded by head office's own
//!   `load_catalog` (so the search words are indexed as in production);
//!   200 of them carry a low-stock threshold of 5, so selling raises and
//!   clears low-stock alerts.
//! - Terminals: `--terminals` (default 100) registered by
//!   `register_terminal`, `--stores` stores (default: one per 10 terminals).
//! - Journals ([`journal`]): `--events` events in all (default 1,000,000),
//!   evenly over the terminals and the `--days` days (default 60) ending
//!   today, made as the till makes them: chained records, the key declared
//!   by the first event, a signed Z each past day, two-line sales from the
//!   whole catalog (card, cash, cheque), an abandoned basket in 50 events, a
//!   sale in 997 flagged by the till.
//! - Past days ([`seed::bulk`], unless `--ingest-all`): the events rows are
//!   written in bulk (PostgreSQL `COPY ... FORMAT binary`, SQLite one
//!   transaction of prepared inserts per terminal), and the projections
//!   batch by batch (2,000 events, the daemon's batch) through the store's
//!   own ingest transaction, after the checks ingest makes and from the
//!   deltas ingest computes: the same rows `ingest::run` writes (the unit
//!   test `seed::tests` ingests the same journals both ways and compares
//!   every projection table, on SQLite and PostgreSQL). Only the events'
//!   insert statement differs, which no page reads.
//! - Today ([`seed::ingest`]): every terminal's events of today go through
//!   `Store::ingest`, batch by batch, exactly as the tills' pushes.
//! - Head office's own work: `--stock-ops` goods receipts (default 200, ten
//!   lines each) posted through the Stock page's form by the logged-in
//!   owner, so the movements table and the audit log hold what they would.
//! - Then `ANALYZE` (PostgreSQL: `VACUUM ANALYZE`): what autovacuum does to
//!   a live database soon after a load; a bulk-loaded one has no statistics.
//!
//! # The measurement ([`pages`])
//!
//! Head office served in-process on loopback (the real router), an owner
//! logged in through `/login`; each GET route fetched `--samples` times
//! after 3 warm-ups: p50/p95/p99 of the answer's time (server time plus a
//! loopback round trip). Baseline: a bare query on the projection table
//! the page reads, on a connection of its own, as many times: ratio = page
//! p95 / bare p95. Targets (issue 11): every page p95 <= 100 ms, Today <=
//! 50 ms, at 1,000 terminals / 10M events / 100k items on PostgreSQL (1M
//! events on SQLite).
//!
//! ```text
//! cargo run --release -p till-bench --bin backoffice-bench -- [--terminals K] [--events N]
//!     [--items I] [--postgres] [--no-sqlite] [--samples S] [--only PAGE] [--ingest-all]
//! ```
//! Figures: `crates/headoffice/README.md`, "Speed".

mod journal;
mod pages;
mod seed;

use anyhow::{Context, Result};
use chrono::Local;
use clap::Parser;
use headoffice::store::auth::BoRole;
use headoffice::store::{self, Store};
use headoffice::testpg::TestPg;
use headoffice::web::accounts;
use journal::Shape;
use std::time::Instant;

#[derive(Parser)]
#[command(name = "backoffice-bench")]
struct Args {
    #[arg(long, default_value_t = 100)]
    terminals: usize,
    /// Events in all (spread evenly over the terminals).
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    /// Stores (default: one per 10 terminals).
    #[arg(long)]
    stores: Option<usize>,
    #[arg(long, default_value_t = 60)]
    days: i64,
    #[arg(long, default_value_t = 100_000)]
    items: usize,
    /// Timed fetches of each page (and runs of each bare query).
    #[arg(long, default_value_t = 50)]
    samples: usize,
    /// Goods receipts posted through the Stock page before measuring.
    #[arg(long, default_value_t = 200)]
    stock_ops: usize,
    /// Also measure on a throwaway PostgreSQL cluster (under /tmp, deleted after).
    #[arg(long)]
    postgres: bool,
    /// Skip SQLite.
    #[arg(long)]
    no_sqlite: bool,
    /// Every event through `Store::ingest` (slow at scale): no bulk write.
    #[arg(long)]
    ingest_all: bool,
    /// Only the pages whose name contains this.
    #[arg(long)]
    only: Option<String>,
    /// Use this PostgreSQL database (kept) instead of a throwaway cluster.
    #[arg(long)]
    pg_url: Option<String>,
    /// Use this SQLite file (kept) instead of a temporary one.
    #[arg(long)]
    sqlite_path: Option<std::path::PathBuf>,
    /// Measure a database an earlier run with `--pg-url` or `--sqlite-path`
    /// filled (same shape); its statistics are the caller's (`ANALYZE`).
    #[arg(long)]
    measure_only: bool,
}

const PW: &str = "bench password 1234";
/// Items with a low-stock threshold (raise alerts as they sell).
const WATCHED: usize = 200;

/// How the filling went.
struct Filled {
    events: u64,
    bulk_s: f64,
    ingest_s: f64,
}

/// The catalog: `items` items, the first [`WATCHED`] with a threshold.
fn load_catalog(store: &dyn Store, items: usize) -> Result<()> {
    let mut csv = String::from("id,name,price,vat_rate,unit,low_stock\n");
    for i in 0..items {
        let th = if i < WATCHED { "5" } else { "" };
        csv.push_str(&format!("I{i:06},Article {i},12.00,20,piece,{th}\n"));
    }
    store.load_catalog(&headoffice::load::parse_csv(&csv)?)?;
    Ok(())
}

/// Fills `store` (reached as `db` by the bulk writer) with `shape`.
fn fill(store: &dyn Store, db: &str, shape: &Shape, ingest_all: bool) -> Result<Filled> {
    let t0 = Instant::now();
    load_catalog(store, shape.items)?;
    let today = Local::now().date_naive();
    let mut raw = seed::Bulk::open(db)?;
    let mut f = Filled {
        events: 0,
        bulk_s: 0.0,
        ingest_s: 0.0,
    };
    // Journals are made on a thread of their own while the previous one is written.
    let (tx, rx) = std::sync::mpsc::sync_channel(2);
    let sh = *shape;
    let maker = std::thread::spawn(move || -> Result<()> {
        for t in 0..sh.terminals {
            if tx.send((t, journal::journal(&sh, t, today)?)).is_err() {
                break;
            }
        }
        Ok(())
    });
    for (t, (past, now)) in rx {
        let auth = shape.terminal(t);
        let token = headoffice::new_token().map_err(|e| anyhow::anyhow!("token: {e}"))?;
        store.register_terminal(
            &auth.store_id,
            &auth.terminal_id,
            &headoffice::token_sha256(&token),
        )?;
        let s = Instant::now();
        f.events += if ingest_all {
            seed::ingest(store, &auth, &past)?
        } else {
            seed::bulk(store, &mut raw, &auth, &past)?
        };
        let m = Instant::now();
        f.events += seed::ingest(store, &auth, &now)?;
        f.bulk_s += (m - s).as_secs_f64();
        f.ingest_s += m.elapsed().as_secs_f64();
        if (t + 1) % 50 == 0 || t + 1 == shape.terminals {
            eprintln!(
                "  filled {} terminals, {} events, {:.0} s",
                t + 1,
                f.events,
                t0.elapsed().as_secs_f64()
            );
        }
    }
    maker
        .join()
        .map_err(|_| anyhow::anyhow!("journal thread panicked"))??;
    Ok(f)
}

/// Goods receipts through the Stock page's form, as the owner enters them.
fn stock_ops(s: &pages::Session, n: usize, shape: &Shape) -> Result<()> {
    for i in 0..n {
        let mut form: Vec<(&str, String)> = vec![
            ("op_id", format!("bench-{i:06}")),
            ("magasin", format!("S{:03}", i % shape.stores)),
            ("fournisseur", "Grossiste Dupont".into()),
            ("reference", format!("BL-{i:06}")),
        ];
        for l in 0..10 {
            form.push((
                "article",
                format!("I{:06}", (i * 37 + l * 1009) % shape.items),
            ));
            form.push(("quantite", "12".into()));
        }
        let st = s.post("/stock/reception", &form)?;
        anyhow::ensure!(
            st.is_success() || st.is_redirection(),
            "goods receipt {i}: {st}"
        );
    }
    Ok(())
}

fn run(backend: &str, db: &str, a: &Args, shape: &Shape) -> Result<()> {
    let store = store::open(db)?;
    let raw = if db.starts_with("postgres") {
        pages::Raw::Pg(postgres::Client::connect(db, postgres::NoTls)?)
    } else {
        pages::Raw::Sqlite(rusqlite::Connection::open(
            db.strip_prefix("sqlite:").unwrap_or(db),
        )?)
    };
    if a.measure_only {
        // The owner and the receipts may be there already (a receipt's
        // op_id is recorded once).
        let _ = accounts::add_user(&*store, "owner@bench.fr", BoRole::Owner, None, PW);
        let server = pages::serve(store)?;
        let session = pages::Session::login(&server.url, "owner@bench.fr", PW)?;
        stock_ops(&session, a.stock_ops, shape)?;
        let only = a.only.as_deref();
        let m = pages::measure(
            backend,
            &session,
            raw,
            a.samples,
            shape.stores,
            shape.items,
            only,
        )?;
        summary(backend, &m);
        return Ok(());
    }
    let t = Instant::now();
    let f = fill(&*store, db, shape, a.ingest_all).with_context(|| format!("filling {backend}"))?;
    let analyse = Instant::now();
    match &raw {
        pages::Raw::Pg(_) => {
            let mut c = postgres::Client::connect(db, postgres::NoTls)?;
            c.batch_execute("VACUUM ANALYZE")?;
        }
        pages::Raw::Sqlite(c) => c.execute_batch("ANALYZE")?,
    }
    println!(
        "{backend}: {} events stored in {:.0} s (past days in bulk {:.0} s, today through ingest {:.0} s; {}), ANALYZE {:.0} s",
        f.events,
        t.elapsed().as_secs_f64() - analyse.elapsed().as_secs_f64(),
        f.bulk_s,
        f.ingest_s,
        if a.ingest_all { "all through ingest" } else { "bulk" },
        analyse.elapsed().as_secs_f64()
    );
    accounts::add_user(&*store, "owner@bench.fr", BoRole::Owner, None, PW)
        .map_err(|e| anyhow::anyhow!("owner: {e}"))?;
    let server = pages::serve(store)?;
    let session = pages::Session::login(&server.url, "owner@bench.fr", PW)?;
    let s = Instant::now();
    stock_ops(&session, a.stock_ops, shape)?;
    println!(
        "{backend}: {} goods receipts posted in {:.1} s",
        a.stock_ops,
        s.elapsed().as_secs_f64()
    );
    let m = pages::measure(
        backend,
        &session,
        raw,
        a.samples,
        shape.stores,
        shape.items,
        a.only.as_deref(),
    )?;
    summary(backend, &m);
    Ok(())
}

/// The pages over their target, or that none is.
fn summary(backend: &str, m: &[pages::Measured]) {
    let over: Vec<String> = m
        .iter()
        .filter(|p| p.page.p95 > p.target)
        .map(|p| format!("{} ({:.1} ms > {} ms)", p.name, p.page.p95, p.target))
        .collect();
    let worst = m
        .iter()
        .map(|p| p.page.p95 / p.bare.p95.max(0.001))
        .fold(0.0, f64::max);
    if over.is_empty() {
        println!("{backend}: every page within its p95 target; highest ratio to its bare query {worst:.1}");
    } else {
        println!("{backend}: over target: {}", over.join(", "));
    }
}

fn main() -> Result<()> {
    let a = Args::parse();
    let shape = Shape {
        terminals: a.terminals.max(1),
        stores: a.stores.unwrap_or(a.terminals.div_ceil(10)).max(1),
        events: a.events,
        days: a.days.max(1),
        items: a.items.max(WATCHED),
    };
    println!(
        "back office: {} terminals, {} stores, {} events over {} days, {} items",
        shape.terminals, shape.stores, shape.events, shape.days, shape.items
    );
    if !a.no_sqlite {
        let dir = tempfile::tempdir()?;
        let path = a
            .sqlite_path
            .clone()
            .unwrap_or_else(|| dir.path().join("ho.db"));
        run("sqlite", &format!("sqlite:{}", path.display()), &a, &shape)?;
    }
    if let Some(url) = &a.pg_url {
        run("postgres", url, &a, &shape)?;
    } else if a.postgres {
        // fsync off: a throwaway cluster (reads are what is measured).
        let pg = TestPg::start(&["fsync=off", "shared_buffers=1GB"])?;
        let url = pg.create_db("bench")?;
        run("postgres", &url, &a, &shape)?;
    }
    Ok(())
}
