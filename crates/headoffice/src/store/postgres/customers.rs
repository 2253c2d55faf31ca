//! [`CustomersStore`] on PostgreSQL (the SQL is
//! [`crate::store::customers::sql`]), and the account balances of ingest.

use super::PgStore;
use crate::store::customers::{
    check_all, params, patterns, refuse, render, row, sql, CustomerRow, CustomersStore, Raw, Write,
    MAX_FOUND,
};
use crate::store::{now_rfc3339, to_i64, to_u64, Result};
use postgres::types::ToSql;
use postgres::GenericClient;
use std::collections::BTreeMap;
use till_core::customer::Customer;

fn q(s: &str) -> String {
    render(s, true)
}

fn select(
    c: &mut impl GenericClient,
    tail: &str,
    p: &[&(dyn ToSql + Sync)],
) -> Result<Vec<CustomerRow>> {
    let rows = c.query(&q(&format!("SELECT {} {tail}", sql::COLUMNS)), p)?;
    rows.iter()
        .map(|r| {
            let mut text: [Option<String>; 14] = Default::default();
            for (i, t) in text.iter_mut().enumerate() {
                *t = r.get(i);
            }
            row(Raw {
                text,
                version: r.get(14),
                created_at: r.get(15),
                updated_at: r.get(16),
                balance: r.get(17),
                sales: r.get(18),
            })
        })
        .collect()
}

/// Takes the next customers version; its row stays locked until commit.
fn bump(c: &mut impl GenericClient) -> Result<i64> {
    Ok(c.query_one(&q(sql::BUMP), &[])?.get(0))
}

/// Adds a batch's account sales (customer number -> (amount, sales)) to the
/// balances and stamps those customers with a new version.
pub(super) fn apply_on_account(
    c: &mut impl GenericClient,
    rows: &BTreeMap<String, (rust_decimal::Decimal, u64)>,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let v = bump(c)?;
    let add = q(sql::ADD_BALANCE);
    let stamp = q(sql::STAMP);
    for (number, (amount, n)) in rows {
        c.execute(&add, &[number, &amount.to_string(), &to_i64(*n)])?;
        c.execute(&stamp, &[number, &v])?;
    }
    Ok(())
}

/// (number, credit limit, balance) of a customer.
pub(super) fn limit_and_balance(
    c: &mut impl GenericClient,
    number: &str,
) -> Result<Option<(String, String, String)>> {
    Ok(c.query_opt(&q(sql::OVER), &[&number])?
        .map(|r| (r.get(0), r.get(1), r.get(2))))
}

impl CustomersStore for PgStore {
    fn customers_write(&self, customers: &[Customer], how: Write) -> Result<u64> {
        let customers = check_all(customers)?;
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        // The version first: it serialises writers, so the checks below
        // read what no other writer is changing.
        let v = bump(&mut tx)?;
        let now = now_rfc3339();
        let (exists, holder, put) = (q(sql::EXISTS), q(sql::CARD_HOLDER), q(sql::UPSERT));
        for cu in &customers {
            let n: i64 = tx.query_one(&exists, &[&cu.number])?.get(0);
            let other: Option<String> = match &cu.loyalty_card {
                Some(card) => tx
                    .query_opt(&holder, &[card, &cu.number])?
                    .map(|r| r.get(0)),
                None => None,
            };
            refuse(cu, how, n > 0, other)?;
            let p = params(cu);
            let mut args: Vec<&(dyn ToSql + Sync)> =
                p.iter().map(|s| s as &(dyn ToSql + Sync)).collect();
            args.push(&v);
            args.push(&now);
            tx.execute(&put, &args)?;
        }
        tx.commit()?;
        Ok(to_u64(v))
    }

    fn customer(&self, number: &str) -> Result<Option<CustomerRow>> {
        let mut c = self.conn()?;
        Ok(select(&mut *c, sql::ONE, &[&number])?.into_iter().next())
    }

    fn customers_find(&self, query: &str, limit: usize) -> Result<Vec<CustomerRow>> {
        let (exact, prefix, [w1, w2, w3, w4]) = patterns(query);
        let limit = to_i64(limit.min(MAX_FOUND) as u64);
        let mut c = self.conn()?;
        select(
            &mut *c,
            sql::FIND,
            &[&exact, &prefix, &w1, &w2, &w3, &w4, &limit],
        )
    }

    fn customers_since(&self, since: u64) -> Result<(u64, Vec<CustomerRow>)> {
        let mut c = self.conn()?;
        // One snapshot: the version and the rows are of the same moment.
        let mut tx = c
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        let current: i64 = tx.query_one(&q(sql::CURRENT), &[])?.get(0);
        let rows = select(&mut tx, sql::SINCE, &[&to_i64(since)])?;
        tx.commit()?;
        Ok((to_u64(current), rows))
    }

    fn terminal_last_seq(&self, terminal_id: &str) -> Result<u64> {
        let mut c = self.conn()?;
        let v: i64 = c.query_one(&q(sql::LAST_SEQ), &[&terminal_id])?.get(0);
        Ok(to_u64(v))
    }
}
