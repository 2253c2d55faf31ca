//! `/clients`: customers with an account ([`crate::store::customers`]).
//! The list with a search, a customer's account (`/clients/fiche?numero=`:
//! credit limit, balance owed, available credit, status), and the forms to
//! add one (`POST /clients`) or change one (`POST /clients/fiche`).
//!
//! Owner, accountant and managers read (managers read only: customers are
//! the chain's, not a store's); only the owner adds and changes, each
//! change checked in full ([`till_core::customer::Customer::checked`]),
//! CSRF-checked ([`Posted`]) and audited. A refused form comes back with
//! what was typed and the reason, field by field, in the user's language.

use super::{audit, blocking, layout, Nav, Posted, User, WebError, WebResult, Who};
use crate::http::AppState;
use crate::store::customers::{CustomerRow, Write};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use comptoir_i18n::backoffice::Bo;
use comptoir_i18n::backoffice_customers::CustMsg as M;
use comptoir_i18n::{Fmt, Lang, Template};
use maud::{html, Markup};
use rust_decimal::Decimal;
use serde::Deserialize;
use till_core::customer::{AccountStatus, Customer, CustomerKind, PaymentTerms};

/// Rows the list shows.
const LIST_MAX: usize = 100;

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
}

#[derive(Deserialize)]
pub struct OneQuery {
    numero: String,
    ok: Option<String>,
}

/// The add and edit forms, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CustomerForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    siren: String,
    #[serde(default)]
    siret: String,
    #[serde(default)]
    vat_number: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    terms: String,
    #[serde(default)]
    credit_limit: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    loyalty_card: String,
}

fn some(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

impl CustomerForm {
    fn of(c: &Customer) -> CustomerForm {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        CustomerForm {
            number: c.number.clone(),
            kind: c.kind.code().into(),
            name: c.name.clone(),
            siren: o(&c.siren),
            siret: o(&c.siret),
            vat_number: o(&c.vat_number),
            address: o(&c.address),
            email: o(&c.email),
            phone: o(&c.phone),
            terms: c.terms.code(),
            credit_limit: c.credit_limit.to_string(),
            group: o(&c.group),
            status: c.status.code().into(),
            loyalty_card: o(&c.loyalty_card),
        }
    }

    /// The customer typed, checked; else the reason in `l`.
    fn customer(&self, l: Lang) -> Result<Customer, String> {
        let kind = CustomerKind::parse(&self.kind).ok_or_else(|| M::BadKind.text(l))?;
        let terms = PaymentTerms::parse(&self.terms).ok_or_else(|| M::BadTerms.text(l))?;
        let status = AccountStatus::parse(&self.status).ok_or_else(|| M::Status.text(l))?;
        let limit = self
            .credit_limit
            .trim()
            .replace([' ', '\u{a0}', '\u{202f}'], "");
        let credit_limit: Decimal = if limit.is_empty() {
            Decimal::ZERO
        } else {
            limit
                .replace(',', ".")
                .parse()
                .map_err(|_| M::BadCreditLimit.text(l))?
        };
        Customer {
            number: self.number.clone(),
            kind,
            name: self.name.clone(),
            siren: some(&self.siren),
            siret: some(&self.siret),
            vat_number: some(&self.vat_number),
            address: some(&self.address.replace("\r\n", "\n")),
            email: some(&self.email),
            phone: some(&self.phone),
            terms,
            credit_limit,
            group: some(&self.group),
            status,
            loyalty_card: some(&self.loyalty_card),
        }
        .checked()
        .map_err(|e| field_message(e.field).text(l))
    }
}

/// The message of a field that does not pass its check.
fn field_message(field: &str) -> M {
    match field {
        "number" => M::BadNumber,
        "name" => M::BadName,
        "kind" => M::BadKind,
        "siren" => M::BadSiren,
        "siret" => M::BadSiret,
        "vat_number" => M::BadVat,
        "address" => M::BadAddress,
        "email" => M::BadEmail,
        "phone" => M::BadPhone,
        "terms" => M::BadTerms,
        "credit_limit" => M::BadCreditLimit,
        "group" => M::BadGroup,
        _ => M::BadCard,
    }
}

fn kind_text(k: CustomerKind, l: Lang) -> String {
    match k {
        CustomerKind::Business => M::KindB2b.text(l),
        CustomerKind::Consumer => M::KindB2c.text(l),
    }
}

fn status_text(s: AccountStatus, l: Lang) -> String {
    match s {
        AccountStatus::Open => M::StatusOpen.text(l),
        AccountStatus::OnHold => M::StatusOnHold.text(l),
        AccountStatus::InCollection => M::StatusInCollection.text(l),
    }
}

fn status_class(s: AccountStatus) -> &'static str {
    match s {
        AccountStatus::Open => "ok",
        AccountStatus::OnHold => "warn",
        AccountStatus::InCollection => "bad",
    }
}

