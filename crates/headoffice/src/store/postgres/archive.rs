//! [`ArchiveStore`] over PostgreSQL.

use super::PgStore;
use crate::store::archive::ArchiveStore;
use crate::store::{hash32, to_i64, to_u64, Result};
use till_journal::StoredEvent;

const COLS: &str = "seq, ts, kind, payload, prev_hash, hash, signature";

fn event(terminal_id: &str, r: &postgres::Row) -> Result<StoredEvent> {
    let prev: Vec<u8> = r.get(4);
    let hash: Vec<u8> = r.get(5);
    Ok(StoredEvent {
        terminal_id: terminal_id.to_string(),
        seq: to_u64(r.get(0)),
        ts: r.get(1),
        kind: r.get(2),
        payload: r.get(3),
        prev_hash: hash32("events.prev_hash", &prev)?,
        hash: hash32("events.hash", &hash)?,
        signature: r.get(6),
    })
}

impl ArchiveStore for PgStore {
    fn archive_terminal(&self, terminal_id: &str) -> Result<Option<(String, Option<String>)>> {
        let row = self.conn()?.query_opt(
            "SELECT store_id, public_key FROM terminals WHERE terminal_id = $1",
            &[&terminal_id],
        )?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    fn archive_closing_seq(
        &self,
        terminal_id: &str,
        kind: &str,
        period: &str,
    ) -> Result<Option<u64>> {
        let row = self.conn()?.query_opt(
            "SELECT seq FROM closings WHERE terminal_id = $1 AND kind = $2 AND period = $3",
            &[&terminal_id, &kind, &period],
        )?;
        Ok(row.map(|r| to_u64(r.get(0))))
    }

    fn archive_events(&self, terminal_id: &str, from: u64, to: u64) -> Result<Vec<StoredEvent>> {
        let rows = self.conn()?.query(
            &format!("SELECT {COLS} FROM events WHERE terminal_id = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq"),
            &[&terminal_id, &to_i64(from), &to_i64(to)],
        )?;
        rows.iter().map(|r| event(terminal_id, r)).collect()
    }

    fn archive_last_of(
        &self,
        terminal_id: &str,
        upto: u64,
        kinds: &[&str],
    ) -> Result<Option<StoredEvent>> {
        let kinds: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
        let row = self.conn()?.query_opt(
            &format!("SELECT {COLS} FROM events WHERE terminal_id = $1 AND seq <= $2 AND kind = ANY($3) ORDER BY seq DESC LIMIT 1"),
            &[&terminal_id, &to_i64(upto), &kinds],
        )?;
        row.map(|r| event(terminal_id, &r)).transpose()
    }
}
