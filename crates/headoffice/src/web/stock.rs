//! The Stock page (`/stock`): levels per store and item with low-stock items
//! first, the movements entered at head office with their source, and the
//! three operation forms (goods received, inventory count, transfer), each
//! recorded by [`crate::store::stockops`] and audited.
//!
//! # Addresses and stable hooks (for the browser tests)
//!
//! | what | path / selector |
//! |---|---|
//! | page | `GET /stock?magasin=S1&article=A&page=2` |
//! | goods received | `POST /stock/reception`: `op_id`, `magasin`, `fournisseur`, `reference`, then `article`/`quantite` pairs |
//! | inventory count | `POST /stock/inventaire`: `op_id`, `magasin`, `article`/`quantite` pairs (quantities counted) |
//! | transfer | `POST /stock/transfert`: `op_id`, `de`, `vers`, `reference`, `article`/`quantite` pairs |
//! | a level cell | `td[data-testid="stock-S1-PAIN"]` (store, item), its text the level (`1 234,5`) |
//! | low-stock table | `table#low-stock`; levels `table#levels`; movements `table#moves` |
//! | forms | `form#receive`, `form#count`, `form#transfer`; store selects `name="magasin"`, `name="de"`, `name="vers"`; item inputs `name="article"`, quantities `name="quantite"` (first row ids `receive-item-1`, `receive-qty-1`...) |
//! | result | `p#flash` (done) or `p#form-error` (refused, nothing recorded) |
//!
//! Who: anyone logged in reads (a manager only their store: another's is a
//! 403); the owner records in any store, a manager in their own store (a
//! transfer needs both stores: owner only in practice); the accountant reads.
//! Quantities accept a decimal comma (`1,5`). Each form carries a fresh
//! `op_id`: submitted twice, it is recorded once.

use super::{audit, blocking, layout, Nav, Posted, User, WebResult, Who};
use crate::http::AppState;
use crate::store::stockops::{
    StockMove, StockOp, StockOpInvalid, StockOpKind, StockOpOutcome, StockQuery, StockRow,
};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use comptoir_i18n::backoffice_stock::StockMsg as M;
use comptoir_i18n::{Fmt, Lang, Template};
use maud::{html, Markup};
use rust_decimal::Decimal;
use serde::Deserialize;

/// Levels per page.
const PAGE: usize = 50;
/// Movements shown.
const MOVES: usize = 50;
/// Item rows of an operation form.
const FORM_ROWS: usize = 5;

#[derive(Deserialize, Default)]
pub struct StockPageQuery {
    magasin: Option<String>,
    article: Option<String>,
    page: Option<usize>,
    /// Recorded at this catalog version (after a form).
    fait: Option<u64>,
    /// Already recorded (a form submitted twice).
    deja: Option<u64>,
}

/// Which form a refusal belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Receive,
    Count,
    Transfer,
}

impl Form {
    fn id(self) -> &'static str {
        match self {
            Form::Receive => "receive",
            Form::Count => "count",
            Form::Transfer => "transfer",
        }
    }
}

