//! Today (`/`): takings so far per store and terminal, number of sales,
//! basket average, payment split, sales by hour, 30 days per store, and
//! each terminal's last sync (silent ones flagged). The figures sit in
//! `#today-live`, which the vendored `live.js` replaces every 3 seconds by
//! `GET /aujourdhui/live` (the same markup, alone): a sale that reached
//! head office shows within 5 s, with no inline script (the CSP).

use super::chart::{self, Labels, Series};
use super::dash::{at, scope};
use super::{blocking, layout, Nav, User, WebResult};
use crate::dash::today::{self, build, Inputs, SyncState, Today};
use crate::dash::{tender_name, Sums};
use crate::http::AppState;
use crate::store::dash::{HourRow, TerminalRow, TotalsQuery};
use crate::store::SalesRow;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use comptoir_i18n::backoffice_dash::Dash;
use comptoir_i18n::{Fmt, Lang, Template};
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;

/// How often the page asks for fresh figures, in milliseconds.
pub const REFRESH_MS: u32 = 3000;

#[derive(Debug, Default, Deserialize)]
pub struct TodayQuery {
    pub magasin: Option<String>,
}

/// Reads everything Today shows (five queries on projections).
pub fn load(
    s: &dyn crate::store::Store,
    day: NaiveDate,
    store: Option<&str>,
) -> crate::store::Result<Today> {
    let d = day.to_string();
    let first = today::first_day(day).to_string();
    let totals: Vec<SalesRow> = s.day_rows(&TotalsQuery {
        store_id: store,
        from: &d,
        to: &d,
        key: None,
    })?;
    let hours: Vec<HourRow> = s.hours(&d, store)?;
    let terminals: Vec<TerminalRow> = s.dash_terminals(store)?;
    let closed = s.closed_on(&d, store)?;
    let nets = s.day_rows(&TotalsQuery {
        store_id: store,
        from: &first,
        to: &d,
        key: Some("net"),
    })?;
    Ok(build(&Inputs {
        day,
        now: chrono::Utc::now(),
        totals: &totals,
        hours: &hours,
        terminals: &terminals,
        closed: &closed,
        nets: &nets,
    }))
}

async fn figures(
    user: &User,
    app: &AppState,
    q: &TodayQuery,
) -> WebResult<(Today, Option<String>)> {
    let only = scope(user, q.magasin.as_deref())?;
    let s = app.store.clone();
    let day = super::dash::today();
    let filter = only.clone();
    let t = blocking(user.lang, move || load(&*s, day, filter.as_deref())).await?;
    Ok((t, only))
}

/// The page.
pub async fn page(
    user: User,
    State(app): State<AppState>,
    Query(q): Query<TodayQuery>,
) -> WebResult<Markup> {
    let (t, only) = figures(&user, &app, &q).await?;
    let l = user.lang;
    let live = match &only {
        Some(s) if user.store_filter().as_deref() != Some(s.as_str()) => {
            format!("/aujourdhui/live?magasin={}", urlencode(s))
        }
        _ => "/aujourdhui/live".to_string(),
    };
    let title = Dash::TodayTitle.fill(l, &[("date", &Fmt::web(l).date(t.day))]);
    Ok(layout::page(
        &user,
        Nav::Today,
        &title,
        html! {
            p.muted { (Dash::LiveNote.text(l)) }
            div id="today-live" data-live=(live) data-refresh=(REFRESH_MS) aria-live="polite" {
                (body(&t, l))
            }
            script src="/aujourdhui/live.js" defer {}
        },
    ))
}

/// The live part alone (what `live.js` puts in `#today-live`).
pub async fn live(
    user: User,
    State(app): State<AppState>,
    Query(q): Query<TodayQuery>,
) -> WebResult<Response> {
    let (t, _) = figures(&user, &app, &q).await?;
    Ok(([("x-comptoir-fragment", "today")], body(&t, user.lang)).into_response())
}

/// The vendored refresher: no inline script, so the CSP stays strict.
pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("live.js"),
    )
        .into_response()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn kpis(s: &Sums, l: Lang) -> Markup {
    let f = Fmt::web(l);
    html! {
        div.grid {
            div.card {
                div.muted { (Dash::TotalToday.text(l)) }
                div.kpi id="today-total" { (f.money(s.net)) }
            }
            div.card {
                div.muted { (Dash::SalesCount.text(l)) }
                div.kpi id="today-sales-count" { (f.count(s.count())) }
            }
            div.card {
                div.muted { (Dash::BasketAverage.text(l)) }
                div.kpi id="today-basket" {
                    @match s.basket_average() {
                        Some(v) => (f.money(v)),
                        None => "–",
                    }
                }
            }
        }
    }
}

