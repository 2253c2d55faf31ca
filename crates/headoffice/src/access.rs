//! Who may read what: reports, the ERP feed and `/metrics` answer only a
//! read credential unless `public_reports = true` says otherwise.
//!
//! A read token has one role, chosen when it is issued
//! (`headoffice token add --role ...`): `feed` reads `/v1/feed` only (the
//! ERP), `monitoring` reads `/metrics` only (Prometheus), `owner` reads
//! everything (reports, feed, metrics). None of them writes anything. Head
//! office keeps only the token's SHA-256, so a copied database reveals no
//! token; a request's token is hashed and looked up by hash, and the
//! `admin_token_file` token (an owner token kept for older configs) is
//! compared hash to hash in constant time. Terminal tokens read none of this.

use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// A read credential's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The ERP: `/v1/feed` only.
    Feed,
    /// Monitoring: `/metrics` only.
    Monitoring,
    /// The owner: every report, the feed and the metrics.
    Owner,
}

/// What a read request reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Reports,
    Feed,
    Metrics,
}

impl Role {
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Feed => "feed",
            Role::Monitoring => "monitoring",
            Role::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "feed" => Some(Role::Feed),
            "monitoring" => Some(Role::Monitoring),
            "owner" => Some(Role::Owner),
            _ => None,
        }
    }

    pub fn allows(&self, r: Resource) -> bool {
        matches!(
            (self, r),
            (Role::Owner, _) | (Role::Feed, Resource::Feed) | (Role::Monitoring, Resource::Metrics)
        )
    }
}

impl Resource {
    pub fn as_str(&self) -> &'static str {
        match self {
            Resource::Reports => "reports",
            Resource::Feed => "the feed",
            Resource::Metrics => "metrics",
        }
    }
}

/// The read side's configuration.
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// Reports, feed and metrics answer anyone (`public_reports = true`):
    /// only for a server on a private network.
    pub public_reports: bool,
    /// SHA-256 of the token in `admin_token_file`: an owner token.
    pub admin_token_sha256: Option<[u8; 32]>,
}

impl Access {
    /// Everything readable without a credential (tests, private networks).
    pub fn public() -> Access {
        Access {
            public_reports: true,
            admin_token_sha256: None,
        }
    }
}

/// Equality of two hashes in time independent of where they differ.
pub fn ct_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let mut d = 0u8;
    for (x, y) in a.iter().zip(b) {
        d |= x ^ y;
    }
    // Keeps the compiler from turning the loop into an early exit.
    std::hint::black_box(d) == 0
}

/// Writes a secret to a new file readable by its owner only (0600): a token
/// must never sit in a world-readable file, even for an instant.
pub fn write_secret_file(path: &Path, secret: &str) -> std::io::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(path)?;
    writeln!(f, "{secret}")?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_reach_what_they_should() {
        use Resource::*;
        assert!(
            Role::Owner.allows(Reports) && Role::Owner.allows(Feed) && Role::Owner.allows(Metrics)
        );
        assert!(
            Role::Feed.allows(Feed) && !Role::Feed.allows(Reports) && !Role::Feed.allows(Metrics)
        );
        assert!(Role::Monitoring.allows(Metrics) && !Role::Monitoring.allows(Feed));
        assert!(ct_eq(&[1; 32], &[1; 32]) && !ct_eq(&[1; 32], &[2; 32]));
        for r in [Role::Feed, Role::Monitoring, Role::Owner] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }
}
