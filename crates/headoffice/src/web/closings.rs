//! Closings (`/clotures`, owner and accountant): every Z, monthly and
//! yearly closing received, newest period first, each with its Ed25519
//! signature verified again against the terminal's pinned key; and each
//! terminal's perpetual grand totals from its newest closing.

use super::auth::Who;
use super::{blocking, layout, Nav, User, WebResult};
use crate::http::AppState;
use axum::extract::State;
use comptoir_i18n::backoffice_dash::Dash;
use comptoir_i18n::{Fmt, Template};
use maud::{html, Markup};

/// Closings shown (the newest).
pub const LIMIT: usize = 200;

pub async fn page(user: User, State(app): State<AppState>) -> WebResult<Markup> {
    user.require(Who::Readers)?;
    let only = user.store_filter();
    let s = app.store.clone();
    let (closings, grand) = blocking(user.lang, move || {
        Ok((
            s.closing_events(only.as_deref(), LIMIT)?,
            s.grand_totals(only.as_deref())?,
        ))
    })
    .await?;
    let l = user.lang;
    let f = Fmt::web(l);
    Ok(layout::page(
        &user,
        Nav::Closings,
        &Dash::NavClosings.text(l),
        html! {
            section.card {
                h2 { (Dash::GrandTotals.text(l)) }
                div.scroll { table.data id="grand-totals" {
                    thead { tr {
                        th { (Dash::Terminal.text(l)) }
                        th { (Dash::Store.text(l)) }
                        th { (Dash::Period.text(l)) }
                        th.num { (Dash::GrandTotal.text(l)) }
                        th.num { (Dash::GrandTotalAbs.text(l)) }
                    } }
                    tbody {
                        @for g in &grand {
                            tr data-testid={ "grand-" (g.terminal_id) } {
                                td { (g.terminal_id) }
                                td { (g.store_id) }
                                td.nowrap { (period(&g.period, l)) }
                                td.num { (f.money(g.grand_total)) }
                                td.num { (f.money(g.grand_total_abs)) }
                            }
                        }
                    }
                } }
            }
            section.card {
                h2 { (Dash::NavClosings.text(l)) }
                @if closings.is_empty() {
                    p.muted { (Dash::NoClosings.text(l)) }
                } @else {
                    div.scroll { table.data id="closings" {
                        thead { tr {
                            th { (Dash::Period.text(l)) }
                            th { (Dash::Kind.text(l)) }
                            th { (Dash::Terminal.text(l)) }
                            th { (Dash::Store.text(l)) }
                            th.num { (Dash::Seqs.text(l)) }
                            th.num { (Dash::Net.text(l)) }
                            th.num { (Dash::GrandTotal.text(l)) }
                            th { (Dash::Signature.text(l)) }
                        } }
                        tbody {
                            @for c in &closings {
                                @let k = &c.closing;
                                @let v = c.verify();
                                tr data-testid={ "closing-" (k.terminal_id) "-" (k.seq) } data-verified=(v.is_ok()) {
                                    td.nowrap { (period(&k.period, l)) }
                                    td { (super::dash::closing_kind(&k.kind, l)) }
                                    td { (k.terminal_id) }
                                    td { (k.store_id) }
                                    td.num.nowrap { (k.first_seq) "–" (k.last_seq) }
                                    td.num { (f.money(k.net_total)) }
                                    td.num { (f.money(k.grand_total)) }
                                    @match &v {
                                        Ok(()) => td.ok { "✓ " (Dash::Verified.text(l)) },
                                        Err(why) => td.bad { "✗ " (Dash::NotVerified.fill(l, &[("why", why)])) },
                                    }
                                }
                            }
                        }
                    } }
                }
            }
        },
    ))
}

/// A closing's period as the language writes it: a day `03/12/2026`, a
/// month `12/2026`, a year `2026` (stored as `2026-12-03`, `2026-12`, `2026`).
fn period(p: &str, l: comptoir_i18n::Lang) -> String {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(p, "%Y-%m-%d") {
        return comptoir_i18n::Fmt::web(l).date(d);
    }
    match p.split_once('-') {
        Some((y, m)) if y.len() == 4 && m.len() == 2 && l == comptoir_i18n::Lang::Fr => {
            format!("{m}/{y}")
        }
        _ => p.to_string(),
    }
}