fn terms_text(t: PaymentTerms, l: Lang) -> String {
    match t {
        PaymentTerms::Cash => M::TermsCash.text(l),
        PaymentTerms::Net(d) => M::TermsNet.fill(l, &[("days", &d)]),
        PaymentTerms::EndOfMonth45 => M::TermsEom45.text(l),
    }
}

/// The form's fields (`edit`: the number is fixed).
fn form_fields(l: Lang, f: &CustomerForm, edit: bool) -> Markup {
    let text = |name: &'static str, label: M, value: &str| {
        html! {
            label { (label.text(l))
                input type="text" name=(name) value=(value);
            }
        }
    };
    html! {
        div.grid {
            @if edit {
                input type="hidden" name="number" value=(f.number);
            } @else {
                label { (M::Number.text(l))
                    input type="text" name="number" value=(f.number) required maxlength="20";
                }
            }
            label { (M::Kind.text(l))
                select name="kind" {
                    @for k in [CustomerKind::Business, CustomerKind::Consumer] {
                        option value=(k.code()) selected[f.kind == k.code()] { (kind_text(k, l)) }
                    }
                }
            }
            label { (M::Name.text(l))
                input type="text" name="name" value=(f.name) required maxlength="120";
            }
            (text("siren", M::Siren, &f.siren))
            (text("siret", M::Siret, &f.siret))
            (text("vat_number", M::Vat, &f.vat_number))
            label { (M::Address.text(l))
                textarea name="address" rows="3" maxlength="400" { (f.address) }
            }
            (text("email", M::Email, &f.email))
            (text("phone", M::Phone, &f.phone))
            label { (M::Terms.text(l))
                input type="text" name="terms" value=(if f.terms.is_empty() { "cash" } else { &f.terms });
                small.muted { (M::TermsHelp.text(l)) }
            }
            (text("credit_limit", M::CreditLimit, &f.credit_limit))
            (text("group", M::Group, &f.group))
            label { (M::Status.text(l))
                select name="status" {
                    @for s in AccountStatus::ALL {
                        option value=(s.code()) selected[f.status == s.code()] { (status_text(s, l)) }
                    }
                }
            }
            (text("loyalty_card", M::LoyaltyCard, &f.loyalty_card))
        }
    }
}

fn refused_box(message: Option<&str>) -> Markup {
    html! {
        @if let Some(m) = message {
            p.bad id="refused" role="alert" { (m) }
        }
    }
}

async fn render_list(
    user: &User,
    app: &AppState,
    query: String,
    form: Option<(CustomerForm, String)>,
) -> WebResult<Markup> {
    let l = user.lang;
    let f = Fmt::web(l);
    let store = app.store.clone();
    let q = query.clone();
    let rows = blocking(l, move || store.customers_find(&q, LIST_MAX)).await?;
    let (typed, message) = match form {
        Some((t, m)) => (t, Some(m)),
        None => (CustomerForm::default(), None),
    };
    Ok(layout::page(
        user,
        Nav::Customers,
        &M::Title.text(l),
        html! {
            section.card {
                form method="get" action="/clients" {
                    label { (M::Search.text(l))
                        input type="search" name="q" value=(query) maxlength="64";
                    }
                    button.btn type="submit" { (M::SearchButton.text(l)) }
                }
                @if rows.is_empty() {
                    p.muted id="no-customers" { (M::NoCustomers.text(l)) }
                } @else {
                    div.scroll { table.data id="customers" {
                        thead { tr {
                            th { (M::Number.text(l)) } th { (M::Name.text(l)) } th { (M::Kind.text(l)) }
                            th { (M::Status.text(l)) } th.num { (M::CreditLimit.text(l)) }
                            th.num { (M::Balance.text(l)) } th.num { (M::Available.text(l)) }
                        } }
                        tbody {
                            @for r in &rows {
                                tr {
                                    td { a href={ "/clients/fiche?numero=" (r.customer.number) } { (r.customer.number) } }
                                    td { (r.customer.name) }
                                    td { (kind_text(r.customer.kind, l)) }
                                    td class=(status_class(r.customer.status)) { (status_text(r.customer.status, l)) }
                                    td.num { (f.money(r.customer.credit_limit)) }
                                    td.num { (f.money(r.balance)) }
                                    td.num { (f.money(r.available)) }
                                }
                            }
                        }
                    } }
                }
            }
            @if user.may(Who::Owner) {
                section.card {
                    h2 { (M::AddTitle.text(l)) }
                    (refused_box(message.as_deref()))
                    form method="post" action="/clients" id="add-customer" {
                        (user.csrf_field())
                        (form_fields(l, &typed, false))
                        button.btn type="submit" { (M::Save.text(l)) }
                    }
                }
            } @else {
                p.muted { (M::ReadOnly.text(l)) }
            }
        },
    ))
}

