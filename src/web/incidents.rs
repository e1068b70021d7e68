//! `/incidents`: the list with its filters, sort and pages, and one
//! incident's report with its timeline view.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use jiff::tz::TimeZone;
use serde::Deserialize;

use super::{missing, page, Layout, WebError};
use crate::app::AppState;
use crate::domain::{ActionItem, ActionStatus, Incident, Severity, Status};
use crate::error::AppError;
use crate::format;
use crate::read_model::timeline;
use crate::read_model::Card;
use crate::read_model::RenderedReport;
use crate::search::SearchHit;
use crate::store::{IncidentFilter, LabelCount, PageCursor};

pub const PAGE_SIZE: u32 = 20;

pub fn router() -> Router<AppState> {
    Router::new().route("/incidents", get(list)).route("/incidents/{slug}", get(show))
}

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    severity: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    organization: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    open: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    cursor: String,
}

impl ListParams {
    /// The store filter these parameters ask for; unknown values filter
    /// nothing rather than fail, as a hand-edited address should still work.
    fn filter(&self) -> IncidentFilter {
        IncidentFilter {
            status: Some(Status::Published),
            severity: Severity::parse(self.severity.trim()),
            tag: non_empty(&self.tag).map(str::to_lowercase),
            service: non_empty(&self.service).map(str::to_lowercase),
            organization: non_empty(&self.organization).map(str::to_string),
            year: self.year.trim().parse().ok(),
            factor_category: None,
            has_open_actions: self.open == "1",
            oldest_first: self.sort == "oldest",
            created_by: None,
        }
    }

    /// The query string for these filters, without the cursor.
    fn query_without_cursor(&self) -> String {
        let pairs = [
            ("severity", &self.severity),
            ("tag", &self.tag),
            ("service", &self.service),
            ("organization", &self.organization),
            ("year", &self.year),
            ("open", &self.open),
            ("sort", &self.sort),
        ];
        pairs
            .iter()
            .filter(|(_, value)| !value.trim().is_empty())
            .map(|(name, value)| format!("{name}={}", encode(value.trim())))
            .collect::<Vec<_>>()
            .join("&")
    }
}

fn non_empty(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|t| !t.is_empty())
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(byte as char),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// One choice in a filter's drop-down.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn choices(values: &[LabelCount], selected: &str) -> Vec<Choice> {
    values
        .iter()
        .map(|v| Choice {
            value: v.name.clone(),
            label: format!("{} ({})", v.name, v.count),
            selected: v.name.eq_ignore_ascii_case(selected.trim()),
        })
        .collect()
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

