//! Extractors that answer bad input in our own problem+json format: a body
//! that is too large, of the wrong type, malformed, nested too deeply, or of
//! the wrong shape; and the `If-Match` precondition.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use crate::app::{AppState, MAX_BODY_BYTES};
use crate::error::AppError;

/// JSON nested deeper than this is refused before it is parsed. Reports are
/// at most four levels deep; the margin is for clients' extra fields.
pub use crate::json_depth::MAX_JSON_DEPTH;

/// A JSON request body, deserialized into `T`.
pub struct ApiJson<T>(pub T);

/// Bodies up to this size are parsed where they arrive, in well under a
/// millisecond; larger ones (up to the 2 MiB limit, some milliseconds) take
/// their turn with the other heavy work, off the async workers.
const PARSED_INLINE_BYTES: usize = 64 * 1024;

impl<T: DeserializeOwned + Send + 'static> FromRequest<AppState> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let bytes = json_body(request, state).await?;
        if bytes.len() <= PARSED_INLINE_BYTES {
            return parse_json(&bytes).map(ApiJson);
        }
        state.heavy_work.run(move || parse_json(&bytes)).await?.map(ApiJson)
    }
}

/// Reads a body that declares a JSON media type (`application/json` or any
/// `+json` type, such as `application/merge-patch+json`).
async fn json_body<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, AppError> {
    if !has_json_content_type(request.headers()) {
        return Err(AppError::UnsupportedMediaType(
            "send the body as JSON, with `Content-Type: application/json`".into(),
        ));
    }
    Bytes::from_request(request, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge { limit_kib: MAX_BODY_BYTES / 1024 }
        } else {
            AppError::BadRequest(format!("the request body could not be read: {}", rejection.body_text()))
        }
    })
}

fn has_json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses JSON into `T`: malformed or too deeply nested input is a 400, a
/// well-formed body of the wrong shape a 422 naming the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    check_nesting(bytes)?;
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(shape_error)?;
    deserializer.end().map_err(|error| AppError::BadRequest(format!("the body is not valid JSON: {error}")))?;
    Ok(value)
}

/// Converts an already-parsed JSON value into `T`, naming the offending field.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, AppError> {
    serde_path_to_error::deserialize(value).map_err(shape_error)
}

fn shape_error(error: serde_path_to_error::Error<serde_json::Error>) -> AppError {
    let path = error.path().to_string();
    let inner = error.into_inner();
    match inner.classify() {
        serde_json::error::Category::Data => {
            let field = if path == "." { "body".to_string() } else { path };
            AppError::validation(&field, inner.to_string())
        }
        _ => AppError::BadRequest(format!("the body is not valid JSON: {inner}")),
    }
}

/// Refuses JSON nested deeper than `MAX_JSON_DEPTH` before parsing it.
fn check_nesting(bytes: &[u8]) -> Result<(), AppError> {
    if crate::json_depth::too_deep(bytes) {
        return Err(AppError::BadRequest(format!("the body is nested more than {MAX_JSON_DEPTH} levels deep")));
    }
    Ok(())
}

/// A query string, deserialized into `T`; one that does not read is a 400
/// in our problem+json.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Query(value) = axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| AppError::BadRequest(rejection.body_text()))?;
        Ok(ApiQuery(value))
    }
}

/// The `If-Match` header of a write: absent, `*` (whatever the current
/// version is), or the ETag of the version the write expects to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMatch {
    Absent,
    Any,
    Version(i64),
}

impl IfMatch {
    /// The version named, if the header names one.
    pub fn version(self) -> Option<i64> {
        match self {
            IfMatch::Version(version) => Some(version),
            IfMatch::Absent | IfMatch::Any => None,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else { return Ok(IfMatch::Absent) };
        let text = value.to_str().unwrap_or_default().trim();
        if text == "*" {
            return Ok(IfMatch::Any);
        }
        let tag = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
        tag.parse::<i64>().map(IfMatch::Version).map_err(|_| {
            AppError::BadRequest(format!(
                "If-Match must be the ETag of a version, such as \"3\", not `{}`",
                crate::domain::reported_time::truncate_for_message(text)
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_refused_without_recursion() {
        let hostile = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(matches!(check_nesting(hostile.as_bytes()), Err(AppError::BadRequest(_))));
        let fine = r#"{"a": [{"b": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}]}"#;
        assert!(check_nesting(fine.as_bytes()).is_ok(), "brackets inside strings do not count");
    }

    #[test]
    fn wrong_shapes_name_their_field() {
        #[derive(serde::Deserialize, Debug)]
        struct Shape {
            #[allow(dead_code)]
            title: String,
        }
        match parse_json::<Shape>(br#"{"title": 5}"#) {
            Err(AppError::Validation(errors)) => assert_eq!(errors.0[0].field, "title"),
            other => panic!("expected a validation error, got {other:?}"),
        }
        assert!(matches!(parse_json::<Shape>(br#"{"title": "#), Err(AppError::BadRequest(_))));
        assert!(matches!(parse_json::<Shape>(br#"{"title": "a"} trailing"#), Err(AppError::BadRequest(_))));
    }
}
