//! SQLite's [`AuthStore`]: the shared SQL of [`crate::store::auth::sql`].
//! Session reads go through the credential connection (like terminal
//! tokens), so a page is not queued behind an ingest.

use super::SqliteStore;
use crate::store::auth::{
    email_taken, role_of, sql, AuditEntry, AuthStore, BoSession, BoUser, NewAudit, NewBoUser,
};
use crate::store::{to_i64, Result};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

fn user(r: &rusqlite::Row<'_>) -> rusqlite::Result<(BoUser, String)> {
    let role: String = r.get(2)?;
    Ok((
        BoUser {
            id: r.get(0)?,
            email: r.get(1)?,
            role: crate::store::auth::BoRole::Owner,
            store_id: r.get(3)?,
            password_hash: r.get(4)?,
            created_at: r.get(5)?,
        },
        role,
    ))
}

fn with_role((mut u, role): (BoUser, String)) -> Result<BoUser> {
    u.role = role_of(&role)?;
    Ok(u)
}

fn user_id(c: &Connection, email: &str) -> Result<Option<i64>> {
    Ok(c.query_row(sql::USER_ID, [email], |r| r.get(0))
        .optional()?)
}

impl AuthStore for SqliteStore {
    fn add_user(&self, u: &NewBoUser<'_>) -> Result<i64> {
        let c = self.lock()?;
        let id: Option<i64> = c
            .query_row(
                sql::ADD_USER,
                params![
                    u.email,
                    u.role.as_str(),
                    u.store_id,
                    u.password_hash,
                    u.created_at
                ],
                |r| r.get(0),
            )
            .optional()?;
        id.ok_or_else(|| email_taken(u.email))
    }

    fn users(&self) -> Result<Vec<BoUser>> {
        let c = self.lock()?;
        let mut st = c.prepare(sql::USERS)?;
        let rows = st.query_map([], user)?.collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(with_role).collect()
    }

    fn user_by_email(&self, email: &str) -> Result<Option<BoUser>> {
        let c = self.auth.lock().unwrap_or_else(|p| p.into_inner());
        let row = c
            .prepare_cached(sql::USER_BY_EMAIL)?
            .query_row([email], user)
            .optional()?;
        row.map(with_role).transpose()
    }

    fn remove_user(&self, email: &str) -> Result<bool> {
        let mut c = self.lock()?;
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(id) = user_id(&tx, email)? else {
            return Ok(false);
        };
        tx.execute(sql::DELETE_USER_SESSIONS, [id])?;
        tx.execute(sql::DELETE_USER, [id])?;
        tx.commit()?;
        Ok(true)
    }

    fn set_password(&self, email: &str, hash: &str) -> Result<bool> {
        let mut c = self.lock()?;
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(id) = user_id(&tx, email)? else {
            return Ok(false);
        };
        tx.execute(sql::SET_PASSWORD, params![hash, id])?;
        tx.execute(sql::DELETE_USER_SESSIONS, [id])?;
        tx.commit()?;
        Ok(true)
    }

    fn create_session(&self, sha: &[u8; 32], user_id: i64, csrf: &str, now: i64) -> Result<()> {
        self.lock()?
            .execute(sql::CREATE_SESSION, params![&sha[..], user_id, csrf, now])?;
        Ok(())
    }

    fn session(&self, sha: &[u8; 32]) -> Result<Option<BoSession>> {
        let c = self.auth.lock().unwrap_or_else(|p| p.into_inner());
        let row = c
            .prepare_cached(sql::SESSION)?
            .query_row([&sha[..]], |r| {
                Ok((user(r)?, r.get::<_, String>(6)?, r.get(7)?, r.get(8)?))
            })
            .optional()?;
        row.map(|(u, csrf, created_at, last_seen)| {
            Ok(BoSession {
                user: with_role(u)?,
                csrf,
                created_at,
                last_seen,
            })
        })
        .transpose()
    }

    fn touch_session(&self, sha: &[u8; 32], now: i64) -> Result<()> {
        self.lock()?
            .execute(sql::TOUCH_SESSION, params![now, &sha[..]])?;
        Ok(())
    }

    fn delete_session(&self, sha: &[u8; 32]) -> Result<()> {
        self.lock()?.execute(sql::DELETE_SESSION, [&sha[..]])?;
        Ok(())
    }

    fn delete_expired_sessions(&self, idle_before: i64, created_before: i64) -> Result<u64> {
        let n = self
            .lock()?
            .execute(sql::DELETE_EXPIRED, params![idle_before, created_before])?;
        Ok(n as u64)
    }

    fn record_login_failure(&self, keys: &[&str], now: i64, forget_before: i64) -> Result<()> {
        let mut c = self.lock()?;
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for k in keys {
            tx.execute(sql::FORGET_FAILURES, params![k, forget_before])?;
            tx.execute(sql::ADD_FAILURE, params![k, now])?;
        }
        tx.commit()?;
        Ok(())
    }

    fn login_failures(&self, key: &str, since: i64) -> Result<u64> {
        let c = self.auth.lock().unwrap_or_else(|p| p.into_inner());
        let n: i64 = c
            .prepare_cached(sql::COUNT_FAILURES)?
            .query_row(params![key, since], |r| r.get(0))?;
        Ok(crate::store::to_u64(n))
    }

    fn clear_login_failures(&self, key: &str) -> Result<()> {
        self.lock()?.execute(sql::CLEAR_FAILURES, [key])?;
        Ok(())
    }

    fn audit(&self, e: &NewAudit<'_>) -> Result<()> {
        self.lock()?.execute(
            sql::AUDIT,
            params![e.at, e.actor, e.action, e.action_fr, e.action_en, e.details],
        )?;
        Ok(())
    }

    fn audit_log(&self, before: Option<i64>, limit: usize) -> Result<Vec<AuditEntry>> {
        let c = self.auth.lock().unwrap_or_else(|p| p.into_inner());
        let mut st = c.prepare_cached(sql::AUDIT_LOG)?;
        let rows = st.query_map(
            params![before.unwrap_or(i64::MAX), to_i64(limit as u64)],
            |r| {
                Ok(AuditEntry {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    actor: r.get(2)?,
                    action: r.get(3)?,
                    action_fr: r.get(4)?,
                    action_en: r.get(5)?,
                    details: r.get(6)?,
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
