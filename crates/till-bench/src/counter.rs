//! The counter app's start and scan paths (`--only start,scan`).
//!
//! - start: open the journal, restore the basket in progress, load a
//!   100,000-item catalog from `catalog.db`, build the app: ready to sell.
//!   Baseline: a bare SQLite open of the same journal reading its tail row,
//!   plus a bare read of the catalog rows (no decoding). The same start on a
//!   fresh 10-event journal shows whether start-up depends on the journal's
//!   size (it must not scan it).
//! - scan: code -> catalog lookup -> basket line -> frame drawn (the line on
//!   screen), then the basket saved (fsync). Baselines: a bare HashMap lookup
//!   of the same codes, and a bare one-row durable SQLite write.

use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset, TimeZone};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use rusqlite::Connection;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use till::app::{App, Key, NoDevices, Screen, Settings};
use till::simulate::key_path_for;
use till_catalog::CatalogStore;
use till_core::{Basket, BasketConfig, User};
use till_journal::{Journal, OpenOptions};

fn clock() -> DateTime<FixedOffset> {
    FixedOffset::east_opt(3600)
        .and_then(|o| o.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).single())
        .unwrap_or_else(|| DateTime::UNIX_EPOCH.into())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median_max(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    (
        v.get(v.len() / 2).map(|d| ms(*d)).unwrap_or(0.0),
        v.last().map(|d| ms(*d)).unwrap_or(0.0),
    )
}

fn pct(mut v: Vec<Duration>, p: usize) -> f64 {
    v.sort();
    let i = (v.len() * p / 100).min(v.len().saturating_sub(1));
    v.get(i).map(|d| d.as_secs_f64() * 1e6).unwrap_or(0.0)
}

/// A catalog store of `n` synthetic items (cached between runs).
fn catalog_db(base: &Path, n: usize) -> Result<PathBuf> {
    let path = base.join(format!("catalog-{n}.db"));
    let mut store = CatalogStore::open(&path)?;
    if store.version()? != n as u64 {
        let t = Instant::now();
        let items = till::demo::synthetic_catalog(n)?;
        store.replace_all(&items, n as u64)?;
        println!(
            "\ngenerated {} ({n} items) in {:.1} s",
            path.display(),
            t.elapsed().as_secs_f64()
        );
    }
    Ok(path)
}

fn opts(db: &Path, terminal: &str, shop: &str) -> OpenOptions {
    OpenOptions {
        terminal_id: terminal.into(),
        shop_id: shop.into(),
        key_path: key_path_for(db),
        software_version: till::VERSION.into(),
    }
}

fn settings() -> Settings {
    Settings {
        shop: till::app::demo_shop(),
        basket: BasketConfig::default(),
        layout: Default::default(),
        logo: None,
        receipts_hint: None,
        rules: Default::default(),
        lang: Default::default(),
    }
}

struct StartTimes {
    open: Duration,
    catalog: Duration,
    app: Duration,
    total: Duration,
}

/// The start path as `till run` does it, timed by phase.
fn start_once(db: &Path, catalog: &Path, terminal: &str, shop: &str) -> Result<(StartTimes, App)> {
    let t0 = Instant::now();
    // As `till run` does: the catalog loads on its own thread meanwhile.
    let loading = till::app::spawn_catalog_load(catalog.to_path_buf(), till::demo::patterns()?);
    let journal = Journal::open(db, opts(db, terminal, shop))?;
    let users: Vec<User> = journal
        .list_users::<User>()?
        .into_iter()
        .map(|(_, u)| u)
        .collect();
    let t1 = Instant::now();
    let catalog = till::app::join_catalog(loading)?;
    let t2 = Instant::now();
    let app = App::new(
        journal,
        catalog,
        users,
        settings(),
        Box::new(NoDevices::default()),
        Box::new(clock),
    )?;
    let t3 = Instant::now();
    Ok((
        StartTimes {
            open: t1 - t0,
            catalog: t2 - t1,
            app: t3 - t2,
            total: t3 - t0,
        },
        app,
    ))
}

