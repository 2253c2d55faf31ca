//! Customers with an account ([`till_core::customer`]), what each owes on
//! account, and the versions the tills pull them by.
//!
//! Every change (an add, an edit, an import, an account sale ingested for
//! the customer) takes the next customers version (`customers_version`, one
//! row) and stamps the rows it changed with it, in the transaction of the
//! change. Taking the version locks its row until commit, so versions
//! commit in order: a till that has seen version V has seen every change up
//! to V (`GET /v1/customers?since=V`).
//!
//! `customer_balances` is a projection filled by ingest: per customer
//! number, the sum of the account tenders of the sales received (refunds
//! to the account subtract). The available credit sent down is the credit
//! limit less that balance ([`till_core::customer::available_credit`]).
//!
//! The SQL is written once here ([`SQL`]), rendered for each backend by
//! [`render`]: `?N` parameters (PostgreSQL's `$N`), decimals written as
//! text and cast (`{dec}`), read back as text.

use super::{Result, StoreError};
use rust_decimal::Decimal;
use serde::Serialize;
use till_core::customer::{AccountStatus, Customer, CustomerKind, PaymentTerms};

/// Customers a search returns at most.
pub const MAX_FOUND: usize = 200;

/// A customer as stored, with what they owe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerRow {
    pub customer: Customer,
    /// What they owe on account (account sales received).
    pub balance: Decimal,
    /// The credit limit less the balance, never below zero.
    pub available: Decimal,
    /// Account sales received.
    pub account_sales: u64,
    /// The customers version of its last change.
    pub version: u64,
    pub created_at: String,
    pub updated_at: String,
}

/// What a change does when the number is taken already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// A new customer: a number (or loyalty card) in use is refused.
    Add,
    /// An existing customer: an unknown number is refused.
    Edit,
    /// New or replacing (an import).
    Upsert,
}

/// The customers' storage.
pub trait CustomersStore {
    /// Writes `customers` (checked here again) in one transaction under one
    /// new customers version, returned; nothing is stored on any error.
    fn customers_write(&self, customers: &[Customer], how: Write) -> Result<u64>;
    /// One customer by number.
    fn customer(&self, number: &str) -> Result<Option<CustomerRow>>;
    /// Customers whose number starts with, whose name contains (accents and
    /// case folded), or whose loyalty card is `query` (empty: all), by
    /// number, at most `limit` (bounded by [`MAX_FOUND`]).
    fn customers_find(&self, query: &str, limit: usize) -> Result<Vec<CustomerRow>>;
    /// The customers changed after version `since`, and the newest version.
    fn customers_since(&self, since: u64) -> Result<(u64, Vec<CustomerRow>)>;
    /// The newest seq head office holds of a terminal (0: none).
    fn terminal_last_seq(&self, terminal_id: &str) -> Result<u64>;
}

