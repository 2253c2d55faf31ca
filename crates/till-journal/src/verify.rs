//! The verifier: walks the chain and names the first bad record.
//!
//! Checks, in this order of precedence:
//! 1. the chain, row by row in seq order (the first failing seq wins):
//!    seq 1 is `terminal_initialised` (its public key verifies everything
//!    else, and must equal the expected key if one is given); every row has the
//!    genesis terminal_id; seqs are gap-free (a gap names the record after it);
//!    each row's `prev_hash` is the previous row's `hash`; each row's `hash` is
//!    SHA-256(prev_hash || canonical encoding); each payload decodes as its
//!    kind; each closing carries a valid Ed25519 signature of its hash, and
//!    no other record carries one;
//! 2. the signed tail marker: a valid signature, and the same seq and hash as
//!    the last row (deleting the newest rows, or appending rows without the
//!    key, is detected here); the `tail` table holds that one row only;
//! 3. the state beside the chain (also with `skip_projections`): `meta` holds
//!    exactly `terminal_id`, `shop_id` and `public_key`, each equal to the
//!    genesis record's (all three are derived from it; any other key is
//!    refused, so a future key must be added here); `sync_cursor` is one row,
//!    an integer from 0 to the head. What cannot be checked locally: a
//!    cursor moved back (events are sent again; ingest is idempotent) or
//!    forward but not past the head (those events would not be sent: head
//!    office, which holds the chain head it acknowledged, and `till-sync
//!    status` see it, not this file). The `basket` slot is the sale in
//!    progress, not journaled, and not checked;
//! 4. the projections equal a fresh recomputation from the events: the stock
//!    ledger row by row (the first differing row is named), then stock
//!    levels, day totals, perpetual totals and closings, then `users`: each
//!    user's record is the last one journaled for them (`config_changed`,
//!    key `user:ID`), field by field, its PIN hash matching the journaled
//!    fingerprint (full SHA-256 since this build; records journaled before
//!    kept 4 bytes of it), no user the journal does not create, none it removed;
//! 5. the file itself, on its own connection beside the walk (not with
//!    `skip_projections`): SQLite's `quick_check`, `integrity_check` of each
//!    table but the stock ledger, and the ledger's by-item index compared with
//!    its table (see `verify_state::integrity`). A damaged file is reported
//!    first: whatever else was found may follow from it.
//!
//! Speed: one read transaction, one streaming statement over the events; rows
//! go in batches to worker threads that hash, decode and check signatures
//! (each row stores its own prev_hash, so rows are checked independently),
//! while the reading thread checks the links and seq continuity in order.
//! With projections, the workers also recompute them: sales and stock
//! movements through `till_core::view` (its scanner, serde for what it declines),
//! into sums each worker keeps for the whole walk (see `verify_sums`), and the
//! stock ledger is compared by chunk digests with a second connection reading
//! the table meanwhile (see `ledger_check`). On the 1,000,000-event bench
//! journal this takes about 2.3 times the CPU, and 2 to 2.5 times the wall
//! time, of the chain-only walk (over 5 times the wall time before: serde
//! decoding, and the ledger compared on the reading thread). The file checks
//! of step 5 run on one more thread: on the 204,987-event bench journal they
//! add about 1.0 s of CPU to 1.9 s (2.95 s against 1.93 s, same machine, same
//! journal; `quick_check` is 0.3 s of it, `integrity_check(events)` 0.2 s, the
//! two scans of the ledger's by-item index and table the rest). A full
//! `integrity_check` would add 2.5 s, 2 of them for that index, which it looks
//! up row by row. Where cores are free the thread costs little wall time; on
//! a 2-core machine, about its CPU.

use crate::chain::{self, RecordFields};
use crate::error::{classify, JournalError, Result};
use crate::projections::{self, ProjectionSnapshot};
use crate::schema;
use crate::verify_sums::Sums;
use crate::{ledger_check, verify_state};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};
use std::thread::ScopedJoinHandle;
use till_core::records::Event;

