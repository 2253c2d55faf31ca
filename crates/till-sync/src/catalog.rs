//! The till's local catalog (`catalog.db` beside the journal), in the format
//! `till-catalog` reads at the counter's start-up:
//!
//! | table | contents |
//! |---|---|
//! | `catalog(item_id, version, item)` | one row per article; `item` is the `till_core::Item` as JSON |
//! | `meta(key, value)` | `catalog_version` (integer): the head office version applied |
//!
//! A delta is applied in one transaction (upsert per article, removal of the
//! articles withdrawn, and the version), so the counter sees the old catalog
//! or the new one, never half of each.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::path::Path;
use std::time::Duration;
use sync_proto::CatalogDelta;
use till_core::Item;

/// The local catalog file.
pub struct LocalCatalog {
    conn: Connection,
}

/// Catalog storage failed.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("catalog database: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("catalog item {id}: {detail}")]
    Item { id: String, detail: String },
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl LocalCatalog {
    pub fn open(path: &Path) -> Result<LocalCatalog, CatalogError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let _: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS catalog (item_id TEXT PRIMARY KEY, version INTEGER NOT NULL, item TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);",
        )?;
        Ok(LocalCatalog { conn })
    }

    /// The head office catalog version applied (0: none yet).
    pub fn version(&self) -> Result<u64, CatalogError> {
        let v: Option<i64> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'catalog_version'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(v.and_then(|v| u64::try_from(v).ok()).unwrap_or(0))
    }

    /// Applies a delta in one transaction; returns (old version, new version).
    pub fn apply(&mut self, delta: &CatalogDelta) -> Result<(u64, u64), CatalogError> {
        let old = self.version()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut put = tx.prepare_cached(
                "INSERT INTO catalog (item_id, version, item) VALUES (?1, ?2, ?3)
                 ON CONFLICT (item_id) DO UPDATE SET version = excluded.version, item = excluded.item",
            )?;
            for e in &delta.items {
                let json = serde_json::to_string(&e.item).map_err(|err| CatalogError::Item {
                    id: e.item.id.clone(),
                    detail: err.to_string(),
                })?;
                put.execute(params![e.item.id, to_i64(e.version), json])?;
            }
            // Withdrawn at head office: no longer sellable here. Sales already
            // in the journal carry their own copy of each line.
            let mut drop = tx.prepare_cached("DELETE FROM catalog WHERE item_id = ?1")?;
            for r in &delta.removed {
                drop.execute(params![r.item_id])?;
            }
        }
        let new = old.max(delta.catalog_version);
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('catalog_version', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![to_i64(new)],
        )?;
        tx.commit()?;
        Ok((old, new))
    }

    /// Every article, by id (tests).
    pub fn items(&self) -> Result<Vec<Item>, CatalogError> {
        let mut st = self
            .conn
            .prepare("SELECT item_id, item FROM catalog ORDER BY item_id")?;
        let mut rows = st.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let json: String = r.get(1)?;
            out.push(serde_json::from_str(&json).map_err(|e| CatalogError::Item {
                id,
                detail: e.to_string(),
            })?);
        }
        Ok(out)
    }
}
