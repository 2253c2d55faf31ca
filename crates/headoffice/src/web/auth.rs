//! Who is asking: the [`User`] extractor (a valid session or a 303 to
//! `/login`), what each role may do ([`Who`]), and the CSRF check of forms
//! ([`Posted`], [`User::check_csrf`]).
//!
//! Roles: the owner does everything; the accountant reads everything (and
//! will act on closings, the ERP feed and receivables); a manager reads and
//! changes their own store's sales, stock and catalog prices only.

use super::session::{self, SessionCheck};
use super::{WebError, WebResult};
use crate::http::AppState;
use crate::store::auth::BoRole;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use comptoir_i18n::backoffice::Bo;
use comptoir_i18n::{Lang, Template};
use maud::{html, Markup};
use serde::de::DeserializeOwned;
use std::net::SocketAddr;

/// The logged-in person of a request.
#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub role: BoRole,
    /// A manager's store.
    pub store_id: Option<String>,
    /// The language of the pages (the `comptoir_lang` cookie, French by default).
    pub lang: Lang,
    /// This session's CSRF token, for forms.
    pub csrf: String,
    /// SHA-256 of the session token (logout deletes it).
    pub(crate) session: [u8; 32],
}

/// Who may see a page or do an operation.
#[derive(Debug, Clone, Copy)]
pub enum Who<'a> {
    /// Any logged-in user (the page then filters by [`User::store_filter`]).
    Anyone,
    /// The owner only.
    Owner,
    /// The owner and the accountant (read everything; closings, ERP feed).
    Readers,
    /// Reading store S: owner, accountant, the manager of S.
    StoreRead(&'a str),
    /// Changing store S (stock, its prices): owner, the manager of S.
    StoreWrite(&'a str),
}

impl User {
    /// Whether this user is one of `who`.
    pub fn may(&self, who: Who<'_>) -> bool {
        let manages = |s: &str| self.role == BoRole::Manager && self.store_id.as_deref() == Some(s);
        match who {
            Who::Anyone => true,
            Who::Owner => self.role == BoRole::Owner,
            Who::Readers => matches!(self.role, BoRole::Owner | BoRole::Accountant),
            Who::StoreRead(s) => {
                matches!(self.role, BoRole::Owner | BoRole::Accountant) || manages(s)
            }
            Who::StoreWrite(s) => self.role == BoRole::Owner || manages(s),
        }
    }

    /// `Ok` if this user is one of `who`, else the 403 page.
    pub fn require(&self, who: Who<'_>) -> WebResult<()> {
        if self.may(who) {
            Ok(())
        } else {
            Err(WebError::Forbidden(self.lang))
        }
    }

    /// The only store this user sees (a manager's), None for every store.
    pub fn store_filter(&self) -> Option<String> {
        match self.role {
            BoRole::Manager => self.store_id.clone(),
            BoRole::Owner | BoRole::Accountant => None,
        }
    }

    /// The role as a person reads it.
    pub fn role_label(&self) -> String {
        role_label(self.role, self.store_id.as_deref(), self.lang)
    }

    /// The hidden field every POST form of the back office carries.
    pub fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.csrf); }
    }

    /// `Ok` if `token` is this session's CSRF token, else the 403 page.
    pub fn check_csrf(&self, token: Option<&str>) -> WebResult<()> {
        match token {
            Some(t) if session::same_secret(t, &self.csrf) => Ok(()),
            _ => Err(WebError::Csrf(self.lang)),
        }
    }
}

/// A role as a person reads it.
pub fn role_label(role: BoRole, store: Option<&str>, lang: Lang) -> String {
    match role {
        BoRole::Owner => Bo::RoleOwner.text(lang),
        BoRole::Accountant => Bo::RoleAccountant.text(lang),
        BoRole::Manager => Bo::RoleManager.fill(lang, &[("store", &store.unwrap_or("?"))]),
    }
}

/// The language of a request: its `comptoir_lang` cookie, else French.
pub fn lang_of(headers: &HeaderMap) -> Lang {
    cookies(headers)
        .find_map(|h| session::cookie(h, session::LANG_COOKIE))
        .and_then(|v| Lang::parse(v).ok())
        .unwrap_or_default()
}

fn cookies(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
}

