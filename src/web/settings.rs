//! A signed-in person's own settings: `/settings`, where they change their
//! password (which ends their other sessions), and `/settings/tokens`,
//! their API tokens: create one (shown once), see them all, revoke any.
//! Forms carry the session's CSRF token.

use std::collections::HashMap;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::extract::{check_form, unreadable, SignedIn};
use super::page::{page_with_status, sentence, Layout, WebError, WebPage};
use crate::app::AppState;
use crate::auth::limiter::sign_in_limits;
use crate::auth::session::{cookie, SESSION_COOKIE};
use crate::auth::tokens::{hash_token, issue_token, TokenRefused};
use crate::auth::{hash_password, verify_password};
use crate::domain::user::check_new_password;
use crate::domain::{Role, ValidationErrors};
use crate::error::AppError;
use crate::format;
use crate::store::{SessionRecord, TokenSummary};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings", get(password_form).post(change_password))
        .route("/settings/tokens", get(show).post(create))
        .route("/settings/tokens/{id}/revoke", post(revoke))
}

pub struct TokenRow {
    pub id: i64,
    pub owner: String,
    pub name: String,
    pub scope: &'static str,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub state: &'static str,
}

impl TokenRow {
    pub fn new(token: &TokenSummary) -> TokenRow {
        let now = time::OffsetDateTime::now_utc();
        TokenRow {
            id: token.id,
            owner: token.owner.clone(),
            name: token.name.clone(),
            scope: token.scope.as_str(),
            created: format::date(token.created_at),
            expires: token.expires_at.map_or("never".to_string(), format::date),
            last_used: token.last_used_at.map_or("never".to_string(), format::date_time),
            state: token.state(now),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "auth/tokens.html")]
struct TokensPage {
    layout: Layout,
    user: String,
    may_write: bool,
    csrf: String,
    tokens: Vec<TokenRow>,
    /// A token just made, shown this once.
    created: Option<String>,
    /// A request that was refused: what was typed, and the message beside
    /// each field it names.
    typed: CreateForm,
    errors: HashMap<String, String>,
}

impl WebPage for TokensPage {}

impl TokensPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

async fn render(
    state: &AppState,
    current: &SessionRecord,
    created: Option<String>,
    refused: Option<(CreateForm, ValidationErrors)>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let (typed, errors) = refused.unwrap_or_default();
    let errors = errors.0.into_iter().map(|error| (error.field, sentence(&error.message))).collect();
    let tokens = state.store.list_tokens(Some(current.user.id)).await?;
    page_with_status(
        &TokensPage {
            layout: Layout::new("API tokens", "account"),
            user: current.user.name.clone(),
            may_write: current.user.role >= Role::Writer,
            csrf: current.csrf_token.clone(),
            tokens: tokens.iter().map(TokenRow::new).collect(),
            created,
            typed,
            errors,
        },
        status,
    )
}

async fn show(State(state): State<AppState>, SignedIn(current): SignedIn) -> Result<Response, WebError> {
    render(&state, &current, None, None, StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize)]
struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    expires_in_days: String,
}

async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(current): SignedIn,
    form: Result<Form<CreateForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    let Form(form) = form.map_err(unreadable)?;
    check_form(&headers, &current, &form.csrf)?;
    let user = current.user.name.as_str();
    let issued = issue_token(&state.store, user, user, &form.name, &form.scope, &form.expires_in_days).await;
    let secret = match issued {
        Ok(secret) => secret,
        Err(TokenRefused::Invalid(errors)) => {
            return render(&state, &current, None, Some((form, errors)), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        Err(other) => return Err(AppError::Internal(other.into()).into()),
    };
    render(&state, &current, Some(secret), None, StatusCode::CREATED).await
}

#[derive(Debug, Default, Deserialize)]
struct RevokeForm {
    #[serde(default)]
    csrf: String,
}

async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(current): SignedIn,
    Path(id): Path<i64>,
    form: Result<Form<RevokeForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    let Form(form) = form.map_err(unreadable)?;
    check_form(&headers, &current, &form.csrf)?;
    if !state.store.revoke_token(&current.user.name, Some(current.user.id), id).await? {
        return Err(AppError::not_found("token of yours").into());
    }
    Ok(Redirect::to("/settings/tokens").into_response())
}

#[derive(askama::Template)]
#[template(path = "auth/settings.html")]
struct SettingsPage {
    layout: Layout,
    user: String,
    csrf: String,
    changed: bool,
    /// Why the change was refused: beside each field it names, and above
    /// the form for what is about no field.
    errors: HashMap<String, String>,
    problem: Option<String>,
}

impl WebPage for SettingsPage {}

impl SettingsPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

fn settings_page(
    current: &SessionRecord,
    changed: bool,
    errors: ValidationErrors,
    problem: Option<String>,
) -> SettingsPage {
    SettingsPage {
        layout: Layout::new("Settings", "account"),
        user: current.user.name.clone(),
        csrf: current.csrf_token.clone(),
        changed,
        errors: errors.0.into_iter().map(|error| (error.field, sentence(&error.message))).collect(),
        problem,
    }
}

async fn password_form(SignedIn(current): SignedIn) -> Result<Response, WebError> {
    page_with_status(&settings_page(&current, false, ValidationErrors::default(), None), StatusCode::OK)
}

#[derive(Debug, Default, Deserialize)]
struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm: String,
}

/// Changes the signed-in person's password, once they prove they know the
/// one they have: wrong guesses count against the sign-in limit, so a
/// session left open is no way to find the password out.
async fn change_password(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    SignedIn(current): SignedIn,
    form: Result<Form<PasswordForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    let Form(form) = form.map_err(unreadable)?;
    check_form(&headers, &current, &form.csrf)?;
    let refused = |errors: ValidationErrors, problem: Option<String>, status| {
        page_with_status(&settings_page(&current, false, errors, problem), status)
    };
    if let Err(errors) = check_new_password(&form.new_password, &form.confirm) {
        return refused(errors, None, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let limits = sign_in_limits(&current.user.name, state.client_address(peer.ip(), &headers));
    let attempt = match state.sign_in_limiter.attempt(&limits) {
        Ok(attempt) => attempt,
        Err(wait) => {
            crate::metrics::metrics().refused_by("sign-in");
            let problem = format!("Too many wrong passwords. Try again in {wait} seconds.");
            return refused(ValidationErrors::default(), Some(problem), StatusCode::TOO_MANY_REQUESTS);
        }
    };
    let (typed, hash) = (form.current_password.clone(), current.user.password_hash.clone());
    let known = match state.password_checks.run(move || verify_password(&typed, &hash)).await {
        Ok(known) => known,
        Err(busy) => {
            state.sign_in_limiter.take_back(&limits, attempt);
            return Err(busy.into());
        }
    };
    if !known {
        let errors = ValidationErrors::single("current_password", "this is not your current password");
        return refused(errors, None, StatusCode::UNPROCESSABLE_ENTITY);
    }
    state.sign_in_limiter.take_back(&limits, attempt);
    if form.new_password == form.current_password {
        let errors = ValidationErrors::single("new_password", "choose a password other than the one you have");
        return refused(errors, None, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let new_password = form.new_password.clone();
    let hash = state.password_checks.run(move || hash_password(&new_password)).await?.map_err(AppError::Internal)?;
    let this_session = cookie(&headers, SESSION_COOKIE).map(hash_token);
    let name = current.user.name.as_str();
    state.store.set_password(name, name, &hash, this_session.as_deref(), "user.change-password").await?;
    page_with_status(&settings_page(&current, true, ValidationErrors::default(), None), StatusCode::OK)
}
