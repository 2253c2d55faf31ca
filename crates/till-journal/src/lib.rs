//! comptoir's journal: an SQLite file where every event of the till is
//! appended, hash-chained and (for closings and the tail) signed, with derived
//! projections (stock, period totals) and the sync daemon's outbox.
//!
//! # Invariants
//!
//! - **Durable before acknowledged.** The file is in WAL mode with
//!   `synchronous=FULL`; [`Journal::append`] returns only after its single
//!   transaction (BEGIN IMMEDIATE … COMMIT) is on disk. A crash loses no
//!   acknowledged event and never leaves half of one: the record, its
//!   projections and the signed tail marker commit together or not at all.
//! - **Append-only.** `events` rows are never updated or deleted: SQLite
//!   triggers refuse both (`journal rows are append-only`), and no code in this
//!   crate issues either on `events`.
//! - **Gap-free and chained.** `seq` runs 1, 2, 3… per terminal
//!   (PRIMARY KEY (terminal_id, seq)); `hash = SHA-256(prev_hash || canonical
//!   encoding)` with 32 zero bytes before seq 1. The encoding is frozen and
//!   documented in [`chain`].
//! - **Signed.** The terminal's Ed25519 key (a 0600 file, see [`keys`]) signs
//!   each closing's hash (its `signature` column) and the tail marker after
//!   every append. The first event, seq 1, is `terminal_initialised` and
//!   carries the public key the verifier uses.
//! - **Derived state is derived.** Projections are recomputable from `events`
//!   ([`Journal::rebuild_projections`]) and the verifier checks they match.
//! - **No clock.** Timestamps are passed in by the caller (the genesis record,
//!   written by `open`, carries the Unix epoch unless [`Journal::open_at`] is
//!   given a time).
//!
//! # Schema (version 3, `PRAGMA user_version`; see [`schema`])
//!
//! | table | contents |
//! |---|---|
//! | `meta(key, value)` | `terminal_id`, `shop_id`, `public_key` (hex) |
//! | `events(terminal_id, seq, ts, kind, payload, prev_hash, hash, signature)` | the journal, PRIMARY KEY (terminal_id, seq); `ts` is RFC 3339 with ms and the local offset; `payload` is `Event::payload()`; `signature` is set on closings |
//! | `tail(terminal_id, seq, hash, signature)` | signed head marker, one row, moved by every append (not a journal row) |
//! | `stock_ledger(seq, idx, item_id, delta, reason)` | projection: one row per stock delta, PRIMARY KEY (item_id, seq, idx), no other index (schema 2: keyed by (seq, idx), indexed by item) |
//! | `stock_levels(item_id, level)` | projection: sum of the ledger per item |
//! | `day_totals(day, key, amount)` | projection: totals per business day (keys in [`projections`]) |
//! | `perpetual(key, amount)` | projection: `grand_total`, `grand_total_abs`, `sale_records` (receipt counter) |
//! | `closings(kind, period, seq, last_seq)` | projection: closings recorded |
//! | `sale_links(orig_seq, seq)` | projection: the refunds, cancellations and reprints (`seq`) referencing a sale (`orig_seq`); see [`Journal::sale_links`] |
//! | `sync_cursor(id=1, acked_seq)` | what head office acknowledged; only moves forward, never past the head |
//! | `basket(id=1, data)` | the sale in progress, serialised by the caller |
//! | `users(user_id, record)` | user records (JSON) |
//!
//! Amounts are decimal TEXT, added exactly by the `dec_add()` SQL function
//! (never floats). Small tables are `WITHOUT ROWID` so an append touches few
//! pages. A database whose schema version is newer than
//! [`schema::SCHEMA_VERSION`] is refused with [`JournalError::NewerSchema`].
//!
//! # Append
//!
//! [`Journal::append`] runs one `BEGIN IMMEDIATE` transaction: read the head,
//! insert the row (hash over the frozen encoding), update the projections
//! (multi-row upserts, prepared once and cached), sign and move the tail
//! marker, commit. One fsync (the WAL's), no scans.
//!
//! # Verifier
//!
//! [`verify()`] opens the file read-only, reads everything in one snapshot and
//! reports the first bad record ([`VerifyReport`], serialisable as JSON). See
//! [`verify`](mod@verify) for the checks and their order. The stock ledger is
//! read by a second read-only connection, checked to see the same snapshot
//! (same tail marker and schema cookie), and compared chunk by chunk through
//! keyed digests; where a chunk differs, row by row.
//!
//! # Errors
//!
//! Every failure is a [`JournalError`] variant: a file that is not a
//! database, a corrupt one, a read-only file or directory, a full disk
//! (the transaction is rolled back, everything committed before stays and
//! verifies), a lock held too long, key files with wide permissions or
//! garbage. Nothing in this crate panics on disk or input errors.

pub mod archive;
pub mod chain;
mod closing;
pub mod error;
pub mod files;
mod fx_sink;
mod journal;
pub mod keys;
mod ledger_check;
mod links;
mod outbox;
pub mod projections;
mod rolling;
pub mod schema;
mod state;
mod stock;
pub mod verify;
mod verify_chain;
mod verify_file;
mod verify_state;
mod verify_sums;

pub use error::{JournalError, Result};
pub use journal::{format_ts, Appended, Journal, OpenOptions};
pub use outbox::StoredEvent;
pub use projections::ProjectionSnapshot;
pub use state::{PinFailures, PIN_CHECK};
pub use stock::StockLedgerRow;
pub use verify::{verify, Problem, ProblemKind, VerifyOptions, VerifyReport};
