//! `GET /api/v1/audit`: the audit log, newest first, for admins.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::AppError;

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 500;

pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(list))
}

#[derive(Debug, Default, Deserialize)]
struct AuditParams {
    before: Option<i64>,
    limit: Option<u32>,
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<AuditParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    caller.may_administer()?;
    let Query(params) = params.map_err(|rejection| AppError::BadRequest(rejection.body_text()))?;
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::BadRequest(format!("`limit` must be from 1 to {MAX_LIMIT}")));
    }
    let entries = state.store.audit_log(params.before, limit).await?;
    let next = if entries.len() == limit as usize { entries.last().map(|entry| entry.id) } else { None };
    Ok(Json(serde_json::json!({ "items": entries, "next_before": next })).into_response())
}
