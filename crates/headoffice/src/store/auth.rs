//! Back-office accounts: users, their sessions, failed logins and the audit
//! log ([`AuthStore`], a supertrait of [`super::Store`]). Rules live in
//! [`crate::web`]; this is storage only. Times are unix seconds (sessions,
//! failures: compared as numbers on both backends) or RFC 3339 UTC (audit,
//! users: shown to people).
//!
//! Only secrets' digests are stored: the session token's SHA-256 and the
//! password's argon2 PHC string.

use super::Result;
use serde::Serialize;

/// A back-office role (see [`crate::web::auth`] for what each may do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BoRole {
    Owner,
    Accountant,
    Manager,
}

impl BoRole {
    pub const ALL: [BoRole; 3] = [BoRole::Owner, BoRole::Accountant, BoRole::Manager];

    pub fn as_str(self) -> &'static str {
        match self {
            BoRole::Owner => "owner",
            BoRole::Accountant => "accountant",
            BoRole::Manager => "manager",
        }
    }

    pub fn parse(s: &str) -> Option<BoRole> {
        BoRole::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A user as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoUser {
    pub id: i64,
    /// Normalised (trimmed, lower case): the login.
    pub email: String,
    pub role: BoRole,
    /// The store of a manager; None for the others.
    pub store_id: Option<String>,
    /// argon2 PHC string; never shown.
    #[serde(skip)]
    pub password_hash: String,
    pub created_at: String,
}

/// A user to add.
#[derive(Debug, Clone)]
pub struct NewBoUser<'a> {
    pub email: &'a str,
    pub role: BoRole,
    pub store_id: Option<&'a str>,
    pub password_hash: &'a str,
    pub created_at: &'a str,
}

/// A session with its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoSession {
    pub user: BoUser,
    /// The CSRF token of this session's forms.
    pub csrf: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last request seen (rounded: see [`crate::web::session`]).
    pub last_seen: i64,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    /// RFC 3339 UTC.
    pub at: String,
    /// Who: a user's e-mail, or `cli` for the `headoffice user` commands.
    pub actor: String,
    /// The action's catalog key (for filters and tests).
    pub action: String,
    /// The action as a person reads it, in French and in English, taken
    /// from the catalog when it happened (so any area's message shows).
    pub action_fr: String,
    pub action_en: String,
    /// What was changed, in the words of the code that changed it
    /// (identifiers, amounts): not translated.
    pub details: String,
}

/// An audit line to add.
#[derive(Debug, Clone)]
pub struct NewAudit<'a> {
    pub at: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
    pub action_fr: &'a str,
    pub action_en: &'a str,
    pub details: &'a str,
}

