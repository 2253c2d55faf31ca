//! How the verifier receives an event's effects: piece by piece through
//! [`FxSink`], from the payload scanner ([`crate::fastpay`]) or from serde's
//! [`Effects`], so that the scanner's results can be compared with serde's.

use crate::projections::{
    effects, effects_from_payload, sale_day_amounts_into, DayKey, Effects, P_GRAND_TOTAL,
    P_GRAND_TOTAL_ABS, P_SALE_RECORDS,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use till_core::records::{ClosingKind, Event};

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

/// The effects of a sale scanned by [`crate::fastpay::scan_sale`], the same as
/// [`effects`] of its decoded event. `None` if the scan is incomplete.
pub(crate) fn scanned_sale_effects(
    s: &crate::fastpay::SaleScan,
    payload: &[u8],
    sink: &mut impl FxSink,
) -> Option<()> {
    use till_core::records::SaleKind;
    let (kind, day, total, change, training) =
        (s.kind?, s.business_day?, s.total?, s.change?, s.training?);
    if let Some(orig) = s.reverses {
        sink.link(orig);
    }
    if !training {
        let reason = match kind {
            SaleKind::Sale => "sale",
            SaleKind::Cancellation => "cancellation",
            SaleKind::Refund => "return",
        };
        let tracked = s.lines.iter().filter(|l| l.stock_tracked);
        for (idx, l) in tracked.enumerate() {
            let item = payload
                .get(l.item.0..l.item.1)
                .and_then(|b| std::str::from_utf8(b).ok())?;
            sink.stock(idx, item, -l.quantity, reason);
        }
        sale_day_amounts_into(
            total,
            change,
            s.tenders.iter().copied(),
            s.vat.iter().map(|v| (v[0], v[1], v[2], v[3])),
            |k, v| sink.day(day, k, v),
        );
    }
    sink.perpetual(P_SALE_RECORDS, Decimal::ONE);
    if !training {
        sink.perpetual(P_GRAND_TOTAL, total);
        sink.perpetual(P_GRAND_TOTAL_ABS, total.abs());
    }
    Some(())
}

/// The effects of a stock movement scanned by
/// [`crate::fastpay::scan_movement`], the same as [`effects`] of its event.
pub(crate) fn scanned_movement_effects(
    m: &crate::fastpay::MovementScan,
    payload: &[u8],
    sink: &mut impl FxSink,
) -> Option<()> {
    let reason = m.reason?.as_str();
    for (idx, ((s, e), delta)) in m.lines.iter().enumerate() {
        let item = payload
            .get(*s..*e)
            .and_then(|b| std::str::from_utf8(b).ok())?;
        sink.stock(idx, item, *delta, reason);
    }
    Some(())
}

/// Test hook: whether the verifier's sale scanner, when it takes a payload,
/// gives the same effects as the full decoding (true when it declines).
#[doc(hidden)]
pub fn scanner_agrees(kind: &str, payload: &[u8]) -> bool {
    if kind == "stock_movement" {
        let mut scan = crate::fastpay::MovementScan::default();
        if crate::fastpay::scan_movement(payload, &mut scan).is_none() {
            return true;
        }
        let mut fx = Effects::default();
        return scanned_movement_effects(&scan, payload, &mut fx).is_some()
            && matches!(effects_from_payload(kind, payload), Ok(f) if f == fx)
            && Event::decode(kind, payload).map_or(true, |e| effects(&e) == fx);
    }
    if !matches!(kind, "sale_completed" | "sale_cancelled" | "refund") {
        return true;
    }
    let mut scan = crate::fastpay::SaleScan::default();
    if crate::fastpay::scan_sale(payload, &mut scan).is_none() {
        return true;
    }
    let mut fx = Effects::default();
    if scanned_sale_effects(&scan, payload, &mut fx).is_none() {
        return false;
    }
    // What the verifier would otherwise have used for this kind (which, like
    // the scanner, does not read every field, so may take a payload the full
    // decoding refuses).
    matches!(effects_from_payload(kind, payload), Ok(f) if f == fx)
        && Event::decode(kind, payload).map_or(true, |e| effects(&e) == fx)
}

/// Test hook: whether the sale scanner takes this payload (the fast path).
#[doc(hidden)]
pub fn scanner_takes(kind: &str, payload: &[u8]) -> bool {
    match kind {
        "stock_movement" => {
            crate::fastpay::scan_movement(payload, &mut crate::fastpay::MovementScan::default())
                .is_some()
        }
        _ => crate::fastpay::scan_sale(payload, &mut crate::fastpay::SaleScan::default()).is_some(),
    }
}