/// `GET /clients`.
pub async fn page(
    user: User,
    State(app): State<AppState>,
    Query(q): Query<ListQuery>,
) -> WebResult<Markup> {
    user.require(Who::Anyone)?;
    let query: String = q.q.unwrap_or_default().chars().take(64).collect();
    render_list(&user, &app, query, None).await
}

async fn render_one(
    user: &User,
    app: &AppState,
    number: String,
    saved: bool,
    form: Option<(CustomerForm, String)>,
) -> WebResult<Response> {
    let l = user.lang;
    let f = Fmt::web(l);
    let store = app.store.clone();
    let n = number.clone();
    let Some(r): Option<CustomerRow> = blocking(l, move || store.customer(&n)).await? else {
        return Err(WebError::NotFound(l));
    };
    let c = &r.customer;
    let (typed, message) = match form {
        Some((t, m)) => (t, Some(m)),
        None => (CustomerForm::of(c), None),
    };
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    let status = if message.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = layout::page(
        user,
        Nav::Customers,
        &format!("{} {}", c.number, c.name),
        html! {
            @if saved {
                p.ok id="saved" role="status" { (M::Saved.fill(l, &[("number", &c.number)])) }
            }
            section.card id="account" {
                h2 { (c.name) }
                dl {
                    dt { (M::Number.text(l)) } dd id="number" { (c.number) }
                    dt { (M::Kind.text(l)) } dd { (kind_text(c.kind, l)) }
                    dt { (M::Status.text(l)) } dd id="status" class=(status_class(c.status)) { (status_text(c.status, l)) }
                    dt { (M::CreditLimit.text(l)) } dd.num id="limit" { (f.money(c.credit_limit)) }
                    dt { (M::Balance.text(l)) } dd.num id="balance" { (f.money(r.balance)) }
                    dt { (M::Available.text(l)) } dd.num id="available" { (f.money(r.available)) }
                    dt { (M::AccountSales.text(l)) } dd.num { (f.count(r.account_sales)) }
                    dt { (M::Terms.text(l)) } dd { (terms_text(c.terms, l)) }
                    dt { (M::Group.text(l)) } dd { (opt(&c.group)) }
                    dt { (M::Siren.text(l)) } dd { (opt(&c.siren)) }
                    dt { (M::Siret.text(l)) } dd { (opt(&c.siret)) }
                    dt { (M::Vat.text(l)) } dd { (opt(&c.vat_number)) }
                    dt { (M::Address.text(l)) } dd { (opt(&c.address)) }
                    dt { (M::Email.text(l)) } dd { (opt(&c.email)) }
                    dt { (M::Phone.text(l)) } dd { (opt(&c.phone)) }
                    dt { (M::LoyaltyCard.text(l)) } dd { (opt(&c.loyalty_card)) }
                }
                p.muted { (M::Version.fill(l, &[("version", &r.version), ("at", &super::dash::at(Some(&r.updated_at), l))])) }
            }
            @if user.may(Who::Owner) {
                section.card {
                    h2 { (M::EditTitle.text(l)) }
                    (refused_box(message.as_deref()))
                    form method="post" action="/clients/fiche" id="edit-customer" {
                        (user.csrf_field())
                        (form_fields(l, &typed, true))
                        button.btn type="submit" { (M::Save.text(l)) }
                    }
                }
            } @else {
                p.muted { (M::ReadOnly.text(l)) }
            }
            p { a href="/clients" { (Bo::NavCustomers.text(l)) } }
        },
    );
    Ok((status, page).into_response())
}

