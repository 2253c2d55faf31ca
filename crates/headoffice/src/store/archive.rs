//! What `headoffice archive` reads: a terminal's events by seq range, its
//! store and pinned key, and the seq of a closing. Head office builds the
//! fiscal archive of a closed period from these, in the format of
//! `comptoir_chain::archive` (see [`crate::archive`]).

use super::Result;
use till_journal::StoredEvent;

/// Reads for the fiscal archive.
pub trait ArchiveStore {
    /// The terminal's store and pinned public key (hex), if it is known.
    fn archive_terminal(&self, terminal_id: &str) -> Result<Option<(String, Option<String>)>>;
    /// The seq of the terminal's closing of `kind` ("month", "year") and `period`.
    fn archive_closing_seq(
        &self,
        terminal_id: &str,
        kind: &str,
        period: &str,
    ) -> Result<Option<u64>>;
    /// The terminal's events with seq in [from, to], in seq order.
    fn archive_events(&self, terminal_id: &str, from: u64, to: u64) -> Result<Vec<StoredEvent>>;
    /// The last event at or before `upto` whose kind is one of `kinds`.
    fn archive_last_of(
        &self,
        terminal_id: &str,
        upto: u64,
        kinds: &[&str],
    ) -> Result<Option<StoredEvent>>;
}
