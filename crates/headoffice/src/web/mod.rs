//! The back office: server-rendered HTML pages (maud) served by `headoffice
//! serve` on the API's port. French by default, English by the
//! `comptoir_lang` cookie (the layout's switch); every string a person reads
//! comes from `comptoir_i18n` (this frame: [`comptoir_i18n::backoffice::Bo`]).
//! No JavaScript is needed; CSS (and any script) is vendored and served
//! from `/static/` by the binary.
//!
//! # Addresses (use these, French paths)
//!
//! | page | path | module |
//! |---|---|---|
//! | Today | `/` | [`today`] (routes of the dashboard: [`dash`]) |
//! | Sales | `/ventes` | bo-dash |
//! | Stock | `/stock` | bo-stock |
//! | Catalog and prices | `/catalogue` | bo-stock |
//! | Rules (owner: POST the next version) | `/regles` | [`rules`], [`rules_form`] |
//! | Customers | `/clients` (one: `/clients/fiche?numero=`) | customers |
//! | Alerts | `/alertes` | bo-dash |
//! | Closings | `/clotures` | bo-dash |
//! | Terminals | `/terminaux` | bo-dash |
//! | Audit log | `/journal-audit` | [`audit`] |
//! | Log in (GET form, POST `email`+`password`) | `/login` | [`login`] |
//! | Log out (POST, CSRF) | `/logout` | [`login`] |
//! | Language switch | `/langue?vers=en&retour=/stock` | here |
//! | Stylesheet | `/static/app.css` | here |
//!
//! Sub-pages go under their page's path (`/stock/reception`,
//! `/catalogue/{item}`...). [`Nav`] lists the pages of the menu. A
//! page about one store takes it as the query parameter `magasin`
//! (`/stock?magasin=S1`) and reads it through [`User::scope`], which keeps a
//! manager to their own store (403 otherwise).
//!
//! # The invariants (tests: `tests/backoffice.rs`)
//!
//! - Every page takes a [`User`]: without a valid session it answers 303
//!   to `/login`. Sessions live in the database ([`crate::store::auth`]), so
//!   any instance serves any request; only the token's SHA-256 is stored.
//! - Who may see a page is one line: `user.require(Who::Readers)?` ([`Who`]);
//!   a refusal is a 403 page in the user's language.
//! - Every POST that changes something takes [`Posted<T>`] (or calls
//!   [`User::check_csrf`]): without the session's `csrf` field it is a 403.
//! - Every change goes through [`audit::audit`] (who, what, details).
//! - Every HTML answer carries the security headers of [`security_headers`]:
//!   no inline script or style (the CSP), no framing.
//!
//! # Writing a page
//!
//! ```ignore
//! // src/web/stock.rs
//! use super::{layout, Nav, Posted, User, WebError, WebResult, Who};
//! use crate::http::AppState;
//! use axum::extract::State;
//! use comptoir_i18n::backoffice_stock::St;   // your area's catalog
//! use maud::{html, Markup};
//!
//! #[derive(serde::Deserialize)]
//! pub struct Q { magasin: Option<String> }
//!
//! pub async fn page(user: User, State(app): State<AppState>, Query(q): Query<Q>)
//!     -> WebResult<Markup> {
//!     user.require(Who::Anyone)?;                  // who may open it, in one line
//!     let only = user.scope(q.magasin.as_deref())?; // a manager: their store, else 403
//!     let rows = super::blocking(user.lang, {
//!         let s = app.store.clone();
//!         move || s.stock(only.as_deref())
//!     }).await?;
//!     Ok(layout::page(&user, Nav::Stock, &St::Title.text(user.lang), html! {
//!         form method="post" action="/stock/reception" {
//!             (user.csrf_field())
//!             input name="item" required;
//!             button { (St::Receive.text(user.lang)) }
//!         }
//!         table { @for r in &rows { tr { td { (r.item_id) } } } }
//!     }))
//! }
//!
//! #[derive(serde::Deserialize)]
//! pub struct Receive { item: String, store: String }
//!
//! pub async fn receive(State(app): State<AppState>, p: Posted<Receive>) -> WebResult<Response> {
//!     p.user.require(Who::StoreWrite(&p.form.store))?;
//!     // ... the change ...
//!     super::audit::audit(&app, &p.user, St::AuditReceived, format!("{} {}", ..)).await?;
//!     Ok(Redirect::to("/stock").into_response())
//! }
//! // and one line in web::router: .route("/stock", get(stock::page))
//! ```
//!
//! Style: use the classes of `app.css` (`.card`, `.grid`, `table.data`,
//! `.num` for right-aligned figures, `.btn`, `.muted`, `.ok`, `.warn`,
//! `.bad`); no `style=` attribute (the CSP refuses it); SVG charts inline,
//! coloured by presentation attributes or classes. Money, numbers and dates
//! through `comptoir_i18n::Fmt::web(user.lang)`.

pub mod accounts;
pub mod alerts;
pub mod audit;
pub mod audit_words;
pub mod auth;
pub mod catalog;
pub mod chart;
pub mod closings;
pub mod customers;
pub mod dash;
pub mod layout;
pub mod login;
pub mod rules;
pub mod rules_form;
pub mod sales;
pub mod session;
pub mod stock;
pub mod terminals;
pub mod today;

