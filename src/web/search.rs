//! `/search`: the search box's page, with facet counts that narrow the
//! results and highlighted passages.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::page::{page_with_status, sentence, CachePolicy, Layout, WebError, WebPage};
use crate::app::AppState;
use crate::domain::list_filter::query_encode;
use crate::domain::{FactorCategory, Severity};
use crate::error::AppError;
use crate::search::{FacetKind, Order, SearchParams, SearchResults};

const PER_PAGE: usize = 20;

pub fn router() -> Router<AppState> {
    Router::new().route("/search", get(search))
}

pub struct FacetLink {
    pub label: String,
    pub count: u64,
    pub href: String,
    pub selected: bool,
}

pub struct FacetGroup {
    pub heading: &'static str,
    pub links: Vec<FacetLink>,
}

#[derive(askama::Template)]
#[template(path = "search/results.html")]
struct SearchPage {
    layout: Layout,
    q: String,
    newest_first: bool,
    results: Option<Arc<SearchResults>>,
    groups: Vec<FacetGroup>,
    /// The filters chosen, which the form keeps when the order changes.
    kept: Vec<(&'static str, String)>,
    message: Option<String>,
    next_href: Option<String>,
    previous_href: Option<String>,
    first: usize,
}

impl WebPage for SearchPage {
    const CACHE: CachePolicy = CachePolicy::SharedUntilWrite;
}

/// The parameters that narrow a search, as (name, value) pairs in a fixed
/// order, so links can add or drop one.
fn narrowing(params: &SearchParams) -> Vec<(&'static str, String)> {
    [
        ("tag", &params.tag),
        ("service", &params.service),
        ("severity", &params.severity),
        ("organization", &params.organization),
        ("year", &params.year),
        ("category", &params.category),
        ("order", &params.order),
    ]
    .into_iter()
    .filter_map(|(name, value)| {
        value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(|v| (name, v.to_string()))
    })
    .collect()
}

/// A facet value as people read it: a factor category's or a severity's
/// label, else the value itself.
fn facet_label(kind: FacetKind, value: &str) -> String {
    match kind {
        FacetKind::Category => FactorCategory::parse(value).map(FactorCategory::label),
        FacetKind::Severity => Severity::parse(value).map(Severity::label),
        _ => None,
    }
    .map_or_else(|| value.to_string(), str::to_string)
}

fn href(q: &str, pairs: &[(&str, String)], offset: usize) -> String {
    let mut parts = vec![format!("q={}", query_encode(q))];
    parts.extend(pairs.iter().map(|(name, value)| format!("{name}={}", query_encode(value))));
    if offset > 0 {
        parts.push(format!("offset={offset}"));
    }
    format!("/search?{}", parts.join("&"))
}

async fn search(
    State(state): State<AppState>,
    params: Result<Query<SearchParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    let params = params.map(|Query(p)| p).unwrap_or_default();
    let pairs = narrowing(&params);
    let outcome = match params.request() {
        Ok(mut request) => {
            request.limit = PER_PAGE;
            let offset = request.offset;
            state.search.answer(request).await.map(|results| (results, offset)).map_err(AppError::from)
        }
        Err(error) => Err(AppError::from(error)),
    };
    let mut status = StatusCode::OK;
    let (results, message, offset) = match outcome {
        Ok((results, offset)) => (Some(results), None, offset),
        Err(AppError::BadRequest(message)) => {
            status = StatusCode::BAD_REQUEST;
            (None, Some(message), 0)
        }
        Err(AppError::Unavailable(message)) => {
            status = StatusCode::SERVICE_UNAVAILABLE;
            (None, Some(message), 0)
        }
        Err(other) => return Err(other.into()),
    };
    let groups = match &results {
        None => Vec::new(),
        Some(results) => FacetKind::ALL
            .iter()
            .map(|kind| FacetGroup {
                heading: kind.heading(),
                links: results
                    .facets
                    .of(*kind)
                    .iter()
                    .take(12)
                    .map(|value| {
                        let (param, chosen) = (kind.root(), value.value.clone());
                        let selected = pairs.iter().any(|(name, v)| *name == param && v.eq_ignore_ascii_case(&chosen));
                        let toggled: Vec<(&str, String)> = if selected {
                            pairs.iter().filter(|(name, _)| *name != param).cloned().collect()
                        } else {
                            let mut with = pairs.clone();
                            with.retain(|(name, _)| *name != param);
                            with.push((param, chosen.clone()));
                            with
                        };
                        let label = facet_label(*kind, &chosen);
                        FacetLink { href: href(&params.q, &toggled, 0), count: value.count, label, selected }
                    })
                    .collect(),
            })
            .filter(|group| !group.links.is_empty())
            .collect(),
    };
    let total = results.as_ref().map_or(0, |r| r.total);
    let search_page = SearchPage {
        layout: Layout::new(
            if params.q.trim().is_empty() { "Search".to_string() } else { format!("Search: {}", params.q.trim()) },
            "search",
        ),
        q: params.q.clone(),
        newest_first: results.is_some() && params.request().map(|r| r.order == Order::Newest).unwrap_or(false),
        next_href: (offset + PER_PAGE < total).then(|| href(&params.q, &pairs, offset + PER_PAGE)),
        previous_href: (offset > 0).then(|| href(&params.q, &pairs, offset.saturating_sub(PER_PAGE))),
        first: offset + 1,
        kept: pairs.iter().filter(|(name, _)| *name != "order").cloned().collect(),
        results,
        groups,
        message: message.as_deref().map(sentence),
    };
    let mut response = page_with_status(&search_page, status)?;
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(crate::error::RETRY_AFTER_SECONDS));
    }
    Ok(response)
}