/// Saves a 5-line basket in the journal, as a till that crashed mid-sale.
fn leave_basket(journal: &Journal, catalog: &Path) -> Result<()> {
    let cat = CatalogStore::open(catalog)?.load(Vec::new())?;
    let users = till::users::ensure_demo_users(journal)?;
    let cashier = users.first().context("demo users")?;
    let mut b = Basket::new(BasketConfig::default(), cashier);
    for it in cat.items().iter().step_by(997).take(5) {
        b.add_item(it, rust_decimal::Decimal::ONE, it.barcodes.first().cloned())?;
    }
    journal.save_basket(&serde_json::to_vec(&b)?)?;
    Ok(())
}

fn bare_start(db: &Path, catalog: &Path) -> Result<Duration> {
    let t = Instant::now();
    let conn = Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let (seq, hash): (i64, Vec<u8>) = conn.query_row("SELECT seq, hash FROM tail", [], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    std::hint::black_box((seq, hash));
    let cat = Connection::open_with_flags(catalog, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut st = cat.prepare("SELECT item_id, item FROM catalog")?;
    let mut rows = st.query([])?;
    let mut bytes = 0usize;
    while let Some(r) = rows.next()? {
        bytes += r.get_ref(1)?.as_bytes()?.len();
    }
    std::hint::black_box(bytes);
    Ok(t.elapsed())
}

/// The 1,000,000-event journal for the start path: the shared generator
/// (`big_journal`, batches of 5000), or, if that fails, the same simulator in
/// batches of 200 (smaller multi-row statements) into its own file.
pub fn start_journal(base: &Path, events: u64) -> Result<PathBuf> {
    // The simulator lands a little under the count asked for; a journal
    // within 1 % is the same benchmark (and saves minutes of generation).
    let cached = base.join(format!("journal-{events}.db"));
    if let Ok(j) = Journal::open_read_only(&cached) {
        if j.head()?.0 >= events * 99 / 100 {
            println!("\nreusing {} ({} events)", cached.display(), j.head()?.0);
            return Ok(cached);
        }
    }
    match crate::big_journal(base, events) {
        Ok(db) => Ok(db),
        Err(e) => {
            println!(
                "
shared generator failed ({e:#}); generating in batches of 200"
            );
            let db = base.join(format!("journal-start-{events}.db"));
            if let Ok(j) = Journal::open_read_only(&db) {
                if j.head()?.0 >= events {
                    return Ok(db);
                }
            }
            for suffix in ["", "-wal", "-shm", ".key"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
            }
            let t = Instant::now();
            let opts = till::simulate::SimOptions {
                db: db.clone(),
                key: None,
                sales: events * 100 / 104,
                days: (events / 2000).max(1) as u32,
                seed: 7,
                start: chrono::NaiveDate::from_ymd_opt(2026, 1, 5).context("date")?,
                terminal_id: "T01".into(),
                shop_id: "SHOP01".into(),
                items: Some(20_000),
                ack: false,
                persist_basket: false,
                print_reports: false,
                batch: 200,
            };
            let summary = till::simulate::run(&opts, &mut std::io::sink())?;
            println!(
                "generated {} events in {:.1} s",
                summary.head_seq,
                t.elapsed().as_secs_f64()
            );
            Ok(db)
        }
    }
}

/// `--only start`.
pub fn bench_start(base: &Path, db: &Path, items: usize, runs: usize) -> Result<()> {
    let catalog = catalog_db(base, items)?;
    let events = Journal::open_read_only(db)?.head()?.0;
    {
        let j = Journal::open(db, opts(db, "T01", "SHOP01"))?;
        leave_basket(&j, &catalog)?;
    }
    let small_dir = tempfile::tempdir_in(base)?;
    let small = small_dir.path().join("journal.db");
    {
        let j = Journal::open(&small, opts(&small, "T02", "SHOP01"))?;
        leave_basket(&j, &catalog)?;
    }
    // One untimed run each to warm the page cache: a till starts from a
    // disk it just booted from; we measure the software, not the disk.
    let _ = start_once(db, &catalog, "T01", "SHOP01")?;
    let _ = start_once(&small, &catalog, "T02", "SHOP01")?;
    let _ = bare_start(db, &catalog)?;
    let (mut open, mut cat, mut app, mut total, mut small_total, mut bare) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..runs {
        let (t, a) = start_once(db, &catalog, "T01", "SHOP01")?;
        anyhow::ensure!(
            a.basket().is_some(),
            "the basket in progress was not restored"
        );
        drop(a);
        open.push(t.open);
        cat.push(t.catalog);
        app.push(t.app);
        total.push(t.total);
        let (t, a) = start_once(&small, &catalog, "T02", "SHOP01")?;
        drop(a);
        small_total.push(t.total);
        bare.push(bare_start(db, &catalog)?);
    }
    {
        let j = Journal::open(db, opts(db, "T01", "SHOP01"))?;
        j.clear_basket()?;
    }
    // Where the catalog's time goes (one run, the pieces in sequence).
    let t = Instant::now();
    let store = CatalogStore::open(&catalog)?;
    let items_read = store.load_items()?;
    let decode = t.elapsed();
    let t = Instant::now();
    let built = till_core::Catalog::new(items_read, till::demo::patterns()?)?;
    let index = t.elapsed();
    drop(built);
    let t = Instant::now();
    let j = Journal::open(db, opts(db, "T01", "SHOP01"))?;
    let open_alone = t.elapsed();
    drop(j);
    // Receipt look-up at the counter (refund, reprint): a recent receipt and
    // one from the middle of the journal (everything after it is read for
    // refunds and reprints that reference it).
    let ro = Journal::open_read_only(db)?;
    let last = ro.next_sale_no()? - 1;
    let mut lookups = Vec::new();
    for n in [last.saturating_sub(20), last / 2] {
        let t = Instant::now();
        let found = till::app::store::find_sale(&ro, &format!("T01-{n:06}"))?;
        lookups.push((n, found.is_some(), t.elapsed()));
    }
    drop(ro);
    let (tm, tx) = median_max(total);
    let (bm, _) = median_max(bare);
    let (sm, _) = median_max(small_total);
    println!(
        "\nstart path: open journal ({events} events), restore a 5-line basket, load {items} items, app ready; {runs} runs, warm cache"
    );
    for (label, v) in [
        ("open journal + users", open),
        ("catalog (rest of the overlap)", cat),
        ("restore basket, app ready", app),
    ] {
        let (m, x) = median_max(v);
        println!("  {label:<28} median {m:>8.1} ms   max {x:>8.1} ms");
    }
    println!(
        "  (alone, one run: journal open {:.1} ms; catalog rows read + JSON decoded {:.1} ms, indexes built {:.1} ms)",
        ms(open_alone),
        ms(decode),
        ms(index)
    );
    println!(
        "  {:<28} median {tm:>8.1} ms   max {tx:>8.1} ms   (target <= 300 ms)",
        "total: ready to sell"
    );
    println!(
        "  baseline: bare SQLite open + tail row + catalog rows read undecoded: median {bm:.1} ms -> start = {:.1}x baseline",
        tm / bm.max(1e-9)
    );
    println!(
        "  same start on a 10-event journal: median {sm:.1} ms -> {:.2}x (1.0 = start-up does not depend on journal size)",
        tm / sm.max(1e-9)
    );
    for (n, ok, d) in lookups {
        println!(
            "  receipt look-up T01-{n:06} (of {last}): {:.1} ms{}",
            ms(d),
            if ok { "" } else { " NOT FOUND" }
        );
    }
    Ok(())
}

/// `--only scan`.
pub fn bench_scan(base: &Path, items: usize, scans: usize) -> Result<()> {
    let catalog_path = catalog_db(base, items)?;
    let dir = tempfile::tempdir_in(base)?;
    let db = dir.path().join("journal.db");
    let journal = Journal::open(&db, opts(&db, "T03", "SHOP01"))?;
    let users = till::users::ensure_demo_users(&journal)?;
    anyhow::ensure!(!users.is_empty(), "no demo users");
    let catalog = CatalogStore::open(&catalog_path)?.load(till::demo::patterns()?)?;
    // Codes spread over the whole catalog, in a fixed pseudo-random order.
    let codes: Vec<String> = (0..scans)
        .map(|i| (i * 7919 + 13) % catalog.len())
        .filter_map(|i| catalog.items().get(i)?.barcodes.first().cloned())
        .collect();
    let bare_map: HashMap<String, usize> = catalog
        .items()
        .iter()
        .enumerate()
        .filter_map(|(i, it)| Some((it.barcodes.first()?.clone(), i)))
        .collect();
    let mut app = App::new(
        journal,
        catalog,
        users,
        settings(),
        Box::new(NoDevices::default()),
        Box::new(clock),
    )?;
    // Logged in the way a cashier does (the demo users' first PIN).
    for k in Key::typed("1111\n") {
        app.key(k);
    }
    anyhow::ensure!(
        matches!(app.screen(), Screen::Sale) && app.user().is_some(),
        "login refused: {:?}",
        app.message()
    );
    app.set_defer_persist(true);
    let mut term = Terminal::new(TestBackend::new(100, 30))?;
    let (mut on_screen, mut persisted, mut bare, mut fsync) = (vec![], vec![], vec![], vec![]);
    let bare_db = Connection::open(dir.path().join("bare.db"))?;
    bare_db.pragma_update(None, "journal_mode", "WAL")?;
    bare_db.pragma_update(None, "synchronous", "FULL")?;
    bare_db.execute("CREATE TABLE b (id INTEGER PRIMARY KEY, data BLOB)", [])?;
    let blob = vec![0x5au8; 3000];
    for (n, code) in codes.iter().enumerate() {
        // A basket of up to 30 lines, then the next customer.
        if n % 30 == 0 && app.basket().is_some() {
            // The customer pays cash and the next one comes (not timed).
            app.key(Key::F(8));
            app.key(Key::F(1));
            app.flush();
            anyhow::ensure!(
                app.basket().is_none(),
                "sale not recorded: {:?}",
                app.message()
            );
        }
        let t = Instant::now();
        app.scanned(code);
        term.draw(|f| till::app::ui::draw(f, &app))?;
        let drawn = t.elapsed();
        app.flush();
        let saved = t.elapsed();
        anyhow::ensure!(
            app.message()
                .is_none_or(|(l, _)| *l != till::app::Level::Error),
            "scan refused: {:?}",
            app.message()
        );
        on_screen.push(drawn);
        persisted.push(saved);
        let t = Instant::now();
        std::hint::black_box(bare_map.get(code.as_str()));
        bare.push(t.elapsed());
        let t = Instant::now();
        bare_db.execute(
            "INSERT OR REPLACE INTO b (id, data) VALUES (1, ?1)",
            [&blob],
        )?;
        fsync.push(t.elapsed());
    }
    let n = codes.len();
    let (s50, s99) = (pct(on_screen.clone(), 50), pct(on_screen, 99));
    let (p50, p99) = (pct(persisted.clone(), 50), pct(persisted, 99));
    let (b50, b99) = (pct(bare.clone(), 50), pct(bare, 99));
    let (f50, f99) = (pct(fsync.clone(), 50), pct(fsync, 99));
    println!("\nscan path: {n} scans over a {items}-item catalog, baskets of 30 lines");
    println!(
        "  line on screen (lookup, basket line, frame drawn 100x30): p50 {s50:>8.1} us  p99 {s99:>8.1} us  (target p99 <= 1000 us)"
    );
    println!(
        "  persisted (+ basket saved, fsync):                        p50 {p50:>8.1} us  p99 {p99:>8.1} us"
    );
    println!("  baseline: bare HashMap lookup of the same code:           p50 {b50:>8.3} us  p99 {b99:>8.3} us");
    println!("  baseline: bare durable one-row SQLite write (3 kB):        p50 {f50:>8.1} us  p99 {f99:>8.1} us");
    println!(
        "  ratios: on screen p99 = {:.0}x bare lookup p99; persisted p99 = {:.2}x bare durable write p99",
        s99 / b99.max(1e-3),
        p99 / f99.max(1e-3)
    );
    Ok(())
}
