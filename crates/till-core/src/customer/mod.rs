//! Customers with an account: who they are (a business with its SIREN,
//! SIRET and VAT number, or a consumer), their payment terms within the
//! legal ceilings, their credit limit and group, and whether their account
//! is open. Head office keeps them; tills get a copy with the catalog
//! (`till-catalog`'s `customers` table) and decide sales on account with
//! [`account_check`].
//!
//! Pure: checks and arithmetic only. Identifiers in [`ids`], terms in
//! [`terms`].

pub mod book;
pub mod ids;
pub mod terms;

pub use book::{CustomerBook, TillCustomer};
pub use terms::PaymentTerms;

use crate::money::Money;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The largest credit limit head office accepts.
pub const MAX_CREDIT_LIMIT: i64 = 10_000_000;

/// A business (invoiced B2B) or a consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerKind {
    /// A company: SIREN, VAT number, billing address.
    Business,
    /// A private person.
    Consumer,
}

impl CustomerKind {
    /// The stable code ("b2b", "b2c"), as stored and typed.
    pub fn code(self) -> &'static str {
        match self {
            CustomerKind::Business => "b2b",
            CustomerKind::Consumer => "b2c",
        }
    }

    /// From its code.
    pub fn parse(s: &str) -> Option<CustomerKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "b2b" => Some(CustomerKind::Business),
            "b2c" => Some(CustomerKind::Consumer),
            _ => None,
        }
    }
}

/// Whether the customer may buy on account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Buys on account within the credit limit.
    Open,
    /// Suspended (unpaid invoices, a dispute): a manager decides each sale.
    OnHold,
    /// Handed to a collection agency: no sale on account.
    InCollection,
}

impl AccountStatus {
    /// Every status, in order.
    pub const ALL: [AccountStatus; 3] = [
        AccountStatus::Open,
        AccountStatus::OnHold,
        AccountStatus::InCollection,
    ];

    /// The stable code, as stored and sent to the tills.
    pub fn code(self) -> &'static str {
        match self {
            AccountStatus::Open => "open",
            AccountStatus::OnHold => "on_hold",
            AccountStatus::InCollection => "in_collection",
        }
    }

    /// From its code.
    pub fn parse(s: &str) -> Option<AccountStatus> {
        AccountStatus::ALL
            .into_iter()
            .find(|a| a.code() == s.trim().to_ascii_lowercase())
    }
}

/// A customer as head office keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// The customer number (unique; printed, typed, journaled).
    pub number: String,
    /// A business or a consumer.
    pub kind: CustomerKind,
    /// The company name, or the person's name.
    pub name: String,
    /// SIREN (9 digits), businesses only.
    pub siren: Option<String>,
    /// SIRET (14 digits) of the establishment billed, businesses only.
    pub siret: Option<String>,
    /// Intra-EU VAT number, businesses only.
    pub vat_number: Option<String>,
    /// Billing address (lines separated by newlines).
    pub address: Option<String>,
    /// Contact e-mail.
    pub email: Option<String>,
    /// Contact telephone.
    pub phone: Option<String>,
    /// When invoices are due.
    pub terms: PaymentTerms,
    /// The most the customer may owe on account.
    pub credit_limit: Money,
    /// The customer group, whose purchase rules apply at the till.
    pub group: Option<String>,
    /// Whether the account may be used.
    pub status: AccountStatus,
    /// A loyalty card's barcode, scanned at the till to find the customer.
    pub loyalty_card: Option<String>,
}

/// A field that does not pass its check: the field's name (as a CSV
/// column or a CLI option says it) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {why}")]
pub struct CustomerError {
    /// The field, as in the CSV header.
    pub field: &'static str,
    /// What is wrong.
    pub why: String,
}

fn err(field: &'static str, why: impl Into<String>) -> CustomerError {
    CustomerError {
        field,
        why: why.into(),
    }
}

fn text(field: &'static str, v: &str, max: usize) -> Result<(), CustomerError> {
    if v.trim().is_empty() {
        return Err(err(field, "empty"));
    }
    if v.chars().count() > max {
        return Err(err(field, format!("longer than {max} characters")));
    }
    if v.chars().any(|c| c.is_control() && c != '\n') {
        return Err(err(field, "control characters"));
    }
    Ok(())
}

