//! `headoffice.toml`: every field optional, command-line flags win.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on, e.g. "127.0.0.1:8080".
    pub listen: Option<String>,
    /// `sqlite:PATH` or `postgres://...`.
    pub db: Option<String>,
    /// A file holding the admin token (reports, feed). Absent: reports are open.
    pub admin_token_file: Option<PathBuf>,
    /// Largest request body, bytes.
    pub max_body_bytes: Option<usize>,
    /// Most events per batch.
    pub max_batch_events: Option<usize>,
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
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_path_buf(),
            source,
        })
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
        assert!(c.db.is_some_and(|d| d.starts_with("sqlite:")));
    }
}
