//! The verifier's stock ledger check.
//!
//! The ledger has several rows per event (6 million on a 1-million-event
//! journal); stepping through them on the thread that reads the events made
//! that thread the bottleneck. So the comparison runs in two stages:
//!
//! 1. Digests, in parallel with the chain walk. The ledger rows are cut into
//!    chunks by seq (`CHUNK` seqs each, the walk's batch size, so chunk i is
//!    batch i of a valid chain), and each chunk's rows get an order-free
//!    digest (see [`LedgerKey`]). The walk's workers digest the rows the
//!    events give, chunk by chunk; a thread with its own read connection
//!    digests the rows the table holds, in the table's own order (by item
//!    since schema 3: the ledger is keyed by what is looked up, so it needs
//!    no second index), each row into its chunk; see [`digest_table`].
//!    The second connection must read the same snapshot as the walk: both
//!    read the tail marker and the schema cookie, which every write to the
//!    events or the projections changes (an append moves the tail, a rebuild
//!    changes the schema cookie on purpose); if they differ, stage 1 is not used.
//! 2. Where the digests first differ (or from the start, without stage 1), the
//!    row-by-row comparison names the first bad row, on the walk's
//!    connection, the table's rows sorted by seq. Every earlier chunk
//!    matched, so rows line up there exactly as they would from the start.
//!
//! Deltas are compared by value ("1.0" = "1"), as the row-by-row comparison does.

use crate::error::{classify, Result};
use crate::verify::{Problem, ProblemKind};
use crate::verify_file::{self, EntryDigest};
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// Seqs per chunk: the verifier's batch size.
pub(crate) const CHUNK: u64 = 512;

/// Appends one row's canonical bytes to `buf`. Lengths are prefixed, the
/// delta is normalised (so equal values encode alike).
pub(crate) fn encode_row(
    buf: &mut Vec<u8>,
    seq: u64,
    idx: u64,
    item: &[u8],
    delta: Decimal,
    reason: &[u8],
) {
    buf.extend_from_slice(&seq.to_le_bytes());
    buf.extend_from_slice(&idx.to_le_bytes());
    buf.extend_from_slice(&(item.len() as u64).to_le_bytes());
    buf.extend_from_slice(item);
    buf.extend_from_slice(&delta.normalize().serialize());
    buf.extend_from_slice(&(reason.len() as u64).to_le_bytes());
    buf.extend_from_slice(reason);
}

/// The prime modulus of the digests, 2^61 - 1.
const P: u64 = (1 << 61) - 1;

/// `a * b mod P`, for `a`, `b` below 2^61.
fn mul(a: u64, b: u64) -> u64 {
    let m = u128::from(a) * u128::from(b);
    let r = (m & u128::from(P)) + (m >> 61);
    let r = (r as u64 & P) + (r >> 61) as u64;
    if r >= P {
        r - P
    } else {
        r
    }
}

/// A row digest: a polynomial hash modulo the prime 2^61 - 1, keyed with a
/// random key drawn for each verification (`key` in 1..p). Two different
/// rows collide only if the key is a root of their difference, a
/// polynomial of degree at most the row's length in 7-byte limbs: a chance
/// of at most that length over 2^61 (below 2^-56 for a row the till
/// writes) whatever was written into the table, since the key did not
/// exist then. A tenth of the cost of SHA-256.
fn digest(key: u64, k2: u64, buf: &[u8]) -> u64 {
    let limb = |l: &[u8]| {
        let mut w = [0u8; 8];
        w[..l.len()].copy_from_slice(l);
        u64::from_le_bytes(w)
    };
    // Two limbs per step (acc k^2 + a k + b, the same polynomial as one at a
    // time, `k2` = k^2): the multiplications by k no longer wait on each other.
    let mut acc = 0u64;
    // 7-byte limbs are below p, so distinct limbs stay distinct mod p.
    let mut pairs = buf.chunks_exact(14);
    for pair in &mut pairs {
        let (a, b) = pair.split_at(7);
        acc = mul(acc, k2) + mul(limb(a), key) + limb(b);
    }
    let mut limbs = pairs.remainder().chunks(7);
    for l in &mut limbs {
        acc = mul(acc, key) + limb(l);
    }
    if buf.len() == buf.len() / 7 * 7 {
        // A short last limb was absent: keep the shape of one always present.
        acc = mul(acc, key);
    }
    // The length closes the polynomial: a trailing zero byte changes it.
    (mul(acc, key) + buf.len() as u64 % P) % P
}

