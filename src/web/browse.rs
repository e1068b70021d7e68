//! Pages that gather incidents by what they share: a tag, a service, or a
//! category of contributing factor, so recurring causes become visible.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::page::{missing, page, CachePolicy, Layout, WebError, WebPage};
use super::views::CARDS_PER_PAGE;
use crate::app::AppState;
use crate::domain::{FactorCategory, Status};
use crate::read_model::Card;
use crate::store::{IncidentFilter, Label, LabelCount, PageCursor};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tags", get(tags))
        .route("/tags/{tag}", get(tag))
        .route("/services", get(services))
        .route("/services/{service}", get(service))
        .route("/factors", get(categories))
        .route("/factors/{category}", get(category))
}

/// An incident card with the lines that explain why it is on this page.
pub struct Match {
    pub card: Card,
    pub reasons_html: Vec<String>,
}

#[derive(askama::Template)]
#[template(path = "browse/group.html")]
struct GroupPage {
    layout: Layout,
    /// The index this page is one entry of: `("/tags", "Tags")`.
    index: (&'static str, &'static str),
    kind: &'static str,
    name: String,
    /// How many published incidents share it, from the counts kept on write.
    total: i64,
    matches: Vec<Match>,
    next_href: Option<String>,
    first_href: Option<String>,
}

impl WebPage for GroupPage {
    const CACHE: CachePolicy = CachePolicy::SharedUntilWrite;
}

#[derive(Debug, Default, Deserialize)]
struct GroupParams {
    #[serde(default)]
    cursor: String,
}

/// The links to the next and the first pages of `path`.
fn page_links(cursor: Option<PageCursor>, next: Option<PageCursor>, path: &str) -> (Option<String>, Option<String>) {
    (next.map(|next| format!("{path}?cursor={}", next.encode())), cursor.map(|_| path.to_string()))
}

fn cursor_of(params: Result<Query<GroupParams>, QueryRejection>) -> Option<PageCursor> {
    params.ok().and_then(|Query(params)| PageCursor::decode(&params.cursor))
}

fn published() -> IncidentFilter {
    IncidentFilter { status: Some(Status::Published), ..Default::default() }
}

async fn tag(
    State(state): State<AppState>,
    Path(tag): Path<String>,
    params: Result<Query<GroupParams>, QueryRejection>,
) -> Result<Response, WebError> {
    label_page(&state, Label::Tag, &tag, params).await
}

async fn service(
    State(state): State<AppState>,
    Path(service): Path<String>,
    params: Result<Query<GroupParams>, QueryRejection>,
) -> Result<Response, WebError> {
    label_page(&state, Label::Service, &service, params).await
}

/// The page of a tag or a service: its published incidents a page at a
/// time; a name no published incident carries is not found.
async fn label_page(
    state: &AppState,
    label: Label,
    name: &str,
    params: Result<Query<GroupParams>, QueryRejection>,
) -> Result<Response, WebError> {
    let name = name.trim().to_lowercase();
    let (kind, noun, section, filter) = match label {
        Label::Tag => ("Tag", "tag", "tags", IncidentFilter { tag: Some(name.clone()), ..published() }),
        Label::Service => {
            ("Service", "service", "services", IncidentFilter { service: Some(name.clone()), ..published() })
        }
    };
    let index = index_of(label);
    // From the counts the list's filters show, read once per state of the data.
    let counts = state.counts.get(state, time::OffsetDateTime::now_utc().date()).await?;
    let labels = match label {
        Label::Tag => &counts.tags,
        Label::Service => &counts.services,
    };
    let total = labels.iter().find(|counted| counted.name == name).map_or(0, |counted| counted.count);
    if total == 0 {
        return Err(missing(noun));
    }
    let path = format!("/{section}/{name}");
    let cursor = cursor_of(params);
    let cards = state.store.list_cards(&filter, cursor, CARDS_PER_PAGE).await?;
    let (next_href, first_href) = page_links(cursor, cards.next_cursor, &path);
    page(&GroupPage {
        layout: Layout::new(format!("{kind}: {name}"), section),
        index,
        kind,
        name,
        total,
        matches: cards.items.into_iter().map(|card| Match { card, reasons_html: Vec::new() }).collect(),
        next_href,
        first_href,
    })
}

