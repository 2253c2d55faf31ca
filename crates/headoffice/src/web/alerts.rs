//! Alerts (`/alertes`, owner and accountant; the owner acknowledges): what
//! ingest raised (broken chains, hash mismatches, bad signatures, tail
//! markers, refused pushes, low stock, and fraud flags once the tills send
//! them), newest first, each with its acknowledgement; and the terminals
//! that stopped syncing while their shop is open (computed now, as on
//! Today: they clear themselves when the terminal pushes again).
//!
//! An acknowledgement is stored with who and when, and audited; an alert
//! raised again after it (its count grew) asks again.

use super::auth::Who;
use super::dash::{alert_name, at};
use super::{audit, blocking, layout, Nav, Posted, User, WebError, WebResult};
use crate::dash::today::SyncState;
use crate::http::AppState;
use crate::store::now_rfc3339;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use comptoir_i18n::backoffice_dash::Dash;
use comptoir_i18n::{Fmt, Template};
use maud::{html, Markup};
use serde::Deserialize;

/// Alerts shown (the newest).
pub const LIMIT: usize = 500;

pub async fn page(user: User, State(app): State<AppState>) -> WebResult<Markup> {
    user.require(Who::Readers)?;
    let only = user.store_filter();
    let s = app.store.clone();
    let day = super::dash::today();
    let (alerts, today) = blocking(user.lang, move || {
        Ok((
            s.dash_alerts(only.as_deref(), LIMIT)?,
            super::today::load(&*s, day, only.as_deref())?,
        ))
    })
    .await?;
    let l = user.lang;
    let f = Fmt::web(l);
    let owner = user.may(Who::Owner);
    let silent: Vec<_> = today
        .terminals
        .iter()
        .filter(|t| t.state == SyncState::Silent)
        .collect();
    Ok(layout::page(
        &user,
        Nav::Alerts,
        &Dash::NavAlerts.text(l),
        html! {
            @if alerts.is_empty() && silent.is_empty() {
                p.muted { (Dash::NoAlerts.text(l)) }
            }
            section.card {
                div.scroll { table.data id="alerts" {
                    thead { tr {
                        th { (Dash::When.text(l)) }
                        th { (Dash::What.text(l)) }
                        th { (Dash::Terminal.text(l)) }
                        th { (Dash::Store.text(l)) }
                        th { (Dash::Detail.text(l)) }
                        th.num { (Dash::Count.text(l)) }
                        th { (Dash::State.text(l)) }
                    } }
                    tbody {
                        @for t in &silent {
                            @let since = match t.last_seen {
                                Some(s) => at(Some(&s.to_rfc3339()), l),
                                None => Dash::Never.text(l),
                            };
                            tr data-testid={ "alert-silent-" (t.terminal_id) } {
                                td.nowrap { (f.datetime(chrono::Local::now().naive_local())) }
                                td.bad { (Dash::AlertSilent.text(l)) }
                                td { (t.terminal_id) }
                                td { (t.store_id) }
                                td { (Dash::AlertSilentDetail.fill(l, &[("since", &since)])) }
                                td.num { "1" }
                                td {}
                            }
                        }
                        @for a in &alerts {
                            @let acked = a.acknowledged();
                            tr data-testid={ "alert-" (a.alert.id) } data-acked=(acked) {
                                td.nowrap { (at(Some(&a.alert.at), l)) }
                                td class=(if acked || a.alert.cleared_at.is_some() { "muted" } else { "bad" }) {
                                    (alert_name(&a.alert.code, l))
                                }
                                td { (a.alert.terminal_id) }
                                td { (a.store_id.as_deref().unwrap_or("–")) }
                                td { (super::dash::alert_detail(&a.alert.code, &a.alert.detail, &Fmt::web(l))) }
                                td.num { (a.alert.count) }
                                td {
                                    @if let Some(c) = &a.alert.cleared_at {
                                        div.ok { (Dash::Cleared.fill(l, &[("at", &at(Some(c), l))])) }
                                    }
                                    @if let (true, Some(k)) = (acked, &a.ack) {
                                        div.muted { (Dash::AckedBy.fill(l, &[("who", &k.by), ("at", &at(Some(&k.at), l))])) }
                                    } @else if owner {
                                        form.inline method="post" action="/alertes/acquitter" {
                                            (user.csrf_field())
                                            input type="hidden" name="alert" value=(a.alert.id);
                                            button type="submit" data-testid={ "ack-" (a.alert.id) } { (Dash::Acknowledge.text(l)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct AckForm {
    alert: String,
}

/// Acknowledges an alert (owner), audited.
pub async fn ack(State(app): State<AppState>, p: Posted<AckForm>) -> WebResult<Response> {
    let user = p.user;
    user.require(Who::Owner)?;
    let l = user.lang;
    let unknown = || WebError::BadRequest(l, Dash::UnknownAlert.fill(l, &[("id", &p.form.alert)]));
    let id: i64 = p.form.alert.trim().parse().map_err(|_| unknown())?;
    let s = app.store.clone();
    let by = user.email.clone();
    let found = blocking(l, move || {
        let a = s.dash_alert(id)?;
        if a.is_some() {
            s.ack_alert(id, &by, &now_rfc3339())?;
        }
        Ok(a)
    })
    .await?;
    let a = found.ok_or_else(unknown)?;
    audit::audit(
        &app,
        &user,
        Dash::AuditAlertAcknowledged,
        format!(
            "#{id} {} {} ({})",
            a.alert.code, a.alert.terminal_id, a.alert.detail
        ),
    )
    .await?;
    Ok(Redirect::to("/alertes").into_response())
}
