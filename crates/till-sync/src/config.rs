//! `sync.toml`: where head office is, the credential, the journal.

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::fmt;
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
    /// Status file (last success, last error). Default: journal path + ".sync-state.json",
    /// where the till's status line looks for it.
    #[serde(default)]
    pub state: Option<PathBuf>,
    /// The till's catalog store (`till-catalog`). Default: "catalog.db" beside the journal.
    #[serde(default)]
    pub catalog: Option<PathBuf>,
    /// Most events per batch.
    #[serde(default = "d_batch_events", deserialize_with = "de_batch_events")]
    pub batch_events: usize,
    /// Most payload bytes per batch (a batch holds at least one event).
    #[serde(default = "d_batch_bytes", deserialize_with = "de_batch_bytes")]
    pub batch_bytes: usize,
    /// `run`: seconds between passes when idle (bounds how old an unsent event gets).
    #[serde(default = "d_poll", deserialize_with = "de_poll")]
    pub poll_seconds: f64,
    /// First backoff step, seconds.
    #[serde(default = "d_backoff_base", deserialize_with = "de_backoff_base")]
    pub backoff_base_seconds: f64,
    /// Backoff cap, seconds.
    #[serde(default = "d_backoff_cap", deserialize_with = "de_backoff_cap")]
    pub backoff_cap_seconds: f64,
    /// HTTP request timeout, seconds.
    #[serde(default = "d_timeout", deserialize_with = "de_timeout")]
    pub request_timeout_seconds: f64,
    /// `once`: attempts on transient failures before giving up.
    #[serde(default = "d_attempts", deserialize_with = "de_attempts")]
    pub once_attempts: u32,
    /// Pull catalog changes (default true).
    #[serde(default = "d_true")]
    pub pull_catalog: bool,
    /// `run`: seconds between catalog pulls.
    #[serde(default = "d_catalog", deserialize_with = "de_catalog")]
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
///
/// Each message is whole: the underlying error is part of it, not a
/// `source()` a caller's error chain would print a second time.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading {}: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}: {error}", path.display())]
    Parse {
        path: PathBuf,
        error: toml::de::Error,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("{key} = {value} is refused: {allowed}")]
    OutOfRange {
        key: &'static str,
        value: String,
        allowed: String,
    },
    #[error("{}: {error}", path.display())]
    InFile {
        path: PathBuf,
        error: Box<ConfigError>,
    },
}

/// A numeric key's allowed values, bounds included. Checked while the file
/// is read (so toml's message shows the line) and again by
/// [`Config::validate`] for a Config built in code.
struct Range {
    key: &'static str,
    lo: f64,
    hi: f64,
    whole: bool,
}

const fn range(key: &'static str, lo: f64, hi: f64, whole: bool) -> Range {
    Range { key, lo, hi, whole }
}

const BATCH_EVENTS: Range = range("batch_events", 1.0, 1e6, true);
const BATCH_BYTES: Range = range("batch_bytes", 1.0, 1073741824.0, true);
const ONCE_ATTEMPTS: Range = range("once_attempts", 1.0, 1000.0, true);
// Zero would make `run` spin on head office, or every request time out.
const POLL: Range = range("poll_seconds", 0.01, 3600.0, false);
const BACKOFF_BASE: Range = range("backoff_base_seconds", 0.001, 3600.0, false);
const BACKOFF_CAP: Range = range("backoff_cap_seconds", 0.001, 86_400.0, false);
const TIMEOUT: Range = range("request_timeout_seconds", 0.1, 3600.0, false);
const CATALOG: Range = range("catalog_seconds", 0.1, 86_400.0, false);

impl Range {
    fn allowed(&self) -> String {
        let what = if self.whole {
            "a whole number"
        } else {
            "a number of seconds"
        };
        format!("{what} from {} to {}", self.lo, self.hi)
    }

    /// NaN fails both comparisons, so it is refused too.
    fn check(&self, v: f64) -> Result<f64, ConfigError> {
        if v >= self.lo && v <= self.hi && (!self.whole || v.fract() == 0.0) {
            return Ok(v);
        }
        let value = if v.is_finite() && v.abs() >= 1e15 {
            format!("{v:e}")
        } else {
            v.to_string()
        };
        Err(ConfigError::OutOfRange {
            key: self.key,
            value,
            allowed: self.allowed(),
        })
    }

    fn read<'de, D: Deserializer<'de>>(&'static self, d: D) -> Result<f64, D::Error> {
        d.deserialize_any(Read(self))
    }
}

/// Reads any TOML number into a [`Range`]; anything else is refused in the
/// range's words (not a Rust type name).
struct Read(&'static Range);

impl Visitor<'_> for Read {
    type Value = f64;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0.allowed())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        self.0.check(v as f64).map_err(E::custom)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        self.0.check(v as f64).map_err(E::custom)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        self.0.check(v).map_err(E::custom)
    }
}

// In range, so the casts are exact.
fn de_batch_events<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    BATCH_EVENTS.read(d).map(|v| v as usize)
}
fn de_batch_bytes<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    BATCH_BYTES.read(d).map(|v| v as usize)
}
fn de_attempts<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    ONCE_ATTEMPTS.read(d).map(|v| v as u32)
}
fn de_poll<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    POLL.read(d)
}
fn de_backoff_base<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    BACKOFF_BASE.read(d)
}
fn de_backoff_cap<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    BACKOFF_CAP.read(d)
}
fn de_timeout<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    TIMEOUT.read(d)
}
fn de_catalog<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    CATALOG.read(d)
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Longer than any wait these settings can usefully mean.
const LONGEST_WAIT: Duration = Duration::from_secs(366 * 24 * 3600);

