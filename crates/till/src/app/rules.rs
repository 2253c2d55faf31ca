//! The counter's rules at start-up: till.toml's `[rules]`, head office's
//! versioned ruleset (received by till-sync into catalog.db), which wins
//! key by key where both set one, and the rolling average basket.
//!
//! The rolling average is kept by the till itself, not sent by head
//! office: it is read from this till's own day totals (a projection, a few
//! rows per day) over the last `anomaly_days` business days at start, and
//! the counter adds each sale it records. So the anomaly check works with
//! no head office and offline, and follows the customers of this till.
//! Days that leave the window while the app runs leave it at the next start.
//!
//! Each ruleset the till applies that differs from the last one it applied
//! is journaled (`config_changed`, key `rules`, the source, version and
//! rules as JSON), so an inspector sees which rules were in force when.

use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset, NaiveDate};
use comptoir_i18n::till_rules::TillRules;
use comptoir_i18n::till_tenders::TillTenders;
use comptoir_i18n::{Fmt, Lang, Template};
use std::path::Path;
use till_core::records::TenderCode;
use till_core::records::{ConfigChanged, Event};
use till_core::ruleset::{Ruleset, SalesHistory};
use till_core::tenders::{ShopTender, TenderProblem};
use till_journal::Journal;

/// Where the rules in force come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "source", content = "version")]
pub enum RulesSource {
    /// Neither till.toml nor head office set any.
    #[default]
    BuiltIn,
    /// till.toml's `[rules]`.
    Local,
    /// Head office's ruleset of this version (over till.toml's, if any).
    HeadOffice(u64),
}

impl RulesSource {
    /// "Règles v3", "Règles locales", "Règles par défaut".
    pub fn label(&self, lang: Lang) -> String {
        match self {
            RulesSource::BuiltIn => TillRules::RulesBuiltIn.text(lang),
            RulesSource::Local => TillRules::RulesLocal.text(lang),
            RulesSource::HeadOffice(v) => TillRules::RulesVersion.fill(lang, &[("version", v)]),
        }
    }
}

/// What the counter needs of the rules beyond the basket's own settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterRules {
    /// Where they come from (shown in the header).
    pub source: RulesSource,
    /// A drawer open longer than this is flagged.
    pub drawer_left_open_s: u64,
    /// Below this many sales in the window, no anomaly check.
    pub anomaly_min_sales: u64,
    /// Business days the rolling average covers.
    pub anomaly_days: u32,
}

impl Default for CounterRules {
    fn default() -> Self {
        CounterRules::from_ruleset(&Ruleset::default(), RulesSource::BuiltIn)
    }
}

impl CounterRules {
    /// The counter's part of `r`.
    pub fn from_ruleset(r: &Ruleset, source: RulesSource) -> CounterRules {
        CounterRules {
            source,
            drawer_left_open_s: r.drawer_left_open_s(),
            anomaly_min_sales: r.anomaly_min_sales(),
            anomaly_days: r.anomaly_days(),
        }
    }
}

