//! `/feed.atom`: the most recently published reports, as an Atom feed.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::WebError;
use crate::app::AppState;
use crate::domain::reported_time::format_rfc3339;
use crate::domain::{Incident, IncidentFields};
use crate::error::AppError;
use crate::format;
use crate::markdown;

const ENTRIES: u32 = 50;

pub fn router() -> Router<AppState> {
    Router::new().route("/feed.atom", get(feed))
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

/// The site's own address as the client reached it, for absolute links.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)))
        .unwrap_or("127.0.0.1:3000");
    let https = headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()) == Some("https");
    format!("{}://{host}", if https { "https" } else { "http" })
}

fn entry(base: &str, incident: &Incident) -> Entry {
    let fields = &incident.fields;
    let published = incident.meta.published_at.unwrap_or(incident.meta.created_at);
    let mut authors = fields.authors.clone();
    if authors.is_empty() {
        authors.push(incident.meta.created_by.clone());
    }
    Entry {
        id: format!("{base}/incidents/{}", fields.slug),
        title: fields.title.clone(),
        link: format!("{base}/incidents/{}", fields.slug),
        updated: format_rfc3339(incident.meta.updated_at),
        published: format_rfc3339(published),
        summary_html: format!("{}{}", markdown::render(&fields.summary), key_moments_html(fields)),
        categories: fields.tags.clone(),
        authors,
    }
}

/// The key moments as the report page states them, in the report's zone
/// with UTC beside: "Impact started 11 Mar 2013 13:00 PDT (20:00 UTC)".
fn key_moments_html(fields: &IncidentFields) -> String {
    let home = fields.home_zone();
    let moments: Vec<String> = fields
        .named_key_moments()
        .into_iter()
        .filter_map(|(_, label, time)| {
            let time = time?;
            let utc = format::utc_beside(time, &home).map(|utc| format!(" ({utc})")).unwrap_or_default();
            Some(format!("{label} {}{utc}", format::reported(time, &home)))
        })
        .collect();
    if moments.is_empty() {
        return String::new();
    }
    // The text is ours, but a zone label came from a writer.
    format!(
        "<p>{}</p>",
        askama::filters::escape(moments.join(" · "), askama::filters::Html).map(|e| e.to_string()).unwrap_or_default()
    )
}

async fn feed(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    let base = base_url(&headers);
    let incidents = state.store.recently_published(ENTRIES).await?;
    let updated = incidents
        .iter()
        .map(|i| i.meta.updated_at)
        .max()
        .map(format_rfc3339)
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string());
    let feed = Feed { entries: incidents.iter().map(|i| entry(&base, i)).collect(), base, updated };
    let xml = askama::Template::render(&feed).map_err(|error| AppError::Internal(error.into()))?;
    let mut response = xml.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/atom+xml; charset=utf-8"));
    Ok(response)
}
