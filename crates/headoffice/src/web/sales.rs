//! Sales (`/ventes`): a period (this month by default) by day, week or
//! month, per store, tender and VAT rate, from the day totals; its CSV
//! export (`/ventes/export.csv`) and the accountant's FEC
//! (`/ventes/fec.txt`, owner and accountant only). A manager sees, and
//! exports, their own store only.

use super::auth::Who;
use super::dash::scope;
use super::{blocking, layout, Nav, User, WebError, WebResult};
use crate::dash::sales::{buckets, per_store, period_ok, total, Grain, MAX_DAYS};
use crate::dash::{export, tender_name, Sums};
use crate::http::AppState;
use crate::store::dash::{Group, TotalsQuery};
use crate::store::SalesRow;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use comptoir_i18n::backoffice_dash::Dash;
use comptoir_i18n::{Fmt, Lang, Template};
use maud::{html, Markup};
use serde::Deserialize;

/// The page's and the exports' query: `du`, `au` (YYYY-MM-DD), `par`
/// (`jour|semaine|mois`), `magasin`.
#[derive(Debug, Default, Deserialize)]
pub struct SalesQuery {
    pub du: Option<String>,
    pub au: Option<String>,
    pub par: Option<String>,
    pub magasin: Option<String>,
}

/// A checked query.
struct Period {
    from: NaiveDate,
    to: NaiveDate,
    grain: Grain,
    store: Option<String>,
}

fn period(user: &User, q: &SalesQuery) -> WebResult<Period> {
    let l = user.lang;
    let today = super::dash::today();
    let date = |v: &Option<String>, default: NaiveDate| -> WebResult<NaiveDate> {
        match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(default),
            Some(s) => crate::dash::day(s)
                .ok_or_else(|| WebError::BadRequest(l, Dash::BadDate.fill(l, &[("value", &s)]))),
        }
    };
    let from = date(&q.du, today.with_day(1).unwrap_or(today))?;
    let to = date(&q.au, today)?;
    if !period_ok(from, to) {
        return Err(WebError::BadRequest(
            l,
            Dash::BadRange.fill(l, &[("days", &MAX_DAYS)]),
        ));
    }
    let grain = q.par.as_deref().and_then(Grain::parse).unwrap_or_default();
    let store = scope(user, q.magasin.as_deref())?;
    Ok(Period {
        from,
        to,
        grain,
        store,
    })
}

/// The page.
pub async fn page(
    user: User,
    State(app): State<AppState>,
    Query(q): Query<SalesQuery>,
) -> WebResult<Markup> {
    let p = period(&user, &q)?;
    let (from, to, store) = (p.from.to_string(), p.to.to_string(), p.store.clone());
    let s = app.store.clone();
    let (by_day, by_store, by_key, stores) = blocking(user.lang, move || {
        let q = TotalsQuery {
            store_id: store.as_deref(),
            from: &from,
            to: &to,
            key: None,
        };
        Ok((
            s.sums(&q, Group::DayKey)?,
            s.sums(&q, Group::StoreKey)?,
            s.sums(&q, Group::Key)?,
            s.dash_terminals(store.as_deref())?,
        ))
    })
    .await?;
    let mut store_ids: Vec<String> = stores.into_iter().map(|t| t.store_id).collect();
    store_ids.dedup();
    let l = user.lang;
    Ok(layout::page(
        &user,
        Nav::Sales,
        &Dash::NavSales.text(l),
        body(&user, &p, &store_ids, &by_day, &by_store, &by_key),
    ))
}

fn link(path: &str, p: &Period) -> String {
    let mut s = format!(
        "{path}?du={}&au={}&par={}",
        p.from,
        p.to,
        match p.grain {
            Grain::Day => "jour",
            Grain::Week => "semaine",
            Grain::Month => "mois",
        }
    );
    if let Some(st) = &p.store {
        s.push_str("&magasin=");
        s.push_str(
            &st.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>(),
        );
    }
    s
}

fn period_label(d: NaiveDate, grain: Grain, f: Fmt, l: Lang) -> String {
    match grain {
        Grain::Day => f.date(d),
        Grain::Week => Dash::WeekOf.fill(l, &[("date", &f.date(d))]),
        Grain::Month => d.format("%m/%Y").to_string(),
    }
}

fn sums_cells(s: &Sums, f: Fmt) -> Markup {
    html! {
        td.num { (f.count(s.count())) }
        td.num { (f.money(s.sales)) }
        td.num { (f.money(s.refunds)) }
        td.num { (f.money(s.net)) }
    }
}