/// What to check beyond the chain itself.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// The terminal's public key (hex) as head office knows it. When given, the
    /// genesis event must carry exactly this key.
    pub expected_public_key: Option<String>,
    /// Chain only: hashes, links, seqs, signatures and tail marker, without
    /// decoding payloads or comparing the projections with a recomputation
    /// (several times faster on a large journal).
    pub skip_projections: bool,
    /// Worker threads for hashing and decoding; 0 = one per CPU (at most 4).
    pub threads: usize,
}

/// What kind of problem was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    EmptyJournal,
    Genesis,
    PublicKeyMismatch,
    WrongTerminal,
    SeqGap,
    MalformedRow,
    BrokenLink,
    HashMismatch,
    UndecodablePayload,
    MissingSignature,
    BadSignature,
    TailMissing,
    TailSignature,
    TailMismatch,
    ProjectionMismatch,
    /// A signature on a record that is not a closing (only closings are signed).
    UnexpectedSignature,
    /// SQLite's integrity check fails: a damaged page, an index that does not
    /// match its table.
    DamagedFile,
    /// `meta` differs from the genesis record, or holds a key the till never writes.
    MetaMismatch,
    /// `sync_cursor` is not one row between 0 and the head.
    CursorMismatch,
}

/// The first bad thing found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The record concerned, when there is one.
    pub seq: Option<u64>,
    pub kind: ProblemKind,
    /// For `projection_mismatch`: which projection table differs.
    pub projection: Option<String>,
    pub message: String,
}

impl Problem {
    fn at(seq: u64, kind: ProblemKind, message: String) -> Problem {
        Problem {
            seq: Some(seq),
            kind,
            projection: None,
            message,
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.seq {
            Some(s) => write!(f, "seq {s}: {}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

/// The verifier's findings (serialisable for `till journal verify --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub ok: bool,
    pub path: String,
    pub terminal_id: Option<String>,
    pub public_key: Option<String>,
    /// Rows read.
    pub events: u64,
    pub head_seq: u64,
    pub head_hash: String,
    pub tail_seq: Option<u64>,
    pub closings_checked: u64,
    pub projections_checked: bool,
    pub first_problem: Option<Problem>,
}

/// One row as read, with as few allocations as possible (the walk is
/// allocation-bound): ts and payload live in the batch's buffer, hashes are
/// arrays, the terminal id is kept only when it differs from the genesis one.
struct RawRow {
    /// None: the genesis terminal.
    terminal_id: Option<String>,
    seq: u64,
    kind: Cow<'static, str>,
    /// Where ts then payload start in [`Batch::buf`].
    start: usize,
    ts_len: usize,
    payload_len: usize,
    /// None when the stored BLOB is not 32 bytes.
    prev_hash: Option<[u8; 32]>,
    hash: Option<[u8; 32]>,
    signature: Option<Vec<u8>>,
}

impl RawRow {
    fn ts<'b>(&self, buf: &'b [u8]) -> &'b str {
        // Validated as UTF-8 when read; ranges were taken when it was written.
        buf.get(self.start..self.start + self.ts_len)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }
    fn payload<'b>(&self, buf: &'b [u8]) -> &'b [u8] {
        let from = self.start + self.ts_len;
        buf.get(from..from + self.payload_len).unwrap_or(&[])
    }
}

/// Rows on their way to a worker; buffers are recycled between batches.
#[derive(Default)]
struct Batch {
    buf: Vec<u8>,
    rows: Vec<RawRow>,
}

