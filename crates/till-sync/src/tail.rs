//! The journal's signed tail marker, read to go with each batch.
//!
//! The marker is optional on the wire: a journal where it cannot be read
//! (a damaged row) still delivers its events, and head office, which checks
//! the marker when it comes, just gets none. The verifier on the till is
//! what reports a damaged marker.

use sync_proto::TailMarker;
use till_journal::Journal;

/// The marker as of the journal's last commit, if there is a readable one.
pub(crate) fn marker(journal: &Journal) -> Option<TailMarker> {
    match journal.tail_marker() {
        Ok(Some((seq, hash, sig))) => Some(TailMarker::new(seq, &hash, &sig)),
        Ok(None) => None,
        Err(e) => {
            eprintln!("till-sync: tail marker not sent ({e}); run `till journal verify`");
            None
        }
    }
}
