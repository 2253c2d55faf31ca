//! `backoffice-bench`: the back office's pages' server time, each against a
//! bare query on the projection table the page reads, measured in the same
//! run on the same database.
//!
//! - fill: K terminals (default 100) in S stores, N events in all (default
//!   1,000,000) over D days ending today (sales of two lines from a catalog
//!   of I items, default 100,000, 200 of them with a low-stock threshold so
//!   alerts are raised; a signed Z each past day), ingested by head office's
//!   own ingest, batch by batch, like the tills' pushes.
//! - pages: head office served in-process on loopback, an owner logged in;
//!   each page fetched `--samples` times (after a warm-up): p50 and p95 of
//!   the answer's time (server time plus a loopback round trip).
//! - baseline: one bare query on the same projection table (`sales_totals`
//!   of today, of the month; `closings`, `terminals`, `alerts`), p50/p95;
//!   ratio = page p95 / bare p95.
//! - targets (issue 11): every page p95 <= 100 ms, Today <= 50 ms, at 1,000
//!   terminals / 10M events / 100k items on PostgreSQL (1M events on SQLite).
//!
//! `cargo run --release -p till-bench --bin backoffice-bench -- [--terminals K] [--events N] [--postgres] [--no-sqlite]`

use anyhow::{Context, Result};
use chrono::{Duration as Days, Local, NaiveDate};
use clap::Parser;
use ed25519_dalek::{Signer, SigningKey};
use headoffice::http::{AppState, Limits};
use headoffice::metrics::Metrics;
use headoffice::store::auth::BoRole;
use headoffice::store::{self, IngestOutcome, Store, TerminalAuth};
use headoffice::testpg::TestPg;
use headoffice::web::{accounts, BackOffice};
use std::sync::Arc;
use std::time::Instant;
use till_journal::chain::{record_hash, RecordFields, GENESIS_PREV_HASH};
use till_journal::StoredEvent;

#[derive(Parser)]
#[command(name = "backoffice-bench")]
struct Args {
    #[arg(long, default_value_t = 100)]
    terminals: usize,
    /// Events in all (spread evenly over the terminals).
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    #[arg(long, default_value_t = 20)]
    stores: usize,
    #[arg(long, default_value_t = 60)]
    days: i64,
    #[arg(long, default_value_t = 100_000)]
    items: usize,
    /// Timed fetches of each page (and runs of each bare query).
    #[arg(long, default_value_t = 50)]
    samples: usize,
    /// Also measure on a throwaway PostgreSQL cluster.
    #[arg(long)]
    postgres: bool,
    /// Skip SQLite.
    #[arg(long)]
    no_sqlite: bool,
}

const PW: &str = "bench password 1234";
/// Items with a low-stock threshold (raise alerts as they sell).
const WATCHED: usize = 200;

/// One terminal's journal, made as the till makes it (chained, Z signed).
struct Gen {
    auth: TerminalAuth,
    key: SigningKey,
    prev: [u8; 32],
    seq: u64,
}

impl Gen {
    fn event(&mut self, ts: String, kind: &str, payload: Vec<u8>) -> Result<StoredEvent> {
        self.seq += 1;
        let hash = record_hash(
            &self.prev,
            &RecordFields {
                terminal_id: &self.auth.terminal_id,
                seq: self.seq,
                ts: &ts,
                kind,
                payload: &payload,
            },
        )
        .map_err(|e| anyhow::anyhow!("hash: {e:?}"))?;
        let signature = (kind == "closing").then(|| self.key.sign(&hash).to_bytes().to_vec());
        let e = StoredEvent {
            terminal_id: self.auth.terminal_id.clone(),
            seq: self.seq,
            ts,
            kind: kind.into(),
            payload,
            prev_hash: self.prev,
            hash,
            signature,
        };
        self.prev = hash;
        Ok(e)
    }
}

fn line(no: u32, item: usize, total: &str, rate: &str) -> String {
    format!(
        r#"{{"line_no":{no},"item_id":"I{item:06}","barcode":null,"name":"Article {item}","unit":"piece","quantity":"1","unit_price":"{total}","overridden_from":null,"vat_rate":"{rate}","gross":"{total}","line_discount":"0.00","basket_discount":"0.00","total":"{total}","stock_tracked":true}}"#
    )
}

