//! What a run of new events changes in a terminal's projections: the day
//! totals, stock levels, closings and public key head office stores, and the
//! first event that makes the batch refused.

use super::vet::{self, Refusal, RefusalCode};
use super::fast;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use till_core::money::round_to;
use till_core::records::{CashDirection, DecodeError, Event, TenderKind};
use till_journal::StoredEvent;

/// A closing received from a till.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosingRow {
    pub seq: u64,
    pub kind: &'static str,
    pub period: String,
    pub first_seq: u64,
    pub last_seq: u64,
    pub net_total: Decimal,
    pub grand_total: Decimal,
    pub grand_total_abs: Decimal,
}

/// What a run of new events changes in the projections of one terminal
/// (whose store is known to the caller).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Deltas {
    /// (business day, key) -> amount to add. Keys as the till's `day_totals`:
    /// `records`, `sales`, `refunds`, `net`, `tender:<kind>` (cash net of
    /// change), `vat_base:<rate>`, `vat_tax:<rate>`, `vat_total:<rate>` (rate in
    /// percent, 2 decimals), `cash_in`, `cash_out`. Training sales excluded.
    pub totals: BTreeMap<(String, String), Decimal>,
    /// item -> sum of this batch's movements.
    pub levels: BTreeMap<String, Decimal>,
    pub closings: Vec<ClosingRow>,
    /// The terminal's public key, from its `terminal_initialised` event.
    pub public_key: Option<String>,
    /// Events of a kind this build does not know (a newer till): stored, not
    /// projected, logged and raised as an alert (`unknown_kind`).
    pub undecodable: Vec<(u64, String)>,
    /// The first event (in batch order) that makes the batch refused: an
    /// amount out of range, a known kind that does not decode.
    pub refused: Option<Refusal>,
}

/// A `sales_totals` key, typed while a batch is summed (no string per event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Key {
    Records,
    Sales,
    Refunds,
    Net,
    Tender(TenderKind),
    VatBase(Decimal),
    VatTax(Decimal),
    VatTotal(Decimal),
    CashIn,
    CashOut,
}

impl Key {
    fn as_key(&self) -> String {
        match self {
            Key::Records => "records".into(),
            Key::Sales => "sales".into(),
            Key::Refunds => "refunds".into(),
            Key::Net => "net".into(),
            Key::Tender(t) => format!("tender:{}", t.as_str()),
            Key::VatBase(r) => format!("vat_base:{r}"),
            Key::VatTax(r) => format!("vat_tax:{r}"),
            Key::VatTotal(r) => format!("vat_total:{r}"),
            Key::CashIn => "cash_in".into(),
            Key::CashOut => "cash_out".into(),
        }
    }
}

