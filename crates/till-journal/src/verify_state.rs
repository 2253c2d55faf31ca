//! The verifier's checks of the state beside the chain and the sums: `meta`,
//! `sync_cursor`, `tail` (step 5) and the `users` projection (step 6). See the [`verify`](mod@crate::verify) module doc for what
//! each covers and what it cannot.

use crate::error::{classify, Result};
use crate::verify::{Problem, ProblemKind};
use rusqlite::types::ValueRef;
use rusqlite::Connection;
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
