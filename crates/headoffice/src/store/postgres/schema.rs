//! PostgreSQL's side of [`crate::store::schema`]: its types, and the
//! version in the `schema_version` table.

use crate::store::schema::{pending, Dialect, SCHEMA_VERSION};
use crate::store::Result;
use postgres::Client;

const POSTGRES: Dialect = Dialect {
    int: "BIGINT",
    blob: "BYTEA",
    id: "BIGSERIAL PRIMARY KEY",
    dec: "NUMERIC",
    bool: "BOOLEAN",
    r#false: "false",
    rowid: "",
};

/// Advisory lock key serialising migrations (several head offices starting).
const MIGRATE_LOCK: i64 = 7_423_001;

/// Applies the missing migrations in one transaction with the version;
/// refuses a database of a newer head office.
pub(super) fn migrate(c: &mut Client) -> Result<()> {
    let mut tx = c.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")?;
    let v: Option<i32> = tx
        .query_one("SELECT max(version) FROM schema_version", &[])?
        .get(0);
    let todo = pending(i64::from(v.unwrap_or(0)), &POSTGRES)?;
    if todo.is_empty() {
        return Ok(tx.commit()?);
    }
    for sql in todo {
        tx.batch_execute(&sql)?;
    }
    let now = i32::try_from(SCHEMA_VERSION).unwrap_or(i32::MAX);
    tx.execute("DELETE FROM schema_version", &[])?;
    tx.execute("INSERT INTO schema_version (version) VALUES ($1)", &[&now])?;
    Ok(tx.commit()?)
}
