//! The verifier's recomputation of the projections: one accumulator per
//! worker for the whole walk (sums do not depend on the order events are
//! added in), merged once at the end, so the reading thread never touches
//! them. Each batch's stock ledger rows go into its chunk digest (see
//! [`crate::ledger_check`]) instead of being kept.

use crate::ledger_check::{self, LedgerKey};
use crate::projections::{DayKey, FxSink, ProjectionSnapshot};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::HashMap;
use till_core::records::ClosingKind;

#[derive(Default)]
pub(crate) struct Sums {
    /// The event being added.
    pub seq: u64,
    /// The keys of the ledger chunk digests.
    pub digest_key: LedgerKey,
    /// Item ids of up to 16 bytes are keys by value: no pointer to follow,
    /// no string to compare, one cache miss per row at most.
    stock: HashMap<u128, Decimal, Fold>,
    long_stock: HashMap<Box<str>, Decimal>,
    /// The batch's short-key rows, added to `stock` at the end of the batch
    /// in one tight loop: the map is larger than the cache, and independent
    /// look-ups one after the other overlap their cache misses.
    pending: Vec<(u128, Decimal)>,
    /// Per business day; events come in day order, so `last_day` almost
    /// always hits and a day's dozen keys are searched linearly.
    days: Vec<(NaiveDate, Vec<(DayKey, Decimal)>)>,
    last_day: usize,
    next_key: usize,
    perpetual: Vec<(&'static str, Decimal)>,
    /// (seq, kind, period, last_seq)
    closings: Vec<(u64, String, String, u64)>,
    /// (original seq, seq) of refunds, cancellations and reprints.
    links: Vec<(u64, u64)>,
    /// The current batch's ledger digest (see [`LedgerKey`]), None before
    /// its first row.
    ledger: Option<u64>,
    /// One ledger row, encoded.
    row: Vec<u8>,
    /// The users projection's changes (rare: kept as they come, sorted at the end).
    pub user_changes: Vec<crate::verify_state::UserChange>,
}

/// Hashes the 16-byte item keys with one folded multiplication under random
/// seeds (SipHash took most of the time of a look-up, and a short hash lets
/// the processor overlap the cache misses of consecutive look-ups). The seeds
/// come from the standard library's random hasher keys, so a journal cannot
/// be crafted to collide.
#[derive(Clone)]
pub(crate) struct Fold(u64, u64);

impl Default for Fold {
    fn default() -> Fold {
        use std::hash::BuildHasher;
        let r = std::collections::hash_map::RandomState::new();
        Fold(r.hash_one(1u8), r.hash_one(2u8))
    }
}

pub(crate) struct FoldHasher(u64, u64, u64);

fn fold(a: u64, b: u64) -> u64 {
    let m = u128::from(a) * u128::from(b);
    (m as u64) ^ ((m >> 64) as u64)
}

impl std::hash::Hasher for FoldHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Not used by the u128 keys; correct for anything else.
        for b in bytes {
            self.2 = fold(self.2 ^ u64::from(*b) ^ self.0, self.1 | 1);
        }
    }
    fn write_u128(&mut self, k: u128) {
        self.2 = fold((k as u64) ^ self.0, ((k >> 64) as u64) ^ self.1);
    }
    fn finish(&self) -> u64 {
        self.2
    }
}

impl std::hash::BuildHasher for Fold {
    type Hasher = FoldHasher;
    fn build_hasher(&self) -> FoldHasher {
        FoldHasher(self.0, self.1, 0)
    }
}

/// An item id of at most 15 bytes as a number: its bytes, little-endian,
/// and its length in the top byte (so "A" and "A\0" differ).
fn short_key(item: &str) -> Option<u128> {
    let b = item.as_bytes();
    if b.len() > 15 {
        return None;
    }
    let mut w = [0u8; 16];
    w.get_mut(..b.len())?.copy_from_slice(b);
    w[15] = b.len() as u8;
    Some(u128::from_le_bytes(w))
}

