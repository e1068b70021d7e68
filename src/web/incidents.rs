//! `/incidents`: the list with its filters, sort and pages, and one
//! incident's report with its timeline view.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::extract::ReadingWriter;
use super::labels::{self, Choice};
use super::page::{missing, page, CachePolicy, Layout, WebError, WebPage};
use super::views::{ActionView, HappenedBefore, CARDS_PER_PAGE};
use crate::app::AppState;
use crate::domain::list_filter::ListQuery;
use crate::domain::workflow::status_words;
use crate::domain::{Incident, Learning, Status};
use crate::format;
use crate::insights::IncidentFacts;
use crate::read_model::timeline;
use crate::read_model::Card;
use crate::read_model::RenderedReport;
use crate::search::SearchHit;
use crate::store::{IncidentFilter, PageCursor};

pub fn router() -> Router<AppState> {
    Router::new().route("/incidents", get(list)).route("/incidents/{slug}", get(show))
}

#[derive(askama::Template)]
#[template(path = "incidents/list.html")]
struct ListPage {
    layout: Layout,
    cards: Vec<Card>,
    severities: Vec<Choice>,
    tags: Vec<Choice>,
    services: Vec<Choice>,
    organizations: Vec<Choice>,
    year: String,
    open_only: bool,
    oldest_first: bool,
    filtered: bool,
    next_href: Option<String>,
    first_href: Option<String>,
}

impl WebPage for ListPage {
    const CACHE: CachePolicy = CachePolicy::SharedUntilWrite;
}

async fn list(
    State(state): State<AppState>,
    params: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    // A garbled address shows the unfiltered list rather than an error.
    let params = params.map(|Query(p)| p).unwrap_or_default();
    let filter = IncidentFilter { status: Some(Status::Published), created_by: None, ..params.filter_leniently() };
    let cursor = params.cursor.as_deref().and_then(PageCursor::decode);
    let result = state.store.list_cards(&filter, cursor, CARDS_PER_PAGE).await?;
    let counts = state.counts.get(&state, time::OffsetDateTime::now_utc().date()).await?;
    let query = params.query_string();
    let href = |cursor: Option<&str>| {
        let mut parts: Vec<String> = Vec::new();
        if !query.is_empty() {
            parts.push(query.clone());
        }
        if let Some(cursor) = cursor {
            parts.push(format!("cursor={cursor}"));
        }
        if parts.is_empty() {
            "/incidents".to_string()
        } else {
            format!("/incidents?{}", parts.join("&"))
        }
    };
    let selected = |value: &Option<String>| value.clone().unwrap_or_default();
    let page_data = ListPage {
        layout: Layout::new("Incidents", "incidents"),
        cards: result.items,
        severities: labels::severity_filter(&selected(&params.severity)),
        tags: labels::counted(&counts.tags, &selected(&params.tag)),
        services: labels::counted(&counts.services, &selected(&params.service)),
        organizations: labels::counted(&counts.organizations, &selected(&params.organization)),
        year: selected(&params.year).trim().to_string(),
        open_only: filter.has_open_actions,
        oldest_first: filter.oldest_first,
        filtered: filter
            != IncidentFilter {
                status: Some(Status::Published),
                oldest_first: filter.oldest_first,
                ..Default::default()
            },
        next_href: result.next_cursor.map(|c| href(Some(&c.encode()))),
        first_href: cursor.map(|_| href(None)),
    };
    page(&page_data)
}

/// A key duration for the header: its value, or why it is unknown.
pub struct DurationFact {
    pub label: &'static str,
    pub value: Result<String, String>,
}

/// A key moment for the header, in the home zone with UTC beside.
pub struct MomentView {
    pub label: &'static str,
    pub when: String,
    pub utc: Option<String>,
}

pub struct FactorView {
    pub category: &'static str,
    pub category_label: &'static str,
    pub text_html: String,
    pub primary: bool,
}

/// A link between this report and another, shown once whichever way it
/// was written.
pub struct RelatedView {
    pub slug: String,
    pub title: Option<String>,
    pub kind_label: &'static str,
    /// The other report links back to this one, as this kind.
    pub back: Option<&'static str>,
}

