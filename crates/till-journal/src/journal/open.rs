//! Opening a journal: creating it (key, genesis record, mode 0600), migrating
//! an older schema, and the read-only and sync-daemon handles.

use super::{format_ts, Journal, OpenOptions};
use crate::error::{classify, JournalError, Result};
use crate::{keys, projections, schema};
use chrono::{DateTime, FixedOffset};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};
use std::time::Duration;
use till_core::records::{Event, TerminalInitialised};

/// How long a writer waits for another process's lock before giving up with
/// [`JournalError::Busy`]. The sync daemon only reads, so this is generous.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

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
}
