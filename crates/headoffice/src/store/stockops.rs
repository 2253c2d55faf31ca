//! Stock operations entered at head office (the back office's Stock page):
//! goods received from a supplier, an inventory count, a transfer between
//! stores. Each is recorded as movements with its source, never as an edit
//! of a level: the lines go to `stock_op_lines`, their deltas are added to
//! the same `stock_levels` projection the tills' events feed, and the
//! operation takes the next catalog version, so the tills of the stores it
//! touches receive its lines with their next catalog pull
//! ([`sync_proto::CatalogDelta::stock`]).
//!
//! An operation is idempotent on its id (a form submitted twice receives
//! once). What is checked without the database is here ([`StockOp::check`]);
//! the backends check the stores and items exist, in the operation's
//! transaction.

use super::{IngestTx, NewAlert, Result};
use crate::ingest::{low_stock_changes, LowStock};
use rust_decimal::Decimal;
use serde::Serialize;

/// The largest quantity a line may move (either way), as the till's own
/// bound on a stock delta.
pub const MAX_QUANTITY: i64 = 10_000_000;
/// Decimals a quantity may have (grams of an item sold by the kilogram).
pub const MAX_QUANTITY_SCALE: u32 = 3;
/// Lines one operation may carry.
pub const MAX_LINES: usize = 500;

/// What a stock operation is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StockOpKind {
    /// Goods delivered to `store` by `supplier` (lines: quantities received).
    Received {
        store: String,
        supplier: String,
        reference: String,
    },
    /// An inventory count in `store` (lines: quantities counted); the
    /// difference from the level is stored as an adjustment.
    Count { store: String },
    /// Goods sent from `from` to `to` (lines: quantities moved).
    Transfer {
        from: String,
        to: String,
        reference: String,
    },
}

impl StockOpKind {
    /// The stable name stored in `stock_ops.kind`.
    pub fn as_str(&self) -> &'static str {
        match self {
            StockOpKind::Received { .. } => "goods_received",
            StockOpKind::Count { .. } => "inventory_count",
            StockOpKind::Transfer { .. } => "transfer",
        }
    }

    /// The stores it changes.
    pub fn stores(&self) -> Vec<&str> {
        match self {
            StockOpKind::Received { store, .. } | StockOpKind::Count { store } => vec![store],
            StockOpKind::Transfer { from, to, .. } => vec![from, to],
        }
    }
}

/// A stock operation to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockOp {
    /// Chosen by the form that submits it: the same id twice records once.
    pub op_id: String,
    pub kind: StockOpKind,
    /// Who entered it (the back-office user).
    pub user: String,
    /// (item, quantity): received, counted or moved.
    pub lines: Vec<(String, Decimal)>,
}

/// Why an operation cannot be recorded: each names what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StockOpInvalid {
    #[error("the operation id is empty or longer than 64 characters")]
    BadOpId,
    #[error("no line: give at least one item and its quantity")]
    NoLines,
    #[error("more than {MAX_LINES} lines")]
    TooManyLines,
    #[error("line {line}: the item is empty")]
    NoItem { line: usize },
    #[error("line {line}: item {item} appears twice")]
    DuplicateItem { line: usize, item: String },
    #[error("line {line}: quantity {qty} must be above 0 and at most {MAX_QUANTITY}, with at most {MAX_QUANTITY_SCALE} decimals")]
    BadQuantity { line: usize, qty: Decimal },
    #[error("the store is empty")]
    NoStore,
    #[error("a transfer needs two different stores")]
    SameStore,
    #[error("unknown store {0}")]
    UnknownStore(String),
    #[error("unknown item {0}")]
    UnknownItem(String),
}

/// A quantity a line may carry: counted may be 0, the others must move something.
pub fn quantity_ok(q: Decimal, zero_ok: bool) -> bool {
    let bound = Decimal::from(MAX_QUANTITY);
    (if zero_ok {
        q >= Decimal::ZERO
    } else {
        q > Decimal::ZERO
    }) && q <= bound
        && q.scale() <= MAX_QUANTITY_SCALE
}

