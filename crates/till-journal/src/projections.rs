//! Projections: tables derived from the events, maintained in the same
//! transaction as each append, rebuildable from scratch, and recomputed by the
//! verifier. One pure function, `effects`, says what an event changes; the
//! incremental path, the rebuild and the verifier go through it or through
//! `effects_from_payload`, and both read sales and stock movements through
//! `till_core::view` and sum them by `till_core::totals` (the rule head
//! office applies too), so they cannot drift apart.
//!
//! - `stock_ledger(seq, idx, item_id, delta, reason)`: one row per stock delta
//!   (`Event::stock_deltas`, training sales excluded).
//! - `stock_levels(item_id, level)`: sum of the ledger per item.
//! - `day_totals(day, key, amount)`: per business day (training excluded),
//!   keyed by [`till_core::totals::DayKey`] (`records`, `sales`, `refunds`,
//!   `net`, `tender:<kind>`, `vat_*:<rate>`, `cash_in`, `cash_out`).
//! - `perpetual(key, amount)`: `sale_records` (every sale, cancellation and
//!   refund record, training included: it numbers receipts), `grand_total`
//!   (net of all non-training records ever), `grand_total_abs` (sum of |total|).
//! - `closings(kind, period, seq, last_seq)`: closings recorded.

use crate::error::{classify, JournalError, Result};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;
use till_core::records::{ClosingKind, Event, ItemId};
use till_core::view::{MovementBuf, MovementView, SaleBuf, SaleView};

pub(crate) use crate::fx_sink::{
    feed, movement_effects, sale_effects, view_effects, FxSink, ViewBufs,
};
pub use crate::fx_sink::{scanner_agrees, scanner_takes};
pub(crate) use till_core::totals::DayKey;

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

/// What `event` changes in the projections. Sales and stock movements go
/// through their view ([`till_core::view`]), as the payload decodings do.
pub(crate) fn effects(event: &Event) -> Effects {
    let mut fx = Effects::default();
    match event {
        Event::SaleCompleted(s) | Event::SaleCancelled(s) | Event::Refund(s) => {
            sale_effects(&SaleView::of_record(s, &mut SaleBuf::default()), &mut fx);
        }
        Event::StockMovement(m) => {
            movement_effects(
                &MovementView::of_record(m, &mut MovementBuf::default()),
                &mut fx,
            );
        }
        Event::CashMovement(c) => {
            fx.day = Some((c.business_day, vec![(DayKey::cash(c.direction), c.amount)]));
        }
        Event::Closing(c) => {
            fx.closing = Some((c.kind, c.period.clone(), c.last_seq));
        }
        Event::ReceiptReprinted(r) => fx.link = Some(r.sale.seq),
        _ => {}
    }
    fx
}

/// Test hook: whether the payload decoding gives the same effects as the
/// full decoding for this payload (false if either fails to decode).
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

/// The effects of a stored event: sales and stock movements through their
/// view (the scanner, or serde for what it declines), other kinds decoded in
/// full. Decodes exactly when `Event::decode` does, with the same effects.
pub(crate) fn effects_from_payload(
    kind: &str,
    payload: &[u8],
) -> Result<Effects, till_core::records::DecodeError> {
    let mut fx = Effects::default();
    match view_effects(kind, payload, &mut ViewBufs::default(), &mut fx) {
        Some(r) => r.map(|_| fx),
        None => Event::decode(kind, payload).map(|e| effects(&e)),
    }
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
