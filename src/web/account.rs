//! `/login` and `/logout`: signing in and out of the pages. Both forms carry
//! a CSRF token and are refused when posted from another site; failed
//! sign-ins are limited per account and per client address, and every
//! attempt goes into the audit log.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Form, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::extract::unreadable;
use super::page::{page, page_with_status, Layout, WebError, WebPage};
use crate::app::AppState;
use crate::auth::limiter::sign_in_limits;
use crate::auth::session::{self, constant_time_eq, same_origin, set_cookie, FORM_COOKIE, SESSION_COOKIE};
use crate::auth::verify_password;
use crate::domain::user::validate_user_name;
use crate::error::{AppError, RETRY_AFTER_SECONDS};

pub fn router() -> Router<AppState> {
    Router::new().route("/login", get(show).post(sign_in)).route("/logout", post(sign_out))
}

#[derive(askama::Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    layout: Layout,
    /// Who is signed in, and the token their sign-out form carries.
    signed_in: Option<(String, String, String)>,
    name: String,
    next: String,
    csrf: String,
    message: Option<String>,
}

impl WebPage for LoginPage {}

#[derive(Debug, Default, Deserialize)]
struct NextParam {
    #[serde(default)]
    next: String,
}

/// Only a path on this site: `/incidents`, never `//evil.example` (nor
/// `/\t/evil.example`, which a browser reads the same once it drops the tab).
fn local_path(next: &str) -> String {
    let plain = !next.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    if plain && next.starts_with('/') && !next.starts_with("//") {
        next.to_string()
    } else {
        "/".to_string()
    }
}

/// The sign-in form, with a fresh token paired with a cookie.
async fn login_form(
    state: &AppState,
    name: String,
    next: String,
    message: Option<String>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let csrf = session::new_secret()?;
    let form = LoginPage {
        layout: Layout::new("Sign in", "account"),
        signed_in: None,
        name,
        next,
        csrf: csrf.clone(),
        message,
    };
    let mut response = page_with_status(&form, status)?;
    response.headers_mut().append(header::SET_COOKIE, set_cookie(FORM_COOKIE, &csrf, Some(3600), state.secure_cookies));
    Ok(response)
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    next: Result<Query<NextParam>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    let next = local_path(&next.map(|Query(n)| n.next).unwrap_or_default());
    if let Some(current) = session::current(&state.store, &headers).await? {
        return page(&LoginPage {
            layout: Layout::new("Your account", "account"),
            signed_in: Some((current.user.name, current.user.role.to_string(), current.csrf_token)),
            name: String::new(),
            next,
            csrf: String::new(),
            message: None,
        });
    }
    login_form(&state, String::new(), next, None, StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize)]
struct SignInForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: Result<Form<SignInForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    same_origin(&headers)?;
    let Form(form) = form.map_err(unreadable)?;
    let paired = session::cookie(&headers, FORM_COOKIE).unwrap_or_default();
    if form.csrf.is_empty() || !constant_time_eq(&form.csrf, paired) {
        return Err(AppError::Forbidden("the form has expired: reload the page and sign in again".into()).into());
    }
    let next = local_path(&form.next);
    // Bounded, so a junk name cannot bloat the limiter or the audit log.
    let name: String = validate_user_name(&form.name)
        .unwrap_or_else(|_| form.name.trim().to_lowercase())
        .chars()
        .take(crate::domain::user::MAX_USER_NAME_LEN)
        .collect();
    // The peer address; X-Forwarded-For only from a configured proxy, since
    // any client can write one.
    let client = state.client_address(client.ip(), &headers);
    let limits = sign_in_limits(&name, client);
    // Counted as a failure now, before the check, and taken back if the
    // password is right.
    let attempt = match state.sign_in_limiter.attempt(&limits) {
        Ok(attempt) => attempt,
        Err(wait) => {
            crate::metrics::metrics().refused_by("sign-in");
            // Logged, not audited: a flood of refused attempts must not
            // become a flood of writes.
            tracing::warn!(%name, %client, "sign-in refused by the rate limit");
            let mut response = login_form(
                &state,
                form.name,
                next,
                Some(format!("Too many failed sign-ins. Try again in {wait} seconds.")),
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await?;
            if let Ok(value) = HeaderValue::from_str(&wait.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return Ok(response);
        }
    };
    let user = state.store.get_user(&name).await?;
    // Verify against a real hash even for an unknown name, so timing does
    // not tell which names exist.
    let hash = user.as_ref().map_or(DUMMY_HASH.as_str(), |user| user.password_hash.as_str()).to_string();
    let password = form.password.clone();
    let valid = match state.password_checks.run(move || verify_password(&password, &hash)).await {
        Ok(valid) => valid,
        Err(busy) => {
            // Not checked, so not counted: the form comes back to try again.
            state.sign_in_limiter.take_back(&limits, attempt);
            tracing::warn!(%name, %client, "sign-in refused: {busy}");
            let mut response = login_form(
                &state,
                form.name,
                next,
                Some("Too many people are signing in at once. Try again in a few seconds.".into()),
                StatusCode::SERVICE_UNAVAILABLE,
            )
            .await?;
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
            return Ok(response);
        }
    };
    let Some(user) = user.filter(|_| valid) else {
        crate::metrics::metrics().sign_in_failures.inc();
        state.store.audit(&name, "sign-in.failed", &name, &client.to_string()).await?;
        return login_form(
            &state,
            form.name,
            next,
            Some("That name and password do not match.".into()),
            StatusCode::UNAUTHORIZED,
        )
        .await;
    };
    state.sign_in_limiter.take_back(&limits, attempt);
    if user.disabled {
        // Said only to someone who knows the password.
        state.store.audit(&user.name, "sign-in.refused", &user.name, "disabled").await?;
        return login_form(
            &state,
            form.name,
            next,
            Some("This account has been disabled. Ask an admin to enable it.".into()),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let secret = session::start(&state.store, user.id).await?;
    state.store.audit(&user.name, "sign-in", &user.name, &client.to_string()).await?;
    let mut response = Redirect::to(&next).into_response();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, &secret, Some(session::ABSOLUTE_LIMIT_SECONDS), state.secure_cookies),
    );
    headers.append(header::SET_COOKIE, set_cookie(FORM_COOKIE, "", None, state.secure_cookies));
    Ok(response)
}

/// An Argon2id hash of a random password nobody knows, made once.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    crate::auth::generate_password().and_then(|password| crate::auth::hash_password(&password)).unwrap_or_default()
});

#[derive(Debug, Default, Deserialize)]
struct SignOutForm {
    #[serde(default)]
    csrf: String,
}

async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<SignOutForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    same_origin(&headers)?;
    let Form(form) = form.map_err(unreadable)?;
    if let Some(current) = session::current(&state.store, &headers).await? {
        if !constant_time_eq(&form.csrf, &current.csrf_token) {
            return Err(AppError::Forbidden("the form has expired: reload the page and try again".into()).into());
        }
        session::end(&state.store, &headers).await?;
        state.store.audit(&current.user.name, "sign-out", &current.user.name, "").await?;
    }
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", None, state.secure_cookies));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(local_path("/incidents?tag=dns"), "/incidents?tag=dns");
        for outside in ["//evil.example", "/\t/evil.example", "/\\evil.example", "https://evil.example", "", "evil"] {
            assert_eq!(local_path(outside), "/", "{outside:?}");
        }
    }
}
