//! What a run of new events changes in a terminal's projections: the day
//! totals, stock levels, closings and public key head office stores, and the
//! first event that makes the batch refused.

use super::vet::{self, Refusal, RefusalCode};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use till_core::records::{DecodeError, Event};
use till_core::totals::DayKey;
use till_core::view::{SaleBuf, SaleView};
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
    /// (business day, key) -> amount to add: the till's `day_totals`, by the
    /// same rule and keys ([`till_core::totals`]). Training sales excluded.
    pub totals: BTreeMap<(String, String), Decimal>,
    /// item -> sum of this batch's movements.
    pub levels: BTreeMap<String, Decimal>,
    pub closings: Vec<ClosingRow>,
    /// The terminal's public key, from its `terminal_initialised` event.
    pub public_key: Option<String>,
    /// (business day, hour of the till's clock) -> what the terminal sold
    /// then: the back office's sales by hour and by terminal
    /// ([`crate::store::dash`]). Training sales excluded, as in `totals`.
    pub hours: BTreeMap<(String, u32), HourSum>,
    /// The software version the terminal last declared (`terminal_initialised`,
    /// `software_updated`).
    pub software_version: Option<String>,
    /// Fraud flags the till reported, raised as alerts `fraud:<what>`
    /// (seq, code, detail): a sale's anomaly flags and supervisor
    /// approvals, a refund without a receipt, the drawer opened outside a
    /// sale. Training records excluded.
    pub flags: Vec<(u64, String, String)>,
    /// Events of a kind this build does not know (a newer till): stored, not
    /// projected, logged and raised as an alert (`unknown_kind`).
    pub undecodable: Vec<(u64, String)>,
    /// The first event (in batch order) that makes the batch refused: an
    /// amount out of range, a known kind that does not decode.
    pub refused: Option<Refusal>,
    /// (business day, cashier) -> (baskets abandoned, their total), from
    /// `basket_abandoned` events (training ones excluded).
    pub abandoned: BTreeMap<(String, String), (u64, Decimal)>,
    /// Customer number -> (amount put on account, sales): the account
    /// tenders of the batch's sales (refunds to the account negative),
    /// added to `customer_balances` ([`crate::store::customers`]).
    /// Training sales excluded.
    pub on_account: BTreeMap<String, (Decimal, u64)>,
}

/// One hour of one terminal's sales: records (sales, cancellations and
/// refunds, as the `records` total) and their net amount.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct HourSum {
    pub records: i64,
    pub net: Decimal,
}

/// The hour of an RFC 3339 time in its own offset (the till's local time).
fn hour_of(ts: &str) -> Option<u32> {
    use chrono::Timelike;
    chrono::DateTime::parse_from_rfc3339(ts)
        .ok()
        .map(|t| t.hour())
}

