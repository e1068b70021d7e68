//! What every page that changes something shares: finding the signed-in
//! user (or sending them to sign in), requiring a writer, and refusing a
//! form from another site or without the session's CSRF token.

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};

use super::incidents::encode;
use super::WebError;
use crate::app::AppState;
use crate::auth::session::{self, constant_time_eq, same_origin};
use crate::domain::Role;
use crate::error::AppError;
use crate::store::SessionRecord;

/// The signed-in session, or a redirect to the sign-in form that comes back
/// to `back_to`.
pub async fn signed_in(state: &AppState, headers: &HeaderMap, back_to: &str) -> Result<SessionRecord, Response> {
    match session::current(&state.store, headers).await {
        Ok(Some(current)) => Ok(current),
        Ok(None) => Err(Redirect::to(&format!("/login?next={}", encode(back_to))).into_response()),
        Err(error) => Err(WebError(error).into_response()),
    }
}

/// A signed-in writer or admin; a reader is told they may not write.
pub async fn signed_in_writer(state: &AppState, headers: &HeaderMap, back_to: &str) -> Result<SessionRecord, Response> {
    let current = signed_in(state, headers, back_to).await?;
    if current.user.role < Role::Writer {
        return Err(not_a_writer(&current));
    }
    Ok(current)
}

/// The answer to a signed-in reader who tries to write.
pub fn not_a_writer(current: &SessionRecord) -> Response {
    let message =
        format!("a {} may read reports but not write them: ask an admin for a writer's role", current.user.role);
    WebError(AppError::Forbidden(message)).into_response()
}

/// The session of a writer reading the page, if any: writers see drafts and
/// the links to edit.
pub async fn writer_reading(state: &AppState, headers: &HeaderMap) -> Result<Option<SessionRecord>, WebError> {
    let current = session::current(&state.store, headers).await?;
    Ok(current.filter(|current| current.user.role >= Role::Writer))
}

/// Refuses a form from another site or without the session's token.
pub fn check_form(headers: &HeaderMap, current: &SessionRecord, csrf: &str) -> Result<(), WebError> {
    same_origin(headers)?;
    if !constant_time_eq(csrf, &current.csrf_token) {
        return Err(AppError::Forbidden("the form has expired: reload the page and try again".into()).into());
    }
    Ok(())
}

/// A form the server could not read: too large (413), or not a form (400).
pub fn unreadable(rejection: axum::extract::rejection::FormRejection) -> WebError {
    if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        WebError(AppError::PayloadTooLarge { limit_kib: crate::app::MAX_BODY_BYTES / 1024 })
    } else {
        WebError(AppError::BadRequest(rejection.body_text()))
    }
}
