//! `POST /api/v1/timeline/parse`: the paste-a-timeline reader, for forms and
//! for tools that file reports.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::ApiJson;
use crate::app::AppState;
use crate::domain::reported_time::{parse_calendar, Precision};
use crate::domain::timeline_paste::{parse, PastedRow};
use crate::domain::written_time::TimeDefaults;
use crate::error::AppError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(parse_paste))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
struct PasteRequest {
    /// The pasted lines, one event each.
    #[serde(default)]
    text: String,
    /// The incident's zone, for lines that name none.
    zone: Option<String>,
    /// The incident's date (`YYYY-MM-DD`), for lines that name none.
    #[schema(format = Date)]
    date: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct PastedRows {
    rows: Vec<PastedRow>,
}

/// Read a pasted timeline: each line's time, kind and text, or why it could
/// not be read, with what the reader assumed.
#[utoipa::path(
    post,
    path = "/timeline/parse",
    tag = "tools",
    request_body = PasteRequest,
    responses((status = 200, description = "One row per line", body = PastedRows))
)]
async fn parse_paste(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<PasteRequest>,
) -> Result<Response, AppError> {
    let date = match request.date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => None,
        Some(text) => Some(
            parse_calendar(text)
                .filter(|(_, precision)| *precision == Precision::Day)
                .map(|(date, _)| date)
                .ok_or_else(|| AppError::validation("date", "a date such as 2013-05-20"))?,
        ),
    };
    let defaults = TimeDefaults { zone: request.zone, date, date_from: "the date given" };
    // Many lines, each tried against every way of writing a time: off the
    // async workers, like the other heavy work.
    let rows = state
        .heavy_work
        .run(move || parse(&request.text, &defaults, None))
        .await?
        .map_err(|message| AppError::validation("text", message))?;
    Ok(Json(PastedRows { rows }).into_response())
}
