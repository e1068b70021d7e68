//! `/actions`: remediations still open across all published incidents,
//! overdue ones first.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::page::{page, CachePolicy, Layout, WebError, WebPage};
use super::views::ActionRow;
use crate::app::AppState;
use crate::store::{ActionCursor, OpenAction};

/// Open actions shown a page.
const PAGE: u32 = 50;
const RECENTLY_DONE: u32 = 20;

pub fn router() -> Router<AppState> {
    Router::new().route("/actions", get(list))
}

#[derive(askama::Template)]
#[template(path = "actions/list.html")]
struct ActionsPage {
    layout: Layout,
    /// How many are overdue and open in all, from the counts kept on write.
    overdue_total: i64,
    open_total: i64,
    overdue: Vec<ActionRow>,
    open: Vec<ActionRow>,
    done: Vec<ActionRow>,
    next_href: Option<String>,
    first_href: Option<String>,
}

impl WebPage for ActionsPage {
    const CACHE: CachePolicy = CachePolicy::SharedUntilWrite;
}

#[derive(Debug, Default, Deserialize)]
struct ListParams {
    #[serde(default)]
    cursor: String,
}

/// Open actions a page at a time, earliest due first, so the overdue ones
/// lead the first pages; the recently done ones on the first page only.
async fn list(
    State(state): State<AppState>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Response, WebError> {
    let today = time::OffsetDateTime::now_utc().date();
    let cursor = params.ok().and_then(|Query(params)| ActionCursor::decode(&params.cursor));
    let (items, next) = state.store.open_actions(cursor.as_ref(), PAGE).await?;
    let (overdue, open): (Vec<OpenAction>, Vec<OpenAction>) =
        items.into_iter().partition(|item| item.action.is_overdue(today));
    let stats = &state.counts.get(&state, today).await?.stats;
    let done = match cursor {
        None => state.store.recently_completed_actions(RECENTLY_DONE).await?,
        Some(_) => Vec::new(),
    };
    page(&ActionsPage {
        layout: Layout::new("Action items", "actions"),
        overdue_total: stats.overdue_actions,
        open_total: stats.open_actions - stats.overdue_actions,
        overdue: overdue.iter().map(|item| ActionRow::new(item, today)).collect(),
        open: open.iter().map(|item| ActionRow::new(item, today)).collect(),
        done: done.iter().map(|item| ActionRow::new(item, today)).collect(),
        next_href: next.map(|next| format!("/actions?cursor={}", next.encode())),
        first_href: cursor.map(|_| "/actions".to_string()),
    })
}
