//! One error type for every handler, described once (`AppError::describe`)
//! and rendered twice: as `application/problem+json` (RFC 9457) for the API
//! here, and as an HTML page in `web::page`. Internals are logged, never
//! shown.

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
    #[error(transparent)]
    OutOfOrder(#[from] crate::domain::workflow::OutOfOrder),
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

/// An error as the API sends it, `application/problem+json` (RFC 9457).
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `urn:hindsight:problem:` and the kind: `not-found`, `validation`,
    /// `stale-version` …
    #[serde(rename = "type")]
    kind: String,
    title: &'static str,
    status: u16,
    detail: String,
    /// For invalid fields: each by its path (`timeline[2].at`) with what is
    /// wrong.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldError>,
    /// For a stale write: the version that is current now.
    #[serde(skip_serializing_if = "Option::is_none")]
    current_version: Option<i64>,
    /// For a status change out of order: the statuses the report may take.
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_statuses: Option<Vec<&'static str>>,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_) | AppError::OutOfOrder(_) => StatusCode::CONFLICT,
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
            AppError::OutOfOrder(_) => "workflow-order",
            AppError::StaleVersion { .. } => "stale-version",
            AppError::PreconditionRequired(_) => "precondition-required",
            AppError::PayloadTooLarge { .. } => "payload-too-large",
            AppError::UnsupportedMediaType(_) => "unsupported-media-type",
            AppError::Validation(_) => "validation",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    /// A 404 in the one wording every page and endpoint uses: "there is no
    /// incident at this address".
    pub fn not_found(what: &str) -> AppError {
        AppError::NotFound(format!("there is no {what} at this address"))
    }

    pub fn validation(field: &str, message: impl Into<String>) -> AppError {
        AppError::Validation(ValidationErrors::single(field, message))
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => AppError::not_found("incident"),
            StoreError::DuplicateSlug(slug) => {
                AppError::Conflict(format!("an incident with the slug `{slug}` already exists: choose another slug"))
            }
            StoreError::StaleVersion { current } => AppError::StaleVersion { current },
            StoreError::DuplicateName(name) => AppError::Conflict(format!("a user named `{name}` already exists")),
            StoreError::NoSuchUser(name) => AppError::NotFound(format!("there is no user named `{name}`")),
            StoreError::LastAdmin(reason) => AppError::Conflict(reason),
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

/// An error as both renderers show it: the same status, heading and
/// wording, whether it becomes a page or a problem+json.
#[derive(Debug)]
pub struct Described {
    pub status: StatusCode,
    /// A short, stable name for the kind of problem, used in its `type` URI.
    pub kind: &'static str,
    /// The heading for people: "Not found".
    pub title: &'static str,
    /// What happened, for people; never an internal error's text.
    pub detail: String,
    unauthorized: bool,
    current_version: Option<i64>,
}

impl Described {
    /// The headers the status asks for: how to authenticate, when to try
    /// again, which version is current.
    pub fn add_headers(&self, headers: &mut axum::http::HeaderMap) {
        if self.unauthorized {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
        }
        if let Some(etag) =
            self.current_version.and_then(|current| HeaderValue::from_str(&format!("\"{current}\"")).ok())
        {
            headers.insert(header::ETAG, etag);
        }
    }
}

impl AppError {
    /// The one description both renderers use. An internal error is logged
    /// here, once, and described without its details.
    pub fn describe(&self) -> Described {
        let detail = match self {
            AppError::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "request failed");
                "something went wrong on our side; the error has been logged, please try again in a moment".to_string()
            }
            AppError::Validation(errors) => format!("{} field(s) need attention: {errors}", errors.0.len()),
            other => other.to_string(),
        };
        Described {
            status: self.status(),
            kind: self.slug(),
            title: self.title(),
            detail,
            unauthorized: matches!(self, AppError::Unauthorized(_)),
            current_version: match self {
                AppError::StaleVersion { current } => Some(*current),
                _ => None,
            },
        }
    }

    fn title(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "That request could not be read",
            AppError::Unauthorized(_) => "Sign in needed",
            AppError::Forbidden(_) => "Not allowed",
            AppError::NotFound(_) => "Not found",
            AppError::MethodNotAllowed => "Method not allowed",
            AppError::Conflict(_) => "Conflict",
            AppError::OutOfOrder(_) => "Not the next step",
            AppError::StaleVersion { .. } => "Changed since you read it",
            AppError::PreconditionRequired(_) => "Version needed",
            AppError::PayloadTooLarge { .. } => "Too large",
            AppError::UnsupportedMediaType(_) => "Unsupported format",
            AppError::Validation(_) => "Some fields need attention",
            AppError::Unavailable(_) => "Temporarily unavailable",
            AppError::Internal(_) => "Something went wrong",
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let described = self.describe();
        let errors = match &self {
            AppError::Validation(errors) => errors.0.clone(),
            _ => Vec::new(),
        };
        let problem = Problem {
            kind: format!("urn:hindsight:problem:{}", described.kind),
            title: described.title,
            status: described.status.as_u16(),
            detail: described.detail.clone(),
            errors,
            current_version: described.current_version,
            allowed_statuses: match &self {
                AppError::OutOfOrder(refused) => Some(refused.allowed.iter().map(|status| status.as_str()).collect()),
                _ => None,
            },
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (described.status, body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        described.add_headers(response.headers_mut());
        response
    }
}
