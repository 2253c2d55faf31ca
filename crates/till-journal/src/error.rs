//! Typed errors. Every way the disk, the file or the caller's input can fail has
//! its own variant with a message a technician can act on; nothing here panics.

use std::path::PathBuf;

/// Everything the journal can fail with.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The file was written by a newer till: we must not guess at its meaning.
    #[error("journal schema version {found} is newer than this till understands ({supported}): upgrade the till software")]
    NewerSchema { found: i64, supported: i64 },

    /// The file exists but is not an SQLite database (or its header is destroyed).
    #[error(
        "{path} is not a journal database (file is not an SQLite database or is damaged): {detail}"
    )]
    NotADatabase { path: PathBuf, detail: String },

    /// SQLite found damaged pages while reading or writing.
    #[error("journal database {path} is corrupt: {detail}")]
    Corrupt { path: PathBuf, detail: String },

    /// The file or its directory cannot be written (permissions, read-only mount).
    #[error("journal database {path} cannot be written (read-only file, directory or filesystem): {detail}")]
    ReadOnly { path: PathBuf, detail: String },

    /// The file or directory cannot be opened at all.
    #[error("cannot open journal database {path}: {detail}")]
    CannotOpen { path: PathBuf, detail: String },

    /// The disk (or the database's size limit) is full. The failed append was
    /// rolled back entirely; everything committed before is intact.
    #[error("disk full while writing the journal {path}: nothing of this operation was recorded ({detail})")]
    DiskFull { path: PathBuf, detail: String },

    /// The operating system reported an I/O error (failing disk, unplugged
    /// storage). The transaction in progress was not committed.
    #[error("I/O error on the journal {path} (failing or removed storage?): {detail}")]
    DiskIo { path: PathBuf, detail: String },

    /// Another process held the write lock for longer than the busy timeout.
    #[error("journal database {path} is locked by another process: {detail}")]
    Busy { path: PathBuf, detail: String },

    /// This journal was opened read-only (for verification or reports).
    #[error("journal was opened read-only: cannot {0}")]
    OpenedReadOnly(&'static str),

    /// Any other SQLite failure, with its message.
    #[error("journal database error on {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    #[error("signing key file {path}: {source}")]
    KeyIo {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A private key readable by group or others is refused: anyone could sign.
    #[error("signing key file {path} has mode {mode:o}: it must be readable by its owner only (chmod 600)")]
    KeyPermissions { path: PathBuf, mode: u32 },

    #[error("signing key file {path} is not a valid key: {detail}")]
    KeyInvalid { path: PathBuf, detail: String },

    /// The journal already has records but its signing key is gone: creating a
    /// new key would make every later signature unverifiable.
    #[error("signing key file {path} is missing but the journal already exists: restore the key file (a new key would not match the journal)")]
    KeyMissing { path: PathBuf },

    /// The PIN pepper is gone while PIN hashes depend on it: a new one would
    /// make every such PIN fail.
    #[error("PIN pepper file {path} is missing but PINs were hashed with it: restore it from the backup of the signing key (or have a manager set new PINs after restoring it)")]
    PepperMissing { path: PathBuf },

    #[error("signing key file {path} does not match this journal (journal public key {journal}, key file public key {file})")]
    KeyMismatch {
        path: PathBuf,
        journal: String,
        file: String,
    },

    #[error("this journal belongs to terminal {found:?}, not {expected:?}")]
    TerminalMismatch { expected: String, found: String },

    /// The database has tables but no genesis record or metadata.
    #[error("journal {path} is not initialised: {detail}")]
    NotInitialised { path: PathBuf, detail: String },

    /// The caller asked to record something the journal refuses.
    #[error("event refused: {0}")]
    InvalidEvent(String),

    #[error("stored event seq {seq} cannot be read: {detail}")]
    BadStoredEvent { seq: u64, detail: String },

    #[error("{kind} closing period {period:?} is not valid: expected {expected}")]
    InvalidPeriod {
        kind: &'static str,
        period: String,
        expected: &'static str,
    },

    #[error("{kind} {period} is closed (signed closing at seq {seq}): nothing more can be recorded in it, nor closed again")]
    AlreadyClosed {
        kind: &'static str,
        period: String,
        seq: u64,
    },

    #[error("{kind} {period} is not closed (no signed {kind} closing): only a closed period can be archived")]
    PeriodOpen { kind: &'static str, period: String },

    #[error("only a month or a year can be archived, not a {0}")]
    ArchivePeriodKind(&'static str),

    #[error("writing the archive: {0}")]
    Archive(#[from] comptoir_chain::archive::ArchiveError),

    #[error("sync cursor cannot move backwards (acked {current}, asked {requested})")]
    CursorBackwards { current: u64, requested: u64 },

    #[error("sync cursor cannot go past the journal head (head {head}, asked {requested})")]
    CursorBeyondHead { head: u64, requested: u64 },

    #[error("record of user {id:?} cannot be (de)serialised: {source}")]
    UserRecord {
        id: String,
        #[source]
        source: serde_json::Error,
    },
}

pub type Result<T, E = JournalError> = std::result::Result<T, E>;

/// Classifies an SQLite error into the variant a technician can act on.
pub(crate) fn classify(path: &std::path::Path, e: rusqlite::Error) -> JournalError {
    use rusqlite::ErrorCode as C;
    let path = path.to_path_buf();
    if let rusqlite::Error::SqliteFailure(f, ref msg) = e {
        let detail = msg.clone().unwrap_or_else(|| f.to_string());
        return match f.code {
            C::NotADatabase => JournalError::NotADatabase { path, detail },
            C::DatabaseCorrupt => JournalError::Corrupt { path, detail },
            C::ReadOnly => JournalError::ReadOnly { path, detail },
            C::CannotOpen => JournalError::CannotOpen { path, detail },
            C::DiskFull => JournalError::DiskFull { path, detail },
            C::SystemIoFailure => JournalError::DiskIo { path, detail },
            C::DatabaseBusy | C::DatabaseLocked => JournalError::Busy { path, detail },
            _ => JournalError::Sqlite { path, source: e },
        };
    }
    JournalError::Sqlite { path, source: e }
}