/// A two-line sale (VAT 20 % and 5.5 %) of `day`, paid by card or cash.
fn sale(day: NaiveDate, n: u64, items: usize) -> Vec<u8> {
    let (a, b) = (
        (n as usize * 7919) % items,
        (n as usize * 104_729 + 13) % items,
    );
    let tender = if n % 3 == 0 { "cash" } else { "card" };
    format!(
        r#"{{"kind":"sale","sale_no":"S{n}","business_day":"{day}","operator":"c1","customer":null,"lines":[{},{}],"basket_discount":"0.00","total":"14.11","rounding":"0.00","vat":[{{"rate":"5.50","base":"2.00","tax":"0.11","total":"2.11"}},{{"rate":"20.00","base":"10.00","tax":"2.00","total":"12.00"}}],"tenders":[{{"kind":"{tender}","amount":"14.11","reference":null,"card":null}}],"change":"0.00","reverses":null,"without_receipt":false,"approvals":[],"flags":[],"training":false}}"#,
        line(1, a, "12.00", "20.00"),
        line(2, b, "2.11", "5.50")
    )
    .into_bytes()
}

fn closing(day: NaiveDate, first: u64, last: u64) -> Result<Vec<u8>> {
    let totals = serde_json::to_value(till_core::records::PeriodTotals::default())?;
    Ok(serde_json::to_vec(&serde_json::json!({
        "kind": "day", "period": day.to_string(), "first_seq": first, "last_seq": last,
        "totals": totals, "grand_total": "0.00", "grand_total_abs": "0.00",
        "operator": "m1", "counted": {}
    }))?)
}

/// Fills `store`; returns how many events were stored.
fn fill(store: &dyn Store, a: &Args) -> Result<u64> {
    let t0 = Instant::now();
    let mut csv = String::from("id,name,price,vat_rate,unit,low_stock\n");
    for i in 0..a.items {
        let th = if i < WATCHED { "5" } else { "" };
        csv.push_str(&format!("I{i:06},Article {i},12.00,20,piece,{th}\n"));
    }
    store.load_catalog(&headoffice::load::parse_csv(&csv)?)?;
    let today = Local::now().date_naive();
    let per_terminal = a.events / a.terminals as u64;
    let days = a.days.max(1);
    // Each day: its sales and one Z (except today).
    let per_day = (per_terminal.saturating_sub(1 + days as u64) / days as u64).max(1);
    let mut stored = 0u64;
    let mut n = 0u64;
    for t in 0..a.terminals {
        let terminal = format!("T{t:04}");
        let store_id = format!("S{:03}", t % a.stores);
        let token = headoffice::new_token().map_err(|e| anyhow::anyhow!("token: {e}"))?;
        store.register_terminal(&store_id, &terminal, &headoffice::token_sha256(&token))?;
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&(t as u64 + 1).to_le_bytes());
        let mut g = Gen {
            auth: TerminalAuth {
                terminal_id: terminal.clone(),
                store_id: store_id.clone(),
            },
            key: SigningKey::from_bytes(&seed),
            prev: GENESIS_PREV_HASH,
            seq: 0,
        };
        let first_day = today - Days::days(days - 1);
        let init = serde_json::to_vec(&till_core::records::TerminalInitialised {
            terminal_id: terminal.clone(),
            shop_id: store_id.clone(),
            public_key: hex_of(&g.key.verifying_key().to_bytes()),
            software_version: "0.1.0".into(),
        })?;
        let mut batch = vec![g.event(
            format!("{first_day}T08:00:00.000+01:00"),
            "terminal_initialised",
            init,
        )?];
        let mut push = |batch: &mut Vec<StoredEvent>, g: &Gen| -> Result<()> {
            match store.ingest(&g.auth, batch)? {
                IngestOutcome::Acked { stored: s, .. } => stored += s,
                other => anyhow::bail!("{}: {other:?}", g.auth.terminal_id),
            }
            batch.clear();
            Ok(())
        };
        for d in 0..days {
            let day = first_day + Days::days(d);
            let first = g.seq + 1;
            for i in 0..per_day {
                n += 1;
                let secs = 9 * 3600 + i * (10 * 3600) / per_day;
                let ts = format!(
                    "{day}T{:02}:{:02}:{:02}.000+01:00",
                    secs / 3600,
                    secs / 60 % 60,
                    secs % 60
                );
                batch.push(g.event(ts, "sale_completed", sale(day, n, a.items))?);
                if batch.len() >= 2000 {
                    push(&mut batch, &g)?;
                }
            }
            if day < today {
                let last = g.seq;
                batch.push(g.event(
                    format!("{day}T20:00:00.000+01:00"),
                    "closing",
                    closing(day, first, last)?,
                )?);
            }
        }
        push(&mut batch, &g)?;
        if t % 10 == 9 || t + 1 == a.terminals {
            eprintln!(
                "  filled {} terminals, {stored} events, {:.0} s",
                t + 1,
                t0.elapsed().as_secs_f64()
            );
        }
    }
    Ok(stored)
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Head office in-process on its own runtime, on 127.0.0.1.
struct Server {
    url: String,
    _rt: tokio::runtime::Runtime,
}