fn state_of(s: SyncState, l: Lang) -> (&'static str, &'static str, String) {
    match s {
        SyncState::Ok => ("ok", "ok", Dash::SyncOk.text(l)),
        SyncState::Silent => ("silent", "bad", Dash::Silent.text(l)),
        SyncState::Closed => ("closed", "muted", Dash::ClosedToday.text(l)),
        SyncState::Idle => ("idle", "muted", Dash::Idle.text(l)),
        SyncState::Revoked => ("revoked", "warn", Dash::Revoked.text(l)),
    }
}

fn charts(t: &Today, l: Lang) -> Markup {
    let f = Fmt::web(l);
    let hours: Vec<(String, rust_decimal::Decimal)> = t
        .hours
        .iter()
        .enumerate()
        .skip_while(|(h, v)| v.is_zero() && *h < 7)
        .map(|(h, v)| (Dash::Hour.fill(l, &[("hour", &h)]), *v))
        .collect();
    let (ht, hd, e) = (
        Dash::ChartHours.text(l),
        Dash::ChartHoursDesc.text(l),
        Dash::NoSales.text(l),
    );
    let hours_svg = chart::bars(
        &Labels {
            id: "chart-hours",
            title: &ht,
            desc: &hd,
            empty: &e,
        },
        &hours,
        f,
    );
    let tenders: Vec<(String, rust_decimal::Decimal)> = t
        .all
        .tenders
        .iter()
        .map(|(k, v)| (tender_name(k, l), *v))
        .collect();
    let (tt, td) = (Dash::ChartTenders.text(l), Dash::ChartTendersDesc.text(l));
    let tender_svg = chart::split(
        &Labels {
            id: "chart-tenders",
            title: &tt,
            desc: &td,
            empty: &e,
        },
        &tenders,
        f,
    );
    let x: Vec<String> = t
        .days
        .iter()
        .map(|d| d.format("%d/%m").to_string())
        .collect();
    let series: Vec<Series> = t
        .per_day
        .iter()
        .map(|(s, v)| Series {
            name: s.clone(),
            values: v.clone(),
        })
        .collect();
    let (dt, dd) = (Dash::ChartDays.text(l), Dash::ChartDaysDesc.text(l));
    let days_svg = chart::lines(
        &Labels {
            id: "chart-days",
            title: &dt,
            desc: &dd,
            empty: &e,
        },
        &x,
        &series,
        f,
    );
    html! {
        div.grid {
            section.card { h2 { (ht) } (PreEscaped(hours_svg)) }
            section.card { h2 { (tt) } (PreEscaped(tender_svg)) }
        }
        section.card { h2 { (dt) } (PreEscaped(days_svg)) }
    }
}

/// The live part: figures, charts, stores and terminals.
pub fn body(t: &Today, l: Lang) -> Markup {
    let f = Fmt::web(l);
    html! {
        (kpis(&t.all, l))
        (charts(t, l))
        section.card {
            h2 { (Dash::PerStore.text(l)) }
            div.scroll {
                table.data {
                    thead { tr {
                        th { (Dash::Store.text(l)) }
                        th.num { (Dash::SalesCount.text(l)) }
                        th.num { (Dash::Net.text(l)) }
                        th.num { (Dash::BasketAverage.text(l)) }
                    } }
                    tbody {
                        @for s in &t.stores {
                            tr data-testid={ "store-" (s.store_id) } {
                                td { (s.store_id) }
                                td.num { (f.count(s.sums.count())) }
                                td.num { (f.money(s.sums.net)) }
                                td.num { @match s.sums.basket_average() { Some(v) => (f.money(v)), None => "–" } }
                            }
                        }
                    }
                }
            }
        }
        section.card {
            h2 { (Dash::PerTerminal.text(l)) }
            div.scroll {
                table.data {
                    thead { tr {
                        th { (Dash::Terminal.text(l)) }
                        th { (Dash::Store.text(l)) }
                        th.num { (Dash::SalesCount.text(l)) }
                        th.num { (Dash::Net.text(l)) }
                        th { (Dash::LastSync.text(l)) }
                        th { (Dash::State.text(l)) }
                    } }
                    tbody {
                        @for term in &t.terminals {
                            @let (code, class, label) = state_of(term.state, l);
                            tr data-testid={ "terminal-" (term.terminal_id) } data-state=(code) {
                                td { (term.terminal_id) }
                                td { (term.store_id) }
                                td.num { (f.count(u64::try_from(term.records).unwrap_or(0))) }
                                td.num { (f.money(term.net)) }
                                td.nowrap { (at(term.last_seen.map(|t| t.to_rfc3339()).as_deref(), l)) }
                                td class=(class) { (label) }
                            }
                        }
                    }
                }
            }
        }
    }
}
