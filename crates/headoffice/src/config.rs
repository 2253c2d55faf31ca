//! `headoffice.toml`: every field optional, command-line flags win. Unknown
//! keys are refused, and every number is checked against its range, so a
//! typo or an absurd value stops the start with a message naming the key.

use crate::http::Limits;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on, e.g. "127.0.0.1:8080".
    pub listen: Option<String>,
    /// `sqlite:PATH` or `postgres://...`.
    pub db: Option<String>,
    /// A file holding an owner token (reads reports, feed and metrics).
    pub admin_token_file: Option<PathBuf>,
    /// Reports, feed and metrics answer without a credential. Off by
    /// default; only for a server on a private network.
    pub public_reports: Option<bool>,
    /// Largest request body, bytes.
    pub max_body_bytes: Option<i64>,
    /// Most events per batch.
    pub max_batch_events: Option<i64>,
    /// Seconds a client has to send a request's headers.
    pub header_read_timeout_seconds: Option<i64>,
    /// Seconds a connection may stay silent while head office waits on it.
    pub idle_timeout_seconds: Option<i64>,
    /// Most connections served at once.
    pub max_connections: Option<i64>,
    /// The back office (`[backoffice]`).
    pub backoffice: Option<BackOfficeConfig>,
}

/// `[backoffice]`: sessions and the login limit.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackOfficeConfig {
    /// Minutes without a request after which a session ends (default 30).
    pub idle_minutes: Option<i64>,
    /// Hours after the login at which a session ends, used or not (default 12).
    pub absolute_hours: Option<i64>,
    /// The session cookie is `Secure`: set it when people reach head office
    /// over HTTPS (a reverse proxy terminating TLS). Default false.
    pub secure_cookie: Option<bool>,
    /// Failed logins of one account or one address that lock it (default 5)...
    pub login_max_failures: Option<i64>,
    /// ...within this many minutes, and for as long (default 15).
    pub login_lock_minutes: Option<i64>,
}

/// Reading the configuration failed.
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
    #[error("{path}: {key} = {value} is out of range: use {min} to {max}")]
    Range {
        path: PathBuf,
        key: &'static str,
        value: i64,
        min: i64,
        max: i64,
    },
}

/// (key, min, max) of every numeric key.
pub const RANGES: &[(&str, i64, i64)] = &[
    ("max_body_bytes", 1024, 1 << 30),
    ("max_batch_events", 1, 100_000),
    ("header_read_timeout_seconds", 1, 300),
    ("idle_timeout_seconds", 1, 3600),
    ("max_connections", 1, 100_000),
    ("backoffice.idle_minutes", 1, 1440),
    ("backoffice.absolute_hours", 1, 168),
    ("backoffice.login_max_failures", 1, 100),
    ("backoffice.login_lock_minutes", 1, 1440),
];

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(path, &text)
    }

    /// Parses and checks the text of the file at `path` (named in errors).
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let c: Config = toml::from_str(text).map_err(|source| ConfigError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        for (key, value) in c.numbers() {
            let Some(v) = value else { continue };
            let (_, min, max) = RANGES
                .iter()
                .copied()
                .find(|(k, _, _)| *k == key)
                .unwrap_or((key, i64::MIN, i64::MAX));
            if !(min..=max).contains(&v) {
                return Err(ConfigError::Range {
                    path: path.to_path_buf(),
                    key,
                    value: v,
                    min,
                    max,
                });
            }
        }
        Ok(c)
    }

    fn numbers(&self) -> [(&'static str, Option<i64>); 9] {
        let bo = self.backoffice.clone().unwrap_or_default();
        [
            ("max_body_bytes", self.max_body_bytes),
            ("max_batch_events", self.max_batch_events),
            (
                "header_read_timeout_seconds",
                self.header_read_timeout_seconds,
            ),
            ("idle_timeout_seconds", self.idle_timeout_seconds),
            ("max_connections", self.max_connections),
            ("backoffice.idle_minutes", bo.idle_minutes),
            ("backoffice.absolute_hours", bo.absolute_hours),
            ("backoffice.login_max_failures", bo.login_max_failures),
            ("backoffice.login_lock_minutes", bo.login_lock_minutes),
        ]
    }

    /// The HTTP limits: the file's values (checked by [`Config::parse`]),
    /// the defaults elsewhere.
    pub fn limits(&self) -> Limits {
        let d = Limits::default();
        let n = |v: Option<i64>, default: usize| {
            v.and_then(|v| usize::try_from(v).ok()).unwrap_or(default)
        };
        let secs = |v: Option<i64>, default: Duration| {
            v.and_then(|v| u64::try_from(v).ok())
                .map(Duration::from_secs)
                .unwrap_or(default)
        };
        Limits {
            max_body_bytes: n(self.max_body_bytes, d.max_body_bytes),
            max_batch_events: n(self.max_batch_events, d.max_batch_events),
            header_read_timeout: secs(self.header_read_timeout_seconds, d.header_read_timeout),
            idle_timeout: secs(self.idle_timeout_seconds, d.idle_timeout),
            max_connections: n(self.max_connections, d.max_connections),
        }
    }
}

