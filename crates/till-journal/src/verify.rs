//! The verifier: walks the chain and names the first bad record.
//!
//! Checks, in this order of precedence, each a function named below:
//! 1. links (`check_genesis`, `verify_chain::check_link`), row by row in
//!    seq order (the first failing seq wins): seq 1 is `terminal_initialised`
//!    (its public key verifies everything else, and must equal the expected
//!    key if one is given); every row has the genesis terminal_id; seqs are
//!    gap-free (a gap names the record after it); each row's `prev_hash` is
//!    the previous row's `hash`;
//! 2. rows (`verify_chain::check_row`, and `recompute` with projections):
//!    each row's `hash` is SHA-256(prev_hash || canonical encoding); each
//!    payload decodes as its kind;
//! 3. signatures (`verify_chain::check_signature`): each closing carries a
//!    valid Ed25519 signature of its hash, and no other record carries one;
//! 4. the signed tail marker (`check_tail`): a valid signature, and the
//!    same seq and hash as the last row (deleting the newest rows, or
//!    appending rows without the key, is detected here); the `tail` table
//!    holds that one row only;
//! 5. the state beside the chain (`verify_state::check_state`, also with
//!    `skip_projections`): `meta` holds exactly `terminal_id`, `shop_id` and
//!    `public_key`, each equal to the genesis record's (all three are derived
//!    from it; any other key is refused, so a future key must be added
//!    here); `sync_cursor` is one row, an integer from 0 to the head. What
//!    cannot be checked locally: a cursor moved back (events are sent again;
//!    ingest is idempotent) or forward but not past the head (those events
//!    would not be sent: head office, which holds the chain head it
//!    acknowledged, and `till-sync status` see it, not this file). The
//!    `basket` slot is the sale in progress, not journaled, and not checked;
//! 6. each projection equals a fresh recomputation from the events: the
//!    stock ledger row by row, the first differing row named
//!    (`Walk::check_ledger`); stock levels, day totals, perpetual totals,
//!    sale links and closings (`check_sums`); then `users`
//!    (`verify_state::check_users`): each user's record is the last one
//!    journaled for them (`config_changed`, key `user:ID`), field by field,
//!    its PIN hash matching the journaled fingerprint (full SHA-256 since
//!    this build; records journaled before kept 4 bytes of it), no user the
//!    journal does not create, none it removed;
//! 7. the file itself (`verify_file`, not with `skip_projections`): what
//!    SQLite's `integrity_check` checks, as `quick_check` of the whole file
//!    on a connection of its own beside the walk, and every index compared
//!    with its table (the stock ledger has none since schema 3: it is keyed
//!    by item; a schema 2 journal, verified as it is, has its by-item index
//!    compared). A damaged file is reported first: whatever else was found
//!    may follow from it.
//!
//! Speed: one read transaction, one streaming statement over the events; rows
//! go in batches to worker threads that hash, decode and check signatures
//! (each row stores its own prev_hash, so rows are checked independently),
//! while the reading thread checks the links and seq continuity in order
//! (see `verify_chain`). With projections, the workers also recompute them:
//! sales and stock movements through `till_core::view` (its scanner, serde
//! for anything it declines), into sums each worker keeps for the whole walk (see
//! `verify_sums`), and the stock ledger is compared by order-free chunk
//! digests with a second connection reading the table meanwhile, in the
//! table's own (item) order (see `ledger_check`). The file check runs on a
//! third connection; it takes the table side of its big index comparison
//! from the walk (the events' primary key; on a schema 2 journal, also the
//! ledger's by-item index from the ledger thread) instead of reading those
//! tables again.
//!
//! Cost, CPU seconds on the 204,987-event bench journal (1.26 million
//! ledger rows; user + system time, on 2 cores shared with other builds at
//! a load of 15-16), `till-bench --only verify --events 200000`, 3 runs
//! alternated with 3 of the build before (schema 2, the ledger keyed by seq
//! with a by-item index): with projections 1.74-1.83 s, before 2.03-2.04 s;
//! the chain-only walk 0.59 s. Callgrind of `examples/verify_once`: 35.64
//! billion instructions, before 37.35 (valgrind has no SHA-NI, so SHA-256
//! runs in software there, 21.5 billion of each; without it 14.1 against
//! 15.8). Where it goes, by `perf record` of that example (2.0 CPU-s in
//! all): the two workers 1.0 s (SHA-256 of every row 0.30 s on SHA-NI, the
//! payload scanner about 0.35 s, sums and ledger row digests the rest); the
//! file check 0.36 s, nearly all `quick_check`; the reading thread 0.34 s
//! (copying rows out of SQLite, the first touch of each page); the ledger
//! thread 0.32 s, mostly SQLite stepping through the rows and rusqlite's
//! column calls. What the file check no longer runs: `integrity_check(events)`,
//! 0.20 s (0.95 s on the 1,000,000-event journal of tests/perf.rs), and, since
//! the ledger has no by-item index, a scan of that index (1.26 million
//! entries, 0.2 s, plus its 6,400 pages in `quick_check`). A full
//! `integrity_check` of a schema 2 journal would cost 2 s more, looking up
//! each ledger row in that index.
//!
//! Why not 300,000 events/s on 2 cores (0.68 s of wall time, at most 1.37
//! CPU-s): every page of the events is read twice (the walk and
//! `quick_check`), and SHA-256 is already at the hardware's speed (SHA-NI:
//! 370 MB of payloads in 0.3 s). Before a single payload is decoded,
//! `quick_check` (0.36), SHA-256 (0.30), the reading thread (0.34) and the
//! ledger scan (0.32) come to about 1.3 CPU-s. Dropping any of them drops
//! a check: the page-level damage of tests/tamper_more.rs, the chain, or an
//! edited ledger row. Where cores are free the side threads cost little
//! wall time; on this shared machine the wall time is 5-7 s whatever the
//! build.