#[derive(askama::Template)]
#[template(path = "incidents/show.html")]
struct ShowPage {
    layout: Layout,
    incident: Incident,
    severity: Option<&'static str>,
    detection: &'static str,
    rendered: RenderedReport,
    durations: Vec<DurationFact>,
    key_moments: Vec<MomentView>,
    legend: Vec<(String, &'static str, String)>,
    factors: Vec<FactorView>,
    actions: Vec<ActionView>,
    /// The lessons learned that were written: heading and rendered text.
    learnings: Vec<(&'static str, String)>,
    related: Vec<RelatedView>,
    linked_from: Vec<RelatedView>,
    similar: Vec<SearchHit>,
    /// Earlier incidents like this one, when it has services and factors
    /// or names a recurrence.
    happened_before: Option<HappenedBefore>,
    /// The reader may edit: show the status and the writing links.
    writer: bool,
    /// "Saved as version 3.", right after the form saved this version.
    saved_notice: Option<String>,
    status_label: &'static str,
}

impl WebPage for ShowPage {
    const CACHE: CachePolicy = CachePolicy::SharedUntilWrite;
}

#[derive(Debug, Default, Deserialize)]
struct ShowParams {
    /// Set by the form after a save: the version it saved.
    #[serde(default)]
    saved: String,
}

async fn show(
    State(state): State<AppState>,
    ReadingWriter(writer): ReadingWriter,
    Path(slug): Path<String>,
    params: Result<Query<ShowParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    let saved = params.map(|Query(p)| p.saved).unwrap_or_default();
    // Writers see drafts and reports in review, with the links to edit.
    let writer = writer.is_some();
    let incident = state.store.get_incident(&slug).await?.filter(|i| writer || i.fields.status == Status::Published);
    let incident = incident.ok_or_else(|| missing("incident"))?;
    let rendered = state.store.rendered_report(&incident).await?;
    let similar = match state.search.similar_to(incident.clone(), 5).await {
        Ok(hits) => hits,
        // The report reads fine without its suggestions.
        Err(error) => {
            tracing::warn!(%error, "similar incidents could not be found");
            Vec::new()
        }
    };
    let fields = &incident.fields;
    let durations = fields.durations();
    let fact = |label, value: &crate::domain::Measured| DurationFact { label, value: format::measured(value) };
    let home = fields.home_zone();
    let related_slugs: Vec<String> = fields.related.iter().map(|link| link.slug.clone()).collect();
    let titles = state.store.published_titles(&related_slugs).await?;
    let backlinks = state.store.backlinks(&fields.slug).await?;
    let today = time::OffsetDateTime::now_utc().date();
    let facts = IncidentFacts::of(incident.id, fields);
    let happened_before = match facts.may_have_happened_before() {
        true => Some(HappenedBefore::find(&state.insights, &state.store, &facts, today).await?),
        false => None,
    };
    let show_page = ShowPage {
        layout: Layout::new(fields.title.clone(), "incidents"),
        severity: fields.severity.map(|severity| severity.as_str()),
        detection: fields.detection.label(),
        durations: vec![
            fact("Time to detect", &durations.time_to_detect),
            fact("Time to mitigate", &durations.time_to_mitigate),
            fact("Time to resolve", &durations.time_to_resolve),
            fact("Total duration", &durations.total),
        ],
        key_moments: fields
            .known_moments()
            .map(|(moment, t)| MomentView {
                label: moment.label(),
                when: format::reported(t, &home),
                utc: format::utc_beside(t, &home),
            })
            .collect(),
        legend: timeline::legend(),
        factors: fields
            .factors
            .iter()
            .zip(&rendered.factors_html)
            .map(|(factor, text_html)| FactorView {
                category: factor.category.as_str(),
                category_label: factor.category.label(),
                text_html: text_html.clone(),
                primary: factor.primary,
            })
            .collect(),
        actions: fields
            .actions
            .iter()
            .zip(&rendered.actions_html)
            .map(|(action, text_html)| ActionView::new(action, text_html.clone(), today, &home))
            .collect(),
        learnings: Learning::ALL
            .into_iter()
            .zip(&rendered.learnings_html)
            .filter(|(_, html)| !html.is_empty())
            .map(|(learning, html)| (learning.label(), html.clone()))
            .collect(),
        related: fields
            .related
            .iter()
            .map(|link| RelatedView {
                title: titles.get(&link.slug).cloned(),
                slug: link.slug.clone(),
                kind_label: link.kind.label(),
                back: backlinks.iter().find(|back| back.slug == link.slug).map(|back| back.kind.label()),
            })
            .collect(),
        linked_from: backlinks
            .iter()
            .filter(|back| !related_slugs.contains(&back.slug))
            .map(|link| RelatedView {
                slug: link.slug.clone(),
                title: Some(link.title.clone()),
                kind_label: link.kind.label(),
                back: None,
            })
            .collect(),
        similar,
        happened_before,
        saved_notice: (writer && saved.trim() == incident.meta.version.to_string()).then(|| {
            format!(
                "Saved as version {} by {}; the report is {}.",
                incident.meta.version,
                incident.meta.updated_by,
                status_words(fields.status)
            )
        }),
        writer,
        status_label: status_words(fields.status),
        incident,
        rendered,
    };
    page(&show_page)
}
