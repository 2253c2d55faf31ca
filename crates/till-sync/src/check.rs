//! Does the journal hold what its index shows? The daemon reads pending
//! events through the primary-key index (`events_after`, `head`); an index
//! that lost entries (a damaged file) or a cursor moved past the last event
//! (an edited or restored file) would make a pass find nothing to send and
//! report everything delivered while head office lacks events. The end of
//! the journal is read three ways that do not share that index: the row
//! inserted last (the table's own b-tree, by rowid) and the signed tail
//! marker (its own table), all in one read snapshot so a till appending
//! meanwhile is never mistaken for damage. Each costs a b-tree descent.

use crate::syncer::SyncError;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::Path;

/// The journal's end as each source sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ends {
    /// Through the primary-key index (what `events_after` and `head` use).
    pub index_head: u64,
    /// The seq of the row inserted last, read without the index.
    pub table_last: u64,
    /// The signed tail marker's seq (0 when there is none).
    pub tail: u64,
    /// The sync cursor: acknowledged by head office up to here.
    pub cursor: u64,
}

impl Ends {
    /// The highest seq any source says the journal holds.
    pub fn true_head(&self) -> u64 {
        self.index_head.max(self.table_last).max(self.tail)
    }

    /// Events head office has not acknowledged, hidden ones included.
    pub fn waiting(&self) -> u64 {
        self.true_head().saturating_sub(self.cursor)
    }

    /// Why this journal cannot be called delivered, if it cannot.
    pub fn problem(&self) -> Option<SyncError> {
        let head = self.true_head();
        if head > self.index_head {
            return Some(SyncError::JournalDamaged(format!(
                "the journal holds events up to seq {head} (last row or signed tail marker) but its index ends at seq {}: {} cannot be read to be sent",
                self.index_head,
                crate::syncer::events(head - self.index_head)
            )));
        }
        if self.cursor > head {
            return Some(SyncError::CursorAhead {
                cursor: self.cursor,
                head,
            });
        }
        None
    }
}

fn to_u64(v: Option<i64>) -> u64 {
    v.map(|v| u64::try_from(v).unwrap_or(0)).unwrap_or(0)
}

/// Reads the ends of `terminal_id`'s journal at `path`, in one snapshot.
pub(crate) fn ends(path: &Path, terminal_id: &str) -> Result<Ends, SyncError> {
    let db = |e: rusqlite::Error| {
        SyncError::JournalDamaged(format!("reading the end of {}: {e}", path.display()))
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(db)?;
    let tx = conn.unchecked_transaction().map_err(db)?;
    let one = |sql: &str, with_terminal: bool| -> Result<u64, SyncError> {
        let mut st = tx.prepare(sql).map_err(db)?;
        let v: Option<i64> = if with_terminal {
            st.query_row([terminal_id], |r| r.get(0)).optional()
        } else {
            st.query_row([], |r| r.get(0)).optional()
        }
        .map_err(db)?;
        Ok(to_u64(v))
    };
    let index_head = one(
        "SELECT seq FROM events WHERE terminal_id = ?1 ORDER BY seq DESC LIMIT 1",
        true,
    )?;
    let table_last = one(
        "SELECT seq FROM events NOT INDEXED WHERE terminal_id = ?1 ORDER BY rowid DESC LIMIT 1",
        true,
    )?;
    let tail = one("SELECT seq FROM tail WHERE terminal_id = ?1", true)?;
    let cursor = one("SELECT acked_seq FROM sync_cursor WHERE id = 1", false)?;
    Ok(Ends {
        index_head,
        table_last,
        tail,
        cursor,
    })
}
