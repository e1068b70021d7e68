//! `/`: recent reports, open action items and a few numbers.

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::page::{page, CachePolicy, Layout, WebError, WebPage};
use super::views::ActionRow;
use crate::app::AppState;
use crate::read_model::Card;
use crate::store::{LabelCount, Stats};

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

#[derive(askama::Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    recent: Vec<Card>,
    actions: Vec<ActionRow>,
    stats: Stats,
    tags: Vec<LabelCount>,
}

impl WebPage for HomePage {
    const CACHE: CachePolicy = CachePolicy::SharedUntilWrite;
}

async fn home(State(state): State<AppState>) -> Result<Response, WebError> {
    // What is new here: the reports published most recently, whenever
    // their incidents happened.
    let recent = state.store.recently_published(6).await?;
    let today = time::OffsetDateTime::now_utc().date();
    let counts = state.counts.get(&state, today).await?;
    let tags = counts.tags.iter().take(16).cloned().collect();
    page(&HomePage {
        layout: Layout::new("Hindsight", "home"),
        recent: recent.into_iter().map(|(card, _)| card).collect(),
        actions: state
            .store
            .open_actions(None, None, 6)
            .await?
            .0
            .iter()
            .map(|item| ActionRow::new(item, today))
            .collect(),
        stats: counts.stats.clone(),
        tags,
    })
}
