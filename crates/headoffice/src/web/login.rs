//! `/login` and `/logout`. A failed login counts against the account and
//! the client's address (in the database, so every instance enforces the
//! limit); an unknown e-mail and a wrong password read the same and take
//! about as long (the password is checked against a fixed hash).

use super::accounts::check_login;
use super::audit::{audit_as, Actor};
use super::auth::{client_addr, lang_of, now};
use super::session::{self, normalise_email, EMAIL_MAX, PASSWORD_MAX};
use super::{blocking, layout, Posted, WebError, WebResult};
use crate::http::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use comptoir_i18n::backoffice::Bo;
use comptoir_i18n::{Lang, Template};
use maud::{html, Markup};
use serde::Deserialize;

/// The login page; a logged-in user goes to `/`.
pub async fn form(State(app): State<AppState>, req: Request) -> Response {
    let (mut parts, _) = req.into_parts();
    if super::User::from_request_parts(&mut parts, &app)
        .await
        .is_ok()
    {
        return Redirect::to("/").into_response();
    }
    let lang = lang_of(&parts.headers);
    login_page(lang, "", None).into_response()
}

fn login_page(lang: Lang, email: &str, error: Option<String>) -> Markup {
    layout::bare(
        lang,
        &Bo::LoginTitle.text(lang),
        html! {
            h1 { (Bo::LoginTitle.text(lang)) }
            @if let Some(e) = error {
                p.bad role="alert" { (e) }
            }
            form.card method="post" action="/login" {
                label for="email" { (Bo::LoginEmail.text(lang)) }
                input #email type="email" name="email" value=(email) required
                    autocomplete="username" maxlength=(EMAIL_MAX) autofocus;
                label for="password" { (Bo::LoginPassword.text(lang)) }
                input #password type="password" name="password" required
                    autocomplete="current-password" maxlength=(PASSWORD_MAX);
                button.btn type="submit" { (Bo::LoginSubmit.text(lang)) }
            }
        },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

/// Checks the credentials; on success opens a session and goes to `/`.
pub async fn submit(State(app): State<AppState>, req: Request) -> WebResult<Response> {
    let (parts, body) = req.into_parts();
    let lang = lang_of(&parts.headers);
    let addr = client_addr(&parts);
    let req = Request::from_parts(parts, body);
    let axum::Form(f) = axum::Form::<LoginForm>::from_request(req, &app)
        .await
        .map_err(|e| WebError::BadRequest(lang, e.body_text()))?;
    let raw_email: String = f.email.chars().take(EMAIL_MAX).collect();
    let email = normalise_email(&raw_email).unwrap_or_else(|| raw_email.trim().to_lowercase());
    let failed = |status: StatusCode, msg: String| {
        Ok((status, login_page(lang, &raw_email, Some(msg))).into_response())
    };
    if f.password.chars().count() > PASSWORD_MAX {
        return failed(StatusCode::UNAUTHORIZED, Bo::LoginFailed.text(lang));
    }
    let bo = app.backoffice.clone();
    let t = now();
    let keys = session::failure_keys(&email, &addr);
    let store = app.store.clone();
    let ks = keys.clone();
    let since = bo.failures_since(t);
    let counts = blocking(lang, move || {
        ks.iter()
            .map(|k| store.login_failures(k, since))
            .collect::<Result<Vec<_>, _>>()
    })
    .await?;
    if counts.iter().any(|&n| bo.locked(n)) {
        tracing::warn!(%addr, "back office: login refused, too many failures");
        let minutes = bo.lock_minutes();
        return failed(
            StatusCode::TOO_MANY_REQUESTS,
            Bo::LoginLocked.fill(lang, &[("minutes", &minutes)]),
        );
    }
    let store = app.store.clone();
    let e = email.clone();
    let password = f.password;
    // Lookup and argon2 together off the async workers.
    let user = blocking(lang, move || {
        let u = store.user_by_email(&e)?;
        Ok(check_login(u.as_ref(), &password).then_some(u).flatten())
    })
    .await?;
    let Some(user) = user else {
        let store = app.store.clone();
        let forget = t - 86_400;
        blocking(lang, move || {
            let ks: Vec<&str> = keys.iter().map(String::as_str).collect();
            store.record_login_failure(&ks, t, forget)
        })
        .await?;
        tracing::info!(%addr, "back office: failed login");
        return failed(StatusCode::UNAUTHORIZED, Bo::LoginFailed.text(lang));
    };
    let (token, csrf) = match (session::new_secret(), session::new_secret()) {
        (Ok(a), Ok(b)) => (a, b),
        _ => {
            return Err(WebError::Store(
                lang,
                crate::store::StoreError::Db("no randomness for a session token".into()),
            ))
        }
    };
    let sha = session::token_sha256(&token);
    let store = app.store.clone();
    let (idle_before, created_before) = bo.expired_before(t);
    blocking(lang, move || {
        store.delete_expired_sessions(idle_before, created_before)?;
        store.create_session(&sha, user.id, &csrf, t)?;
        store.clear_login_failures(&keys[0])?;
        audit_as(
            &*store,
            &Actor::User(&user.email),
            Bo::AuditLogin,
            &format!("{addr}"),
        )
    })
    .await?;
    Ok((
        [(header::SET_COOKIE, bo.set_cookie(&token))],
        Redirect::to("/"),
    )
        .into_response())
}

/// Ends the session (CSRF-checked) and clears the cookie.
pub async fn logout(State(app): State<AppState>, p: Posted<Empty>) -> WebResult<Response> {
    let user = p.user;
    let store = app.store.clone();
    let sha = user.session;
    let email = user.email.clone();
    blocking(user.lang, move || {
        store.delete_session(&sha)?;
        audit_as(&*store, &Actor::User(&email), Bo::AuditLogout, "")
    })
    .await?;
    let page = layout::bare(
        user.lang,
        &Bo::LoginTitle.text(user.lang),
        html! {
            p.ok { (Bo::LoggedOut.text(user.lang)) }
            p { a.btn href="/login" { (Bo::LoginTitle.text(user.lang)) } }
        },
    );
    Ok(([(header::SET_COOKIE, app.backoffice.clear_cookie())], page).into_response())
}

/// A form with nothing but its CSRF token.
#[derive(Deserialize)]
pub struct Empty {}