use crate::error::{classify, JournalError, Result};
use crate::ledger_check::{self, LedgerKey, SnapshotId, TableDigests};
use crate::projections::{self, ProjectionSnapshot};
use crate::verify_chain::{self, Batch, RawRow, Setup, Walked};
use crate::verify_file::{self, EntryDigest, TableSide};
use crate::verify_sums::Sums;
use crate::{chain, schema, verify_state};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
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
    pub(crate) fn at(seq: u64, kind: ProblemKind, message: String) -> Problem {
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
    // Starts the snapshot; the other connections check that they read the same one.
    let snap = ledger_check::snapshot_id(&conn).ok();
    let stop = &AtomicBool::new(false);
    let full = !opts.skip_projections;
    let keys = Keys {
        digest: ledger_check::digest_key(),
        entry: verify_file::entry_key(),
    };
    // Before schema 3 the ledger is keyed by seq and has a by-item index,
    // which the file check compares with the rows the ledger thread reads.
    let ledger_index = v < schema::LEDGER_BY_ITEM;
    let r = std::thread::scope(|s| {
        let file =
            full.then(|| s.spawn(move || verify_file::check(path, keys.entry, ledger_index)));
        let mut ledger = LedgerThread {
            handle: match keys.digest {
                Some(k) if full => {
                    let entries = ledger_index.then_some(keys.entry);
                    Some(s.spawn(move || ledger_check::digest_table(path, k, entries, stop)))
                }
                _ => None,
            },
            result: None,
        };
        let mut w = Walk {
            conn: &conn,
            path,
            opts: &opts,
            ledger: &mut ledger,
            snap: snap.as_ref(),
            keys,
        };
        // Fast pass in storage (rowid) order, which is seq order for a journal
        // written by the till. If the chain is wrong, walk again in
        // (terminal_id, seq) order, so the report names records exactly as the
        // chain orders them (a projection mismatch comes from a sound chain,
        // which both orders walk alike).
        let (r, entries) = match w.walk(false) {
            Ok((r, e)) if r.ok || r.first_problem.as_ref().is_some_and(after_the_chain) => {
                (Ok(r), e)
            }
            _ => (w.walk(true).map(|(r, _)| r), None),
        };
        // The ledger thread, if its result was not needed, stops early.
        stop.store(true, Ordering::Relaxed);
        let Some(file) = file else { return r };
        let Ok(mut r) = r else { return r };
        // Step 7. A damaged file comes first: whatever else was found may
        // follow from it.
        let damage = match file.join() {
            Ok(Ok(found)) => {
                let ledger = ledger.result();
                verify_file::compare(
                    found,
                    keys.entry,
                    TableSide {
                        snapshot: snap.clone(),
                        digest: entries,
                    },
                    TableSide {
                        snapshot: ledger.map(|t| t.snapshot.clone()),
                        digest: ledger.and_then(|t| t.entries),
                    },
                    &conn,
                    r.ok,
                )
            }
            Ok(Err(e)) => Some(file_problem(format!(
                "the integrity check could not read the file: {e}"
            ))),
            Err(_) => Some(file_problem(
                "the integrity check stopped unexpectedly".into(),
            )),
        };
        if let Some(p) = damage {
            r.ok = false;
            r.first_problem = Some(p);
        }
        Ok(r)
    });
    let _ = conn.execute_batch("COMMIT");
    r
}