fn body(
    user: &User,
    p: &Period,
    store_ids: &[String],
    by_day: &[SalesRow],
    by_store: &[SalesRow],
    by_key: &[SalesRow],
) -> Markup {
    let l = user.lang;
    let f = Fmt::web(l);
    let all = total(by_key);
    let grain_opt = |g: Grain, m: Dash| {
        html! { option value=(match g { Grain::Day => "jour", Grain::Week => "semaine", Grain::Month => "mois" }) selected[p.grain == g] { (m.text(l)) } }
    };
    let head = html! {
        tr {
            th { (Dash::Period.text(l)) }
            th.num { (Dash::SalesCount.text(l)) }
            th.num { (Dash::SalesAmount.text(l)) }
            th.num { (Dash::Refunds.text(l)) }
            th.num { (Dash::Net.text(l)) }
        }
    };
    html! {
        form.card method="get" action="/ventes" id="sales-filter" {
            div.grid {
                label { (Dash::From.text(l)) input type="date" name="du" value=(p.from); }
                label { (Dash::To.text(l)) input type="date" name="au" value=(p.to); }
                label { (Dash::By.text(l))
                    select name="par" {
                        (grain_opt(Grain::Day, Dash::ByDay))
                        (grain_opt(Grain::Week, Dash::ByWeek))
                        (grain_opt(Grain::Month, Dash::ByMonth))
                    }
                }
                @if user.store_filter().is_none() {
                    label { (Dash::Store.text(l))
                        select name="magasin" {
                            option value="" { (Dash::AllStores.text(l)) }
                            @for s in store_ids {
                                option value=(s) selected[p.store.as_deref() == Some(s.as_str())] { (s) }
                            }
                        }
                    }
                }
            }
            button type="submit" { (Dash::Show.text(l)) }
        }
        div.grid {
            div.card {
                div.muted { (Dash::Net.text(l)) }
                div.kpi id="sales-total" { (f.money(all.net)) }
            }
            div.card {
                div.muted { (Dash::SalesCount.text(l)) }
                div.kpi id="sales-count" { (f.count(all.count())) }
            }
            div.card {
                a.btn id="export-csv" href=(link("/ventes/export.csv", p)) { (Dash::ExportCsv.text(l)) }
                " "
                @if user.may(Who::Readers) {
                    a.btn id="export-fec" href=(link("/ventes/fec.txt", p)) { (Dash::ExportFec.text(l)) }
                }
            }
        }
        section.card {
            h2 { (Dash::Period.text(l)) }
            div.scroll { table.data id="sales-periods" {
                thead { (head) }
                tbody {
                    @for (d, s) in buckets(by_day, p.grain) {
                        tr { td.nowrap { (period_label(d, p.grain, f, l)) } (sums_cells(&s, f)) }
                    }
                }
                tfoot { tr { th { (Dash::Total.text(l)) } (sums_cells(&all, f)) } }
            } }
        }
        section.card {
            h2 { (Dash::PerStore.text(l)) }
            div.scroll { table.data id="sales-stores" {
                thead { tr {
                    th { (Dash::Store.text(l)) }
                    th.num { (Dash::SalesCount.text(l)) }
                    th.num { (Dash::SalesAmount.text(l)) }
                    th.num { (Dash::Refunds.text(l)) }
                    th.num { (Dash::Net.text(l)) }
                } }
                tbody {
                    @for (st, s) in per_store(by_store) {
                        tr data-testid={ "sales-store-" (st) } { td { (st) } (sums_cells(&s, f)) }
                    }
                }
            } }
        }
        div.grid {
            section.card {
                h2 { (Dash::PerTender.text(l)) }
                div.scroll { table.data id="sales-tenders" {
                    thead { tr { th { (Dash::Kind.text(l)) } th.num { (Dash::Amount.text(l)) } } }
                    tbody {
                        @for (k, v) in &all.tenders {
                            tr data-testid={ "tender-" (k) } { td { (tender_name(k, l)) } td.num { (f.money(*v)) } }
                        }
                    }
                } }
            }
            section.card {
                h2 { (Dash::PerVat.text(l)) }
                div.scroll { table.data id="sales-vat" {
                    thead { tr {
                        th { (Dash::VatRate.text(l)) }
                        th.num { (Dash::VatBase.text(l)) }
                        th.num { (Dash::VatTax.text(l)) }
                        th.num { (Dash::VatTotal.text(l)) }
                    } }
                    tbody {
                        @for v in &all.vat {
                            tr { td { (f.percent(v.rate)) } td.num { (f.money(v.base)) } td.num { (f.money(v.tax)) } td.num { (f.money(v.total)) } }
                        }
                    }
                } }
            }
        }
    }
}

async fn rows(user: &User, app: &AppState, p: &Period) -> WebResult<Vec<SalesRow>> {
    let (from, to, store) = (p.from.to_string(), p.to.to_string(), p.store.clone());
    let s = app.store.clone();
    blocking(user.lang, move || {
        s.day_rows(&TotalsQuery {
            store_id: store.as_deref(),
            from: &from,
            to: &to,
            key: None,
        })
    })
    .await
}

fn download(mime: &'static str, name: String, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

fn file_stem(p: &Period) -> String {
    let store = p
        .store
        .as_deref()
        .map(|s| format!("-{s}"))
        .unwrap_or_default();
    format!(
        "{}-{}{store}",
        p.from.format("%Y%m%d"),
        p.to.format("%Y%m%d")
    )
}

/// `/ventes/export.csv`: one line per store and day of the period.
pub async fn csv(
    user: User,
    State(app): State<AppState>,
    Query(q): Query<SalesQuery>,
) -> WebResult<Response> {
    let p = period(&user, &q)?;
    let rows = rows(&user, &app, &p).await?;
    // A byte-order mark: spreadsheets then read the file as UTF-8.
    let body = format!("\u{feff}{}", export::csv(&rows, user.lang));
    Ok(download(
        "text/csv; charset=utf-8",
        format!("ventes-{}.csv", file_stem(&p)),
        body,
    ))
}

/// `/ventes/fec.txt`: the accountant's FEC of the period (owner, accountant).
pub async fn fec(
    user: User,
    State(app): State<AppState>,
    Query(q): Query<SalesQuery>,
) -> WebResult<Response> {
    user.require(Who::Readers)?;
    let p = period(&user, &q)?;
    let rows = rows(&user, &app, &p).await?;
    Ok(download(
        "text/plain; charset=utf-8",
        format!("FEC{}.txt", file_stem(&p)),
        export::fec(&rows, user.lang),
    ))
}