/// Reads and checks the `[rules]` table and the `[[tenders]]` of a
/// till.toml (None: neither).
pub fn load_local(path: &Path) -> Result<Option<Ruleset>> {
    #[derive(serde::Deserialize)]
    struct Whole {
        rules: Option<Ruleset>,
        tenders: Option<Vec<toml::Value>>,
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    // Other tables are checked by their own readers; `Ruleset` refuses
    // an unknown key inside `[rules]` by name.
    let w: Whole = toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let mut rules = w.rules;
    let shown = path.display().to_string();
    if rules.as_ref().is_some_and(|r| !r.tenders.is_empty()) {
        anyhow::bail!(TillTenders::TendersInRules.fill(Lang::Fr, &[("path", &shown)]));
    }
    if let Some(list) = w.tenders {
        let tenders = read_tenders(&list, &shown)?;
        rules.get_or_insert_with(Ruleset::default).tenders = tenders;
    }
    if let Some(r) = &rules {
        r.validate()
            .with_context(|| format!("checking the [rules] of {}", path.display()))?;
    }
    Ok(rules)
}

/// The `[[tenders]]` of a till.toml, each checked, with a French message
/// naming the entry and its key when one is wrong.
pub fn read_tenders(list: &[toml::Value], path: &str) -> Result<Vec<ShopTender>> {
    let fr = Lang::Fr;
    let f = Fmt::plain(fr);
    let mut out: Vec<ShopTender> = Vec::new();
    for (i, v) in list.iter().enumerate() {
        let n = i + 1;
        let entry = |why: String| {
            anyhow::anyhow!(
                TillTenders::ConfigEntry.fill(fr, &[("path", &path), ("n", &n), ("why", &why)])
            )
        };
        let Some(code) = v.get("code").and_then(|c| c.as_str()) else {
            return Err(entry(TillTenders::CodeMissing.text(fr)));
        };
        let key = |key: &str, why: String| {
            anyhow::anyhow!(TillTenders::ConfigKey.fill(
                fr,
                &[
                    ("path", &path),
                    ("code", &code),
                    ("key", &key),
                    ("why", &why)
                ]
            ))
        };
        if TenderCode::new(code).is_err() {
            return Err(key(
                "code",
                TillTenders::CodeInvalid.fill(fr, &[("code", &code)]),
            ));
        }
        // An unknown key or a wrong type: toml's words name the key.
        let t: ShopTender = v.clone().try_into().map_err(|e| entry(format!("{e}")))?;
        let problem = t.check().err().or_else(|| {
            out.iter()
                .any(|o| o.code == t.code)
                .then_some(TenderProblem::Duplicate(t.code))
        });
        if let Some(p) = problem {
            let why = match &p {
                TenderProblem::Label => TillTenders::BadLabel.text(fr),
                TenderProblem::ShortLabel => TillTenders::BadShortLabel.text(fr),
                TenderProblem::MaxPerSale(m) => {
                    TillTenders::BadMax.fill(fr, &[("value", &f.number(*m, 2))])
                }
                TenderProblem::LostWithChange => TillTenders::LostWithChange.text(fr),
                TenderProblem::Duplicate(_) => TillTenders::Duplicate.text(fr),
                TenderProblem::TooMany => {
                    TillTenders::TooMany.fill(fr, &[("max", &till_core::tenders::MAX_SHOP_TENDERS)])
                }
            };
            return Err(key(p.field(), why));
        }
        out.push(t);
    }
    if out.len() > till_core::tenders::MAX_SHOP_TENDERS {
        let why = TillTenders::TooMany.fill(fr, &[("max", &till_core::tenders::MAX_SHOP_TENDERS)]);
        return Err(anyhow::anyhow!(
            TillTenders::ConfigEntry.fill(fr, &[("path", &path), ("n", &out.len()), ("why", &why)])
        ));
    }
    Ok(out)
}

/// The rules in force.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The ruleset applied.
    pub ruleset: Ruleset,
    /// Its source.
    pub source: RulesSource,
    /// Head office's ruleset did not pass the checks: said once, and the
    /// till's own rules apply.
    pub warning: Option<String>,
}

/// Lays head office's ruleset (version 0: none received) over the till's own.
pub fn resolve(local: Option<Ruleset>, head_office: Option<(u64, Ruleset)>) -> Resolved {
    let source = if local.is_some() {
        RulesSource::Local
    } else {
        RulesSource::BuiltIn
    };
    let local = local.unwrap_or_default();
    match head_office {
        Some((v, ho)) if v > 0 => match ho.validate() {
            Ok(()) => Resolved {
                ruleset: ho.over(&local),
                source: RulesSource::HeadOffice(v),
                warning: None,
            },
            Err(e) => Resolved {
                ruleset: local,
                source,
                warning: Some(
                    TillRules::HeadOfficeRulesUnreadable
                        .fill(Lang::Fr, &[("version", &v), ("why", &e)]),
                ),
            },
        },
        _ => Resolved {
            ruleset: local,
            source,
            warning: None,
        },
    }
}

/// The rules as journaled (`config_changed` key `rules`).
pub fn journal_text(r: &Resolved) -> String {
    serde_json::json!({ "applied": r.source, "rules": r.ruleset }).to_string()
}

