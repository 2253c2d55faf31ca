//! The sync daemon's status file, the one contract between `till-sync`,
//! which writes it, and the till, which shows it on the status line: when
//! the daemon last delivered everything, and how many passes failed since.
//!
//! JSON beside the journal (`journal.db.sync-state.json` by default,
//! [`SyncStatus::default_path`]). It only remembers when things last went
//! right or wrong: the cursor itself lives in the journal (`sync_cursor`),
//! so nothing here decides what is sent. Replaced atomically
//! ([`till_journal::files::atomic_write`]): a reader never sees half a file.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The suffix added to the journal's path to name the status file.
pub const DEFAULT_SUFFIX: &str = ".sync-state.json";

/// What the daemon remembers between runs. Every field has a default, so a
/// file written by an older or newer daemon still reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SyncStatus {
    /// RFC 3339 time of the last pass that delivered everything.
    pub last_success: Option<String>,
    /// RFC 3339 time of the last failure, and what it was.
    pub last_error_at: Option<String>,
    pub last_error: Option<String>,
    /// Failures since the last success.
    pub consecutive_failures: u32,
    /// Catalog version applied locally.
    pub catalog_version: u64,
    /// Catalog version last noted in the journal (`config_changed`).
    pub journaled_catalog_version: u64,
    /// Events acknowledged by head office, in all (this daemon's count).
    pub events_pushed: u64,
}

impl SyncStatus {
    /// Where the daemon keeps it unless `sync.toml` says otherwise (`state`):
    /// the journal's path followed by [`DEFAULT_SUFFIX`].
    pub fn default_path(journal: &Path) -> PathBuf {
        let mut s = journal.as_os_str().to_owned();
        s.push(DEFAULT_SUFFIX);
        PathBuf::from(s)
    }

    /// Reads the file: `None` if it is missing or unreadable (no daemon has
    /// run yet, or the file was damaged: the status is unknown).
    pub fn read(path: &Path) -> Option<SyncStatus> {
        std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
    }

    /// Reads the file; a missing or unreadable file is a fresh status (it
    /// only holds status, never anything that decides what is sent).
    pub fn load(path: &Path) -> SyncStatus {
        SyncStatus::read(path).unwrap_or_default()
    }

    /// Replaces the file atomically and durably (mode 0600).
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        till_journal::files::atomic_write(path, &json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_status_reads_back_beside_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let path = SyncStatus::default_path(&dir.path().join("journal.db"));
        assert_eq!(path, dir.path().join("journal.db.sync-state.json"));
        assert_eq!(SyncStatus::read(&path), None);
        let s = SyncStatus {
            last_success: Some("2026-12-03T10:00:00.000Z".into()),
            consecutive_failures: 2,
            catalog_version: 7,
            events_pushed: 40,
            ..SyncStatus::default()
        };
        s.save(&path).unwrap();
        assert_eq!(SyncStatus::read(&path), Some(s));
    }

    #[test]
    fn a_file_with_fields_missing_still_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        std::fs::write(
            &path,
            r#"{"last_success":null,"last_error_at":null,"last_error":null,
                "consecutive_failures":3,"catalog_version":1,"events_pushed":0}"#,
        )
        .unwrap();
        let s = SyncStatus::read(&path).unwrap();
        assert_eq!(s.consecutive_failures, 3);
        assert_eq!(s.journaled_catalog_version, 0);
    }
}
