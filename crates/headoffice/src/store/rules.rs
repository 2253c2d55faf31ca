//! Head office's counter rules and the abandoned baskets counted at ingest.
//!
//! A ruleset is versioned: each `set_ruleset` stores a new version (the
//! previous ones are kept, versions only grow), and a till's daemon asks
//! for what is newer than the version it holds (`GET /v1/rules?since=V`).
//! The same keys as a till.toml's `[rules]`, checked the same way
//! (`till_core::ruleset::Ruleset::validate`) before anything is stored.
//!
//! `abandoned_baskets` is a projection filled by ingest
//! ([`crate::ingest::Deltas::abandoned`]): per terminal, business day and
//! cashier, how many baskets were rung up and then abandoned, and their total.

use super::{Result, StoreError};
use rust_decimal::Decimal;
use serde::Serialize;
pub use till_core::ruleset::Ruleset;

/// One version of head office's ruleset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RulesetRow {
    /// Its version (1, 2, ...).
    pub version: u64,
    /// The rules.
    pub rules: Ruleset,
    /// When it was set (RFC 3339).
    pub set_at: String,
    /// Who set it.
    pub set_by: String,
}

/// Abandoned baskets of one cashier on one terminal and business day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AbandonedRow {
    /// The store.
    pub store_id: String,
    /// The terminal.
    pub terminal_id: String,
    /// The business day ("2026-11-23").
    pub day: String,
    /// The cashier's user id.
    pub operator: String,
    /// How many baskets.
    pub baskets: u64,
    /// What they came to.
    pub total: Decimal,
}

/// What a back-office page or the CLI needs of the rules.
pub trait RulesStore {
    /// Checks `rules` and stores them as the next version; its number.
    fn set_ruleset(&self, rules: &Ruleset, by: &str) -> Result<u64>;
    /// The newest ruleset, if its version is above `since`.
    fn ruleset_since(&self, since: u64) -> Result<Option<RulesetRow>>;
    /// Abandoned baskets per terminal, day and cashier, days `from..=to`
    /// (either bound may be absent), by day then terminal then cashier.
    fn abandoned_baskets(&self, from: Option<&str>, to: Option<&str>) -> Result<Vec<AbandonedRow>>;
}

/// The checks both backends make before storing a ruleset, and its JSON.
pub(crate) fn ruleset_body(rules: &Ruleset) -> Result<String> {
    rules
        .validate()
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    serde_json::to_string(rules).map_err(|e| StoreError::Invalid(format!("ruleset: {e}")))
}

/// A stored ruleset read back.
pub(crate) fn ruleset_row(
    version: i64,
    body: &str,
    set_at: String,
    set_by: String,
) -> Result<RulesetRow> {
    let rules: Ruleset = serde_json::from_str(body).map_err(|e| StoreError::Corrupt {
        what: "rulesets.body",
        detail: format!("version {version}: {e}"),
    })?;
    Ok(RulesetRow {
        version: super::to_u64(version),
        rules,
        set_at,
        set_by,
    })
}

/// The SQL both backends run for the report (placeholders differ).
pub(crate) const ABANDONED_SQL: &str = "SELECT store_id, terminal_id, day, operator, baskets, total
     FROM abandoned_baskets
     WHERE ({from} = '' OR day >= {from}) AND ({to} = '' OR day <= {to})
     ORDER BY day, terminal_id, operator";

/// Reads a ruleset file: the keys of a till.toml's `[rules]`, at the top
/// level or inside a `[rules]` table; every key checked.
pub fn read_file(path: &std::path::Path) -> anyhow::Result<Ruleset> {
    use anyhow::Context;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut value: toml::Table =
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    if let Some(toml::Value::Table(t)) = value.remove("rules") {
        if !value.is_empty() {
            anyhow::bail!(
                "{}: a [rules] table and other keys beside it; put every rule in one place",
                path.display()
            );
        }
        value = t;
    }
    let rules: Ruleset = toml::Value::Table(value)
        .try_into()
        .with_context(|| format!("reading the rules of {}", path.display()))?;
    rules
        .validate()
        .with_context(|| format!("checking the rules of {}", path.display()))?;
    Ok(rules)
}
