//! The customers a till knows (head office's copy, from `catalog.db`) and
//! how the cashier finds one: the number typed, a loyalty card scanned, or
//! words of the name.

use super::{AccountStatus, CustomerKind};
use crate::money::Money;
use serde::{Deserialize, Serialize};

/// A customer as a till keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TillCustomer {
    /// The customer number.
    pub number: String,
    /// The name printed and shown.
    pub name: String,
    /// A business or a consumer.
    pub kind: CustomerKind,
    /// The group whose purchase rules apply.
    pub group: Option<String>,
    /// Whether the account may be used.
    pub status: AccountStatus,
    /// What head office said may still be put on account, when it last
    /// answered (the till subtracts its own account sales since).
    pub available_credit: Money,
    /// A loyalty card's barcode.
    pub loyalty_card: Option<String>,
}

/// The customers a till knows, in number order.
#[derive(Debug, Clone, Default)]
pub struct CustomerBook {
    customers: Vec<TillCustomer>,
}

/// Names shown at most for a search.
pub const MAX_MATCHES: usize = 20;

fn fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'a',
            'ç' => 'c',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            c => c,
        })
        .collect()
}

impl CustomerBook {
    /// The book of `customers` (sorted by number here).
    pub fn new(mut customers: Vec<TillCustomer>) -> CustomerBook {
        customers.sort_by(|a, b| a.number.cmp(&b.number));
        CustomerBook { customers }
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.customers.len()
    }

    /// None known.
    pub fn is_empty(&self) -> bool {
        self.customers.is_empty()
    }

    /// By number.
    pub fn get(&self, number: &str) -> Option<&TillCustomer> {
        self.customers
            .binary_search_by(|c| c.number.as_str().cmp(number))
            .ok()
            .and_then(|i| self.customers.get(i))
    }

    /// What the cashier typed or scanned: a number or a loyalty card
    /// exactly (one customer), else every customer whose name holds each
    /// word (case and accents folded), at most [`MAX_MATCHES`].
    pub fn find(&self, query: &str) -> Vec<&TillCustomer> {
        let q = query.trim();
        if q.is_empty() {
            return Vec::new();
        }
        if let Some(c) = self.get(q).or_else(|| {
            self.customers
                .iter()
                .find(|c| c.loyalty_card.as_deref() == Some(q))
        }) {
            return vec![c];
        }
        let words: Vec<String> = q.split_whitespace().map(fold).collect();
        self.customers
            .iter()
            .filter(|c| {
                let name = fold(&c.name);
                words.iter().all(|w| name.contains(w.as_str()))
            })
            .take(MAX_MATCHES)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn c(number: &str, name: &str, card: Option<&str>) -> TillCustomer {
        TillCustomer {
            number: number.into(),
            name: name.into(),
            kind: CustomerKind::Business,
            group: None,
            status: AccountStatus::Open,
            available_credit: Decimal::from(100),
            loyalty_card: card.map(Into::into),
        }
    }

    #[test]
    fn found_by_number_card_or_name() {
        let b = CustomerBook::new(vec![
            c("C2", "Boulangerie Dupré", Some("2900000000017")),
            c("C1", "Café de la Gare", None),
        ]);
        let numbers =
            |q: &str| -> Vec<String> { b.find(q).iter().map(|c| c.number.clone()).collect() };
        assert_eq!(numbers("C1"), ["C1"]);
        assert_eq!(numbers("2900000000017"), ["C2"]);
        assert_eq!(numbers("dupre boul"), ["C2"]);
        assert_eq!(numbers("GARE"), ["C1"]);
        assert!(numbers("nobody").is_empty());
        assert!(numbers("  ").is_empty());
        assert_eq!(
            b.get("C2").map(|c| c.name.as_str()),
            Some("Boulangerie Dupré")
        );
    }
}