/// The statements both backends run (render with [`render`]).
pub(crate) mod sql {
    /// Takes the next version (locks its row until commit).
    pub const BUMP: &str = "INSERT INTO customers_version (id, version) VALUES (1, 1)
         ON CONFLICT (id) DO UPDATE SET version = customers_version.version + 1
         RETURNING version";
    pub const LAST_SEQ: &str =
        "SELECT coalesce((SELECT last_seq FROM terminals WHERE terminal_id = ?1), 0)";
    pub const CURRENT: &str =
        "SELECT coalesce((SELECT version FROM customers_version WHERE id = 1), 0)";
    pub const EXISTS: &str = "SELECT count(*) FROM customers WHERE number = ?1";
    /// The number holding a loyalty card, if another.
    pub const CARD_HOLDER: &str =
        "SELECT number FROM customers WHERE loyalty_card = ?1 AND number <> ?2";
    pub const UPSERT: &str = "INSERT INTO customers (number, kind, name, siren, siret, vat_number,
         address, email, phone, terms, credit_limit, grp, status, loyalty_card, name_folded,
         version, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, CAST(CAST(?11 AS TEXT) AS {dec}), ?12,
         ?13, ?14, ?15, ?16, ?17, ?17)
         ON CONFLICT (number) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name,
         siren = EXCLUDED.siren, siret = EXCLUDED.siret, vat_number = EXCLUDED.vat_number,
         address = EXCLUDED.address, email = EXCLUDED.email, phone = EXCLUDED.phone,
         terms = EXCLUDED.terms, credit_limit = EXCLUDED.credit_limit, grp = EXCLUDED.grp,
         status = EXCLUDED.status, loyalty_card = EXCLUDED.loyalty_card,
         name_folded = EXCLUDED.name_folded, version = EXCLUDED.version,
         updated_at = EXCLUDED.updated_at";
    /// The columns [`super::row`] reads, in order.
    pub const COLUMNS: &str = "c.number, c.kind, c.name, c.siren, c.siret, c.vat_number,
         c.address, c.email, c.phone, c.terms, CAST(c.credit_limit AS TEXT), c.grp, c.status,
         c.loyalty_card, c.version, c.created_at, c.updated_at,
         CAST(coalesce(b.balance, 0) AS TEXT), coalesce(b.sales, 0)
         FROM customers c LEFT JOIN customer_balances b ON b.number = c.number";
    pub const ONE: &str = "WHERE c.number = ?1";
    /// `?3`..`?6`: a LIKE pattern per word of the name (in any order;
    /// `%` for the unused ones, NULL when there is no word at all).
    pub const FIND: &str = "WHERE ?1 = '' OR c.number LIKE ?2 OR c.loyalty_card = ?1
         OR (c.name_folded LIKE ?3 AND c.name_folded LIKE ?4 AND c.name_folded LIKE ?5
             AND c.name_folded LIKE ?6)
         ORDER BY c.number LIMIT ?7";
    pub const SINCE: &str = "WHERE c.version > ?1 ORDER BY c.version, c.number";
    /// Adds an account sale's amount to a customer's balance.
    pub const ADD_BALANCE: &str = "INSERT INTO customer_balances (number, balance, sales)
         VALUES (?1, CAST(CAST(?2 AS TEXT) AS {dec}), ?3)
         ON CONFLICT (number) DO UPDATE
         SET balance = {add}, sales = customer_balances.sales + EXCLUDED.sales";
    /// Stamps a customer whose balance changed with the new version.
    pub const STAMP: &str = "UPDATE customers SET version = ?2 WHERE number = ?1";
    /// Balance and limit of the customers among a batch's.
    pub const OVER: &str = "SELECT c.number, CAST(c.credit_limit AS TEXT),
         CAST(coalesce(b.balance, 0) AS TEXT)
         FROM customers c LEFT JOIN customer_balances b ON b.number = c.number
         WHERE c.number = ?1";
}

/// A statement of [`sql`] for a backend: PostgreSQL numbers its parameters
/// `$N` and adds NUMERICs with `+`; SQLite's decimals are TEXT added by
/// `dec_add`.
pub(crate) fn render(sql: &str, postgres: bool) -> String {
    if postgres {
        sql.replace('?', "$")
            .replace("{dec}", "NUMERIC")
            .replace("{add}", "customer_balances.balance + EXCLUDED.balance")
    } else {
        sql.replace("{dec}", "TEXT").replace(
            "{add}",
            "dec_add(customer_balances.balance, EXCLUDED.balance)",
        )
    }
}

/// A query's parameters for [`sql::FIND`]: the query itself, the
/// number's prefix pattern, and a pattern per word of the name (at most
/// four; wildcards typed are dropped, so `%` finds nothing).
pub(crate) fn patterns(query: &str) -> (String, Option<String>, [Option<String>; 4]) {
    let q = query.trim();
    let esc = |s: &str| s.replace(['%', '_', '\\'], "");
    let prefix = Some(esc(q))
        .filter(|p| !p.is_empty())
        .map(|p| format!("{p}%"));
    let words: Vec<String> = super::catalog_edit::words(q)
        .into_iter()
        .map(|w| esc(&w))
        .filter(|w| !w.is_empty())
        .take(4)
        .collect();
    let mut like: [Option<String>; 4] = [None, None, None, None];
    if !words.is_empty() {
        for (i, slot) in like.iter_mut().enumerate() {
            *slot = Some(match words.get(i) {
                Some(w) => format!("%{w}%"),
                None => "%".into(),
            });
        }
    }
    (q.to_string(), prefix, like)
}

