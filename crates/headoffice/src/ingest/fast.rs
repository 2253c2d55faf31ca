//! Fast reading of sale payloads for the projections: only the fields they
//! use, strings borrowed from the payload, everything else skipped unparsed.
//! Sales are nearly every event and their full decoding (names, barcodes,
//! card outcomes...) dominated ingest time. `Deltas::of` must equal
//! `Deltas::of_full` (tested over simulated journals); whatever this path
//! cannot read falls back to the full decoding.

use super::{Builder, SaleView};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::borrow::Cow;
use till_core::records::{SaleKind, TenderKind};
use till_journal::StoredEvent;

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    item_id: Cow<'a, str>,
    quantity: Decimal,
    stock_tracked: bool,
}

#[derive(Deserialize)]
struct Tender {
    kind: TenderKind,
    amount: Decimal,
}

#[derive(Deserialize)]
struct Vat {
    rate: Decimal,
    base: Decimal,
    tax: Decimal,
    total: Decimal,
}

#[derive(Deserialize)]
struct Sale<'a> {
    /// Read so a payload of another shape falls back to the full decoding.
    #[allow(dead_code)]
    kind: SaleKind,
    business_day: NaiveDate,
    #[serde(borrow)]
    lines: Vec<Line<'a>>,
    total: Decimal,
    change: Decimal,
    vat: Vec<Vat>,
    tenders: Vec<Tender>,
    training: bool,
}

/// Folds a sale event in through the fast path; false when `e` is not a sale
/// kind or its payload does not read this way (the caller decodes it fully).
pub(crate) fn sale(b: &mut Builder, e: &StoredEvent) -> bool {
    if !matches!(
        e.kind.as_str(),
        "sale_completed" | "sale_cancelled" | "refund"
    ) {
        return false;
    }
    let Ok(s) = serde_json::from_slice::<Sale<'_>>(&e.payload) else {
        return false;
    };
    b.sale(SaleView {
        seq: e.seq,
        day: s.business_day,
        training: s.training,
        total: s.total,
        change: s.change,
        lines: s
            .lines
            .iter()
            .map(|l| (l.item_id.as_ref(), l.quantity, l.stock_tracked)),
        tenders: s.tenders.iter().map(|t| (t.kind, t.amount)),
        vat: s.vat.iter().map(|v| (v.rate, v.base, v.tax, v.total)),
    });
    true
}
