//! Terminals (`/terminaux`, owner and accountant read; the owner registers
//! and revokes): sync state, software version, last tail marker. A
//! registration shows the new token once, in the answer to the POST
//! (never stored: head office keeps its SHA-256, as `headoffice register`);
//! a revocation makes `/v1/events` refuse the terminal's token.

use super::auth::Who;
use super::dash::{at, valid_id};
use super::{audit, blocking, layout, Nav, Posted, User, WebError, WebResult};
use crate::http::AppState;
use crate::store::dash::TerminalRow;
use crate::store::{now_rfc3339, StoreError};
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use comptoir_i18n::backoffice_dash::Dash;
use comptoir_i18n::Template;
use maud::{html, Markup};
use serde::Deserialize;

/// What a page shows after a change.
enum Notice {
    Token { terminal: String, token: String },
}

async fn load(user: &User, app: &AppState) -> WebResult<Vec<TerminalRow>> {
    let s = app.store.clone();
    let only = user.store_filter();
    blocking(user.lang, move || s.dash_terminals(only.as_deref())).await
}

fn render(user: &User, rows: &[TerminalRow], notice: Option<Notice>) -> Markup {
    let l = user.lang;
    let owner = user.may(Who::Owner);
    layout::page(
        user,
        Nav::Terminals,
        &Dash::NavTerminals.text(l),
        html! {
            @if let Some(Notice::Token { terminal, token }) = &notice {
                div.card role="status" {
                    p.ok { (Dash::TokenOnce.fill(l, &[("terminal", terminal)])) }
                    p { code id="new-token" { (token) } }
                }
            }
            section.card {
                div.scroll { table.data id="terminals" {
                    thead { tr {
                        th { (Dash::Terminal.text(l)) }
                        th { (Dash::Store.text(l)) }
                        th { (Dash::State.text(l)) }
                        th { (Dash::LastSync.text(l)) }
                        th { (Dash::LastEvent.text(l)) }
                        th { (Dash::Version.text(l)) }
                        th { (Dash::TailMarker.text(l)) }
                        @if owner { th {} }
                    } }
                    tbody {
                        @for t in rows {
                            tr data-testid={ "terminal-" (t.terminal_id) } {
                                td { (t.terminal_id) }
                                td { (t.store_id) }
                                @match &t.revoked_at {
                                    Some(r) => td.warn { (Dash::Revoked.text(l)) " (" (at(Some(r), l)) ")" },
                                    None => td.ok { (Dash::Active.text(l)) },
                                }
                                td.nowrap { (at(t.last_seen.as_deref(), l)) }
                                td.nowrap { "n° " (t.last_seq) ", " (at(t.last_event_ts.as_deref(), l)) }
                                td { (t.software_version.as_deref().unwrap_or("–")) }
                                @match &t.tail {
                                    Some(m) if m.ok => td.ok { (Dash::TailOk.fill(l, &[("seq", &m.seq)])) " · " (at(Some(&m.at), l)) },
                                    Some(m) => td.bad { (Dash::TailBad.fill(l, &[("seq", &m.seq)])) " · " (at(Some(&m.at), l)) },
                                    None => td.muted { "–" },
                                }
                                @if owner {
                                    td {
                                        @if t.revoked_at.is_none() {
                                            form.inline method="post" action="/terminaux/revoquer" {
                                                (user.csrf_field())
                                                input type="hidden" name="terminal" value=(t.terminal_id);
                                                button type="submit" data-testid={ "revoke-" (t.terminal_id) }
                                                    aria-label=(Dash::RevokeConfirm.fill(l, &[("terminal", &t.terminal_id)])) {
                                                    (Dash::Revoke.text(l))
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
            @if owner {
                form.card id="register" method="post" action="/terminaux/enregistrer" {
                    h2 { (Dash::Register.text(l)) }
                    p.muted { (Dash::RegisterHelp.text(l)) }
                    (user.csrf_field())
                    label for="reg-store" { (Dash::Store.text(l)) }
                    input id="reg-store" name="store" required maxlength="64" pattern="[A-Za-z0-9_-]+";
                    label for="reg-terminal" { (Dash::Terminal.text(l)) }
                    input id="reg-terminal" name="terminal" required maxlength="64" pattern="[A-Za-z0-9_-]+";
                    button type="submit" { (Dash::Register.text(l)) }
                }
            }
        },
    )
}

pub async fn page(user: User, State(app): State<AppState>) -> WebResult<Markup> {
    user.require(Who::Readers)?;
    let rows = load(&user, &app).await?;
    Ok(render(&user, &rows, None))
}

#[derive(Debug, Deserialize)]
pub struct RegisterForm {
    store: String,
    terminal: String,
}

/// Registers (or re-keys) a terminal; the answer shows its token once.
pub async fn register(State(app): State<AppState>, p: Posted<RegisterForm>) -> WebResult<Markup> {
    let user = p.user;
    user.require(Who::Owner)?;
    let l = user.lang;
    let (store, terminal) = (
        p.form.store.trim().to_string(),
        p.form.terminal.trim().to_string(),
    );
    for v in [&store, &terminal] {
        if !valid_id(v) {
            return Err(WebError::BadRequest(
                l,
                Dash::BadId.fill(l, &[("value", v)]),
            ));
        }
    }
    let token = crate::new_token()
        .map_err(|e| WebError::Store(l, StoreError::Db(format!("randomness: {e}"))))?;
    let sha = crate::token_sha256(&token);
    let s = app.store.clone();
    let (st, te) = (store.clone(), terminal.clone());
    let registered = blocking(l, move || match s.register_terminal(&st, &te, &sha) {
        Err(StoreError::Invalid(m)) => Ok(Err(m)),
        other => other.map(Ok),
    })
    .await?;
    if let Err(m) = registered {
        return Err(WebError::BadRequest(l, m));
    }
    audit::audit(
        &app,
        &user,
        Dash::AuditTerminalRegistered,
        format!("{terminal} ({store})"),
    )
    .await?;
    let rows = load(&user, &app).await?;
    Ok(render(
        &user,
        &rows,
        Some(Notice::Token { terminal, token }),
    ))
}

#[derive(Debug, Deserialize)]
pub struct RevokeForm {
    terminal: String,
}

/// Revokes a terminal's token.
pub async fn revoke(State(app): State<AppState>, p: Posted<RevokeForm>) -> WebResult<Response> {
    let user = p.user;
    user.require(Who::Owner)?;
    let l = user.lang;
    let terminal = p.form.terminal.trim().to_string();
    let s = app.store.clone();
    let t = terminal.clone();
    let done = blocking(l, move || s.revoke_terminal(&t, &now_rfc3339())).await?;
    if !done {
        return Err(WebError::BadRequest(
            l,
            Dash::UnknownTerminal.fill(l, &[("terminal", &terminal)]),
        ));
    }
    audit::audit(&app, &user, Dash::AuditTerminalRevoked, terminal).await?;
    Ok(Redirect::to("/terminaux").into_response())
}