/// Whether a sale payload says, in the serialisation the till writes, that
/// it carries no flag, no approval and a receipt: then it has nothing to
/// report and is not decoded again. (Those literals cannot occur inside a
/// JSON string, whose quotes are escaped.) Anything else is decoded in full.
fn nothing_to_flag(payload: &[u8]) -> bool {
    let has = |needle: &[u8]| payload.windows(needle.len()).any(|w| w == needle);
    has(br#""flags":[]"#) && has(br#""approvals":[]"#) && has(br#""without_receipt":false"#)
}

/// Sums a batch with typed keys; [`Builder::finish`] turns them into [`Deltas`].
#[derive(Default)]
pub(crate) struct Builder {
    totals: BTreeMap<(NaiveDate, DayKey), Decimal>,
    d: Deltas,
    /// Kept across the batch's sales so that reading them does not allocate.
    buf: SaleBuf,
    /// The hour of the event being folded in (None: its ts does not parse).
    hour: Option<u32>,
}

impl Builder {
    fn add(&mut self, day: NaiveDate, key: DayKey, v: Decimal) {
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

    /// A sale, cancellation or refund: its amounts vetted, then summed by
    /// the till's own rule ([`till_core::totals`]).
    fn sale(&mut self, seq: u64, s: &SaleView<'_>) {
        // An amount out of range refuses the whole batch, training or not;
        // nothing of it is summed.
        if !self.check_amount(seq, "total", s.total) || !self.check_amount(seq, "change", s.change)
        {
            return;
        }
        for l in s.lines() {
            if !self.check_quantity(seq, "line quantity", l.quantity) {
                return;
            }
        }
        for (_, amount) in s.tenders() {
            if !self.check_amount(seq, "tender amount", amount) {
                return;
            }
        }
        for v in s.vat() {
            if !(Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&v.rate)
                || v.rate.scale() > vet::MAX_SCALE
            {
                self.refuse(Refusal {
                    seq,
                    code: RefusalCode::AmountOutOfRange,
                    detail: format!("seq {seq}: VAT rate {} % is outside 0..100 %", v.rate),
                });
                return;
            }
            for (what, x) in [
                ("VAT base", v.base),
                ("VAT tax", v.tax),
                ("VAT total", v.total),
            ] {
                if !self.check_amount(seq, what, x) {
                    return;
                }
            }
        }
        for (item, delta) in s.stock_deltas() {
            self.stock(item, delta);
        }
        let day = s.business_day;
        if let (Some(h), false) = (self.hour, s.training) {
            let e = self.d.hours.entry((day.to_string(), h)).or_default();
            e.records += 1;
            e.net += s.total;
        }
        s.day_amounts(|k, v| self.add(day, k, v));
    }

    /// Folds one stored event in: sales through their view (the payload
    /// scanner, serde for what it declines), other kinds decoded in full.
    pub(crate) fn stored(&mut self, e: &StoredEvent) {
        self.hour = hour_of(&e.ts);
        if !matches!(
            e.kind.as_str(),
            "sale_completed" | "sale_cancelled" | "refund"
        ) {
            return self.full(e);
        }
        let mut buf = std::mem::take(&mut self.buf);
        let before = self.d.refused.is_none();
        let mut account = false;
        let ok = match SaleView::decode(&e.payload, &mut buf) {
            Ok(v) => {
                account = !v.training
                    && v.tenders()
                        .any(|(k, _)| k == till_core::records::TenderKind::CustomerAccount);
                self.sale(e.seq, &v);
                true
            }
            Err(err) => {
                self.refuse(undecodable(e, &e.kind, err));
                false
            }
        };
        self.buf = buf;
        if ok && account && self.d.refused.is_none() {
            // Rare (sales on account): decoded in full for the customer.
            if let Ok(ev) = e.decode() {
                if let Some(s) = ev.sale() {
                    self.account(s);
                }
            }
        }
        if ok && before && self.d.refused.is_none() && !nothing_to_flag(&e.payload) {
            if let Ok(ev) = e.decode() {
                if let Some(s) = ev.sale() {
                    self.flag_sale(e.seq, s);
                }
            }
        }
    }

    /// A sale record's account tenders ([`Deltas::on_account`]), by the
    /// customer each names (else the sale's customer).
    fn account(&mut self, s: &till_core::records::SaleRecord) {
        if s.training {
            return;
        }
        for t in &s.tenders {
            if t.kind != till_core::records::TenderKind::CustomerAccount {
                continue;
            }
            let Some(who) = t.reference.as_ref().or(s.customer.as_ref()) else {
                continue;
            };
            let e = self.d.on_account.entry(who.clone()).or_default();
            e.0 += t.amount;
            e.1 += 1;
        }
    }

    /// A sale record's fraud flags ([`Deltas::flags`]).
    fn flag_sale(&mut self, seq: u64, s: &till_core::records::SaleRecord) {
        if s.training {
            return;
        }
        let no = &s.sale_no;
        for f in &s.flags {
            self.d
                .flags
                .push((seq, format!("fraud:{f}"), format!("{no}: {f}")));
        }
        for a in &s.approvals {
            self.d.flags.push((
                seq,
                format!("fraud:approval:{}", a.action),
                format!(
                    "{no}: {} ({} -> {})",
                    a.detail, a.requested_by, a.approved_by
                ),
            ));
        }
        if s.without_receipt && s.kind == till_core::records::SaleKind::Refund {
            self.d.flags.push((
                seq,
                "fraud:refund_without_receipt".into(),
                format!("{no}: {} ({})", s.total, s.operator),
            ));
        }
    }

    /// Folds one fully decoded event in (the reference path).
    pub(crate) fn event(&mut self, seq: u64, event: Event) {
        if let Some(s) = event.sale() {
            let mut buf = std::mem::take(&mut self.buf);
            let before = self.d.refused.is_none();
            self.sale(seq, &SaleView::of_record(s, &mut buf));
            self.buf = buf;
            if before && self.d.refused.is_none() {
                self.flag_sale(seq, s);
            }
            if self.d.refused.is_none() {
                self.account(s);
            }
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
                self.add(c.business_day, DayKey::cash(c.direction), c.amount);
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
            Event::TerminalInitialised(t) => {
                self.d.public_key = Some(t.public_key);
                self.d.software_version = Some(t.software_version);
            }
            Event::SoftwareUpdated(u) => self.d.software_version = Some(u.to_version),
            Event::DrawerOpened(o) => self.d.flags.push((
                seq,
                "fraud:drawer_opened".into(),
                match o.approved_by {
                    Some(by) => format!("{}: {} ({by})", o.operator, o.reason),
                    None => format!("{}: {}", o.operator, o.reason),
                },
            )),
            Event::BasketAbandoned(a) => {
                if !self.check_amount(seq, "abandoned basket total", a.total) || a.training {
                    return;
                }
                let e = self
                    .d
                    .abandoned
                    .entry((a.business_day.to_string(), a.operator))
                    .or_default();
                e.0 += 1;
                e.1 += a.total;
            }
            _ => {}
        }
    }

    pub(super) fn full(&mut self, e: &StoredEvent) {
        self.hour = hour_of(&e.ts);
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
        for (k, v) in later.d.hours {
            let e = self.d.hours.entry(k).or_default();
            e.records += v.records;
            e.net += v.net;
        }
        if later.d.software_version.is_some() {
            self.d.software_version = later.d.software_version;
        }
        self.d.flags.extend(later.d.flags);
        self.d.undecodable.extend(later.d.undecodable);
        for (k, (n, v)) in later.d.abandoned {
            let e = self.d.abandoned.entry(k).or_default();
            e.0 += n;
            e.1 += v;
        }
        for (k, (v, n)) in later.d.on_account {
            let e = self.d.on_account.entry(k).or_default();
            e.0 += v;
            e.1 += n;
        }
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

/// A known sale kind whose payload does not decode: refused, as
/// [`Builder::full`] refuses any known kind that does not decode.
fn undecodable(e: &StoredEvent, kind: &str, source: serde_json::Error) -> Refusal {
    let err = DecodeError::Payload {
        kind: kind.to_string(),
        source,
    };
    Refusal {
        seq: e.seq,
        code: RefusalCode::Undecodable,
        detail: format!("seq {}: {err}", e.seq),
    }
}

impl Deltas {
    /// The deltas of a run of events. Sales are read through their view
    /// ([`till_core::view::SaleView`]: only the fields totals and stock use,
    /// borrowed, by the payload scanner when it can), everything else fully.
    pub fn of(events: &[StoredEvent]) -> Deltas {
        let mut b = Builder::default();
        for e in events {
            b.stored(e);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq: u64, kind: &str, payload: String) -> StoredEvent {
        StoredEvent {
            terminal_id: "T01".into(),
            seq,
            ts: "2026-12-03T14:05:00.000+01:00".into(),
            kind: kind.into(),
            payload: payload.into_bytes(),
            prev_hash: [0; 32],
            hash: [0; 32],
            signature: None,
        }
    }

    fn sale(kind: &str, total: &str, extra: &str) -> String {
        format!(
            r#"{{"kind":"{kind}","sale_no":"T01-000001","business_day":"2026-12-03","operator":"c1","customer":null,"lines":[{{"line_no":1,"item_id":"10001","barcode":null,"name":"Café","unit":"piece","quantity":"1","unit_price":"{total}","overridden_from":null,"vat_rate":"20.00","gross":"{total}","line_discount":"0.00","basket_discount":"0.00","total":"{total}","stock_tracked":true}}],"basket_discount":"0.00","total":"{total}","rounding":"0.00","vat":[{{"rate":"20.00","base":"{total}","tax":"0.00","total":"{total}"}}],"tenders":[{{"kind":"cash","amount":"{total}","reference":null,"card":null}}],"change":"0.00","reverses":null,{extra},"training":false}}"#
        )
    }

    #[test]
    fn hours_versions_and_fraud_flags_on_both_paths() {
        let clean = r#""without_receipt":false,"approvals":[],"flags":[]"#;
        let flagged = r#""without_receipt":false,"approvals":[{"action":"discount","requested_by":"c1","approved_by":"m1","detail":"30 %"}],"flags":["basket_above_average"]"#;
        let no_receipt = r#""without_receipt":true,"approvals":[],"flags":[]"#;
        let events = vec![
            ev(1, "terminal_initialised", r#"{"terminal_id":"T01","shop_id":"S1","public_key":"00","software_version":"1.2.3"}"#.into()),
            ev(2, "sale_completed", sale("sale", "10.00", clean)),
            ev(3, "sale_completed", sale("sale", "5.00", flagged)),
            ev(4, "refund", sale("refund", "-2.50", no_receipt)),
            ev(5, "drawer_opened", r#"{"operator":"c1","approved_by":"m1","reason":"change"}"#.into()),
        ];
        let d = Deltas::of(&events);
        assert_eq!(d, Deltas::of_full(&events));
        assert_eq!(d.refused, None);
        assert_eq!(d.software_version.as_deref(), Some("1.2.3"));
        let h = d.hours.get(&("2026-12-03".to_string(), 14)).copied();
        assert_eq!(
            h,
            Some(HourSum {
                records: 3,
                net: Decimal::new(1250, 2)
            })
        );
        let codes: Vec<(u64, &str)> = d.flags.iter().map(|f| (f.0, f.1.as_str())).collect();
        assert_eq!(
            codes,
            vec![
                (3, "fraud:basket_above_average"),
                (3, "fraud:approval:discount"),
                (4, "fraud:refund_without_receipt"),
                (5, "fraud:drawer_opened"),
            ]
        );
    }
}