impl Config {
    /// The back office's settings: the file's values (checked by
    /// [`Config::parse`]), the defaults elsewhere.
    pub fn backoffice(&self) -> crate::web::BackOffice {
        let d = crate::web::BackOffice::default();
        let bo = self.backoffice.clone().unwrap_or_default();
        let secs = |v: Option<i64>, unit: u64, default: Duration| {
            v.and_then(|v| u64::try_from(v).ok())
                .map(|v| Duration::from_secs(v * unit))
                .unwrap_or(default)
        };
        crate::web::BackOffice {
            idle: secs(bo.idle_minutes, 60, d.idle),
            absolute: secs(bo.absolute_hours, 3600, d.absolute),
            secure_cookie: bo.secure_cookie.unwrap_or(d.secure_cookie),
            max_failures: bo
                .login_max_failures
                .and_then(|v| u64::try_from(v).ok())
                .unwrap_or(d.max_failures),
            lock: secs(bo.login_lock_minutes, 60, d.lock),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_config_parses() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/headoffice.toml");
        let c = Config::load(&p).expect("config/headoffice.toml");
        assert_eq!(c.listen.as_deref(), Some("127.0.0.1:8080"));
        assert!(c.db.as_deref().is_some_and(|d| d.starts_with("sqlite:")));
        // Its numbers are the defaults the code uses.
        let (l, d) = (c.limits(), Limits::default());
        assert_eq!(l.max_body_bytes, d.max_body_bytes);
        assert_eq!(l.max_connections, d.max_connections);
        assert_eq!(l.header_read_timeout, d.header_read_timeout);
        assert_eq!(l.idle_timeout, d.idle_timeout);
        assert_eq!(c.public_reports, Some(false));
        let (b, d) = (c.backoffice(), crate::web::BackOffice::default());
        assert_eq!((b.idle, b.absolute, b.lock), (d.idle, d.absolute, d.lock));
        assert_eq!((b.max_failures, b.secure_cookie), (d.max_failures, false));
        let set = Config::parse(
            Path::new("h.toml"),
            "[backoffice]\nidle_minutes = 5\nsecure_cookie = true\n",
        )
        .expect("backoffice")
        .backoffice();
        assert_eq!(set.idle, Duration::from_secs(300));
        assert!(set.secure_cookie);
        let e = Config::parse(Path::new("h.toml"), "[backoffice]\nidle = 5\n")
            .expect_err("unknown key")
            .to_string();
        assert!(e.contains("idle"), "{e}");
    }

    #[test]
    fn every_number_is_checked_and_unknown_keys_refused() {
        let p = Path::new("headoffice.toml");
        for (key, min, max) in RANGES {
            for bad in [min - 1, max + 1, -1, i64::MAX] {
                if (*min..=*max).contains(&bad) {
                    continue;
                }
                let e = Config::parse(p, &format!("{key} = {bad}"))
                    .expect_err("out of range")
                    .to_string();
                assert!(
                    e.contains(key) && e.contains(&format!("{min} to {max}")),
                    "{e}"
                );
            }
            assert!(Config::parse(p, &format!("{key} = {min}")).is_ok());
            // A float is not a count of seconds or bytes.
            let e = Config::parse(p, &format!("{key} = 1e300"))
                .expect_err("float")
                .to_string();
            assert!(e.contains(key), "{e}");
        }
        let e = Config::parse(p, "max_conections = 5")
            .expect_err("typo")
            .to_string();
        assert!(e.contains("max_conections"), "{e}");
    }
}
