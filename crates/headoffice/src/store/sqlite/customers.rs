//! [`CustomersStore`] on SQLite (the SQL is [`crate::store::customers::sql`]),
//! and the account balances of ingest.

use super::SqliteStore;
use crate::store::customers::{
    check_all, params, patterns, refuse, render, row, sql, CustomerRow, CustomersStore, Raw, Write,
    MAX_FOUND,
};
use crate::store::{now_rfc3339, to_i64, to_u64, Result};
use rusqlite::{params_from_iter, Connection, OptionalExtension, TransactionBehavior};
use std::collections::BTreeMap;
use till_core::customer::Customer;

fn q(s: &str) -> String {
    render(s, false)
}

fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Raw> {
    let mut text: [Option<String>; 14] = Default::default();
    for (i, t) in text.iter_mut().enumerate() {
        *t = r.get(i)?;
    }
    Ok(Raw {
        text,
        version: r.get(14)?,
        created_at: r.get(15)?,
        updated_at: r.get(16)?,
        balance: r.get(17)?,
        sales: r.get(18)?,
    })
}

fn select(c: &Connection, tail: &str, p: &[&dyn rusqlite::ToSql]) -> Result<Vec<CustomerRow>> {
    let text = q(&format!("SELECT {} {tail}", sql::COLUMNS));
    let mut st = c.prepare_cached(&text)?;
    let raws = st
        .query_map(p, read)?
        .collect::<rusqlite::Result<Vec<Raw>>>()?;
    raws.into_iter().map(row).collect()
}

/// Takes the next customers version.
fn bump(c: &Connection) -> Result<i64> {
    Ok(c.query_row(&q(sql::BUMP), [], |r| r.get(0))?)
}

/// Adds a batch's account sales (customer number -> (amount, sales)) to the
/// balances and stamps those customers with a new version.
pub(super) fn apply_on_account(
    c: &Connection,
    rows: &BTreeMap<String, (rust_decimal::Decimal, u64)>,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let v = bump(c)?;
    let mut add = c.prepare_cached(&q(sql::ADD_BALANCE))?;
    let mut stamp = c.prepare_cached(&q(sql::STAMP))?;
    for (number, (amount, n)) in rows {
        add.execute(rusqlite::params![number, amount.to_string(), to_i64(*n)])?;
        stamp.execute(rusqlite::params![number, v])?;
    }
    Ok(())
}

/// (number, credit limit, balance) of a customer.
pub(super) fn limit_and_balance(
    c: &Connection,
    number: &str,
) -> Result<Option<(String, String, String)>> {
    Ok(c.prepare_cached(&q(sql::OVER))?
        .query_row([number], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?)
}

impl CustomersStore for SqliteStore {
    fn customers_write(&self, customers: &[Customer], how: Write) -> Result<u64> {
        let customers = check_all(customers)?;
        let mut c = self.lock()?;
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let v = bump(&tx)?;
        let now = now_rfc3339();
        {
            let mut exists = tx.prepare_cached(&q(sql::EXISTS))?;
            let mut holder = tx.prepare_cached(&q(sql::CARD_HOLDER))?;
            let mut put = tx.prepare_cached(&q(sql::UPSERT))?;
            for cu in &customers {
                let n: i64 = exists.query_row([&cu.number], |r| r.get(0))?;
                let other: Option<String> = match &cu.loyalty_card {
                    Some(card) => holder
                        .query_row([card, &cu.number], |r| r.get(0))
                        .optional()?,
                    None => None,
                };
                refuse(cu, how, n > 0, other)?;
                let mut p: Vec<rusqlite::types::Value> = params(cu)
                    .into_iter()
                    .map(|s| s.map_or(rusqlite::types::Value::Null, Into::into))
                    .collect();
                p.push(v.into());
                p.push(now.clone().into());
                put.execute(params_from_iter(p))?;
            }
        }
        tx.commit()?;
        Ok(to_u64(v))
    }

    fn customer(&self, number: &str) -> Result<Option<CustomerRow>> {
        let c = self.lock()?;
        Ok(select(&c, sql::ONE, &[&number])?.into_iter().next())
    }

    fn customers_find(&self, query: &str, limit: usize) -> Result<Vec<CustomerRow>> {
        let (exact, prefix, [w1, w2, w3, w4]) = patterns(query);
        let limit = to_i64(limit.min(MAX_FOUND) as u64);
        let c = self.lock()?;
        select(
            &c,
            sql::FIND,
            &[&exact, &prefix, &w1, &w2, &w3, &w4, &limit],
        )
    }

    fn customers_since(&self, since: u64) -> Result<(u64, Vec<CustomerRow>)> {
        let c = self.lock()?;
        // One connection behind the lock: the version and the rows are of
        // the same moment.
        let current: i64 = c.query_row(&q(sql::CURRENT), [], |r| r.get(0))?;
        let rows = select(&c, sql::SINCE, &[&to_i64(since)])?;
        Ok((to_u64(current), rows))
    }

    fn terminal_last_seq(&self, terminal_id: &str) -> Result<u64> {
        let c = self.lock()?;
        let v: i64 = c.query_row(&q(sql::LAST_SEQ), [terminal_id], |r| r.get(0))?;
        Ok(to_u64(v))
    }
}
