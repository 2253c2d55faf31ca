//! SQLite's SQL for the back office's catalog reads and the search index
//! ([`crate::store::catalog_edit`]).

use super::SqliteStore;
use crate::store::catalog_edit::{
    item_words, query_ranges, search_driver, CatalogEditStore, CatalogHit, CatalogItemRows,
    CurrentRows, SEARCH_DRIVER_CAP,
};
use crate::store::{parse_dec, to_i64, to_u64, Result, StoreError};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, TransactionBehavior};

fn hit(item: &str, version: i64, deleted: bool) -> Result<CatalogHit> {
    Ok(CatalogHit {
        item: serde_json::from_str(item).map_err(|e| StoreError::Corrupt {
            what: "catalog.item",
            detail: e.to_string(),
        })?,
        version: to_u64(version),
        deleted,
    })
}

fn current_version(c: &Connection) -> Result<i64> {
    Ok(c.query_row(
        "SELECT coalesce(max(version), 0) FROM catalog_versions",
        [],
        |r| r.get(0),
    )?)
}

fn indexed_version(c: &Connection) -> Result<i64> {
    Ok(c.query_row(
        "SELECT version FROM catalog_indexed WHERE id = 1",
        [],
        |r| r.get(0),
    )
    .optional()?
    .unwrap_or(0))
}

/// Indexes the words of the every-store rows changed since the index last
/// looked (none, mostly: two reads).
fn catch_up(c: &mut Connection) -> Result<()> {
    if indexed_version(c)? >= current_version(c)? {
        return Ok(());
    }
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (from, to) = (indexed_version(&tx)?, current_version(&tx)?);
    {
        let mut changed =
            tx.prepare("SELECT item_id, item FROM catalog WHERE store_id = '' AND version > ?1")?;
        let mut forget = tx.prepare_cached("DELETE FROM catalog_words WHERE item_id = ?1")?;
        let mut put = tx.prepare_cached(
            "INSERT INTO catalog_words (word, item_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?;
        let mut rows = changed.query([from])?;
        while let Some(r) = rows.next()? {
            let (id, json): (String, String) = (r.get(0)?, r.get(1)?);
            let found = hit(&json, 0, false)?;
            forget.execute([&id])?;
            for w in item_words(&found.item) {
                put.execute(params![w, id])?;
            }
        }
    }
    tx.execute(
        "INSERT INTO catalog_indexed (id, version) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version",
        [to],
    )?;
    tx.commit()?;
    Ok(())
}

impl CatalogEditStore for SqliteStore {
    fn catalog_search(&self, query: &str, offset: usize, limit: usize) -> Result<Vec<CatalogHit>> {
        let mut c = self.lock()?;
        catch_up(&mut c)?;
        let ranges = query_ranges(query);
        // As on PostgreSQL: the rarest word gives the candidates, the others
        // are checked per candidate; all common, the catalog is read in order.
        let mut counts = Vec::with_capacity(ranges.len());
        for (lo, hi) in &ranges {
            let n: i64 = c
                .prepare_cached(
                    "SELECT count(*) FROM (SELECT 1 FROM catalog_words
                     WHERE word >= ?1 AND word < ?2 LIMIT ?3)",
                )?
                .query_row(params![lo, hi, SEARCH_DRIVER_CAP], |r| r.get(0))?;
            counts.push(n);
        }
        let driver = search_driver(&counts);
        let mut sql =
            String::from("SELECT item, version, deleted FROM catalog c WHERE c.store_id = ''");
        let mut args = Vec::new();
        for (i, (lo, hi)) in ranges.into_iter().enumerate() {
            let n = args.len();
            if Some(i) == driver {
                sql.push_str(&format!(
                    " AND c.item_id IN (SELECT w.item_id FROM catalog_words w WHERE w.word >= ?{} AND w.word < ?{})",
                    n + 1,
                    n + 2
                ));
            } else {
                sql.push_str(&format!(
                    " AND EXISTS (SELECT 1 FROM catalog_words w WHERE w.item_id = c.item_id AND w.word >= ?{} AND w.word < ?{})",
                    n + 1,
                    n + 2
                ));
            }
            args.push(Value::Blob(lo));
            args.push(Value::Blob(hi));
        }
        let n = args.len();
        sql.push_str(&format!(
            " ORDER BY c.item_id LIMIT ?{} OFFSET ?{}",
            n + 1,
            n + 2
        ));
        args.push(Value::Integer(to_i64(limit as u64)));
        args.push(Value::Integer(to_i64(offset as u64)));
        let mut st = c.prepare_cached(&sql)?;
        let mut rows = st.query(params_from_iter(args))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let json: String = r.get(0)?;
            out.push(hit(&json, r.get(1)?, r.get(2)?)?);
        }
        Ok(out)
    }

    fn catalog_item(&self, item_id: &str) -> Result<Option<CatalogItemRows>> {
        let c = self.lock()?;
        let mut st = c.prepare_cached(
            "SELECT store_id, item, version, deleted FROM catalog WHERE item_id = ?1 ORDER BY store_id",
        )?;
        let mut rows = st.query([item_id])?;
        let mut out = CatalogItemRows::default();
        let mut any = false;
        while let Some(r) = rows.next()? {
            any = true;
            let (store, json): (String, String) = (r.get(0)?, r.get(1)?);
            let h = hit(&json, r.get(2)?, r.get(3)?)?;
            if store.is_empty() {
                out.shared = Some(h);
            } else {
                out.stores.push((store, h));
            }
        }
        if !any {
            return Ok(None);
        }
        let mut st = c.prepare_cached(
            "SELECT store_id, threshold FROM stock_thresholds WHERE item_id = ?1 ORDER BY store_id",
        )?;
        let mut rows = st.query([item_id])?;
        while let Some(r) = rows.next()? {
            let t: String = r.get(1)?;
            out.thresholds
                .push((r.get(0)?, parse_dec("stock_thresholds.threshold", &t)?));
        }
        Ok(Some(out))
    }

    fn catalog_current(&self, keys: &[(String, String)]) -> Result<CurrentRows> {
        let c = self.lock()?;
        let mut st = c.prepare_cached(
            "SELECT item, deleted FROM catalog WHERE store_id = ?1 AND item_id = ?2",
        )?;
        let mut out = CurrentRows::new();
        for k in keys {
            let row: Option<(String, bool)> = st
                .query_row(params![k.0, k.1], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            if let Some(row) = row {
                out.insert(k.clone(), row);
            }
        }
        Ok(out)
    }

    fn catalog_version(&self) -> Result<u64> {
        Ok(to_u64(current_version(&*self.lock()?)?))
    }
}
