//! Ingest, storage-free: deciding what a batch means against the stored
//! chain head, and what it changes in the projections. [`run`] applies these
//! rules once over the transaction primitives of [`crate::store::IngestTx`];
//! the backends only carry out its SQL, so SQLite and PostgreSQL cannot
//! disagree on the rules.

pub mod fast;
mod low_stock;
mod run;
mod shared;
mod tail;
mod vet;

pub use low_stock::{low_stock_changes, LowStock, LowStockRow};
pub use run::{ingest, run, CHUNK};
pub use shared::{Shared, SharedError};
pub use tail::{check_tail, TailAlert, TailSeen};
pub use vet::{vet, Refusal, RefusalCode, MAX_AMOUNT, MAX_QUANTITY, MAX_SCALE};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use till_core::money::round_to;
use till_core::records::{CashDirection, DecodeError, Event, TenderKind};
use till_journal::StoredEvent;

/// Where a terminal's stored chain ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainHead {
    /// 0 when nothing is stored yet.
    pub last_seq: u64,
    /// The genesis prev_hash (zeros) when nothing is stored yet.
    pub last_hash: [u8; 32],
}

/// What to do with a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Store `batch[skip..]` (the first `skip` are already held and identical).
    Store { skip: usize },
    /// The batch starts after the next expected seq.
    Gap { expected: u64 },
    /// The batch does not continue the stored chain (or rewrites a stored
    /// event): a tampered till or one restored from an old backup.
    Broken { seq: u64, detail: String },
    /// A hash does not recompute.
    HashMismatch { seq: u64, detail: String },
}

/// Decides what `batch` (consecutive seqs, checked by the caller) means after
/// `head`. `stored_hash(seq)` gives the stored hash of an already-held seq, so
/// a resend that differs from what is held is caught, not silently re-acked.
pub fn plan<E>(
    head: ChainHead,
    batch: &[StoredEvent],
    stored_hash: impl FnMut(u64) -> Result<Option<[u8; 32]>, E>,
) -> Result<Plan, E> {
    Ok(match plan_links(head, batch, stored_hash)? {
        Plan::Store { skip } => verify_hashes(&batch[skip..]).unwrap_or(Plan::Store { skip }),
        other => other,
    })
}

/// Recomputes every hash of `new`; the first that does not match, as a plan.
pub fn verify_hashes(new: &[StoredEvent]) -> Option<Plan> {
    for e in new {
        let ok = e.recompute_hash().is_some_and(|h| h == e.hash);
        if !ok {
            return Some(Plan::HashMismatch {
                seq: e.seq,
                detail: format!(
                    "event seq {}: hash does not match the record (claimed {})",
                    e.seq,
                    hex::encode(e.hash)
                ),
            });
        }
    }
    None
}

/// [`plan`] without recomputing hashes: dedupe, gap and the prev_hash links
/// only. The caller must run [`verify_hashes`] on the new events before it
/// commits (the SQLite backend does it on a second thread while inserting).
pub fn plan_links<E>(
    head: ChainHead,
    batch: &[StoredEvent],
    mut stored_hash: impl FnMut(u64) -> Result<Option<[u8; 32]>, E>,
) -> Result<Plan, E> {
    let Some(first) = batch.first() else {
        return Ok(Plan::Store { skip: 0 });
    };
    let expected = head.last_seq + 1;
    if first.seq > expected {
        return Ok(Plan::Gap { expected });
    }
    let skip = batch.iter().take_while(|e| e.seq <= head.last_seq).count();
    for e in &batch[..skip] {
        match stored_hash(e.seq)? {
            Some(h) if h == e.hash => {}
            Some(h) => {
                return Ok(Plan::Broken {
                    seq: e.seq,
                    detail: format!(
                        "seq {} is already stored with hash {}, the till now sends {}",
                        e.seq,
                        hex::encode(h),
                        hex::encode(e.hash)
                    ),
                })
            }
            // Held seqs are gap-free; a missing one is a storage fault.
            None => {
                return Ok(Plan::Broken {
                    seq: e.seq,
                    detail: format!("seq {} is below the stored head but missing", e.seq),
                })
            }
        }
    }
    let mut running = head.last_hash;
    for e in &batch[skip..] {
        if e.prev_hash != running {
            return Ok(Plan::Broken {
                seq: e.seq,
                detail: format!(
                    "event seq {}: prev_hash {} does not continue the chain (expected {})",
                    e.seq,
                    hex::encode(e.prev_hash),
                    hex::encode(running)
                ),
            });
        }
        running = e.hash;
    }
    Ok(Plan::Store { skip })
}

