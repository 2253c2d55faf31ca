//! `/regles`: the counter ruleset head office publishes (read-only here; it
//! is set with `headoffice rules set`, audited by the command line), and the
//! abandoned sales per cashier that the tills journal. Owner and accountant.

use super::auth::Who;
use super::dash::at;
use super::{blocking, layout, Nav, User, WebResult};
use crate::http::AppState;
use axum::extract::State;
use comptoir_i18n::backoffice::Bo;
use comptoir_i18n::{Fmt, Template};
use maud::{html, Markup};

/// How far back the abandoned sales are listed.
const ABANDONED_DAYS: i64 = 30;

pub async fn page(user: User, State(app): State<AppState>) -> WebResult<Markup> {
    user.require(Who::Readers)?;
    let l = user.lang;
    let f = Fmt::web(l);
    let store = app.store.clone();
    let from =
        (chrono::Local::now().date_naive() - chrono::Duration::days(ABANDONED_DAYS)).to_string();
    let (ruleset, abandoned) = blocking(l, move || {
        Ok((
            store.ruleset_since(0)?,
            store.abandoned_baskets(Some(&from), None)?,
        ))
    })
    .await?;
    let body = ruleset
        .as_ref()
        .map(|r| toml::to_string_pretty(&r.rules).unwrap_or_default());
    Ok(layout::page(
        &user,
        Nav::Rules,
        &Bo::NavRules.text(l),
        html! {
            section.card {
                @match (&ruleset, &body) {
                    (Some(r), Some(text)) => {
                        p { (Bo::RulesVersion.fill(l, &[("version", &r.version), ("at", &at(Some(&r.set_at), l)), ("by", &r.set_by)])) }
                        pre id="ruleset" { (text) }
                    }
                    _ => { p.muted id="ruleset-none" { (Bo::RulesNone.text(l)) } }
                }
                p.muted { (Bo::RulesHowToChange.text(l)) }
            }
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
                            @for a in &abandoned {
                                tr {
                                    td.nowrap { (day(&a.day, &f)) } td { (a.store_id) }
                                    td { (a.terminal_id) } td { (a.operator) }
                                    td.num { (a.baskets) } td.num { (f.money(a.total)) }
                                }
                            }
                        }
                    } }
                }
            }
        },
    ))
}

fn day(iso: &str, f: &Fmt) -> String {
    iso.parse::<chrono::NaiveDate>()
        .map(|d| f.date(d))
        .unwrap_or_else(|_| iso.to_string())
}
