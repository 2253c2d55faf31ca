//! The journal is the sync daemon's outbox: it reads events after the cursor
//! head office acknowledged, and moves the cursor forward when acked.

use crate::chain;
use crate::error::{JournalError, Result};
use crate::journal::{to_i64, to_u64, Journal};
use rusqlite::Row;
use till_core::records::{DecodeError, Event};

/// One journal row as stored (what is pushed to head office).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub terminal_id: String,
    pub seq: u64,
    /// The exact text that was hashed (RFC 3339, ms, local offset).
    pub ts: String,
    pub kind: String,
    pub payload: Vec<u8>,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
    /// Ed25519 signature of `hash` (closings only).
    pub signature: Option<Vec<u8>>,
}

impl StoredEvent {
    /// The event this row records.
    pub fn decode(&self) -> Result<Event, DecodeError> {
        Event::decode(&self.kind, &self.payload)
    }

    /// The timestamp as a date-time with its offset.
    pub fn ts_parsed(&self) -> Option<chrono::DateTime<chrono::FixedOffset>> {
        chrono::DateTime::parse_from_rfc3339(&self.ts).ok()
    }

    /// Recomputes this row's hash from its fields and `prev_hash`.
    pub fn recompute_hash(&self) -> Option<[u8; 32]> {
        chain::record_hash(
            &self.prev_hash,
            &chain::RecordFields {
                terminal_id: &self.terminal_id,
                seq: self.seq,
                ts: &self.ts,
                kind: &self.kind,
                payload: &self.payload,
            },
        )
        .ok()
    }
}

pub(crate) const EVENT_COLUMNS: &str =
    "terminal_id, seq, ts, kind, payload, prev_hash, hash, signature";

pub(crate) fn stored_from_row(
    r: &Row<'_>,
) -> rusqlite::Result<std::result::Result<StoredEvent, JournalError>> {
    let seq = to_u64(r.get(1)?);
    let prev: Vec<u8> = r.get(5)?;
    let hash: Vec<u8> = r.get(6)?;
    let (Some(prev_hash), Some(hash)) = (chain::hash32(&prev), chain::hash32(&hash)) else {
        return Ok(Err(JournalError::BadStoredEvent {
            seq,
            detail: "hash or prev_hash is not 32 bytes".into(),
        }));
    };
    Ok(Ok(StoredEvent {
        terminal_id: r.get(0)?,
        seq,
        ts: r.get(2)?,
        kind: r.get(3)?,
        payload: r.get(4)?,
        prev_hash,
        hash,
        signature: r.get(7)?,
    }))
}

impl Journal {
    /// Up to `limit` events with seq > `seq`, in seq order.
    pub fn events_after(&self, seq: u64, limit: usize) -> Result<Vec<StoredEvent>> {
        let db = |e| self.db(e);
        let mut st = self
            .conn
            .prepare_cached(&format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE terminal_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
            ))
            .map_err(db)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut rows = st
            .query(rusqlite::params![self.terminal_id, to_i64(seq), limit])
            .map_err(db)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(db)? {
            out.push(stored_from_row(r).map_err(db)??);
        }
        Ok(out)
    }

    /// One event by seq.
    pub fn event(&self, seq: u64) -> Result<Option<StoredEvent>> {
        Ok(self
            .events_after(seq.saturating_sub(1), 1)?
            .into_iter()
            .find(|e| e.seq == seq))
    }

    /// The highest seq head office acknowledged (0: none).
    pub fn acked_seq(&self) -> Result<u64> {
        self.conn
            .prepare_cached("SELECT acked_seq FROM sync_cursor WHERE id = 1")
            .and_then(|mut s| s.query_row([], |r| r.get::<_, i64>(0)))
            .map(to_u64)
            .map_err(|e| self.db(e))
    }

    /// Moves the acknowledged cursor forward. Setting the current value again is
    /// a no-op (a repeated ack); moving it backwards or past the head is refused.
    pub fn set_acked_seq(&self, seq: u64) -> Result<()> {
        if !self.cursor_writable {
            return Err(JournalError::OpenedReadOnly("move the sync cursor"));
        }
        let tx = self.begin()?;
        let current = {
            let v: i64 = tx
                .prepare_cached("SELECT acked_seq FROM sync_cursor WHERE id = 1")
                .and_then(|mut s| s.query_row([], |r| r.get(0)))
                .map_err(|e| self.db(e))?;
            to_u64(v)
        };
        if seq < current {
            return Err(JournalError::CursorBackwards {
                current,
                requested: seq,
            });
        }
        let (head, _) = self.head_in(&tx)?;
        if seq > head {
            return Err(JournalError::CursorBeyondHead {
                head,
                requested: seq,
            });
        }
        tx.prepare_cached("UPDATE sync_cursor SET acked_seq = ?1 WHERE id = 1")
            .and_then(|mut s| s.execute([to_i64(seq)]))
            .map_err(|e| self.db(e))?;
        tx.commit().map_err(|e| self.db(e))
    }
}