async fn list(
    State(state): State<AppState>,
    params: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    // A garbled address shows the unfiltered list rather than an error.
    let params = params.map(|Query(p)| p).unwrap_or_default();
    let cursor = PageCursor::decode(&params.cursor);
    let result = state.store.list_cards(&params.filter(), cursor, PAGE_SIZE).await?;
    let counts = state.counts.get(&state, time::OffsetDateTime::now_utc().date()).await?;
    let query = params.query_without_cursor();
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
    let severities = Severity::ALL
        .iter()
        .map(|s| Choice {
            value: s.as_str().to_string(),
            label: s.as_str().to_uppercase(),
            selected: s.as_str() == params.severity.trim(),
        })
        .collect();
    let page_data = ListPage {
        layout: Layout::new("Incidents", "incidents"),
        cards: result.items,
        severities,
        tags: choices(&counts.tags, &params.tag),
        services: choices(&counts.services, &params.service),
        organizations: choices(&counts.organizations, &params.organization),
        year: params.year.trim().to_string(),
        open_only: params.open == "1",
        oldest_first: params.sort == "oldest",
        filtered: !query.is_empty() && query != "sort=oldest",
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

/// An action item as pages show it.
pub struct ActionView {
    pub text_html: String,
    pub owner: Option<String>,
    pub status: &'static str,
    pub status_label: &'static str,
    pub priority: Option<&'static str>,
    pub due_on: Option<String>,
    pub overdue: bool,
    pub tracker_url: Option<String>,
    /// When it was done, in the report's home zone.
    pub completed: Option<String>,
}

impl ActionView {
    /// `text_html` is the action's rendered text; an open action due before
    /// `today` is overdue. Its completion time reads in `home`.
    pub fn new(action: &ActionItem, text_html: String, today: time::Date, home: &TimeZone) -> ActionView {
        ActionView {
            text_html,
            owner: action.owner.clone(),
            status: action.status.as_str(),
            status_label: action_status_label(action.status),
            priority: action.priority.map(|p| p.as_str()),
            due_on: action.due_on.map(crate::domain::incident::format_date),
            overdue: matches!(action.status, ActionStatus::Open | ActionStatus::InProgress)
                && action.due_on.is_some_and(|due| due < today),
            tracker_url: action.tracker_url.clone(),
            completed: action.completed_at.as_ref().map(|at| format::reported(at, home)),
        }
    }
}

pub struct RelatedView {
    pub slug: String,
    pub title: Option<String>,
    pub kind_label: &'static str,
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
    related: Vec<RelatedView>,
    linked_from: Vec<RelatedView>,
    similar: Vec<SearchHit>,
    /// The reader may edit: show the status and the writing links.
    writer: bool,
    /// "Saved as version 3.", right after the form saved this version.
    saved_notice: Option<String>,
    status_label: &'static str,
}

#[derive(Debug, Default, Deserialize)]
struct ShowParams {
    /// Set by the form after a save: the version it saved.
    #[serde(default)]
    saved: String,
}

async fn show(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Path(slug): Path<String>,
    params: Result<Query<ShowParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    let saved = params.map(|Query(p)| p.saved).unwrap_or_default();
    // Writers see drafts and reports in review, with the links to edit.
    let writer = super::forms::writer_reading(&state, &headers).await?.is_some();
    let incident = state.store.get_incident(&slug).await?.filter(|i| writer || i.fields.status == Status::Published);
    let incident = incident.ok_or_else(|| missing("incident"))?;
    let rendered = state.store.rendered_report(&incident).await?;
    let similar = {
        let (search, incident) = (state.search.clone(), incident.clone());
        match tokio::task::spawn_blocking(move || search.similar(&incident, 5)).await {
            Ok(Ok(hits)) => hits,
            // The report reads fine without its suggestions.
            Ok(Err(error)) => {
                tracing::warn!(%error, "similar incidents could not be found");
                Vec::new()
            }
            Err(error) => return Err(AppError::Internal(error.into()).into()),
        }
    };
    let fields = &incident.fields;
    let durations = fields.durations();
    let fact = |label, value: &crate::domain::Measured| DurationFact { label, value: format::measured(value) };
    let home = fields.home_zone();
    let related_slugs: Vec<String> = fields.related.iter().map(|link| link.slug.clone()).collect();
    let titles = state.store.published_titles(&related_slugs).await?;
    let today = time::OffsetDateTime::now_utc().date();
    let show_page = ShowPage {
        layout: Layout::new(fields.title.clone(), "incidents"),
        severity: fields.severity.map(Severity::as_str),
        detection: detection_label(fields.detection),
        durations: vec![
            fact("Time to detect", &durations.time_to_detect),
            fact("Time to mitigate", &durations.time_to_mitigate),
            fact("Time to resolve", &durations.time_to_resolve),
            fact("Total duration", &durations.total),
        ],
        key_moments: fields
            .named_key_moments()
            .into_iter()
            .filter_map(|(_, label, time)| {
                time.map(|t| MomentView { label, when: format::reported(t, &home), utc: format::utc_beside(t, &home) })
            })
            .collect(),
        legend: timeline::legend(),
        factors: fields
            .factors
            .iter()
            .zip(&rendered.factors_html)
            .map(|(factor, text_html)| FactorView {
                category: factor.category.as_str(),
                category_label: super::browse::category_label(factor.category),
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
        related: fields
            .related
            .iter()
            .map(|link| RelatedView {
                title: titles.get(&link.slug).cloned(),
                slug: link.slug.clone(),
                kind_label: relation_label(link.kind),
            })
            .collect(),
        linked_from: state
            .store
            .backlinks(&fields.slug)
            .await?
            .into_iter()
            .map(|link| RelatedView { slug: link.slug, title: Some(link.title), kind_label: relation_label(link.kind) })
            .collect(),
        similar,
        saved_notice: (writer && saved.trim() == incident.meta.version.to_string()).then(|| {
            format!(
                "Saved as version {} by {}; the report is {}.",
                incident.meta.version,
                incident.meta.updated_by,
                crate::domain::workflow::status_words(fields.status)
            )
        }),
        writer,
        status_label: crate::domain::workflow::status_words(fields.status),
        incident,
        rendered,
    };
    page(&show_page)
}

pub fn action_status_label(status: ActionStatus) -> &'static str {
    match status {
        ActionStatus::Open => "Open",
        ActionStatus::InProgress => "In progress",
        ActionStatus::Done => "Done",
        ActionStatus::WontDo => "Won't do",
    }
}

pub fn detection_label(detection: crate::domain::Detection) -> &'static str {
    use crate::domain::Detection::*;
    match detection {
        Monitoring => "Monitoring",
        CustomerReport => "Customer report",
        Internal => "Internal",
        ThirdParty => "Third party",
        Unknown => "Unknown",
    }
}

pub fn relation_label(kind: crate::domain::RelationKind) -> &'static str {
    use crate::domain::RelationKind::*;
    match kind {
        Related => "Related",
        RecurrenceOf => "Recurrence of",
        CausedBy => "Caused by",
    }
}