/// A refused form: what it said, and what was typed (shown again).
struct Refused {
    form: Form,
    message: String,
    fields: Vec<(String, String)>,
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// `1 234,5` / `1234.5` as a decimal.
pub fn parse_qty(s: &str) -> Option<Decimal> {
    let t: String = s
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    t.parse().ok()
}

/// The (item, quantity) lines of a form, rows left empty skipped.
fn lines(lang: Lang, fields: &[(String, String)]) -> Result<Vec<(String, Decimal)>, String> {
    let items = fields
        .iter()
        .filter(|(k, _)| k == "article")
        .map(|(_, v)| v);
    let qtys = fields
        .iter()
        .filter(|(k, _)| k == "quantite")
        .map(|(_, v)| v);
    let mut out = Vec::new();
    for (i, (item, qty)) in items.zip(qtys).enumerate() {
        let (item, qty) = (item.trim(), qty.trim());
        if item.is_empty() && qty.is_empty() {
            continue;
        }
        let line = i + 1;
        if item.is_empty() {
            return Err(M::ErrNoItem.fill(lang, &[("line", &line)]));
        }
        let q = parse_qty(qty)
            .ok_or_else(|| M::ErrQtyNotNumber.fill(lang, &[("line", &line), ("qty", &qty)]))?;
        out.push((item.to_string(), q));
    }
    Ok(out)
}

/// A refusal as the person reads it.
pub fn invalid_text(lang: Lang, e: &StockOpInvalid) -> String {
    let f = Fmt::web(lang);
    match e {
        StockOpInvalid::BadOpId => M::ErrBadOpId.text(lang),
        StockOpInvalid::NoLines => M::ErrNoLines.text(lang),
        StockOpInvalid::TooManyLines => M::ErrTooManyLines.text(lang),
        StockOpInvalid::NoItem { line } => M::ErrNoItem.fill(lang, &[("line", line)]),
        StockOpInvalid::DuplicateItem { line, item } => {
            M::ErrDuplicateItem.fill(lang, &[("line", line), ("item", item)])
        }
        StockOpInvalid::BadQuantity { line, qty } => M::ErrBadQuantity.fill(
            lang,
            &[("line", line), ("qty", &f.number(*qty, qty.scale()))],
        ),
        StockOpInvalid::NoStore => M::ErrNoStore.text(lang),
        StockOpInvalid::SameStore => M::ErrSameStore.text(lang),
        StockOpInvalid::UnknownStore(s) => M::ErrUnknownStore.fill(lang, &[("store", s)]),
        StockOpInvalid::UnknownItem(i) => M::ErrUnknownItem.fill(lang, &[("item", i)]),
    }
}

/// A fresh operation id for a form.
fn new_op_id() -> String {
    crate::new_token()
        .map(|t| t[..32].to_string())
        .unwrap_or_else(|_| {
            format!(
                "op-{}",
                chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
            )
        })
}

/// A quantity as the page writes it (only the decimals it has).
pub fn qty(lang: Lang, q: Decimal) -> String {
    let q = q.normalize();
    Fmt::web(lang).number(q, q.scale())
}

fn signed(lang: Lang, q: Decimal) -> String {
    if q > Decimal::ZERO {
        format!("+{}", qty(lang, q))
    } else {
        qty(lang, q)
    }
}

/// `GET /stock`.
pub async fn page(
    user: User,
    State(app): State<AppState>,
    Query(q): Query<StockPageQuery>,
) -> WebResult<Response> {
    render(user, app, q, None).await
}

async fn render(
    user: User,
    app: AppState,
    q: StockPageQuery,
    refused: Option<Refused>,
) -> WebResult<Response> {
    user.require(Who::Anyone)?;
    let l = user.lang;
    // A manager sees their store; asking for another is refused.
    let shown = match (
        q.magasin.clone().filter(|s| !s.is_empty()),
        user.store_filter(),
    ) {
        (Some(s), _) => {
            user.require(Who::StoreRead(&s))?;
            Some(s)
        }
        (None, only) => only,
    };
    let item = q
        .article
        .clone()
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty());
    let page_no = q.page.unwrap_or(1).max(1);
    let store = app.store.clone();
    let (stores, low, levels, moves) = blocking(l, {
        let (shown, item) = (shown.clone(), item.clone());
        move || {
            let stores = store.store_ids()?;
            let low = store.low_stock_levels(shown.as_deref())?;
            let levels = store.stock_rows(&StockQuery {
                store: shown.clone(),
                item: item.clone(),
                limit: PAGE + 1,
                offset: (page_no - 1) * PAGE,
            })?;
            let moves = store.stock_moves(shown.as_deref(), item.as_deref(), None, MOVES)?;
            Ok((stores, low, levels, moves))
        }
    })
    .await?;
    let visible: Vec<String> = match user.store_filter() {
        Some(own) => stores.into_iter().filter(|s| *s == own).collect(),
        None => stores,
    };
    let writable: Vec<String> = visible
        .iter()
        .filter(|s| user.may(Who::StoreWrite(s)))
        .cloned()
        .collect();
    let more = levels.len() > PAGE;
    let levels = &levels[..levels.len().min(PAGE)];
    let flash = match (q.fait, q.deja) {
        (Some(v), _) => Some(M::Recorded.fill(l, &[("version", &v)])),
        (None, Some(_)) => Some(M::AlreadyRecorded.text(l)),
        _ => None,
    };
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let link = |p: usize| {
        let mut s = format!("/stock?page={p}");
        if let Some(m) = &shown {
            s.push_str(&format!("&magasin={}", urlenc(m)));
        }
        if let Some(a) = &item {
            s.push_str(&format!("&article={}", urlenc(a)));
        }
        s
    };
    let body = html! {
        @if let Some(m) = &flash { p.ok #flash role="status" { (m) } }
        form.inline method="get" action="/stock" {
            label { (M::Store.text(l)) " "
                select name="magasin" {
                    @if user.store_filter().is_none() {
                        option value="" { (M::AllStores.text(l)) }
                    }
                    @for s in &visible {
                        option value=(s) selected[shown.as_deref() == Some(s.as_str())] { (s) }
                    }
                }
            }
            " "
            label { (M::ItemCode.text(l)) " "
                input name="article" value=(item.clone().unwrap_or_default()) size="12";
            }
            " "
            button.btn type="submit" { (M::Filter.text(l)) }
        }
        section.card {
            h2 { (M::LowStock.text(l)) }
            @if low.is_empty() {
                p.muted { (M::NoLowStock.text(l)) }
            } @else {
                (levels_table(l, "low-stock", &low))
            }
        }
        section.card {
            h2 { (M::Levels.text(l)) }
            @if levels.is_empty() {
                p.muted { (M::NoLevels.text(l)) }
            } @else {
                (levels_table(l, "levels", levels))
                p {
                    @if page_no > 1 { a href=(link(page_no - 1)) { (M::Previous.text(l)) } " " }
                    span.muted { (M::Page.fill(l, &[("page", &page_no)])) }
                    @if more { " " a href=(link(page_no + 1)) { (M::Next.text(l)) } }
                }
            }
            p.muted { (M::MovementsNote.text(l)) }
        }
        @if writable.is_empty() {
            p.muted { (M::ReadOnly.text(l)) }
        } @else {
            div.grid {
                (op_form(&user, Form::Receive, &writable, &visible, refused.as_ref()))
                (op_form(&user, Form::Count, &writable, &visible, refused.as_ref()))
                @if user.may(Who::Owner) && visible.len() > 1 {
                    (op_form(&user, Form::Transfer, &writable, &visible, refused.as_ref()))
                }
            }
        }
        section.card {
            h2 { (M::Movements.text(l)) }
            @if moves.is_empty() {
                p.muted { (M::NoMovements.text(l)) }
            } @else {
                (moves_table(l, &moves))
            }
        }
    };
    let page = layout::page(&user, Nav::Stock, &M::StockTitle.text(l), body);
    Ok((status, page).into_response())
}

/// Query-string escaping of a value.
pub fn urlenc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn levels_table(l: Lang, id: &str, rows: &[StockRow]) -> Markup {
    html! {
        div.scroll {
            table.data id=(id) {
                thead { tr {
                    th { (M::Store.text(l)) }
                    th { (M::Item.text(l)) }
                    th { (M::Name.text(l)) }
                    th.num { (M::Level.text(l)) }
                    th.num { (M::Threshold.text(l)) }
                } }
                tbody {
                    @for r in rows {
                        tr {
                            td { (r.store_id) }
                            td { a href={ "/catalogue/article?id=" (urlenc(&r.item_id)) } { (r.item_id) } }
                            td { (r.name) }
                            td.num.bad[r.low] data-testid={ "stock-" (r.store_id) "-" (r.item_id) } {
                                (qty(l, r.level))
                            }
                            td.num {
                                @if let Some(t) = r.threshold { (qty(l, t)) }
                                @if r.low { " " span.warn { (M::Low.text(l)) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn reason(l: Lang, r: &str) -> String {
    match r {
        "goods_received" => M::ReasonReceived.text(l),
        "adjustment" => M::ReasonAdjustment.text(l),
        "transfer_out" => M::ReasonTransferOut.text(l),
        "transfer_in" => M::ReasonTransferIn.text(l),
        other => other.to_string(),
    }
}

fn when(l: Lang, at: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(at) {
        Ok(t) => Fmt::web(l).datetime(t.with_timezone(&chrono::Local).naive_local()),
        Err(_) => at.to_string(),
    }
}

fn source(l: Lang, m: &StockMove) -> String {
    let mut parts = Vec::new();
    if let Some(s) = &m.supplier {
        parts.push(M::SourceSupplier.fill(l, &[("supplier", s)]));
    }
    if let Some(s) = &m.other_store {
        parts.push(M::SourceOtherStore.fill(l, &[("store", s)]));
    }
    if let Some(r) = &m.reference {
        parts.push(M::SourceReference.fill(l, &[("reference", r)]));
    }
    if let Some(c) = m.counted {
        parts.push(M::SourceCounted.fill(l, &[("counted", &qty(l, c))]));
    }
    parts.join(", ")
}

fn moves_table(l: Lang, moves: &[StockMove]) -> Markup {
    html! {
        div.scroll {
            table.data #moves {
                thead { tr {
                    th { (M::Date.text(l)) }
                    th { (M::Store.text(l)) }
                    th { (M::Item.text(l)) }
                    th { (M::Movement.text(l)) }
                    th.num { (M::Quantity.text(l)) }
                    th { (M::Source.text(l)) }
                    th { (M::By.text(l)) }
                } }
                tbody {
                    @for m in moves {
                        tr data-op=(m.op_id) {
                            td.nowrap { (when(l, &m.at)) }
                            td { (m.store_id) }
                            td { (m.item_id) }
                            td { (reason(l, &m.reason)) }
                            td.num { (signed(l, m.delta)) }
                            td { (source(l, m)) }
                            td { (m.user) }
                        }
                    }
                }
            }
        }
    }
}

fn store_select(name: &str, stores: &[String], chosen: &str) -> Markup {
    html! {
        select name=(name) required {
            @for s in stores {
                option value=(s) selected[chosen == s] { (s) }
            }
        }
    }
}

fn op_form(
    user: &User,
    form: Form,
    writable: &[String],
    visible: &[String],
    refused: Option<&Refused>,
) -> Markup {
    let l = user.lang;
    let mine = refused.filter(|r| r.form == form);
    let empty = Vec::new();
    let typed = mine.map(|r| &r.fields).unwrap_or(&empty);
    let typed_items: Vec<&str> = typed
        .iter()
        .filter(|(k, _)| k == "article")
        .map(|(_, v)| v.as_str())
        .collect();
    let typed_qtys: Vec<&str> = typed
        .iter()
        .filter(|(k, _)| k == "quantite")
        .map(|(_, v)| v.as_str())
        .collect();
    let (title, action, qty_label, button) = match form {
        Form::Receive => (
            M::ReceiveTitle,
            "/stock/reception",
            M::QtyReceived,
            M::SaveReceive,
        ),
        Form::Count => (
            M::CountTitle,
            "/stock/inventaire",
            M::QtyCounted,
            M::SaveCount,
        ),
        Form::Transfer => (
            M::TransferTitle,
            "/stock/transfert",
            M::QtyMoved,
            M::SaveTransfer,
        ),
    };
    let id = form.id();
    html! {
        section.card {
            h2 { (title.text(l)) }
            @if let Some(r) = mine {
                p.bad #form-error role="alert" { (r.message) " " (M::NothingSaved.text(l)) }
            }
            form id=(id) method="post" action=(action) {
                (user.csrf_field())
                input type="hidden" name="op_id" value=(new_op_id());
                @match form {
                    Form::Transfer => {
                        label { (M::FromStore.text(l)) " " (store_select("de", writable, field(typed, "de"))) }
                        label { (M::ToStore.text(l)) " " (store_select("vers", visible, field(typed, "vers"))) }
                        label { (M::Reference.text(l)) " " input name="reference" value=(field(typed, "reference")); }
                    }
                    Form::Receive => {
                        label { (M::Store.text(l)) " " (store_select("magasin", writable, field(typed, "magasin"))) }
                        label { (M::Supplier.text(l)) " " input name="fournisseur" value=(field(typed, "fournisseur")); }
                        label { (M::Reference.text(l)) " " input name="reference" value=(field(typed, "reference")); }
                    }
                    Form::Count => {
                        label { (M::Store.text(l)) " " (store_select("magasin", writable, field(typed, "magasin"))) }
                    }
                }
                table.lines {
                    thead { tr { th { (M::Item.text(l)) } th { (qty_label.text(l)) } } }
                    tbody {
                        @for i in 0..FORM_ROWS.max(typed_items.len()) {
                            tr {
                                td { input id={ (id) "-item-" (i + 1) } name="article" size="10"
                                    aria-label=(M::Item.text(l))
                                    value=(typed_items.get(i).copied().unwrap_or("")); }
                                td { input id={ (id) "-qty-" (i + 1) } name="quantite" size="6"
                                    inputmode="decimal" aria-label=(qty_label.text(l))
                                    value=(typed_qtys.get(i).copied().unwrap_or("")); }
                            }
                        }
                    }
                }
                button.btn type="submit" { (button.text(l)) }
            }
        }
    }
}

/// `POST /stock/reception`.
pub async fn receive(
    State(app): State<AppState>,
    p: Posted<Vec<(String, String)>>,
) -> WebResult<Response> {
    submit(app, p, Form::Receive).await
}

/// `POST /stock/inventaire`.
pub async fn count(
    State(app): State<AppState>,
    p: Posted<Vec<(String, String)>>,
) -> WebResult<Response> {
    submit(app, p, Form::Count).await
}

/// `POST /stock/transfert`.
pub async fn transfer(
    State(app): State<AppState>,
    p: Posted<Vec<(String, String)>>,
) -> WebResult<Response> {
    submit(app, p, Form::Transfer).await
}

async fn submit(
    app: AppState,
    p: Posted<Vec<(String, String)>>,
    form: Form,
) -> WebResult<Response> {
    let Posted { user, form: fields } = p;
    let l = user.lang;
    let get = |k: &str| field(&fields, k).trim().to_string();
    let kind = match form {
        Form::Receive => StockOpKind::Received {
            store: get("magasin"),
            supplier: get("fournisseur"),
            reference: get("reference"),
        },
        Form::Count => StockOpKind::Count {
            store: get("magasin"),
        },
        Form::Transfer => StockOpKind::Transfer {
            from: get("de"),
            to: get("vers"),
            reference: get("reference"),
        },
    };
    for s in kind.stores() {
        if !s.is_empty() {
            user.require(Who::StoreWrite(s))?;
        }
    }
    let back_store = kind
        .stores()
        .first()
        .map(|s| s.to_string())
        .unwrap_or_default();
    let refuse = |user: User, message: String, fields: Vec<(String, String)>| {
        let q = StockPageQuery {
            magasin: user.store_filter(),
            ..StockPageQuery::default()
        };
        render(
            user,
            app.clone(),
            q,
            Some(Refused {
                form,
                message,
                fields,
            }),
        )
    };
    let lines = match lines(l, &fields) {
        Ok(v) => v,
        Err(m) => return refuse(user, m, fields).await,
    };
    let op = StockOp {
        op_id: get("op_id"),
        kind,
        user: user.email.clone(),
        lines,
    };
    let store = app.store.clone();
    let outcome = blocking(l, {
        let op = op.clone();
        move || store.record_stock_op(&op, &crate::store::now_rfc3339())
    })
    .await?;
    let back = |k: &str, v: u64| {
        Redirect::to(&format!("/stock?magasin={}&{k}={v}", urlenc(&back_store))).into_response()
    };
    match outcome {
        StockOpOutcome::Recorded { version } => {
            let (action, what) = match form {
                Form::Receive => (M::AuditReceived, "goods_received"),
                Form::Count => (M::AuditCount, "inventory_count"),
                Form::Transfer => (M::AuditTransfer, "transfer"),
            };
            let lines: Vec<String> = op.lines.iter().map(|(i, q)| format!("{i}={q}")).collect();
            let (supplier, reference) = op.source();
            let details = format!(
                "{what} op={} stores={} supplier={} reference={} lines={} version={version}",
                op.op_id,
                op.kind.stores().join(">"),
                supplier.unwrap_or("-"),
                reference.unwrap_or("-"),
                lines.join(",")
            );
            audit::audit(&app, &user, action, details).await?;
            Ok(back("fait", version))
        }
        StockOpOutcome::AlreadyRecorded { version } => Ok(back("deja", version)),
        StockOpOutcome::Invalid(e) => {
            let m = invalid_text(l, &e);
            refuse(user, m, fields).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_take_a_decimal_comma_and_spaces() {
        assert_eq!(parse_qty("1,5"), Some(Decimal::new(15, 1)));
        assert_eq!(parse_qty(" 1 234 "), Some(Decimal::from(1234)));
        assert_eq!(parse_qty("douze"), None);
        assert_eq!(qty(Lang::Fr, Decimal::new(12345, 1)), "1\u{a0}234,5");
    }

    #[test]
    fn form_lines_skip_empty_rows_and_name_the_bad_one() {
        let f = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        let ok = lines(
            Lang::Fr,
            &f(&[
                ("article", "A"),
                ("quantite", "2"),
                ("article", ""),
                ("quantite", ""),
            ]),
        );
        assert_eq!(ok, Ok(vec![("A".to_string(), Decimal::from(2))]));
        let bad = lines(
            Lang::Fr,
            &f(&[
                ("article", "A"),
                ("quantite", "2"),
                ("article", "B"),
                ("quantite", "x"),
            ]),
        );
        assert!(bad.is_err_and(|e| e.starts_with("Ligne 2")));
    }
}