fn failed(mut report: VerifyReport, p: Problem) -> VerifyReport {
    report.first_problem = Some(p);
    report
}

/// A problem found after a sound chain: walking it again in seq order would
/// find the same.
fn after_the_chain(p: &Problem) -> bool {
    matches!(
        p.kind,
        ProblemKind::ProjectionMismatch | ProblemKind::MetaMismatch | ProblemKind::CursorMismatch
    )
}

fn file_problem(message: String) -> Problem {
    Problem {
        seq: None,
        kind: ProblemKind::DamagedFile,
        projection: None,
        message,
    }
}

/// The random keys of this verification's digests.
#[derive(Clone, Copy)]
struct Keys {
    /// The ledger chunk digests; None if the system has no randomness to
    /// give (the ledger is then compared row by row).
    digest: Option<LedgerKey>,
    /// The index entry digests.
    entry: u64,
}

/// The ledger thread of [`verify`], joined when its digests are first needed.
struct LedgerThread<'s> {
    handle: Option<ScopedJoinHandle<'s, Result<TableDigests>>>,
    result: Option<TableDigests>,
}

impl LedgerThread<'_> {
    fn result(&mut self) -> Option<&TableDigests> {
        if let Some(h) = self.handle.take() {
            self.result = h.join().ok().and_then(|r| r.ok());
        }
        self.result.as_ref()
    }
}

/// One walk over the journal, on the verifier's connection and snapshot.
struct Walk<'a, 's> {
    conn: &'a Connection,
    path: &'a Path,
    opts: &'a VerifyOptions,
    ledger: &'a mut LedgerThread<'s>,
    snap: Option<&'a SnapshotId>,
    keys: Keys,
}

impl Walk<'_, '_> {
    /// Checks 1 to 6 in order; the first problem ends the walk. Also gives
    /// the events' index entries, when read in storage order (in seq order
    /// they would be read through the index itself).
    fn walk(&mut self, ordered: bool) -> Result<(VerifyReport, Option<EntryDigest>)> {
        let (conn, path) = (self.conn, self.path);
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
        let failed_early = |report, p| Ok((failed(report, p), None));
        let mut st = conn.prepare(verify_chain::select(ordered)).map_err(db)?;
        let mut rows = st.query([]).map_err(db)?;
        // Genesis first: it names the terminal and the key that verifies the rest.
        let Some(first) = rows.next().map_err(db)? else {
            return failed_early(
                report,
                Problem {
                    seq: None,
                    kind: ProblemKind::EmptyJournal,
                    projection: None,
                    message: "the journal has no records (not even its genesis)".into(),
                },
            );
        };
        let mut batch = Batch::default();
        let mut first = match verify_chain::read_raw(first, None, &mut batch.buf) {
            Ok(r) => r,
            Err(p) => return failed_early(report, p),
        };
        let terminal = first.terminal_id.take().unwrap_or_default();
        report.terminal_id = Some(terminal.clone());
        let genesis = check_genesis(&first, &batch.buf, &terminal, self.opts);
        report.public_key = genesis.public_key;
        let want_fx = !self.opts.skip_projections;
        let setup = Setup {
            terminal: &terminal,
            key: genesis.key.as_ref(),
            want_fx,
            threads: match self.opts.threads {
                0 => std::thread::available_parallelism()
                    .map(|n| n.get().min(4))
                    .unwrap_or(2),
                n => n,
            },
            digest_key: self.keys.digest.unwrap_or_default(),
            entry_key: self.keys.entry,
        };
        let mut walked = verify_chain::walk(&mut rows, first, batch, &setup, path)?;
        report.events = walked.events;
        report.head_seq = walked.last_seq;
        report.head_hash = hex::encode(walked.last_hash);
        report.closings_checked = walked.closings;
        // From here the file check can use what the walk read, problem or not.
        let entries = (!ordered).then_some(walked.index_entries);
        let fail = |report, p| Ok((failed(report, p), entries));
        if let Some(p) = verify_chain::first_of(genesis.problem, walked.problem.take()) {
            return fail(report, p);
        }
        let (tail_seq, tail) = check_tail(conn, path, &terminal, setup.key, &walked)?;
        report.tail_seq = tail_seq;
        if let Some(p) = tail {
            return fail(report, p);
        }
        if let Some(p) = verify_state::check_state(conn, path, &terminal, walked.last_seq)? {
            return fail(report, p);
        }
        if want_fx {
            report.projections_checked = true;
            if let Some(p) = self.check_ledger(&terminal, &walked)? {
                return fail(report, p);
            }
            let mut sums = walked.sums;
            let users: Vec<_> = sums
                .iter_mut()
                .flat_map(|s| std::mem::take(&mut s.user_changes))
                .collect();
            if let Some(p) = check_sums(conn, path, sums)? {
                return fail(report, p);
            }
            if let Some(p) = verify_state::check_users(conn, path, users)? {
                return fail(report, p);
            }
        }
        report.ok = true;
        Ok((report, entries))
    }

