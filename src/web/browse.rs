//! Pages that gather incidents by what they share: a tag, a service, or a
//! category of contributing factor, so recurring causes become visible.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::incidents::{IncidentCard, PAGE_SIZE};
use super::{missing, page, Layout, WebError};
use crate::app::AppState;
use crate::domain::{FactorCategory, Status};
use crate::store::{IncidentFilter, PageCursor};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tags/{tag}", get(tag))
        .route("/services/{service}", get(service))
        .route("/factors", get(categories))
        .route("/factors/{category}", get(category))
}

pub fn category_label(category: FactorCategory) -> &'static str {
    match category {
        FactorCategory::Change => "Change or deploy",
        FactorCategory::Configuration => "Configuration",
        FactorCategory::SoftwareDefect => "Software defect",
        FactorCategory::Dependency => "Third-party dependency",
        FactorCategory::Capacity => "Capacity",
        FactorCategory::Hardware => "Hardware",
        FactorCategory::MonitoringGap => "Monitoring gap",
        FactorCategory::Process => "Process",
        FactorCategory::Security => "Security",
        FactorCategory::DataLoss => "Data loss",
    }
}

/// An incident card with the lines that explain why it is on this page.
pub struct Match {
    pub card: IncidentCard,
    pub reasons_html: Vec<String>,
}

#[derive(askama::Template)]
#[template(path = "browse/group.html")]
struct GroupPage {
    layout: Layout,
    kind: &'static str,
    name: String,
    matches: Vec<Match>,
    truncated: bool,
}

/// All published incidents matching `filter`, up to a bound.
async fn gather(state: &AppState, filter: IncidentFilter) -> Result<(Vec<crate::domain::Incident>, bool), WebError> {
    const MOST: usize = 500;
    let mut incidents = Vec::new();
    let mut cursor: Option<PageCursor> = None;
    loop {
        let page = state.store.list_incidents(&filter, cursor, PAGE_SIZE * 5).await?;
        incidents.extend(page.items);
        match page.next_cursor {
            Some(next) if incidents.len() < MOST => cursor = Some(next),
            Some(_) => return Ok((incidents, true)),
            None => return Ok((incidents, false)),
        }
    }
}

fn published() -> IncidentFilter {
    IncidentFilter { status: Some(Status::Published), ..Default::default() }
}

async fn tag(State(state): State<AppState>, Path(tag): Path<String>) -> Result<Response, WebError> {
    let tag = tag.trim().to_lowercase();
    let (incidents, truncated) = gather(&state, IncidentFilter { tag: Some(tag.clone()), ..published() }).await?;
    let matches = incidents
        .iter()
        .map(|i| Match { card: IncidentCard::new(i, &state.renders), reasons_html: Vec::new() })
        .collect();
    page(&GroupPage { layout: Layout::new(format!("Tag: {tag}"), "tags"), kind: "Tag", name: tag, matches, truncated })
}

async fn service(State(state): State<AppState>, Path(service): Path<String>) -> Result<Response, WebError> {
    let service = service.trim().to_lowercase();
    let (incidents, truncated) =
        gather(&state, IncidentFilter { service: Some(service.clone()), ..published() }).await?;
    let matches = incidents
        .iter()
        .map(|i| Match { card: IncidentCard::new(i, &state.renders), reasons_html: Vec::new() })
        .collect();
    page(&GroupPage {
        layout: Layout::new(format!("Service: {service}"), "services"),
        kind: "Service",
        name: service,
        matches,
        truncated,
    })
}

async fn category(State(state): State<AppState>, Path(category): Path<String>) -> Result<Response, WebError> {
    let category = FactorCategory::parse(&category).ok_or_else(|| missing("factor category"))?;
    let (incidents, truncated) =
        gather(&state, IncidentFilter { factor_category: Some(category), ..published() }).await?;
    let matches = incidents
        .iter()
        .map(|incident| {
            let rendered = state.renders.get(incident);
            Match {
                card: IncidentCard::new(incident, &state.renders),
                reasons_html: incident
                    .fields
                    .factors
                    .iter()
                    .zip(&rendered.factors_html)
                    .filter(|(factor, _)| factor.category == category)
                    .map(|(_, html)| html.clone())
                    .collect(),
            }
        })
        .collect();
    page(&GroupPage {
        layout: Layout::new(format!("Contributing factor: {}", category_label(category)), "factors"),
        kind: "Contributing factor",
        name: category_label(category).to_string(),
        matches,
        truncated,
    })
}

pub struct CategoryCount {
    pub slug: &'static str,
    pub label: &'static str,
    pub incidents: usize,
}

#[derive(askama::Template)]
#[template(path = "browse/factors.html")]
struct CategoriesPage {
    layout: Layout,
    categories: Vec<CategoryCount>,
}

async fn categories(State(state): State<AppState>) -> Result<Response, WebError> {
    let (incidents, _) = gather(&state, published()).await?;
    let categories = FactorCategory::ALL
        .iter()
        .map(|category| CategoryCount {
            slug: category.as_str(),
            label: category_label(*category),
            incidents: incidents.iter().filter(|i| i.fields.factors.iter().any(|f| f.category == *category)).count(),
        })
        .collect();
    page(&CategoriesPage { layout: Layout::new("Contributing factors", "factors"), categories })
}
