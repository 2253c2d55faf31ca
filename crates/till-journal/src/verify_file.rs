//! The verifier's check of the SQLite file itself (step 6 of the
//! [`verify`](mod@crate::verify) module doc): what `PRAGMA integrity_check`
//! checks, for a third of its cost.
//!
//! `integrity_check` is `quick_check` (every B-tree's pages, cells, free
//! list and page accounting, record formats, NOT NULL and CHECK) plus, for
//! every index, each row's entry looked up in the index and the entries
//! counted. The look-ups are what cost: on the bench journal of schema 2,
//! five per sale in the stock ledger's by-item index alone (four times the
//! rest; since schema 3 the ledger is itself keyed by item, without an
//! index). So:
//! - `PRAGMA quick_check` runs over the whole file, on a connection of its
//!   own beside the walk ([`check`]);
//! - the big indexes (the events' key; the ledger's by-item index of a
//!   schema 2 journal) are compared with their tables through an
//!   order-free digest of their entries ([`EntryDigest`]): the index is
//!   scanned here, and the table side is taken from a scan that already
//!   reads it (the events by the walk, the stock ledger by the ledger
//!   thread), provided it read the same snapshot ([`compare`]);
//! - a table with any other index gets `PRAGMA integrity_check(T)` (today
//!   `users`, a few rows), so an index added later, by a new schema or by
//!   hand, is checked without a change here.
//!
//! Together these fail whenever `integrity_check` does on the files the till
//! writes (tests/tamper_more.rs flips bits to check it).

use crate::error::{classify, Result};
use crate::ledger_check::{self, SnapshotId};
use crate::verify::{Problem, ProblemKind};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;

/// An index compared through digests.
#[derive(Clone, Copy)]
struct Index {
    name: &'static str,
    table: &'static str,
    /// The columns of an entry: the indexed ones, then the table's key.
    entry: &'static str,
    /// The table side, for the fallback scan: the entry's columns, then one
    /// the index lacks (else SQLite reads the covering index instead, even
    /// with NOT INDEXED, for a WITHOUT ROWID table).
    rows: &'static str,
}

const EVENTS_INDEX: Index = Index {
    name: "sqlite_autoindex_events_1",
    table: "events",
    entry: "terminal_id, seq, rowid",
    rows: "SELECT terminal_id, seq, rowid, kind FROM events NOT INDEXED",
};
const LEDGER_INDEX: Index = Index {
    name: "stock_ledger_item",
    table: "stock_ledger",
    entry: "item_id, seq, idx",
    rows: "SELECT item_id, seq, idx, reason FROM stock_ledger NOT INDEXED",
};

/// The multiset of an index's entries (or of the entries its table's rows
/// call for), as a count and a wrapping sum of keyed hashes: order-free, so
/// each side is read in whatever order is cheapest. A changed, missing or
/// extra entry changes the sum but with a chance of about 2^-64; the key is
/// drawn for each verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct EntryDigest {
    count: u64,
    sum: u64,
}

impl EntryDigest {
    /// Adds one entry. Any value type is taken: an attacker's row of the
    /// wrong type is still counted, and differs from a right one.
    pub fn add(&mut self, key: u64, cols: &[ValueRef<'_>]) {
        let mut h = key;
        let mut mix = |v: u64| h = (h ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
        for c in cols {
            match *c {
                ValueRef::Integer(v) => mix(v as u64),
                ValueRef::Real(f) => mix(f.to_bits() ^ 0x5EA1),
                ValueRef::Text(t) | ValueRef::Blob(t) => {
                    mix(0x7E57 ^ t.len() as u64);
                    for w in t.chunks(8) {
                        let mut b = [0u8; 8];
                        b[..w.len()].copy_from_slice(w);
                        mix(u64::from_le_bytes(b));
                    }
                }
                ValueRef::Null => mix(0x0000_DEAD),
            }
        }
        self.count += 1;
        self.sum = self.sum.wrapping_add(h);
    }
}

/// A key for [`EntryDigest`], from the standard library's random hasher keys.
pub(crate) fn entry_key() -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(0u8) | 1
}

/// The table side of an index comparison, as another scan read it.
pub(crate) struct TableSide {
    pub snapshot: Option<SnapshotId>,
    /// None: that scan did not read every row (it stopped on a problem).
    pub digest: Option<EntryDigest>,
}

/// What [`check`] found, and the index digests [`compare`] needs.
pub(crate) struct FileCheck {
    pub damage: Option<Problem>,
    snapshot: Option<SnapshotId>,
    events_index: Option<EntryDigest>,
    /// With the by-item index of a schema 2 journal: its digest.
    ledger_index: Option<EntryDigest>,
    /// Whether the stock ledger's by-item index is compared (schema 2).
    with_ledger_index: bool,
}

fn damaged(lines: Vec<String>) -> Problem {
    Problem {
        seq: None,
        kind: ProblemKind::DamagedFile,
        projection: None,
        message: format!(
            "SQLite's integrity check fails, the file is damaged (restore it from a copy; \
             head office holds every event it acknowledged): {}",
            lines.join("; ")
        ),
    }
}

/// A read-only connection for the verifier's side threads, the file mapped
/// (the walk's big sequential reads are then page-cache hits, not copies).
pub(crate) fn open(path: &Path) -> Result<Connection> {
    let db = |e| classify(path, e);
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(db)?;
    conn.pragma_update(None, "mmap_size", 1i64 << 31)
        .map_err(db)?;
    Ok(conn)
}

/// A pragma's lines; SQLite may give up with SQLITE_CORRUPT instead of
/// listing the damage, which is then the one line.
fn pragma(conn: &Connection, sql: &str) -> Vec<String> {
    match conn.prepare(sql).and_then(|mut st| {
        st.query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()
    }) {
        Ok(l) => l,
        Err(e) => vec![e.to_string()],
    }
}

fn is_ok(lines: &[String]) -> bool {
    lines.len() == 1 && lines[0] == "ok"
}

/// The digest of the first three columns of every row `sql` gives.
fn digest_rows(conn: &Connection, key: u64, sql: &str) -> Result<EntryDigest, String> {
    let scan = || -> rusqlite::Result<EntryDigest> {
        let mut st = conn.prepare(sql)?;
        let mut rows = st.query([])?;
        let mut d = EntryDigest::default();
        while let Some(r) = rows.next()? {
            d.add(key, &[r.get_ref(0)?, r.get_ref(1)?, r.get_ref(2)?]);
        }
        Ok(d)
    };
    scan().map_err(|e| e.to_string())
}

/// Scans an index (covering: no table look-up) into a digest.
fn digest_index(conn: &Connection, key: u64, index: Index) -> Result<EntryDigest, String> {
    let found: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = ?1 AND tbl_name = ?2",
            [index.name, index.table],
            |r| r.get(0),
        )
        .map_err(|e| e.to_string())?;
    if found != 1 {
        return Err(format!("index {} is missing", index.name));
    }
    let sql = format!(
        "SELECT {} FROM {} INDEXED BY {}",
        index.entry, index.table, index.name
    );
    digest_rows(conn, key, &sql)
}

