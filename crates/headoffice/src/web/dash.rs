//! The dashboard pages' routes and what they share: Today ([`super::today`],
//! live), Sales ([`super::sales`], CSV and FEC exports), Closings
//! ([`super::closings`]), Terminals ([`super::terminals`]) and Alerts
//! ([`super::alerts`]). Each reads projections only ([`crate::store::dash`]).
//!
//! # Who sees what
//!
//! | page | path | read | change |
//! |---|---|---|---|
//! | Today | `/` (`?magasin=S`), live fragment `/aujourdhui/live`, script `/aujourdhui/live.js` | anyone; a manager their store | - |
//! | Sales | `/ventes?du=&au=&par=jour\|semaine\|mois&magasin=`; `/ventes/export.csv`, `/ventes/fec.txt` (same query) | anyone, a manager their store; FEC: owner and accountant | - |
//! | Closings | `/clotures` | owner, accountant | - |
//! | Terminals | `/terminaux` | owner, accountant | owner: POST `/terminaux/enregistrer` (`store`, `terminal`), POST `/terminaux/revoquer` (`terminal`) |
//! | Alerts | `/alertes` | owner, accountant | owner: POST `/alertes/acquitter` (`alert`) |
//!
//! A manager asking for another store (`?magasin=S2`) gets 403. Every
//! change is audited and carries the session's CSRF token.
//!
//! # Stable hooks for browser tests
//!
//! - Today: `#today-live` (the part refreshed every 3 s, its address in
//!   `data-live`), `#today-total` (net takings), `#today-sales-count`,
//!   `#today-basket`, `#chart-hours`, `#chart-tenders`, `#chart-days`; one
//!   row per terminal `[data-testid="terminal-T01"]` with `data-state` =
//!   `ok|silent|closed|idle|revoked`; per store `[data-testid="store-S1"]`.
//! - Sales: `#sales-total`, `#sales-count`, `a#export-csv`, `a#export-fec`.
//! - Closings: rows `[data-testid="closing-T01-5"]` with `data-verified` =
//!   `true|false`; grand totals `[data-testid="grand-T01"]`.
//! - Terminals: rows `[data-testid="terminal-T01"]`, `#new-token` (the token
//!   shown once), `form#register`, buttons `[data-testid="revoke-T01"]`.
//! - Alerts: rows `[data-testid="alert-ID"]` with `data-acked` =
//!   `true|false`, the button `[data-testid="ack-ID"]`; silent terminals
//!   `[data-testid="alert-silent-T01"]`.

use super::auth::{User, Who};
use super::{alerts, closings, sales, terminals, today, WebResult};
use crate::http::AppState;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Local, NaiveDate};
use comptoir_i18n::backoffice_dash::Dash;
use comptoir_i18n::{Fmt, Lang, Template};

/// The dashboard's routes, merged into [`super::router`].
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(today::page))
        .route("/aujourdhui/live", get(today::live))
        .route("/aujourdhui/live.js", get(today::script))
        .route("/ventes", get(sales::page))
        .route("/ventes/export.csv", get(sales::csv))
        .route("/ventes/fec.txt", get(sales::fec))
        .route("/clotures", get(closings::page))
        .route("/terminaux", get(terminals::page))
        .route("/terminaux/enregistrer", post(terminals::register))
        .route("/terminaux/revoquer", post(terminals::revoke))
        .route("/alertes", get(alerts::page))
        .route("/alertes/acquitter", post(alerts::ack))
}

/// The store a page shows: the one asked for (`magasin`; a manager may ask
/// only for theirs, else 403), or the user's own filter (a manager's store,
/// None for every store).
pub fn scope(user: &User, asked: Option<&str>) -> WebResult<Option<String>> {
    match asked.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => {
            user.require(Who::StoreRead(s))?;
            Ok(Some(s.to_string()))
        }
        None => Ok(user.store_filter()),
    }
}

/// Head office's today (its local calendar day).
pub fn today() -> NaiveDate {
    Local::now().date_naive()
}

/// An RFC 3339 instant as local date and time (`03/12/2026 14:05`), or
/// "never".
pub fn at(s: Option<&str>, lang: Lang) -> String {
    match s.and_then(|s| DateTime::parse_from_rfc3339(s).ok()) {
        Some(t) => Fmt::web(lang).datetime(t.with_timezone(&Local).naive_local()),
        None => Dash::Never.text(lang),
    }
}

/// A closing kind as a person reads it.
pub fn closing_kind(kind: &str, lang: Lang) -> String {
    match kind {
        "day" => Dash::ClosingKindDay.text(lang),
        "month" => Dash::ClosingKindMonth.text(lang),
        "year" => Dash::ClosingKindYear.text(lang),
        other => other.to_string(),
    }
}

/// An alert code as a person reads it.
pub fn alert_name(code: &str, lang: Lang) -> String {
    if let Some(item) = code.strip_prefix("low_stock:") {
        return Dash::AlertLowStock.fill(lang, &[("item", &item)]);
    }
    if let Some(action) = code.strip_prefix("fraud:approval:") {
        return Dash::AlertFraudApproval.fill(lang, &[("action", &action)]);
    }
    match code {
        "fraud:drawer_opened" => return Dash::AlertFraudDrawer.text(lang),
        "fraud:refund_without_receipt" => return Dash::AlertFraudRefund.text(lang),
        _ => {}
    }
    if let Some(what) = code.strip_prefix("fraud:") {
        return Dash::AlertFraudFlag.fill(lang, &[("what", &what)]);
    }
    let m = match code {
        "chain_broken" => Dash::AlertChainBroken,
        "hash_mismatch" => Dash::AlertHashMismatch,
        "bad_signature" => Dash::AlertBadSignature,
        "bad_tail_signature" => Dash::AlertBadTail,
        "tail_mismatch" => Dash::AlertTailMismatch,
        "unknown_kind" => Dash::AlertUnknownKind,
        "key_change" | "identity_mismatch" | "amount_out_of_range" | "undecodable" => {
            Dash::AlertRefused
        }
        other => return Dash::AlertOther.fill(lang, &[("code", &other)]),
    };
    m.text(lang)
}

/// A terminal or store id typed in a form: 1 to 64 letters, digits, `-`, `_`.
pub fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