pub use auth::{Posted, User, Who};
pub use layout::Nav;
pub use session::BackOffice;

use crate::http::AppState;
use crate::store::StoreError;
use axum::extract::Query;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use comptoir_i18n::backoffice::Bo;
use comptoir_i18n::{Lang, Template};
use maud::html;
use serde::Deserialize;

/// The back office's routes, merged into [`crate::http::router`].
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(dash::routes())
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/langue", get(switch_lang))
        .route("/journal-audit", get(audit::page))
        .route("/regles", get(rules::page).post(rules_form::submit))
        .route("/clients", get(customers::page).post(customers::add))
        .route("/clients/fiche", get(customers::one).post(customers::edit))
        .route("/stock", get(stock::page))
        .route("/stock/reception", post(stock::receive))
        .route("/stock/inventaire", post(stock::count))
        .route("/stock/transfert", post(stock::transfer))
        .route("/catalogue", get(catalog::page))
        .route(
            "/catalogue/article",
            get(catalog::item_page).post(catalog::edit),
        )
        .route("/catalogue/prix", post(catalog::store_price))
        .route("/catalogue/retrait", post(catalog::withdraw))
        .route("/catalogue/import", post(catalog::import_preview))
        .route("/catalogue/import/confirmer", post(catalog::import_confirm))
        .route("/static/{file}", get(static_file))
        .layer(axum::middleware::map_response(security_headers))
}

/// A page's failure, answered as a page in the user's language.
#[derive(Debug)]
pub enum WebError {
    /// No valid session: 303 to `/login`.
    Login,
    /// 403: the role does not reach this page or operation.
    Forbidden(Lang),
    /// 403: the form's CSRF token is missing or wrong.
    Csrf(Lang),
    NotFound(Lang),
    /// 400 with a message already in the user's language.
    BadRequest(Lang, String),
    /// 503: the database failed (logged; the person reads a plain message).
    Store(Lang, StoreError),
}

pub type WebResult<T> = Result<T, WebError>;

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, lang, title, body) = match self {
            WebError::Login => return Redirect::to("/login").into_response(),
            WebError::Forbidden(l) => (
                StatusCode::FORBIDDEN,
                l,
                Bo::ForbiddenTitle,
                Bo::ForbiddenBody.text(l),
            ),
            WebError::Csrf(l) => (
                StatusCode::FORBIDDEN,
                l,
                Bo::ForbiddenTitle,
                Bo::CsrfRefused.text(l),
            ),
            WebError::NotFound(l) => (
                StatusCode::NOT_FOUND,
                l,
                Bo::NotFoundTitle,
                Bo::NotFoundBody.text(l),
            ),
            WebError::BadRequest(l, m) => (StatusCode::BAD_REQUEST, l, Bo::BadRequestTitle, m),
            WebError::Store(l, e) => {
                tracing::error!(error = %e, "back office: store failed");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    l,
                    Bo::ServerErrorTitle,
                    Bo::ServerErrorBody.text(l),
                )
            }
        };
        let page = layout::bare(
            lang,
            &title.text(lang),
            html! {
                h1 { (title.text(lang)) }
                p { (body) }
                p { a href="/" { (Bo::BackHome.text(lang)) } }
            },
        );
        (status, page).into_response()
    }
}

/// Runs a blocking store call off the async workers; a failure is a 503 page.
pub async fn blocking<T: Send + 'static>(
    lang: Lang,
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> WebResult<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(|e| WebError::Store(lang, e)),
        Err(e) => Err(WebError::Store(
            lang,
            StoreError::Db(format!("store task failed: {e}")),
        )),
    }
}

#[derive(Deserialize)]
struct LangQuery {
    vers: String,
    retour: Option<String>,
}

/// Sets the language cookie and goes back to the page (a local path only).
async fn switch_lang(Query(q): Query<LangQuery>) -> Response {
    let lang = Lang::parse(&q.vers).unwrap_or_default();
    let back = q
        .retour
        .filter(|r| r.starts_with('/') && !r.starts_with("//") && !r.contains('\\'))
        .unwrap_or_else(|| "/".into());
    let cookie = format!(
        "{}={}; SameSite=Strict; Path=/; Max-Age=31536000",
        session::LANG_COOKIE,
        lang.code()
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to(&back)).into_response()
}

/// The vendored files, compiled into the binary.
const STATIC: &[(&str, &str, &str)] = &[(
    "app.css",
    "text/css; charset=utf-8",
    include_str!("app.css"),
)];

async fn static_file(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    match STATIC.iter().find(|(name, _, _)| *name == file) {
        Some((_, mime, body)) => (
            [
                (header::CONTENT_TYPE, *mime),
                // An hour: a new binary's CSS is seen soon after an upgrade.
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The Content-Security-Policy of every back-office answer: only this
/// origin's scripts, styles and images, no inline script or style, no
/// framing, forms post only here.
pub const CSP: &str =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the security headers to a back-office answer.
pub async fn security_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    for (k, v) in [
        ("content-security-policy", CSP),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        ("x-content-type-options", "nosniff"),
    ] {
        h.insert(k, HeaderValue::from_static(v));
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        // Pages show figures and tokens: never kept by a shared cache.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}
