//! PostgreSQL's [`AuthStore`]: the shared SQL of [`crate::store::auth::sql`].

use super::PgStore;
use crate::store::auth::{
    email_taken, role_of, sql, AuditEntry, AuthStore, BoSession, BoUser, NewAudit, NewBoUser,
};
use crate::store::{to_i64, to_u64, Result};
use postgres::Row;

fn user(r: &Row) -> Result<BoUser> {
    Ok(BoUser {
        id: r.get(0),
        email: r.get(1),
        role: role_of(r.get(2))?,
        store_id: r.get(3),
        password_hash: r.get(4),
        created_at: r.get(5),
    })
}

fn user_id(c: &mut impl postgres::GenericClient, email: &str) -> Result<Option<i64>> {
    Ok(c.query_opt(sql::USER_ID, &[&email])?.map(|r| r.get(0)))
}

impl AuthStore for PgStore {
    fn add_user(&self, u: &NewBoUser<'_>) -> Result<i64> {
        let row = self.conn()?.query_opt(
            sql::ADD_USER,
            &[
                &u.email,
                &u.role.as_str(),
                &u.store_id,
                &u.password_hash,
                &u.created_at,
            ],
        )?;
        row.map(|r| r.get(0)).ok_or_else(|| email_taken(u.email))
    }

    fn users(&self) -> Result<Vec<BoUser>> {
        self.conn()?
            .query(sql::USERS, &[])?
            .iter()
            .map(user)
            .collect()
    }

    fn user_by_email(&self, email: &str) -> Result<Option<BoUser>> {
        self.conn()?
            .query_opt(sql::USER_BY_EMAIL, &[&email])?
            .as_ref()
            .map(user)
            .transpose()
    }

    fn remove_user(&self, email: &str) -> Result<bool> {
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        let Some(id) = user_id(&mut tx, email)? else {
            return Ok(false);
        };
        tx.execute(sql::DELETE_USER_SESSIONS, &[&id])?;
        tx.execute(sql::DELETE_USER, &[&id])?;
        tx.commit()?;
        Ok(true)
    }

    fn set_password(&self, email: &str, hash: &str) -> Result<bool> {
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        let Some(id) = user_id(&mut tx, email)? else {
            return Ok(false);
        };
        tx.execute(sql::SET_PASSWORD, &[&hash, &id])?;
        tx.execute(sql::DELETE_USER_SESSIONS, &[&id])?;
        tx.commit()?;
        Ok(true)
    }

    fn create_session(&self, sha: &[u8; 32], user_id: i64, csrf: &str, now: i64) -> Result<()> {
        self.conn()?
            .execute(sql::CREATE_SESSION, &[&&sha[..], &user_id, &csrf, &now])?;
        Ok(())
    }

    fn session(&self, sha: &[u8; 32]) -> Result<Option<BoSession>> {
        let row = self.conn()?.query_opt(sql::SESSION, &[&&sha[..]])?;
        row.map(|r| {
            Ok(BoSession {
                user: user(&r)?,
                csrf: r.get(6),
                created_at: r.get(7),
                last_seen: r.get(8),
            })
        })
        .transpose()
    }

    fn touch_session(&self, sha: &[u8; 32], now: i64) -> Result<()> {
        self.conn()?
            .execute(sql::TOUCH_SESSION, &[&now, &&sha[..]])?;
        Ok(())
    }

    fn delete_session(&self, sha: &[u8; 32]) -> Result<()> {
        self.conn()?.execute(sql::DELETE_SESSION, &[&&sha[..]])?;
        Ok(())
    }

    fn delete_expired_sessions(&self, idle_before: i64, created_before: i64) -> Result<u64> {
        Ok(self
            .conn()?
            .execute(sql::DELETE_EXPIRED, &[&idle_before, &created_before])?)
    }

    fn record_login_failure(&self, keys: &[&str], now: i64, forget_before: i64) -> Result<()> {
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        for k in keys {
            tx.execute(sql::FORGET_FAILURES, &[k, &forget_before])?;
            tx.execute(sql::ADD_FAILURE, &[k, &now])?;
        }
        tx.commit()?;
        Ok(())
    }

    fn login_failures(&self, key: &str, since: i64) -> Result<u64> {
        let n: i64 = self
            .conn()?
            .query_one(sql::COUNT_FAILURES, &[&key, &since])?
            .get(0);
        Ok(to_u64(n))
    }

    fn clear_login_failures(&self, key: &str) -> Result<()> {
        self.conn()?.execute(sql::CLEAR_FAILURES, &[&key])?;
        Ok(())
    }

    fn audit(&self, e: &NewAudit<'_>) -> Result<()> {
        self.conn()?.execute(
            sql::AUDIT,
            &[
                &e.at,
                &e.actor,
                &e.action,
                &e.action_fr,
                &e.action_en,
                &e.details,
            ],
        )?;
        Ok(())
    }

    fn audit_log(&self, before: Option<i64>, limit: usize) -> Result<Vec<AuditEntry>> {
        let limit = to_i64(limit as u64);
        Ok(self
            .conn()?
            .query(sql::AUDIT_LOG, &[&before.unwrap_or(i64::MAX), &limit])?
            .iter()
            .map(|r| AuditEntry {
                id: r.get(0),
                at: r.get(1),
                actor: r.get(2),
                action: r.get(3),
                action_fr: r.get(4),
                action_en: r.get(5),
                details: r.get(6),
            })
            .collect())
    }
}
