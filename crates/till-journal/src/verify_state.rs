//! The verifier's checks of everything in the file besides the chain and the
//! sums: the SQLite file itself, `meta`, `sync_cursor`, `tail` and the
//! `users` projection. See the [`verify`](mod@crate::verify) module doc for what
//! each covers and what it cannot.

use crate::error::{classify, Result};
use crate::verify::{Problem, ProblemKind};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use till_core::records::{ConfigChanged, Event};

/// The meta keys a journal holds, all copied from its genesis record.
pub(crate) const META_KEYS: [&str; 3] = ["public_key", "shop_id", "terminal_id"];

fn problem(kind: ProblemKind, projection: Option<&str>, message: String) -> Problem {
    Problem {
        seq: None,
        kind,
        projection: projection.map(str::to_string),
        message,
    }
}

/// SQLite's own checks, on a read-only connection of their own (so that they
/// run beside the walk), in one snapshot:
/// - `PRAGMA quick_check` over the whole file: every B-tree's pages, cells,
///   free list and page accounting, record formats, NOT NULL and CHECK;
/// - `PRAGMA integrity_check(T)` for every table but `stock_ledger`: the same,
///   plus every index entry against its row (the events' primary key index
///   included: a damaged entry there hides a record from a walk in seq order);
/// - for `stock_ledger`, whose by-item index has five entries per sale and
///   costs `integrity_check` a B-tree look-up each (it alone was 4 times the
///   rest), the index is scanned and compared with the table through a keyed,
///   order-free digest of (item_id, seq, idx) and the row count.
///
/// Together these fail whenever `PRAGMA integrity_check` does on the files the
/// till writes (tests/tamper_more.rs flips bits to check it).
pub(crate) fn integrity(path: &Path) -> Result<Option<Problem>> {
    let db = |e| classify(path, e);
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(db)?;
    conn.pragma_update(None, "mmap_size", 1i64 << 31)
        .map_err(db)?;
    conn.execute_batch("BEGIN").map_err(db)?;
    let damaged = |lines: Vec<String>| {
        Some(problem(
            ProblemKind::DamagedFile,
            None,
            format!(
                "SQLite's integrity check fails, the file is damaged (restore it from a copy; \
                 head office holds every event it acknowledged): {}",
                lines.join("; ")
            ),
        ))
    };
    let pragma = |sql: &str| -> Vec<String> {
        match conn.prepare(sql).and_then(|mut st| {
            st.query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()
        }) {
            Ok(l) => l,
            // SQLite may give up with SQLITE_CORRUPT instead of listing the damage.
            Err(e) => vec![e.to_string()],
        }
    };
    let ok = |l: &[String]| l.len() == 1 && l[0] == "ok";
    let lines = pragma("PRAGMA quick_check(20)");
    if !ok(&lines) {
        return Ok(damaged(lines));
    }
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name <> 'stock_ledger'",
        )
        .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
        .map_err(db)?;
    for t in tables {
        let lines = pragma(&format!(
            "PRAGMA integrity_check(\"{}\")",
            t.replace('"', "\"\"")
        ));
        if !ok(&lines) {
            return Ok(damaged(lines));
        }
    }
    let key = {
        use std::hash::BuildHasher;
        std::collections::hash_map::RandomState::new().hash_one(0u8) | 1
    };
    let by_item = |sql: &str| -> rusqlite::Result<(u64, u64)> {
        let mut st = conn.prepare(sql)?;
        let mut rows = st.query([])?;
        let (mut n, mut sum) = (0u64, 0u64);
        while let Some(r) = rows.next()? {
            let mut h = key;
            let mut mix = |v: u64| h = (h ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
            // Any type: an attacker's row of the wrong type is still counted.
            for i in 0..3 {
                match r.get_ref(i)? {
                    ValueRef::Integer(v) => mix(v as u64),
                    ValueRef::Real(f) => mix(f.to_bits() ^ 0x5EA1),
                    ValueRef::Text(t) | ValueRef::Blob(t) => {
                        mix(0x7E57 ^ t.len() as u64);
                        t.iter().for_each(|b| mix(u64::from(*b)));
                    }
                    ValueRef::Null => mix(0x0000_DEAD),
                }
            }
            n += 1;
            sum = sum.wrapping_add(h);
        }
        Ok((n, sum))
    };
    let has_index: bool = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'stock_ledger_item'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map_err(db)?
        == 1;
    if has_index {
        // `reason` is not in the index: without it SQLite reads the covering
        // index for both sides (NOT INDEXED does not stop it).
        let table = by_item("SELECT item_id, seq, idx, reason FROM stock_ledger ORDER BY seq, idx");
        let index =
            by_item("SELECT item_id, seq, idx FROM stock_ledger INDEXED BY stock_ledger_item");
        match (table, index) {
            (Ok(t), Ok(i)) if t == i => {}
            (Ok(t), Ok(i)) => {
                return Ok(damaged(vec![format!(
                    "index stock_ledger_item does not match its table ({} entries for {} rows, or different ones)",
                    i.0, t.0
                )]))
            }
            (Err(e), _) | (_, Err(e)) => return Ok(damaged(vec![e.to_string()])),
        }
    } else {
        return Ok(damaged(vec!["index stock_ledger_item is missing".into()]));
    }
    let _ = conn.execute_batch("COMMIT");
    Ok(None)
}