/// Checks the Ed25519 signature of every closing in `new` (the signature of
/// its 32-byte hash) with the terminal's public key: the one stored from its
/// `terminal_initialised` event, or the one this run carries. Returns the
/// first closing that does not verify, and why.
pub fn check_signatures(
    stored_public_key: Option<&str>,
    new: &[StoredEvent],
) -> Option<(u64, String)> {
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};
    let mut key = stored_public_key
        .filter(|k| !k.is_empty())
        .map(str::to_string);
    for e in new {
        match e.kind.as_str() {
            "terminal_initialised" => {
                if let Ok(Event::TerminalInitialised(t)) = e.decode() {
                    key = Some(t.public_key);
                }
            }
            "closing" => {
                let Some(k) = &key else {
                    return Some((e.seq, "no public key known for this terminal".into()));
                };
                let mut kb = [0u8; 32];
                if hex::decode_to_slice(k, &mut kb).is_err() {
                    return Some((e.seq, format!("public key {k:?} is not 32 bytes of hex")));
                }
                let Ok(vk) = VerifyingKey::from_bytes(&kb) else {
                    return Some((
                        e.seq,
                        "the terminal's public key is not a valid Ed25519 key".into(),
                    ));
                };
                let Some(sig) = e.signature.as_deref() else {
                    return Some((e.seq, format!("closing seq {} carries no signature", e.seq)));
                };
                let Ok(sig) = Signature::from_slice(sig) else {
                    return Some((
                        e.seq,
                        format!("closing seq {}: signature is not 64 bytes", e.seq),
                    ));
                };
                if vk.verify(&e.hash, &sig).is_err() {
                    return Some((
                        e.seq,
                        format!(
                            "closing seq {}: signature does not verify with the terminal's key",
                            e.seq
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    None
}

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

    fn full(&mut self, e: &StoredEvent) {
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
    fn absorb(&mut self, later: Builder) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use till_journal::chain::{record_hash, RecordFields, GENESIS_PREV_HASH};

    fn ev(seq: u64, prev: [u8; 32]) -> StoredEvent {
        let payload = br#"{"user":"u1"}"#.to_vec();
        let ts = "2026-11-23T10:00:00.000+01:00".to_string();
        let hash = record_hash(
            &prev,
            &RecordFields {
                terminal_id: "T01",
                seq,
                ts: &ts,
                kind: "login",
                payload: &payload,
            },
        )
        .unwrap_or_default();
        StoredEvent {
            terminal_id: "T01".into(),
            seq,
            ts,
            kind: "login".into(),
            payload,
            prev_hash: prev,
            hash,
            signature: None,
        }
    }

    fn chain(n: u64) -> Vec<StoredEvent> {
        let mut prev = GENESIS_PREV_HASH;
        (1..=n)
            .map(|s| {
                let e = ev(s, prev);
                prev = e.hash;
                e
            })
            .collect()
    }

    type NoErr = std::convert::Infallible;

    #[test]
    fn shared_chunks_match_the_whole_run() {
        let mut c = chain(50);
        for chunk in [1, 7, 50, 64] {
            let w = Shared::new(&c, chunk);
            let r = std::thread::scope(|s| {
                s.spawn(|| w.help());
                w.finish()
            });
            let (bad, d) = r.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(bad, verify_hashes(&c));
            assert_eq!(d, Deltas::of(&c));
        }
        c[30].payload = b"{}".to_vec();
        c[40].payload = b"{}".to_vec();
        let w = Shared::new(&c, 8);
        let r = std::thread::scope(|s| {
            s.spawn(|| w.help());
            w.finish()
        });
        let (bad, _) = r.unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(bad, Some(Plan::HashMismatch { seq: 31, .. })));
        assert_eq!(bad, verify_hashes(&c));
        // Cancelled work is never waited for.
        let w = Shared::new(&c, 8);
        w.cancel();
        w.help();
    }

    #[test]
    fn resend_overlap_and_gap() {
        let c = chain(5);
        let head = ChainHead {
            last_seq: 3,
            last_hash: c[2].hash,
        };
        let lookup = |s: u64| Ok::<_, NoErr>(c.get(s as usize - 1).map(|e| e.hash));
        assert_eq!(plan(head, &c, lookup), Ok(Plan::Store { skip: 3 }));
        assert_eq!(plan(head, &c[..3], lookup), Ok(Plan::Store { skip: 3 }));
        assert_eq!(plan(head, &c[4..], lookup), Ok(Plan::Gap { expected: 4 }));
        let fresh = ChainHead {
            last_seq: 0,
            last_hash: GENESIS_PREV_HASH,
        };
        assert_eq!(plan(fresh, &c, lookup), Ok(Plan::Store { skip: 0 }));
    }

    #[test]
    fn rewritten_history_is_broken() {
        let c = chain(3);
        let head = ChainHead {
            last_seq: 3,
            last_hash: c[2].hash,
        };
        let other = [9u8; 32];
        let lookup = |_s: u64| Ok::<_, NoErr>(Some(other));
        assert!(matches!(
            plan(head, &c, lookup),
            Ok(Plan::Broken { seq: 1, .. })
        ));
        // A restored backup: continues from an older point.
        let head = ChainHead {
            last_seq: 1,
            last_hash: other,
        };
        assert!(matches!(
            plan(head, &c[1..], |_| Ok::<_, NoErr>(None)),
            Ok(Plan::Broken { seq: 2, .. })
        ));
        let mut t = chain(2);
        t[1].payload = b"{}".to_vec();
        let fresh = ChainHead {
            last_seq: 0,
            last_hash: GENESIS_PREV_HASH,
        };
        assert!(matches!(
            plan(fresh, &t, |_| Ok::<_, NoErr>(None)),
            Ok(Plan::HashMismatch { seq: 2, .. })
        ));
    }
}
