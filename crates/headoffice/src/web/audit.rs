//! The audit log: [`audit`] records who did what (every change of the back
//! office goes through it), and `/journal-audit` lists it for the owner and
//! the accountant, newest first, 100 a page.

use super::auth::User;
use super::{blocking, layout, Nav, WebResult, Who};
use crate::http::AppState;
use crate::store::auth::NewAudit;
use crate::store::{Store, StoreError};
use axum::extract::{Query, State};
use comptoir_i18n::backoffice::Bo;
use comptoir_i18n::{Fmt, Lang, Template};
use maud::{html, Markup};
use serde::Deserialize;

/// Lines per page of `/journal-audit`.
pub const PAGE: usize = 100;

/// Who did it.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// A back-office user, by e-mail.
    User(&'a str),
    /// The `headoffice user` commands (whoever runs them holds the database).
    Cli,
}

impl Actor<'_> {
    fn stored(&self) -> &str {
        match self {
            Actor::User(e) => e,
            Actor::Cli => "cli",
        }
    }
}

/// Records `action` (a message of any area's catalog: its key and both
/// texts are kept) by `actor`, with `details` (identifiers and figures, not
/// translated). Blocking: call it in the `spawn_blocking` of the change.
pub fn audit_as<T: Template>(
    store: &dyn Store,
    actor: &Actor<'_>,
    action: T,
    details: &str,
) -> Result<(), StoreError> {
    let at = crate::store::now_rfc3339();
    let (fr, en) = (action.text(Lang::Fr), action.text(Lang::En));
    store.audit(&NewAudit {
        at: &at,
        actor: actor.stored(),
        action: action.key(),
        action_fr: &fr,
        action_en: &en,
        details,
    })
}

/// Records a change made by `user` (for handlers: runs off the async workers).
pub async fn audit<T: Template + Send + 'static>(
    app: &AppState,
    user: &User,
    action: T,
    details: impl Into<String>,
) -> WebResult<()> {
    let store = app.store.clone();
    let email = user.email.clone();
    let details = details.into();
    blocking(user.lang, move || {
        audit_as(&*store, &Actor::User(&email), action, &details)
    })
    .await
}

#[derive(Deserialize)]
pub struct AuditQuery {
    /// Show entries older than this id (the "older" link).
    avant: Option<i64>,
}

/// An RFC 3339 instant in the server's local time, as the language writes it.
fn when(lang: Lang, at: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(at) {
        Ok(t) => Fmt::web(lang).datetime(t.with_timezone(&chrono::Local).naive_local()),
        Err(_) => at.to_string(),
    }
}

/// `/journal-audit`: owner and accountant.
pub async fn page(
    user: User,
    State(app): State<AppState>,
    Query(q): Query<AuditQuery>,
) -> WebResult<Markup> {
    user.require(Who::Readers)?;
    let l = user.lang;
    let store = app.store.clone();
    let rows = blocking(l, move || store.audit_log(q.avant, PAGE)).await?;
    let older = (rows.len() == PAGE)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    Ok(layout::page(
        &user,
        Nav::Audit,
        &Bo::NavAudit.text(l),
        html! {
            @if rows.is_empty() {
                p.muted { (Bo::AuditEmpty.text(l)) }
            } @else {
                div.scroll {
                    table.data {
                        thead { tr {
                            th { (Bo::AuditWhen.text(l)) }
                            th { (Bo::AuditWho.text(l)) }
                            th { (Bo::AuditWhat.text(l)) }
                            th { (Bo::AuditDetails.text(l)) }
                        } }
                        tbody {
                            @for r in &rows {
                                tr {
                                    td.nowrap { (when(l, &r.at)) }
                                    td {
                                        @if r.actor == "cli" { (Bo::AuditCli.text(l)) }
                                        @else { (r.actor) }
                                    }
                                    td { @match l { Lang::Fr => (r.action_fr), Lang::En => (r.action_en) } }
                                    td { (super::audit_words::details(&r.action, &r.details, l)) }
                                }
                            }
                        }
                    }
                }
                @if let Some(id) = older {
                    p { a href={ "/journal-audit?avant=" (id) } { (Bo::AuditOlder.text(l)) } }
                }
            }
        },
    ))
}
