//! Projections: tables derived from the events, maintained in the same
//! transaction as each append, rebuildable from scratch, and recomputed by the
//! verifier. One pure function, `effects`, says what an event changes; the
//! incremental path and the rebuild go through it, and the verifier's fast
//! decoding (`effects_from_payload`) is tested to give the same result, so
//! they cannot drift apart.
//!
//! - `stock_ledger(seq, idx, item_id, delta, reason)`: one row per stock delta
//!   (`Event::stock_deltas`, training sales excluded).
//! - `stock_levels(item_id, level)`: sum of the ledger per item.
//! - `day_totals(day, key, amount)`: per business day (training excluded):
//!   `records` (count), `sales` (sum of records with total >= 0), `refunds` (sum
//!   of records with total < 0), `net`, `tender:<kind>` (net per tender; cash
//!   net of change given), `vat_base:<rate>`, `vat_tax:<rate>`, `vat_total:<rate>`
//!   (rate in percent with two decimals, e.g. `20.00`), `cash_in`, `cash_out`.
//! - `perpetual(key, amount)`: `sale_records` (every sale, cancellation and
//!   refund record, training included: it numbers receipts), `grand_total`
//!   (net of all non-training records ever), `grand_total_abs` (sum of |total|).
//! - `closings(kind, period, seq, last_seq)`: closings recorded.

use crate::error::{classify, JournalError, Result};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;
use till_core::money::round_to;
use till_core::records::{CashDirection, ClosingKind, Event, ItemId, TenderKind};

pub(crate) use crate::fx_sink::{feed, scanned_movement_effects, scanned_sale_effects, FxSink};
pub use crate::fx_sink::{scanner_agrees, scanner_takes};

pub(crate) const K_RECORDS: &str = "records";
pub(crate) const K_SALES: &str = "sales";
pub(crate) const K_REFUNDS: &str = "refunds";
pub(crate) const K_NET: &str = "net";
pub(crate) const K_CASH_IN: &str = "cash_in";
pub(crate) const K_CASH_OUT: &str = "cash_out";
pub(crate) const P_SALE_RECORDS: &str = "sale_records";
pub(crate) const P_GRAND_TOTAL: &str = "grand_total";
pub(crate) const P_GRAND_TOTAL_ABS: &str = "grand_total_abs";

/// What one event changes in the projections.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Effects {
    /// Ledger rows, in order (idx = position).
    pub stock: Vec<(ItemId, Decimal, &'static str)>,
    /// Business day and the amounts to add to that day's keys.
    pub day: Option<(NaiveDate, Vec<(DayKey, Decimal)>)>,
    pub perpetual: Vec<(&'static str, Decimal)>,
    /// (kind, period, last_seq) of a closing.
    pub closing: Option<(ClosingKind, String, u64)>,
    /// The seq of the sale a refund or cancellation reverses, or whose
    /// receipt a reprint reprints (`sale_links`).
    pub link: Option<u64>,
}

/// A `day_totals.key`, typed so the verifier can sum without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum DayKey {
    Records,
    Sales,
    Refunds,
    Net,
    Tender(TenderKind),
    /// VAT rate in percent, always at scale 2 ("5.5" and "5.50" in payloads
    /// are the same rate, stored as "5.50").
    VatBase(Decimal),
    VatTax(Decimal),
    VatTotal(Decimal),
    CashIn,
    CashOut,
}

impl DayKey {
    /// The key as stored in `day_totals.key`.
    pub(crate) fn as_key(&self) -> String {
        match self {
            DayKey::Records => K_RECORDS.into(),
            DayKey::Sales => K_SALES.into(),
            DayKey::Refunds => K_REFUNDS.into(),
            DayKey::Net => K_NET.into(),
            DayKey::Tender(t) => format!("tender:{}", t.as_str()),
            DayKey::VatBase(r) => format!("vat_base:{r}"),
            DayKey::VatTax(r) => format!("vat_tax:{r}"),
            DayKey::VatTotal(r) => format!("vat_total:{r}"),
            DayKey::CashIn => K_CASH_IN.into(),
            DayKey::CashOut => K_CASH_OUT.into(),
        }
    }
}

