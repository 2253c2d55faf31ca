//! The till's local catalog: the articles head office publishes, kept in
//! `catalog.db` next to the journal so the counter starts without the
//! network. This crate is the file's only owner: the sync daemon
//! (`till-sync`) fills it through [`CatalogStore::apply_changes`]; the
//! counter reads it in one pass at start-up (see `bench --only start`).
//!
//! The file format (written and read only here):
//!
//! | table | contents |
//! |---|---|
//! | `catalog(item_id, version, item)` | one row per article; `item` is the `till_core::Item` as JSON |
//! | `meta(key, value)` | `catalog_version` (integer): the head office version applied |
//! | `ruleset(...)` | head office's counter rules, see `rules.rs` |
//! | `customers(number, version, body)` | head office's customers with their available credit, see `customers.rs`; `meta` holds `customers_version` and `customers_terminal_seq` |
//! | `stock_updates(op_id, item_id, delta, reason, version)` | stock operations entered at head office for this store (goods received, counts, transfers), one row per operation and item; `delta` a decimal text |
//!
//! Embedded-barcode patterns (weight and price labels) are shop settings,
//! passed in by the caller, not catalog rows.
//!
//! [`file`] reads the catalog files people write (CSV or JSON): head
//! office's `load-catalog` and the till's own `till catalog import` (a shop
//! without head office) take the same files.

#![warn(missing_docs)]

mod customers;
pub mod file;
mod rules;

pub use customers::CustomersState;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use rust_decimal::Decimal;
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
CREATE TABLE IF NOT EXISTS stock_updates (op_id TEXT NOT NULL, item_id TEXT NOT NULL, delta TEXT NOT NULL,
    reason TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (op_id, item_id));
";

