//! [`ArchiveStore`] over SQLite.

use super::{event_from_row, SqliteStore};
use crate::store::archive::ArchiveStore;
use crate::store::{to_i64, to_u64, Result};
use rusqlite::{params, OptionalExtension};
use till_journal::StoredEvent;

const COLS: &str = "seq, ts, kind, payload, prev_hash, hash, signature";

impl ArchiveStore for SqliteStore {
    fn archive_terminal(&self, terminal_id: &str) -> Result<Option<(String, Option<String>)>> {
        let c = self.lock()?;
        let found = c
            .prepare_cached("SELECT store_id, public_key FROM terminals WHERE terminal_id = ?1")?
            .query_row([terminal_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(found)
    }

    fn archive_closing_seq(
        &self,
        terminal_id: &str,
        kind: &str,
        period: &str,
    ) -> Result<Option<u64>> {
        let c = self.lock()?;
        let seq: Option<i64> = c
            .prepare_cached(
                "SELECT seq FROM closings WHERE terminal_id = ?1 AND kind = ?2 AND period = ?3",
            )?
            .query_row(params![terminal_id, kind, period], |r| r.get(0))
            .optional()?;
        Ok(seq.map(to_u64))
    }

    fn archive_events(&self, terminal_id: &str, from: u64, to: u64) -> Result<Vec<StoredEvent>> {
        let c = self.lock()?;
        let mut st = c.prepare_cached(&format!(
            "SELECT {COLS} FROM events WHERE terminal_id = ?1 AND seq >= ?2 AND seq <= ?3 ORDER BY seq"
        ))?;
        let mut rows = st.query(params![terminal_id, to_i64(from), to_i64(to)])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(event_from_row(r, 0, terminal_id.to_string())?);
        }
        Ok(out)
    }

    fn archive_last_of(
        &self,
        terminal_id: &str,
        upto: u64,
        kinds: &[&str],
    ) -> Result<Option<StoredEvent>> {
        let c = self.lock()?;
        let mut st = c.prepare_cached(&format!(
            "SELECT {COLS} FROM events WHERE terminal_id = ?1 AND seq <= ?2 AND kind IN (SELECT value FROM json_each(?3)) ORDER BY seq DESC LIMIT 1"
        ))?;
        let kinds = serde_json::to_string(kinds).unwrap_or_default();
        let mut rows = st.query(params![terminal_id, to_i64(upto), kinds])?;
        match rows.next()? {
            Some(r) => Ok(Some(event_from_row(r, 0, terminal_id.to_string())?)),
            None => Ok(None),
        }
    }
}