/// The day-total amounts of one non-training sale record, keyed as documented
/// in the module header, given to `add` one by one (a key may come twice: the
/// caller sums). Shared by every decoding path.
pub(crate) fn sale_day_amounts_into(
    total: Decimal,
    change: Decimal,
    tenders: impl Iterator<Item = (TenderKind, Decimal)>,
    vat: impl Iterator<Item = (Decimal, Decimal, Decimal, Decimal)>,
    mut add: impl FnMut(DayKey, Decimal),
) {
    add(DayKey::Records, Decimal::ONE);
    if total >= Decimal::ZERO {
        add(DayKey::Sales, total);
    } else {
        add(DayKey::Refunds, total);
    }
    add(DayKey::Net, total);
    for (kind, amount) in tenders {
        add(DayKey::Tender(kind), amount);
    }
    if !change.is_zero() {
        add(DayKey::Tender(TenderKind::Cash), -change);
    }
    for (rate, base, tax, vtotal) in vat {
        let r = round_to(rate, 2);
        add(DayKey::VatBase(r), base);
        add(DayKey::VatTax(r), tax);
        add(DayKey::VatTotal(r), vtotal);
    }
}

/// [`sale_day_amounts_into`], merged per key in first-seen order.
fn sale_day_amounts(
    total: Decimal,
    change: Decimal,
    tenders: impl Iterator<Item = (TenderKind, Decimal)>,
    vat: impl Iterator<Item = (Decimal, Decimal, Decimal, Decimal)>,
) -> Vec<(DayKey, Decimal)> {
    let mut day: Vec<(DayKey, Decimal)> = Vec::with_capacity(16);
    // A handful of keys: a linear merge beats a map.
    sale_day_amounts_into(total, change, tenders, vat, |k, v| {
        match day.iter_mut().find(|e| e.0 == k) {
            Some(e) => e.1 += v,
            None => day.push((k, v)),
        }
    });
    day
}

fn sale_perpetual(training: bool, total: Decimal) -> Vec<(&'static str, Decimal)> {
    let mut p = vec![(P_SALE_RECORDS, Decimal::ONE)];
    if !training {
        p.push((P_GRAND_TOTAL, total));
        p.push((P_GRAND_TOTAL_ABS, total.abs()));
    }
    p
}

/// What `event` changes in the projections.
pub(crate) fn effects(event: &Event) -> Effects {
    let mut fx = Effects {
        stock: event.stock_deltas(),
        ..Effects::default()
    };
    if let Some(s) = event.sale() {
        fx.perpetual = sale_perpetual(s.training, s.total);
        if !s.training {
            let day = sale_day_amounts(
                s.total,
                s.change,
                s.tenders.iter().map(|t| (t.kind, t.amount)),
                s.vat
                    .iter()
                    .map(|v| (v.rate.as_percent(), v.base, v.tax, v.total)),
            );
            fx.day = Some((s.business_day, day));
        }
    }
    match event {
        Event::CashMovement(c) => {
            let k = match c.direction {
                CashDirection::In => DayKey::CashIn,
                CashDirection::Out => DayKey::CashOut,
            };
            fx.day = Some((c.business_day, vec![(k, c.amount)]));
        }
        Event::Closing(c) => {
            fx.closing = Some((c.kind, c.period.clone(), c.last_seq));
        }
        Event::ReceiptReprinted(r) => fx.link = Some(r.sale.seq),
        _ => {}
    }
    if let Some(s) = event.sale() {
        fx.link = s.reverses.as_ref().map(|r| r.seq);
    }
    fx
}

/// Fast decoding for the verifier: reads only the fields the projections use,
/// borrowing strings from the payload, for the kinds that have projections;
/// other kinds are decoded in full. `effects_from_payload(k, p)` equals
/// `effects(&Event::decode(k, p)?)` (tested), and the payload's integrity is
/// already proven by its hash.
mod fast {
    use rust_decimal::Decimal;
    use serde::Deserialize;
    use std::borrow::Cow;
    use till_core::records::{CashDirection, ClosingKind, SaleKind, StockReason, TenderKind};