/// SQLite's structural check of the whole file, `integrity_check` of the
/// small indexed tables, and the digests of the big indexes (the events' key;
/// with `ledger_index`, a schema 2 journal, the stock ledger's by-item
/// index); on a read-only connection of its own, in one snapshot.
pub(crate) fn check(path: &Path, key: u64, ledger_index: bool) -> Result<FileCheck> {
    let db = |e| classify(path, e);
    let conn = open(path)?;
    conn.execute_batch("BEGIN").map_err(db)?;
    let mut out = FileCheck {
        damage: None,
        snapshot: ledger_check::snapshot_id(&conn).ok(),
        events_index: None,
        ledger_index: None,
        with_ledger_index: ledger_index,
    };
    let lines = pragma(&conn, "PRAGMA quick_check(20)");
    if !is_ok(&lines) {
        out.damage = Some(damaged(lines));
        return Ok(out);
    }
    // Since schema 3 any index on the ledger is one the till never made: it
    // is checked with the rest.
    let digested = if ledger_index { LEDGER_INDEX.name } else { "" };
    let others: Vec<String> = conn
        .prepare(
            "SELECT DISTINCT tbl_name FROM sqlite_schema WHERE type = 'index' \
             AND name NOT IN (?1, ?2)",
        )
        .and_then(|mut st| {
            st.query_map([EVENTS_INDEX.name, digested], |r| r.get(0))?
                .collect()
        })
        .map_err(db)?;
    for t in others {
        let lines = pragma(
            &conn,
            &format!("PRAGMA integrity_check(\"{}\")", t.replace('"', "\"\"")),
        );
        if !is_ok(&lines) {
            out.damage = Some(damaged(lines));
            return Ok(out);
        }
    }
    match digest_index(&conn, key, EVENTS_INDEX) {
        Ok(e) => out.events_index = Some(e),
        Err(e) => out.damage = Some(damaged(vec![e])),
    }
    if ledger_index && out.damage.is_none() {
        match digest_index(&conn, key, LEDGER_INDEX) {
            Ok(l) => out.ledger_index = Some(l),
            Err(e) => out.damage = Some(damaged(vec![e])),
        }
    }
    let _ = conn.execute_batch("COMMIT");
    Ok(out)
}

/// The file check's verdict, given the table sides that the walk (events)
/// and the ledger thread read. A table side read in another snapshot (the
/// till appended meanwhile) or not in full is scanned again here, on `conn`,
/// with its index, in `conn`'s snapshot: only when `rescan` (the walk found
/// nothing else; otherwise the verdict is "not intact" anyway).
pub(crate) fn compare(
    found: FileCheck,
    key: u64,
    events: TableSide,
    ledger: TableSide,
    conn: &Connection,
    rescan: bool,
) -> Option<Problem> {
    if found.damage.is_some() {
        return found.damage;
    }
    let ledger = found
        .with_ledger_index
        .then_some((LEDGER_INDEX, ledger, found.ledger_index));
    for (index, side, idx) in [(EVENTS_INDEX, events, found.events_index)]
        .into_iter()
        .chain(ledger)
    {
        let same = found.snapshot.is_some() && side.snapshot == found.snapshot;
        let (table, idx) = match (side.digest, idx) {
            (Some(t), Some(i)) if same => (Ok(t), Ok(i)),
            _ if rescan => (
                digest_rows(conn, key, index.rows),
                digest_index(conn, key, index),
            ),
            _ => continue,
        };
        match (table, idx) {
            (Ok(t), Ok(i)) if t == i => {}
            (Ok(t), Ok(i)) => {
                return Some(damaged(vec![format!(
                    "index {} does not match its table ({} entries for {} rows, or different ones)",
                    index.name, i.count, t.count
                )]))
            }
            (Err(e), _) | (_, Err(e)) => return Some(damaged(vec![e])),
        }
    }
    None
}
