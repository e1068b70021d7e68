//! `GET /api/v1/actions`: action items across published reports, with
//! filters by status, owner, overdue, priority and service, a page at a
//! time. Drafts' items stay with their writers, as on the `/actions` page.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::ApiQuery;
use crate::app::AppState;
use crate::domain::incident::MAX_NAME_CHARS;
use crate::domain::{ActionItem, ActionStatus, Priority, Severity, ValidationErrors};
use crate::error::AppError;
use crate::store::{ActionFilter, ActionPlace, OpenAction};

const DEFAULT_PAGE_SIZE: u32 = 50;
const MAX_PAGE_SIZE: u32 = 100;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// The query string, every value as text so a wrong one is named.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
struct ActionsQuery {
    #[param(value_type = Option<ActionStatus>)]
    status: Option<String>,
    /// Exactly as the owner is written on the items.
    owner: Option<String>,
    /// `true`: open and past the due date; `false`: every other item.
    #[param(value_type = Option<bool>)]
    overdue: Option<String>,
    #[param(value_type = Option<Priority>)]
    priority: Option<String>,
    service: Option<String>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
    /// At most this many, 1 to 100 (50 when absent).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    limit: Option<String>,
}

impl ActionsQuery {
    /// The filter, the place to resume and the page size, or each value
    /// that does not read, by name.
    fn read(&self) -> Result<(ActionFilter, Option<ActionPlace>, u32), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let given =
            |value: &Option<String>| value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(String::from);
        let mut parsed = |name: &str, value: &Option<String>, expected: &str, ok: &dyn Fn(&str) -> bool| {
            let text = given(value)?;
            if ok(&text) {
                Some(text)
            } else {
                errors.add(name, format!("must be {expected}"));
                None
            }
        };
        let status = parsed("status", &self.status, &ActionStatus::choices(), &|t| ActionStatus::parse(t).is_some());
        let priority = parsed("priority", &self.priority, &Priority::choices(), &|t| Priority::parse(t).is_some());
        let overdue = parsed("overdue", &self.overdue, "true or false", &|t| matches!(t, "true" | "false"));
        let owner = parsed("owner", &self.owner, "a name of one line", &|t| {
            t.chars().count() <= MAX_NAME_CHARS && !t.chars().any(char::is_control)
        });
        let cursor =
            parsed("cursor", &self.cursor, "the `next_cursor` of a page", &|t| ActionPlace::decode(t).is_some());
        let limit = parsed("limit", &self.limit, &format!("a number from 1 to {MAX_PAGE_SIZE}"), &|t| {
            t.parse::<u32>().is_ok_and(|n| (1..=MAX_PAGE_SIZE).contains(&n))
        });
        if !errors.is_empty() {
            return Err(errors);
        }
        let filter = ActionFilter {
            status: status.as_deref().and_then(ActionStatus::parse),
            owner,
            overdue: overdue.map(|text| text == "true"),
            priority: priority.as_deref().and_then(Priority::parse),
            service: given(&self.service).map(|service| service.to_lowercase()),
        };
        let limit = limit.and_then(|text| text.parse().ok()).unwrap_or(DEFAULT_PAGE_SIZE);
        Ok((filter, cursor.as_deref().and_then(ActionPlace::decode), limit))
    }
}

/// The report an action item belongs to.
#[derive(Serialize, utoipa::ToSchema)]
struct ActionIncident {
    slug: String,
    title: String,
    severity: Option<Severity>,
}

/// An action item with its report.
#[derive(Serialize, utoipa::ToSchema)]
struct ActionListItem {
    incident: ActionIncident,
    /// Its place among the report's action items (0 is the first).
    position: i64,
    #[serde(flatten)]
    action: ActionItem,
    /// Open, and due before today.
    overdue: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
struct ActionPage {
    items: Vec<ActionListItem>,
    /// Pass as `cursor` for the next page; `null` on the last.
    next_cursor: Option<String>,
}

/// Action items of published reports, the newest report's first.
#[utoipa::path(
    get,
    path = "/actions",
    tag = "actions",
    params(ActionsQuery),
    responses(
        (status = 200, description = "A page of action items", body = ActionPage),
        (status = 422, description = "A filter does not read, named", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn list(State(state): State<AppState>, ApiQuery(query): ApiQuery<ActionsQuery>) -> Result<Response, AppError> {
    let (filter, after, limit) = query.read().map_err(AppError::Validation)?;
    let today = time::OffsetDateTime::now_utc().date();
    let (items, next) = state.store.actions(&filter, today, after, limit).await?;
    let items = items
        .into_iter()
        .map(|item: OpenAction| ActionListItem {
            overdue: item.action.is_overdue(today),
            incident: ActionIncident { slug: item.incident_slug, title: item.incident_title, severity: item.severity },
            position: item.position,
            action: item.action,
        })
        .collect();
    Ok(Json(ActionPage { items, next_cursor: next.map(|place| place.encode()) }).into_response())
}