    #[derive(Deserialize)]
    pub struct Line<'a> {
        #[serde(borrow)]
        pub item_id: Cow<'a, str>,
        pub quantity: Decimal,
        pub stock_tracked: bool,
    }
    #[derive(Deserialize)]
    pub struct Vat {
        pub rate: Decimal,
        pub base: Decimal,
        pub tax: Decimal,
        pub total: Decimal,
    }
    #[derive(Deserialize)]
    pub struct Tender {
        pub kind: TenderKind,
        pub amount: Decimal,
    }
    #[derive(Deserialize)]
    pub struct Sale<'a> {
        pub kind: SaleKind,
        pub business_day: chrono::NaiveDate,
        #[serde(borrow)]
        pub lines: Vec<Line<'a>>,
        pub total: Decimal,
        pub vat: Vec<Vat>,
        pub tenders: Vec<Tender>,
        pub change: Decimal,
        pub training: bool,
        pub reverses: Option<SaleRef>,
    }
    #[derive(Deserialize)]
    pub struct SaleRef {
        pub seq: u64,
    }
    #[derive(Deserialize)]
    pub struct StockLine<'a> {
        #[serde(borrow)]
        pub item_id: Cow<'a, str>,
        pub delta: Decimal,
    }
    #[derive(Deserialize)]
    pub struct StockMovement<'a> {
        pub reason: StockReason,
        #[serde(borrow)]
        pub lines: Vec<StockLine<'a>>,
    }
    #[derive(Deserialize)]
    pub struct CashMovement {
        pub direction: CashDirection,
        pub amount: Decimal,
        pub business_day: chrono::NaiveDate,
    }
    #[derive(Deserialize)]
    pub struct Closing {
        pub kind: ClosingKind,
        pub period: String,
        pub last_seq: u64,
    }
}

/// Test hook: whether the verifier's fast decoding gives the same effects as
/// the full decoding for this payload (false if either fails to decode).
#[doc(hidden)]
pub fn fast_effects_agree(kind: &str, payload: &[u8]) -> bool {
    match (
        Event::decode(kind, payload),
        effects_from_payload(kind, payload),
    ) {
        (Ok(ev), Ok(fast)) => effects(&ev) == fast && scanner_agrees(kind, payload),
        _ => false,
    }
}

/// See [`fast`]. Errors are the payload's decoding error.
pub(crate) fn effects_from_payload(
    kind: &str,
    payload: &[u8],
) -> Result<Effects, till_core::records::DecodeError> {
    use till_core::records::{DecodeError, SaleKind};
    let err = |source| DecodeError::Payload {
        kind: kind.to_string(),
        source,
    };
    let mut fx = Effects::default();
    match kind {
        "sale_completed" | "sale_cancelled" | "refund" => {
            let s: fast::Sale<'_> = serde_json::from_slice(payload).map_err(err)?;
            if !s.training {
                let reason = match s.kind {
                    SaleKind::Sale => "sale",
                    SaleKind::Cancellation => "cancellation",
                    SaleKind::Refund => "return",
                };
                fx.stock = s
                    .lines
                    .iter()
                    .filter(|l| l.stock_tracked)
                    .map(|l| (l.item_id.to_string(), -l.quantity, reason))
                    .collect();
                let day = sale_day_amounts(
                    s.total,
                    s.change,
                    s.tenders.iter().map(|t| (t.kind, t.amount)),
                    s.vat.iter().map(|v| (v.rate, v.base, v.tax, v.total)),
                );
                fx.day = Some((s.business_day, day));
            }
            fx.perpetual = sale_perpetual(s.training, s.total);
            fx.link = s.reverses.map(|r| r.seq);
        }
        "stock_movement" => {
            let m: fast::StockMovement<'_> = serde_json::from_slice(payload).map_err(err)?;
            let reason = m.reason.as_str();
            fx.stock = m
                .lines
                .iter()
                .map(|l| (l.item_id.to_string(), l.delta, reason))
                .collect();
        }
        "cash_movement" => {
            let c: fast::CashMovement = serde_json::from_slice(payload).map_err(err)?;
            let k = match c.direction {
                CashDirection::In => DayKey::CashIn,
                CashDirection::Out => DayKey::CashOut,
            };
            fx.day = Some((c.business_day, vec![(k, c.amount)]));
        }
        "closing" => {
            let c: fast::Closing = serde_json::from_slice(payload).map_err(err)?;
            fx.closing = Some((c.kind, c.period, c.last_seq));
        }
        _ => return Event::decode(kind, payload).map(|e| effects(&e)),
    }
    Ok(fx)
}

