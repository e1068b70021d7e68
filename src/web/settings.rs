//! `/settings/tokens`: a signed-in user's API tokens: create one (shown
//! once), see them all, revoke any. Forms carry the session's CSRF token.

use std::collections::HashMap;

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::extract::{check_form, unreadable, SignedIn};
use super::page::{page_with_status, sentence, Layout, WebError, WebPage};
use crate::app::AppState;
use crate::auth::tokens::{issue_token, TokenRefused};
use crate::domain::{Role, ValidationErrors};
use crate::error::AppError;
use crate::format;
use crate::store::{SessionRecord, TokenSummary};

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
    let tokens = state.store.list_tokens(current.user.id).await?;
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
    if !state.store.revoke_token(&current.user.name, current.user.id, id).await? {
        return Err(AppError::not_found("token of yours").into());
    }
    Ok(Redirect::to("/settings/tokens").into_response())
}
