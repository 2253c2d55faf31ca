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
use comptoir_i18n::till_words::{action_label, approval_detail_words};
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
        let label = match action_label(action) {
            Some(m) => m.text(lang),
            None => Dash::AlertOtherAction.text(lang),
        };
        return Dash::AlertFraudApproval.fill(lang, &[("action", &label)]);
    }
    match code {
        "fraud:drawer_opened" => return Dash::AlertFraudDrawer.text(lang),
        "fraud:refund_without_receipt" => return Dash::AlertFraudRefund.text(lang),
        "fraud:basket_above_average" => return Dash::AlertFlagAboveAverage.text(lang),
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

/// An alert's detail as an owner reads it. Ingest stores the till's own
/// words (`ingest/deltas.rs`): for an approval `SALE: DETAIL (ASKER -> APPROVER)`
/// with the rules' stable English detail, read back here in the reader's
/// language; for a flag `SALE: FLAG`; for a refund without a receipt
/// `SALE: AMOUNT (CASHIER)`. Anything else is shown as stored.
pub fn alert_detail(code: &str, detail: &str, fmt: &Fmt) -> String {
    let lang = fmt.lang;
    if let Some(action) = code.strip_prefix("fraud:approval:") {
        let parsed = detail.split_once(": ").and_then(|(sale, rest)| {
            let (what, who) = rest.rsplit_once(" (")?;
            let (by, approver) = who.strip_suffix(')')?.split_once(" -> ")?;
            Some((sale, what, by, approver))
        });
        if let Some((sale, what, by, approver)) = parsed {
            let what = approval_detail_words(fmt, what)
                .or_else(|| action_label(action).map(|m| m.text(lang)))
                .unwrap_or_else(|| Dash::AlertOtherAction.text(lang));
            return Dash::AlertApprovalDetail.fill(
                lang,
                &[
                    ("sale", &sale),
                    ("what", &what),
                    ("by", &by),
                    ("approver", &approver),
                ],
            );
        }
    }
    if code == "fraud:basket_above_average" {
        if let Some((sale, _)) = detail.split_once(": ") {
            return sale.to_string();
        }
    }
    if code == "fraud:refund_without_receipt" {
        let parsed = detail.split_once(": ").and_then(|(sale, rest)| {
            let (amount, who) = rest.split_once(" (")?;
            let amount: rust_decimal::Decimal = amount.parse().ok()?;
            Some(format!("{sale} : {} ({who}", fmt.money(amount)))
        });
        if let Some(text) = parsed {
            return text;
        }
    }
    detail.to_string()
}

/// A terminal or store id typed in a form: 1 to 64 letters, digits, `-`, `_`.
pub fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What ingest stores for the tills' fraud flags reads as French, with
    /// no code name left (the shapes of `ingest/deltas.rs` `flag_sale`).
    #[test]
    fn fraud_alerts_read_in_french_without_code_names() {
        let fmt = Fmt::web(Lang::Fr);
        let cases = [
            (
                "fraud:approval:refund_without_receipt",
                "T04-000570: refund without receipt of 4,50 (c1 -> m1)",
                "Autorisation accordée : Remboursement sans ticket",
                "T04-000570 : Remboursement sans ticket de 4,50\u{a0}€ (demandé par c1, accordé par m1)",
            ),
            (
                "fraud:approval:anomaly_basket",
                "T04-000496: basket 123,29 above 5 x average 20,87 (c1 -> s1)",
                "Autorisation accordée : Panier inhabituellement élevé",
                "T04-000496 : ",
            ),
            (
                "fraud:basket_above_average",
                "T04-000496: basket_above_average",
                "Panier très au-dessus de la moyenne",
                "T04-000496",
            ),
            (
                "fraud:refund_without_receipt",
                "T04-000570: -4.50 (c1)",
                "Remboursement sans ticket",
                "T04-000570 : -4,50\u{a0}€ (c1)",
            ),
        ];
        for (code, detail, name, shown) in cases {
            assert_eq!(alert_name(code, Lang::Fr), name);
            let text = alert_detail(code, detail, &fmt);
            assert!(text.starts_with(shown), "{code}: {text}");
            for leak in ["_", "refund", "basket", "above", "->"] {
                assert!(!text.contains(leak), "{code}: {leak:?} in {text}");
            }
        }
    }
}