fn serve(store: Arc<dyn Store>) -> Result<Server> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    let state = AppState {
        store,
        metrics: Arc::new(Metrics::default()),
        limits: Limits::default(),
        access: headoffice::access::Access::public(),
        backoffice: BackOffice::default(),
    };
    rt.spawn(headoffice::serve(listener, state, std::future::pending()));
    Ok(Server {
        url: format!("http://{addr}"),
        _rt: rt,
    })
}

/// (p50, p95) in milliseconds of `samples` runs of `f` (after 3 warm-ups).
fn time(samples: usize, mut f: impl FnMut() -> Result<()>) -> Result<(f64, f64)> {
    for _ in 0..3 {
        f()?;
    }
    let mut t = Vec::with_capacity(samples);
    for _ in 0..samples.max(1) {
        let s = Instant::now();
        f()?;
        t.push(s.elapsed().as_secs_f64() * 1000.0);
    }
    t.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| t[((t.len() as f64 - 1.0) * q).round() as usize];
    Ok((at(0.5), at(0.95)))
}

/// A bare query on a page's projection table, on a connection of its own.
enum Raw {
    Sqlite(rusqlite::Connection),
    Pg(postgres::Client),
}

impl Raw {
    /// Runs `sql` (params: `$1`/`?1`.. as text) and reads every row's columns.
    fn run(&mut self, sqlite: &str, pg: &str, params: &[&str]) -> Result<usize> {
        match self {
            Raw::Sqlite(c) => {
                let mut st = c.prepare_cached(sqlite)?;
                let cols = st.column_count();
                let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
                let mut n = 0;
                while let Some(r) = rows.next()? {
                    for i in 0..cols {
                        let _ = r.get_ref(i)?;
                    }
                    n += 1;
                }
                Ok(n)
            }
            Raw::Pg(c) => {
                let p: Vec<&(dyn postgres::types::ToSql + Sync)> = params
                    .iter()
                    .map(|s| s as &(dyn postgres::types::ToSql + Sync))
                    .collect();
                Ok(c.query(pg, &p)?.len())
            }
        }
    }
}

