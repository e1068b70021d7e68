//! `POST /api/v1/incidents/{slug}/workflow`: move a report one step through
//! review, by the rule the form's buttons follow (`domain::workflow`):
//! submit a draft, publish or send back a report in review, unpublish a
//! published one. Publishing asks who may, as the server is set.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiJson, IfMatch};
use super::incidents::{expected_version, may_move, not_found, with_etag, IfMatchHeader, SlugPath};
use crate::app::AppState;
use crate::auth::Writer;
use crate::domain::workflow::Step;
use crate::domain::Incident;
use crate::error::{AppError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(take_step))
}

/// A step of the workflow.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct StepRequest {
    /// `submit` (draft to review), `publish` (review to published),
    /// `return` (review to draft) or `unpublish` (published to draft).
    #[schema(pattern = "^(submit|publish|return|unpublish)$")]
    step: String,
    /// Why, kept with the revision; the step's name when absent.
    #[serde(default)]
    note: Option<String>,
    /// The version this step moves, when `If-Match` does not say it.
    #[serde(default)]
    version: Option<i64>,
}

/// Move a report one step through review.
#[utoipa::path(
    post,
    path = "/incidents/{slug}/workflow",
    tag = "incidents",
    params(SlugPath, IfMatchHeader),
    request_body = StepRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Moved, as a new version", body = Incident, headers(("ETag" = String, description = "The version, quoted"))),
        (status = 409, description = "The report is not where that step starts", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn take_step(
    State(state): State<AppState>,
    Writer(caller): Writer,
    Path(slug): Path<String>,
    if_match: IfMatch,
    ApiJson(request): ApiJson<StepRequest>,
) -> Result<Response, AppError> {
    let step = Step::parse(request.step.trim()).ok_or_else(|| {
        let names: Vec<&str> = Step::ALL.iter().map(|step| step.as_str()).collect();
        AppError::validation("step", format!("must be {}", names.join(", ")))
    })?;
    let expected = expected_version(if_match.version(), request.version)?;
    let current: Incident = state.store.get_incident(&slug).await?.ok_or_else(not_found)?;
    if current.meta.version != expected {
        return Err(AppError::StaleVersion { current: current.meta.version });
    }
    step.check(current.fields.status).map_err(AppError::Conflict)?;
    let mut fields = current.fields.clone();
    fields.status = step.to();
    may_move(&state, &caller, &current, &fields)?;
    let note = request.note.as_deref().map(str::trim).filter(|note| !note.is_empty()).unwrap_or(step.note());
    let moved = state.store.replace_incident(&slug, expected, &fields, caller.actor(), Some(note)).await?;
    Ok(with_etag(StatusCode::OK, &moved))
}