/// Reads a row; a column of the wrong type is reported as a malformed record
/// (an attacker can store anything), never as a failure of the verifier.
fn read_raw(
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

/// Hash, decode, signature and projection effects of a batch of rows.
fn check_batch(
    index: usize,
    mut batch: Batch,
    terminal: &str,
    key: Option<&VerifyingKey>,
    want_fx: bool,
    sums: &mut Sums,
    scan: &mut projections::ViewBufs,
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
        if out.problem.is_some() {
            break;
        }
        let seq = r.seq;
        let (Some(prev), Some(stored)) = (r.prev_hash, r.hash) else {
            out.problem = Some(Problem::at(
                seq,
                ProblemKind::MalformedRow,
                "hash or prev_hash is not 32 bytes".into(),
            ));
            break;
        };
        let fields = RecordFields {
            terminal_id: r.terminal_id.as_deref().unwrap_or(terminal),
            seq,
            ts: r.ts(buf),
            kind: &r.kind,
            payload: r.payload(buf),
        };
        match chain::record_hash(&prev, &fields) {
            Ok(h) if h == stored => {}
            Ok(h) => {
                out.problem = Some(Problem::at(
                    seq,
                    ProblemKind::HashMismatch,
                    format!(
                        "stored hash {} but the record hashes to {}: the record was altered",
                        hex::encode(stored),
                        hex::encode(h)
                    ),
                ));
                break;
            }
            Err(e) => {
                out.problem = Some(Problem::at(
                    seq,
                    ProblemKind::MalformedRow,
                    format!("{} longer than 4 GiB", e.0),
                ));
                break;
            }
        }
        // Decoding is also the "payload decodes" check. The chain-only mode
        // (projections skipped) does without it: hashes, links, seqs and
        // signatures do not need the payload's meaning, and decoding is most of
        // the cost on a large journal.
        if want_fx {
            sums.seq = seq;
            out.misaligned |= (seq.wrapping_sub(1) / ledger_check::CHUNK) as usize != index;
            let payload = r.payload(buf);
            let viewed = projections::view_effects(&r.kind, payload, scan, sums);
            let decoded = if let Some(done) = viewed {
                done.map_err(|e| e.to_string())
            } else {
                if r.kind == "config_changed" {
                    sums.user_changes
                        .extend(verify_state::user_change(seq, payload));
                }
                projections::effects_from_payload(&r.kind, payload)
                    .map(|fx| projections::feed(&fx, sums))
                    .map_err(|e| e.to_string())
            };
            if let Err(e) = decoded {
                out.problem = Some(Problem::at(seq, ProblemKind::UndecodablePayload, e));
                break;
            }
        }
        if r.kind != "closing" && r.signature.is_some() {
            out.problem = Some(Problem::at(
                seq,
                ProblemKind::UnexpectedSignature,
                format!(
                    "a {} record carries a signature: only closings are signed",
                    r.kind
                ),
            ));
            break;
        }
        if r.kind == "closing" {
            out.closings += 1;
            let Some(sig) = r.signature.as_deref() else {
                out.problem = Some(Problem::at(
                    seq,
                    ProblemKind::MissingSignature,
                    "closing record is not signed".into(),
                ));
                break;
            };
            let valid = match (key, Signature::from_slice(sig)) {
                (Some(k), Ok(s)) => k.verify(&stored, &s).is_ok(),
                _ => false,
            };
            if !valid {
                out.problem = Some(Problem::at(
                    seq,
                    ProblemKind::BadSignature,
                    "closing signature does not verify with the terminal's public key".into(),
                ));
                break;
            }
        }
    }
    out.ledger = sums.take_ledger_digest();
    batch.buf.clear();
    batch.rows.clear();
    out.spare = batch;
    out
}

