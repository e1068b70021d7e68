//! `/actions`: remediations still open across all published incidents,
//! overdue ones first.

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::incidents::action_status_label;
use super::{page, Layout, WebError};
use crate::app::AppState;
use crate::domain::incident::format_date;
use crate::markdown;
use crate::store::OpenAction;

const MOST: u32 = 500;

pub fn router() -> Router<AppState> {
    Router::new().route("/actions", get(list))
}

pub struct ActionRow {
    pub text_html: String,
    pub owner: Option<String>,
    pub status: &'static str,
    pub status_label: &'static str,
    pub priority: Option<&'static str>,
    pub due_on: Option<String>,
    pub incident_slug: String,
    pub incident_title: String,
}

impl ActionRow {
    pub fn new(open: &OpenAction) -> ActionRow {
        ActionRow {
            text_html: markdown::render_inline(&open.action.text),
            owner: open.action.owner.clone(),
            status: open.action.status.as_str(),
            status_label: action_status_label(open.action.status),
            priority: open.action.priority.map(|p| p.as_str()),
            due_on: open.action.due_on.map(format_date),
            incident_slug: open.incident_slug.clone(),
            incident_title: open.incident_title.clone(),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "actions/list.html")]
struct ActionsPage {
    layout: Layout,
    overdue: Vec<ActionRow>,
    open: Vec<ActionRow>,
}

async fn list(State(state): State<AppState>) -> Result<Response, WebError> {
    let today = time::OffsetDateTime::now_utc().date();
    let (overdue, open): (Vec<OpenAction>, Vec<OpenAction>) = state
        .store
        .open_actions(MOST)
        .await?
        .into_iter()
        .partition(|item| item.action.due_on.is_some_and(|due| due < today));
    page(&ActionsPage {
        layout: Layout::new("Action items", "actions"),
        overdue: overdue.iter().map(ActionRow::new).collect(),
        open: open.iter().map(ActionRow::new).collect(),
    })
}
