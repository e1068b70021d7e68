//! `GET /api/v1/audit`: the audit log, newest first, for admins.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::ApiQuery;
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::audit::{AuditFilter, AuditFilterText};
use crate::error::{AppError, Problem};
use crate::store::AuditEntry;

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 500;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditParams {
    /// Entries by this actor: a user name, `import`, `command line`.
    actor: Option<String>,
    /// An action (`user.disable`), or a kind of action: `incident`,
    /// `user`, `token`, `sign-in`, `sign-out`, `webhook` or `backup`.
    action: Option<String>,
    /// Entries about this subject: a report's slug, a user's name, a
    /// token's id.
    subject: Option<String>,
    /// From this day (`YYYY-MM-DD`, UTC) or RFC 3339 instant on.
    since: Option<String>,
    /// To the end of this day (`YYYY-MM-DD`, UTC), or before this RFC 3339
    /// instant.
    until: Option<String>,
    /// The `next_before` of the page before: entries older than this one.
    before: Option<i64>,
    /// At most this many, 1 to 500 (50 when absent).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// A page of the audit log.
#[derive(Serialize, utoipa::ToSchema)]
struct AuditPage {
    items: Vec<AuditEntry>,
    /// Pass as `before` for the next page; `null` on the last.
    next_before: Option<i64>,
}

/// The audit log, newest first: every write, sign-in, and change to
/// people, tokens and webhooks, filtered by who, what, which subject and
/// when.
#[utoipa::path(
    get,
    path = "/audit",
    tag = "admin",
    params(AuditParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of the log", body = AuditPage),
        (status = 403, description = "For administrators", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter that does not read, named", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> Result<Response, AppError> {
    caller.may_administer()?;
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::BadRequest(format!("`limit` must be from 1 to {MAX_LIMIT}")));
    }
    let text = AuditFilterText {
        actor: params.actor.unwrap_or_default(),
        action: params.action.unwrap_or_default(),
        subject: params.subject.unwrap_or_default(),
        since: params.since.unwrap_or_default(),
        until: params.until.unwrap_or_default(),
    };
    let filter = AuditFilter { before: params.before, ..text.read().map_err(AppError::Validation)? };
    let entries = state.store.audit_log(&filter, limit).await?;
    let next = if entries.len() == limit as usize { entries.last().map(|entry| entry.id) } else { None };
    Ok(Json(AuditPage { items: entries, next_before: next }).into_response())
}
