//! `/actions`: remediations still open across all published incidents,
//! overdue ones first.

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::incidents::ActionView;
use super::{page, Layout, WebError};
use crate::app::AppState;
use crate::domain::zones;
use crate::markdown;
use crate::store::OpenAction;

const MOST: u32 = 500;
const RECENTLY_DONE: u32 = 20;

pub fn router() -> Router<AppState> {
    Router::new().route("/actions", get(list))
}

/// An open action item with the incident it belongs to.
pub struct ActionRow {
    pub action: ActionView,
    pub incident_slug: String,
    pub incident_title: String,
}

impl ActionRow {
    pub fn new(open: &OpenAction, today: time::Date) -> ActionRow {
        let home = zones::home_zone(open.incident_zone.as_deref().unwrap_or("UTC"));
        ActionRow {
            action: ActionView::new(&open.action, markdown::render_inline(&open.action.text), today, &home),
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
    done: Vec<ActionRow>,
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
        overdue: overdue.iter().map(|item| ActionRow::new(item, today)).collect(),
        open: open.iter().map(|item| ActionRow::new(item, today)).collect(),
        done: state
            .store
            .recently_completed_actions(RECENTLY_DONE)
            .await?
            .iter()
            .map(|item| ActionRow::new(item, today))
            .collect(),
    })
}
