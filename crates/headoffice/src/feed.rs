//! The ERP feed: stored events turned into flat entries an ERP can import
//! (sales, payments, stock movements, cash movements, closings), each tagged
//! with the cursor of the event it comes from. An ERP keeps the last
//! `next_cursor` and asks again with `after=` it: every entry once, in order.

use crate::store::FeedEvent;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use till_core::records::Event;

/// One feed entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FeedEntry {
    /// A sale, cancellation or refund (negative amounts for the latter two).
    Sale {
        cursor: i64,
        store_id: String,
        terminal_id: String,
        seq: u64,
        ts: String,
        kind: String,
        sale_no: String,
        business_day: String,
        customer: Option<String>,
        total: Decimal,
        rounding: Decimal,
        /// (rate in percent, base, tax, total)
        vat: Vec<(Decimal, Decimal, Decimal, Decimal)>,
    },
    /// One tender of a sale (cash net of change).
    Payment {
        cursor: i64,
        store_id: String,
        terminal_id: String,
        seq: u64,
        sale_no: String,
        tender: String,
        amount: Decimal,
        reference: Option<String>,
    },
    /// One item's stock delta.
    StockMovement {
        cursor: i64,
        store_id: String,
        terminal_id: String,
        seq: u64,
        item_id: String,
        delta: Decimal,
        reason: String,
    },
    /// Cash into (+) or out of (-) the drawer outside sales.
    CashMovement {
        cursor: i64,
        store_id: String,
        terminal_id: String,
        seq: u64,
        amount: Decimal,
        reason: String,
    },
    /// A Z (or monthly/yearly) closing.
    Closing {
        cursor: i64,
        store_id: String,
        terminal_id: String,
        seq: u64,
        kind: String,
        period: String,
        net_total: Decimal,
        grand_total: Decimal,
    },
}

/// The entries of one stored event (none for kinds an ERP does not need, or a
/// payload this build cannot read).
pub fn entries(fe: &FeedEvent) -> Vec<FeedEntry> {
    let e = &fe.event;
    let Ok(event) = e.decode() else {
        return Vec::new();
    };
    let (cursor, store_id, terminal_id, seq) = (fe.cursor, &fe.store_id, &e.terminal_id, e.seq);
    let mut out = Vec::new();
    if let Some(s) = event.sale() {
        if !s.training {
            out.push(FeedEntry::Sale {
                cursor,
                store_id: store_id.clone(),
                terminal_id: terminal_id.clone(),
                seq,
                ts: e.ts.clone(),
                kind: e.kind.clone(),
                sale_no: s.sale_no.clone(),
                business_day: s.business_day.to_string(),
                customer: s.customer.clone(),
                total: s.total,
                rounding: s.rounding,
                vat: s
                    .vat
                    .iter()
                    .map(|v| (v.rate.as_percent(), v.base, v.tax, v.total))
                    .collect(),
            });
            for t in &s.tenders {
                let mut amount = t.amount;
                if t.kind == till_core::records::TenderKind::Cash {
                    amount -= s.change;
                }
                out.push(FeedEntry::Payment {
                    cursor,
                    store_id: store_id.clone(),
                    terminal_id: terminal_id.clone(),
                    seq,
                    sale_no: s.sale_no.clone(),
                    tender: t.kind.as_str().into(),
                    amount,
                    reference: t.reference.clone(),
                });
            }
        }
    }
    for (item_id, delta, reason) in event.stock_deltas() {
        out.push(FeedEntry::StockMovement {
            cursor,
            store_id: store_id.clone(),
            terminal_id: terminal_id.clone(),
            seq,
            item_id,
            delta,
            reason: reason.into(),
        });
    }
    match &event {
        Event::CashMovement(c) => out.push(FeedEntry::CashMovement {
            cursor,
            store_id: store_id.clone(),
            terminal_id: terminal_id.clone(),
            seq,
            amount: match c.direction {
                till_core::records::CashDirection::In => c.amount,
                till_core::records::CashDirection::Out => -c.amount,
            },
            reason: c.reason.clone(),
        }),
        Event::Closing(c) => out.push(FeedEntry::Closing {
            cursor,
            store_id: store_id.clone(),
            terminal_id: terminal_id.clone(),
            seq,
            kind: c.kind.as_str().into(),
            period: c.period.clone(),
            net_total: c.totals.net_total,
            grand_total: c.grand_total,
        }),
        _ => {}
    }
    out
}
