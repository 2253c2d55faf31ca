//! SQLite's side of [`crate::store::schema`]: its types, and the version in
//! `PRAGMA user_version`.

use crate::store::schema::{pending, Dialect};
use crate::store::Result;
use rusqlite::{Connection, TransactionBehavior};

const SQLITE: Dialect = Dialect {
    int: "INTEGER",
    blob: "BLOB",
    // An alias of the rowid: ids grow in insert order (the feed cursor).
    id: "INTEGER PRIMARY KEY",
    dec: "TEXT",
    bool: "INTEGER",
    r#false: "0",
    rowid: " WITHOUT ROWID",
};

fn version(c: &Connection) -> Result<i64> {
    Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Applies the missing migrations, each in an immediate transaction with its
/// version bump; refuses a database of a newer head office.
pub(super) fn migrate(conn: &mut Connection) -> Result<()> {
    // Up to date (the common case): no write lock taken.
    if pending(version(conn)?, &SQLITE)?.is_empty() {
        return Ok(());
    }
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Read again under the lock: another process may have migrated.
        let v = version(&tx)?;
        let Some(sql) = pending(v, &SQLITE)?.into_iter().next() else {
            return Ok(tx.commit()?);
        };
        tx.execute_batch(&sql)?;
        tx.pragma_update(None, "user_version", v + 1)?;
        tx.commit()?;
    }
}
