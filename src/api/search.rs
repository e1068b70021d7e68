//! `GET /api/v1/search` and `GET /api/v1/incidents/{slug}/similar`.

use super::extract::ApiJson;
use crate::app::AppState;
use crate::domain::Status;
use crate::error::AppError;
use crate::search::SearchParams;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

const SIMILAR: usize = 5;

pub fn router() -> Router<AppState> {
    Router::new().route("/search", get(search).post(search_posted)).route("/incidents/{slug}/similar", get(similar))
}

async fn search(
    State(state): State<AppState>,
    params: Result<Query<SearchParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    let Query(params) = params.map_err(|rejection| AppError::BadRequest(rejection.body_text()))?;
    run(&state, &params).await
}

/// The same search with its parameters in a JSON body, for queries too long
/// for a URL.
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

async fn similar(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Response, AppError> {
    let incident = state
        .store
        .get_incident(&slug)
        .await?
        .filter(|incident| incident.fields.status == Status::Published)
        .ok_or_else(|| AppError::not_found("published incident"))?;
    let hits = state.search.similar_to(incident, SIMILAR).await?;
    Ok(Json(serde_json::json!({ "items": hits })).into_response())
}