/// The keys of one verification's ledger digests. A chunk's digest is the
/// product of `z - digest(k, row)` over its rows, modulo p: the same
/// whatever order the rows come in (the table is read by item, the events
/// give them by seq). Two different multisets of rows give the same
/// product only if their row digests collide (above) or if `z` is a root of
/// the difference of two distinct polynomials of degree at most the
/// chunk's row count (a few thousand): below 2^-48 either way. A sum of
/// row digests would not do: swapping the items of two rows keeps it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LedgerKey {
    k: u64,
    /// k^2 mod p.
    k2: u64,
    z: u64,
}

impl LedgerKey {
    /// The factor one row (its [`encode_row`] bytes) brings to its chunk's product.
    pub fn factor(&self, row: &[u8]) -> u64 {
        let h = digest(self.k, self.k2, row);
        if self.z >= h {
            self.z - h
        } else {
            self.z + P - h
        }
    }

    /// `acc * f mod p`.
    pub fn times(acc: u64, f: u64) -> u64 {
        mul(acc, f)
    }
}

/// Fresh keys for the digests; None if the system has no randomness to give
/// (then the ledger is compared row by row).
pub(crate) fn digest_key() -> Option<LedgerKey> {
    let mut b = [0u8; 16];
    getrandom::getrandom(&mut b).ok()?;
    let half = |i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        u64::from_le_bytes(w) % (P - 1) + 1
    };
    let k = half(0);
    Some(LedgerKey {
        k,
        k2: mul(k, k),
        z: half(8),
    })
}

/// What identifies a read snapshot of the journal: the tail marker rows and
/// the schema cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SnapshotId {
    tail: Vec<(String, i64, Vec<u8>)>,
    schema_version: i64,
}

/// Reads the snapshot id (inside the caller's read transaction, which this
/// read starts if it has not started yet).
pub(crate) fn snapshot_id(conn: &Connection) -> rusqlite::Result<SnapshotId> {
    let mut st = conn.prepare("SELECT terminal_id, seq, hash FROM tail ORDER BY terminal_id")?;
    let tail = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let schema_version = conn.query_row("PRAGMA schema_version", [], |r| r.get(0))?;
    Ok(SnapshotId {
        tail,
        schema_version,
    })
}

/// Chunks past this one (a seq no till reaches before millions of years)
/// go in a map rather than the vector.
const DENSE_CHUNKS: u64 = 1 << 20;
/// Marks a chunk that has rows (a product is below 2^61).
const PRESENT: u64 = 1 << 63;

/// Chunk index -> product of its rows' factors; chunks without rows are absent.
#[derive(Debug, Default)]
pub(crate) struct ChunkProducts {
    dense: Vec<u64>,
    sparse: BTreeMap<u64, u64>,
}

impl ChunkProducts {
    fn times(&mut self, chunk: u64, f: u64) {
        let slot = if chunk < DENSE_CHUNKS {
            let c = chunk as usize;
            if c >= self.dense.len() {
                self.dense.resize(c + 1, 0);
            }
            &mut self.dense[c]
        } else {
            self.sparse.entry(chunk).or_insert(0)
        };
        let acc = if *slot & PRESENT != 0 {
            *slot & !PRESENT
        } else {
            1
        };
        *slot = LedgerKey::times(acc, f) | PRESENT;
    }

    pub fn get(&self, chunk: u64) -> Option<u64> {
        let v = if chunk < DENSE_CHUNKS {
            self.dense.get(chunk as usize).copied().unwrap_or(0)
        } else {
            self.sparse.get(&chunk).copied().unwrap_or(0)
        };
        (v & PRESENT != 0).then_some(v & !PRESENT)
    }

    /// The first chunk from `from` on that has rows.
    fn first_from(&self, from: u64) -> Option<u64> {
        let dense = self
            .dense
            .iter()
            .enumerate()
            .skip(usize::try_from(from).unwrap_or(usize::MAX))
            .find(|(_, v)| **v & PRESENT != 0)
            .map(|(c, _)| c as u64);
        dense.or_else(|| self.sparse.range(from..).next().map(|(c, _)| *c))
    }
}

