//! The verifier's walk of the events (checks 1 to 3 of the
//! [`verify`](mod@crate::verify) module doc, and the recomputation behind
//! check 6): one streaming statement; the reading thread checks the links in
//! order ([`check_link`]) and hands rows in batches to worker threads, which
//! check each row ([`check_row`]), recompute its effects and check its
//! signature ([`check_signature`]). Each row stores its own prev_hash, so rows
//! are checked independently; the first failing seq wins.

use crate::chain::{self, RecordFields};
use crate::error::{classify, Result};
use crate::ledger_check;
use crate::verify::{self, Problem, ProblemKind, Scanners};
use crate::verify_file::EntryDigest;
use crate::verify_sums::Sums;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use rusqlite::types::ValueRef;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{mpsc, Mutex};
use till_core::records::Event;

/// The walk's statement: storage (rowid) order, or the chain's order.
pub(crate) fn select(ordered: bool) -> &'static str {
    if ordered {
        "SELECT terminal_id, seq, ts, kind, payload, prev_hash, hash, signature, rowid
         FROM events ORDER BY terminal_id, seq"
    } else {
        "SELECT terminal_id, seq, ts, kind, payload, prev_hash, hash, signature, rowid
         FROM events ORDER BY rowid"
    }
}

/// One row as read, with as few allocations as possible (the walk is
/// allocation-bound): ts and payload live in the batch's buffer, hashes are
/// arrays, the terminal id is kept only when it differs from the genesis one.
pub(crate) struct RawRow {
    /// None: the genesis terminal.
    pub terminal_id: Option<String>,
    pub seq: u64,
    pub kind: Cow<'static, str>,
    /// Where ts then payload start in [`Batch::buf`].
    start: usize,
    ts_len: usize,
    payload_len: usize,
    /// None when the stored BLOB is not 32 bytes.
    prev_hash: Option<[u8; 32]>,
    hash: Option<[u8; 32]>,
    signature: Option<Vec<u8>>,
    rowid: i64,
}

impl RawRow {
    fn ts<'b>(&self, buf: &'b [u8]) -> &'b str {
        // Validated as UTF-8 when read; ranges were taken when it was written.
        buf.get(self.start..self.start + self.ts_len)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }
    pub fn payload<'b>(&self, buf: &'b [u8]) -> &'b [u8] {
        let from = self.start + self.ts_len;
        buf.get(from..from + self.payload_len).unwrap_or(&[])
    }
}

/// Rows on their way to a worker; buffers are recycled between batches.
#[derive(Default)]
pub(crate) struct Batch {
    pub buf: Vec<u8>,
    rows: Vec<RawRow>,
}

/// Reads a row; a column of the wrong type is reported as a malformed record
/// (an attacker can store anything), never as a failure of the verifier.
pub(crate) fn read_raw(
    r: &rusqlite::Row<'_>,
    terminal: Option<&str>,
    buf: &mut Vec<u8>,
) -> std::result::Result<RawRow, Problem> {
    let malformed = |seq: Option<u64>, message: String| Problem {
        seq,
        kind: ProblemKind::MalformedRow,
        projection: None,
        message,
    };
    let seq: i64 = r
        .get(1)
        .map_err(|e| malformed(None, format!("a record's seq is not an integer: {e}")))?;
    let seq = u64::try_from(seq).map_err(|_| malformed(None, format!("seq {seq} is negative")))?;
    let text = |i: usize, what: &str| {
        r.get_ref(i)
            .ok()
            .and_then(|v| v.as_str().ok())
            .ok_or_else(|| malformed(Some(seq), format!("{what} is not text")))
    };
    let bytes = |i: usize, what: &str| {
        r.get_ref(i)
            .ok()
            .and_then(|v| v.as_bytes().ok())
            .ok_or_else(|| malformed(Some(seq), format!("{what} is not a BLOB")))
    };
    let t = text(0, "terminal_id")?;
    let terminal_id = match terminal {
        Some(g) if g == t => None,
        _ => Some(t.to_string()),
    };
    let ts = text(2, "ts")?;
    let kind = text(3, "kind")?;
    let payload = bytes(4, "payload")?;
    let start = buf.len();
    buf.extend_from_slice(ts.as_bytes());
    buf.extend_from_slice(payload);
    let signature = match r.get_ref(7) {
        Ok(ValueRef::Null) | Err(_) => None,
        Ok(v) => v.as_bytes().ok().map(<[u8]>::to_vec),
    };
    Ok(RawRow {
        terminal_id,
        seq,
        kind: match Event::KINDS.iter().find(|k| **k == kind) {
            Some(k) => Cow::Borrowed(*k),
            None => Cow::Owned(kind.to_string()),
        },
        start,
        ts_len: ts.len(),
        payload_len: payload.len(),
        prev_hash: chain::hash32(bytes(5, "prev_hash")?),
        hash: chain::hash32(bytes(6, "hash")?),
        signature,
        rowid: r.get(8).unwrap_or(0),
    })
}