fn first_of(a: Option<Problem>, b: Option<Problem>) -> Option<Problem> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.seq < a.seq { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// Verifies the journal at `path`, read-only. `Err` only when the file cannot
/// be read as a journal at all; integrity problems are in the report.
pub fn verify(path: impl AsRef<Path>, opts: VerifyOptions) -> Result<VerifyReport> {
    let path = path.as_ref();
    let db = |e| classify(path, e);
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(db)?;
    let v = schema::version(&conn).map_err(db)?;
    if v > schema::SCHEMA_VERSION {
        return Err(JournalError::NewerSchema {
            found: v,
            supported: schema::SCHEMA_VERSION,
        });
    }
    if v < 1 {
        return Err(JournalError::NotInitialised {
            path: path.to_path_buf(),
            detail: "no journal schema in this file".into(),
        });
    }
    // Memory-mapped reads: no copy of each page through read(2). The till
    // never shrinks the file (no VACUUM), so the mapping stays valid.
    conn.pragma_update(None, "mmap_size", 1i64 << 31)
        .map_err(db)?;
    // One read transaction: the events, the tail and the projections are read
    // from the same snapshot even if the till appends meanwhile.
    conn.execute_batch("BEGIN").map_err(db)?;
    // Starts the snapshot; the ledger thread checks that it reads the same one.
    let snap = ledger_check::snapshot_id(&conn).ok();
    let stop = &AtomicBool::new(false);
    let key = ledger_check::digest_key();
    let r = std::thread::scope(|s| {
        let integrity =
            (!opts.skip_projections).then(|| s.spawn(move || verify_state::integrity(path)));
        let mut ledger = match key {
            Some(k) if !opts.skip_projections => {
                Some(s.spawn(move || ledger_check::digest_table(path, k, stop)))
            }
            _ => None,
        };
        // Fast pass in storage (rowid) order, which is seq order for a journal
        // written by the till. If the chain is wrong, walk again in
        // (terminal_id, seq) order, so the report names records exactly as the
        // chain orders them (a projection mismatch comes from a sound chain,
        // which both orders walk alike).
        let r = match walk(
            &conn,
            path,
            &opts,
            false,
            &mut ledger,
            snap.as_ref(),
            key.unwrap_or(0),
        ) {
            Ok(r)
                if r.ok
                    || r.first_problem.as_ref().is_some_and(|p| {
                        matches!(
                            p.kind,
                            ProblemKind::ProjectionMismatch
                                | ProblemKind::MetaMismatch
                                | ProblemKind::CursorMismatch
                        )
                    }) =>
            {
                Ok(r)
            }
            _ => walk(
                &conn,
                path,
                &opts,
                true,
                &mut ledger,
                snap.as_ref(),
                key.unwrap_or(0),
            ),
        };
        // The ledger thread, if its result was not needed, stops early.
        stop.store(true, Ordering::Relaxed);
        // A damaged file comes first: whatever else was found may follow from it.
        let damaged = match integrity.map(|h| h.join()) {
            None => Ok(None),
            Some(Ok(found)) => found,
            Some(Err(_)) => Ok(Some(Problem {
                seq: None,
                kind: ProblemKind::DamagedFile,
                projection: None,
                message: "the integrity check stopped unexpectedly".into(),
            })),
        };
        match (r, damaged) {
            (Ok(mut r), Ok(Some(p))) => {
                r.ok = false;
                r.first_problem = Some(p);
                Ok(r)
            }
            (Ok(mut r), Err(e)) => {
                r.ok = false;
                r.first_problem = Some(Problem {
                    seq: None,
                    kind: ProblemKind::DamagedFile,
                    projection: None,
                    message: format!("the integrity check could not read the file: {e}"),
                });
                Ok(r)
            }
            (r, _) => r,
        }
    });
    let _ = conn.execute_batch("COMMIT");
    r
}

/// The ledger thread of [`verify`], joined when its digests are needed.
type LedgerThread<'s> = Option<ScopedJoinHandle<'s, Result<ledger_check::TableDigests>>>;

fn walk(
    conn: &Connection,
    path: &Path,
    opts: &VerifyOptions,
    ordered: bool,
    ledger: &mut LedgerThread<'_>,
    snap: Option<&ledger_check::SnapshotId>,
    digest_key: u64,
) -> Result<VerifyReport> {
    let db = |e| classify(path, e);
    let mut report = VerifyReport {
        ok: false,
        path: path.display().to_string(),
        terminal_id: None,
        public_key: None,
        events: 0,
        head_seq: 0,
        head_hash: hex::encode(chain::GENESIS_PREV_HASH),
        tail_seq: None,
        closings_checked: 0,
        projections_checked: false,
        first_problem: None,
    };
    let want_fx = !opts.skip_projections;
    let mut st = conn
        .prepare(if ordered {
            "SELECT terminal_id, seq, ts, kind, payload, prev_hash, hash, signature
             FROM events ORDER BY terminal_id, seq"
        } else {
            "SELECT terminal_id, seq, ts, kind, payload, prev_hash, hash, signature
             FROM events ORDER BY rowid"
        })
        .map_err(db)?;
    let mut rows = st.query([]).map_err(db)?;
    // Genesis first: it names the terminal and the key that verifies the rest.
    let Some(first) = rows.next().map_err(db)? else {
        report.first_problem = Some(Problem {
            seq: None,
            kind: ProblemKind::EmptyJournal,
            projection: None,
            message: "the journal has no records (not even its genesis)".into(),
        });
        return Ok(report);
    };
    let mut batch = Batch::default();
    let mut first = match read_raw(first, None, &mut batch.buf) {
        Ok(r) => r,
        Err(p) => {
            report.first_problem = Some(p);
            return Ok(report);
        }
    };
    let mut problem: Option<Problem> = None;
    let mut key: Option<VerifyingKey> = None;
    // The row's terminal is the journal's; rows of other terminals are flagged.
    let terminal = first.terminal_id.take().unwrap_or_default();
    report.terminal_id = Some(terminal.clone());
    match Event::decode(&first.kind, first.payload(&batch.buf)) {
        Ok(Event::TerminalInitialised(g)) if first.seq == 1 => {
            report.public_key = Some(g.public_key.clone());
            let parsed = hex::decode(&g.public_key)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .and_then(|b| VerifyingKey::from_bytes(&b).ok());
            if g.terminal_id != terminal {
                problem = Some(Problem::at(
                    1,
                    ProblemKind::Genesis,
                    format!(
                        "genesis names terminal {:?} but the row belongs to {:?}",
                        g.terminal_id, terminal
                    ),
                ));
            } else if parsed.is_none() {
                problem = Some(Problem::at(
                    1,
                    ProblemKind::Genesis,
                    "genesis public key is not a valid Ed25519 key".into(),
                ));
            } else if let Some(exp) = &opts.expected_public_key {
                if !exp.trim().eq_ignore_ascii_case(&g.public_key) {
                    problem = Some(Problem::at(
                        1,
                        ProblemKind::PublicKeyMismatch,
                        format!(
                            "genesis public key {} is not the expected key {}",
                            g.public_key,
                            exp.trim()
                        ),
                    ));
                }
            }
            key = parsed;
        }
        Ok(_) | Err(_) => {
            problem = Some(Problem::at(
                first.seq,
                ProblemKind::Genesis,
                format!(
                    "the first record is seq {} of kind {:?}, not seq 1 terminal_initialised",
                    first.seq, first.kind
                ),
            ));
        }
    }

    let threads = match opts.threads {
        0 => std::thread::available_parallelism()
            .map(|n| n.get().min(4))
            .unwrap_or(2),
        n => n,
    };

    // Digests of the stock ledger rows the events give, by batch (= chunk).
    let mut ledger_digests: Vec<Option<u64>> = Vec::new();
    let mut misaligned = false;

    let mut last_seq = 0u64;
    let mut last_hash: [u8; 32] = chain::GENESIS_PREV_HASH;
    let mut events = 0u64;
    let mut closings = 0u64;

    let key_ref = key.as_ref();
    let terminal_ref = terminal.as_str();
    let (job_tx, job_rx) = mpsc::sync_channel::<(usize, Batch)>(threads * 2);
    let job_rx = Mutex::new(job_rx);
    let walk_result: Result<(Option<Problem>, Vec<Sums>)> = std::thread::scope(|s| {
        let (res_tx, res_rx) = mpsc::channel::<BatchResult>();
        let mut workers = Vec::with_capacity(threads);
        for _ in 0..threads {
            let res_tx = res_tx.clone();
            let job_rx = &job_rx;
            workers.push(s.spawn(move || {
                let mut sums = Sums::default();
                sums.digest_key = digest_key;
                let mut scan = Default::default();
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
                        terminal_ref,
                        key_ref,
                        want_fx,
                        &mut sums,
                        &mut scan,
                    );
                    if res_tx.send(r).is_err() {
                        break;
                    }
                }
                sums
            }));
        }
        drop(res_tx);

        let mut pending: BTreeMap<usize, BatchResult> = BTreeMap::new();
        let mut next_result = 0usize;
        let mut worker_problem: Option<Problem> = None;
        // Processes the results that arrived, in batch order.
        let mut absorb = |mut r: BatchResult,
                          pending: &mut BTreeMap<usize, BatchResult>,
                          next_result: &mut usize,
                          pool: &mut Vec<Batch>|
         -> Result<()> {
            pool.push(std::mem::take(&mut r.spare));
            pending.insert(r.index, r);
            while let Some(r) = pending.remove(next_result) {
                *next_result += 1;
                closings += r.closings;
                if worker_problem.is_none() {
                    worker_problem = r.problem;
                }
                ledger_digests.push(r.ledger);
                misaligned |= r.misaligned;
            }
            Ok(())
        };

        let mut pool: Vec<Batch> = Vec::new();
        let mut sent = 0usize;
        let mut row = Some(first);
        loop {
            let r = match row.take() {
                Some(r) => r,
                None => match rows.next().map_err(db)? {
                    Some(r) => match read_raw(r, Some(&terminal), &mut batch.buf) {
                        Ok(r) => r,
                        Err(p) => {
                            problem = first_of(problem, Some(p));
                            break;
                        }
                    },
                    None => break,
                },
            };
            events += 1;
            if problem.is_none() {
                if let Some(other) = &r.terminal_id {
                    problem = Some(Problem::at(
                        r.seq,
                        ProblemKind::WrongTerminal,
                        format!("record of terminal {other:?} in the journal of {terminal:?}"),
                    ));
                } else if r.prev_hash.is_none() || r.hash.is_none() {
                    problem = Some(Problem::at(
                        r.seq,
                        ProblemKind::MalformedRow,
                        "hash or prev_hash is not 32 bytes".into(),
                    ));
                } else if r.seq != last_seq + 1 {
                    problem = Some(Problem::at(
                        r.seq,
                        ProblemKind::SeqGap,
                        if r.seq > last_seq + 1 {
                            format!(
                                "seq {} follows seq {last_seq}: {} missing",
                                r.seq,
                                if r.seq == last_seq + 2 {
                                    format!("seq {} is", last_seq + 1)
                                } else {
                                    format!("seqs {}..={} are", last_seq + 1, r.seq - 1)
                                }
                            )
                        } else {
                            format!("seq {} follows seq {last_seq}", r.seq)
                        },
                    ));
                } else if r.prev_hash != Some(last_hash) {
                    problem = Some(Problem::at(
                        r.seq,
                        ProblemKind::BrokenLink,
                        format!(
                            "prev_hash {} is not the hash of seq {last_seq} ({}): the chain is broken here",
                            hex::encode(r.prev_hash.unwrap_or_default()),
                            hex::encode(last_hash)
                        ),
                    ));
                }
            }
            last_seq = r.seq;
            last_hash = r.hash.unwrap_or_default();
            batch.rows.push(r);
            if batch.rows.len() == BATCH {
                let b = std::mem::replace(&mut batch, pool.pop().unwrap_or_default());
                if job_tx.send((sent, b)).is_err() {
                    break;
                }
                sent += 1;
                while let Ok(r) = res_rx.try_recv() {
                    absorb(r, &mut pending, &mut next_result, &mut pool)?;
                }
            }
        }
        if !batch.rows.is_empty() {
            let _ = job_tx.send((sent, std::mem::take(&mut batch)));
            sent += 1;
        }
        drop(job_tx);
        let stopped = Problem {
            seq: None,
            kind: ProblemKind::MalformedRow,
            projection: None,
            message: "a verification worker stopped unexpectedly".into(),
        };
        while next_result < sent {
            match res_rx.recv() {
                Ok(r) => absorb(r, &mut pending, &mut next_result, &mut pool)?,
                Err(_) => return Ok((Some(stopped), Vec::new())),
            }
        }
        let mut sums = Vec::with_capacity(threads);
        for w in workers {
            match w.join() {
                Ok(x) => sums.push(x),
                Err(_) => return Ok((Some(stopped), Vec::new())),
            }
        }
        Ok((first_of(problem.take(), worker_problem), sums))
    });
    let (chain_problem, mut sums) = walk_result?;
    report.events = events;
    report.head_seq = last_seq;
    report.head_hash = hex::encode(last_hash);
    report.closings_checked = closings;
    if let Some(p) = chain_problem {
        report.first_problem = Some(p);
        return Ok(report);
    }

    // The signed tail marker.
    let tail: Option<(String, i64, Vec<u8>, Vec<u8>)> = {
        let mut st = conn
            .prepare("SELECT terminal_id, seq, hash, signature FROM tail WHERE terminal_id = ?1")
            .map_err(db)?;
        let mut rows = st.query([&terminal]).map_err(db)?;
        match rows.next().map_err(db)? {
            Some(r) => Some((
                r.get(0).map_err(db)?,
                r.get(1).map_err(db)?,
                r.get(2).map_err(db)?,
                r.get(3).map_err(db)?,
            )),
            None => None,
        }
    };
    let Some((t_term, t_seq, t_hash, t_sig)) = tail else {
        report.first_problem = Some(Problem {
            seq: None,
            kind: ProblemKind::TailMissing,
            projection: None,
            message: "the signed tail marker is missing".into(),
        });
        return Ok(report);
    };
    let t_seq = u64::try_from(t_seq).unwrap_or(0);
    report.tail_seq = Some(t_seq);
    let sig_ok = match (
        key.as_ref(),
        chain::hash32(&t_hash),
        Signature::from_slice(&t_sig),
    ) {
        (Some(k), Some(h), Ok(sig)) => chain::tail_message(&t_term, t_seq, &h)
            .map(|m| k.verify(&m, &sig).is_ok())
            .unwrap_or(false),
        _ => false,
    };
    if !sig_ok {
        report.first_problem = Some(Problem {
            seq: Some(t_seq),
            kind: ProblemKind::TailSignature,
            projection: None,
            message: format!("the tail marker (seq {t_seq}) is not signed by the terminal's key"),
        });
        return Ok(report);
    }
    if t_seq > last_seq {
        report.first_problem = Some(Problem::at(
            last_seq + 1,
            ProblemKind::TailMismatch,
            format!(
                "tail marker says seq {t_seq} but the journal ends at {last_seq}: the newest records were deleted"
            ),
        ));
        return Ok(report);
    }
    if t_seq < last_seq {
        report.first_problem = Some(Problem::at(
            t_seq + 1,
            ProblemKind::TailMismatch,
            format!(
                "tail marker says seq {t_seq} but the journal ends at {last_seq}: records after {t_seq} were not written by the till"
            ),
        ));
        return Ok(report);
    }
    if t_hash != last_hash[..] {
        report.first_problem = Some(Problem::at(
            last_seq,
            ProblemKind::TailMismatch,
            "tail marker hash differs from the stored hash of the last record".into(),
        ));
        return Ok(report);
    }

    if let Some(p) = verify_state::check_state(conn, path, &terminal, last_seq)? {
        report.first_problem = Some(p);
        return Ok(report);
    }
    if want_fx {
        report.projections_checked = true;
        // Stage 1 of the ledger check (see ledger_check): the digests, if the
        // ledger thread read this very snapshot; else the row-by-row
        // comparison from the start.
        let digests = ledger
            .take()
            .and_then(|h| h.join().ok())
            .and_then(|r| r.ok())
            .filter(|t| snap.is_some_and(|s| *s == t.snapshot));
        let from_chunk = match digests {
            Some(t) if !misaligned => ledger_check::first_differing_chunk(&ledger_digests, &t),
            _ => Some(0),
        };
        if let Some(c) = from_chunk {
            let from_seq = c.saturating_mul(ledger_check::CHUNK).saturating_add(1);
            if let Some(p) = ledger_check::first_mismatch(conn, path, &terminal, from_seq)? {
                report.first_problem = Some(p);
                return Ok(report);
            }
        }
        let users: Vec<_> = sums
            .iter_mut()
            .flat_map(|s| std::mem::take(&mut s.user_changes))
            .collect();
        let snapshot = Sums::merge(sums);
        let table = ProjectionSnapshot::read(conn, path)?;
        if let Some((name, detail)) = snapshot.first_difference(&table) {
            report.first_problem = Some(Problem {
                seq: None,
                kind: ProblemKind::ProjectionMismatch,
                projection: Some(name.to_string()),
                message: detail,
            });
            return Ok(report);
        }
        if let Some(p) = verify_state::check_users(conn, path, users)? {
            report.first_problem = Some(p);
            return Ok(report);
        }
    }
    report.ok = true;
    Ok(report)
}
