//! The Catalog and prices page (`/catalogue`): search, an item's page with
//! its edit form, each store's price, the withdrawal, and the CSV import
//! previewed then confirmed. Each change is [`crate::catalog_ops`]'s (the
//! next catalog version, on the tills at their next sync) and audited.
//!
//! # Addresses and stable hooks (for the browser tests)
//!
//! | what | path / selector |
//! |---|---|
//! | search | `GET /catalogue?q=pain&page=2`; results `table#results`, a row `tr[data-item="PAIN"]` |
//! | an item | `GET /catalogue/article?id=PAIN` |
//! | edit (owner) | `POST /catalogue/article`, `form#edit`: `id`, `version`, `name`, `price` (input `#item-price`), `vat_rate` (select), `unit`, `barcodes`, `min_qty`, `max_qty` |
//! | a store's price | `POST /catalogue/prix`, `form#price-S1`: `id`, `magasin`, `price` (input `#store-price-S1`); the price shown in `td[data-testid="price-S1-PAIN"]` |
//! | withdraw (owner) | `POST /catalogue/retrait`, `form#withdraw`: `id` |
//! | import (owner) | `POST /catalogue/import` (`form#import`, textarea `csv`): the preview (`#preview`, counts in `#preview-new`, `#preview-changed`, `#preview-withdrawn`, `#preview-unchanged`); then `POST /catalogue/import/confirmer` (`form#confirm`: `csv`, `version`) |
//! | result | `p#flash` (done) or `p#form-error` (refused, nothing saved) |
//!
//! Who: anyone logged in reads; the owner edits the shared catalog, withdraws
//! and imports; a store's price is the owner's or that store's manager's;
//! the accountant reads. Prices accept a decimal comma (`1,35`).

use super::stock::parse_qty;
use super::{audit, blocking, layout, Nav, Posted, User, WebError, WebResult, Who};
use crate::catalog_ops::{
    self, EditInvalid, EditOutcome, ImportError, ImportPreview, ItemEdit, FRENCH_VAT_RATES,
};
use crate::http::AppState;
use crate::load::LoadError;
use crate::store::catalog_edit::{CatalogHit, CatalogItemRows};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use comptoir_i18n::backoffice_stock::StockMsg as M;
use comptoir_i18n::{Fmt, Lang, Template};
use maud::{html, Markup};
use rust_decimal::Decimal;
use serde::Deserialize;
use till_core::records::Unit;

/// Results per page.
const PAGE: usize = 50;
/// Changed rows an import preview lists (the counts are complete).
const PREVIEW_ROWS: usize = 200;

fn money(l: Lang, p: Decimal) -> String {
    Fmt::web(l).money(p)
}

fn item_link(id: &str) -> String {
    format!("/catalogue/article?id={}", super::stock::urlenc(id))
}

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    q: Option<String>,
    page: Option<usize>,
    importe: Option<u64>,
}

/// `GET /catalogue`.
pub async fn page(
    user: User,
    State(app): State<AppState>,
    Query(q): Query<SearchQuery>,
) -> WebResult<Markup> {
    user.require(Who::Anyone)?;
    let l = user.lang;
    let text = q.q.clone().unwrap_or_default();
    let page_no = q.page.unwrap_or(1).max(1);
    let store = app.store.clone();
    let hits = blocking(l, {
        let text = text.clone();
        move || store.catalog_search(&text, (page_no - 1) * PAGE, PAGE + 1)
    })
    .await?;
    let more = hits.len() > PAGE;
    let hits = &hits[..hits.len().min(PAGE)];
    let link = |p: usize| format!("/catalogue?q={}&page={p}", super::stock::urlenc(&text));
    let body = html! {
        @if let Some(v) = q.importe {
            p.ok #flash role="status" { (M::Imported.fill(l, &[("version", &v)])) }
        }
        form.inline #search method="get" action="/catalogue" role="search" {
            input type="search" name="q" value=(text) placeholder=(M::SearchHint.text(l))
                aria-label=(M::SearchHint.text(l));
            " "
            button.btn type="submit" { (M::Search.text(l)) }
        }
        @if hits.is_empty() {
            p.muted { (M::NoResults.text(l)) }
        } @else {
            (results(l, hits))
            p {
                @if page_no > 1 { a href=(link(page_no - 1)) { (M::Previous.text(l)) } " " }
                span.muted { (M::Page.fill(l, &[("page", &page_no)])) }
                @if more { " " a href=(link(page_no + 1)) { (M::Next.text(l)) } }
            }
        }
        @if user.may(Who::Owner) {
            (import_form(&user, "", None))
        }
    };
    Ok(layout::page(
        &user,
        Nav::Catalog,
        &M::CatalogTitle.text(l),
        body,
    ))
}

