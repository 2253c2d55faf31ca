//! Opening a journal and appending to it.

use crate::chain::{self, RecordFields, GENESIS_PREV_HASH};
use crate::error::{classify, JournalError, Result};
use crate::{keys, projections, schema};
use chrono::{DateTime, FixedOffset, SecondsFormat};
use ed25519_dalek::{Signer, SigningKey};
use rusqlite::{
    params, Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior,
};
use std::path::{Path, PathBuf};
use std::time::Duration;
use till_core::records::{Event, TerminalInitialised};

/// How long a writer waits for another process's lock before giving up with
/// [`JournalError::Busy`]. The sync daemon only reads, so this is generous.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

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

/// Opens the SQLite file and checks it is a journal this build understands.
fn open_conn(path: &Path, flags: OpenFlags) -> Result<Connection> {
    let db = |e| classify(path, e);
    let conn = Connection::open_with_flags(path, flags).map_err(db)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(db)?;
    // The first read of the header: a file that is not a database fails here.
    let v = schema::version(&conn).map_err(db)?;
    if v > schema::SCHEMA_VERSION {
        return Err(JournalError::NewerSchema {
            found: v,
            supported: schema::SCHEMA_VERSION,
        });
    }
    Ok(conn)
}

/// SQLite reports a read-only directory as "unable to open database file" (it
/// cannot create the -wal/-shm files beside the journal). Probe the directory so
/// the technician is told what is actually wrong.
fn explain_open_error(path: &Path, e: JournalError) -> JournalError {
    if !matches!(
        e,
        JournalError::CannotOpen { .. }
            | JournalError::ReadOnly { .. }
            | JournalError::Sqlite { .. }
    ) {
        return e;
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let probe = dir.join(format!(".{name}.write-probe"));
    match std::fs::OpenOptions::new().write(true).create_new(true).open(&probe) {
        Ok(_) => {
            // Best effort: a leftover probe file is harmless.
            let _ = std::fs::remove_file(&probe);
            e
        }
        Err(io)
            if io.kind() == std::io::ErrorKind::PermissionDenied
                || matches!(io.raw_os_error(), Some(1) | Some(30)) =>
        {
            JournalError::ReadOnly {
                path: path.to_path_buf(),
                detail: format!(
                    "directory {} is not writable ({io}); the journal needs to create its -wal and -shm files there",
                    dir.display()
                ),
            }
        }
        Err(_) => e,
    }
}

/// The journal holds every sale and the users' PIN hashes: it is created
/// readable by its owner only (mode 0600, given to open(2) before SQLite
/// creates the file with its default 0644), and a journal, WAL or shared
/// memory file left wider by an older till is narrowed. SQLite creates the
/// -wal and -shm files with the database file's mode, so they follow.
fn owner_only(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let io = |e: std::io::Error| JournalError::CannotOpen {
            path: path.to_path_buf(),
            detail: format!("setting the file mode to 0600: {e}"),
        };
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            // Directory missing or not writable: SQLite's open says it better.
            Err(_) => return Ok(()),
        }
        for suffix in ["", "-wal", "-shm"] {
            let mut f = path.as_os_str().to_owned();
            f.push(suffix);
            let f = std::path::PathBuf::from(f);
            match std::fs::metadata(&f) {
                Ok(m) if m.permissions().mode() & 0o077 != 0 => {
                    let mode = m.permissions().mode() & 0o700;
                    // Not ours to change (another owner): the till still runs.
                    match std::fs::set_permissions(&f, std::fs::Permissions::from_mode(mode)) {
                        Err(e) if e.kind() != std::io::ErrorKind::PermissionDenied => {
                            return Err(io(e))
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

fn read_meta(conn: &Connection, path: &Path, key: &str) -> Result<Option<String>> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
        .map_err(|e| classify(path, e))
}

/// Whether the opened journal will check PINs, and so needs the pepper.
#[derive(Clone, Copy)]
enum Pins {
    Checked,
    Unused,
}

impl Journal {
    /// Opens (or creates) the journal read-write. A new journal gets a signing
    /// key (if `key_path` does not exist yet) and its genesis event,
    /// `terminal_initialised`, as seq 1.
    pub fn open(path: impl AsRef<Path>, opts: OpenOptions) -> Result<Journal> {
        let path = path.as_ref();
        Self::open_inner(path, opts, None, Pins::Checked).map_err(|e| explain_open_error(path, e))
    }

    /// Like [`Journal::open`], for a program that never checks a PIN (the
    /// sync daemon): the PIN pepper is neither loaded nor required, so a lost
    /// pepper stops logins at the till but never the delivery of its sales.
    pub fn open_without_pins(path: impl AsRef<Path>, opts: OpenOptions) -> Result<Journal> {
        let path = path.as_ref();
        Self::open_inner(path, opts, None, Pins::Unused).map_err(|e| explain_open_error(path, e))
    }

    /// Like [`Journal::open`]; a new journal's genesis record is dated `now`
    /// instead of the Unix epoch.
    pub fn open_at(
        path: impl AsRef<Path>,
        opts: OpenOptions,
        now: DateTime<FixedOffset>,
    ) -> Result<Journal> {
        let path = path.as_ref();
        Self::open_inner(path, opts, Some(now), Pins::Checked)
            .map_err(|e| explain_open_error(path, e))
    }

    fn open_inner(
        path: &Path,
        opts: OpenOptions,
        now: Option<DateTime<FixedOffset>>,
        pins: Pins,
    ) -> Result<Journal> {
        let path = path.to_path_buf();
        let db = |e| classify(&path, e);
        owner_only(&path)?;
        let conn = open_conn(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        if conn.is_readonly(rusqlite::DatabaseName::Main).map_err(db)? {
            return Err(JournalError::ReadOnly {
                path: path.clone(),
                detail: "SQLite opened the file read-only (file permissions)".into(),
            });
        }
        // WAL + synchronous=FULL: a commit is on disk (WAL fsynced) when append returns.
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(db)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(JournalError::CannotOpen {
                path: path.clone(),
                detail: format!("could not switch to WAL mode (got {mode:?})"),
            });
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db)?;
        // Room for every statement of an append, including the multi-row
        // variants (one per row count), so none is re-prepared.
        conn.set_prepared_statement_cache_capacity(128);
        projections::register_functions(&conn).map_err(db)?;
        schema::migrate(&conn).map_err(db)?;

        // Only "is there anything?": max(seq) over the (terminal_id, seq) key
        // would walk the whole index, a cost paid at every start.
        let any: Option<i64> = conn
            .query_row("SELECT 1 FROM events LIMIT 1", [], |r| r.get(0))
            .optional()
            .map_err(db)?;
        if any.is_none() {
            return Self::create(conn, path, opts, now);
        }
        let found = read_meta(&conn, &path, "terminal_id")?.ok_or_else(|| {
            JournalError::NotInitialised {
                path: path.clone(),
                detail: "events exist but meta has no terminal_id".into(),
            }
        })?;
        if found != opts.terminal_id {
            return Err(JournalError::TerminalMismatch {
                expected: opts.terminal_id,
                found,
            });
        }
        let shop_id = read_meta(&conn, &path, "shop_id")?.unwrap_or_default();
        let public_key = read_meta(&conn, &path, "public_key")?.unwrap_or_default();
        let key = match std::fs::symlink_metadata(&opts.key_path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(JournalError::KeyMissing {
                    path: opts.key_path,
                })
            }
            _ => keys::load(&opts.key_path)?,
        };
        let file_pk = keys::public_hex(&key);
        if file_pk != public_key {
            return Err(JournalError::KeyMismatch {
                path: opts.key_path,
                journal: public_key,
                file: file_pk,
            });
        }
        let pepper = match pins {
            Pins::Unused => None,
            Pins::Checked => {
                // A pepper may be created only while no PIN hash depends on it.
                let peppered: bool = conn
                    .query_row(
                        "SELECT EXISTS (SELECT 1 FROM users WHERE instr(record, ?1) > 0)",
                        [format!("\"{}", till_core::auth::PEPPERED_TAG)],
                        |r| r.get(0),
                    )
                    .map_err(db)?;
                let bytes = keys::load_or_create_pepper(&opts.key_path, !peppered)?;
                Some(till_core::auth::Pepper::from_bytes(bytes))
            }
        };
        Ok(Journal {
            conn,
            path,
            terminal_id: found,
            shop_id,
            public_key,
            key: Some(key),
            pepper,
            cursor_writable: true,
        })
    }

    /// A new journal: key, metadata and genesis event, all or nothing (the key
    /// file may survive a crash before the commit; it is reused next time).
    fn create(
        conn: Connection,
        path: PathBuf,
        opts: OpenOptions,
        now: Option<DateTime<FixedOffset>>,
    ) -> Result<Journal> {
        let key = keys::load_or_create(&opts.key_path)?;
        let pepper = keys::load_or_create_pepper(&opts.key_path, true)?;
        let public_key = keys::public_hex(&key);
        let j = Journal {
            conn,
            path,
            terminal_id: opts.terminal_id.clone(),
            shop_id: opts.shop_id.clone(),
            public_key: public_key.clone(),
            key: Some(key),
            pepper: Some(till_core::auth::Pepper::from_bytes(pepper)),
            cursor_writable: true,
        };
        let genesis = Event::TerminalInitialised(TerminalInitialised {
            terminal_id: opts.terminal_id.clone(),
            shop_id: opts.shop_id.clone(),
            public_key: public_key.clone(),
            software_version: opts.software_version.clone(),
        });
        // The genesis carries no real time of its own: the caller gives none at
        // open, and the journal never reads the clock. The Unix epoch says so.
        let epoch = match now {
            Some(t) => t,
            None => DateTime::from_timestamp(0, 0)
                .map(|d| d.fixed_offset())
                .ok_or_else(|| JournalError::InvalidEvent("epoch".into()))?,
        };
        let tx = j.begin()?;
        {
            let db = |e| classify(&j.path, e);
            let mut st = tx
                .prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")
                .map_err(db)?;
            for (k, v) in [
                ("terminal_id", &opts.terminal_id),
                ("shop_id", &opts.shop_id),
                ("public_key", &public_key),
            ] {
                st.execute(params![k, v]).map_err(db)?;
            }
        }
        let a = j.append_in(&tx, &format_ts(&epoch), &genesis, false)?;
        j.write_tail(&tx, a.seq, &a.hash)?;
        tx.commit().map_err(|e| classify(&j.path, e))?;
        Ok(j)
    }

    /// Opens an existing journal read-only (verification, reports, the sync
    /// daemon). Appends and other writes fail with [`JournalError::OpenedReadOnly`].
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Journal> {
        let path = path.as_ref().to_path_buf();
        let conn = open_conn(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        if schema::version(&conn).map_err(|e| classify(&path, e))? < 1 {
            return Err(JournalError::NotInitialised {
                path,
                detail: "no journal schema in this file".into(),
            });
        }
        let terminal_id = read_meta(&conn, &path, "terminal_id")?.unwrap_or_default();
        let shop_id = read_meta(&conn, &path, "shop_id")?.unwrap_or_default();
        let public_key = read_meta(&conn, &path, "public_key")?.unwrap_or_default();
        Ok(Journal {
            conn,
            path,
            terminal_id,
            shop_id,
            public_key,
            key: None,
            pepper: None,
            cursor_writable: false,
        })
    }

    /// Opens an existing journal for the sync daemon: reads, plus moving the
    /// acknowledged cursor ([`Journal::set_acked_seq`]). No signing key is
    /// needed or loaded, so nothing can be appended through this handle.
    /// The schema must be current (the till migrates it when it starts).
    pub fn open_for_sync(path: impl AsRef<Path>) -> Result<Journal> {
        let path = path.as_ref().to_path_buf();
        let db = |e| classify(&path, e);
        let conn = open_conn(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| explain_open_error(&path, e))?;
        if conn.is_readonly(rusqlite::DatabaseName::Main).map_err(db)? {
            return Err(JournalError::ReadOnly {
                path: path.clone(),
                detail: "SQLite opened the file read-only (file permissions)".into(),
            });
        }
        let v = schema::version(&conn).map_err(db)?;
        if v < schema::SCHEMA_VERSION {
            return Err(JournalError::NotInitialised {
                path,
                detail: format!(
                    "schema version {v}, this build needs {}: start the till once to create or migrate it",
                    schema::SCHEMA_VERSION
                ),
            });
        }
        // Durability of the cursor matters as much as the events': a lost ack
        // would only cause a resend (ingest is idempotent), but keep FULL anyway.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db)?;
        let terminal_id = read_meta(&conn, &path, "terminal_id")?.unwrap_or_default();
        let shop_id = read_meta(&conn, &path, "shop_id")?.unwrap_or_default();
        let public_key = read_meta(&conn, &path, "public_key")?.unwrap_or_default();
        Ok(Journal {
            conn,
            path,
            terminal_id,
            shop_id,
            public_key,
            key: None,
            pepper: None,
            cursor_writable: true,
        })
    }

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

    /// Appends `event` at time `ts` in one transaction (record, projections,
    /// signed tail marker) and returns its seq and hash once it is durable.
    ///
    /// Refused: `terminal_initialised` (written by `open`), `closing` (use
    /// [`Journal::close`], which computes the totals), and sale records whose
    /// arithmetic does not add up (`SaleRecord::check`).
    pub fn append(&self, ts: DateTime<FixedOffset>, event: &Event) -> Result<Appended> {
        self.append_opt(ts, event, false)
    }

    /// Like [`Journal::append`], and clears the basket in progress in the same
    /// transaction: after a crash either the sale is recorded and the basket
    /// gone, or the basket is still there and nothing was recorded.
    pub fn append_and_clear_basket(
        &self,
        ts: DateTime<FixedOffset>,
        event: &Event,
    ) -> Result<Appended> {
        self.append_opt(ts, event, true)
    }

    /// Checks what a caller may append (see [`Journal::append`]).
    fn check_event(event: &Event) -> Result<()> {
        match event {
            Event::TerminalInitialised(_) => {
                return Err(JournalError::InvalidEvent(
                    "terminal_initialised is written once, by Journal::open".into(),
                ))
            }
            Event::Closing(_) => {
                return Err(JournalError::InvalidEvent(
                    "closings are recorded with Journal::close, which computes their totals".into(),
                ))
            }
            _ => {}
        }
        if let Some(s) = event.sale() {
            s.check()
                .map_err(|e| JournalError::InvalidEvent(format!("sale {}: {e}", s.sale_no)))?;
        }
        Ok(())
    }

    fn append_opt(
        &self,
        ts: DateTime<FixedOffset>,
        event: &Event,
        clear_basket: bool,
    ) -> Result<Appended> {
        self.signing_key("append")?;
        Self::check_event(event)?;
        let tx = self.begin()?;
        let a = self.append_in(&tx, &format_ts(&ts), event, false)?;
        self.write_tail(&tx, a.seq, &a.hash)?;
        if clear_basket {
            tx.prepare_cached("DELETE FROM basket")
                .and_then(|mut s| s.execute([]))
                .map_err(|e| self.db(e))?;
        }
        tx.commit().map_err(|e| self.db(e))?;
        Ok(a)
    }

    /// Appends several events in ONE transaction (all or none), e.g. a sale and
    /// the stock movement it triggers, or an import. The tail marker is signed
    /// once, for the last one.
    pub fn append_batch(&self, events: &[(DateTime<FixedOffset>, Event)]) -> Result<Vec<Appended>> {
        self.signing_key("append")?;
        for (_, e) in events {
            Self::check_event(e)?;
        }
        let tx = self.begin()?;
        let mut out = Vec::with_capacity(events.len());
        for (ts, e) in events {
            out.push(self.append_in(&tx, &format_ts(ts), e, false)?);
        }
        if let Some(last) = out.last() {
            self.write_tail(&tx, last.seq, &last.hash)?;
        }
        tx.commit().map_err(|e| self.db(e))?;
        Ok(out)
    }

    /// The head as stored in `events` (not the tail marker): (seq, hash), or
    /// (0, zeros) for an empty journal.
    pub(crate) fn head_in(&self, conn: &Connection) -> Result<(u64, [u8; 32])> {
        let row: Option<(i64, Vec<u8>)> = conn
            .prepare_cached(
                "SELECT seq, hash FROM events WHERE terminal_id = ?1 ORDER BY seq DESC LIMIT 1",
            )
            .and_then(|mut s| {
                s.query_row([&self.terminal_id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(|e| self.db(e))?;
        match row {
            None => Ok((0, GENESIS_PREV_HASH)),
            Some((seq, hash)) => {
                let seq = to_u64(seq);
                let hash = chain::hash32(&hash).ok_or_else(|| JournalError::BadStoredEvent {
                    seq,
                    detail: format!("hash is {} bytes, not 32", hash.len()),
                })?;
                Ok((seq, hash))
            }
        }
    }

    /// The last recorded (seq, hash); (0, 32 zero bytes) if empty.
    pub fn head(&self) -> Result<(u64, [u8; 32])> {
        self.head_in(&self.conn)
    }

    /// Inserts the record and its projections inside `tx` (the caller then
    /// moves the tail marker with `write_tail`).
    /// `sign_record`: sign this row's hash into its `signature` column (closings).
    /// A signed closing is final: nothing may be added to the day (or month,
    /// or year) it covers, or the signed totals would no longer match.
    fn refuse_if_closed(&self, tx: &Connection, day: chrono::NaiveDate) -> Result<()> {
        use chrono::Datelike;
        let periods = [
            ("day", day.to_string()),
            ("month", format!("{:04}-{:02}", day.year(), day.month())),
            ("year", format!("{:04}", day.year())),
        ];
        let mut st = tx
            .prepare_cached("SELECT seq FROM closings WHERE kind = ?1 AND period = ?2")
            .map_err(|e| self.db(e))?;
        for (kind, period) in periods {
            let found: Option<i64> = st
                .query_row(params![kind, period], |r| r.get(0))
                .optional()
                .map_err(|e| self.db(e))?;
            if let Some(seq) = found {
                return Err(JournalError::AlreadyClosed {
                    kind,
                    period,
                    seq: to_u64(seq),
                });
            }
        }
        Ok(())
    }

    pub(crate) fn append_in(
        &self,
        tx: &Connection,
        ts: &str,
        event: &Event,
        sign_record: bool,
    ) -> Result<Appended> {
        let key = self.signing_key("append")?;
        let (head_seq, prev_hash) = self.head_in(tx)?;
        let seq = head_seq + 1;
        let kind = event.kind();
        let payload = event.payload();
        let fields = RecordFields {
            terminal_id: &self.terminal_id,
            seq,
            ts,
            kind,
            payload: &payload,
        };
        let hash = chain::record_hash(&prev_hash, &fields)
            .map_err(|e| JournalError::InvalidEvent(format!("{} is longer than 4 GiB", e.0)))?;
        let signature = sign_record.then(|| key.sign(&hash).to_bytes().to_vec());
        let db = |e| self.db(e);
        let fx = projections::effects(event);
        if let Some((day, _)) = &fx.day {
            self.refuse_if_closed(tx, *day)?;
        }
        tx.prepare_cached(
            "INSERT INTO events (terminal_id, seq, ts, kind, payload, prev_hash, hash, signature)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .and_then(|mut s| {
            s.execute(params![
                self.terminal_id,
                to_i64(seq),
                ts,
                kind,
                payload,
                &prev_hash[..],
                &hash[..],
                signature
            ])
        })
        .map_err(db)?;
        projections::apply(tx, to_i64(seq), &fx).map_err(db)?;
        Ok(Appended {
            seq,
            hash,
            signature,
        })
    }

    /// Moves the signed tail marker to (seq, hash), inside the caller's transaction.
    pub(crate) fn write_tail(&self, tx: &Connection, seq: u64, hash: &[u8; 32]) -> Result<()> {
        let key = self.signing_key("append")?;
        let msg = chain::tail_message(&self.terminal_id, seq, hash)
            .map_err(|e| JournalError::InvalidEvent(format!("{} is longer than 4 GiB", e.0)))?;
        let tail_sig = key.sign(&msg).to_bytes();
        tx.prepare_cached(
            "INSERT INTO tail (terminal_id, seq, hash, signature) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (terminal_id) DO UPDATE SET
                 seq = excluded.seq, hash = excluded.hash, signature = excluded.signature",
        )
        .and_then(|mut s| {
            s.execute(params![
                self.terminal_id,
                to_i64(seq),
                &hash[..],
                &tail_sig[..]
            ])
        })
        .map(|_| ())
        .map_err(|e| self.db(e))
    }

    /// The signed tail marker as of the last commit: (seq, hash, Ed25519
    /// signature over [`chain::tail_message`]); `None` for an empty journal.
    /// The sync daemon sends it with each batch so head office can tell
    /// that the newest events it holds were signed by this terminal.
    pub fn tail_marker(&self) -> Result<Option<(u64, [u8; 32], Vec<u8>)>> {
        let row: Option<(i64, Vec<u8>, Vec<u8>)> = self
            .conn
            .prepare_cached("SELECT seq, hash, signature FROM tail WHERE terminal_id = ?1")
            .and_then(|mut s| {
                s.query_row([&self.terminal_id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()
            })
            .map_err(|e| self.db(e))?;
        let Some((seq, hash, sig)) = row else {
            return Ok(None);
        };
        let seq = to_u64(seq);
        let hash = chain::hash32(&hash).ok_or_else(|| JournalError::BadStoredEvent {
            seq,
            detail: format!("tail marker hash is {} bytes, not 32", hash.len()),
        })?;
        Ok(Some((seq, hash, sig)))
    }

    /// The next receipt number: sale, cancellation and refund records so far + 1
    /// (training included), read from a counter, O(1).
    pub fn next_sale_no(&self) -> Result<u64> {
        let n: Option<String> = self
            .conn
            .prepare_cached("SELECT amount FROM perpetual WHERE key = ?1")
            .and_then(|mut s| {
                s.query_row([projections::P_SALE_RECORDS], |r| r.get(0))
                    .optional()
            })
            .map_err(|e| self.db(e))?;
        let n: u64 = match n {
            None => 0,
            Some(s) => s.parse().map_err(|_| JournalError::Corrupt {
                path: self.path.clone(),
                detail: format!("sale record counter holds {s:?}"),
            })?,
        };
        Ok(n + 1)
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
        // The by-item index is rebuilt once, sorted, after the ledger is
        // refilled: maintaining it row by row costs a random b-tree walk each.
        tx.execute_batch("DROP INDEX IF EXISTS stock_ledger_item")
            .map_err(db)?;
        {
            let mut st = tx
                .prepare(
                    "SELECT seq, kind, payload FROM events WHERE terminal_id = ?1 ORDER BY seq",
                )
                .map_err(db)?;
            let mut ledger = tx
                .prepare(
                    "INSERT INTO stock_ledger (seq, idx, item_id, delta, reason) \
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
        tx.execute_batch("CREATE INDEX stock_ledger_item ON stock_ledger (item_id)")
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
