//! `/regles`: the counter ruleset head office publishes and the abandoned
//! sales per cashier that the tills journal. Anyone logged in reads the
//! ruleset (a manager's tills apply it; a manager sees their store's
//! abandoned sales only); the owner also gets the form that publishes the
//! next version ([`super::rules_form`], `POST /regles`), as
//! `headoffice rules set` does from the command line.

use super::auth::Who;
use super::dash::at;
use super::rules_form::{self, fields, get, values_of};
use super::{blocking, layout, Nav, User, WebResult};
use crate::http::AppState;
use crate::store::rules::{AbandonedRow, RulesetRow};
use axum::extract::{Query, State};
use comptoir_i18n::backoffice::Bo;
use comptoir_i18n::backoffice_rules::RulesMsg as R;
use comptoir_i18n::till::Till;
use comptoir_i18n::till_words::action_label;
use comptoir_i18n::{Fmt, Lang, Template};
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::BTreeMap;

/// How far back the abandoned sales are listed.
const ABANDONED_DAYS: i64 = 30;

#[derive(Debug, Default, Deserialize)]
pub struct RulesQuery {
    /// The version just published (the flash after `POST /regles`).
    publiee: Option<u64>,
}

pub async fn page(
    user: User,
    State(app): State<AppState>,
    Query(q): Query<RulesQuery>,
) -> WebResult<Markup> {
    user.require(Who::Anyone)?;
    render(&app, &user, None, q.publiee).await
}

/// What the owner typed and each refused field's message (by field name).
pub type Typed = (BTreeMap<String, String>, BTreeMap<String, String>);

/// The page; `typed` when a publication was refused, `published` after one.
pub async fn render(
    app: &AppState,
    user: &User,
    typed: Option<Typed>,
    published: Option<u64>,
) -> WebResult<Markup> {
    let l = user.lang;
    let f = Fmt::web(l);
    let store = app.store.clone();
    let from =
        (chrono::Local::now().date_naive() - chrono::Duration::days(ABANDONED_DAYS)).to_string();
    let only = user.store_filter();
    let (ruleset, abandoned) = blocking(l, move || {
        let mut abandoned = store.abandoned_baskets(Some(&from), None)?;
        if let Some(s) = &only {
            abandoned.retain(|a| &a.store_id == s);
        }
        Ok((store.ruleset_since(0)?, abandoned))
    })
    .await?;
    let owner = user.may(Who::Owner);
    let form = owner.then(|| {
        let (values, errors) = typed.clone().unwrap_or_else(|| {
            (
                values_of(ruleset.as_ref().map(|r| &r.rules), l),
                BTreeMap::new(),
            )
        });
        rules_form::form(user, &values, &errors)
    });
    Ok(layout::page(
        user,
        Nav::Rules,
        &Bo::NavRules.text(l),
        html! {
            @if let (Some(v), None) = (published, &typed) {
                p.ok #flash role="status" { (R::Published.fill(l, &[("version", &v)])) }
            }
            section.card {
                @match &ruleset {
                    Some(r) => {
                        p #ruleset-version data-version=(r.version) {
                            (Bo::RulesVersion.fill(l, &[("version", &r.version), ("at", &at(Some(&r.set_at), l)), ("by", &r.set_by)]))
                        }
                        @if !owner { (in_force(r, l)) }
                        (carried(r, l))
                    }
                    None => {
                        p.muted #ruleset-none data-version="0" { (Bo::RulesNone.text(l)) }
                    }
                }
                @if !owner { p.muted { (R::ReadOnlyNote.text(l)) } }
            }
            @if let Some(form) = form { (form) }
            (abandoned_table(&abandoned, &f))
        },
    ))
}

/// The version in force, read only: each key in words with its value.
fn in_force(r: &RulesetRow, l: Lang) -> Markup {
    let built_in = R::BuiltIn.text(l);
    html! {
        div.scroll { table.data #ruleset {
            tbody {
                @for field in fields() {
                    tr {
                        th { (field.label.text(l)) }
                        td.num data-testid={ "rule-" (field.key) } {
                            @match get(&r.rules, field.key) {
                                Some(v) => (rules_form::shown(v, l)),
                                None => span.muted { (built_in) },
                            }
                        }
                    }
                }
                @for (action, level) in &r.rules.permissions {
                    tr {
                        th { @match action_label(action) { Some(m) => (m.text(l)), None => (action) } }
                        td.num { (level_word(level, l)) }
                    }
                }
            }
        } }
    }
}

fn level_word(level: &str, l: Lang) -> String {
    match level {
        "cashier" => Till::RoleCashier.text(l),
        "supervisor" => Till::RoleSupervisor.text(l),
        "manager" => Till::RoleManager.text(l),
        other => other.to_string(),
    }
}

/// The customer groups and label patterns (set by the command line only).
fn carried(r: &RulesetRow, l: Lang) -> Markup {
    let f = Fmt::web(l);
    html! {
        @if !r.rules.customer_groups.is_empty() {
            h3 { (R::CustomerGroups.text(l)) }
            ul {
                @for (name, g) in &r.rules.customer_groups {
                    li { (name) " : " @match g.max_order_amount { Some(m) => (f.money(m)), None => (R::BuiltIn.text(l)) } }
                }
            }
        }
        @if let Some(ps) = &r.rules.label_patterns {
            h3 { (R::LabelPatterns.text(l)) }
            ul { @for p in ps { li { code { (p) } } } }
        }
    }
}

fn abandoned_table(abandoned: &[AbandonedRow], f: &Fmt) -> Markup {
    let l = f.lang;
    html! {
        section.card {
            h2 { (Bo::RulesAbandoned.text(l)) }
            @if abandoned.is_empty() {
                p.muted { (Bo::RulesAbandonedNone.text(l)) }
            } @else {
                div.scroll { table.data id="abandoned" {
                    thead { tr {
                        th { (Bo::ColDay.text(l)) } th { (Bo::ColStore.text(l)) }
                        th { (Bo::ColTill.text(l)) } th { (Bo::ColCashier.text(l)) }
                        th.num { (Bo::ColBaskets.text(l)) } th.num { (Bo::ColTotal.text(l)) }
                    } }
                    tbody {
                        @for a in abandoned {
                            tr {
                                td.nowrap { (day(&a.day, f)) } td { (a.store_id) }
                                td { (a.terminal_id) } td { (a.operator) }
                                td.num { (a.baskets) } td.num { (f.money(a.total)) }
                            }
                        }
                    }
                } }
            }
        }
    }
}

fn day(iso: &str, f: &Fmt) -> String {
    iso.parse::<chrono::NaiveDate>()
        .map(|d| f.date(d))
        .unwrap_or_else(|_| iso.to_string())
}
