//! PostgreSQL's SQL for the back office's catalog reads and the search
//! index ([`crate::store::catalog_edit`]).

use super::PgStore;
use crate::store::catalog_edit::{
    item_words, query_ranges, search_driver, CatalogEditStore, CatalogHit, CatalogItemRows,
    CurrentRows, SEARCH_DRIVER_CAP,
};
use crate::store::{parse_dec, to_i64, to_u64, Result, StoreError};
use postgres::types::ToSql;
use postgres::GenericClient;

/// Advisory lock key serialising the search index's catch-up.
const INDEX_LOCK: i64 = 7_423_011;

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

fn versions(c: &mut impl GenericClient) -> Result<(i64, i64)> {
    let r = c.query_one(
        "SELECT coalesce((SELECT version FROM catalog_indexed WHERE id = 1), 0),
                (SELECT coalesce(max(version), 0) FROM catalog_versions)",
        &[],
    )?;
    Ok((r.get(0), r.get(1)))
}

/// Indexes the words of the every-store rows changed since the index last
/// looked (none, mostly: one read).
fn catch_up(c: &mut postgres::Client) -> Result<()> {
    let (indexed, current) = versions(c)?;
    if indexed >= current {
        return Ok(());
    }
    let mut tx = c.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&INDEX_LOCK])?;
    let (from, to) = versions(&mut tx)?;
    let rows = tx.query(
        "SELECT item_id, item FROM catalog WHERE store_id = '' AND version > $1",
        &[&from],
    )?;
    let mut ids = Vec::with_capacity(rows.len());
    let (mut words, mut owners) = (Vec::new(), Vec::new());
    for r in &rows {
        let id: String = r.get(0);
        for w in item_words(&hit(r.get(1), 0, false)?.item) {
            words.push(w);
            owners.push(id.clone());
        }
        ids.push(id);
    }
    tx.execute("DELETE FROM catalog_words WHERE item_id = ANY($1)", &[&ids])?;
    tx.execute(
        "INSERT INTO catalog_words (word, item_id)
         SELECT * FROM unnest($1::bytea[], $2::text[]) ON CONFLICT DO NOTHING",
        &[&words, &owners],
    )?;
    tx.execute(
        "INSERT INTO catalog_indexed (id, version) VALUES (1, $1)
         ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version",
        &[&to],
    )?;
    tx.commit()?;
    Ok(())
}

impl CatalogEditStore for PgStore {
    fn catalog_search(&self, query: &str, offset: usize, limit: usize) -> Result<Vec<CatalogHit>> {
        let mut c = self.conn()?;
        catch_up(&mut c)?;
        let ranges = query_ranges(query);
        // The word with the fewest items (counted up to a cap) gives the
        // candidates; the others are checked per candidate through the
        // item's own words. When every word is common, the catalog is read
        // in order and the first page found stops the scan.
        let mut counts = Vec::with_capacity(ranges.len());
        for (lo, hi) in &ranges {
            let n: i64 = c
                .query_one(
                    "SELECT count(*) FROM (SELECT 1 FROM catalog_words
                     WHERE word >= $1 AND word < $2 LIMIT $3) AS w",
                    &[lo, hi, &SEARCH_DRIVER_CAP],
                )?
                .get(0);
            counts.push(n);
        }
        let driver = search_driver(&counts);
        let mut sql =
            String::from("SELECT item, version, deleted FROM catalog c WHERE c.store_id = ''");
        let mut args: Vec<Box<dyn ToSql + Sync>> = Vec::new();
        for (i, (lo, hi)) in ranges.into_iter().enumerate() {
            let n = args.len();
            if Some(i) == driver {
                sql.push_str(&format!(
                    " AND c.item_id IN (SELECT w.item_id FROM catalog_words w WHERE w.word >= ${} AND w.word < ${})",
                    n + 1,
                    n + 2
                ));
            } else {
                sql.push_str(&format!(
                    " AND EXISTS (SELECT 1 FROM catalog_words w WHERE w.item_id = c.item_id AND w.word >= ${} AND w.word < ${})",
                    n + 1,
                    n + 2
                ));
            }
            args.push(Box::new(lo));
            args.push(Box::new(hi));
        }
        let n = args.len();
        sql.push_str(&format!(
            " ORDER BY c.item_id LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        ));
        args.push(Box::new(to_i64(limit as u64)));
        args.push(Box::new(to_i64(offset as u64)));
        let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a.as_ref()).collect();
        c.query(&sql, &refs)?
            .iter()
            .map(|r| hit(r.get(0), r.get(1), r.get(2)))
            .collect()
    }

    fn catalog_item(&self, item_id: &str) -> Result<Option<CatalogItemRows>> {
        let mut c = self.conn()?;
        let rows = c.query(
            "SELECT store_id, item, version, deleted FROM catalog WHERE item_id = $1 ORDER BY store_id",
            &[&item_id],
        )?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut out = CatalogItemRows::default();
        for r in &rows {
            let store: String = r.get(0);
            let h = hit(r.get(1), r.get(2), r.get(3))?;
            if store.is_empty() {
                out.shared = Some(h);
            } else {
                out.stores.push((store, h));
            }
        }
        for r in c.query(
            "SELECT store_id, threshold::text FROM stock_thresholds WHERE item_id = $1 ORDER BY store_id",
            &[&item_id],
        )? {
            out.thresholds
                .push((r.get(0), parse_dec("stock_thresholds.threshold", r.get(1))?));
        }
        Ok(Some(out))
    }

    fn catalog_current(&self, keys: &[(String, String)]) -> Result<CurrentRows> {
        let stores: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
        let items: Vec<&str> = keys.iter().map(|k| k.1.as_str()).collect();
        let rows = self.conn()?.query(
            "SELECT c.store_id, c.item_id, c.item, c.deleted
             FROM unnest($1::text[], $2::text[]) AS k(store_id, item_id)
             JOIN catalog c ON c.store_id = k.store_id AND c.item_id = k.item_id",
            &[&stores, &items],
        )?;
        Ok(rows
            .iter()
            .map(|r| ((r.get(0), r.get(1)), (r.get(2), r.get(3))))
            .collect())
    }

    fn catalog_version(&self) -> Result<u64> {
        let v: i64 = self
            .conn()?
            .query_one(
                "SELECT coalesce(max(version), 0) FROM catalog_versions",
                &[],
            )?
            .get(0);
        Ok(to_u64(v))
    }
}
