//! The rules of back-office sessions and logins, without I/O or clock: every
//! function takes `now` (unix seconds), so the tests set the time.

use sha2::{Digest, Sha256};
use std::time::Duration;

/// The session cookie's name.
pub const COOKIE: &str = "comptoir_session";
/// The language cookie's name (`fr` or `en`).
pub const LANG_COOKIE: &str = "comptoir_lang";

/// Shortest and longest password accepted (characters).
pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 256;
/// Longest e-mail address accepted (RFC 5321's path limit).
pub const EMAIL_MAX: usize = 254;

/// The back office's settings (`[backoffice]` of headoffice.toml).
#[derive(Debug, Clone)]
pub struct BackOffice {
    /// A session unused for this long ends.
    pub idle: Duration,
    /// A session ends this long after the login, used or not.
    pub absolute: Duration,
    /// The cookie carries `Secure`: head office is reached over TLS (behind
    /// a reverse proxy that terminates it).
    pub secure_cookie: bool,
    /// This many failed logins of one account, or from one address, within
    /// `lock` lock that key until the oldest of them is `lock` old.
    pub max_failures: u64,
    pub lock: Duration,
}

impl Default for BackOffice {
    fn default() -> Self {
        BackOffice {
            idle: Duration::from_secs(30 * 60),
            absolute: Duration::from_secs(12 * 3600),
            secure_cookie: false,
            max_failures: 5,
            lock: Duration::from_secs(15 * 60),
        }
    }
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// What to do with a stored session at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionCheck {
    /// Valid; `touch`: write `now` as its last use (done at most every
    /// tenth of the idle time, a minute at most, to spare a write per page).
    Valid { touch: bool },
    /// Ended: idle too long or too old. The caller deletes it.
    Expired,
}

impl BackOffice {
    /// Checks a session created at `created` and last used at `last_seen`.
    pub fn check(&self, created: i64, last_seen: i64, now: i64) -> SessionCheck {
        let idle = now.saturating_sub(last_seen);
        let age = now.saturating_sub(created);
        if idle > secs(self.idle) || age > secs(self.absolute) {
            return SessionCheck::Expired;
        }
        let every = (secs(self.idle) / 10).min(60);
        SessionCheck::Valid {
            touch: idle >= every,
        }
    }

    /// (idle_before, created_before): sessions older than these have ended.
    pub fn expired_before(&self, now: i64) -> (i64, i64) {
        (
            now.saturating_sub(secs(self.idle)),
            now.saturating_sub(secs(self.absolute)),
        )
    }

    /// Failures counted are those at or after this.
    pub fn failures_since(&self, now: i64) -> i64 {
        now.saturating_sub(secs(self.lock))
    }

    /// Whether a key with `failures` recent failures is locked.
    pub fn locked(&self, failures: u64) -> bool {
        failures >= self.max_failures
    }

    /// Minutes a locked person is told to wait (the whole lock: the oldest
    /// failure's age is not told, it would help nobody but an attacker).
    pub fn lock_minutes(&self) -> u64 {
        self.lock.as_secs().div_ceil(60)
    }

    /// The `Set-Cookie` value that opens a session with `token`.
    pub fn set_cookie(&self, token: &str) -> String {
        format!(
            "{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
            self.absolute.as_secs(),
            if self.secure_cookie { "; Secure" } else { "" }
        )
    }

    /// The `Set-Cookie` value that removes the session cookie.
    pub fn clear_cookie(&self) -> String {
        format!(
            "{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{}",
            if self.secure_cookie { "; Secure" } else { "" }
        )
    }
}

/// The rate-limit keys of a login attempt: the account and the address.
pub fn failure_keys(email: &str, addr: &str) -> [String; 2] {
    [format!("user:{email}"), format!("addr:{addr}")]
}

/// An e-mail address as stored and compared: trimmed, lower case. None if
/// it cannot be one (no `@` between two non-empty parts, spaces, too long).
pub fn normalise_email(raw: &str) -> Option<String> {
    let e = raw.trim().to_lowercase();
    let (local, domain) = e.split_once('@')?;
    let ok = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && e.len() <= EMAIL_MAX
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then_some(e)
}

