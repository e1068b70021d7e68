//! `/drafts`: where a writer starts: a new report from a template, their
//! own drafts, and every report waiting for review.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::extract::WriterSession;
use super::page::{page, Layout, WebError, WebPage};
use crate::app::AppState;
use crate::domain::{Incident, Status};
use crate::format;
use crate::store::IncidentFilter;

/// More drafts than this are listed oldest-hidden; nobody keeps that many.
const LIMIT: u32 = 200;

pub fn router() -> Router<AppState> {
    Router::new().route("/drafts", get(drafts))
}

pub struct DraftRow {
    pub slug: String,
    pub title: String,
    pub updated: String,
    pub updated_by: String,
    pub created_by: String,
}

impl DraftRow {
    fn new(incident: &Incident) -> DraftRow {
        DraftRow {
            slug: incident.fields.slug.clone(),
            title: incident.fields.title.clone(),
            updated: format::date_time(incident.meta.updated_at),
            updated_by: incident.meta.updated_by.clone(),
            created_by: incident.meta.created_by.clone(),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "drafts.html")]
struct DraftsPage {
    layout: Layout,
    user: String,
    mine: Vec<DraftRow>,
    in_review: Vec<DraftRow>,
    /// The address of a report just deleted from here, to say so.
    deleted: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct DraftsParams {
    #[serde(default)]
    deleted: String,
}

impl WebPage for DraftsPage {}

async fn drafts(
    State(state): State<AppState>,
    WriterSession(current): WriterSession,
    params: Result<Query<DraftsParams>, QueryRejection>,
) -> Result<Response, WebError> {
    let mut deleted = params.ok().map(|Query(params)| params.deleted).filter(|slug| !slug.trim().is_empty());
    // Said only of an address no live report holds.
    if let Some(slug) = &deleted {
        if state.store.get_incident(slug).await?.is_some() {
            deleted = None;
        }
    }
    let mine = IncidentFilter {
        status: Some(Status::Draft),
        created_by: Some(current.user.name.clone()),
        ..Default::default()
    };
    let in_review = IncidentFilter { status: Some(Status::InReview), ..Default::default() };
    let mine = state.store.list_incidents(&mine, None, LIMIT).await?;
    let in_review = state.store.list_incidents(&in_review, None, LIMIT).await?;
    page(&DraftsPage {
        layout: Layout::new("Your drafts", "write"),
        user: current.user.name.clone(),
        mine: mine.items.iter().map(DraftRow::new).collect(),
        in_review: in_review.items.iter().map(DraftRow::new).collect(),
        deleted,
    })
}
