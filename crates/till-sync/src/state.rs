//! The daemon's status file (JSON beside the journal): what `status` shows,
//! and what the till's status line reads. Its type is shared with the till
//! ([`sync_proto::status::SyncStatus`]); this daemon is its only writer.

pub use sync_proto::status::SyncStatus;

/// Now, RFC 3339 UTC.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
