//! Hash verification and projection reading of a batch, split in chunks that
//! any number of threads take in turn.
//!
//! Head office starts this as soon as a batch is decoded, before it has the
//! store's write lock: while the previous batch commits (mostly waiting on
//! fsync), a helper thread already hashes this one. The thread that holds
//! the lock inserts the rows, then joins in ([`Shared::finish`]) instead of
//! waiting. The result equals [`verify_hashes`] and [`Deltas::of`] over the
//! whole run.

use super::{verify_hashes, Builder, Deltas, Plan, TailSeen};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use till_journal::StoredEvent;

/// A chunk's work panicked (a bug): the batch is not ingested.
#[derive(Debug, thiserror::Error)]
#[error("reading the batch's payloads panicked")]
pub struct SharedError;

/// (chunk index, first bad hash, sums) per finished chunk.
type Done = Vec<(usize, Option<Plan>, Builder)>;

/// The merged result: the first bad hash and the deltas of the run.
type Merged = Result<(Option<Plan>, Deltas), SharedError>;

struct Progress {
    done: Done,
    finished: usize,
    panicked: bool,
    /// Set by the thread that finishes the last chunk: so the merge too is
    /// done before the write lock when the helper gets there first.
    merged: Option<Merged>,
}

pub struct Shared<'a> {
    events: &'a [StoredEvent],
    /// The till's tail marker sent with the batch, if any.
    tail: Option<TailSeen>,
    chunk: usize,
    chunks: usize,
    next: AtomicUsize,
    cancelled: AtomicBool,
    progress: Mutex<Progress>,
    all_done: Condvar,
}

impl<'a> Shared<'a> {
    pub fn new(events: &'a [StoredEvent], chunk: usize) -> Shared<'a> {
        let chunk = chunk.max(1);
        Shared {
            events,
            tail: None,
            chunk,
            chunks: events.len().div_ceil(chunk),
            next: AtomicUsize::new(0),
            cancelled: AtomicBool::new(false),
            progress: Mutex::new(Progress {
                done: Vec::new(),
                finished: 0,
                panicked: false,
                merged: None,
            }),
            all_done: Condvar::new(),
        }
    }

    /// With the tail marker the batch carried.
    pub fn with_tail(mut self, tail: Option<TailSeen>) -> Shared<'a> {
        self.tail = tail;
        self
    }

    pub fn events(&self) -> &'a [StoredEvent] {
        self.events
    }

    pub fn tail(&self) -> Option<&TailSeen> {
        self.tail.as_ref()
    }

    /// The result will not be used (the batch was refused, or only part of
    /// it is new): helpers stop after their current chunk.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    fn lock(&self) -> MutexGuard<'_, Progress> {
        // Only this module holds the lock, never across a panic.
        self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes chunks until none is left (or the work is cancelled).
    pub fn help(&self) {
        while !self.cancelled.load(Ordering::Relaxed) {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            if i >= self.chunks {
                return;
            }
            let start = i * self.chunk;
            let part = &self.events[start..(start + self.chunk).min(self.events.len())];
            // Caught so the chunk still counts as finished and nobody waits forever.
            let r = catch_unwind(AssertUnwindSafe(|| {
                let bad = verify_hashes(part);
                let mut b = Builder::default();
                for e in part {
                    b.stored(e);
                }
                (bad, b)
            }));
            let mut p = self.lock();
            match r {
                Ok((bad, b)) => p.done.push((i, bad, b)),
                Err(_) => p.panicked = true,
            }
            p.finished += 1;
            if p.finished == self.chunks {
                let (done, panicked) = (std::mem::take(&mut p.done), p.panicked);
                drop(p);
                let merged = if panicked {
                    Err(SharedError)
                } else {
                    catch_unwind(AssertUnwindSafe(|| merge(done))).map_err(|_| SharedError)
                };
                self.lock().merged = Some(merged);
                self.all_done.notify_all();
            }
        }
    }

    /// Helps, waits for the other helpers, and returns the first hash that
    /// does not recompute and the deltas of the run. Call once, uncancelled.
    pub fn finish(&self) -> Merged {
        self.help();
        let mut p = self.lock();
        loop {
            if let Some(m) = p.merged.take() {
                return m;
            }
            if self.chunks == 0 {
                return Ok((None, Deltas::default()));
            }
            p = self.all_done.wait(p).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Sums the chunks in batch order.
fn merge(mut all: Done) -> (Option<Plan>, Deltas) {
    all.sort_by_key(|(i, _, _)| *i);
    let mut bad = None;
    let mut total = Builder::default();
    for (_, b, part) in all {
        if bad.is_none() {
            bad = b;
        }
        total.absorb(part);
    }
    (bad, total.finish())
}
