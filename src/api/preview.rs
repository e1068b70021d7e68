//! `POST /api/v1/preview`: Markdown rendered and sanitised exactly as the
//! report page will show it, for the form's live preview and for tools.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::ApiJson;
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::incident::MAX_BODY_BYTES;
use crate::error::AppError;
use crate::markdown;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(preview))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
struct PreviewRequest {
    #[serde(default)]
    markdown: String,
}

#[derive(Serialize, utoipa::ToSchema)]
struct Preview {
    /// Sanitised HTML, as the report page shows it.
    html: String,
}

/// Render Markdown as a report page shows it. Anyone signed in, by a
/// session or a token, may preview; the rendering waits its turn with the
/// other heavy work.
#[utoipa::path(
    post,
    path = "/preview",
    tag = "tools",
    request_body = PreviewRequest,
    security(("bearer" = [])),
    responses((status = 200, description = "The rendering", body = Preview))
)]
async fn preview(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<PreviewRequest>,
) -> Result<Response, AppError> {
    if caller.user.is_none() {
        return Err(AppError::Unauthorized(
            "sign in, or send a token as `Authorization: Bearer …`, to preview Markdown".into(),
        ));
    }
    if request.markdown.len() > MAX_BODY_BYTES {
        return Err(AppError::validation("markdown", format!("at most {} KiB", MAX_BODY_BYTES / 1024)));
    }
    let html = state
        .heavy_work
        .run(move || markdown::preview(&request.markdown))
        .await?
        .map_err(|message| AppError::validation("markdown", message))?;
    Ok(Json(Preview { html }).into_response())
}
