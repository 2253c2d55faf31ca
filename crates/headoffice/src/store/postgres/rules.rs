//! [`RulesStore`] on PostgreSQL, and the abandoned-basket upsert of ingest.

use super::PgStore;
use crate::store::rules::{
    ruleset_body, ruleset_row, AbandonedRow, RulesStore, Ruleset, RulesetRow, ABANDONED_SQL,
};
use crate::store::{now_rfc3339, parse_dec, to_i64, to_u64, Result, TerminalAuth};
use postgres::Client;
use std::collections::BTreeMap;

/// Adds a batch's abandoned baskets (`(day, operator) -> (count, total)`),
/// in one statement, rows locked in key order like the day totals.
pub(super) fn apply_abandoned(
    c: &mut Client,
    t: &TerminalAuth,
    rows: &BTreeMap<(String, String), (u64, rust_decimal::Decimal)>,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let days: Vec<&str> = rows.keys().map(|(d, _)| d.as_str()).collect();
    let ops: Vec<&str> = rows.keys().map(|(_, o)| o.as_str()).collect();
    let counts: Vec<i64> = rows.values().map(|(n, _)| to_i64(*n)).collect();
    let totals: Vec<String> = rows.values().map(|(_, v)| v.to_string()).collect();
    c.execute(
        "INSERT INTO abandoned_baskets (store_id, terminal_id, day, operator, baskets, total)
         SELECT $1, $2, u.day, u.op, u.n, u.total::numeric
         FROM unnest($3::text[], $4::text[], $5::bigint[], $6::text[]) AS u(day, op, n, total)
         ON CONFLICT (terminal_id, day, operator) DO UPDATE
         SET baskets = abandoned_baskets.baskets + EXCLUDED.baskets,
             total = abandoned_baskets.total + EXCLUDED.total",
        &[&t.store_id, &t.terminal_id, &days, &ops, &counts, &totals],
    )?;
    Ok(())
}

impl RulesStore for PgStore {
    fn set_ruleset(&self, rules: &Ruleset, by: &str) -> Result<u64> {
        let body = ruleset_body(rules)?;
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        // Several head offices may share the database: one writer of
        // versions at a time.
        tx.batch_execute("LOCK TABLE rulesets IN EXCLUSIVE MODE")?;
        let v: i64 = tx
            .query_one(
                "INSERT INTO rulesets (version, body, set_at, set_by)
                 SELECT coalesce(max(version), 0) + 1, $1, $2, $3 FROM rulesets
                 RETURNING version",
                &[&body, &now_rfc3339(), &by],
            )?
            .get(0);
        tx.commit()?;
        Ok(to_u64(v))
    }

    fn ruleset_since(&self, since: u64) -> Result<Option<RulesetRow>> {
        let mut c = self.conn()?;
        let row = c.query_opt(
            "SELECT version, body, set_at, set_by FROM rulesets
             WHERE version > $1 ORDER BY version DESC LIMIT 1",
            &[&to_i64(since)],
        )?;
        row.map(|r| ruleset_row(r.get(0), r.get::<_, String>(1).as_str(), r.get(2), r.get(3)))
            .transpose()
    }

    fn abandoned_baskets(&self, from: Option<&str>, to: Option<&str>) -> Result<Vec<AbandonedRow>> {
        let mut c = self.conn()?;
        let sql = ABANDONED_SQL
            .replace("{from}", "$1")
            .replace("{to}", "$2")
            .replace("baskets, total", "baskets, total::text");
        let rows = c.query(&sql, &[&from.unwrap_or(""), &to.unwrap_or("")])?;
        rows.iter()
            .map(|r| {
                Ok(AbandonedRow {
                    store_id: r.get(0),
                    terminal_id: r.get(1),
                    day: r.get(2),
                    operator: r.get(3),
                    baskets: to_u64(r.get(4)),
                    total: parse_dec("abandoned_baskets.total", &r.get::<_, String>(5))?,
                })
            })
            .collect()
    }
}