/// Storage of the back office's accounts. Every method is one statement or
/// one transaction.
pub trait AuthStore {
    /// Adds a user; an e-mail already taken is refused ([`super::StoreError::Invalid`]).
    fn add_user(&self, u: &NewBoUser<'_>) -> Result<i64>;
    fn users(&self) -> Result<Vec<BoUser>>;
    fn user_by_email(&self, email: &str) -> Result<Option<BoUser>>;
    /// Removes a user and its sessions; false if there was none.
    fn remove_user(&self, email: &str) -> Result<bool>;
    /// Replaces a password and ends the user's sessions; false if no such user.
    fn set_password(&self, email: &str, password_hash: &str) -> Result<bool>;

    fn create_session(
        &self,
        token_sha256: &[u8; 32],
        user_id: i64,
        csrf: &str,
        now: i64,
    ) -> Result<()>;
    fn session(&self, token_sha256: &[u8; 32]) -> Result<Option<BoSession>>;
    fn touch_session(&self, token_sha256: &[u8; 32], now: i64) -> Result<()>;
    fn delete_session(&self, token_sha256: &[u8; 32]) -> Result<()>;
    /// Deletes sessions idle since before `idle_before` or created before
    /// `created_before`; how many.
    fn delete_expired_sessions(&self, idle_before: i64, created_before: i64) -> Result<u64>;

    /// Records one failed login under each key (`user:...`, `addr:...`) and
    /// forgets the key's failures older than `forget_before`.
    fn record_login_failure(&self, keys: &[&str], now: i64, forget_before: i64) -> Result<()>;
    /// Failures of `key` at or after `since`.
    fn login_failures(&self, key: &str, since: i64) -> Result<u64>;
    fn clear_login_failures(&self, key: &str) -> Result<()>;

    fn audit(&self, e: &NewAudit<'_>) -> Result<()>;
    /// The newest `limit` entries with an id below `before` (all if None), newest first.
    fn audit_log(&self, before: Option<i64>, limit: usize) -> Result<Vec<AuditEntry>>;
}

pub(crate) fn role_of(s: &str) -> Result<BoRole> {
    BoRole::parse(s).ok_or_else(|| super::StoreError::Corrupt {
        what: "bo_users.role",
        detail: format!("{s:?} is not a role"),
    })
}

pub(crate) fn email_taken(email: &str) -> super::StoreError {
    super::StoreError::Invalid(format!(
        "a user with e-mail {email} exists (headoffice user list; remove it first or use reset-password)"
    ))
}

/// The SQL of both backends, written once: parameters are `$N`, numbered in
/// order of first appearance (SQLite binds `$N` by that order, PostgreSQL by N).
pub(crate) mod sql {
    pub const ADD_USER: &str =
        "INSERT INTO bo_users (email, role, store_id, password_hash, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email) DO NOTHING RETURNING id";
    pub const USERS: &str =
        "SELECT id, email, role, store_id, password_hash, created_at FROM bo_users ORDER BY email";
    pub const USER_BY_EMAIL: &str = "SELECT id, email, role, store_id, password_hash, created_at
         FROM bo_users WHERE email = $1";
    pub const USER_ID: &str = "SELECT id FROM bo_users WHERE email = $1";
    pub const DELETE_USER: &str = "DELETE FROM bo_users WHERE id = $1";
    pub const DELETE_USER_SESSIONS: &str = "DELETE FROM bo_sessions WHERE user_id = $1";
    pub const SET_PASSWORD: &str = "UPDATE bo_users SET password_hash = $1 WHERE id = $2";
    pub const CREATE_SESSION: &str =
        "INSERT INTO bo_sessions (token_sha256, user_id, csrf, created_at, last_seen)
         VALUES ($1, $2, $3, $4, $4)";
    pub const SESSION: &str = "SELECT u.id, u.email, u.role, u.store_id, u.password_hash,
         u.created_at, s.csrf, s.created_at, s.last_seen
         FROM bo_sessions s JOIN bo_users u ON u.id = s.user_id WHERE s.token_sha256 = $1";
    pub const TOUCH_SESSION: &str = "UPDATE bo_sessions SET last_seen = $1 WHERE token_sha256 = $2";
    pub const DELETE_SESSION: &str = "DELETE FROM bo_sessions WHERE token_sha256 = $1";
    pub const DELETE_EXPIRED: &str =
        "DELETE FROM bo_sessions WHERE last_seen < $1 OR created_at < $2";
    pub const ADD_FAILURE: &str = "INSERT INTO bo_login_failures (key, at) VALUES ($1, $2)";
    pub const FORGET_FAILURES: &str = "DELETE FROM bo_login_failures WHERE key = $1 AND at < $2";
    pub const COUNT_FAILURES: &str =
        "SELECT count(*) FROM bo_login_failures WHERE key = $1 AND at >= $2";
    pub const CLEAR_FAILURES: &str = "DELETE FROM bo_login_failures WHERE key = $1";
    pub const AUDIT: &str =
        "INSERT INTO bo_audit (at, actor, action, action_fr, action_en, details)
         VALUES ($1, $2, $3, $4, $5, $6)";
    pub const AUDIT_LOG: &str = "SELECT id, at, actor, action, action_fr, action_en, details
         FROM bo_audit WHERE id < $1 ORDER BY id DESC LIMIT $2";
}