async fn category(
    State(state): State<AppState>,
    Path(category): Path<String>,
    params: Result<Query<GroupParams>, QueryRejection>,
) -> Result<Response, WebError> {
    let category = FactorCategory::parse(&category).ok_or_else(|| missing("factor category"))?;
    let total = state
        .store
        .category_counts()
        .await?
        .into_iter()
        .find(|(name, _)| name == category.as_str())
        .map_or(0, |(_, n)| n);
    let path = format!("/factors/{}", category.as_str());
    let filter = IncidentFilter { factor_category: Some(category), ..published() };
    let cursor = cursor_of(params);
    let cards = state.store.list_cards(&filter, cursor, CARDS_PER_PAGE).await?;
    let (next_href, first_href) = page_links(cursor, cards.next_cursor, &path);
    // The page quotes each report's factors of this category.
    let slugs: Vec<String> = cards.items.iter().map(|card| card.slug.clone()).collect();
    let mut quotes = state.store.factor_quotes(&slugs, category).await?;
    let matches = cards
        .items
        .into_iter()
        .map(|card| Match { reasons_html: quotes.remove(&card.slug).unwrap_or_default(), card })
        .collect();
    page(&GroupPage {
        layout: Layout::new(format!("Contributing factor: {}", category.label()), "factors"),
        index: ("/factors", "Contributing factors"),
        kind: "Contributing factor",
        name: category.label().to_string(),
        total,
        matches,
        next_href,
        first_href,
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

impl WebPage for CategoriesPage {
    const CACHE: CachePolicy = CachePolicy::SharedUntilWrite;
}

/// Every tag or service with how many published incidents carry it, most
/// first: the index the home page's tag box and each tag's page lead to.
#[derive(askama::Template)]
#[template(path = "browse/labels.html")]
struct LabelsPage {
    layout: Layout,
    heading: &'static str,
    /// The path of each one's page: `/tags`.
    path: &'static str,
    /// `#` for tags, nothing for services.
    mark: &'static str,
    labels: Vec<LabelCount>,
}

impl WebPage for LabelsPage {
    const CACHE: CachePolicy = CachePolicy::SharedUntilWrite;
}

fn index_of(label: Label) -> (&'static str, &'static str) {
    match label {
        Label::Tag => ("/tags", "Tags"),
        Label::Service => ("/services", "Services"),
    }
}

async fn tags(State(state): State<AppState>) -> Result<Response, WebError> {
    labels_page(&state, Label::Tag).await
}

async fn services(State(state): State<AppState>) -> Result<Response, WebError> {
    labels_page(&state, Label::Service).await
}

async fn labels_page(state: &AppState, label: Label) -> Result<Response, WebError> {
    let counts = state.counts.get(state, time::OffsetDateTime::now_utc().date()).await?;
    let (path, heading) = index_of(label);
    let (labels, mark) = match label {
        Label::Tag => (counts.tags.clone(), "#"),
        Label::Service => (counts.services.clone(), ""),
    };
    let section = &path[1..];
    page(&LabelsPage { layout: Layout::new(heading, section), heading, path, mark, labels })
}

async fn categories(State(state): State<AppState>) -> Result<Response, WebError> {
    let counts = state.store.category_counts().await?;
    let mut categories = FactorCategory::ALL
        .iter()
        .map(|category| CategoryCount {
            slug: category.as_str(),
            label: category.label(),
            incidents: counts.iter().find(|(name, _)| name == category.as_str()).map_or(0, |(_, n)| *n as usize),
        })
        .collect::<Vec<_>>();
    // The categories that recur most come first.
    categories.sort_by(|a, b| b.incidents.cmp(&a.incidents).then(a.label.cmp(b.label)));
    page(&CategoriesPage { layout: Layout::new("Contributing factors", "factors"), categories })
}
