//! Read tokens (see [`crate::access`]): their SQL on both backends, one
//! table of the same shape. Only the token's SHA-256 is stored.

use super::{now_rfc3339, Result, StoreError};
use crate::access::Role;
use serde::Serialize;

/// A read token as listed (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadToken {
    pub label: String,
    pub role: String,
    pub created_at: String,
}

fn role_of(s: &str) -> Result<Role> {
    Role::parse(s).ok_or_else(|| StoreError::Corrupt {
        what: "read_tokens.role",
        detail: format!("{s:?} is not a role"),
    })
}

fn taken(label: &str) -> StoreError {
    StoreError::Invalid(format!(
        "a read token labelled {label:?} exists; revoke it first or choose another --label"
    ))
}

pub(crate) mod sqlite {
    use super::*;
    use rusqlite::{params, Connection, OptionalExtension};

    pub fn add(c: &Connection, label: &str, role: Role, sha: &[u8; 32]) -> Result<()> {
        let n = c.execute(
            "INSERT INTO read_tokens (label, role, token_sha256, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (label) DO NOTHING",
            params![label, role.as_str(), &sha[..], now_rfc3339()],
        )?;
        if n == 0 {
            return Err(taken(label));
        }
        Ok(())
    }

    pub fn role(c: &Connection, sha: &[u8; 32]) -> Result<Option<Role>> {
        let r: Option<String> = c
            .prepare_cached("SELECT role FROM read_tokens WHERE token_sha256 = ?1")?
            .query_row([&sha[..]], |r| r.get(0))
            .optional()?;
        r.map(|s| role_of(&s)).transpose()
    }

    pub fn list(c: &Connection) -> Result<Vec<ReadToken>> {
        let mut st = c.prepare("SELECT label, role, created_at FROM read_tokens ORDER BY label")?;
        let rows = st.query_map([], |r| {
            Ok(ReadToken {
                label: r.get(0)?,
                role: r.get(1)?,
                created_at: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn revoke(c: &Connection, label: &str) -> Result<bool> {
        Ok(c.execute("DELETE FROM read_tokens WHERE label = ?1", [label])? > 0)
    }
}

pub(crate) mod pg {
    use super::*;
    use postgres::Client;

    pub fn add(c: &mut Client, label: &str, role: Role, sha: &[u8; 32]) -> Result<()> {
        let n = c.execute(
            "INSERT INTO read_tokens (label, role, token_sha256, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (label) DO NOTHING",
            &[&label, &role.as_str(), &&sha[..], &now_rfc3339()],
        )?;
        if n == 0 {
            return Err(taken(label));
        }
        Ok(())
    }

    pub fn role(c: &mut Client, sha: &[u8; 32]) -> Result<Option<Role>> {
        let r = c.query_opt(
            "SELECT role FROM read_tokens WHERE token_sha256 = $1",
            &[&&sha[..]],
        )?;
        r.map(|r| role_of(r.get(0))).transpose()
    }

    pub fn list(c: &mut Client) -> Result<Vec<ReadToken>> {
        Ok(c.query(
            "SELECT label, role, created_at FROM read_tokens ORDER BY label",
            &[],
        )?
        .iter()
        .map(|r| ReadToken {
            label: r.get(0),
            role: r.get(1),
            created_at: r.get(2),
        })
        .collect())
    }

    pub fn revoke(c: &mut Client, label: &str) -> Result<bool> {
        Ok(c.execute("DELETE FROM read_tokens WHERE label = $1", &[&label])? > 0)
    }
}