/// Check 1, on the reading thread: the row belongs to the journal's terminal,
/// follows the previous seq without a gap, and links to its hash.
pub(crate) fn check_link(
    r: &RawRow,
    terminal: &str,
    last_seq: u64,
    last_hash: &[u8; 32],
) -> Option<Problem> {
    let problem = |kind, message| Some(Problem::at(r.seq, kind, message));
    if let Some(other) = &r.terminal_id {
        return problem(
            ProblemKind::WrongTerminal,
            format!("record of terminal {other:?} in the journal of {terminal:?}"),
        );
    }
    let Some(prev) = r.prev_hash.filter(|_| r.hash.is_some()) else {
        return problem(
            ProblemKind::MalformedRow,
            "hash or prev_hash is not 32 bytes".into(),
        );
    };
    if r.seq != last_seq + 1 {
        let missing = if r.seq == last_seq + 2 {
            format!("seq {} is", last_seq + 1)
        } else {
            format!("seqs {}..={} are", last_seq + 1, r.seq.saturating_sub(1))
        };
        return problem(
            ProblemKind::SeqGap,
            if r.seq > last_seq + 1 {
                format!("seq {} follows seq {last_seq}: {missing} missing", r.seq)
            } else {
                format!("seq {} follows seq {last_seq}", r.seq)
            },
        );
    }
    if prev != *last_hash {
        return problem(
            ProblemKind::BrokenLink,
            format!(
                "prev_hash {} is not the hash of seq {last_seq} ({}): the chain is broken here",
                hex::encode(prev),
                hex::encode(last_hash)
            ),
        );
    }
    None
}

/// Check 2, on a worker: the stored hash is SHA-256(prev_hash || canonical
/// encoding) of the row as stored.
pub(crate) fn check_row(r: &RawRow, buf: &[u8], terminal: &str) -> Option<Problem> {
    let (Some(prev), Some(stored)) = (r.prev_hash, r.hash) else {
        return Some(Problem::at(
            r.seq,
            ProblemKind::MalformedRow,
            "hash or prev_hash is not 32 bytes".into(),
        ));
    };
    let fields = RecordFields {
        terminal_id: r.terminal_id.as_deref().unwrap_or(terminal),
        seq: r.seq,
        ts: r.ts(buf),
        kind: &r.kind,
        payload: r.payload(buf),
    };
    match chain::record_hash(&prev, &fields) {
        Ok(h) if h == stored => None,
        Ok(h) => Some(Problem::at(
            r.seq,
            ProblemKind::HashMismatch,
            format!(
                "stored hash {} but the record hashes to {}: the record was altered",
                hex::encode(stored),
                hex::encode(h)
            ),
        )),
        Err(e) => Some(Problem::at(
            r.seq,
            ProblemKind::MalformedRow,
            format!("{} longer than 4 GiB", e.0),
        )),
    }
}

/// Check 3, on a worker: a closing carries a valid Ed25519 signature of its
/// hash, no other record carries one.
pub(crate) fn check_signature(r: &RawRow, key: Option<&VerifyingKey>) -> Option<Problem> {
    if r.kind != "closing" {
        return r.signature.as_ref().map(|_| {
            Problem::at(
                r.seq,
                ProblemKind::UnexpectedSignature,
                format!(
                    "a {} record carries a signature: only closings are signed",
                    r.kind
                ),
            )
        });
    }
    let Some(sig) = r.signature.as_deref() else {
        return Some(Problem::at(
            r.seq,
            ProblemKind::MissingSignature,
            "closing record is not signed".into(),
        ));
    };
    let valid = match (key, r.hash, Signature::from_slice(sig)) {
        (Some(k), Some(h), Ok(s)) => k.verify(&h, &s).is_ok(),
        _ => false,
    };
    (!valid).then(|| {
        Problem::at(
            r.seq,
            ProblemKind::BadSignature,
            "closing signature does not verify with the terminal's public key".into(),
        )
    })
}

