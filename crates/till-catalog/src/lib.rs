//! The till's local catalog: the articles head office publishes (pulled by
//! the sync daemon), kept in `catalog.db` next to the journal so the counter
//! starts without the network.
//!
//! One table, one row per article, columns in the order [`CatalogStore::load`]
//! reads them; the embedded-barcode patterns and the catalog version in
//! `meta`. Loading 100,000 articles is one sequential scan and one
//! `Catalog::new` (see `till-bench --only start`).
//!
//! | table | contents |
//! |---|---|
//! | `items(id, barcodes, name, price, vat, unit, stock_tracked, rules)` | `barcodes`: space-separated; `price`, `vat`: decimal text; `unit`: `piece`/`kg`; `rules`: JSON or NULL |
//! | `meta(key, value)` | `version` (the head office catalog version), `patterns` (JSON list) |

#![warn(missing_docs)]

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use till_core::barcode::EmbeddedPattern;
use till_core::records::Unit;
use till_core::{Catalog, Item, PurchaseRules, VatRate};

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
CREATE TABLE IF NOT EXISTS items (
    id TEXT PRIMARY KEY,
    barcodes TEXT NOT NULL,
    name TEXT NOT NULL,
    price TEXT NOT NULL,
    vat TEXT NOT NULL,
    unit TEXT NOT NULL,
    stock_tracked INTEGER NOT NULL,
    rules TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
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
        conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
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

    /// The catalog version last stored (None: never filled).
    pub fn version(&self) -> Result<Option<String>> {
        self.meta("version")
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.db(e))
    }

    /// Replaces the whole catalog in one transaction: the counter sees the
    /// old catalog or the new one, never half of each.
    pub fn replace_all(
        &mut self,
        items: &[Item],
        patterns: &[EmbeddedPattern],
        version: &str,
    ) -> Result<()> {
        let path = self.path.clone();
        let db = |source| CatalogStoreError::Db {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(db)?;
        tx.execute("DELETE FROM items", []).map_err(db)?;
        {
            let mut st = tx
                .prepare(
                    "INSERT INTO items (id, barcodes, name, price, vat, unit, stock_tracked, rules)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(db)?;
            for it in items {
                let rules = if it.rules == PurchaseRules::default() {
                    None
                } else {
                    serde_json::to_string(&it.rules).ok()
                };
                st.execute(params![
                    it.id,
                    it.barcodes.join(" "),
                    it.name,
                    it.price.to_string(),
                    it.vat_rate.as_percent().to_string(),
                    match it.unit {
                        Unit::Piece => "piece",
                        Unit::Kg => "kg",
                    },
                    it.stock_tracked,
                    rules
                ])
                .map_err(db)?;
            }
        }
        let pats: Vec<String> = patterns.iter().map(|p| String::from(p.clone())).collect();
        let pats = serde_json::to_string(&pats).unwrap_or_else(|_| "[]".into());
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('version', ?1), ('patterns', ?2)",
            params![version, pats],
        )
        .map_err(db)?;
        tx.commit().map_err(db)
    }

    /// Reads every article and builds the catalog (one table scan).
    pub fn load(&self) -> Result<Catalog> {
        let bad = |id: &str, detail: String| CatalogStoreError::BadRow {
            path: self.path.clone(),
            id: id.to_string(),
            detail,
        };
        let count: i64 = self
            .conn
            .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
            .map_err(|e| self.db(e))?;
        let mut items = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
        let mut st = self
            .conn
            .prepare("SELECT id, barcodes, name, price, vat, unit, stock_tracked, rules FROM items")
            .map_err(|e| self.db(e))?;
        let mut rows = st.query([]).map_err(|e| self.db(e))?;
        while let Some(r) = rows.next().map_err(|e| self.db(e))? {
            let get_str = |i: usize| -> Result<&str> {
                r.get_ref(i)
                    .and_then(|v| v.as_str().map_err(Into::into))
                    .map_err(|e| self.db(e))
            };
            let id = get_str(0)?.to_string();
            let barcodes = get_str(1)?
                .split_ascii_whitespace()
                .map(str::to_string)
                .collect();
            let name = get_str(2)?.to_string();
            let price: Decimal = get_str(3)?
                .parse()
                .map_err(|e| bad(&id, format!("price: {e}")))?;
            let vat: Decimal = get_str(4)?
                .parse()
                .map_err(|e| bad(&id, format!("vat: {e}")))?;
            let vat_rate = VatRate::percent(vat).map_err(|e| bad(&id, e.to_string()))?;
            let unit = match get_str(5)? {
                "piece" => Unit::Piece,
                "kg" => Unit::Kg,
                other => return Err(bad(&id, format!("unit {other:?}"))),
            };
            let stock_tracked: bool = r.get(6).map_err(|e| self.db(e))?;
            let rules = match r.get::<_, Option<String>>(7).map_err(|e| self.db(e))? {
                None => PurchaseRules::default(),
                Some(j) => serde_json::from_str(&j).map_err(|e| bad(&id, format!("rules: {e}")))?,
            };
            items.push(Item {
                id,
                barcodes,
                name,
                price,
                vat_rate,
                unit,
                stock_tracked,
                rules,
            });
        }
        let patterns: Vec<EmbeddedPattern> = match self.meta("patterns")? {
            None => Vec::new(),
            Some(j) => {
                let texts: Vec<String> =
                    serde_json::from_str(&j).map_err(|e| bad("(patterns)", e.to_string()))?;
                texts
                    .iter()
                    .map(|t| {
                        EmbeddedPattern::parse(t).map_err(|e| bad("(patterns)", e.to_string()))
                    })
                    .collect::<Result<_>>()?
            }
        };
        Catalog::new(items, patterns).map_err(|e| CatalogStoreError::Catalog {
            path: self.path.clone(),
            detail: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = CatalogStore::open(&dir.path().join("catalog.db")).unwrap();
        assert_eq!(s.version().unwrap(), None);
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
        s.replace_all(&[item.clone()], &[pat], "v7").unwrap();
        let c = s.load().unwrap();
        assert_eq!(c.get("A1"), Some(&item));
        assert_eq!(c.patterns().len(), 1);
        assert_eq!(s.version().unwrap().as_deref(), Some("v7"));
    }
}