/// `v` seconds; never panics. Out-of-range values are refused by
/// [`Config::validate`]; this only guards a Config built in code, since
/// `from_secs_f64` panics past u64::MAX seconds and `Instant::now() + d` long before.
fn secs(v: f64) -> Duration {
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
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        let c: Config = toml::from_str(&text).map_err(|error| ConfigError::Parse {
            path: path.to_path_buf(),
            error,
        })?;
        c.validate().map_err(|e| ConfigError::InFile {
            path: path.to_path_buf(),
            error: Box::new(e),
        })?;
        Ok(c)
    }

    /// Refuses numbers that are negative, not a number, infinite, zero
    /// where zero means nothing, or absurdly large, naming the key and its
    /// range. A duration of 1e300 s would otherwise panic when converted.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(self.head_office.starts_with("http://") || self.head_office.starts_with("https://")) {
            return Err(ConfigError::Invalid(format!(
                "head_office = {:?}: give the URL with its scheme, e.g. \"https://headoffice.example.fr/\"",
                self.head_office
            )));
        }
        let numbers = [
            (&POLL, self.poll_seconds),
            (&BACKOFF_BASE, self.backoff_base_seconds),
            (&BACKOFF_CAP, self.backoff_cap_seconds),
            (&TIMEOUT, self.request_timeout_seconds),
            (&CATALOG, self.catalog_seconds),
            (&BATCH_EVENTS, self.batch_events as f64),
            (&BATCH_BYTES, self.batch_bytes as f64),
            (&ONCE_ATTEMPTS, f64::from(self.once_attempts)),
        ];
        for (range, v) in numbers {
            range.check(v)?;
        }
        if self.backoff_cap_seconds < self.backoff_base_seconds {
            return Err(ConfigError::OutOfRange {
                key: BACKOFF_CAP.key,
                value: self.backoff_cap_seconds.to_string(),
                allowed: format!(
                    "at least backoff_base_seconds ({})",
                    self.backoff_base_seconds
                ),
            });
        }
        Ok(())
    }

    /// The token, from `token` or `token_file`.
    pub fn token(&self) -> Result<String, ConfigError> {
        if let Some(t) = &self.token {
            return Ok(t.trim().to_string());
        }
        let Some(p) = &self.token_file else {
            return Err(ConfigError::Invalid("set token or token_file".into()));
        };
        let t = std::fs::read_to_string(p)
            .map(|t| t.trim().to_string())
            .map_err(|error| ConfigError::Read {
                path: p.clone(),
                error,
            })?;
        if t.is_empty() {
            return Err(ConfigError::Invalid(format!(
                "{} is empty: put the token `headoffice register-terminal` printed for this till in it",
                p.display()
            )));
        }
        Ok(t)
    }

    pub fn key_path(&self) -> PathBuf {
        self.key
            .clone()
            .unwrap_or_else(|| with_suffix(&self.journal, ".key"))
    }
    pub fn state_path(&self) -> PathBuf {
        self.state
            .clone()
            .unwrap_or_else(|| sync_proto::status::SyncStatus::default_path(&self.journal))
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

    /// A Config built in code (the bench, a test) is checked by
    /// `Syncer::open` the same way as a file: no panic on 1e300 seconds.
    #[test]
    fn a_config_built_in_code_is_checked_too() {
        let ok = Config::new("http://127.0.0.1:9", "t", Path::new("j.db"));
        assert!(ok.validate().is_ok());
        let mut c = ok.clone();
        c.request_timeout_seconds = 1e300;
        let e = c.validate().map(|_| ()).unwrap_err().to_string();
        assert_eq!(
            e,
            "request_timeout_seconds = 1e300 is refused: a number of seconds from 0.1 to 3600"
        );
        let mut c = ok.clone();
        c.batch_events = 0;
        assert!(c.validate().is_err());
        let mut c = ok;
        c.head_office = "headoffice.example.fr".into();
        assert!(c.validate().is_err());
    }

    /// A typo is refused, naming the key and the keys accepted; so is a
    /// table, as the file has none.
    #[test]
    fn an_unknown_key_or_table_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sync.toml");
        let base = "head_office = \"http://127.0.0.1:9\"\njournal = \"j.db\"\n";
        std::fs::write(&p, format!("{base}batch_event = 10\n")).unwrap();
        let e = Config::load(&p).map(|_| ()).unwrap_err().to_string();
        assert!(e.contains("sync.toml"), "{e}");
        assert!(e.contains("unknown field `batch_event`"), "{e}");
        assert!(
            e.contains("`batch_events`") && e.contains("`head_office`"),
            "{e}"
        );
        std::fs::write(&p, format!("{base}[sync]\npoll_seconds = 1.0\n")).unwrap();
        let e = Config::load(&p).map(|_| ()).unwrap_err().to_string();
        assert!(e.contains("unknown field `sync`"), "{e}");
        std::fs::write(&p, base).unwrap();
        assert!(Config::load(&p).is_ok());
    }

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