/// `dec_add(a, b)`: exact decimal addition of two decimal strings, for upserts.
pub(crate) fn register_functions(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "dec_add",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let a: String = ctx.get(0)?;
            let b: String = ctx.get(1)?;
            let bad = |s: &str| {
                rusqlite::Error::UserFunctionError(format!("not a decimal: {s:?}").into())
            };
            let a: Decimal = a.parse().map_err(|_| bad(&a))?;
            let b: Decimal = b.parse().map_err(|_| bad(&b))?;
            let sum = a
                .checked_add(b)
                .ok_or_else(|| rusqlite::Error::UserFunctionError("decimal overflow".into()))?;
            Ok(sum.to_string())
        },
    )
}

/// Stock rows written per statement: 5 variables each, far below SQLite's
/// limit of 32766, and few distinct statement shapes to cache.
const STOCK_ROWS_PER_STATEMENT: usize = 500;

/// Writes `fx` for the event at `seq` (inside the caller's transaction).
/// `INSERT INTO {table} ({cols}) VALUES (?, …), (?, …) … {tail}` for `rows` rows:
/// one statement per table per append instead of one per row (prepared once
/// per row count, then cached).
fn multi_row_sql(table: &str, cols: &[&str], rows: usize, tail: &str) -> String {
    let one = format!("({})", vec!["?"; cols.len()].join(", "));
    format!(
        "INSERT INTO {table} ({}) VALUES {} {tail}",
        cols.join(", "),
        vec![one; rows].join(", ")
    )
}

pub(crate) fn apply(conn: &rusqlite::Connection, seq: i64, fx: &Effects) -> rusqlite::Result<()> {
    use rusqlite::types::Value;
    // SQLite caps bound variables per statement (32766), and a whole-shop
    // inventory count can move tens of thousands of items: write in chunks.
    for (chunk_no, chunk) in fx.stock.chunks(STOCK_ROWS_PER_STATEMENT).enumerate() {
        let n = chunk.len();
        let first_idx = chunk_no * STOCK_ROWS_PER_STATEMENT;
        let deltas: Vec<String> = chunk.iter().map(|(_, d, _)| d.to_string()).collect();
        let mut ledger = conn.prepare_cached(&multi_row_sql(
            "stock_ledger",
            &["seq", "idx", "item_id", "delta", "reason"],
            n,
            "",
        ))?;
        let mut params: Vec<Value> = Vec::with_capacity(n * 5);
        for (i, ((item, _, reason), d)) in chunk.iter().zip(&deltas).enumerate() {
            params.push(Value::Integer(seq));
            params.push(Value::Integer((first_idx + i) as i64));
            params.push(Value::Text(item.clone()));
            params.push(Value::Text(d.clone()));
            params.push(Value::Text(reason.to_string()));
        }
        ledger.execute(rusqlite::params_from_iter(params))?;
        // Rows for the same item in one statement are upserted one after the
        // other, so repeated items add up correctly.
        let mut level = conn.prepare_cached(&multi_row_sql(
            "stock_levels",
            &["item_id", "level"],
            n,
            "ON CONFLICT (item_id) DO UPDATE SET level = dec_add(level, excluded.level)",
        ))?;
        let params = chunk
            .iter()
            .zip(deltas)
            .flat_map(|((item, _, _), d)| [Value::Text(item.clone()), Value::Text(d)]);
        level.execute(rusqlite::params_from_iter(params))?;
    }
    if let Some((day, amounts)) = &fx.day {
        if !amounts.is_empty() {
            let mut st = conn.prepare_cached(&multi_row_sql(
                "day_totals",
                &["day", "key", "amount"],
                amounts.len(),
                "ON CONFLICT (day, key) DO UPDATE SET amount = dec_add(amount, excluded.amount)",
            ))?;
            let day = day.to_string();
            let params = amounts.iter().flat_map(|(k, v)| {
                [
                    Value::Text(day.clone()),
                    Value::Text(k.as_key()),
                    Value::Text(v.to_string()),
                ]
            });
            st.execute(rusqlite::params_from_iter(params))?;
        }
    }
    if !fx.perpetual.is_empty() {
        let mut st = conn.prepare_cached(&multi_row_sql(
            "perpetual",
            &["key", "amount"],
            fx.perpetual.len(),
            "ON CONFLICT (key) DO UPDATE SET amount = dec_add(amount, excluded.amount)",
        ))?;
        let params = fx
            .perpetual
            .iter()
            .flat_map(|(k, v)| [Value::Text(k.to_string()), Value::Text(v.to_string())]);
        st.execute(rusqlite::params_from_iter(params))?;
    }
    if let Some((kind, period, last_seq)) = &fx.closing {
        let mut st = conn.prepare_cached(
            "INSERT INTO closings (kind, period, seq, last_seq) VALUES (?1, ?2, ?3, ?4)",
        )?;
        st.execute(rusqlite::params![
            kind.as_str(),
            period,
            seq,
            i64::try_from(*last_seq).unwrap_or(i64::MAX)
        ])?;
    }
    if let Some(orig) = fx.link {
        let mut st =
            conn.prepare_cached("INSERT INTO sale_links (orig_seq, seq) VALUES (?1, ?2)")?;
        st.execute(rusqlite::params![
            i64::try_from(orig).unwrap_or(i64::MAX),
            seq
        ])?;
    }
    Ok(())
}

