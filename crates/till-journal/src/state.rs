//! Operational state kept next to the journal, outside the chain: the basket in
//! progress (survives a crash or power cut) and the users table (each change of
//! which is journaled as a `config_changed` event).

use crate::error::{JournalError, Result};
use crate::journal::Journal;
use chrono::{DateTime, FixedOffset};
use rusqlite::OptionalExtension;
use serde::{de::DeserializeOwned, Serialize};
use till_core::records::{ConfigChanged, Event};

/// A user record for the journal: the PIN hash (argon2, salted) is replaced by
/// its fingerprint (SHA-256, hex; the first 4 bytes only before), so a PIN
/// change shows without the hash being copied into every archive and to head
/// office, and the verifier can tell that the users table holds the very hash
/// journaled (a forged hash would need a SHA-256 preimage).
fn redact_pin_hash(json: &str) -> String {
    let Ok(serde_json::Value::Object(mut map)) = serde_json::from_str::<serde_json::Value>(json)
    else {
        return json.to_string();
    };
    if let Some(serde_json::Value::String(h)) = map.remove("pin_hash") {
        map.insert(
            "pin_fingerprint".into(),
            serde_json::Value::String(crate::verify_state::pin_fingerprint(&h)),
        );
    }
    serde_json::Value::Object(map).to_string()
}

impl Journal {
    /// Stores the basket in progress (serialised by the caller), durably.
    pub fn save_basket(&self, data: &[u8]) -> Result<()> {
        self.signing_key("save the basket")?;
        self.conn
            .prepare_cached(
                "INSERT INTO basket (id, data) VALUES (1, ?1)
                 ON CONFLICT (id) DO UPDATE SET data = excluded.data",
            )
            .and_then(|mut s| s.execute([data]))
            .map(|_| ())
            .map_err(|e| self.db(e))
    }

    /// The basket saved by the last `save_basket`, if any.
    pub fn load_basket(&self) -> Result<Option<Vec<u8>>> {
        self.conn
            .prepare_cached("SELECT data FROM basket WHERE id = 1")
            .and_then(|mut s| s.query_row([], |r| r.get(0)).optional())
            .map_err(|e| self.db(e))
    }

    /// Forgets the basket in progress (use `append_and_clear_basket` for a sale).
    pub fn clear_basket(&self) -> Result<()> {
        self.signing_key("clear the basket")?;
        self.conn
            .prepare_cached("DELETE FROM basket")
            .and_then(|mut s| s.execute([]))
            .map(|_| ())
            .map_err(|e| self.db(e))
    }

    /// Creates or replaces a user's record (stored as JSON). Who may approve
    /// what depends on these records, so every change is journaled in the same
    /// transaction as a `config_changed` event (key `user:ID`, the record with
    /// its PIN hash reduced to a fingerprint), recording who made it.
    pub fn put_user<T: Serialize>(
        &self,
        ts: DateTime<FixedOffset>,
        by: &str,
        id: &str,
        user: &T,
    ) -> Result<()> {
        self.signing_key("store a user")?;
        let json = serde_json::to_string(user).map_err(|source| JournalError::UserRecord {
            id: id.to_string(),
            source,
        })?;
        let tx = self.begin()?;
        let db = |e| self.db(e);
        let old = self.user_json_in(&tx, id)?;
        if old.as_deref() == Some(json.as_str()) {
            return Ok(());
        }
        tx.prepare_cached(
            "INSERT INTO users (user_id, record) VALUES (?1, ?2)
             ON CONFLICT (user_id) DO UPDATE SET record = excluded.record",
        )
        .and_then(|mut s| s.execute([id, &json]))
        .map_err(db)?;
        self.journal_user_change(&tx, ts, by, id, old.as_deref(), Some(&json))?;
        tx.commit().map_err(db)
    }

    fn user_json_in(&self, tx: &rusqlite::Connection, id: &str) -> Result<Option<String>> {
        tx.prepare_cached("SELECT record FROM users WHERE user_id = ?1")
            .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
            .map_err(|e| self.db(e))
    }

    fn journal_user_change(
        &self,
        tx: &rusqlite::Connection,
        ts: DateTime<FixedOffset>,
        by: &str,
        id: &str,
        old: Option<&str>,
        new: Option<&str>,
    ) -> Result<()> {
        let ev = Event::ConfigChanged(ConfigChanged {
            key: format!("user:{id}"),
            old_value: old.map(redact_pin_hash),
            new_value: new.map(redact_pin_hash),
            by: by.to_string(),
        });
        let a = self.append_in(tx, &crate::format_ts(&ts), &ev, false)?;
        self.write_tail(tx, a.seq, &a.hash)
    }

    /// A user's record, if present.
    pub fn get_user<T: DeserializeOwned>(&self, id: &str) -> Result<Option<T>> {
        let json: Option<String> = self
            .conn
            .prepare_cached("SELECT record FROM users WHERE user_id = ?1")
            .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
            .map_err(|e| self.db(e))?;
        json.map(|j| {
            serde_json::from_str(&j).map_err(|source| JournalError::UserRecord {
                id: id.to_string(),
                source,
            })
        })
        .transpose()
    }

