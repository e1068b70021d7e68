//! `/feed.atom`: the most recently published reports, as an Atom feed.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::page::{base_url, page, shared_document, Layout, WebError, WebPage, ATOM};
use crate::app::AppState;
use crate::domain::reported_time::format_rfc3339;
use crate::domain::IncidentMeta;
use crate::error::AppError;
use crate::read_model::Card;

const ENTRIES: u32 = 50;

pub fn router() -> Router<AppState> {
    Router::new().route("/feed", get(about)).route("/feed.atom", get(feed))
}

pub struct Entry {
    pub id: String,
    pub title: String,
    pub link: String,
    pub updated: String,
    pub published: String,
    pub summary_html: String,
    pub categories: Vec<String>,
    pub authors: Vec<String>,
}

#[derive(askama::Template)]
#[template(path = "feed.xml")]
struct Feed {
    base: String,
    updated: String,
    entries: Vec<Entry>,
}

/// `/feed`: what the feed holds and how to follow it, for the menu's link;
/// the feed itself is for feed readers.
#[derive(askama::Template)]
#[template(path = "feed.html")]
struct AboutPage {
    layout: Layout,
    feed_url: String,
    /// The newest entries, as the feed has them.
    recent: Vec<Entry>,
}

impl WebPage for AboutPage {}

async fn about(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    let base = base_url(&headers);
    let recent = state.store.recently_published(5).await?;
    let recent = recent.into_iter().map(|(card, meta)| entry(&base, card, &meta)).collect();
    page(&AboutPage { layout: Layout::new("Feed", "feed"), feed_url: format!("{base}/feed.atom"), recent })
}

fn entry(base: &str, card: Card, meta: &IncidentMeta) -> Entry {
    let published = meta.published_at.unwrap_or(meta.created_at);
    let mut authors = card.authors;
    if authors.is_empty() {
        authors.push(meta.created_by.clone());
    }
    Entry {
        id: format!("{base}/incidents/{}", card.slug),
        title: card.title,
        link: format!("{base}/incidents/{}", card.slug),
        updated: format_rfc3339(meta.updated_at),
        published: format_rfc3339(published),
        summary_html: card.summary_html + &card.moments_html,
        categories: card.tags,
        authors,
    }
}

async fn feed(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    let base = base_url(&headers);
    let recent = state.store.recently_published(ENTRIES).await?;
    let updated = recent
        .iter()
        .map(|(_, meta)| meta.updated_at)
        .max()
        .map(format_rfc3339)
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string());
    let feed =
        Feed { entries: recent.into_iter().map(|(card, meta)| entry(&base, card, &meta)).collect(), base, updated };
    let xml = askama::Template::render(&feed).map_err(|error| AppError::Internal(error.into()))?;
    Ok(shared_document(xml, ATOM))
}
