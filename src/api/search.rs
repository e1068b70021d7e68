//! `GET /api/v1/search` and `GET /api/v1/incidents/{slug}/similar`.

use super::extract::{ApiJson, ApiQuery};
use super::incidents::SlugPath;
use crate::app::AppState;
use crate::domain::Status;
use crate::error::AppError;
use crate::search::{SearchHit, SearchParams, SearchResults};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

const SIMILAR: usize = 5;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search, search_posted)).routes(routes!(similar))
}

/// Search published reports: hits with their passages, and counts by tag,
/// service, severity, organization, year and factor category.
#[utoipa::path(
    get,
    path = "/search",
    tag = "search",
    params(SearchParams),
    responses((status = 200, description = "The hits and facets", body = SearchResults))
)]
async fn search(State(state): State<AppState>, ApiQuery(params): ApiQuery<SearchParams>) -> Result<Response, AppError> {
    run(&state, &params).await
}

/// The same search with its parameters in a JSON body, for queries too long
/// for a URL.
#[utoipa::path(
    post,
    path = "/search",
    tag = "search",
    request_body = SearchParams,
    responses((status = 200, description = "The hits and facets", body = SearchResults))
)]
async fn search_posted(
    State(state): State<AppState>,
    ApiJson(params): ApiJson<SearchParams>,
) -> Result<Response, AppError> {
    run(&state, &params).await
}

async fn run(state: &AppState, params: &SearchParams) -> Result<Response, AppError> {
    let request = params.request()?;
    let results = state.search.answer(request).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], results.json()).into_response())
}

#[derive(Serialize, utoipa::ToSchema)]
struct SimilarList {
    items: Vec<SearchHit>,
}

/// Published reports most like this one.
#[utoipa::path(
    get,
    path = "/incidents/{slug}/similar",
    tag = "search",
    params(SlugPath),
    responses((status = 200, description = "Up to five reports", body = SimilarList))
)]
async fn similar(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Response, AppError> {
    let incident = state
        .store
        .get_incident(&slug)
        .await?
        .filter(|incident| incident.fields.status == Status::Published)
        .ok_or_else(|| AppError::not_found("published incident"))?;
    let hits = state.search.similar_to(incident, SIMILAR).await?;
    Ok(Json(SimilarList { items: hits }).into_response())
}
