//! `/settings/tokens`: a signed-in user's API tokens: create one (shown
//! once), see them all, revoke any. Forms carry the session's CSRF token.

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::forms::{check_form, signed_in};
use super::{page, Layout, WebError};
use crate::app::AppState;
use crate::domain::{Role, Scope};
use crate::error::AppError;
use crate::format;
use crate::store::{SessionRecord, TokenSummary};

const MAX_TOKEN_NAME: usize = 100;
const MAX_VALID_DAYS: u32 = 3650;

pub fn router() -> Router<AppState> {
    Router::new().route("/settings/tokens", get(show).post(create)).route("/settings/tokens/{id}/revoke", post(revoke))
}

pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub scope: &'static str,
    pub created: String,
    pub expires: String,
    pub state: &'static str,
}

impl TokenRow {
    fn new(token: &TokenSummary) -> TokenRow {
        let now = time::OffsetDateTime::now_utc();
        TokenRow {
            id: token.id,
            name: token.name.clone(),
            scope: token.scope.as_str(),
            created: format::date(token.created_at),
            expires: token.expires_at.map_or("never".to_string(), format::date),
            state: if token.revoked {
                "revoked"
            } else if token.expires_at.is_some_and(|at| at <= now) {
                "expired"
            } else {
                "active"
            },
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
    message: Option<String>,
}

async fn render(
    state: &AppState,
    current: &SessionRecord,
    created: Option<String>,
    message: Option<String>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let tokens = state.store.list_tokens(current.user.id).await?;
    let mut response = page(&TokensPage {
        layout: Layout::new("API tokens", "account"),
        user: current.user.name.clone(),
        may_write: current.user.role >= Role::Writer,
        csrf: current.csrf_token.clone(),
        tokens: tokens.iter().map(TokenRow::new).collect(),
        created,
        message,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

async fn show(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    let current = match signed_in(&state, &headers, "/settings/tokens").await {
        Ok(current) => current,
        Err(redirect) => return Ok(redirect),
    };
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
    form: Result<Form<CreateForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    let current = match signed_in(&state, &headers, "/settings/tokens").await {
        Ok(current) => current,
        Err(redirect) => return Ok(redirect),
    };
    let Form(form) = form.map_err(super::forms::unreadable)?;
    check_form(&headers, &current, &form.csrf)?;
    let name = form.name.trim();
    let scope = Scope::parse(form.scope.trim());
    let days = form.expires_in_days.trim();
    let problem = if name.is_empty() || name.chars().count() > MAX_TOKEN_NAME || name.chars().any(char::is_control) {
        Some(format!("Give the token a name of 1 to {MAX_TOKEN_NAME} characters, so you can recognise it later."))
    } else if scope.is_none() {
        Some("Choose read or write.".to_string())
    } else if scope == Some(Scope::Write) && current.user.role < Role::Writer {
        Some("A reader's token can only read.".to_string())
    } else if !days.is_empty() && days.parse::<u32>().ok().filter(|d| (1..=MAX_VALID_DAYS).contains(d)).is_none() {
        Some(format!("Expiry is a number of days from 1 to {MAX_VALID_DAYS}, or empty for never."))
    } else {
        None
    };
    if let Some(message) = problem {
        return render(&state, &current, None, Some(message), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let secret = crate::auth::tokens::add_token(
        &state.store,
        &current.user.name,
        &current.user.name,
        name,
        scope.unwrap_or(Scope::Read),
        days.parse().ok(),
    )
    .await
    .map_err(AppError::Internal)?;
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
    Path(id): Path<i64>,
    form: Result<Form<RevokeForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    let current = match signed_in(&state, &headers, "/settings/tokens").await {
        Ok(current) => current,
        Err(redirect) => return Ok(redirect),
    };
    let Form(form) = form.map_err(super::forms::unreadable)?;
    check_form(&headers, &current, &form.csrf)?;
    if !state.store.revoke_token(&current.user.name, current.user.id, id).await? {
        return Err(AppError::NotFound("no such token of yours".into()).into());
    }
    Ok(Redirect::to("/settings/tokens").into_response())
}