/// The folded name a search matches.
pub(crate) fn folded(name: &str) -> String {
    super::catalog_edit::words(name).join(" ")
}

/// The text parameters of [`sql::UPSERT`] (all but the version and date).
pub(crate) fn params(c: &Customer) -> [Option<String>; 15] {
    [
        Some(c.number.clone()),
        Some(c.kind.code().into()),
        Some(c.name.clone()),
        c.siren.clone(),
        c.siret.clone(),
        c.vat_number.clone(),
        c.address.clone(),
        c.email.clone(),
        c.phone.clone(),
        Some(c.terms.code()),
        Some(c.credit_limit.to_string()),
        c.group.clone(),
        Some(c.status.code().into()),
        c.loyalty_card.clone(),
        Some(folded(&c.name)),
    ]
}

/// The checks of a write: each customer valid, no number twice.
pub(crate) fn check_all(customers: &[Customer]) -> Result<Vec<Customer>> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::with_capacity(customers.len());
    for c in customers {
        let c = c
            .clone()
            .checked()
            .map_err(|e| StoreError::Invalid(format!("customer {}: {e}", c.number)))?;
        if !seen.insert(c.number.clone()) {
            return Err(StoreError::Invalid(format!(
                "customer {} appears twice",
                c.number
            )));
        }
        out.push(c);
    }
    Ok(out)
}

/// Refuses a write the stored rows forbid: `exists` is whether the number
/// is taken, `card_holder` another customer holding the loyalty card.
pub(crate) fn refuse(
    c: &Customer,
    how: Write,
    exists: bool,
    card_holder: Option<String>,
) -> Result<()> {
    match how {
        Write::Add if exists => {
            return Err(StoreError::Invalid(format!(
                "customer {} exists already",
                c.number
            )))
        }
        Write::Edit if !exists => {
            return Err(StoreError::Invalid(format!("no customer {}", c.number)))
        }
        _ => {}
    }
    if let Some(other) = card_holder {
        return Err(StoreError::Invalid(format!(
            "customer {}: loyalty card {} is customer {other}'s",
            c.number,
            c.loyalty_card.as_deref().unwrap_or("")
        )));
    }
    Ok(())
}

/// The raw columns of [`sql::COLUMNS`], as both backends read them.
pub(crate) struct Raw {
    pub text: [Option<String>; 14],
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub balance: String,
    pub sales: i64,
}

fn corrupt(detail: String) -> StoreError {
    StoreError::Corrupt {
        what: "customers",
        detail,
    }
}

/// A row read back.
pub(crate) fn row(raw: Raw) -> Result<CustomerRow> {
    let [number, kind, name, siren, siret, vat_number, address, email, phone, terms, limit, group, status, loyalty_card] =
        raw.text;
    let number = number.unwrap_or_default();
    let bad = |what: &str, v: &Option<String>| corrupt(format!("{number}: {what} {v:?}"));
    let customer = Customer {
        kind: kind
            .as_deref()
            .and_then(CustomerKind::parse)
            .ok_or_else(|| bad("kind", &kind))?,
        name: name.unwrap_or_default(),
        siren,
        siret,
        vat_number,
        address,
        email,
        phone,
        terms: terms
            .as_deref()
            .and_then(PaymentTerms::parse)
            .ok_or_else(|| bad("terms", &terms))?,
        credit_limit: super::parse_dec("customers.credit_limit", limit.as_deref().unwrap_or(""))?,
        group,
        status: status
            .as_deref()
            .and_then(AccountStatus::parse)
            .ok_or_else(|| bad("status", &status))?,
        loyalty_card,
        number,
    };
    let balance = super::parse_dec("customer_balances.balance", &raw.balance)?;
    Ok(CustomerRow {
        available: till_core::customer::available_credit(customer.credit_limit, balance),
        customer,
        balance,
        account_sales: super::to_u64(raw.sales),
        version: super::to_u64(raw.version),
        created_at: raw.created_at,
        updated_at: raw.updated_at,
    })
}
