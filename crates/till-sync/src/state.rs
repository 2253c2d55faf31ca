//! The daemon's status file (JSON beside the journal): what `status` shows.
//! The cursor itself lives in the journal (`sync_cursor`); this file only
//! remembers when things last went right or wrong. Written atomically
//! (temporary file + rename) so a crash never leaves half a file.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// What the daemon remembers between runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
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
    #[serde(default)]
    pub journaled_catalog_version: u64,
    /// Events acknowledged by head office, in all (this daemon's count).
    pub events_pushed: u64,
}

impl SyncState {
    /// Reads the file; a missing or unreadable file is a fresh state (it only
    /// holds status, never anything that decides what is sent).
    pub fn load(path: &Path) -> SyncState {
        std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Writes the file atomically.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(format!(".tmp{}", std::process::id()));
        std::fs::write(&tmp, json)?;
        std::fs::rename(&tmp, path)
    }
}

/// Now, RFC 3339 UTC.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