impl StockOp {
    /// Everything checkable without the database; lines are numbered from 1.
    pub fn check(&self) -> Result<(), StockOpInvalid> {
        if self.op_id.trim().is_empty() || self.op_id.len() > 64 {
            return Err(StockOpInvalid::BadOpId);
        }
        if self.kind.stores().iter().any(|s| s.trim().is_empty()) {
            return Err(StockOpInvalid::NoStore);
        }
        if let StockOpKind::Transfer { from, to, .. } = &self.kind {
            if from == to {
                return Err(StockOpInvalid::SameStore);
            }
        }
        if self.lines.is_empty() {
            return Err(StockOpInvalid::NoLines);
        }
        if self.lines.len() > MAX_LINES {
            return Err(StockOpInvalid::TooManyLines);
        }
        let zero_ok = matches!(self.kind, StockOpKind::Count { .. });
        for (i, (item, qty)) in self.lines.iter().enumerate() {
            let line = i + 1;
            if item.trim().is_empty() {
                return Err(StockOpInvalid::NoItem { line });
            }
            if self.lines[..i].iter().any(|(o, _)| o == item) {
                return Err(StockOpInvalid::DuplicateItem {
                    line,
                    item: item.clone(),
                });
            }
            if !quantity_ok(*qty, zero_ok) {
                return Err(StockOpInvalid::BadQuantity { line, qty: *qty });
            }
        }
        Ok(())
    }

    /// The movements of the operation, given each store's level of each
    /// line's item (`level(store, item)`, for a count): (store, item, delta,
    /// counted, reason). Reasons are the till's (`StockReason::as_str`).
    pub fn movements(
        &self,
        level: impl Fn(&str, &str) -> Decimal,
    ) -> Vec<(String, String, Decimal, Option<Decimal>, &'static str)> {
        let mut out = Vec::new();
        for (item, q) in &self.lines {
            match &self.kind {
                StockOpKind::Received { store, .. } => {
                    out.push((store.clone(), item.clone(), *q, None, "goods_received"))
                }
                StockOpKind::Count { store } => out.push((
                    store.clone(),
                    item.clone(),
                    *q - level(store, item),
                    Some(*q),
                    "adjustment",
                )),
                StockOpKind::Transfer { from, to, .. } => {
                    out.push((from.clone(), item.clone(), -*q, None, "transfer_out"));
                    out.push((to.clone(), item.clone(), *q, None, "transfer_in"));
                }
            }
        }
        out
    }

    /// (supplier, reference) as stored.
    pub fn source(&self) -> (Option<&str>, Option<&str>) {
        fn some(s: &str) -> Option<&str> {
            Some(s.trim()).filter(|s| !s.is_empty())
        }
        match &self.kind {
            StockOpKind::Received {
                supplier,
                reference,
                ..
            } => (some(supplier), some(reference)),
            StockOpKind::Count { .. } => (None, None),
            StockOpKind::Transfer { reference, .. } => (None, some(reference)),
        }
    }
}

/// What recording an operation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StockOpOutcome {
    /// Recorded now, at this catalog version.
    Recorded { version: u64 },
    /// Already recorded under this id (a form submitted twice): nothing done.
    AlreadyRecorded { version: u64 },
    /// Refused: nothing recorded.
    Invalid(StockOpInvalid),
}

/// One movement recorded at head office, with its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StockMove {
    pub id: i64,
    pub op_id: String,
    /// `goods_received`, `inventory_count` or `transfer`.
    pub kind: String,
    /// `goods_received`, `adjustment`, `transfer_out` or `transfer_in`.
    pub reason: String,
    pub store_id: String,
    pub item_id: String,
    pub delta: Decimal,
    /// What was counted (an inventory count).
    pub counted: Option<Decimal>,
    pub at: String,
    pub user: String,
    pub supplier: Option<String>,
    pub reference: Option<String>,
    /// The transfer's other store.
    pub other_store: Option<String>,
    pub version: u64,
}

/// A level with what the Stock page shows beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StockRow {
    pub store_id: String,
    pub item_id: String,
    /// The item's name in the catalog (empty: not in the catalog).
    pub name: String,
    pub level: Decimal,
    /// Its low-stock threshold (the store's own wins), if any.
    pub threshold: Option<Decimal>,
    /// At or below its threshold.
    pub low: bool,
}

/// Which levels to read.
#[derive(Debug, Clone, Default)]
pub struct StockQuery {
    /// One store (None: every store).
    pub store: Option<String>,
    /// One item (None: every item).
    pub item: Option<String>,
    pub limit: usize,
    pub offset: usize,
}

/// A [`StockRow`] from its columns (`item`: the catalog's JSON, for the name).
pub(crate) fn stock_row(
    store_id: String,
    item_id: String,
    level: Decimal,
    threshold: Option<Decimal>,
    item: Option<&str>,
) -> StockRow {
    #[derive(serde::Deserialize)]
    struct Named {
        name: String,
    }
    let name = item
        .and_then(|j| serde_json::from_str::<Named>(j).ok())
        .map(|n| n.name)
        .unwrap_or_default();
    StockRow {
        low: threshold.is_some_and(|t| level <= t),
        store_id,
        item_id,
        name,
        level,
        threshold,
    }
}