/// Why a password is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password is empty")]
    Empty,
    #[error("the password is too short: at least {PASSWORD_MIN} characters")]
    TooShort,
    #[error("the password is too long: at most {PASSWORD_MAX} characters")]
    TooLong,
}

/// Checks a new password's length.
pub fn check_password(p: &str) -> Result<(), PasswordError> {
    match p.chars().count() {
        0 => Err(PasswordError::Empty),
        n if n < PASSWORD_MIN => Err(PasswordError::TooShort),
        n if n > PASSWORD_MAX => Err(PasswordError::TooLong),
        _ => Ok(()),
    }
}

/// A new random secret: 32 bytes, hex.
pub fn new_secret() -> Result<String, getrandom::Error> {
    crate::new_token()
}

/// The digest stored for a session token.
pub fn token_sha256(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// Whether two secrets are equal, in time that does not depend on where
/// they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    crate::access::ct_eq(&token_sha256(a), &token_sha256(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bo() -> BackOffice {
        BackOffice {
            idle: Duration::from_secs(1800),
            absolute: Duration::from_secs(12 * 3600),
            ..BackOffice::default()
        }
    }

    #[test]
    fn a_session_ends_when_idle_or_too_old() {
        let b = bo();
        let t0 = 1_000_000;
        assert_eq!(b.check(t0, t0, t0), SessionCheck::Valid { touch: false });
        assert_eq!(
            b.check(t0, t0, t0 + 59),
            SessionCheck::Valid { touch: false }
        );
        assert_eq!(
            b.check(t0, t0, t0 + 60),
            SessionCheck::Valid { touch: true }
        );
        assert_eq!(
            b.check(t0, t0, t0 + 1800),
            SessionCheck::Valid { touch: true }
        );
        assert_eq!(b.check(t0, t0, t0 + 1801), SessionCheck::Expired);
        // Used all along: still ends at the absolute limit.
        let late = t0 + 12 * 3600;
        assert_eq!(
            b.check(t0, late - 10, late),
            SessionCheck::Valid { touch: false }
        );
        assert_eq!(b.check(t0, late, late + 1), SessionCheck::Expired);
        assert_eq!(b.expired_before(t0), (t0 - 1800, t0 - 12 * 3600));
        // A short idle time (tests) touches on every request.
        let short = BackOffice {
            idle: Duration::from_secs(2),
            ..bo()
        };
        assert_eq!(short.check(t0, t0, t0), SessionCheck::Valid { touch: true });
    }

    #[test]
    fn lock_after_max_failures() {
        let b = bo();
        assert!(!b.locked(4));
        assert!(b.locked(5));
        assert_eq!(b.failures_since(10_000), 10_000 - 900);
        assert_eq!(b.lock_minutes(), 15);
    }

    #[test]
    fn cookie_attributes() {
        let c = bo().set_cookie("abc");
        assert_eq!(
            c,
            "comptoir_session=abc; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200"
        );
        let tls = BackOffice {
            secure_cookie: true,
            ..bo()
        };
        assert!(tls.set_cookie("abc").ends_with("; Secure"));
        assert!(tls.clear_cookie().contains("Max-Age=0"));
        assert_eq!(
            cookie("a=1; comptoir_session=xyz; b=2", COOKIE),
            Some("xyz")
        );
        assert_eq!(cookie("xcomptoir_session=xyz", COOKIE), None);
    }

    #[test]
    fn emails_and_passwords() {
        assert_eq!(
            normalise_email("  Alice@Shop.FR ").as_deref(),
            Some("alice@shop.fr")
        );
        for bad in ["", "alice", "@shop.fr", "alice@", "a b@c.fr", "a@b@c"] {
            assert_eq!(normalise_email(bad), None, "{bad:?}");
        }
        assert_eq!(normalise_email(&format!("{}@x.fr", "a".repeat(260))), None);
        assert_eq!(check_password(""), Err(PasswordError::Empty));
        assert_eq!(check_password("short"), Err(PasswordError::TooShort));
        assert_eq!(
            check_password(&"x".repeat(257)),
            Err(PasswordError::TooLong)
        );
        assert_eq!(check_password("correct horse"), Ok(()));
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd"));
    }
}
