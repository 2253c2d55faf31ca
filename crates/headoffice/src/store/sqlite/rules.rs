//! [`RulesStore`] on SQLite, and the abandoned-basket upsert of ingest.

use super::SqliteStore;
use crate::store::rules::{
    ruleset_body, ruleset_row, AbandonedRow, RulesStore, Ruleset, RulesetRow, ABANDONED_SQL,
};
use crate::store::{now_rfc3339, parse_dec, to_i64, to_u64, Result, TerminalAuth};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeMap;

/// Adds a batch's abandoned baskets (`(day, operator) -> (count, total)`).
pub(super) fn apply_abandoned(
    c: &Connection,
    t: &TerminalAuth,
    rows: &BTreeMap<(String, String), (u64, rust_decimal::Decimal)>,
) -> Result<()> {
    let mut st = c.prepare_cached(
        "INSERT INTO abandoned_baskets (store_id, terminal_id, day, operator, baskets, total)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (terminal_id, day, operator) DO UPDATE
         SET baskets = baskets + excluded.baskets, total = dec_add(total, excluded.total)",
    )?;
    for ((day, operator), (n, total)) in rows {
        st.execute(params![
            t.store_id,
            t.terminal_id,
            day,
            operator,
            to_i64(*n),
            total.to_string()
        ])?;
    }
    Ok(())
}

impl RulesStore for SqliteStore {
    fn set_ruleset(&self, rules: &Ruleset, by: &str) -> Result<u64> {
        let body = ruleset_body(rules)?;
        let c = self.lock()?;
        // The single writer: max + 1 cannot race another insert.
        let v: i64 = c.query_row(
            "INSERT INTO rulesets (version, body, set_at, set_by)
             SELECT coalesce(max(version), 0) + 1, ?1, ?2, ?3 FROM rulesets
             RETURNING version",
            params![body, now_rfc3339(), by],
            |r| r.get(0),
        )?;
        Ok(to_u64(v))
    }

    fn ruleset_since(&self, since: u64) -> Result<Option<RulesetRow>> {
        let c = self.lock()?;
        let row: Option<(i64, String, String, String)> = c
            .prepare_cached(
                "SELECT version, body, set_at, set_by FROM rulesets
                 WHERE version > ?1 ORDER BY version DESC LIMIT 1",
            )?
            .query_row([to_i64(since)], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        row.map(|(v, b, at, by)| ruleset_row(v, &b, at, by))
            .transpose()
    }

    fn abandoned_baskets(&self, from: Option<&str>, to: Option<&str>) -> Result<Vec<AbandonedRow>> {
        let c = self.lock()?;
        let sql = ABANDONED_SQL.replace("{from}", "?1").replace("{to}", "?2");
        let mut st = c.prepare_cached(&sql)?;
        let mut rows = st.query(params![from.unwrap_or(""), to.unwrap_or("")])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let total: String = r.get(5)?;
            out.push(AbandonedRow {
                store_id: r.get(0)?,
                terminal_id: r.get(1)?,
                day: r.get(2)?,
                operator: r.get(3)?,
                baskets: to_u64(r.get(4)?),
                total: parse_dec("abandoned_baskets.total", &total)?,
            });
        }
        Ok(out)
    }
}
