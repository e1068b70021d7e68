//! `GET /api/v1/tags`, `/services` and `/organizations`: each name in use
//! on published reports with how many carry it, most first, read from the
//! counts kept on write (the same the `/tags` and `/services` pages show).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::error::AppError;
use crate::store::{Label, LabelCount};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(tags)).routes(routes!(services)).routes(routes!(organizations))
}

/// Names in use, each with how many published reports carry it.
#[derive(Serialize, utoipa::ToSchema)]
struct LabelList {
    items: Vec<LabelCount>,
}

fn listed(items: Vec<LabelCount>) -> Response {
    Json(LabelList { items }).into_response()
}

/// Tags in use, most reports first.
#[utoipa::path(get, path = "/tags", tag = "labels", responses((status = 200, description = "The tags", body = LabelList)))]
async fn tags(State(state): State<AppState>) -> Result<Response, AppError> {
    Ok(listed(state.store.label_counts(Label::Tag).await?))
}

/// Services in use, most reports first.
#[utoipa::path(
    get,
    path = "/services",
    tag = "labels",
    responses((status = 200, description = "The services", body = LabelList))
)]
async fn services(State(state): State<AppState>) -> Result<Response, AppError> {
    Ok(listed(state.store.label_counts(Label::Service).await?))
}

/// Organizations, most reports first (the pages sort them by name).
#[utoipa::path(
    get,
    path = "/organizations",
    tag = "labels",
    responses((status = 200, description = "The organizations", body = LabelList))
)]
async fn organizations(State(state): State<AppState>) -> Result<Response, AppError> {
    let mut organizations = state.store.organizations().await?;
    organizations.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    Ok(listed(organizations))
}
