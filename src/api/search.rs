//! `GET /api/v1/search` and `GET /api/v1/incidents/{slug}/similar`.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::extract::ApiJson;
use crate::app::AppState;
use crate::domain::{FactorCategory, Severity, Status};
use crate::error::AppError;
use crate::search::query::{MAX_LIMIT, MAX_OFFSET};
use crate::search::{Order, SearchRequest};

pub const DEFAULT_LIMIT: usize = 10;
const SIMILAR: usize = 5;

pub fn router() -> Router<AppState> {
    Router::new().route("/search", get(search).post(search_posted)).route("/incidents/{slug}/similar", get(similar))
}

/// The query string of a search, shared by the API and the page.
#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    pub q: String,
    pub tag: Option<String>,
    pub service: Option<String>,
    pub severity: Option<String>,
    pub organization: Option<String>,
    #[serde(default, deserialize_with = "text_or_number")]
    pub year: Option<String>,
    pub category: Option<String>,
    pub order: Option<String>,
    #[serde(default, deserialize_with = "text_or_number")]
    pub limit: Option<String>,
    #[serde(default, deserialize_with = "text_or_number")]
    pub offset: Option<String>,
}

/// Query strings carry numbers as text; JSON bodies may carry either.
fn text_or_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum TextOrNumber {
        Text(String),
        Number(i64),
    }
    Ok(Option::<TextOrNumber>::deserialize(deserializer)?.map(|value| match value {
        TextOrNumber::Text(text) => text,
        TextOrNumber::Number(number) => number.to_string(),
    }))
}

impl SearchParams {
    /// The request these parameters describe, or a message for the one that
    /// makes no sense.
    pub fn request(&self) -> Result<SearchRequest, AppError> {
        let given =
            |value: &Option<String>| value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        let mut filters = Vec::new();
        if let Some(tag) = given(&self.tag) {
            filters.push(("tag".to_string(), tag.to_lowercase()));
        }
        if let Some(service) = given(&self.service) {
            filters.push(("service".to_string(), service.to_lowercase()));
        }
        if let Some(severity) = given(&self.severity) {
            let severity = Severity::parse(&severity)
                .ok_or_else(|| AppError::BadRequest(format!("`severity` must be {}", Severity::choices())))?;
            filters.push(("severity".to_string(), severity.as_str().to_string()));
        }
        if let Some(organization) = given(&self.organization) {
            filters.push(("organization".to_string(), organization));
        }
        if let Some(year) = given(&self.year) {
            let year: i32 =
                year.parse().map_err(|_| AppError::BadRequest("`year` must be a year such as 2013".into()))?;
            filters.push(("year".to_string(), year.to_string()));
        }
        if let Some(category) = given(&self.category) {
            let category = FactorCategory::parse(&category)
                .ok_or_else(|| AppError::BadRequest(format!("`category` must be {}", FactorCategory::choices())))?;
            filters.push(("category".to_string(), category.as_str().to_string()));
        }
        let order = match given(&self.order).as_deref() {
            None | Some("relevance") => Order::Relevance,
            Some("date") | Some("newest") => Order::Newest,
            Some(_) => return Err(AppError::BadRequest("`order` must be relevance or date".into())),
        };
        let number = |name: &str, value: &Option<String>, default: usize, most: usize| match given(value) {
            None => Ok(default),
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= most)
                .ok_or_else(|| AppError::BadRequest(format!("`{name}` must be a number from 0 to {most}"))),
        };
        Ok(SearchRequest {
            q: self.q.clone(),
            filters,
            order,
            limit: number("limit", &self.limit, DEFAULT_LIMIT, MAX_LIMIT)?.max(1),
            offset: number("offset", &self.offset, 0, MAX_OFFSET)?,
        })
    }
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
        .ok_or_else(|| AppError::NotFound("no published incident with that slug".into()))?;
    let search = state.search.clone();
    let hits = tokio::task::spawn_blocking(move || search.similar(&incident, SIMILAR))
        .await
        .map_err(|error| AppError::Internal(error.into()))??;
    Ok(Json(serde_json::json!({ "items": hits })).into_response())
}
