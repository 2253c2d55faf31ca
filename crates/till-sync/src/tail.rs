//! The journal's signed tail marker, read to go with each batch.
//!
//! till-journal moves the marker (table `tail`: terminal_id, seq, hash,
//! signature over `till_journal::chain::tail_message`) in the same
//! transaction as every append, and has no public getter for it yet, so it
//! is read here on a read-only connection of its own.
//!
//! The marker is optional on the wire: a journal where it cannot be read
//! (an older file, a locked or damaged table) still delivers its events, and
//! head office, which checks the marker when it comes, just gets none.

use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::Path;
use sync_proto::TailMarker;

pub(crate) struct TailReader {
    conn: Option<Connection>,
}

impl TailReader {
    pub(crate) fn open(journal: &Path) -> TailReader {
        let conn = Connection::open_with_flags(
            journal,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .ok();
        if let Some(c) = &conn {
            let _ = c.busy_timeout(std::time::Duration::from_secs(2));
        }
        TailReader { conn }
    }

    /// The marker as of the last commit, if there is a readable one.
    pub(crate) fn read(&self, terminal_id: &str) -> Option<TailMarker> {
        let c = self.conn.as_ref()?;
        let row: Option<(i64, Vec<u8>, Vec<u8>)> = c
            .prepare_cached("SELECT seq, hash, signature FROM tail WHERE terminal_id = ?1")
            .and_then(|mut st| {
                st.query_row([terminal_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()
            })
            .ok()
            .flatten();
        let (seq, hash, sig) = row?;
        let hash: [u8; 32] = hash.try_into().ok()?;
        Some(TailMarker::new(u64::try_from(seq).ok()?, &hash, &sig))
    }
}
