//! `GET /api/v1/stats`: the numbers of `/insights` as JSON, with the same
//! filters (`from`, `to`, `severity`, `organization`, `service`, `tag`,
//! `category`, `by`). Durations are in seconds, times to complete in days;
//! a figure a group is too small for is `null`.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::ApiQuery;
use crate::app::AppState;
use crate::error::{AppError, Problem};
use crate::insights::stats::Stats;
use crate::insights::InsightQuery;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stats))
}

#[derive(Serialize, utoipa::ToSchema)]
struct StatsAsOf<'a> {
    /// Today, by the server's clock: what "overdue" was measured against.
    #[schema(format = Date)]
    as_of: String,
    /// Below this many measured values a group has no percentiles.
    min_for_percentiles: usize,
    stats: &'a Stats,
}

/// Durations, trends, recurring factors and follow-through of published
/// reports, filtered like the insights page.
#[utoipa::path(
    get,
    path = "/stats",
    tag = "stats",
    params(InsightQuery),
    responses(
        (status = 200, description = "The numbers", body = StatsAsOf),
        (status = 422, description = "A filter does not read, named", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn stats(State(state): State<AppState>, ApiQuery(query): ApiQuery<InsightQuery>) -> Result<Response, AppError> {
    let filter = query.filter().map_err(AppError::Validation)?;
    let today = time::OffsetDateTime::now_utc().date();
    let stats = state.insights.stats(&filter, today, &state.heavy_work).await?;
    Ok(Json(StatsAsOf {
        as_of: crate::domain::incident::format_date(today),
        min_for_percentiles: crate::insights::stats::MIN_FOR_PERCENTILES,
        stats: &stats,
    })
    .into_response())
}
