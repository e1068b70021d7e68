//! Who is asking, for pages: extractors that find the signed-in session and
//! answer a refusal themselves, as `Caller` and `Writer` do for the API. A
//! visitor who is not signed in is sent to the sign-in form, which brings
//! them back; a signed-in user without the role is told why. Forms that
//! change something also pass `check_form`.

use axum::extract::rejection::FormRejection;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::page::WebError;
use crate::app::AppState;
use crate::auth::session::{self, constant_time_eq, same_origin};
use crate::domain::list_filter::query_encode;
use crate::domain::Role;
use crate::error::AppError;
use crate::store::SessionRecord;

/// Anyone signed in.
pub struct SignedIn(pub SessionRecord);

/// A signed-in writer or admin.
pub struct WriterSession(pub SessionRecord);

/// A signed-in admin.
pub struct AdminSession(pub SessionRecord);

/// The session of a writer reading a page, if any: writers see drafts and
/// the links to edit; everyone else reads what the public reads.
pub struct ReadingWriter(pub Option<SessionRecord>);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match session::current(&state.store, &parts.headers).await {
            Ok(Some(current)) => Ok(SignedIn(current)),
            Ok(None) => Err(to_sign_in(parts)),
            Err(error) => Err(WebError(error).into_response()),
        }
    }
}

impl FromRequestParts<AppState> for WriterSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let SignedIn(current) = SignedIn::from_request_parts(parts, state).await?;
        may_write(&current).map_err(IntoResponse::into_response)?;
        Ok(WriterSession(current))
    }
}

impl FromRequestParts<AppState> for AdminSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let SignedIn(current) = SignedIn::from_request_parts(parts, state).await?;
        if current.user.role != Role::Admin {
            let message = format!("this page is for admins, and you are a {}", current.user.role);
            return Err(WebError(AppError::Forbidden(message)).into_response());
        }
        Ok(AdminSession(current))
    }
}

impl FromRequestParts<AppState> for ReadingWriter {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let current = session::current(&state.store, &parts.headers).await?;
        Ok(ReadingWriter(current.filter(|current| current.user.role >= Role::Writer)))
    }
}

/// Refuses a signed-in reader who tries to write, saying why.
pub fn may_write(current: &SessionRecord) -> Result<(), WebError> {
    if current.user.role >= Role::Writer {
        return Ok(());
    }
    let message =
        format!("a {} may read reports but not write them: ask an admin for a writer's role", current.user.role);
    Err(WebError(AppError::Forbidden(message)))
}

/// The sign-in form, coming back to this page; a form posted without a
/// session comes back to the page it was posted from.
fn to_sign_in(parts: &Parts) -> Response {
    let back_to = if parts.method == Method::GET || parts.method == Method::HEAD {
        parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_string()
    } else {
        referring_path(&parts.headers).unwrap_or_else(|| "/".to_string())
    };
    Redirect::to(&format!("/login?next={}", query_encode(&back_to))).into_response()
}

/// The path of the page a form was posted from, when it is this site's.
fn referring_path(headers: &HeaderMap) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let after_scheme = referer.split_once("://")?.1;
    let (authority, path) = after_scheme.split_at(after_scheme.find('/')?);
    let host = headers.get(header::HOST)?.to_str().ok()?;
    (authority == host && !path.starts_with("//")).then(|| path.to_string())
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
pub fn unreadable(rejection: FormRejection) -> WebError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        WebError(AppError::PayloadTooLarge { limit_kib: crate::app::MAX_BODY_BYTES / 1024 })
    } else {
        WebError(AppError::BadRequest(rejection.body_text()))
    }
}
