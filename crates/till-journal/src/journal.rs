//! The journal handle: what it is, its accessors and the projections' rebuild.
//! Opening (and creating) a journal is in `journal/open.rs`, appending in
//! `journal/append.rs`.

use crate::error::{classify, JournalError, Result};
use crate::{projections, schema};
use chrono::{DateTime, FixedOffset, SecondsFormat};
use ed25519_dalek::SigningKey;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};

mod append;
mod open;

/// Who this terminal is, and where its signing key lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenOptions {
    pub terminal_id: String,
    pub shop_id: String,
    /// The Ed25519 key file: created (mode 0600) with a new journal, required after.
    pub key_path: PathBuf,
    /// Recorded in the genesis event.
    pub software_version: String,
}

/// What an append produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub seq: u64,
    pub hash: [u8; 32],
    /// Ed25519 signature of `hash`, for closings.
    pub signature: Option<Vec<u8>>,
}

/// An open journal. All methods take `&self`; a `Journal` is used from one thread.
pub struct Journal {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
    pub(crate) terminal_id: String,
    pub(crate) shop_id: String,
    pub(crate) public_key: String,
    /// None when opened read-only or for the sync daemon.
    pub(crate) key: Option<SigningKey>,
    /// The PIN pepper, beside the key; None when the key is not loaded.
    pub(crate) pepper: Option<till_core::auth::Pepper>,
    /// The sync cursor may be moved (read-write or sync-daemon handle).
    pub(crate) cursor_writable: bool,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("Journal")
            .field("path", &self.path)
            .field("terminal_id", &self.terminal_id)
            .field("read_only", &self.key.is_none())
            .finish()
    }
}

/// The timestamp text stored and hashed: RFC 3339, milliseconds, the offset
/// as given (never "Z"), e.g. "2026-11-23T10:15:00.123+01:00".
pub fn format_ts(ts: &DateTime<FixedOffset>) -> String {
    ts.to_rfc3339_opts(SecondsFormat::Millis, false)
}

pub(crate) fn to_i64(v: u64) -> i64 {
    // Seqs and counts never approach 2^63; saturate rather than wrap if they did.
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(crate) fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

impl Journal {
    pub fn path(&self) -> &Path {
        &self.path
    }
    pub fn terminal_id(&self) -> &str {
        &self.terminal_id
    }
    pub fn shop_id(&self) -> &str {
        &self.shop_id
    }
    /// The terminal's Ed25519 public key, hex (as in the genesis event).
    pub fn public_key_hex(&self) -> &str {
        &self.public_key
    }
    pub fn is_read_only(&self) -> bool {
        self.key.is_none()
    }
    /// The PIN pepper (a file beside the signing key: `<key>.pepper`), for
    /// hashing and checking PINs; None on a read-only or sync handle.
    pub fn pin_pepper(&self) -> Option<&till_core::auth::Pepper> {
        self.pepper.as_ref()
    }

    pub(crate) fn db(&self, e: rusqlite::Error) -> JournalError {
        classify(&self.path, e)
    }

    pub(crate) fn signing_key(&self, what: &'static str) -> Result<&SigningKey> {
        self.key.as_ref().ok_or(JournalError::OpenedReadOnly(what))
    }

    /// BEGIN IMMEDIATE: take the write lock now, so the head read inside the
    /// transaction is the head we append after. Dropped = rolled back.
    pub(crate) fn begin(&self) -> Result<Transaction<'_>> {
        Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.db(e))
    }

    /// Recomputes every projection from the events, in one transaction.
    pub fn rebuild_projections(&self) -> Result<()> {
        self.signing_key("rebuild projections")?;
        let tx = self.begin()?;
        let db = |e| self.db(e);
        for t in schema::PROJECTION_TABLES {
            // Projection tables only: the events table is never deleted from.
            tx.execute(&format!("DELETE FROM {t}"), []).map_err(db)?;
        }
        // Sums are kept in memory and written once at the end: upserting every
        // event's effects row by row is what the counter does for one sale, but
        // on a million events it is dozens of times slower than the scan.
        let mut sums = projections::Sums::default();
        // The ledger is keyed by item: its rows go first into a scratch
        // table in seq order, then into the ledger sorted by its key, so the
        // ledger is written in order instead of one random b-tree walk per row.
        tx.execute_batch("CREATE TEMP TABLE ledger_rebuild (seq, idx, item_id, delta, reason)")
            .map_err(db)?;
        {
            let mut st = tx
                .prepare(
                    "SELECT seq, kind, payload FROM events WHERE terminal_id = ?1 ORDER BY seq",
                )
                .map_err(db)?;
            let mut ledger = tx
                .prepare(
                    "INSERT INTO temp.ledger_rebuild (seq, idx, item_id, delta, reason) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(db)?;
            let mut rows = st.query([&self.terminal_id]).map_err(db)?;
            while let Some(r) = rows.next().map_err(db)? {
                let seq: i64 = r.get(0).map_err(db)?;
                let kind = r.get_ref(1).and_then(|v| Ok(v.as_str()?)).map_err(db)?;
                let payload = r.get_ref(2).and_then(|v| Ok(v.as_blob()?)).map_err(db)?;
                let fx = projections::effects_from_payload(kind, payload).map_err(|e| {
                    JournalError::BadStoredEvent {
                        seq: to_u64(seq),
                        detail: e.to_string(),
                    }
                })?;
                for (idx, (item, delta, reason)) in fx.stock.iter().enumerate() {
                    ledger
                        .execute(rusqlite::params![
                            seq,
                            idx as i64,
                            item,
                            delta.to_string(),
                            reason
                        ])
                        .map_err(db)?;
                }
                sums.add(seq, fx);
            }
        }
        tx.execute_batch(
            "INSERT INTO stock_ledger (seq, idx, item_id, delta, reason) \
             SELECT seq, idx, item_id, delta, reason FROM temp.ledger_rebuild \
             ORDER BY item_id, seq, idx; \
             DROP TABLE temp.ledger_rebuild;",
        )
        .map_err(db)?;
        // A rebuild changes the journal's schema cookie, which the verifier's
        // snapshot id reads (see `ledger_check`): a verification racing it
        // compares its own snapshot's ledger row by row instead of trusting
        // digests read in another. (The scratch table above is in the temp
        // schema, which has a cookie of its own.)
        tx.execute_batch("CREATE TABLE rebuild_mark (x); DROP TABLE rebuild_mark;")
            .map_err(db)?;
        sums.write(&tx).map_err(db)?;
        tx.commit().map_err(db)
    }

    /// The projections as they are stored (for comparisons and diagnostics).
    pub fn projection_snapshot(&self) -> Result<projections::ProjectionSnapshot> {
        projections::ProjectionSnapshot::read(&self.conn, &self.path)
    }

    /// The connection's durability settings, as SQLite reports them:
    /// (journal_mode, synchronous). The till relies on ("wal", 2 = FULL): a
    /// commit is on disk when append returns.
    pub fn durability(&self) -> Result<(String, i64)> {
        let db = |e| self.db(e);
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .map_err(db)?;
        let sync: i64 = self
            .conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .map_err(db)?;
        Ok((mode, sync))
    }

    /// Test hook: caps the database size (`PRAGMA max_page_count`) to simulate
    /// a full disk. Not for production use.
    #[doc(hidden)]
    pub fn set_max_page_count_for_tests(&self, pages: u64) -> Result<u64> {
        self.conn
            .query_row(&format!("PRAGMA max_page_count = {pages}"), [], |r| {
                r.get::<_, i64>(0)
            })
            .map(to_u64)
            .map_err(|e| self.db(e))
    }
}
