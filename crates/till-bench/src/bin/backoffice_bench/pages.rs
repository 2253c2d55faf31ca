//! The measurement: head office served in-process on loopback (the real
//! router, `headoffice::serve`), an owner logged in through `/login`,
//! every back-office GET route fetched `samples` times after 3 warm-ups,
//! each against a bare query on the projection table it reads, run as many
//! times on a connection of its own.

use anyhow::Result;
use chrono::{Duration as Days, Local};
use headoffice::http::{AppState, Limits};
use headoffice::metrics::Metrics;
use headoffice::store::Store;
use headoffice::web::BackOffice;
use std::sync::Arc;
use std::time::Instant;

/// Head office in-process on its own runtime, on 127.0.0.1.
pub struct Server {
    pub url: String,
    _rt: tokio::runtime::Runtime,
}

pub fn serve(store: Arc<dyn Store>) -> Result<Server> {
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

/// A logged-in browser: its cookie and the session's CSRF token.
pub struct Session {
    pub client: reqwest::blocking::Client,
    pub base: String,
    cookie: String,
    pub csrf: String,
}

impl Session {
    pub fn login(base: &str, email: &str, password: &str) -> Result<Session> {
        let client = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let login = client
            .post(format!("{base}/login"))
            .form(&[("email", email), ("password", password)])
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
        let mut s = Session {
            client,
            base: base.to_string(),
            cookie,
            csrf: String::new(),
        };
        let page = s.get("/stock")?;
        let marker = r#"name="csrf" value=""#;
        s.csrf = page
            .split(marker)
            .nth(1)
            .and_then(|r| r.split('"').next())
            .map(str::to_string)
            .ok_or_else(|| anyhow::anyhow!("no CSRF field on /stock"))?;
        Ok(s)
    }

    /// The body of a GET that must succeed.
    pub fn get(&self, path: &str) -> Result<String> {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()?;
        anyhow::ensure!(r.status().is_success(), "GET {path}: {}", r.status());
        Ok(r.text()?)
    }

    /// A form POST with the session's CSRF token; the answer's status.
    pub fn post(&self, path: &str, form: &[(&str, String)]) -> Result<reqwest::StatusCode> {
        let mut f: Vec<(&str, String)> = vec![("csrf", self.csrf.clone())];
        f.extend(form.iter().cloned());
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .form(&f)
            .send()?;
        Ok(r.status())
    }
}

/// p50, p95, p99 in milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct Pcts {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
}

/// `samples` runs of `f` (after 3 warm-ups).
pub fn time(samples: usize, mut f: impl FnMut() -> Result<()>) -> Result<Pcts> {
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
    Ok(Pcts {
        p50: at(0.5),
        p95: at(0.95),
        p99: at(0.99),
    })
}

/// A bare query on a page's projection table, on a connection of its own.
pub enum Raw {
    Sqlite(rusqlite::Connection),
    Pg(postgres::Client),
}