/// `GET /clients/fiche?numero=`.
pub async fn one(
    user: User,
    State(app): State<AppState>,
    Query(q): Query<OneQuery>,
) -> WebResult<Response> {
    user.require(Who::Anyone)?;
    render_one(&user, &app, q.numero, q.ok.is_some(), None).await
}

/// What the stored rows forbid (the number taken, the card another's),
/// said in `l`; None: the write may go ahead.
async fn conflict(app: &AppState, l: Lang, c: &Customer, how: Write) -> WebResult<Option<String>> {
    let store = app.store.clone();
    let (number, card) = (c.number.clone(), c.loyalty_card.clone());
    let (exists, holder) = blocking(l, move || {
        let exists = store.customer(&number)?.is_some();
        let holder = match &card {
            Some(card) => store
                .customers_find(card, 5)?
                .into_iter()
                .find(|r| {
                    r.customer.loyalty_card.as_ref() == Some(card) && r.customer.number != number
                })
                .map(|r| r.customer.number),
            None => None,
        };
        Ok((exists, holder))
    })
    .await?;
    Ok(match (how, exists) {
        (Write::Add, true) => Some(M::Exists.fill(l, &[("number", &c.number)])),
        (Write::Edit, false) => Some(M::NotFound.fill(l, &[("number", &c.number)])),
        _ => holder.map(|_| M::CardTaken.text(l)),
    })
}

async fn write(app: &AppState, user: &User, c: Customer, how: Write) -> WebResult<u64> {
    let store = app.store.clone();
    let v = blocking(user.lang, {
        let c = c.clone();
        move || store.customers_write(&[c], how)
    })
    .await?;
    let details = format!(
        "customer={} kind={} name={:?} siren={} siret={} vat={} terms={} credit_limit={} group={} status={} loyalty_card={} version={v}",
        c.number,
        c.kind.code(),
        c.name,
        c.siren.as_deref().unwrap_or(""),
        c.siret.as_deref().unwrap_or(""),
        c.vat_number.as_deref().unwrap_or(""),
        c.terms.code(),
        c.credit_limit,
        c.group.as_deref().unwrap_or(""),
        c.status.code(),
        c.loyalty_card.as_deref().unwrap_or(""),
    );
    let action = if how == Write::Add {
        M::AuditAdded
    } else {
        M::AuditEdited
    };
    audit::audit(app, user, action, details).await?;
    Ok(v)
}

fn to_one(number: &str) -> Response {
    let q: String = number
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    Redirect::to(&format!("/clients/fiche?numero={q}&ok=1")).into_response()
}

/// `POST /clients`: the owner adds a customer.
pub async fn add(State(app): State<AppState>, p: Posted<CustomerForm>) -> WebResult<Response> {
    let Posted { user, form } = p;
    user.require(Who::Owner)?;
    let l = user.lang;
    let refuse = |m: String, form: CustomerForm| async {
        let page = render_list(&user, &app, String::new(), Some((form, m))).await?;
        Ok((StatusCode::BAD_REQUEST, page).into_response())
    };
    let c = match form.customer(l) {
        Ok(c) => c,
        Err(m) => return refuse(m, form).await,
    };
    if let Some(m) = conflict(&app, l, &c, Write::Add).await? {
        return refuse(m, form).await;
    }
    write(&app, &user, c.clone(), Write::Add).await?;
    Ok(to_one(&c.number))
}

/// `POST /clients/fiche`: the owner changes a customer.
pub async fn edit(State(app): State<AppState>, p: Posted<CustomerForm>) -> WebResult<Response> {
    let Posted { user, form } = p;
    user.require(Who::Owner)?;
    let l = user.lang;
    let number = form.number.clone();
    let c = match form.customer(l) {
        Ok(c) => c,
        Err(m) => return render_one(&user, &app, number, false, Some((form, m))).await,
    };
    if let Some(m) = conflict(&app, l, &c, Write::Edit).await? {
        return render_one(&user, &app, number, false, Some((form, m))).await;
    }
    write(&app, &user, c.clone(), Write::Edit).await?;
    Ok(to_one(&c.number))
}