/// One line of a stock operation entered at head office for this store
/// (goods received, an inventory count's difference, a transfer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLine<'a> {
    /// The operation's id: with the item, what makes a line unique.
    pub op_id: &'a str,
    /// The article.
    pub item_id: &'a str,
    /// Added to the store's level.
    pub delta: Decimal,
    /// `goods_received`, `adjustment`, `transfer_in`, `transfer_out`.
    pub reason: &'a str,
    /// The catalog version it came with.
    pub version: u64,
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

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
        // An applied delta is journaled by the daemon (`catalog_version`):
        // it must be on disk before that note is.
        conn.pragma_update(None, "synchronous", "FULL")
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
        let v = to_i64(version);
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

    /// Applies head office's changes in one transaction: each article of
    /// `upserts` (with its own version) is inserted or replaced, each id of
    /// `removed` is withdrawn, and the catalog version moves to
    /// `catalog_version` (never backwards). The counter sees the old catalog
    /// or the new one, never half of each. Returns (old version, new version).
    pub fn apply_changes<'a>(
        &mut self,
        upserts: impl IntoIterator<Item = (&'a Item, u64)>,
        removed: impl IntoIterator<Item = &'a str>,
        catalog_version: u64,
    ) -> Result<(u64, u64)> {
        self.apply_with_stock(upserts, removed, [], catalog_version)
    }

    /// [`CatalogStore::apply_changes`] with head office's stock lines of the
    /// same delta, in the same transaction. A line already held (the same
    /// operation and item, a delta received twice) is kept once.
    pub fn apply_with_stock<'a>(
        &mut self,
        upserts: impl IntoIterator<Item = (&'a Item, u64)>,
        removed: impl IntoIterator<Item = &'a str>,
        stock: impl IntoIterator<Item = StockLine<'a>>,
        catalog_version: u64,
    ) -> Result<(u64, u64)> {
        let path = self.path.clone();
        let db = |source| CatalogStoreError::Db {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let old: Option<i64> = tx
            .query_row(
                "SELECT value FROM meta WHERE key = 'catalog_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)?;
        let old = old.and_then(|v| u64::try_from(v).ok()).unwrap_or(0);
        {
            let mut put = tx
                .prepare_cached(
                    "INSERT INTO catalog (item_id, version, item) VALUES (?1, ?2, ?3)
                     ON CONFLICT (item_id) DO UPDATE SET version = excluded.version, item = excluded.item",
                )
                .map_err(db)?;
            for (item, version) in upserts {
                let json = serde_json::to_string(item).map_err(|e| CatalogStoreError::BadRow {
                    path: path.clone(),
                    id: item.id.clone(),
                    detail: e.to_string(),
                })?;
                put.execute(params![item.id, to_i64(version), json])
                    .map_err(db)?;
            }
            // Withdrawn at head office: no longer sellable here. Sales already
            // in the journal carry their own copy of each line.
            let mut drop = tx
                .prepare_cached("DELETE FROM catalog WHERE item_id = ?1")
                .map_err(db)?;
            for id in removed {
                drop.execute(params![id]).map_err(db)?;
            }
            let mut moved = tx
                .prepare_cached(
                    "INSERT INTO stock_updates (op_id, item_id, delta, reason, version)
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
                )
                .map_err(db)?;
            for l in stock {
                moved
                    .execute(params![
                        l.op_id,
                        l.item_id,
                        l.delta.to_string(),
                        l.reason,
                        to_i64(l.version)
                    ])
                    .map_err(db)?;
            }
        }
        let new = old.max(catalog_version);
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('catalog_version', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![to_i64(new)],
        )
        .map_err(db)?;
        tx.commit().map_err(db)?;
        Ok((old, new))
    }

    /// What head office's stock operations added to this store's level of
    /// each article they moved, by item id.
    pub fn head_office_stock(&self) -> Result<Vec<(String, Decimal)>> {
        let mut st = self
            .conn
            .prepare("SELECT item_id, delta FROM stock_updates ORDER BY item_id")
            .map_err(|e| self.db(e))?;
        let mut rows = st.query([]).map_err(|e| self.db(e))?;
        let mut out: Vec<(String, Decimal)> = Vec::new();
        while let Some(r) = rows.next().map_err(|e| self.db(e))? {
            let (id, delta): (String, String) = (
                r.get(0).map_err(|e| self.db(e))?,
                r.get(1).map_err(|e| self.db(e))?,
            );
            let delta: Decimal = delta.parse().map_err(|_| CatalogStoreError::BadRow {
                path: self.path.clone(),
                id: id.clone(),
                detail: format!("stock delta {delta:?} is not a decimal"),
            })?;
            match out.last_mut() {
                Some((last, sum)) if *last == id => *sum += delta,
                _ => out.push((id, delta)),
            }
        }
        Ok(out)
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
            meal_voucher: false,
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

    fn item(id: &str, price: i64) -> Item {
        Item {
            id: id.into(),
            barcodes: vec![],
            name: id.into(),
            price: Decimal::new(price, 2),
            vat_rate: VatRate::percent(Decimal::from(20)).unwrap(),
            unit: Unit::Piece,
            stock_tracked: false,
            meal_voucher: false,
            rules: PurchaseRules::default(),
        }
    }

    fn ids(s: &CatalogStore) -> Vec<(String, Decimal)> {
        let mut v: Vec<_> = s
            .load_items()
            .unwrap()
            .into_iter()
            .map(|i| (i.id, i.price))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn changes_upsert_withdraw_and_never_move_the_version_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("catalog.db");
        let mut s = CatalogStore::open(&path).unwrap();
        let (a, b) = (item("A", 100), item("B", 200));
        assert_eq!(s.apply_changes([(&a, 1), (&b, 2)], [], 2).unwrap(), (0, 2));
        let a2 = item("A", 150);
        let (old, new) = s.apply_changes([(&a2, 3)], ["B"], 3).unwrap();
        assert_eq!((old, new), (2, 3));
        assert_eq!(ids(&s), vec![("A".to_string(), Decimal::new(150, 2))]);
        // An older delta replayed: the version stays where it is.
        assert_eq!(s.apply_changes([], [], 1).unwrap(), (3, 3));
        // Head office's stock lines: kept once however often they come.
        let line = |op: &'static str, delta: i64| StockLine {
            op_id: op,
            item_id: "A",
            delta: Decimal::from(delta),
            reason: "goods_received",
            version: 4,
        };
        s.apply_with_stock([], [], [line("r1", 12), line("r2", -2)], 4)
            .unwrap();
        s.apply_with_stock([], [], [line("r1", 12)], 4).unwrap();
        assert_eq!(
            s.head_office_stock().unwrap(),
            vec![("A".to_string(), Decimal::from(10))]
        );
        assert_eq!(s.version().unwrap(), 4);
        // A second reader (the counter) sees what the writer committed.
        let reader = CatalogStore::open(&path).unwrap();
        assert_eq!(reader.version().unwrap(), 4);
        assert_eq!(ids(&reader), ids(&s));
    }
}
