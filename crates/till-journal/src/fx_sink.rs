//! How the verifier receives an event's effects: piece by piece through
//! [`FxSink`], from a sale or stock movement view ([`till_core::view`]) or
//! from [`Effects`], so that nothing is collected per event.

use crate::projections::{
    effects, effects_from_payload, DayKey, Effects, P_GRAND_TOTAL, P_GRAND_TOTAL_ABS,
    P_SALE_RECORDS,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use till_core::records::{ClosingKind, DecodeError, Event};
use till_core::view::{MovementBuf, MovementView, SaleBuf, SaleView};

/// Where the verifier puts an event's effects, piece by piece, so that
/// nothing is collected per event. `idx` numbers the event's stock rows.
pub(crate) trait FxSink {
    fn stock(&mut self, idx: usize, item: &str, delta: Decimal, reason: &'static str);
    fn day(&mut self, day: NaiveDate, key: DayKey, amount: Decimal);
    fn perpetual(&mut self, key: &'static str, amount: Decimal);
    fn closing(&mut self, kind: ClosingKind, period: &str, last_seq: u64);
    fn link(&mut self, orig_seq: u64);
}

/// Collects, as [`effects`] builds them (for comparisons in tests).
impl FxSink for Effects {
    fn stock(&mut self, _idx: usize, item: &str, delta: Decimal, reason: &'static str) {
        self.stock.push((item.to_string(), delta, reason));
    }
    fn day(&mut self, day: NaiveDate, key: DayKey, amount: Decimal) {
        let (_, amounts) = self.day.get_or_insert_with(|| (day, Vec::new()));
        match amounts.iter_mut().find(|e| e.0 == key) {
            Some(e) => e.1 += amount,
            None => amounts.push((key, amount)),
        }
    }
    fn perpetual(&mut self, key: &'static str, amount: Decimal) {
        self.perpetual.push((key, amount));
    }
    fn closing(&mut self, kind: ClosingKind, period: &str, last_seq: u64) {
        self.closing = Some((kind, period.to_string(), last_seq));
    }
    fn link(&mut self, orig_seq: u64) {
        self.link = Some(orig_seq);
    }
}

/// Gives `fx` to `sink`.
pub(crate) fn feed(fx: &Effects, sink: &mut impl FxSink) {
    for (idx, (item, d, reason)) in fx.stock.iter().enumerate() {
        sink.stock(idx, item, *d, reason);
    }
    if let Some((day, amounts)) = &fx.day {
        for (k, v) in amounts {
            sink.day(*day, *k, *v);
        }
    }
    for (k, v) in &fx.perpetual {
        sink.perpetual(k, *v);
    }
    if let Some((kind, period, last)) = &fx.closing {
        sink.closing(*kind, period, *last);
    }
    if let Some(orig) = fx.link {
        sink.link(orig);
    }
}

/// The buffers the views borrow, kept across a loop over many events.
#[derive(Debug, Default)]
pub(crate) struct ViewBufs {
    sale: SaleBuf,
    movement: MovementBuf,
}

/// The effects of a sale, cancellation or refund, the same whichever way it
/// was decoded.
pub(crate) fn sale_effects(s: &SaleView<'_>, sink: &mut impl FxSink) {
    if let Some(orig) = s.reverses {
        sink.link(orig);
    }
    let reason = s.stock_reason();
    for (idx, (item, delta)) in s.stock_deltas().enumerate() {
        sink.stock(idx, item, delta, reason);
    }
    let day = s.business_day;
    s.day_amounts(|k, v| sink.day(day, k, v));
    sink.perpetual(P_SALE_RECORDS, Decimal::ONE);
    if !s.training {
        sink.perpetual(P_GRAND_TOTAL, s.total);
        sink.perpetual(P_GRAND_TOTAL_ABS, s.total.abs());
    }
}

/// The effects of a stock movement.
pub(crate) fn movement_effects(m: &MovementView<'_>, sink: &mut impl FxSink) {
    let reason = m.reason.as_str();
    for (idx, l) in m.lines().enumerate() {
        sink.stock(idx, l.item_id, l.delta, reason);
    }
}

/// The effects of a sale or stock movement payload, through its view, given
/// to `sink`; `None` for the other kinds (decode them in full).
pub(crate) fn view_effects(
    kind: &str,
    payload: &[u8],
    bufs: &mut ViewBufs,
    sink: &mut impl FxSink,
) -> Option<Result<(), DecodeError>> {
    let err = |source| DecodeError::Payload {
        kind: kind.to_string(),
        source,
    };
    Some(match kind {
        "sale_completed" | "sale_cancelled" | "refund" => SaleView::decode(payload, &mut bufs.sale)
            .map(|v| sale_effects(&v, sink))
            .map_err(err),
        "stock_movement" => MovementView::decode(payload, &mut bufs.movement)
            .map(|v| movement_effects(&v, sink))
            .map_err(err),
        _ => return None,
    })
}

/// Test hook: whether the payload scanner, when it takes a payload, gives
/// the same effects as the full decoding (true when it declines, false when
/// it takes a payload the full decoding refuses).
#[doc(hidden)]
pub fn scanner_agrees(kind: &str, payload: &[u8]) -> bool {
    let mut fx = Effects::default();
    match kind {
        "stock_movement" => match MovementView::scan_only(payload, &mut MovementBuf::default()) {
            Some(v) => movement_effects(&v, &mut fx),
            None => return true,
        },
        "sale_completed" | "sale_cancelled" | "refund" => {
            match SaleView::scan_only(payload, &mut SaleBuf::default()) {
                Some(v) => sale_effects(&v, &mut fx),
                None => return true,
            }
        }
        _ => return true,
    }
    matches!(effects_from_payload(kind, payload), Ok(f) if f == fx)
        && matches!(Event::decode(kind, payload), Ok(e) if effects(&e) == fx)
}

/// Test hook: whether the payload scanner takes this payload (the fast path).
#[doc(hidden)]
pub fn scanner_takes(kind: &str, payload: &[u8]) -> bool {
    match kind {
        "stock_movement" => MovementView::scan_only(payload, &mut MovementBuf::default()).is_some(),
        _ => SaleView::scan_only(payload, &mut SaleBuf::default()).is_some(),
    }
}