/// `meta` holds exactly the genesis record's terminal, shop and public key;
/// `tail` holds one row, this terminal's; `sync_cursor` one row, between 0 and
/// the head.
pub(crate) fn check_state(
    conn: &Connection,
    path: &Path,
    terminal: &str,
    head_seq: u64,
) -> Result<Option<Problem>> {
    let db = |e| classify(path, e);
    let genesis: Option<Vec<u8>> = conn
        .query_row(
            "SELECT payload FROM events WHERE terminal_id = ?1 AND seq = 1",
            [terminal],
            |r| r.get(0),
        )
        .map_err(db)
        .ok();
    let expected: BTreeMap<&str, String> =
        match genesis.and_then(|p| Event::decode("terminal_initialised", &p).ok()) {
            Some(Event::TerminalInitialised(g)) => BTreeMap::from([
                ("public_key", g.public_key),
                ("shop_id", g.shop_id),
                ("terminal_id", g.terminal_id),
            ]),
            _ => BTreeMap::new(),
        };
    let mut st = conn.prepare("SELECT key, value FROM meta").map_err(db)?;
    let mut rows = st.query([]).map_err(db)?;
    let mut seen = 0;
    while let Some(r) = rows.next().map_err(db)? {
        let text = |i| match r.get_ref(i) {
            Ok(ValueRef::Text(t)) => String::from_utf8_lossy(t).into_owned(),
            Ok(v) => format!("{v:?}"),
            Err(e) => e.to_string(),
        };
        let (key, value) = (text(0), text(1));
        match expected.get(key.as_str()) {
            Some(v) if *v == value => seen += 1,
            Some(v) => {
                return Ok(Some(problem(
                    ProblemKind::MetaMismatch,
                    Some("meta"),
                    format!(
                        "meta {key} is {value:?} but the genesis record says {v:?}: the file was edited"
                    ),
                )))
            }
            None => {
                return Ok(Some(problem(
                    ProblemKind::MetaMismatch,
                    Some("meta"),
                    format!("meta holds an unknown key {key:?}: the till never writes it"),
                )))
            }
        }
    }
    if seen != META_KEYS.len() {
        return Ok(Some(problem(
            ProblemKind::MetaMismatch,
            Some("meta"),
            format!(
                "meta lacks some of {}: the file was edited",
                META_KEYS.join(", ")
            ),
        )));
    }
    let tails: i64 = conn
        .query_row("SELECT count(*) FROM tail", [], |r| r.get(0))
        .map_err(db)?;
    if tails != 1 {
        return Ok(Some(problem(
            ProblemKind::TailMismatch,
            Some("tail"),
            format!("the tail table holds {tails} rows, the till writes exactly one"),
        )));
    }
    let cursor: Vec<(i64, Option<i64>)> = conn
        .prepare("SELECT id, CASE WHEN typeof(acked_seq) = 'integer' THEN acked_seq END FROM sync_cursor")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(db)?;
    let acked = match cursor.as_slice() {
        [(1, Some(a))] => *a,
        _ => return Ok(Some(problem(
            ProblemKind::CursorMismatch,
            Some("sync_cursor"),
            "sync_cursor must hold one row (id 1) with an integer acked_seq: the file was edited"
                .into(),
        ))),
    };
    if acked < 0 || u64::try_from(acked).unwrap_or(u64::MAX) > head_seq {
        return Ok(Some(problem(
            ProblemKind::CursorMismatch,
            Some("sync_cursor"),
            format!(
                "the sync cursor says head office acknowledged seq {acked} but the journal ends at \
                 {head_seq}: events would never be sent (the file was edited)"
            ),
        )));
    }
    Ok(None)
}