impl Raw {
    /// Runs `sql` (SQLite's, or PostgreSQL's; params as text) and reads
    /// every row's columns; the rows read.
    pub fn run(&mut self, sqlite: &str, pg: &str, params: &[&str]) -> Result<usize> {
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

/// A page and the bare query on the projection it reads.
struct Page {
    name: &'static str,
    path: String,
    /// Target p95 in ms (issue 11).
    target: f64,
    sqlite: &'static str,
    pg: &'static str,
    params: Vec<String>,
}

fn page(
    name: &'static str,
    path: String,
    target: f64,
    sqlite: &'static str,
    pg: &'static str,
    params: &[&str],
) -> Page {
    Page {
        name,
        path,
        target,
        sqlite,
        pg,
        params: params.iter().map(|s| s.to_string()).collect(),
    }
}

/// Every back-office GET route, with its baseline.
fn pages(stores: usize, items: usize) -> Vec<Page> {
    let today = Local::now().date_naive();
    let (d, m) = (today.to_string(), (today - Days::days(29)).to_string());
    let q = (today - Days::days(89)).to_string();
    let store = format!("S{:03}", stores.saturating_sub(1));
    let item = format!("I{:06}", items / 2);
    let today_sql = (
        "SELECT store_id, key, amount FROM sales_totals WHERE day = ?1",
        "SELECT store_id, key, amount::text FROM sales_totals WHERE day = $1",
    );
    let range_sql = (
        "SELECT store_id, day, key, amount FROM sales_totals WHERE day >= ?1 AND day <= ?2",
        "SELECT store_id, day, key, amount::text FROM sales_totals WHERE day >= $1 AND day <= $2",
    );
    let levels_sql = (
        "SELECT store_id, item_id, level FROM stock_levels ORDER BY store_id, item_id LIMIT 51",
        "SELECT store_id, item_id, level::text FROM stock_levels ORDER BY store_id, item_id LIMIT 51",
    );
    vec![
        page("Today", "/".into(), 50.0, today_sql.0, today_sql.1, &[&d]),
        page(
            "Today (live)",
            "/aujourdhui/live".into(),
            50.0,
            today_sql.0,
            today_sql.1,
            &[&d],
        ),
        page(
            "Today, one store",
            format!("/?magasin={store}"),
            50.0,
            today_sql.0,
            today_sql.1,
            &[&d],
        ),
        page(
            "Sales 30 d by day",
            format!("/ventes?du={m}&au={d}&par=jour"),
            100.0,
            range_sql.0,
            range_sql.1,
            &[&m, &d],
        ),
        page(
            "Sales 90 d by week",
            format!("/ventes?du={q}&au={d}&par=semaine"),
            100.0,
            range_sql.0,
            range_sql.1,
            &[&q, &d],
        ),
        page(
            "Sales 90 d by month",
            format!("/ventes?du={q}&au={d}&par=mois"),
            100.0,
            range_sql.0,
            range_sql.1,
            &[&q, &d],
        ),
        page(
            "Sales CSV 30 d",
            format!("/ventes/export.csv?du={m}&au={d}&par=jour"),
            100.0,
            range_sql.0,
            range_sql.1,
            &[&m, &d],
        ),
        page(
            "Sales FEC 30 d",
            format!("/ventes/fec.txt?du={m}&au={d}&par=jour"),
            100.0,
            range_sql.0,
            range_sql.1,
            &[&m, &d],
        ),
        page(
            "Stock",
            "/stock".into(),
            100.0,
            levels_sql.0,
            levels_sql.1,
            &[],
        ),
        page(
            "Stock, one store",
            format!("/stock?magasin={store}"),
            100.0,
            "SELECT store_id, item_id, level FROM stock_levels WHERE store_id = ?1 ORDER BY item_id LIMIT 51",
            "SELECT store_id, item_id, level::text FROM stock_levels WHERE store_id = $1 ORDER BY item_id LIMIT 51",
            &[&store],
        ),
        page(
            "Stock, page 200",
            "/stock?page=200".into(),
            100.0,
            "SELECT store_id, item_id, level FROM stock_levels ORDER BY store_id, item_id LIMIT 51 OFFSET 9950",
            "SELECT store_id, item_id, level::text FROM stock_levels ORDER BY store_id, item_id LIMIT 51 OFFSET 9950",
            &[],
        ),
        page(
            "Stock of an item",
            format!("/stock?article={item}"),
            100.0,
            "SELECT store_id, item_id, level FROM stock_levels WHERE item_id = ?1",
            "SELECT store_id, item_id, level::text FROM stock_levels WHERE item_id = $1",
            &[&item],
        ),
        page(
            "Catalog",
            "/catalogue".into(),
            100.0,
            "SELECT item_id, item FROM catalog WHERE store_id = '' ORDER BY item_id LIMIT 51",
            "SELECT item_id, item FROM catalog WHERE store_id = '' ORDER BY item_id LIMIT 51",
            &[],
        ),
        page(
            "Catalog search",
            "/catalogue?q=article+4242".into(),
            100.0,
            "SELECT item_id FROM catalog_words WHERE word >= CAST(?1 AS BLOB) AND word < CAST(?2 AS BLOB) LIMIT 51",
            "SELECT item_id FROM catalog_words WHERE word >= convert_to($1, 'UTF8') AND word < convert_to($2, 'UTF8') LIMIT 51",
            &["4242", "4243"],
        ),
        page(
            "Catalog prefix search",
            "/catalogue?q=arti".into(),
            100.0,
            "SELECT item_id FROM catalog_words WHERE word >= CAST(?1 AS BLOB) AND word < CAST(?2 AS BLOB) LIMIT 51",
            "SELECT item_id FROM catalog_words WHERE word >= convert_to($1, 'UTF8') AND word < convert_to($2, 'UTF8') LIMIT 51",
            &["arti", "artj"],
        ),
        page(
            "Article",
            format!("/catalogue/article?id={item}"),
            100.0,
            "SELECT store_id, item_id, item FROM catalog WHERE item_id = ?1",
            "SELECT store_id, item_id, item FROM catalog WHERE item_id = $1",
            &[&item],
        ),
        page(
            "Alerts",
            "/alertes".into(),
            100.0,
            "SELECT id, at, terminal_id, code, detail FROM alerts ORDER BY id DESC LIMIT 500",
            "SELECT id, at, terminal_id, code, detail FROM alerts ORDER BY id DESC LIMIT 500",
            &[],
        ),
        page(
            "Closings",
            "/clotures".into(),
            100.0,
            "SELECT terminal_id, seq, period, net_total FROM closings ORDER BY period DESC LIMIT 200",
            "SELECT terminal_id, seq, period, net_total::text FROM closings ORDER BY period DESC LIMIT 200",
            &[],
        ),
        page(
            "Terminals",
            "/terminaux".into(),
            100.0,
            "SELECT terminal_id, store_id, last_seq, last_seen FROM terminals",
            "SELECT terminal_id, store_id, last_seq, last_seen FROM terminals",
            &[],
        ),
        page(
            "Rules",
            "/regles".into(),
            100.0,
            "SELECT store_id, terminal_id, day, operator, baskets, total FROM abandoned_baskets WHERE day >= ?1",
            "SELECT store_id, terminal_id, day, operator, baskets, total::text FROM abandoned_baskets WHERE day >= $1",
            &[&m],
        ),
        page(
            "Audit",
            "/journal-audit".into(),
            100.0,
            "SELECT id, at, actor, action, details FROM bo_audit ORDER BY id DESC LIMIT 50",
            "SELECT id, at, actor, action, details FROM bo_audit ORDER BY id DESC LIMIT 50",
            &[],
        ),
    ]
}

/// One page's figures.
pub struct Measured {
    pub name: &'static str,
    pub page: Pcts,
    pub bare: Pcts,
    pub target: f64,
}

/// Measures every page; prints a table as it goes.
pub fn measure(
    backend: &str,
    session: &Session,
    mut raw: Raw,
    samples: usize,
    stores: usize,
    items: usize,
    only: Option<&str>,
) -> Result<Vec<Measured>> {
    println!("{backend}: page server time vs a bare query on its projection ({samples} samples)");
    println!(
        "  {:<22} {:>8} {:>8} {:>8} {:>9} {:>9} {:>7} {:>7}",
        "page", "p50 ms", "p95 ms", "p99 ms", "bare p50", "bare p95", "ratio", "target"
    );
    let mut out = Vec::new();
    for p in pages(stores, items) {
        if only.is_some_and(|o| !p.name.to_lowercase().contains(&o.to_lowercase())) {
            continue;
        }
        let mut bytes = 0;
        let page = time(samples, || {
            bytes = session.get(&p.path)?.len();
            Ok(())
        })?;
        let params: Vec<&str> = p.params.iter().map(String::as_str).collect();
        let bare = time(samples, || raw.run(p.sqlite, p.pg, &params).map(|_| ()))?;
        let ok = if page.p95 <= p.target { "ok" } else { "OVER" };
        println!(
            "  {:<22} {:>8.2} {:>8.2} {:>8.2} {:>9.2} {:>9.2} {:>7.1} {:>4} {ok}  ({bytes} B)",
            p.name,
            page.p50,
            page.p95,
            page.p99,
            bare.p50,
            bare.p95,
            page.p95 / bare.p95.max(0.001),
            p.target
        );
        out.push(Measured {
            name: p.name,
            page,
            bare,
            target: p.target,
        });
    }
    Ok(out)
}