    /// Check 6, the stock ledger: stage 1 of `ledger_check` (the chunk
    /// digests, if the ledger thread read this very snapshot), then the
    /// row-by-row comparison from the first chunk that differs (or from the
    /// start, without stage 1).
    fn check_ledger(&mut self, terminal: &str, walked: &Walked) -> Result<Option<Problem>> {
        let snap = self.snap;
        let digests = self
            .ledger
            .result()
            .filter(|t| snap.is_some_and(|s| *s == t.snapshot));
        let from_chunk = match digests {
            Some(t) if !walked.misaligned => {
                ledger_check::first_differing_chunk(&walked.ledger_digests, t)
            }
            _ => Some(0),
        };
        let Some(c) = from_chunk else {
            return Ok(None);
        };
        let from_seq = c.saturating_mul(ledger_check::CHUNK).saturating_add(1);
        ledger_check::first_mismatch(self.conn, self.path, terminal, from_seq)
    }
}

/// What the genesis record gives.
struct Genesis {
    public_key: Option<String>,
    key: Option<VerifyingKey>,
    problem: Option<Problem>,
}

/// Check 1 for the first row: seq 1, `terminal_initialised`, of the row's
/// terminal, with a valid key (the expected one, if given).
fn check_genesis(first: &RawRow, buf: &[u8], terminal: &str, opts: &VerifyOptions) -> Genesis {
    let mut out = Genesis {
        public_key: None,
        key: None,
        problem: None,
    };
    let g = match Event::decode(&first.kind, first.payload(buf)) {
        Ok(Event::TerminalInitialised(g)) if first.seq == 1 => g,
        Ok(_) | Err(_) => {
            out.problem = Some(Problem::at(
                first.seq,
                ProblemKind::Genesis,
                format!(
                    "the first record is seq {} of kind {:?}, not seq 1 terminal_initialised",
                    first.seq, first.kind
                ),
            ));
            return out;
        }
    };
    out.key = hex::decode(&g.public_key)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok());
    out.problem = if g.terminal_id != terminal {
        Some(Problem::at(
            1,
            ProblemKind::Genesis,
            format!(
                "genesis names terminal {:?} but the row belongs to {:?}",
                g.terminal_id, terminal
            ),
        ))
    } else if out.key.is_none() {
        Some(Problem::at(
            1,
            ProblemKind::Genesis,
            "genesis public key is not a valid Ed25519 key".into(),
        ))
    } else {
        match &opts.expected_public_key {
            Some(exp) if !exp.trim().eq_ignore_ascii_case(&g.public_key) => Some(Problem::at(
                1,
                ProblemKind::PublicKeyMismatch,
                format!(
                    "genesis public key {} is not the expected key {}",
                    g.public_key,
                    exp.trim()
                ),
            )),
            _ => None,
        }
    };
    out.public_key = Some(g.public_key);
    out
}

