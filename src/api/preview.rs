//! `POST /api/v1/preview`: Markdown rendered and sanitised exactly as the
//! report page will show it, for the form's live preview and for tools.

use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;

use super::extract::ApiJson;
use crate::app::AppState;
use crate::domain::incident::MAX_BODY_BYTES;
use crate::error::AppError;
use crate::markdown;

pub fn router() -> Router<AppState> {
    Router::new().route("/preview", post(preview))
}

#[derive(Debug, Default, Deserialize)]
struct PreviewRequest {
    #[serde(default)]
    markdown: String,
}

async fn preview(ApiJson(request): ApiJson<PreviewRequest>) -> Result<Response, AppError> {
    if request.markdown.len() > MAX_BODY_BYTES {
        return Err(AppError::validation("markdown", format!("at most {} KiB", MAX_BODY_BYTES / 1024)));
    }
    markdown::check_nesting(&request.markdown).map_err(|message| AppError::validation("markdown", message))?;
    let html = markdown::render(&request.markdown);
    Ok(Json(serde_json::json!({ "html": html })).into_response())
}
