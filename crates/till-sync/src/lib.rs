//! `till-sync`: delivers a till's journal to head office exactly once and
//! brings catalog changes down.
//!
//! # How delivery stays exactly-once
//!
//! The journal is the outbox: the daemon reads `events_after(cursor)`, pushes
//! them in batches bounded by count and bytes, and moves the cursor
//! (`sync_cursor` in the journal) only to what head office acknowledged. Head
//! office deduplicates on (terminal_id, seq), so a batch whose answer was lost
//! is simply resent. The daemon can be killed at any instant: on restart it
//! resends from the cursor. It takes the journal's write lock only for the
//! instant of moving the cursor (or journaling a catalog update), never while
//! waiting on the network.
//!
//! - 409 (gap): head office expects another seq; the daemon moves its cursor
//!   up to it (head office already holds those events) or resends from there.
//! - 5xx or network errors: exponential backoff with full jitter and a cap
//!   ([`backoff`]).
//! - Other 4xx: refused for good (bad credential, tampered chain...): reported
//!   in the status and retried slowly until a person fixes it.
//!
//! Two daemons on one journal are harmless: both push the same events, head
//! office stores them once, and the cursor never moves backwards.

pub mod backoff;
pub mod catalog;
mod check;
pub mod client;
pub mod config;
mod push;
pub mod state;
pub mod syncer;
mod tail;

pub use config::Config;
pub use syncer::{events, status, PassReport, Status, SyncError, Syncer};