fn results(l: Lang, hits: &[CatalogHit]) -> Markup {
    html! {
        div.scroll {
            table.data #results {
                thead { tr {
                    th { (M::Code.text(l)) }
                    th { (M::Name.text(l)) }
                    th.num { (M::Price.text(l)) }
                    th.num { (M::Vat.text(l)) }
                    th { (M::Barcodes.text(l)) }
                    th { (M::State.text(l)) }
                } }
                tbody {
                    @for h in hits {
                        tr data-item=(h.item.id) {
                            td { a href=(item_link(&h.item.id)) { (h.item.id) } }
                            td { (h.item.name) }
                            td.num { (money(l, h.item.price)) }
                            td.num { (Fmt::web(l).percent(h.item.vat_rate.as_percent())) }
                            td { (h.item.barcodes.join(" ")) }
                            td {
                                @if h.deleted { span.warn { (M::Withdrawn.text(l)) } }
                                @else { span.ok { (M::OnSale.text(l)) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn import_form(user: &User, csv: &str, error: Option<&str>) -> Markup {
    let l = user.lang;
    html! {
        section.card {
            h2 { (M::ImportTitle.text(l)) }
            p.muted { (M::ImportHint.text(l)) }
            @if let Some(e) = error {
                p.bad #form-error role="alert" { (e) " " (M::NothingSaved.text(l)) }
            }
            form #import method="post" action="/catalogue/import" {
                (user.csrf_field())
                label { (M::CsvText.text(l))
                    textarea name="csv" rows="8" cols="60" required { (csv) }
                }
                button.btn type="submit" { (M::Preview.text(l)) }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct ItemQuery {
    id: String,
    fait: Option<u64>,
    rien: Option<u8>,
}

/// What a refused form shows: the message and, for the edit form, what
/// was typed.
struct ItemRefused {
    /// `edit` or the store of a price form.
    form: String,
    message: String,
    typed: Option<EditForm>,
}

/// `GET /catalogue/article?id=`.
pub async fn item_page(
    user: User,
    State(app): State<AppState>,
    Query(q): Query<ItemQuery>,
) -> WebResult<Response> {
    let flash = match (q.fait, q.rien) {
        (Some(v), _) => Some(M::Saved.fill(user.lang, &[("version", &v)])),
        (None, Some(_)) => Some(M::Unchanged.text(user.lang)),
        _ => None,
    };
    render_item(user, app, q.id, flash, None).await
}

async fn render_item(
    user: User,
    app: AppState,
    id: String,
    flash: Option<String>,
    refused: Option<ItemRefused>,
) -> WebResult<Response> {
    user.require(Who::Anyone)?;
    let l = user.lang;
    let store = app.store.clone();
    let (rows, stores) = blocking(l, {
        let id = id.clone();
        move || Ok((store.catalog_item(&id)?, store.store_ids()?))
    })
    .await?;
    let Some(rows) = rows else {
        return Err(WebError::NotFound(l));
    };
    let Some(shared) = rows.shared.clone() else {
        return Err(WebError::NotFound(l));
    };
    let stores: Vec<String> = match user.store_filter() {
        Some(own) => stores.into_iter().filter(|s| *s == own).collect(),
        None => stores,
    };
    let title = format!("{} · {}", shared.item.id, shared.item.name);
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let err_for = |form: &str| {
        refused
            .as_ref()
            .filter(|r| r.form == form)
            .map(|r| r.message.clone())
    };
    let body = html! {
        p { a href="/catalogue" { "← " (M::CatalogTitle.text(l)) } }
        @if let Some(m) = &flash { p.ok #flash role="status" { (m) } }
        p.muted {
            (M::Version.fill(l, &[("version", &shared.version)])) " · "
            @if shared.deleted { span.warn { (M::Withdrawn.text(l)) } }
            @else { span.ok { (M::OnSale.text(l)) } }
        }
        (edit_form(&user, &shared, err_for("edit"), refused.as_ref().and_then(|r| r.typed.as_ref())))
        section.card {
            h2 { (M::StorePrices.text(l)) }
            p.muted { (M::StorePriceNote.text(l)) }
            div.scroll {
                table.data #store-prices {
                    thead { tr {
                        th { (M::Store.text(l)) }
                        th.num { (M::Price.text(l)) }
                        th { }
                        th { (M::SetPrice.text(l)) }
                    } }
                    tbody {
                        @for s in &stores {
                            (store_price_row(&user, &rows, &shared, s, err_for(s)))
                        }
                    }
                }
            }
        }
        @if user.may(Who::Owner) && !shared.deleted {
            section.card {
                h2 { (M::WithdrawTitle.text(l)) }
                p.muted { (M::WithdrawNote.text(l)) }
                form #withdraw method="post" action="/catalogue/retrait" {
                    (user.csrf_field())
                    input type="hidden" name="id" value=(shared.item.id);
                    button.btn.danger type="submit" { (M::WithdrawButton.text(l)) }
                }
            }
        }
    };
    let page = layout::page(&user, Nav::Catalog, &title, body);
    Ok((status, page).into_response())
}

fn store_price_row(
    user: &User,
    rows: &CatalogItemRows,
    shared: &CatalogHit,
    store: &str,
    error: Option<String>,
) -> Markup {
    let l = user.lang;
    let own = rows
        .stores
        .iter()
        .find(|(s, h)| s == store && !h.deleted)
        .map(|(_, h)| h.item.price);
    let price = own.unwrap_or(shared.item.price);
    html! {
        tr {
            td { (store) }
            td.num data-testid={ "price-" (store) "-" (shared.item.id) } { (money(l, price)) }
            td.muted {
                @if own.is_some() { (M::OwnPrice.text(l)) } @else { (M::CommonPrice.text(l)) }
            }
            td {
                @if user.may(Who::StoreWrite(store)) && !shared.deleted {
                    @if let Some(e) = &error {
                        p.bad #form-error role="alert" { (e) " " (M::NothingSaved.text(l)) }
                    }
                    form.inline id={ "price-" (store) } method="post" action="/catalogue/prix" {
                        (user.csrf_field())
                        input type="hidden" name="id" value=(shared.item.id);
                        input type="hidden" name="magasin" value=(store);
                        input id={ "store-price-" (store) } name="price" size="8" inputmode="decimal"
                            aria-label=(M::Price.text(l)) value=(plain(price));
                        " "
                        button.btn type="submit" { (M::SetPrice.text(l)) }
                    }
                }
            }
        }
    }
}

/// A decimal as typed in a form (a comma in French would be read back too).
fn plain(d: Decimal) -> String {
    d.to_string()
}

fn edit_form(
    user: &User,
    shared: &CatalogHit,
    error: Option<String>,
    typed: Option<&EditForm>,
) -> Markup {
    let l = user.lang;
    let i = &shared.item;
    let owner = user.may(Who::Owner);
    let v = |typed_v: Option<&String>, current: String| typed_v.cloned().unwrap_or(current);
    let name = v(typed.map(|t| &t.name), i.name.clone());
    let price = v(typed.map(|t| &t.price), plain(i.price));
    let rate = v(
        typed.map(|t| &t.vat_rate),
        i.vat_rate.as_percent().normalize().to_string(),
    );
    let unit = v(
        typed.map(|t| &t.unit),
        match i.unit {
            Unit::Piece => "piece".into(),
            Unit::Kg => "kg".into(),
        },
    );
    let barcodes = v(typed.map(|t| &t.barcodes), i.barcodes.join(" "));
    let min = v(
        typed.map(|t| &t.min_qty),
        i.rules.min_qty.map(plain).unwrap_or_default(),
    );
    let max = v(
        typed.map(|t| &t.max_qty),
        i.rules.max_qty.map(plain).unwrap_or_default(),
    );
    html! {
        section.card {
            h2 { (M::EditItem.text(l)) }
            @if shared.deleted && owner { p.warn { (M::BackOnSale.text(l)) } }
            @if let Some(e) = &error {
                p.bad #form-error role="alert" { (e) " " (M::NothingSaved.text(l)) }
            }
            form #edit method="post" action="/catalogue/article" {
                (user.csrf_field())
                input type="hidden" name="id" value=(i.id);
                input type="hidden" name="version" value=(shared.version);
                fieldset disabled[!owner] {
                    label { (M::Name.text(l)) input name="name" value=(name) required maxlength="120"; }
                    label { (M::Price.text(l)) input #item-price name="price" value=(price) inputmode="decimal" required; }
                    label { (M::Vat.text(l))
                        select name="vat_rate" {
                            @for r in FRENCH_VAT_RATES {
                                @let shown = r.parse::<Decimal>().map(|d| Fmt::web(l).percent(d)).unwrap_or_default();
                                option value=(r) selected[same_rate(&rate, r)] { (shown) }
                            }
                        }
                    }
                    label { (M::Unit.text(l))
                        select name="unit" {
                            option value="piece" selected[unit == "piece"] { (M::UnitPiece.text(l)) }
                            option value="kg" selected[unit == "kg"] { (M::UnitKg.text(l)) }
                        }
                    }
                    label { (M::Barcodes.text(l)) " (" (M::BarcodesHint.text(l)) ")"
                        input name="barcodes" value=(barcodes); }
                    label { (M::MinQty.text(l)) input name="min_qty" value=(min) inputmode="decimal"; }
                    label { (M::MaxQty.text(l)) input name="max_qty" value=(max) inputmode="decimal"; }
                    @if owner { button.btn type="submit" { (M::Save.text(l)) } }
                }
            }
            @if !owner { p.muted { (M::ReadOnly.text(l)) } }
        }
    }
}

fn same_rate(typed: &str, r: &str) -> bool {
    match (parse_qty(typed), r.parse::<Decimal>()) {
        (Some(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The edit form as posted (strings: refused values are shown again).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct EditForm {
    id: String,
    version: String,
    name: String,
    price: String,
    vat_rate: String,
    unit: String,
    barcodes: String,
    min_qty: String,
    max_qty: String,
}

fn edit_text(l: Lang, e: &EditInvalid) -> String {
    match e {
        EditInvalid::Name => M::ErrName.text(l),
        EditInvalid::Price(p) => M::ErrPrice.fill(l, &[("price", &p)]),
        EditInvalid::VatRate(r) => M::ErrVat.fill(l, &[("rate", &r)]),
        EditInvalid::Barcode(c) => M::ErrBarcode.fill(l, &[("code", c)]),
        EditInvalid::BarcodeTaken { code, item } => {
            M::ErrBarcodeTaken.fill(l, &[("code", code), ("item", item)])
        }
        EditInvalid::Quantity => M::ErrQuantity.text(l),
        EditInvalid::UnknownStore(s) => M::ErrUnknownStore.fill(l, &[("store", s)]),
    }
}

/// The form as an [`ItemEdit`], or what is wrong with it.
fn parse_edit(l: Lang, f: &EditForm) -> Result<(ItemEdit, u64), String> {
    let opt = |s: &str| -> Result<Option<Decimal>, String> {
        if s.trim().is_empty() {
            return Ok(None);
        }
        parse_qty(s).map(Some).ok_or_else(|| M::ErrQuantity.text(l))
    };
    let price = parse_qty(&f.price).ok_or_else(|| M::ErrPrice.fill(l, &[("price", &f.price)]))?;
    let vat_rate =
        parse_qty(&f.vat_rate).ok_or_else(|| M::ErrVat.fill(l, &[("rate", &f.vat_rate)]))?;
    let unit = match f.unit.as_str() {
        "piece" | "" => Unit::Piece,
        "kg" => Unit::Kg,
        _ => return Err(M::ErrUnit.text(l)),
    };
    let edit = ItemEdit {
        id: f.id.clone(),
        name: f.name.clone(),
        price,
        vat_rate,
        unit,
        barcodes: f
            .barcodes
            .split([' ', ',', ';', '|'])
            .filter(|b| !b.is_empty())
            .map(str::to_string)
            .collect(),
        min_qty: opt(&f.min_qty)?,
        max_qty: opt(&f.max_qty)?,
    };
    let version = f
        .version
        .trim()
        .parse()
        .map_err(|_| M::ErrBadOpId.text(l))?;
    Ok((edit, version))
}

fn saved(id: &str, out: &EditOutcome) -> Response {
    let tail = match out {
        EditOutcome::Saved { version } => format!("&fait={version}"),
        _ => "&rien=1".into(),
    };
    Redirect::to(&format!("{}{tail}", item_link(id))).into_response()
}

/// `POST /catalogue/article`: the owner's edit.
pub async fn edit(State(app): State<AppState>, p: Posted<EditForm>) -> WebResult<Response> {
    let Posted { user, form } = p;
    user.require(Who::Owner)?;
    let l = user.lang;
    let refuse = |user: User, message: String, form: EditForm| {
        let id = form.id.clone();
        render_item(
            user,
            app.clone(),
            id,
            None,
            Some(ItemRefused {
                form: "edit".into(),
                message,
                typed: Some(form),
            }),
        )
    };
    let (edit, version) = match parse_edit(l, &form) {
        Ok(e) => e,
        Err(m) => return refuse(user, m, form).await,
    };
    let store = app.store.clone();
    let out = blocking(l, {
        let edit = edit.clone();
        move || catalog_ops::edit_item(&*store, &edit, version)
    })
    .await?;
    match &out {
        EditOutcome::Saved { version } => {
            let details = format!(
                "item={} name={:?} price={} vat_rate={} unit={:?} barcodes={} min_qty={} max_qty={} version={version}",
                edit.id,
                edit.name,
                edit.price,
                edit.vat_rate,
                edit.unit,
                edit.barcodes.join("|"),
                edit.min_qty.map(|q| q.to_string()).unwrap_or_default(),
                edit.max_qty.map(|q| q.to_string()).unwrap_or_default(),
            );
            audit::audit(&app, &user, M::AuditItemEdited, details).await?;
            Ok(saved(&edit.id, &out))
        }
        EditOutcome::Unchanged => Ok(saved(&edit.id, &out)),
        EditOutcome::NotFound => Err(WebError::NotFound(l)),
        EditOutcome::Conflict { version } => {
            let m = M::Conflict.fill(l, &[("version", version)]);
            refuse(user, m, form).await
        }
        EditOutcome::Invalid(e) => {
            let m = edit_text(l, e);
            refuse(user, m, form).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct PriceForm {
    id: String,
    magasin: String,
    price: String,
}

/// `POST /catalogue/prix`: a store's price (the owner, or its manager).
pub async fn store_price(State(app): State<AppState>, p: Posted<PriceForm>) -> WebResult<Response> {
    let Posted { user, form } = p;
    user.require(Who::StoreWrite(&form.magasin))?;
    let l = user.lang;
    let refuse = |user: User, message: String| {
        render_item(
            user,
            app.clone(),
            form.id.clone(),
            None,
            Some(ItemRefused {
                form: form.magasin.clone(),
                message,
                typed: None,
            }),
        )
    };
    let Some(price) = parse_qty(&form.price) else {
        let m = M::ErrPrice.fill(l, &[("price", &form.price)]);
        return refuse(user, m).await;
    };
    let store = app.store.clone();
    let out = blocking(l, {
        let (s, id) = (form.magasin.clone(), form.id.clone());
        move || catalog_ops::set_store_price(&*store, &s, &id, price)
    })
    .await?;
    match &out {
        EditOutcome::Saved { version } => {
            let details = format!(
                "item={} store={} price={price} version={version}",
                form.id, form.magasin
            );
            audit::audit(&app, &user, M::AuditStorePrice, details).await?;
            Ok(saved(&form.id, &out))
        }
        EditOutcome::Unchanged => Ok(saved(&form.id, &out)),
        EditOutcome::NotFound => Err(WebError::NotFound(l)),
        EditOutcome::Conflict { version } => {
            let m = M::Conflict.fill(l, &[("version", version)]);
            refuse(user, m).await
        }
        EditOutcome::Invalid(e) => {
            let m = edit_text(l, e);
            refuse(user, m).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct IdForm {
    id: String,
}

/// `POST /catalogue/retrait`: the owner withdraws an item from every store.
pub async fn withdraw(State(app): State<AppState>, p: Posted<IdForm>) -> WebResult<Response> {
    let Posted { user, form } = p;
    user.require(Who::Owner)?;
    let l = user.lang;
    let store = app.store.clone();
    let out = blocking(l, {
        let id = form.id.clone();
        move || catalog_ops::withdraw(&*store, &id)
    })
    .await?;
    match &out {
        EditOutcome::Saved { version } => {
            let details = format!("item={} version={version}", form.id);
            audit::audit(&app, &user, M::AuditWithdrawn, details).await?;
            Ok(saved(&form.id, &out))
        }
        EditOutcome::NotFound => Err(WebError::NotFound(l)),
        _ => Ok(saved(&form.id, &out)),
    }
}

#[derive(Debug, Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    csv: String,
    #[serde(default)]
    version: Option<u64>,
}

fn import_error_text(l: Lang, e: &ImportError) -> Option<String> {
    match e {
        ImportError::File(LoadError::Csv {
            line,
            column: None,
            detail,
        }) => Some(M::CsvError.fill(l, &[("line", line), ("detail", detail)])),
        ImportError::File(LoadError::Csv {
            line,
            column: Some((column, name)),
            detail,
        }) => Some(M::CsvErrorColumn.fill(
            l,
            &[
                ("line", line),
                ("column", column),
                ("name", name),
                ("detail", detail),
            ],
        )),
        ImportError::File(LoadError::Item { id, detail }) => {
            Some(M::CsvErrorItem.fill(l, &[("item", id), ("detail", detail)]))
        }
        ImportError::File(LoadError::Json(d)) => Some(d.clone()),
        ImportError::Store(_) => None,
    }
}

fn field_label(l: Lang, f: &str) -> String {
    match f {
        "name" => M::FieldName.text(l),
        "price" => M::FieldPrice.text(l),
        "vat_rate" => M::FieldVat.text(l),
        "unit" => M::FieldUnit.text(l),
        "barcodes" => M::FieldBarcodes.text(l),
        "stock_tracked" => M::FieldStockTracked.text(l),
        "min_qty" => M::FieldMinQty.text(l),
        "max_qty" => M::FieldMaxQty.text(l),
        "deleted" => M::FieldDeleted.text(l),
        other => other.to_string(),
    }
}

/// `POST /catalogue/import`: the preview (nothing applied).
pub async fn import_preview(
    State(app): State<AppState>,
    p: Posted<ImportForm>,
) -> WebResult<Response> {
    let Posted { user, form } = p;
    user.require(Who::Owner)?;
    let l = user.lang;
    let refused = |user: &User, m: String| {
        let page = layout::page(
            user,
            Nav::Catalog,
            &M::ImportTitle.text(l),
            import_form(user, &form.csv, Some(&m)),
        );
        Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    if form.csv.trim().is_empty() {
        return refused(&user, M::CsvEmpty.text(l));
    }
    let store = app.store.clone();
    let csv = form.csv.clone();
    let out = tokio::task::spawn_blocking(move || catalog_ops::preview_import(&*store, &csv))
        .await
        .map_err(|e| WebError::Store(l, crate::store::StoreError::Db(e.to_string())))?;
    let p = match out {
        Ok(p) => p,
        Err(ImportError::Store(e)) => return Err(WebError::Store(l, e)),
        Err(e) => return refused(&user, import_error_text(l, &e).unwrap_or_default()),
    };
    let page = layout::page(
        &user,
        Nav::Catalog,
        &M::PreviewTitle.text(l),
        preview(&user, &form.csv, &p),
    );
    Ok(page.into_response())
}

fn preview(user: &User, csv: &str, p: &ImportPreview) -> Markup {
    let l = user.lang;
    let f = Fmt::web(l);
    let count = |n: usize| f.count(n as u64);
    let nothing = p.new.is_empty() && p.changed.is_empty() && p.withdrawn.is_empty();
    let listed: Vec<(&str, &catalog_ops::ImportChange)> = p
        .new
        .iter()
        .map(|c| ("new", c))
        .chain(p.changed.iter().map(|c| ("changed", c)))
        .chain(p.withdrawn.iter().map(|c| ("withdrawn", c)))
        .collect();
    html! {
        section.card #preview {
            ul {
                li #preview-new data-count=(p.new.len()) { (M::PreviewNew.fill(l, &[("count", &count(p.new.len()))])) }
                li #preview-changed data-count=(p.changed.len()) { (M::PreviewChanged.fill(l, &[("count", &count(p.changed.len()))])) }
                li #preview-withdrawn data-count=(p.withdrawn.len()) { (M::PreviewWithdrawn.fill(l, &[("count", &count(p.withdrawn.len()))])) }
                li #preview-unchanged data-count=(p.unchanged) { (M::PreviewUnchanged.fill(l, &[("count", &count(p.unchanged))])) }
            }
            @if nothing {
                p.muted { (M::PreviewNothing.text(l)) }
            } @else {
                div.scroll {
                    table.data #preview-rows {
                        thead { tr {
                            th { (M::Item.text(l)) }
                            th { (M::Store.text(l)) }
                            th { (M::State.text(l)) }
                            th { (M::ChangedFields.text(l)) }
                        } }
                        tbody {
                            @for (what, c) in listed.iter().take(PREVIEW_ROWS) {
                                tr data-item=(c.item_id) data-change=(what) {
                                    td { (c.item_id) }
                                    td { (c.store_id.clone().unwrap_or_else(|| M::EveryStore.text(l))) }
                                    td { @match *what {
                                        "new" => (M::ChangeNew.text(l)),
                                        "changed" => (M::ChangeChanged.text(l)),
                                        _ => (M::Withdrawn.text(l)),
                                    } }
                                    td { (c.fields.iter().map(|f| field_label(l, f)).collect::<Vec<_>>().join(", ")) }
                                }
                            }
                        }
                    }
                }
                @if listed.len() > PREVIEW_ROWS {
                    p.muted { (M::PreviewMore.fill(l, &[("count", &count(listed.len() - PREVIEW_ROWS))])) }
                }
                form #confirm method="post" action="/catalogue/import/confirmer" {
                    (user.csrf_field())
                    input type="hidden" name="version" value=(p.version);
                    textarea name="csv" hidden { (csv) }
                    button.btn type="submit" { (M::Confirm.text(l)) }
                    " "
                    a href="/catalogue" { (M::Cancel.text(l)) }
                }
            }
        }
    }
}

/// `POST /catalogue/import/confirmer`: applies a previewed import.
pub async fn import_confirm(
    State(app): State<AppState>,
    p: Posted<ImportForm>,
) -> WebResult<Response> {
    let Posted { user, form } = p;
    user.require(Who::Owner)?;
    let l = user.lang;
    let Some(previewed) = form.version else {
        return Err(WebError::BadRequest(l, M::ErrBadOpId.text(l)));
    };
    let store = app.store.clone();
    let csv = form.csv.clone();
    let out =
        tokio::task::spawn_blocking(move || catalog_ops::confirm_import(&*store, &csv, previewed))
            .await
            .map_err(|e| WebError::Store(l, crate::store::StoreError::Db(e.to_string())))?;
    let message = match out {
        Ok(Ok(version)) => {
            let details = format!(
                "rows={} bytes={} version={version}",
                form.csv.lines().count().saturating_sub(1),
                form.csv.len()
            );
            audit::audit(&app, &user, M::AuditImported, details).await?;
            return Ok(Redirect::to(&format!("/catalogue?importe={version}")).into_response());
        }
        Ok(Err(now)) => M::ImportStale.fill(l, &[("version", &now)]),
        Err(ImportError::Store(e)) => return Err(WebError::Store(l, e)),
        Err(e) => import_error_text(l, &e).unwrap_or_default(),
    };
    let page = layout::page(
        &user,
        Nav::Catalog,
        &M::ImportTitle.text(l),
        import_form(&user, &form.csv, Some(&message)),
    );
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_edit_form_reads_french_decimals_and_names_a_bad_field() {
        let f = EditForm {
            id: "A".into(),
            version: "3".into(),
            name: "Pain".into(),
            price: "1,35".into(),
            vat_rate: "5,5".into(),
            unit: "piece".into(),
            barcodes: "301 302".into(),
            min_qty: String::new(),
            max_qty: "6".into(),
        };
        let (e, v) = parse_edit(Lang::Fr, &f).expect("parses");
        assert_eq!(
            (e.price, e.vat_rate, v),
            (Decimal::new(135, 2), Decimal::new(55, 1), 3)
        );
        assert_eq!(e.barcodes, ["301", "302"]);
        assert_eq!(e.max_qty, Some(Decimal::from(6)));
        let bad = EditForm {
            price: "un euro".into(),
            ..f
        };
        assert!(parse_edit(Lang::Fr, &bad).is_err_and(|m| m.contains("un euro")));
    }
}