/// The table side of stage 1.
pub(crate) struct TableDigests {
    pub snapshot: SnapshotId,
    pub chunks: ChunkProducts,
    /// A row that cannot be encoded (a seq that is not a positive integer, a
    /// delta that is not a decimal...): stage 2 starts at this chunk at the latest.
    pub anomaly: Option<u64>,
    /// With the by-item index of a schema 2 journal: every row's (item_id,
    /// seq, idx), for the file check's comparison with that index (see
    /// `verify_file`); None unless every row was read.
    pub entries: Option<EntryDigest>,
}

fn delta_of(text: &[u8]) -> Option<Decimal> {
    till_core::view::plain_decimal(text).or_else(|| std::str::from_utf8(text).ok()?.parse().ok())
}

/// Digests the ledger table chunk by chunk, on its own read-only
/// connection, in the table's order; with `entries_key` (a schema 2
/// journal, whose by-item index the file check compares), also its rows as
/// index entries. Stops early when `stop` is set (the walk no longer needs it).
pub(crate) fn digest_table(
    path: &Path,
    key: LedgerKey,
    entries_key: Option<u64>,
    stop: &AtomicBool,
) -> Result<TableDigests> {
    let db = |e| classify(path, e);
    let conn = verify_file::open(path)?;
    conn.execute_batch("BEGIN").map_err(db)?;
    let snapshot = snapshot_id(&conn).map_err(db)?;
    let mut out = TableDigests {
        snapshot,
        chunks: ChunkProducts::default(),
        anomaly: None,
        entries: None,
    };
    let mut entries = EntryDigest::default();
    // No ORDER BY: the digests do not depend on the order, and the table's
    // own order costs no sort.
    let mut st = conn
        .prepare("SELECT seq, idx, item_id, delta, reason FROM stock_ledger")
        .map_err(db)?;
    let mut rows = st.query([]).map_err(db)?;
    let mut buf: Vec<u8> = Vec::with_capacity(256);
    let mut n = 0u64;
    while let Some(r) = rows.next().map_err(db)? {
        n += 1;
        // Each column fetched once: on 1.26 million rows, every call into
        // SQLite's column API shows in the profile.
        let (seq, idx, item) = (r.get_ref(0), r.get_ref(1), r.get_ref(2));
        if let (Some(k), Ok(s), Ok(i), Ok(it)) = (entries_key, &seq, &idx, &item) {
            entries.add(k, &[*it, *s, *i]);
        }
        if n & 4095 == 0 && stop.load(Ordering::Relaxed) {
            // Unfinished: should it ever be used, the comparison starts over.
            out.anomaly = Some(0);
            break;
        }
        // Bytes as stored: text that is not UTF-8 matches no event's row, and
        // the row-by-row comparison then names it.
        fn text(v: rusqlite::Result<ValueRef<'_>>) -> Option<&[u8]> {
            match v {
                Ok(ValueRef::Text(t)) => Some(t),
                _ => None,
            }
        }
        let row = match (
            &seq,
            idx,
            text(item),
            text(r.get_ref(3)),
            text(r.get_ref(4)),
        ) {
            (
                Ok(ValueRef::Integer(seq)),
                Ok(ValueRef::Integer(idx)),
                Some(i),
                Some(d),
                Some(re),
            ) if *seq >= 1 && idx >= 0 => delta_of(d).map(|d| (*seq as u64, idx as u64, i, d, re)),
            _ => None,
        };
        let Some((seq, idx, item, delta, reason)) = row else {
            // Stage 2 starts at this row's chunk at the latest (at the start
            // for a seq that is not a positive integer: it sorts first or last).
            let c = match seq {
                Ok(ValueRef::Integer(s)) if s >= 1 => (s as u64 - 1) / CHUNK,
                _ => 0,
            };
            out.anomaly = Some(out.anomaly.map_or(c, |a| a.min(c)));
            continue;
        };
        buf.clear();
        encode_row(&mut buf, seq, idx, item, delta, reason);
        out.chunks.times((seq - 1) / CHUNK, key.factor(&buf));
    }
    if out.anomaly.is_none() && entries_key.is_some() {
        out.entries = Some(entries);
    }
    drop(rows);
    drop(st);
    let _ = conn.execute_batch("COMMIT");
    Ok(out)
}

/// The first chunk where the events and the table may differ, given the
/// events' digests (index = chunk). None: they are the same.
pub(crate) fn first_differing_chunk(events: &[Option<u64>], table: &TableDigests) -> Option<u64> {
    let by_events = events
        .iter()
        .enumerate()
        .find(|(c, d)| **d != table.chunks.get(*c as u64))
        .map(|(c, _)| c as u64);
    let extra = table.chunks.first_from(events.len() as u64);
    [by_events, extra, table.anomaly]
        .into_iter()
        .flatten()
        .min()
}

