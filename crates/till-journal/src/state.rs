//! Operational state kept next to the journal, outside the chain: the basket in
//! progress (survives a crash or power cut) and the users table.

use crate::error::{JournalError, Result};
use crate::journal::Journal;
use rusqlite::OptionalExtension;
use serde::{de::DeserializeOwned, Serialize};

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

    /// Creates or replaces a user's record (stored as JSON).
    pub fn put_user<T: Serialize>(&self, id: &str, user: &T) -> Result<()> {
        self.signing_key("store a user")?;
        let json = serde_json::to_string(user).map_err(|source| JournalError::UserRecord {
            id: id.to_string(),
            source,
        })?;
        self.conn
            .prepare_cached(
                "INSERT INTO users (user_id, record) VALUES (?1, ?2)
                 ON CONFLICT (user_id) DO UPDATE SET record = excluded.record",
            )
            .and_then(|mut s| s.execute([id, &json]))
            .map(|_| ())
            .map_err(|e| self.db(e))
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
    pub fn delete_user(&self, id: &str) -> Result<bool> {
        self.signing_key("delete a user")?;
        self.conn
            .prepare_cached("DELETE FROM users WHERE user_id = ?1")
            .and_then(|mut s| s.execute([id]))
            .map(|n| n > 0)
            .map_err(|e| self.db(e))
    }
}
