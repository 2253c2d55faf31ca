//! `sync.toml`: where head office is, the credential, the journal.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The daemon's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Head office base URL, e.g. "https://ho.example.fr/" (http:// for tests on loopback).
    pub head_office: String,
    /// The terminal's token (from `headoffice register-terminal`)...
    #[serde(default)]
    pub token: Option<String>,
    /// ...or a file holding it (preferred: keep it 0600).
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// The till's journal.
    pub journal: PathBuf,
    /// The journal's signing key (moving the cursor and journaling catalog
    /// updates need the read-write journal). Default: journal path + ".key".
    #[serde(default)]
    pub key: Option<PathBuf>,
    /// Status file (last success, last error). Default: journal path + ".sync-state.json".
    #[serde(default)]
    pub state: Option<PathBuf>,
    /// The till's catalog store (`till-catalog`). Default: "catalog.db" beside the journal.
    #[serde(default)]
    pub catalog: Option<PathBuf>,
    /// Most events per batch.
    #[serde(default = "d_batch_events")]
    pub batch_events: usize,
    /// Most payload bytes per batch (a batch holds at least one event).
    #[serde(default = "d_batch_bytes")]
    pub batch_bytes: usize,
    /// `run`: seconds between passes when idle (bounds how old an unsent event gets).
    #[serde(default = "d_poll")]
    pub poll_seconds: f64,
    /// First backoff step, seconds.
    #[serde(default = "d_backoff_base")]
    pub backoff_base_seconds: f64,
    /// Backoff cap, seconds.
    #[serde(default = "d_backoff_cap")]
    pub backoff_cap_seconds: f64,
    /// HTTP request timeout, seconds.
    #[serde(default = "d_timeout")]
    pub request_timeout_seconds: f64,
    /// `once`: attempts on transient failures before giving up.
    #[serde(default = "d_attempts")]
    pub once_attempts: u32,
    /// Pull catalog changes (default true).
    #[serde(default = "d_true")]
    pub pull_catalog: bool,
    /// `run`: seconds between catalog pulls.
    #[serde(default = "d_catalog")]
    pub catalog_seconds: f64,
}

fn d_catalog() -> f64 {
    60.0
}

fn d_batch_events() -> usize {
    2000
}
fn d_batch_bytes() -> usize {
    4 * 1024 * 1024
}
fn d_poll() -> f64 {
    2.0
}
fn d_backoff_base() -> f64 {
    0.5
}
fn d_backoff_cap() -> f64 {
    60.0
}
fn d_timeout() -> f64 {
    30.0
}
fn d_attempts() -> u32 {
    4
}
fn d_true() -> bool {
    true
}

/// The configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Longer than any wait these settings can usefully mean.
const LONGEST_WAIT: Duration = Duration::from_secs(366 * 24 * 3600);

fn secs(v: f64) -> Duration {
    // `from_secs_f64` panics past u64::MAX seconds (1e300 in sync.toml), and
    // `Instant::now() + d` panics long before that.
    Duration::try_from_secs_f64(if v.is_finite() && v > 0.0 { v } else { 0.0 })
        .map_or(LONGEST_WAIT, |d| d.min(LONGEST_WAIT))
}

impl Config {
    /// A configuration with defaults for everything but the essentials.
    pub fn new(head_office: &str, token: &str, journal: &Path) -> Config {
        Config {
            head_office: head_office.to_string(),
            token: Some(token.to_string()),
            token_file: None,
            journal: journal.to_path_buf(),
            key: None,
            state: None,
            catalog: None,
            batch_events: d_batch_events(),
            batch_bytes: d_batch_bytes(),
            poll_seconds: d_poll(),
            backoff_base_seconds: d_backoff_base(),
            backoff_cap_seconds: d_backoff_cap(),
            request_timeout_seconds: d_timeout(),
            once_attempts: d_attempts(),
            pull_catalog: true,
            catalog_seconds: d_catalog(),
        }
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let c: Config = toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        if c.batch_events == 0 {
            return Err(ConfigError::Invalid(
                "batch_events must be at least 1".into(),
            ));
        }
        Ok(c)
    }

    /// The token, from `token` or `token_file`.
    pub fn token(&self) -> Result<String, ConfigError> {
        if let Some(t) = &self.token {
            return Ok(t.trim().to_string());
        }
        let Some(p) = &self.token_file else {
            return Err(ConfigError::Invalid("set token or token_file".into()));
        };
        std::fs::read_to_string(p)
            .map(|t| t.trim().to_string())
            .map_err(|source| ConfigError::Read {
                path: p.clone(),
                source,
            })
    }

    pub fn key_path(&self) -> PathBuf {
        self.key
            .clone()
            .unwrap_or_else(|| with_suffix(&self.journal, ".key"))
    }
    pub fn state_path(&self) -> PathBuf {
        self.state
            .clone()
            .unwrap_or_else(|| with_suffix(&self.journal, ".sync-state.json"))
    }
    pub fn catalog_path(&self) -> PathBuf {
        self.catalog.clone().unwrap_or_else(|| {
            self.journal
                .parent()
                .map(|d| d.join("catalog.db"))
                .unwrap_or_else(|| PathBuf::from("catalog.db"))
        })
    }
    pub fn poll(&self) -> Duration {
        secs(self.poll_seconds)
    }
    pub fn backoff_base(&self) -> Duration {
        secs(self.backoff_base_seconds)
    }
    pub fn backoff_cap(&self) -> Duration {
        secs(self.backoff_cap_seconds)
    }
    pub fn catalog_every(&self) -> Duration {
        secs(self.catalog_seconds)
    }
    pub fn request_timeout(&self) -> Duration {
        secs(self.request_timeout_seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_config_parses() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/sync.toml");
        let c = Config::load(&p).expect("config/sync.toml");
        assert_eq!(c.batch_events, 2000);
        assert_eq!(
            c.key_path(),
            PathBuf::from("/var/lib/comptoir/journal.db.key")
        );
        assert_eq!(
            c.state_path(),
            PathBuf::from("/var/lib/comptoir/journal.db.sync-state.json")
        );
        assert_eq!(
            c.catalog_path(),
            PathBuf::from("/var/lib/comptoir/catalog.db")
        );
    }
}