/// Head office's ruleset from catalog.db, and journals the rules in force if
/// they differ from the last ones journaled. The local rules come from
/// till.toml.
pub fn apply(
    journal: &Journal,
    catalog: &Path,
    local: Option<Ruleset>,
    now: DateTime<FixedOffset>,
) -> Result<Resolved> {
    let mut store = till_catalog::CatalogStore::open(catalog)?;
    // A ruleset that does not read is not a reason to stop selling: the
    // till's own rules apply and the cashier is told.
    let (ho, unreadable) = match store.ruleset() {
        Ok(r) => (r, None),
        Err(e) => (None, Some(format!("{e}"))),
    };
    let mut resolved = resolve(local, ho);
    if let Some(why) = unreadable {
        resolved.warning = Some(
            TillRules::HeadOfficeRulesUnreadable
                .fill(Lang::Fr, &[("version", &"?"), ("why", &why)]),
        );
    }
    let text = journal_text(&resolved);
    let before = store.journaled_rules()?;
    // Built-in rules on a till that never had others: nothing to say.
    let first_and_built_in = before.is_none() && resolved.source == RulesSource::BuiltIn;
    if !first_and_built_in && before.as_deref() != Some(text.as_str()) {
        journal
            .append(
                now,
                &Event::ConfigChanged(ConfigChanged {
                    key: "rules".into(),
                    old_value: before,
                    new_value: Some(text.clone()),
                    by: "till".into(),
                }),
            )
            .context("journaling the rules applied")?;
        // After the journal: a crash in between journals them once more.
        store.set_journaled_rules(&text)?;
    }
    Ok(resolved)
}

/// The sales of the `days` business days up to `today` (day totals).
pub fn history(journal: &Journal, today: NaiveDate, days: u32) -> Result<SalesHistory> {
    let first = today - chrono::Days::new(u64::from(days.saturating_sub(1)));
    let (count, total) = journal.sales_between(first, today)?;
    Ok(SalesHistory { count, total })
}

/// Watches catalog.db for a new ruleset from head office while the till
/// runs (till-sync writes it there): read every few seconds while no
/// basket is in progress, journaled as at start (`config_changed`,
/// key `rules`) and handed to the counter, which applies it between
/// sales. Label patterns are the exception: the catalog is indexed with
/// them at start, so a change of patterns applies at the next start.
#[derive(Debug)]
pub struct RulesWatch {
    /// till.toml's rules and tenders (the demo's tenders included).
    local: Option<Ruleset>,
    /// catalog.db.
    catalog: std::path::PathBuf,
    /// The version last looked at (0: none).
    seen: u64,
    /// The drawer's own `left_open_after_s`, when the rules set none.
    drawer_fallback: Option<u64>,
    /// When it last looked.
    last: Option<std::time::Instant>,
    /// How often it looks.
    every: std::time::Duration,
}

/// How often catalog.db is looked at (a small SQLite read).
const WATCH_EVERY: std::time::Duration = std::time::Duration::from_secs(3);

impl RulesWatch {
    /// Watches `catalog`, whose ruleset at start was `seen` (0: none).
    pub fn new(
        local: Option<Ruleset>,
        catalog: std::path::PathBuf,
        seen: u64,
        drawer_fallback: Option<u64>,
    ) -> RulesWatch {
        RulesWatch {
            local,
            catalog,
            seen,
            drawer_fallback,
            last: None,
            every: WATCH_EVERY,
        }
    }

    /// Looks every `every` instead (tests look at each tick).
    pub fn every(mut self, every: std::time::Duration) -> RulesWatch {
        self.every = every;
        self
    }

    /// Head office's ruleset version in catalog.db (0: none, or unreadable).
    fn version(&self) -> u64 {
        till_catalog::CatalogStore::open(&self.catalog)
            .ok()
            .and_then(|s| s.ruleset().ok().flatten())
            .map(|(v, _)| v)
            .unwrap_or(0)
    }

    /// A new ruleset, journaled, as the counter's input; None when nothing
    /// changed, it is not time to look, or the journal refused it (then
    /// it is tried again later). Call only while no basket is in progress.
    pub fn check(
        &mut self,
        journal: &Journal,
        now: DateTime<FixedOffset>,
    ) -> Option<crate::app::counter::Input> {
        if self.last.is_some_and(|t| t.elapsed() < self.every) {
            return None;
        }
        self.last = Some(std::time::Instant::now());
        let v = self.version();
        if v == self.seen {
            return None;
        }
        let resolved = apply(journal, &self.catalog, self.local.clone(), now).ok()?;
        self.seen = v;
        let mut rules = CounterRules::from_ruleset(&resolved.ruleset, resolved.source);
        if resolved.ruleset.drawer_left_open_seconds.is_none() {
            if let Some(s) = self.drawer_fallback {
                rules.drawer_left_open_s = s;
            }
        }
        Some(crate::app::counter::Input::RulesChanged {
            basket: Box::new(
                resolved
                    .ruleset
                    .basket_config(till_core::BasketConfig::default()),
            ),
            rules,
        })
    }
}
