//! Head office's ruleset, as the sync daemon received it, beside the
//! articles it publishes (table `ruleset`, one row):
//!
//! | column | contents |
//! |---|---|
//! | `version` | head office's ruleset version (never goes backwards) |
//! | `body` | the `till_core::ruleset::Ruleset` as JSON |
//! | `journaled` | the ruleset the till last journaled as applied (`config_changed`, key `rules`), as JSON; written by the counter |

use crate::{CatalogStore, CatalogStoreError, Result};
use rusqlite::{params, OptionalExtension};
use till_core::ruleset::Ruleset;

const RULES_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS ruleset (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    journaled TEXT
)";

impl CatalogStore {
    fn rules_table(&self) -> Result<()> {
        self.conn
            .execute_batch(RULES_SCHEMA)
            .map_err(|e| self.db(e))
    }

    fn bad_rules(&self, detail: String) -> CatalogStoreError {
        CatalogStoreError::BadRow {
            path: self.path.clone(),
            id: "ruleset".into(),
            detail,
        }
    }

    /// Head office's ruleset and its version, if one was received.
    pub fn ruleset(&self) -> Result<Option<(u64, Ruleset)>> {
        self.rules_table()?;
        let row: Option<(i64, String)> = self
            .conn
            .query_row("SELECT version, body FROM ruleset WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(|e| self.db(e))?;
        let Some((v, body)) = row else {
            return Ok(None);
        };
        let rules: Ruleset =
            serde_json::from_str(&body).map_err(|e| self.bad_rules(format!("version {v}: {e}")))?;
        Ok(Some((u64::try_from(v).unwrap_or(0), rules)))
    }

    /// Stores head office's ruleset `version` (an older or equal version
    /// than the one held changes nothing); true if stored.
    pub fn set_ruleset(&mut self, version: u64, rules: &Ruleset) -> Result<bool> {
        self.rules_table()?;
        let body = serde_json::to_string(rules).map_err(|e| self.bad_rules(e.to_string()))?;
        let n = self
            .conn
            .execute(
                "INSERT INTO ruleset (id, version, body) VALUES (1, ?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET version = excluded.version, body = excluded.body
                 WHERE excluded.version > ruleset.version",
                params![crate::to_i64(version), body],
            )
            .map_err(|e| self.db(e))?;
        Ok(n > 0)
    }

    /// The rules the till last journaled as applied (its JSON text).
    pub fn journaled_rules(&self) -> Result<Option<String>> {
        self.rules_table()?;
        let v: Option<Option<String>> = self
            .conn
            .query_row("SELECT journaled FROM ruleset WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.db(e))?;
        Ok(v.flatten())
    }

    /// Notes the rules the till journaled as applied (the row is created
    /// with version 0 if head office sent none).
    pub fn set_journaled_rules(&mut self, applied: &str) -> Result<()> {
        self.rules_table()?;
        self.conn
            .execute(
                "INSERT INTO ruleset (id, version, body, journaled) VALUES (1, 0, '{}', ?1)
                 ON CONFLICT (id) DO UPDATE SET journaled = excluded.journaled",
                [applied],
            )
            .map_err(|e| self.db(e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    #[test]
    fn ruleset_never_goes_backwards_and_keeps_the_journaled_note() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = CatalogStore::open(&dir.path().join("catalog.db")).unwrap();
        assert!(s.ruleset().unwrap().is_none());
        s.set_journaled_rules("{\"a\":1}").unwrap();
        // Version 0 with an empty body: no ruleset from head office yet.
        assert_eq!(s.ruleset().unwrap().map(|x| x.0), Some(0));
        let r = Ruleset {
            max_order_amount: Some(Decimal::from(300)),
            ..Ruleset::default()
        };
        assert!(s.set_ruleset(3, &r).unwrap());
        assert!(!s.set_ruleset(2, &Ruleset::default()).unwrap());
        assert_eq!(s.ruleset().unwrap(), Some((3, r)));
        assert_eq!(s.journaled_rules().unwrap().as_deref(), Some("{\"a\":1}"));
    }
}
