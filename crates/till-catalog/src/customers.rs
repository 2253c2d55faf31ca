//! Head office's customers, as the sync daemon received them (table
//! `customers`, one row per customer, `body` the
//! `till_core::customer::TillCustomer` as JSON), and in `meta`:
//! `customers_version`, the customers version applied, and
//! `customers_terminal_seq`, this till's newest event head office had
//! received when it computed the available credits (the till's own account
//! sales after it are not counted in them yet).

use crate::{CatalogStore, CatalogStoreError, Result};
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use till_core::customer::TillCustomer;

const CUSTOMERS_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS customers (
    number TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
)";

/// Where this till's copy of the customers stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CustomersState {
    /// The customers version applied (0: never received).
    pub version: u64,
    /// This till's seq head office had received when it answered.
    pub terminal_seq: u64,
}

impl CatalogStore {
    fn customers_table(&self) -> Result<()> {
        self.conn
            .execute_batch(CUSTOMERS_SCHEMA)
            .map_err(|e| self.db(e))
    }

    fn meta(&self, key: &str) -> Result<u64> {
        let v: Option<i64> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.db(e))?;
        Ok(v.and_then(|v| u64::try_from(v).ok()).unwrap_or(0))
    }

    /// The customers version applied and the seq it was computed at.
    pub fn customers_state(&self) -> Result<CustomersState> {
        Ok(CustomersState {
            version: self.meta("customers_version")?,
            terminal_seq: self.meta("customers_terminal_seq")?,
        })
    }

    /// Applies head office's customers changed up to `state.version`, in one
    /// transaction: each upserted, the version and seq noted. An answer
    /// older than what is held changes nothing (false).
    pub fn apply_customers(
        &mut self,
        state: CustomersState,
        changed: &[(u64, TillCustomer)],
    ) -> Result<bool> {
        self.customers_table()?;
        let path = self.path.clone();
        let db = |source| CatalogStoreError::Db {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let held: i64 = tx
            .query_row(
                "SELECT coalesce((SELECT value FROM meta WHERE key = 'customers_version'), 0)",
                [],
                |r| r.get(0),
            )
            .map_err(db)?;
        if crate::to_i64(state.version) < held {
            return Ok(false);
        }
        {
            let mut put = tx
                .prepare(
                    "INSERT INTO customers (number, version, body) VALUES (?1, ?2, ?3)
                     ON CONFLICT (number) DO UPDATE SET version = excluded.version,
                     body = excluded.body",
                )
                .map_err(db)?;
            for (v, c) in changed {
                let body = serde_json::to_string(c).map_err(|e| CatalogStoreError::BadRow {
                    path: path.clone(),
                    id: c.number.clone(),
                    detail: e.to_string(),
                })?;
                put.execute(params![c.number, crate::to_i64(*v), body])
                    .map_err(db)?;
            }
            let mut meta = tx
                .prepare(
                    "INSERT INTO meta (key, value) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .map_err(db)?;
            meta.execute(params!["customers_version", crate::to_i64(state.version)])
                .map_err(db)?;
            meta.execute(params![
                "customers_terminal_seq",
                crate::to_i64(state.terminal_seq)
            ])
            .map_err(db)?;
        }
        tx.commit().map_err(db)?;
        Ok(true)
    }

    /// Every customer held, by number.
    pub fn customers(&self) -> Result<Vec<TillCustomer>> {
        self.customers_table()?;
        let mut st = self
            .conn
            .prepare("SELECT number, body FROM customers ORDER BY number")
            .map_err(|e| self.db(e))?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(|e| self.db(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.db(e))?;
        rows.into_iter()
            .map(|(number, body)| {
                serde_json::from_str(&body).map_err(|e| CatalogStoreError::BadRow {
                    path: self.path.clone(),
                    id: number,
                    detail: e.to_string(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use till_core::customer::{AccountStatus, CustomerKind};

    fn c(number: &str, credit: i64) -> TillCustomer {
        TillCustomer {
            number: number.into(),
            name: format!("Client {number}"),
            kind: CustomerKind::Business,
            group: Some("pro".into()),
            status: AccountStatus::Open,
            available_credit: Decimal::from(credit),
            loyalty_card: None,
        }
    }

    #[test]
    fn customers_apply_in_order_and_never_go_back() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| CatalogStoreError::Catalog {
            path: "tmp".into(),
            detail: e.to_string(),
        })?;
        let mut s = CatalogStore::open(&dir.path().join("catalog.db"))?;
        assert_eq!(s.customers_state()?, CustomersState::default());
        let st = |version, terminal_seq| CustomersState {
            version,
            terminal_seq,
        };
        assert!(s.apply_customers(st(2, 10), &[(1, c("A", 100)), (2, c("B", 50))])?);
        assert!(s.apply_customers(st(3, 12), &[(3, c("A", 80))])?);
        // A stale answer (an older version) changes nothing.
        assert!(!s.apply_customers(st(2, 20), &[(2, c("A", 1))])?);
        assert_eq!(s.customers_state()?, st(3, 12));
        let all = s.customers()?;
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].available_credit, Decimal::from(80));
        assert_eq!(all[1].number, "B");
        // The articles' version is another counter.
        assert_eq!(s.version()?, 0);
        Ok(())
    }
}