/// A `config_changed` event's user change: (seq, user id, new record as
/// journaled, `None` once removed).
pub(crate) type UserChange = (u64, String, Option<String>);

/// The user change an event records, if it is one.
pub(crate) fn user_change(seq: u64, payload: &[u8]) -> Option<UserChange> {
    let c: ConfigChanged = serde_json::from_slice(payload).ok()?;
    let id = c.key.strip_prefix("user:")?;
    Some((seq, id.to_string(), c.new_value))
}

/// The fingerprint of a PIN hash kept in the journal: SHA-256 of the hash,
/// hex. Records journaled before this build kept the first 4 bytes only.
pub(crate) fn pin_fingerprint(pin_hash: &str) -> String {
    hex::encode(Sha256::digest(pin_hash.as_bytes()))
}

/// The users table, as the events say it must be: the last record journaled
/// for each id, the PIN hash matching its fingerprint.
pub(crate) fn check_users(
    conn: &Connection,
    path: &Path,
    mut changes: Vec<UserChange>,
) -> Result<Option<Problem>> {
    let db = |e| classify(path, e);
    changes.sort_by_key(|c| c.0);
    let mut expected: BTreeMap<String, (u64, Option<String>)> = BTreeMap::new();
    for (seq, id, rec) in changes {
        expected.insert(id, (seq, rec));
    }
    let mismatch = |msg: String| {
        Ok(Some(problem(
            ProblemKind::ProjectionMismatch,
            Some("users"),
            msg,
        )))
    };
    let mut st = conn
        .prepare("SELECT user_id, record FROM users")
        .map_err(db)?;
    let mut rows = st.query([]).map_err(db)?;
    let mut table: BTreeMap<String, String> = BTreeMap::new();
    while let Some(r) = rows.next().map_err(db)? {
        let text = |i| match r.get_ref(i) {
            Ok(ValueRef::Text(t)) => Some(String::from_utf8_lossy(t).into_owned()),
            _ => None,
        };
        let (Some(id), Some(rec)) = (text(0), text(1)) else {
            return mismatch("a users row is not text: the file was edited".into());
        };
        table.insert(id, rec);
    }
    for (id, (seq, rec)) in &expected {
        let Some(rec) = rec else { continue };
        let Some(stored) = table.get(id) else {
            return mismatch(format!(
                "user {id} is missing from the users table, though seq {seq} records them"
            ));
        };
        if let Err(why) = same_user(stored, rec) {
            return mismatch(format!(
                "user {id} in the users table differs from the record journaled at seq {seq}: {why} \
                 (the users table was edited)"
            ));
        }
    }
    for id in table.keys() {
        if !matches!(expected.get(id), Some((_, Some(_)))) {
            return mismatch(format!(
                "user {id} is in the users table but no journaled change creates them (or they were removed)"
            ));
        }
    }
    Ok(None)
}

/// Whether the stored record is the journaled one: equal field by field, the
/// PIN hash replaced by its fingerprint (a full one, or the 8-digit prefix of
/// older records).
fn same_user(stored: &str, journaled: &str) -> std::result::Result<(), String> {
    use serde_json::Value;
    let Ok(Value::Object(mut s)) = serde_json::from_str::<Value>(stored) else {
        return Err("the stored record is not a JSON object".into());
    };
    let Ok(Value::Object(mut j)) = serde_json::from_str::<Value>(journaled) else {
        return Err("the journaled record is not a JSON object".into());
    };
    let hash = s.remove("pin_hash");
    let print = j.remove("pin_fingerprint");
    match (hash, print) {
        (None, None) => {}
        (Some(Value::String(h)), Some(Value::String(p))) => {
            let full = pin_fingerprint(&h);
            if !(p.len() >= 8 && full.starts_with(&p)) {
                return Err("its PIN hash is not the one journaled".into());
            }
        }
        _ => return Err("its PIN hash is not the one journaled".into()),
    }
    if s != j {
        let fields: Vec<&String> = s
            .keys()
            .chain(j.keys())
            .filter(|k| s.get(*k) != j.get(*k))
            .collect();
        return Err(format!(
            "field {:?} differs",
            fields.first().map(|k| k.as_str()).unwrap_or("?")
        ));
    }
    Ok(())
}
