//! Back-office accounts: passwords (argon2id), and the operations of
//! `headoffice user add|list|remove|reset-password`, each audited.

use super::audit::{audit_as, Actor};
use super::session::{check_password, normalise_email, PasswordError};
use crate::store::auth::{BoRole, BoUser, NewBoUser};
use crate::store::{Store, StoreError};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use comptoir_i18n::backoffice::Bo;
use std::sync::OnceLock;

/// A refused account operation, said to the operator.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0:?} is not an e-mail address")]
    BadEmail(String),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error("a manager needs --store (the store they manage)")]
    ManagerWithoutStore,
    #[error("--store is only for a manager (an {0} sees every store)")]
    StoreWithoutManager(&'static str),
    #[error("--store must not be empty")]
    EmptyStore,
    #[error("no user with e-mail {0} (headoffice user list)")]
    NoSuchUser(String),
    #[error("hashing the password: {0}")]
    Hash(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The argon2id PHC string of `password` (default parameters, random salt).
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| AccountError::Hash(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AccountError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

/// Whether `password` matches `hash`; a malformed hash never matches.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Checks a password against a user, or against a fixed hash when there is
/// no such user, so an unknown e-mail takes as long as a wrong password.
pub fn check_login(user: Option<&BoUser>, password: &str) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    match user {
        Some(u) => verify_password(&u.password_hash, password),
        None => {
            let dummy =
                DUMMY.get_or_init(|| hash_password("not a password of anyone").unwrap_or_default());
            let _ = verify_password(dummy, password);
            false
        }
    }
}

/// Adds a user (CLI); returns the normalised e-mail.
pub fn add_user(
    store: &dyn Store,
    email: &str,
    role: BoRole,
    store_id: Option<&str>,
    password: &str,
) -> Result<String, AccountError> {
    let email = normalise_email(email).ok_or_else(|| AccountError::BadEmail(email.into()))?;
    let store_id = store_id.map(str::trim);
    match (role, store_id) {
        (BoRole::Manager, None) => return Err(AccountError::ManagerWithoutStore),
        (BoRole::Manager, Some("")) => return Err(AccountError::EmptyStore),
        (BoRole::Owner | BoRole::Accountant, Some(_)) => {
            return Err(AccountError::StoreWithoutManager(role.as_str()))
        }
        _ => {}
    }
    check_password(password)?;
    let hash = hash_password(password)?;
    let now = crate::store::now_rfc3339();
    store.add_user(&NewBoUser {
        email: &email,
        role,
        store_id,
        password_hash: &hash,
        created_at: &now,
    })?;
    let details = match store_id {
        Some(s) => format!("{email} {} {s}", role.as_str()),
        None => format!("{email} {}", role.as_str()),
    };
    audit_as(store, &Actor::Cli, Bo::AuditUserAdded, &details)?;
    Ok(email)
}

/// Removes a user and ends its sessions (CLI).
pub fn remove_user(store: &dyn Store, email: &str) -> Result<(), AccountError> {
    let email = normalise_email(email).ok_or_else(|| AccountError::BadEmail(email.into()))?;
    if !store.remove_user(&email)? {
        return Err(AccountError::NoSuchUser(email));
    }
    audit_as(store, &Actor::Cli, Bo::AuditUserRemoved, &email)?;
    Ok(())
}

/// Sets a new password and ends the user's sessions (CLI).
pub fn reset_password(store: &dyn Store, email: &str, password: &str) -> Result<(), AccountError> {
    let email = normalise_email(email).ok_or_else(|| AccountError::BadEmail(email.into()))?;
    check_password(password)?;
    let hash = hash_password(password)?;
    if !store.set_password(&email, &hash)? {
        return Err(AccountError::NoSuchUser(email));
    }
    audit_as(store, &Actor::Cli, Bo::AuditPasswordReset, &email)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_salts_differ() {
        let a = hash_password("correct horse battery").expect("hash");
        let b = hash_password("correct horse battery").expect("hash");
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password(&a, "correct horse battery"));
        assert!(!verify_password(&a, "correct horse batterY"));
        assert!(!verify_password("not a hash", "x"));
        assert!(!check_login(None, "correct horse battery"));
    }
}