impl FxSink for Sums {
    fn stock(&mut self, idx: usize, item: &str, delta: Decimal, reason: &'static str) {
        match short_key(item) {
            Some(k) => self.pending.push((k, delta)),
            None => match self.long_stock.get_mut(item) {
                Some(level) => *level += delta,
                None => {
                    self.long_stock.insert(item.into(), delta);
                }
            },
        }
        self.row.clear();
        ledger_check::encode_row(
            &mut self.row,
            self.seq,
            idx as u64,
            item.as_bytes(),
            delta,
            reason.as_bytes(),
        );
        let f = self.digest_key.factor(&self.row);
        self.ledger = Some(LedgerKey::times(self.ledger.unwrap_or(1), f));
    }

    fn day(&mut self, day: NaiveDate, key: DayKey, amount: Decimal) {
        let d = match self.days.get(self.last_day) {
            Some((x, _)) if *x == day => self.last_day,
            _ => match self.days.iter().position(|(x, _)| *x == day) {
                Some(i) => i,
                None => {
                    self.days.push((day, Vec::with_capacity(24)));
                    self.days.len() - 1
                }
            },
        };
        self.last_day = d;
        let Some((_, keys)) = self.days.get_mut(d) else {
            return;
        };
        // Every sale gives its keys in the same order, so the key after the
        // last one found is nearly always the next one asked for.
        let at = match keys.get(self.next_key) {
            Some((k, _)) if *k == key => Some(self.next_key),
            _ => keys.iter().position(|(k, _)| *k == key),
        };
        match at {
            Some(i) => {
                if let Some((_, v)) = keys.get_mut(i) {
                    *v += amount;
                }
                self.next_key = i + 1;
            }
            None => {
                keys.push((key, amount));
                self.next_key = keys.len();
            }
        }
    }

    fn perpetual(&mut self, key: &'static str, amount: Decimal) {
        match self.perpetual.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => *v += amount,
            None => self.perpetual.push((key, amount)),
        }
    }

    fn closing(&mut self, kind: ClosingKind, period: &str, last_seq: u64) {
        self.closings.push((
            self.seq,
            kind.as_str().to_string(),
            period.to_string(),
            last_seq,
        ));
    }

    fn link(&mut self, orig_seq: u64) {
        self.links.push((orig_seq, self.seq));
    }
}

impl Sums {
    /// Adds the batch's stock rows to the levels.
    fn flush_stock(&mut self) {
        for (k, delta) in self.pending.drain(..) {
            *self.stock.entry(k).or_default() += delta;
        }
    }

    /// The digest of the batch's ledger rows (None: it had none), and a fresh
    /// start for the next batch.
    pub fn take_ledger_digest(&mut self) -> Option<u64> {
        self.flush_stock();
        self.ledger.take()
    }

    /// Merges every worker's sums; closings go in seq order, as the table
    /// received them.
    pub fn merge(all: Vec<Sums>) -> ProjectionSnapshot {
        let mut snap = ProjectionSnapshot::default();
        let mut closings = Vec::new();
        let mut links = std::collections::BTreeSet::new();
        for mut s in all {
            s.flush_stock();
            for (k, v) in s.stock {
                let bytes = k.to_le_bytes();
                let len = usize::from(bytes[15]);
                let item = String::from_utf8_lossy(bytes.get(..len).unwrap_or(&[]));
                *snap.stock_levels.entry(item.into_owned()).or_default() += v;
            }
            for (k, v) in s.long_stock {
                *snap.stock_levels.entry(k.into_string()).or_default() += v;
            }
            for (day, keys) in s.days {
                let day = day.to_string();
                for (k, v) in keys {
                    *snap
                        .day_totals
                        .entry((day.clone(), k.as_key()))
                        .or_default() += v;
                }
            }
            for (k, v) in s.perpetual {
                *snap.perpetual.entry(k.to_string()).or_default() += v;
            }
            closings.extend(s.closings);
            links.extend(s.links);
        }
        snap.sale_links = Some(links);
        closings.sort_by_key(|c| c.0);
        for (seq, kind, period, last) in closings {
            snap.closings.insert((kind, period), (seq, last));
        }
        snap
    }
}
