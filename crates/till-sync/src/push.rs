//! Delivering a run of batches with two in flight.
//!
//! Head office spends much of a batch waiting on its commit's fsync; with the
//! next batch already sent, it receives, parses and hashes that one meanwhile.
//! Batches are still stored in order: head office takes them one at a time,
//! and a batch that overtakes the one before it is refused as a gap (409,
//! nothing stored) and resent. The cursor moves only on an ack, in order.
//!
//! Such a gap answer is stale by the time it is read: it names the first seq
//! of the batch still in flight ahead ([`Stop::behind`]), which has been
//! acknowledged since. Only the overtaking batch is resent, never from the
//! seq the stale answer names (that resent the whole batch before it, which
//! head office already held).

use crate::client::{HeadOffice, PushOutcome};
use crate::syncer::SyncError;
use std::collections::VecDeque;
use sync_proto::EventBatch;
use till_journal::{Journal, JournalError};

/// Requests in flight at once.
const WINDOW: usize = 2;

/// How big a batch may be.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub events: usize,
    pub bytes: usize,
}

/// A batch read and encoded, ready to send.
pub(crate) struct Prepared {
    pub first: u64,
    pub last: u64,
    pub count: u64,
    pub body: Vec<u8>,
}

/// Reads the batch starting at `from` (bounded by count and payload bytes)
/// and encodes it with the journal's tail marker.
pub(crate) fn prepare(journal: &Journal, limits: Limits, from: u64) -> Result<Prepared, SyncError> {
    let mut events = journal.events_after(from.saturating_sub(1), limits.events)?;
    let mut bytes = 0usize;
    let keep = events
        .iter()
        .take_while(|e| {
            // base64 grows payloads by a third; hex hashes and framing ~250 bytes.
            bytes += e.payload.len() * 4 / 3 + e.ts.len() + e.kind.len() + 250;
            bytes <= limits.bytes
        })
        .count()
        .max(1);
    events.truncate(keep);
    let (first, last) = match (events.first(), events.last()) {
        (Some(f), Some(l)) => (f.seq, l.seq),
        _ => (from, from.saturating_sub(1)),
    };
    // A journal whose index lost entries returns rows out of sequence:
    // head office would answer a gap for ever. Say so instead.
    if let Some(missing) = (first..).zip(&events).find(|(want, e)| e.seq != *want) {
        return Err(SyncError::JournalDamaged(format!(
            "seq {} is missing from the journal's index (found seq {} after seq {})",
            missing.0,
            missing.1.seq,
            missing.0.saturating_sub(1)
        )));
    }
    if first != from {
        return Err(SyncError::JournalDamaged(format!(
            "seq {from} is missing from the journal's index (the next event found is seq {first})"
        )));
    }
    let marker = match events.is_empty() {
        true => None,
        false => crate::tail::marker(journal),
    };
    let body = EventBatch::encode_stored_with_tail(journal.terminal_id(), &events, marker.as_ref());
    Ok(Prepared {
        first,
        last,
        count: events.len() as u64,
        body,
    })
}

/// Moves the cursor forward to `seq` (capped at the journal head). Another
/// daemon having moved it further already is fine.
pub(crate) fn advance(journal: &Journal, seq: u64) -> Result<(), SyncError> {
    let head = journal.head()?.0;
    let target = seq.min(head);
    if target <= journal.acked_seq()? {
        return Ok(());
    }
    match journal.set_acked_seq(target) {
        Ok(()) | Err(JournalError::CursorBackwards { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The first answer of a run that was not a full ack, and its batch.
pub(crate) struct Stop {
    pub outcome: PushOutcome,
    /// The first seq of the oldest batch in flight when this one was sent
    /// (its own first seq if none was): head office was known to hold
    /// everything before it.
    pub behind: u64,
    pub first: u64,
    pub last: u64,
    pub count: u64,
    pub bytes: usize,
}

/// What a run delivered.
pub(crate) struct Run {
    /// Events acknowledged (the cursor was moved past them).
    pub acked: u64,
    /// Of those, events head office already held (its ack's `duplicates`).
    pub duplicates: u64,
    /// The next batch, read and encoded, when the run ended on nothing left.
    pub prepared: Option<Prepared>,
    /// Why the run ended early; None when everything was delivered.
    pub stop: Option<Stop>,
}

struct InFlight<'s> {
    first: u64,
    behind: u64,
    last: u64,
    count: u64,
    bytes: usize,
    answer: std::thread::ScopedJoinHandle<'s, PushOutcome>,
}

/// Pushes `batch` and the batches after it, [`WINDOW`] at a time, moving
/// the cursor on each ack, until nothing is left or an answer is not an ack.
pub(crate) fn run(
    ho: &HeadOffice,
    journal: &Journal,
    limits: Limits,
    batch: Prepared,
) -> Result<Run, SyncError> {
    std::thread::scope(|scope| {
        let send = |b: Prepared, behind: Option<u64>| InFlight {
            behind: behind.unwrap_or(b.first),
            first: b.first,
            last: b.last,
            count: b.count,
            bytes: b.body.len(),
            answer: scope.spawn(move || ho.push_body(b.body)),
        };
        let mut next_from = batch.last + 1;
        let mut inflight = VecDeque::from([send(batch, None)]);
        let mut ready: Option<Prepared> = None;
        let mut acked = 0u64;
        let mut duplicates = 0u64;
        loop {
            while inflight.len() < WINDOW {
                let b = match ready.take() {
                    Some(b) => b,
                    None => prepare(journal, limits, next_from)?,
                };
                if b.count == 0 {
                    break;
                }
                next_from = b.last + 1;
                // Every batch before the oldest one in flight was acknowledged.
                let behind = inflight.front().map(|f| f.first);
                inflight.push_back(send(b, behind));
            }
            if ready.is_none() {
                ready = Some(prepare(journal, limits, next_from)?).filter(|b| b.count > 0);
            }
            let Some(f) = inflight.pop_front() else {
                return Ok(Run {
                    acked,
                    duplicates,
                    prepared: ready,
                    stop: None,
                });
            };
            let outcome = f
                .answer
                .join()
                .unwrap_or_else(|_| PushOutcome::Transient("the request thread panicked".into()));
            match outcome {
                PushOutcome::Acked(ack) if ack.acked_seq >= f.last => {
                    advance(journal, ack.acked_seq)?;
                    acked += f.count;
                    duplicates += ack.duplicates;
                }
                outcome => {
                    // Later batches were sent assuming this one would be
                    // stored: their answers no longer count (whatever head
                    // office did with them, a resend is harmless).
                    for g in inflight.drain(..) {
                        let _ = g.answer.join();
                    }
                    return Ok(Run {
                        acked,
                        duplicates,
                        prepared: None,
                        stop: Some(Stop {
                            outcome,
                            behind: f.behind,
                            first: f.first,
                            last: f.last,
                            count: f.count,
                            bytes: f.bytes,
                        }),
                    });
                }
            }
        }
    })
}