/// Check 4: the tail marker is signed by the terminal's key and names the
/// last row. Gives the marker's seq, if there is one, and the problem.
fn check_tail(
    conn: &Connection,
    path: &Path,
    terminal: &str,
    key: Option<&VerifyingKey>,
    walked: &Walked,
) -> Result<(Option<u64>, Option<Problem>)> {
    let db = |e| classify(path, e);
    let (last_seq, last_hash) = (walked.last_seq, walked.last_hash);
    let tail: Option<(String, i64, Vec<u8>, Vec<u8>)> = {
        let mut st = conn
            .prepare("SELECT terminal_id, seq, hash, signature FROM tail WHERE terminal_id = ?1")
            .map_err(db)?;
        let mut rows = st.query([terminal]).map_err(db)?;
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
        let missing = Problem {
            seq: None,
            kind: ProblemKind::TailMissing,
            projection: None,
            message: "the signed tail marker is missing".into(),
        };
        return Ok((None, Some(missing)));
    };
    let t_seq = u64::try_from(t_seq).unwrap_or(0);
    let sig_ok = match (key, chain::hash32(&t_hash), Signature::from_slice(&t_sig)) {
        (Some(k), Some(h), Ok(sig)) => chain::tail_message(&t_term, t_seq, &h)
            .map(|m| k.verify(&m, &sig).is_ok())
            .unwrap_or(false),
        _ => false,
    };
    let problem = if !sig_ok {
        Some(Problem::at(
            t_seq,
            ProblemKind::TailSignature,
            format!("the tail marker (seq {t_seq}) is not signed by the terminal's key"),
        ))
    } else if t_seq > last_seq {
        Some(Problem::at(
            last_seq + 1,
            ProblemKind::TailMismatch,
            format!(
                "tail marker says seq {t_seq} but the journal ends at {last_seq}: the newest records were deleted"
            ),
        ))
    } else if t_seq < last_seq {
        Some(Problem::at(
            t_seq + 1,
            ProblemKind::TailMismatch,
            format!(
                "tail marker says seq {t_seq} but the journal ends at {last_seq}: records after {t_seq} were not written by the till"
            ),
        ))
    } else if t_hash != last_hash[..] {
        Some(Problem::at(
            last_seq,
            ProblemKind::TailMismatch,
            "tail marker hash differs from the stored hash of the last record".into(),
        ))
    } else {
        None
    };
    Ok((Some(t_seq), problem))
}

/// Check 6, the projections kept as sums: stock levels, day totals,
/// perpetual totals, sale links and closings, each worker's sums merged and
/// compared with the tables (the first differing table is named).
fn check_sums(conn: &Connection, path: &Path, sums: Vec<Sums>) -> Result<Option<Problem>> {
    let events = Sums::merge(sums);
    let table = ProjectionSnapshot::read(conn, path)?;
    Ok(events
        .first_difference(&table)
        .map(|(name, detail)| Problem {
            seq: None,
            kind: ProblemKind::ProjectionMismatch,
            projection: Some(name.to_string()),
            message: detail,
        }))
}

/// The sale view's buffers a worker keeps for the whole walk.
pub(crate) type Scanners = projections::ViewBufs;

/// Check 2's "payload decodes as its kind", and check 6's recomputation for
/// one row: its effects go into the worker's sums. Sales and stock movements
/// through `till_core::view` (its scanner, serde for whatever it declines),
/// serde for everything else.
pub(crate) fn recompute(
    kind: &str,
    seq: u64,
    payload: &[u8],
    sums: &mut Sums,
    scan: &mut Scanners,
) -> std::result::Result<(), String> {
    if let Some(done) = projections::view_effects(kind, payload, scan, sums) {
        return done.map_err(|e| e.to_string());
    }
    if kind == "config_changed" {
        sums.user_changes
            .extend(verify_state::user_change(seq, payload));
    }
    projections::effects_from_payload(kind, payload)
        .map(|fx| projections::feed(&fx, sums))
        .map_err(|e| e.to_string())
}