/// The sale fields projections use, whichever way they were decoded.
pub(crate) struct SaleView<'a, L, T, V>
where
    L: Iterator<Item = (&'a str, Decimal, bool)>,
    T: Iterator<Item = (TenderKind, Decimal)>,
    V: Iterator<Item = (Decimal, Decimal, Decimal, Decimal)>,
{
    pub seq: u64,
    pub day: NaiveDate,
    pub training: bool,
    pub total: Decimal,
    pub change: Decimal,
    /// (item_id, quantity, stock_tracked)
    pub lines: L,
    pub tenders: T,
    /// (rate, base, tax, total)
    pub vat: V,
}

/// Sums a batch with typed keys; [`Builder::finish`] turns them into [`Deltas`].
#[derive(Default)]
pub(crate) struct Builder {
    totals: BTreeMap<(NaiveDate, Key), Decimal>,
    d: Deltas,
}

impl Builder {
    fn add(&mut self, day: NaiveDate, key: Key, v: Decimal) {
        *self.totals.entry((day, key)).or_default() += v;
    }

    /// Keeps the first refusal only (chunks are merged in batch order).
    fn refuse(&mut self, r: Refusal) {
        if self.d.refused.is_none() {
            self.d.refused = Some(r);
        }
    }

    fn check_amount(&mut self, seq: u64, what: &str, v: Decimal) -> bool {
        let ok = vet::amount_ok(v);
        if !ok {
            self.refuse(vet::out_of_range(seq, what, v, false));
        }
        ok
    }

    fn check_quantity(&mut self, seq: u64, what: &str, v: Decimal) -> bool {
        let ok = vet::quantity_ok(v);
        if !ok {
            self.refuse(vet::out_of_range(seq, what, v, true));
        }
        ok
    }

    fn stock(&mut self, item_id: &str, delta: Decimal) {
        match self.d.levels.get_mut(item_id) {
            Some(l) => *l += delta,
            None => {
                self.d.levels.insert(item_id.to_string(), delta);
            }
        }
    }

    /// A sale, cancellation or refund (same rules as `Event::stock_deltas`
    /// and the till's `day_totals`).
    pub(crate) fn sale<'a, L, T, V>(&mut self, s: SaleView<'a, L, T, V>)
    where
        L: Iterator<Item = (&'a str, Decimal, bool)>,
        T: Iterator<Item = (TenderKind, Decimal)>,
        V: Iterator<Item = (Decimal, Decimal, Decimal, Decimal)>,
    {
        // An amount out of range refuses the whole batch, training or not;
        // nothing of it is summed.
        let seq = s.seq;
        if !self.check_amount(seq, "total", s.total) || !self.check_amount(seq, "change", s.change)
        {
            return;
        }
        let lines: Vec<_> = s.lines.collect();
        let tenders: Vec<_> = s.tenders.collect();
        let vat: Vec<_> = s.vat.collect();
        for (_, qty, _) in &lines {
            if !self.check_quantity(seq, "line quantity", *qty) {
                return;
            }
        }
        for (_, amount) in &tenders {
            if !self.check_amount(seq, "tender amount", *amount) {
                return;
            }
        }
        for (rate, base, tax, total) in &vat {
            if !(Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(rate)
                || rate.scale() > vet::MAX_SCALE
            {
                self.refuse(Refusal {
                    seq,
                    code: RefusalCode::AmountOutOfRange,
                    detail: format!("seq {seq}: VAT rate {rate} % is outside 0..100 %"),
                });
                return;
            }
            for (what, v) in [("VAT base", base), ("VAT tax", tax), ("VAT total", total)] {
                if !self.check_amount(seq, what, *v) {
                    return;
                }
            }
        }
        for (item, qty, tracked) in lines {
            if tracked && !s.training {
                self.stock(item, -qty);
            }
        }
        if s.training {
            return;
        }
        let day = s.day;
        self.add(day, Key::Records, Decimal::ONE);
        let k = if s.total >= Decimal::ZERO {
            Key::Sales
        } else {
            Key::Refunds
        };
        self.add(day, k, s.total);
        self.add(day, Key::Net, s.total);
        for (kind, amount) in tenders {
            self.add(day, Key::Tender(kind), amount);
        }
        if !s.change.is_zero() {
            self.add(day, Key::Tender(TenderKind::Cash), -s.change);
        }
        for (rate, base, tax, total) in vat {
            let r = round_to(rate, 2);
            self.add(day, Key::VatBase(r), base);
            self.add(day, Key::VatTax(r), tax);
            self.add(day, Key::VatTotal(r), total);
        }
    }

    /// Folds one fully decoded event in (the reference path).
    pub(crate) fn event(&mut self, seq: u64, event: Event) {
        if let Some(s) = event.sale() {
            self.sale(SaleView {
                seq,
                day: s.business_day,
                training: s.training,
                total: s.total,
                change: s.change,
                lines: s
                    .lines
                    .iter()
                    .map(|l| (l.item_id.as_str(), l.quantity, l.stock_tracked)),
                tenders: s.tenders.iter().map(|t| (t.kind, t.amount)),
                vat: s
                    .vat
                    .iter()
                    .map(|v| (v.rate.as_percent(), v.base, v.tax, v.total)),
            });
            return;
        }
        if let Event::StockMovement(m) = &event {
            for l in &m.lines {
                let counted_ok = match l.counted {
                    Some(c) => self.check_quantity(seq, "counted quantity", c),
                    None => true,
                };
                if !counted_ok || !self.check_quantity(seq, "stock delta", l.delta) {
                    return;
                }
            }
        }
        for (item_id, delta, _reason) in event.stock_deltas() {
            self.stock(&item_id, delta);
        }
        match event {
            Event::CashMovement(c) => {
                if !self.check_amount(seq, "cash movement", c.amount) {
                    return;
                }
                let k = match c.direction {
                    CashDirection::In => Key::CashIn,
                    CashDirection::Out => Key::CashOut,
                };
                self.add(c.business_day, k, c.amount);
            }
            Event::Closing(c) => self.d.closings.push(ClosingRow {
                seq,
                kind: c.kind.as_str(),
                period: c.period,
                first_seq: c.first_seq,
                last_seq: c.last_seq,
                net_total: c.totals.net_total,
                grand_total: c.grand_total,
                grand_total_abs: c.grand_total_abs,
            }),
            Event::TerminalInitialised(t) => self.d.public_key = Some(t.public_key),
            _ => {}
        }
    }

    pub(super) fn full(&mut self, e: &StoredEvent) {
        match e.decode() {
            Ok(ev) => self.event(e.seq, ev),
            // A newer till's kind: kept, and said (an alert, a log line).
            Err(err @ DecodeError::UnknownKind(_)) => {
                self.d.undecodable.push((e.seq, err.to_string()))
            }
            // A kind this build knows that does not decode would be left out
            // of the totals without a trace: refused.
            Err(err) => self.refuse(Refusal {
                seq: e.seq,
                code: RefusalCode::Undecodable,
                detail: format!("seq {}: {err}", e.seq),
            }),
        }
    }

    /// Adds `later` (the builder of the events right after this one's).
    pub(super) fn absorb(&mut self, later: Builder) {
        for (k, v) in later.totals {
            *self.totals.entry(k).or_default() += v;
        }
        for (item, v) in later.d.levels {
            *self.d.levels.entry(item).or_default() += v;
        }
        self.d.closings.extend(later.d.closings);
        if later.d.public_key.is_some() {
            self.d.public_key = later.d.public_key;
        }
        self.d.undecodable.extend(later.d.undecodable);
        if self.d.refused.is_none() {
            self.d.refused = later.d.refused;
        }
    }

    pub(crate) fn finish(mut self) -> Deltas {
        self.d.totals = self
            .totals
            .into_iter()
            .map(|((day, k), v)| ((day.to_string(), k.as_key()), v))
            .collect();
        self.d
    }
}

impl Deltas {
    /// The deltas of a run of events. Sales are read by the fast path
    /// ([`fast`]: only the fields projections use, borrowed), everything else
    /// (and any sale the fast path cannot read) fully.
    pub fn of(events: &[StoredEvent]) -> Deltas {
        let mut b = Builder::default();
        for e in events {
            if !fast::sale(&mut b, e) {
                b.full(e);
            }
        }
        b.finish()
    }

    /// The reference path: every event fully decoded. `of` must equal it.
    pub fn of_full(events: &[StoredEvent]) -> Deltas {
        let mut b = Builder::default();
        for e in events {
            b.full(e);
        }
        b.finish()
    }
}
