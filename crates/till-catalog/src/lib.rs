//! The till's local catalog: the articles head office publishes, kept in
//! `catalog.db` next to the journal so the counter starts without the
//! network. The sync daemon (`till-sync`) fills it; the counter reads it in
//! one pass at start-up (see `bench --only start`).
//!
//! The file format is the sync daemon's (one format, two readers):
//!
//! | table | contents |
//! |---|---|
//! | `catalog(item_id, version, item)` | one row per article; `item` is the `till_core::Item` as JSON |
//! | `meta(key, value)` | `catalog_version` (integer): the head office version applied |
//!
//! Embedded-barcode patterns (weight and price labels) are shop settings,
//! passed in by the caller, not catalog rows.

#![warn(missing_docs)]

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};
use std::time::Duration;
use till_core::barcode::EmbeddedPattern;
use till_core::{Catalog, Item};
/// What can go wrong with the store.
#[derive(Debug, thiserror::Error)]
pub enum CatalogStoreError {
    /// SQLite failed.
    #[error("catalog store {path}: {source}")]
    Db {
        /// The file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// A row does not hold a valid article.
    #[error("catalog store {path}: article {id}: {detail}")]
    BadRow {
        /// The file.
        path: PathBuf,
        /// The article id.
        id: String,
        /// What is wrong.
        detail: String,
    },
    /// The articles do not make a catalog (duplicate ids or barcodes).
    #[error("catalog store {path}: {detail}")]
    Catalog {
        /// The file.
        path: PathBuf,
        /// What till-core said.
        detail: String,
    },
}

/// Result alias.
pub type Result<T> = std::result::Result<T, CatalogStoreError>;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS catalog (item_id TEXT PRIMARY KEY, version INTEGER NOT NULL, item TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
";

/// An open catalog store.
pub struct CatalogStore {
    conn: Connection,
    path: PathBuf,
}

impl CatalogStore {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<CatalogStore> {
        let db = |source| CatalogStoreError::Db {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        )
        .map_err(db)?;
        // The sync daemon may be applying a delta right now.
        conn.busy_timeout(Duration::from_secs(5)).map_err(db)?;
        let _: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(db)?;
        conn.execute_batch(SCHEMA).map_err(db)?;
        Ok(CatalogStore {
            conn,
            path: path.to_path_buf(),
        })
    }

    fn db(&self, source: rusqlite::Error) -> CatalogStoreError {
        CatalogStoreError::Db {
            path: self.path.clone(),
            source,
        }
    }

    /// The catalog version applied (0: never filled).
    pub fn version(&self) -> Result<u64> {
        let v: Option<i64> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'catalog_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.db(e))?;
        Ok(v.and_then(|v| u64::try_from(v).ok()).unwrap_or(0))
    }

    /// Replaces the whole catalog in one transaction (a full load, e.g. a
    /// first install or a benchmark): readers see the old catalog or the new.
    pub fn replace_all(&mut self, items: &[Item], version: u64) -> Result<()> {
        let path = self.path.clone();
        let db = |source| CatalogStoreError::Db {
            path: path.clone(),
            source,
        };
        let v = i64::try_from(version).unwrap_or(i64::MAX);
        let tx = self.conn.transaction().map_err(db)?;
        tx.execute("DELETE FROM catalog", []).map_err(db)?;
        {
            let mut st = tx
                .prepare("INSERT INTO catalog (item_id, version, item) VALUES (?1, ?2, ?3)")
                .map_err(db)?;
            for it in items {
                let json = serde_json::to_string(it).map_err(|e| CatalogStoreError::BadRow {
                    path: path.clone(),
                    id: it.id.clone(),
                    detail: e.to_string(),
                })?;
                st.execute(params![it.id, v, json]).map_err(db)?;
            }
        }
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('catalog_version', ?1)",
            params![v],
        )
        .map_err(db)?;
        tx.commit().map_err(db)
    }

    /// Reads every article (one table scan, JSON decoded from the borrowed
    /// row bytes) and builds the catalog with `patterns`.
    pub fn load(&self, patterns: Vec<EmbeddedPattern>) -> Result<Catalog> {
        let items = self.load_items()?;
        Catalog::new(items, patterns).map_err(|e| CatalogStoreError::Catalog {
            path: self.path.clone(),
            detail: e.to_string(),
        })
    }

    /// Every article, in storage order (one table scan).
    pub fn load_items(&self) -> Result<Vec<Item>> {
        let count: i64 = self
            .conn
            .query_row("SELECT count(*) FROM catalog", [], |r| r.get(0))
            .map_err(|e| self.db(e))?;
        let mut items: Vec<Item> = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
        let mut st = self
            .conn
            .prepare("SELECT item_id, item FROM catalog")
            .map_err(|e| self.db(e))?;
        let mut rows = st.query([]).map_err(|e| self.db(e))?;
        while let Some(r) = rows.next().map_err(|e| self.db(e))? {
            let json = r
                .get_ref(1)
                .and_then(|v| v.as_bytes().map_err(Into::into))
                .map_err(|e| self.db(e))?;
            let item: Item = serde_json::from_slice(json).map_err(|e| {
                let id: String = r.get(0).unwrap_or_default();
                CatalogStoreError::BadRow {
                    path: self.path.clone(),
                    id,
                    detail: e.to_string(),
                }
            })?;
            items.push(item);
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use till_core::records::Unit;
    use till_core::{PurchaseRules, VatRate};

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = CatalogStore::open(&dir.path().join("catalog.db")).unwrap();
        assert_eq!(s.version().unwrap(), 0);
        let item = Item {
            id: "A1".into(),
            barcodes: vec!["3760001000010".into()],
            name: "Pain".into(),
            price: Decimal::new(130, 2),
            vat_rate: VatRate::percent(Decimal::new(55, 1)).unwrap(),
            unit: Unit::Piece,
            stock_tracked: true,
            rules: PurchaseRules {
                min_qty: None,
                max_qty: Some(Decimal::from(5)),
            },
        };
        let pat = EmbeddedPattern::parse("21.....{WWWWW}").unwrap();
        s.replace_all(std::slice::from_ref(&item), 7).unwrap();
        let c = s.load(vec![pat]).unwrap();
        assert_eq!(c.get("A1"), Some(&item));
        assert_eq!(c.patterns().len(), 1);
        assert_eq!(s.version().unwrap(), 7);
    }
}
