//! Which records reference a sale: the `sale_links` projection (schema 2).

use crate::error::Result;
use crate::journal::{to_i64, to_u64, Journal};
use crate::schema;

impl Journal {
    /// The seqs of the refunds, cancellations and receipt reprints that
    /// reference the record at `orig_seq` (by `reverses.seq` or `sale.seq`),
    /// oldest first. `None` when the file predates the projection (schema 1,
    /// opened read-only and not yet migrated): the caller has to look itself.
    pub fn sale_links(&self, orig_seq: u64) -> Result<Option<Vec<u64>>> {
        let db = |e| self.db(e);
        if schema::version(&self.conn).map_err(db)? < 2 {
            return Ok(None);
        }
        let mut st = self
            .conn
            .prepare_cached("SELECT seq FROM sale_links WHERE orig_seq = ?1 ORDER BY seq")
            .map_err(db)?;
        let seqs = st
            .query_map([to_i64(orig_seq)], |r| r.get::<_, i64>(0))
            .map_err(db)?
            .map(|r| r.map(to_u64))
            .collect::<rusqlite::Result<Vec<u64>>>()
            .map_err(db)?;
        Ok(Some(seqs))
    }
}