/// The client's address, for the per-address login limit.
pub fn client_addr(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Unix seconds now.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl FromRequestParts<AppState> for User {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> WebResult<User> {
        if let Some(u) = parts.extensions.get::<User>() {
            return Ok(u.clone());
        }
        let lang = lang_of(&parts.headers);
        let token = cookies(&parts.headers)
            .find_map(|h| session::cookie(h, session::COOKIE))
            .filter(|t| !t.is_empty() && t.len() <= 128)
            .ok_or(WebError::Login)?;
        let sha = session::token_sha256(token);
        let store = app.store.clone();
        let found = super::blocking(lang, move || store.session(&sha))
            .await?
            .ok_or(WebError::Login)?;
        let t = now();
        match app.backoffice.check(found.created_at, found.last_seen, t) {
            SessionCheck::Expired => {
                let store = app.store.clone();
                super::blocking(lang, move || store.delete_session(&sha)).await?;
                return Err(WebError::Login);
            }
            SessionCheck::Valid { touch: true } => {
                let store = app.store.clone();
                super::blocking(lang, move || store.touch_session(&sha, t)).await?;
            }
            SessionCheck::Valid { touch: false } => {}
        }
        let u = User {
            id: found.user.id,
            email: found.user.email,
            role: found.user.role,
            store_id: found.user.store_id,
            lang,
            csrf: found.csrf,
            session: sha,
        };
        parts.extensions.insert(u.clone());
        Ok(u)
    }
}

/// A POSTed form whose `csrf` field was checked against the session: the
/// extractor of every back-office form that changes something. `T` must
/// not refuse unknown fields (it gets `csrf` too).
#[derive(Debug)]
pub struct Posted<T> {
    pub user: User,
    pub form: T,
}

#[derive(serde::Deserialize)]
struct CsrfOnly {
    csrf: Option<String>,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for Posted<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, app: &AppState) -> WebResult<Posted<T>> {
        let (mut parts, body) = req.into_parts();
        let user = User::from_request_parts(&mut parts, app).await?;
        let lang = user.lang;
        let bad = |m: String| WebError::BadRequest(lang, m);
        let bytes = Bytes::from_request(Request::from_parts(parts, body), app)
            .await
            .map_err(|e| bad(e.body_text()))?;
        let form = |b: Bytes| {
            // POST: for a GET, axum's Form reads the query string instead.
            Request::builder()
                .method(axum::http::Method::POST)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(b))
                .unwrap_or_default()
        };
        let axum::Form(c) = axum::Form::<CsrfOnly>::from_request(form(bytes.clone()), app)
            .await
            .map_err(|e| bad(e.body_text()))?;
        user.check_csrf(c.csrf.as_deref())?;
        let axum::Form(form) = axum::Form::<T>::from_request(form(bytes), app)
            .await
            .map_err(|e| bad(e.body_text()))?;
        Ok(Posted { user, form })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: BoRole, store: Option<&str>) -> User {
        User {
            id: 1,
            email: "a@b.fr".into(),
            role,
            store_id: store.map(str::to_string),
            lang: Lang::Fr,
            csrf: "t0k3n".into(),
            session: [0; 32],
        }
    }

    #[test]
    fn roles() {
        let owner = user(BoRole::Owner, None);
        let acc = user(BoRole::Accountant, None);
        let m1 = user(BoRole::Manager, Some("S1"));
        for w in [
            Who::Anyone,
            Who::Owner,
            Who::Readers,
            Who::StoreRead("S2"),
            Who::StoreWrite("S2"),
        ] {
            assert!(owner.may(w), "{w:?}");
        }
        assert!(acc.may(Who::Readers) && acc.may(Who::StoreRead("S2")));
        assert!(!acc.may(Who::Owner) && !acc.may(Who::StoreWrite("S1")));
        assert!(m1.may(Who::StoreRead("S1")) && m1.may(Who::StoreWrite("S1")));
        assert!(!m1.may(Who::StoreRead("S2")) && !m1.may(Who::StoreWrite("S2")));
        assert!(!m1.may(Who::Readers) && !m1.may(Who::Owner));
        assert_eq!(m1.store_filter().as_deref(), Some("S1"));
        assert_eq!(owner.store_filter(), None);
        assert!(matches!(
            m1.require(Who::StoreRead("S2")),
            Err(WebError::Forbidden(Lang::Fr))
        ));
        assert!(m1.check_csrf(Some("t0k3n")).is_ok());
        assert!(matches!(
            m1.check_csrf(Some("t0k3m")),
            Err(WebError::Csrf(_))
        ));
        assert!(matches!(m1.check_csrf(None), Err(WebError::Csrf(_))));
        assert_eq!(m1.role_label(), "responsable du magasin S1");
    }
}