fn mismatch(seq: Option<u64>, message: String) -> Problem {
    Problem {
        seq,
        kind: ProblemKind::ProjectionMismatch,
        projection: Some("stock_ledger".into()),
        message,
    }
}

/// Stage 2: the row-by-row comparison from `from_seq` on, in the walk's
/// snapshot. Rows before `from_seq` are known to match. The table's rows are
/// sorted by seq for it (it is keyed by item): only when something differs.
pub(crate) fn first_mismatch(
    conn: &Connection,
    path: &Path,
    terminal: &str,
    from_seq: u64,
) -> Result<Option<Problem>> {
    let db = |e| classify(path, e);
    let from = i64::try_from(from_seq).unwrap_or(i64::MAX);
    let mut ev = conn
        .prepare(
            "SELECT seq, kind, payload FROM events WHERE terminal_id = ?1 AND seq >= ?2 ORDER BY seq",
        )
        .map_err(db)?;
    // From the start, rows with a seq below 1 (or not a number) must be seen too.
    let mut ledger = if from_seq <= 1 {
        conn.prepare(
            "SELECT seq, idx, item_id, delta, reason FROM stock_ledger ORDER BY seq, idx, item_id",
        )
    } else {
        conn.prepare(
            "SELECT seq, idx, item_id, delta, reason FROM stock_ledger WHERE seq >= ?1 \
             ORDER BY seq, idx, item_id",
        )
    }
    .map_err(db)?;
    let mut got = if from_seq <= 1 {
        ledger.query([])
    } else {
        ledger.query([from])
    }
    .map_err(db)?;
    let mut events = ev.query(rusqlite::params![terminal, from]).map_err(db)?;
    while let Some(e) = events.next().map_err(db)? {
        let seq = u64::try_from(e.get::<_, i64>(0).map_err(db)?).unwrap_or(0);
        let kind = e
            .get_ref(1)
            .ok()
            .and_then(|v| v.as_str().ok())
            .unwrap_or("");
        let payload = e
            .get_ref(2)
            .ok()
            .and_then(|v| v.as_bytes().ok())
            .unwrap_or(&[]);
        // The walk decoded every payload already; one that fails here has no rows.
        let Ok(fx) = crate::projections::effects_from_payload(kind, payload) else {
            continue;
        };
        for (idx, (item, delta, reason)) in fx.stock.into_iter().enumerate() {
            let Some(g) = got.next().map_err(db)? else {
                return Ok(Some(mismatch(
                    Some(seq),
                    format!("stock_ledger has no row for seq {seq} line {idx} ({item} {delta})"),
                )));
            };
            let show = |i| match g.get_ref(i) {
                Ok(ValueRef::Text(t)) => String::from_utf8_lossy(t).into_owned(),
                Ok(ValueRef::Integer(n)) => n.to_string(),
                Ok(v) => format!("{v:?}"),
                Err(e) => e.to_string(),
            };
            let int = |i| match g.get_ref(i) {
                Ok(ValueRef::Integer(n)) => Some(n),
                _ => None,
            };
            let text = |i| g.get_ref(i).ok().and_then(|v| v.as_str().ok());
            let same = int(0) == i64::try_from(seq).ok()
                && int(1) == i64::try_from(idx).ok()
                && text(2) == Some(item.as_str())
                && text(3).and_then(|t| t.parse::<Decimal>().ok()) == Some(delta)
                && text(4) == Some(reason);
            if !same {
                return Ok(Some(mismatch(
                    Some(seq),
                    format!(
                        "stock_ledger row ({}, {}, {}, {}, {}) but the events give ({seq}, {idx}, {item}, {delta}, {reason})",
                        show(0), show(1), show(2), show(3), show(4)
                    ),
                )));
            }
        }
    }
    if let Some(extra) = got.next().map_err(db)? {
        let seq = match extra.get_ref(0) {
            Ok(ValueRef::Integer(n)) => Some(n),
            _ => None,
        };
        return Ok(Some(mismatch(
            seq.and_then(|s| u64::try_from(s).ok()),
            match seq {
                Some(s) => format!("stock_ledger has a row for seq {s} that no event explains"),
                None => "stock_ledger has a row whose seq is not a number".into(),
            },
        )));
    }
    Ok(None)
}