/// All projections held in memory, for comparison (verifier, tests).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ProjectionSnapshot {
    pub stock_levels: BTreeMap<String, Decimal>,
    pub day_totals: BTreeMap<(String, String), Decimal>,
    pub perpetual: BTreeMap<String, Decimal>,
    /// (kind, period) -> (seq, last_seq)
    pub closings: BTreeMap<(String, String), (u64, u64)>,
    /// (original sale's seq, seq of the record referencing it); None: the
    /// journal predates the table (schema 1), nothing to compare.
    pub sale_links: Option<std::collections::BTreeSet<(u64, u64)>>,
}

impl ProjectionSnapshot {
    /// Reads the projection tables (not the ledger).
    pub(crate) fn read(conn: &rusqlite::Connection, path: &Path) -> Result<ProjectionSnapshot> {
        let db = |e| classify(path, e);
        let dec = |table: &'static str, s: String| -> Result<Decimal> {
            s.parse().map_err(|_| JournalError::Corrupt {
                path: path.to_path_buf(),
                detail: format!("{table} holds {s:?}, not a decimal"),
            })
        };
        let mut snap = ProjectionSnapshot::default();
        let mut st = conn
            .prepare("SELECT item_id, level FROM stock_levels")
            .map_err(db)?;
        let mut rows = st.query([]).map_err(db)?;
        while let Some(r) = rows.next().map_err(db)? {
            let v = dec("stock_levels", r.get(1).map_err(db)?)?;
            snap.stock_levels.insert(r.get(0).map_err(db)?, v);
        }
        let mut st = conn
            .prepare("SELECT day, key, amount FROM day_totals")
            .map_err(db)?;
        let mut rows = st.query([]).map_err(db)?;
        while let Some(r) = rows.next().map_err(db)? {
            let v = dec("day_totals", r.get(2).map_err(db)?)?;
            snap.day_totals
                .insert((r.get(0).map_err(db)?, r.get(1).map_err(db)?), v);
        }
        let mut st = conn
            .prepare("SELECT key, amount FROM perpetual")
            .map_err(db)?;
        let mut rows = st.query([]).map_err(db)?;
        while let Some(r) = rows.next().map_err(db)? {
            let v = dec("perpetual", r.get(1).map_err(db)?)?;
            snap.perpetual.insert(r.get(0).map_err(db)?, v);
        }
        let mut st = conn
            .prepare("SELECT kind, period, seq, last_seq FROM closings")
            .map_err(db)?;
        let mut rows = st.query([]).map_err(db)?;
        while let Some(r) = rows.next().map_err(db)? {
            let seq: i64 = r.get(2).map_err(db)?;
            let last: i64 = r.get(3).map_err(db)?;
            snap.closings.insert(
                (r.get(0).map_err(db)?, r.get(1).map_err(db)?),
                (seq.max(0) as u64, last.max(0) as u64),
            );
        }
        if crate::schema::version(conn).map_err(db)? >= 2 {
            let mut st = conn
                .prepare("SELECT orig_seq, seq FROM sale_links")
                .map_err(db)?;
            let mut rows = st.query([]).map_err(db)?;
            let mut links = std::collections::BTreeSet::new();
            while let Some(r) = rows.next().map_err(db)? {
                let (o, s): (i64, i64) = (r.get(0).map_err(db)?, r.get(1).map_err(db)?);
                links.insert((o as u64, s as u64));
            }
            snap.sale_links = Some(links);
        }
        Ok(snap)
    }

    /// The first difference between `self` (recomputed from events) and `table`
    /// (what the projection tables hold): (projection name, description).
    /// Zero amounts and absent keys are the same thing.
    pub fn first_difference(&self, table: &ProjectionSnapshot) -> Option<(&'static str, String)> {
        fn diff<K: Ord + Clone + std::fmt::Debug>(
            name: &'static str,
            events: &BTreeMap<K, Decimal>,
            table: &BTreeMap<K, Decimal>,
        ) -> Option<(&'static str, String)> {
            let keys: std::collections::BTreeSet<&K> = events.keys().chain(table.keys()).collect();
            for k in keys {
                let e = events.get(k).copied().unwrap_or_default();
                let t = table.get(k).copied().unwrap_or_default();
                if e != t {
                    return Some((
                        name,
                        format!("{name} {k:?}: the table holds {t}, the events give {e}"),
                    ));
                }
            }
            None
        }
        diff("stock_levels", &self.stock_levels, &table.stock_levels)
            .or_else(|| diff("day_totals", &self.day_totals, &table.day_totals))
            .or_else(|| diff("perpetual", &self.perpetual, &table.perpetual))
            .or_else(|| match (&self.sale_links, &table.sale_links) {
                (Some(e), Some(t)) if e != t => {
                    let d = e.symmetric_difference(t).next();
                    Some((
                        "sale_links",
                        format!(
                            "sale_links: first difference at (orig_seq, seq) {d:?}: the table holds {} links, the events give {}",
                            t.len(),
                            e.len()
                        ),
                    ))
                }
                _ => None,
            })
            .or_else(|| {
                if self.closings != table.closings {
                    Some((
                        "closings",
                        format!(
                            "closings: the table holds {:?}, the events give {:?}",
                            table.closings, self.closings
                        ),
                    ))
                } else {
                    None
                }
            })
    }
}

