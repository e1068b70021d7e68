//! `GET /api/v1/stats`: the numbers of `/insights` as JSON, with the same
//! filters (`from`, `to`, `severity`, `organization`, `service`, `tag`,
//! `category`, `by`). Durations are in seconds, times to complete in days;
//! a figure a group is too small for is `null`.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use crate::app::AppState;
use crate::error::AppError;
use crate::insights::InsightQuery;

pub fn router() -> Router<AppState> {
    Router::new().route("/stats", get(stats))
}

async fn stats(
    State(state): State<AppState>,
    query: Result<Query<InsightQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    let Query(query) = query.map_err(|rejection| AppError::BadRequest(rejection.body_text()))?;
    let filter = query.filter().map_err(AppError::Validation)?;
    let today = time::OffsetDateTime::now_utc().date();
    let stats = state.insights.stats(&filter, today, &state.heavy_work).await?;
    Ok(Json(serde_json::json!({
        "as_of": crate::domain::incident::format_date(today),
        "min_for_percentiles": crate::insights::stats::MIN_FOR_PERCENTILES,
        "stats": *stats,
    }))
    .into_response())
}