struct BatchResult {
    index: usize,
    /// The batch's emptied buffers, for reuse.
    spare: Batch,
    problem: Option<Problem>,
    /// The digest of the stock ledger rows the batch's events give.
    ledger: Option<u64>,
    /// A seq outside the batch's chunk: the chunk digests do not apply (the
    /// chain is broken anyway, and that is what gets reported).
    misaligned: bool,
    closings: u64,
}

/// Rows per batch; also the ledger check's chunk, so that chunk i is batch i.
const BATCH: usize = ledger_check::CHUNK as usize;

/// What a worker keeps for the whole walk.
#[derive(Default)]
struct Worker {
    sums: Sums,
    scan: Scanners,
}

/// Checks 2 and 3 of a batch of rows, and, with projections, the payloads
/// decoded and their effects added to the worker's sums (the chain-only mode
/// does without: hashes, links, seqs and signatures do not need the
/// payload's meaning, and decoding is most of the cost).
fn check_batch(
    index: usize,
    mut batch: Batch,
    terminal: &str,
    key: Option<&VerifyingKey>,
    want_fx: bool,
    w: &mut Worker,
) -> BatchResult {
    let mut out = BatchResult {
        index,
        problem: None,
        ledger: None,
        misaligned: false,
        closings: 0,
        spare: Batch::default(),
    };
    let buf = &batch.buf;
    for r in &batch.rows {
        out.problem = check_row(r, buf, terminal)
            .or_else(|| {
                if !want_fx {
                    return None;
                }
                w.sums.seq = r.seq;
                out.misaligned |= (r.seq.wrapping_sub(1) / ledger_check::CHUNK) as usize != index;
                verify::recompute(&r.kind, r.seq, r.payload(buf), &mut w.sums, &mut w.scan)
                    .err()
                    .map(|e| Problem::at(r.seq, ProblemKind::UndecodablePayload, e))
            })
            .or_else(|| {
                out.closings += u64::from(r.kind == "closing");
                check_signature(r, key)
            });
        if out.problem.is_some() {
            break;
        }
    }
    out.ledger = w.sums.take_ledger_digest();
    batch.buf.clear();
    batch.rows.clear();
    out.spare = batch;
    out
}

pub(crate) fn first_of(a: Option<Problem>, b: Option<Problem>) -> Option<Problem> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.seq < a.seq { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// What the walk of the events found.
pub(crate) struct Walked {
    /// The first problem of checks 1 to 3 (and of decoding).
    pub problem: Option<Problem>,
    pub events: u64,
    pub last_seq: u64,
    pub last_hash: [u8; 32],
    pub closings: u64,
    /// Each worker's sums (with projections).
    pub sums: Vec<Sums>,
    /// Digests of the stock ledger rows the events give, by batch (= chunk).
    pub ledger_digests: Vec<Option<u64>>,
    pub misaligned: bool,
    /// Every row's (terminal_id, seq, rowid), as its primary key index
    /// should hold them (see `verify_file`).
    pub index_entries: EntryDigest,
}

/// What the walk needs to know.
pub(crate) struct Setup<'a> {
    pub terminal: &'a str,
    pub key: Option<&'a VerifyingKey>,
    pub want_fx: bool,
    pub threads: usize,
    pub digest_key: crate::ledger_check::LedgerKey,
    pub entry_key: u64,
}