/// Projection sums held in memory while rebuilding, written in one go.
#[derive(Default)]
pub(crate) struct Sums {
    stock: BTreeMap<String, Decimal>,
    day: BTreeMap<(NaiveDate, DayKey), Decimal>,
    perpetual: BTreeMap<&'static str, Decimal>,
    closings: Vec<(ClosingKind, String, i64, u64)>,
    links: Vec<(u64, i64)>,
}

impl Sums {
    /// Adds one event's effects (the ledger rows are written by the caller).
    pub(crate) fn add(&mut self, seq: i64, fx: Effects) {
        for (item, d, _) in fx.stock {
            *self.stock.entry(item).or_default() += d;
        }
        if let Some((day, amounts)) = fx.day {
            for (k, v) in amounts {
                *self.day.entry((day, k)).or_default() += v;
            }
        }
        for (k, v) in fx.perpetual {
            *self.perpetual.entry(k).or_default() += v;
        }
        if let Some((kind, period, last)) = fx.closing {
            self.closings.push((kind, period, seq, last));
        }
        if let Some(orig) = fx.link {
            self.links.push((orig, seq));
        }
    }

    /// Writes the sums into the (emptied) projection tables.
    pub(crate) fn write(self, conn: &rusqlite::Connection) -> rusqlite::Result<()> {
        let mut st = conn.prepare("INSERT INTO stock_levels (item_id, level) VALUES (?1, ?2)")?;
        for (item, level) in &self.stock {
            st.execute(rusqlite::params![item, level.to_string()])?;
        }
        let mut st =
            conn.prepare("INSERT INTO day_totals (day, key, amount) VALUES (?1, ?2, ?3)")?;
        for ((day, key), amount) in &self.day {
            st.execute(rusqlite::params![
                day.to_string(),
                key.as_key(),
                amount.to_string()
            ])?;
        }
        let mut st = conn.prepare("INSERT INTO perpetual (key, amount) VALUES (?1, ?2)")?;
        for (key, amount) in &self.perpetual {
            st.execute(rusqlite::params![key, amount.to_string()])?;
        }
        let mut st = conn.prepare(
            "INSERT INTO closings (kind, period, seq, last_seq) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (kind, period, seq, last) in &self.closings {
            st.execute(rusqlite::params![
                kind.as_str(),
                period,
                seq,
                i64::try_from(*last).unwrap_or(i64::MAX)
            ])?;
        }
        let mut st = conn.prepare("INSERT INTO sale_links (orig_seq, seq) VALUES (?1, ?2)")?;
        for (orig, seq) in &self.links {
            st.execute(rusqlite::params![
                i64::try_from(*orig).unwrap_or(i64::MAX),
                seq
            ])?;
        }
        Ok(())
    }
}
