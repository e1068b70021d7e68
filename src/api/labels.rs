//! `GET /api/v1/tags`, `/services` and `/organizations`: each name in use
//! on published reports with how many carry it, most first, read from the
//! counts kept on write (the same the `/tags` and `/services` pages show).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use crate::app::AppState;
use crate::error::AppError;
use crate::store::{Label, LabelCount};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tags", get(tags))
        .route("/services", get(services))
        .route("/organizations", get(organizations))
}

fn listed(items: Vec<LabelCount>) -> Response {
    Json(serde_json::json!({ "items": items })).into_response()
}

async fn tags(State(state): State<AppState>) -> Result<Response, AppError> {
    Ok(listed(state.store.label_counts(Label::Tag).await?))
}

async fn services(State(state): State<AppState>) -> Result<Response, AppError> {
    Ok(listed(state.store.label_counts(Label::Service).await?))
}

/// Organizations, most reports first (the pages sort them by name).
async fn organizations(State(state): State<AppState>) -> Result<Response, AppError> {
    let mut organizations = state.store.organizations().await?;
    organizations.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    Ok(listed(organizations))
}
