//! One error type for every handler. The API renders it as
//! `application/problem+json` (RFC 9457); internals are logged, never shown.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::{FieldError, ValidationErrors};
use crate::store::StoreError;

/// How long a client is asked to wait before trying an unavailable service
/// again, in seconds.
pub const RETRY_AFTER_SECONDS: &str = "5";

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("this endpoint does not accept that method")]
    MethodNotAllowed,
    #[error("{0}")]
    Conflict(String),
    #[error("the incident has changed since you read it: it is now at version {current}")]
    StaleVersion { current: i64 },
    #[error("{0}")]
    PreconditionRequired(String),
    #[error("the request body is larger than the {limit_kib} KiB limit")]
    PayloadTooLarge { limit_kib: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("some fields are not valid")]
    Validation(ValidationErrors),
    #[error("the service is not ready: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [FieldError],
    #[serde(skip_serializing_if = "Option::is_none")]
    current_version: Option<i64>,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::StaleVersion { .. } => StatusCode::PRECONDITION_FAILED,
            AppError::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short, stable name for the kind of problem, used in its `type` URI.
    fn slug(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad-request",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not-found",
            AppError::MethodNotAllowed => "method-not-allowed",
            AppError::Conflict(_) => "conflict",
            AppError::StaleVersion { .. } => "stale-version",
            AppError::PreconditionRequired(_) => "precondition-required",
            AppError::PayloadTooLarge { .. } => "payload-too-large",
            AppError::UnsupportedMediaType(_) => "unsupported-media-type",
            AppError::Validation(_) => "validation",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn validation(field: &str, message: impl Into<String>) -> AppError {
        AppError::Validation(ValidationErrors::single(field, message))
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => AppError::NotFound("no incident with that slug".into()),
            StoreError::DuplicateSlug(slug) => {
                AppError::Conflict(format!("an incident with the slug `{slug}` already exists: choose another slug"))
            }
            StoreError::StaleVersion { current } => AppError::StaleVersion { current },
            StoreError::DuplicateName(name) => AppError::Conflict(format!("a user named `{name}` already exists")),
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<crate::search::SearchError> for AppError {
    fn from(error: crate::search::SearchError) -> Self {
        match error {
            crate::search::SearchError::BadQuery(message) => AppError::BadRequest(message),
            rebuilding @ crate::search::SearchError::Rebuilding { .. } => AppError::Unavailable(rebuilding.to_string()),
            other => AppError::Internal(other.into()),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = match &self {
            AppError::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "request failed");
                "something went wrong on our side; the error has been logged".to_string()
            }
            AppError::Validation(errors) => format!("{} field(s) need attention: {errors}", errors.0.len()),
            other => other.to_string(),
        };
        let errors = match &self {
            AppError::Validation(errors) => errors.0.as_slice(),
            _ => &[],
        };
        let current_version = match &self {
            AppError::StaleVersion { current } => Some(*current),
            _ => None,
        };
        let problem = Problem {
            kind: &format!("urn:hindsight:problem:{}", self.slug()),
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail,
            errors,
            current_version,
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if matches!(self, AppError::Unauthorized(_)) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if matches!(self, AppError::Unavailable(_)) {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
        }
        if let AppError::StaleVersion { current } = self {
            if let Ok(etag) = HeaderValue::from_str(&format!("\"{current}\"")) {
                response.headers_mut().insert(header::ETAG, etag);
            }
        }
        response
    }
}