/// The other store of a transfer's line in `store` (the operation's stores
/// being `first` then `second`).
pub(crate) fn other_store(store: &str, first: &str, second: Option<String>) -> Option<String> {
    let second = second?;
    Some(if store == first {
        second
    } else {
        first.to_string()
    })
}

/// A line of a head-office operation as sent to a till
/// (`sync_proto::StockUpdate`), read for [`super::Store::catalog_since`].
pub(crate) fn stock_update(
    op_id: String,
    item_id: String,
    delta: &str,
    reason: String,
    version: i64,
) -> Result<sync_proto::StockUpdate> {
    Ok(sync_proto::StockUpdate {
        version: super::to_u64(version),
        op_id,
        item_id,
        delta: super::parse_dec("stock_op_lines.delta", delta)?,
        reason,
    })
}

/// The back office's stock operations and reads.
pub trait StockOpsStore {
    /// Records `op` in one transaction (movements, levels, catalog version,
    /// low-stock alerts), or says why not; the same `op_id` again does nothing.
    fn record_stock_op(&self, op: &StockOp, at: &str) -> Result<StockOpOutcome>;
    /// The stores known to head office, sorted.
    fn store_ids(&self) -> Result<Vec<String>>;
    /// Levels at or below their threshold, lowest first (the projection of
    /// open low-stock alerts: no scan of the levels).
    fn low_stock_levels(&self, store: Option<&str>) -> Result<Vec<StockRow>>;
    /// Levels, by store then item, a page of them.
    fn stock_rows(&self, q: &StockQuery) -> Result<Vec<StockRow>>;
    /// The movements head office recorded, newest first, optionally of one
    /// store and item, a page of `limit` before movement id `before`.
    fn stock_moves(
        &self,
        store: Option<&str>,
        item: Option<&str>,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<StockMove>>;
}

/// The terminal id of the alerts head office's own operations raise.
pub const HEADOFFICE_TERMINAL: &str = "headoffice";

/// The SQL of one operation's transaction on a backend: an ingest
/// transaction (its low-stock primitives reused) for terminal
/// [`HEADOFFICE_TERMINAL`], whose store [`StockOpTx::set_store`] moves.
/// Nothing here decides: [`record`] does, once for both backends.
pub(crate) trait StockOpTx: IngestTx {
    /// The store the following primitives (and the low-stock ones) apply to.
    fn set_store(&mut self, store: &str);
    /// The next catalog version, the catalog's versions locked until the end.
    fn next_version(&mut self) -> Result<u64>;
    /// The version an operation of this id was recorded at.
    fn op_version(&mut self, op_id: &str) -> Result<Option<u64>>;
    fn store_known(&mut self, store: &str) -> Result<bool>;
    /// The item has a catalog row (withdrawn or not).
    fn item_known(&mut self, item: &str) -> Result<bool>;
    /// The store's level of `item` (0: never moved), locked until the end.
    fn level(&mut self, item: &str) -> Result<Decimal>;
    fn insert_op(&mut self, op: &StockOp, version: u64, at: &str) -> Result<()>;
    /// A movement of the store, and its level moved by `delta`.
    fn insert_move(
        &mut self,
        op_id: &str,
        item: &str,
        reason: &str,
        delta: Decimal,
        counted: Option<Decimal>,
        version: u64,
    ) -> Result<()>;
    /// Publishes `version` (`lines` movements at `at`).
    fn add_version(&mut self, version: u64, at: &str, lines: u64) -> Result<()>;
}

/// Records `op` in `tx` (begun on the backend) and commits, or rolls back
/// and says why not.
pub(crate) fn record(
    mut tx: Box<dyn StockOpTx + '_>,
    op: &StockOp,
    at: &str,
) -> Result<StockOpOutcome> {
    if let Err(e) = op.check() {
        return Ok(StockOpOutcome::Invalid(e));
    }
    // The version first: it locks, so the same id submitted twice at once
    // is seen by the second.
    let version = tx.next_version()?;
    if let Some(v) = tx.op_version(&op.op_id)? {
        return Ok(StockOpOutcome::AlreadyRecorded { version: v });
    }
    for s in op.kind.stores() {
        if !tx.store_known(s)? {
            return Ok(StockOpOutcome::Invalid(StockOpInvalid::UnknownStore(
                s.to_string(),
            )));
        }
    }
    let mut levels = std::collections::HashMap::new();
    for (item, _) in &op.lines {
        if !tx.item_known(item)? {
            return Ok(StockOpOutcome::Invalid(StockOpInvalid::UnknownItem(
                item.clone(),
            )));
        }
        if let StockOpKind::Count { store } = &op.kind {
            tx.set_store(store);
            levels.insert(item.clone(), tx.level(item)?);
        }
    }
    let moves = op.movements(|_, item| levels.get(item).copied().unwrap_or_default());
    tx.insert_op(op, version, at)?;
    for (store, item, delta, counted, reason) in &moves {
        tx.set_store(store);
        tx.insert_move(&op.op_id, item, reason, *delta, *counted, version)?;
    }
    tx.add_version(version, at, moves.len() as u64)?;
    for store in op.kind.stores() {
        tx.set_store(store);
        if !tx.has_thresholds()? {
            continue;
        }
        let items: Vec<&str> = op.lines.iter().map(|(i, _)| i.as_str()).collect();
        let rows = tx.low_stock_rows(&items)?;
        for change in low_stock_changes(store, rows) {
            match change {
                LowStock::Raise { item_id, detail } => {
                    let code = format!("low_stock:{item_id}");
                    let id = tx.upsert_alert(&NewAlert {
                        code: &code,
                        seq: version,
                        detail: &detail,
                        at,
                    })?;
                    tx.set_low_stock(&item_id, id)?;
                }
                LowStock::Clear { item_id, alert_id } => {
                    tx.clear_low_stock(&item_id, alert_id, at)?
                }
            }
        }
    }
    tx.commit()?;
    Ok(StockOpOutcome::Recorded { version })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn op(kind: StockOpKind, lines: &[(&str, Decimal)]) -> StockOp {
        StockOp {
            op_id: "op-1".into(),
            kind,
            user: "owner@example.fr".into(),
            lines: lines.iter().map(|(i, q)| (i.to_string(), *q)).collect(),
        }
    }

    fn count() -> StockOpKind {
        StockOpKind::Count { store: "S1".into() }
    }

    #[test]
    fn bounds_and_shapes() {
        assert_eq!(op(count(), &[("A", dec!(0))]).check(), Ok(()));
        let recv = StockOpKind::Received {
            store: "S1".into(),
            supplier: "Dupont".into(),
            reference: "BL-1".into(),
        };
        assert_eq!(
            op(recv.clone(), &[("A", dec!(0))]).check(),
            Err(StockOpInvalid::BadQuantity {
                line: 1,
                qty: dec!(0)
            })
        );
        assert!(op(recv.clone(), &[("A", dec!(10000000))]).check().is_ok());
        assert!(op(recv.clone(), &[("A", dec!(10000000.001))])
            .check()
            .is_err());
        assert!(op(recv.clone(), &[("A", dec!(1.0001))]).check().is_err());
        assert!(op(recv.clone(), &[("A", dec!(-1))]).check().is_err());
        assert_eq!(
            op(recv.clone(), &[("A", dec!(1)), ("A", dec!(2))]).check(),
            Err(StockOpInvalid::DuplicateItem {
                line: 2,
                item: "A".into()
            })
        );
        assert_eq!(op(recv, &[]).check(), Err(StockOpInvalid::NoLines));
        let same = StockOpKind::Transfer {
            from: "S1".into(),
            to: "S1".into(),
            reference: String::new(),
        };
        assert_eq!(
            op(same, &[("A", dec!(1))]).check(),
            Err(StockOpInvalid::SameStore)
        );
    }

    #[test]
    fn a_count_stores_the_difference_and_a_transfer_two_lines() {
        let m = op(count(), &[("A", dec!(7))]).movements(|_, _| dec!(10));
        assert_eq!(m[0].2, dec!(-3));
        assert_eq!(m[0].3, Some(dec!(7)));
        assert_eq!(m[0].4, "adjustment");
        let t = StockOpKind::Transfer {
            from: "S1".into(),
            to: "S2".into(),
            reference: String::new(),
        };
        let m = op(t, &[("A", dec!(4))]).movements(|_, _| Decimal::ZERO);
        assert_eq!(
            m.iter().map(|x| (x.0.as_str(), x.2)).collect::<Vec<_>>(),
            vec![("S1", dec!(-4)), ("S2", dec!(4))]
        );
    }
}