    /// Every user, ordered by id.
    pub fn list_users<T: DeserializeOwned>(&self) -> Result<Vec<(String, T)>> {
        let db = |e| self.db(e);
        let mut st = self
            .conn
            .prepare_cached("SELECT user_id, record FROM users ORDER BY user_id")
            .map_err(db)?;
        let rows: Vec<(String, String)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(db)?
            .collect::<rusqlite::Result<_>>()
            .map_err(db)?;
        rows.into_iter()
            .map(|(id, j)| {
                let u = serde_json::from_str(&j).map_err(|source| JournalError::UserRecord {
                    id: id.clone(),
                    source,
                })?;
                Ok((id, u))
            })
            .collect()
    }

    /// Removes a user's record (users are configuration, not journal rows).
    pub fn delete_user(&self, ts: DateTime<FixedOffset>, by: &str, id: &str) -> Result<bool> {
        self.signing_key("delete a user")?;
        let tx = self.begin()?;
        let db = |e| self.db(e);
        let Some(old) = self.user_json_in(&tx, id)? else {
            return Ok(false);
        };
        tx.prepare_cached("DELETE FROM users WHERE user_id = ?1")
            .and_then(|mut s| s.execute([id]))
            .map_err(db)?;
        self.journal_user_change(&tx, ts, by, id, Some(&old), None)?;
        tx.commit().map_err(db)?;
        Ok(true)
    }
}

/// What a wrong PIN did to the user it was typed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinFailures {
    /// Wrong PINs in a row so far.
    pub failures: u32,
    /// The user is locked out (this failure or an earlier one).
    pub locked: bool,
}

/// The lock-out fields of a stored user record (absent: none).
fn lock_of(record: &serde_json::Map<String, serde_json::Value>) -> PinFailures {
    PinFailures {
        failures: record
            .get("failed_pins")
            .and_then(|v| v.as_u64())
            .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)),
        locked: record.get("locked").and_then(|v| v.as_bool()) == Some(true),
    }
}

/// The `by` of lock-out changes: the till's PIN check, not a person.
pub const PIN_CHECK: &str = "pin-check";

impl Journal {
    fn user_map_in(
        &self,
        tx: &rusqlite::Connection,
        id: &str,
    ) -> Result<Option<(String, serde_json::Map<String, serde_json::Value>)>> {
        let Some(json) = self.user_json_in(tx, id)? else {
            return Ok(None);
        };
        match serde_json::from_str(&json) {
            Ok(serde_json::Value::Object(m)) => Ok(Some((json, m))),
            Ok(_) => Err(JournalError::UserRecord {
                id: id.to_string(),
                source: serde::de::Error::custom("not a JSON object"),
            }),
            Err(source) => Err(JournalError::UserRecord {
                id: id.to_string(),
                source,
            }),
        }
    }

    /// Rewrites a user's lock-out fields, journaled like any user change.
    fn set_lock(
        &self,
        ts: DateTime<FixedOffset>,
        id: &str,
        f: impl FnOnce(PinFailures) -> PinFailures,
    ) -> Result<Option<PinFailures>> {
        self.signing_key("record a PIN check")?;
        let tx = self.begin()?;
        let Some((old, mut map)) = self.user_map_in(&tx, id)? else {
            return Ok(None);
        };
        let now = f(lock_of(&map));
        map.remove("failed_pins");
        map.remove("locked");
        if now.failures > 0 {
            map.insert("failed_pins".into(), now.failures.into());
        }
        if now.locked {
            map.insert("locked".into(), true.into());
        }
        let json = serde_json::Value::Object(map).to_string();
        if json != old {
            tx.prepare_cached("UPDATE users SET record = ?2 WHERE user_id = ?1")
                .and_then(|mut s| s.execute([id, &json]))
                .map_err(|e| self.db(e))?;
            self.journal_user_change(&tx, ts, PIN_CHECK, id, Some(&old), Some(&json))?;
            tx.commit().map_err(|e| self.db(e))?;
        }
        Ok(Some(now))
    }

    /// Counts a wrong PIN typed for user `id`; at
    /// [`till_core::auth::MAX_PIN_FAILURES`] in a row the user is locked out.
    /// Both are journaled (`config_changed`, key `user:ID`, by `pin-check`).
    /// The lock is lifted by a manager setting a new PIN ([`Journal::put_user`]
    /// writes a fresh record). None: no such user.
    pub fn record_pin_failure(
        &self,
        ts: DateTime<FixedOffset>,
        id: &str,
    ) -> Result<Option<PinFailures>> {
        self.set_lock(ts, id, |p| {
            let failures = p.failures.saturating_add(1);
            PinFailures {
                failures,
                locked: p.locked || failures >= till_core::auth::MAX_PIN_FAILURES,
            }
        })
    }

    /// A right PIN: the count of wrong ones starts over (journaled only if
    /// there was one). A lock stays: only a new PIN lifts it.
    pub fn clear_pin_failures(&self, ts: DateTime<FixedOffset>, id: &str) -> Result<()> {
        self.set_lock(ts, id, |p| PinFailures {
            failures: if p.locked { p.failures } else { 0 },
            locked: p.locked,
        })
        .map(|_| ())
    }

    /// A user's lock-out state; None: no such user.
    pub fn pin_failures(&self, id: &str) -> Result<Option<PinFailures>> {
        Ok(self.user_map_in(&self.conn, id)?.map(|(_, m)| lock_of(&m)))
    }
}