fn measure(backend: &str, a: &Args, store: Arc<dyn Store>, mut raw: Raw) -> Result<()> {
    accounts::add_user(&*store, "owner@bench.fr", BoRole::Owner, None, PW)
        .map_err(|e| anyhow::anyhow!("owner: {e}"))?;
    let server = serve(store)?;
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let login = client
        .post(format!("{}/login", server.url))
        .form(&[("email", "owner@bench.fr"), ("password", PW)])
        .send()?;
    let cookie = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_string))
        .collect::<Vec<_>>()
        .join("; ");
    anyhow::ensure!(
        cookie.contains("comptoir_session"),
        "login failed: {}",
        login.status()
    );
    let today = Local::now().date_naive();
    let month = today - Days::days(29);
    let (d, m) = (today.to_string(), month.to_string());
    let pages: Vec<(&str, String, &str, &str, Vec<&str>)> = vec![
        (
            "Today",
            "/".into(),
            "SELECT store_id, key, amount FROM sales_totals WHERE day = ?1",
            "SELECT store_id, key, amount::text FROM sales_totals WHERE day = $1",
            vec![&d],
        ),
        (
            "Today (live)",
            "/aujourdhui/live".into(),
            "SELECT store_id, key, amount FROM sales_totals WHERE day = ?1",
            "SELECT store_id, key, amount::text FROM sales_totals WHERE day = $1",
            vec![&d],
        ),
        (
            "Sales (30 days by day)",
            format!("/ventes?du={m}&au={d}&par=jour"),
            "SELECT store_id, day, key, amount FROM sales_totals WHERE day >= ?1 AND day <= ?2",
            "SELECT store_id, day, key, amount::text FROM sales_totals WHERE day >= $1 AND day <= $2",
            vec![&m, &d],
        ),
        (
            "Closings",
            "/clotures".into(),
            "SELECT * FROM closings ORDER BY period DESC LIMIT 200",
            "SELECT terminal_id, seq, period, net_total::text FROM closings ORDER BY period DESC LIMIT 200",
            vec![],
        ),
        (
            "Terminals",
            "/terminaux".into(),
            "SELECT * FROM terminals",
            "SELECT terminal_id, store_id, last_seq, last_seen FROM terminals",
            vec![],
        ),
        (
            "Alerts",
            "/alertes".into(),
            "SELECT * FROM alerts ORDER BY id DESC LIMIT 500",
            "SELECT id, at, terminal_id, code, detail FROM alerts ORDER BY id DESC LIMIT 500",
            vec![],
        ),
    ];
    println!(
        "{backend}: page server time vs a bare query on its projection ({} samples)",
        a.samples
    );
    println!(
        "  {:<24} {:>9} {:>9} {:>9} {:>9} {:>7}",
        "page", "p50 ms", "p95 ms", "bare p50", "bare p95", "ratio"
    );
    for (name, path, sq, pq, params) in pages {
        let url = format!("{}{path}", server.url);
        let (p50, p95) = time(a.samples, || {
            let r = client.get(&url).header("cookie", &cookie).send()?;
            anyhow::ensure!(r.status().is_success(), "{path}: {}", r.status());
            let _ = r.bytes()?;
            Ok(())
        })?;
        let (b50, b95) = time(a.samples, || raw.run(sq, pq, &params).map(|_| ()))?;
        println!(
            "  {name:<24} {p50:>9.2} {p95:>9.2} {b50:>9.2} {b95:>9.2} {:>7.1}",
            p95 / b95.max(0.001)
        );
    }
    Ok(())
}

fn main() -> Result<()> {
    let a = Args::parse();
    println!(
        "back office: {} terminals, {} stores, {} events over {} days, {} items",
        a.terminals, a.stores, a.events, a.days, a.items
    );
    if !a.no_sqlite {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("ho.db");
        let store = store::open(&format!("sqlite:{}", path.display()))?;
        let t = Instant::now();
        let n = fill(&*store, &a).context("filling SQLite")?;
        println!(
            "sqlite: {n} events stored in {:.0} s",
            t.elapsed().as_secs_f64()
        );
        let raw = Raw::Sqlite(rusqlite::Connection::open(&path)?);
        measure("sqlite", &a, store, raw)?;
    }
    if a.postgres {
        let pg = TestPg::start(&["fsync=off"])?;
        let url = pg.create_db("bench")?;
        let store = store::open(&url)?;
        let t = Instant::now();
        let n = fill(&*store, &a).context("filling PostgreSQL")?;
        println!(
            "postgres: {n} events stored in {:.0} s",
            t.elapsed().as_secs_f64()
        );
        let raw = Raw::Pg(postgres::Client::connect(&url, postgres::NoTls)?);
        measure("postgres", &a, store, raw)?;
    }
    Ok(())
}