/// Walks the rows after `first` (already read into `batch`'s buffer).
pub(crate) fn walk(
    rows: &mut rusqlite::Rows<'_>,
    first: RawRow,
    mut batch: Batch,
    setup: &Setup<'_>,
    path: &Path,
) -> Result<Walked> {
    let db = |e| classify(path, e);
    let threads = setup.threads;
    let mut out = Walked {
        problem: None,
        events: 0,
        last_seq: 0,
        last_hash: chain::GENESIS_PREV_HASH,
        closings: 0,
        sums: Vec::new(),
        ledger_digests: Vec::new(),
        misaligned: false,
        index_entries: EntryDigest::default(),
    };
    let (job_tx, job_rx) = mpsc::sync_channel::<(usize, Batch)>(threads * 2);
    let job_rx = Mutex::new(job_rx);
    let stopped = || Problem {
        seq: None,
        kind: ProblemKind::MalformedRow,
        projection: None,
        message: "a verification worker stopped unexpectedly".into(),
    };
    std::thread::scope(|s| {
        let (res_tx, res_rx) = mpsc::channel::<BatchResult>();
        let mut workers = Vec::with_capacity(threads);
        for _ in 0..threads {
            let res_tx = res_tx.clone();
            let job_rx = &job_rx;
            workers.push(s.spawn(move || {
                let mut w = Worker::default();
                w.sums.digest_key = setup.digest_key;
                loop {
                    // A poisoned lock means another worker panicked; stop quietly, the
                    // missing result is reported by the reader.
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => break,
                    };
                    let Ok((index, batch)) = job else { break };
                    let r = check_batch(
                        index,
                        batch,
                        setup.terminal,
                        setup.key,
                        setup.want_fx,
                        &mut w,
                    );
                    if res_tx.send(r).is_err() {
                        break;
                    }
                }
                w.sums
            }));
        }
        drop(res_tx);

        // Results arrive in any order; they are taken in batch order.
        let mut pending: BTreeMap<usize, BatchResult> = BTreeMap::new();
        let mut worker_problem: Option<Problem> = None;
        let mut pool: Vec<Batch> = Vec::new();
        let mut absorb = |r: BatchResult, out: &mut Walked, pool: &mut Vec<Batch>| {
            let mut r = r;
            pool.push(std::mem::take(&mut r.spare));
            pending.insert(r.index, r);
            while let Some(r) = pending.remove(&out.ledger_digests.len()) {
                out.closings += r.closings;
                worker_problem = worker_problem.take().or(r.problem);
                out.ledger_digests.push(r.ledger);
                out.misaligned |= r.misaligned;
            }
        };

        let mut sent = 0usize;
        let mut row = Some(first);
        loop {
            let r = match row.take() {
                Some(r) => r,
                None => match rows.next().map_err(db)? {
                    Some(r) => match read_raw(r, Some(setup.terminal), &mut batch.buf) {
                        Ok(r) => r,
                        Err(p) => {
                            out.problem = first_of(out.problem.take(), Some(p));
                            break;
                        }
                    },
                    None => break,
                },
            };
            out.events += 1;
            if out.problem.is_none() {
                out.problem = check_link(&r, setup.terminal, out.last_seq, &out.last_hash);
            }
            let t = r.terminal_id.as_deref().unwrap_or(setup.terminal);
            out.index_entries.add(
                setup.entry_key,
                &[
                    ValueRef::Text(t.as_bytes()),
                    ValueRef::Integer(r.seq as i64),
                    ValueRef::Integer(r.rowid),
                ],
            );
            out.last_seq = r.seq;
            out.last_hash = r.hash.unwrap_or_default();
            batch.rows.push(r);
            if batch.rows.len() == BATCH {
                let b = std::mem::replace(&mut batch, pool.pop().unwrap_or_default());
                if job_tx.send((sent, b)).is_err() {
                    break;
                }
                sent += 1;
                while let Ok(r) = res_rx.try_recv() {
                    absorb(r, &mut out, &mut pool);
                }
            }
        }
        if !batch.rows.is_empty() {
            let _ = job_tx.send((sent, std::mem::take(&mut batch)));
            sent += 1;
        }
        drop(job_tx);
        while out.ledger_digests.len() < sent {
            match res_rx.recv() {
                Ok(r) => absorb(r, &mut out, &mut pool),
                Err(_) => {
                    out.problem = Some(stopped());
                    return Ok(out);
                }
            }
        }
        for w in workers {
            match w.join() {
                Ok(x) => out.sums.push(x),
                Err(_) => {
                    out.problem = Some(stopped());
                    return Ok(out);
                }
            }
        }
        out.problem = first_of(out.problem.take(), worker_problem);
        Ok(out)
    })
}
