//! The storage-independent half of ingest: deciding what a batch means against
//! the stored chain head, and what it changes in the projections. Both backends
//! call these and only write the result, so SQLite and PostgreSQL cannot
//! disagree on the rules.

use rust_decimal::Decimal;
use std::collections::BTreeMap;
use sync_proto::{check_chain, ChainError};
use till_core::money::round_to;
use till_core::records::{CashDirection, Event, TenderKind};
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
    Ok(match check_chain(&head.last_hash, &batch[skip..]) {
        Ok(_) => Plan::Store { skip },
        Err(ChainError::HashMismatch { seq, .. }) | Err(ChainError::TooLong { seq, .. }) => {
            let detail = check_chain(&head.last_hash, &batch[skip..])
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            Plan::HashMismatch { seq, detail }
        }
        Err(e @ ChainError::Broken { seq, .. }) => Plan::Broken {
            seq,
            detail: e.to_string(),
        },
    })
}

/// One stock movement derived from an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockRow {
    pub seq: u64,
    pub idx: u32,
    pub item_id: String,
    pub delta: Decimal,
    pub reason: &'static str,
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
    /// Movements in journal order.
    pub stock: Vec<StockRow>,
    /// item -> sum of this batch's movements.
    pub levels: BTreeMap<String, Decimal>,
    pub closings: Vec<ClosingRow>,
    /// The terminal's public key, from its `terminal_initialised` event.
    pub public_key: Option<String>,
    /// Events whose payload this build cannot read (a newer till): stored, not
    /// projected, and logged.
    pub undecodable: Vec<(u64, String)>,
}

impl Deltas {
    fn add(&mut self, day: &str, key: String, v: Decimal) {
        *self.totals.entry((day.to_string(), key)).or_default() += v;
    }

    /// Folds one stored event in.
    pub fn push(&mut self, e: &StoredEvent) {
        let event = match e.decode() {
            Ok(ev) => ev,
            Err(err) => {
                self.undecodable.push((e.seq, err.to_string()));
                return;
            }
        };
        for (idx, (item_id, delta, reason)) in event.stock_deltas().into_iter().enumerate() {
            *self.levels.entry(item_id.clone()).or_default() += delta;
            self.stock.push(StockRow {
                seq: e.seq,
                idx: u32::try_from(idx).unwrap_or(u32::MAX),
                item_id,
                delta,
                reason,
            });
        }
        if let Some(s) = event.sale() {
            if !s.training {
                let day = s.business_day.to_string();
                self.add(&day, "records".into(), Decimal::ONE);
                let k = if s.total >= Decimal::ZERO {
                    "sales"
                } else {
                    "refunds"
                };
                self.add(&day, k.into(), s.total);
                self.add(&day, "net".into(), s.total);
                for t in &s.tenders {
                    self.add(&day, format!("tender:{}", t.kind.as_str()), t.amount);
                }
                if !s.change.is_zero() {
                    self.add(
                        &day,
                        format!("tender:{}", TenderKind::Cash.as_str()),
                        -s.change,
                    );
                }
                for v in &s.vat {
                    let r = round_to(v.rate.as_percent(), 2);
                    self.add(&day, format!("vat_base:{r}"), v.base);
                    self.add(&day, format!("vat_tax:{r}"), v.tax);
                    self.add(&day, format!("vat_total:{r}"), v.total);
                }
            }
        }
        match event {
            Event::CashMovement(c) => {
                let k = match c.direction {
                    CashDirection::In => "cash_in",
                    CashDirection::Out => "cash_out",
                };
                self.add(&c.business_day.to_string(), k.into(), c.amount);
            }
            Event::Closing(c) => self.closings.push(ClosingRow {
                seq: e.seq,
                kind: c.kind.as_str(),
                period: c.period,
                first_seq: c.first_seq,
                last_seq: c.last_seq,
                net_total: c.totals.net_total,
                grand_total: c.grand_total,
                grand_total_abs: c.grand_total_abs,
            }),
            Event::TerminalInitialised(t) => self.public_key = Some(t.public_key),
            _ => {}
        }
    }

    /// The deltas of a run of events.
    pub fn of(events: &[StoredEvent]) -> Deltas {
        let mut d = Deltas::default();
        for e in events {
            d.push(e);
        }
        d
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