/// A customer number: 1 to 20 letters, digits, `-` or `_`.
pub fn number_ok(n: &str) -> bool {
    (1..=20).contains(&n.len())
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Customer {
    /// Normalises what people type (identifiers compacted, VAT upper case,
    /// blanks to None) and checks every field; the first wrong one is named.
    pub fn checked(mut self) -> Result<Customer, CustomerError> {
        let blank = |o: Option<String>| o.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        self.siren = blank(self.siren).map(|s| ids::compact(&s));
        self.siret = blank(self.siret).map(|s| ids::compact(&s));
        self.vat_number = blank(self.vat_number).map(|s| ids::compact(&s));
        self.address = blank(self.address);
        self.email = blank(self.email);
        self.phone = blank(self.phone);
        self.group = blank(self.group);
        self.loyalty_card = blank(self.loyalty_card);
        self.number = self.number.trim().to_string();
        self.name = self.name.trim().to_string();
        if !number_ok(&self.number) {
            return Err(err(
                "number",
                "1 to 20 letters, digits, '-' or '_' (no spaces)",
            ));
        }
        text("name", &self.name, 120)?;
        if self.kind == CustomerKind::Consumer
            && (self.siren.is_some() || self.siret.is_some() || self.vat_number.is_some())
        {
            return Err(err(
                "kind",
                "a consumer (b2c) has no SIREN, SIRET or VAT number",
            ));
        }
        if let Some(s) = &self.siren {
            if !ids::siren_ok(s) {
                return Err(err("siren", "not a SIREN (9 digits, the last a Luhn key)"));
            }
        }
        if let Some(s) = &self.siret {
            if !ids::siret_ok(s) {
                return Err(err("siret", "not a SIRET (14 digits, the last a Luhn key)"));
            }
            match &self.siren {
                Some(siren) if !s.starts_with(siren.as_str()) => {
                    return Err(err("siret", "does not begin with the SIREN"));
                }
                None => self.siren = Some(s[..9].to_string()),
                _ => {}
            }
        }
        if let Some(v) = &self.vat_number {
            ids::vat_check(v).map_err(|e| err("vat_number", e.to_string()))?;
            if let (Some(siren), Some(rest)) = (&self.siren, v.strip_prefix("FR")) {
                if !rest.ends_with(siren.as_str()) {
                    return Err(err("vat_number", "does not carry the SIREN"));
                }
            }
        }
        if let Some(a) = &self.address {
            text("address", a, 400)?;
        }
        if let Some(e) = &self.email {
            text("email", e, 254)?;
            let ok = e.split_once('@').is_some_and(|(l, d)| {
                !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
            });
            if !ok || e.chars().any(char::is_whitespace) {
                return Err(err("email", "not an e-mail address"));
            }
        }
        if let Some(p) = &self.phone {
            let digits = p.chars().filter(char::is_ascii_digit).count();
            let shape = p
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '.' | '-' | '(' | ')'));
            if !shape || !(6..=15).contains(&digits) {
                return Err(err("phone", "not a telephone number"));
            }
        }
        self.terms.check().map_err(|why| err("terms", why))?;
        credit_limit_check(self.credit_limit).map_err(|why| err("credit_limit", why))?;
        if let Some(g) = &self.group {
            if g.chars().count() > 64 || g.chars().any(char::is_control) {
                return Err(err("group", "a group name has 1 to 64 characters"));
            }
        }
        if let Some(l) = &self.loyalty_card {
            if !(4..=32).contains(&l.len()) || !l.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(err("loyalty_card", "4 to 32 letters or digits"));
            }
        }
        Ok(self)
    }
}

/// A credit limit: between 0 and [`MAX_CREDIT_LIMIT`], in cents.
pub fn credit_limit_check(limit: Money) -> Result<(), String> {
    if limit < Decimal::ZERO || limit > Decimal::from(MAX_CREDIT_LIMIT) {
        return Err(format!("between 0 and {MAX_CREDIT_LIMIT}"));
    }
    if limit.normalize().scale() > 2 {
        return Err("at most two decimals".into());
    }
    Ok(())
}

/// What the customer may still buy on account: the limit less what they
/// owe (never below zero: an overdrawn account has nothing available).
pub fn available_credit(limit: Money, balance: Money) -> Money {
    (limit - balance).max(Decimal::ZERO)
}

/// What a till may still put on the account offline: the available credit
/// head office last sent, less the till's own account sales it has not yet
/// seen acknowledged (never below zero).
pub fn available_offline(synced: Money, unsynced_on_account: Money) -> Money {
    (synced - unsynced_on_account).max(Decimal::ZERO)
}

/// Why a sale on account cannot simply go through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountIssue {
    /// The account is on hold.
    OnHold,
    /// The amount goes past the available credit.
    OverLimit {
        /// What would go on the account.
        amount: Money,
        /// What may still go on it.
        available: Money,
    },
}

/// What the till does with a payment on account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountDecision {
    /// Within the credit, account open.
    Accept,
    /// A manager may allow it (journaled with the approval).
    NeedsApproval(AccountIssue),
    /// No sale on account: the account is in collection.
    RefuseInCollection,
}

/// Decides a payment of `amount` on an account of `status` with
/// `available` credit (already net of the till's own unsynced sales and
/// of what this basket already put on the account).
pub fn account_check(status: AccountStatus, available: Money, amount: Money) -> AccountDecision {
    match status {
        AccountStatus::InCollection => AccountDecision::RefuseInCollection,
        AccountStatus::OnHold => AccountDecision::NeedsApproval(AccountIssue::OnHold),
        AccountStatus::Open if amount > available => {
            AccountDecision::NeedsApproval(AccountIssue::OverLimit { amount, available })
        }
        AccountStatus::Open => AccountDecision::Accept,
    }
}

#[cfg(test)]
mod tests;
