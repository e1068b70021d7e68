//! What every page shares: the layout around it, and the glue that turns a
//! page's template into a response with its status and cache policy, set
//! once per page type. Errors on pages are the API's `AppError`, described
//! once in `error.rs` and rendered here as HTML.

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::assets;
use crate::error::AppError;
pub use crate::page_cache::CachePolicy;
use crate::store::StoreError;

/// What every page's layout needs: its title and which section of the
/// navigation it belongs to.
#[derive(Debug, Clone)]
pub struct Layout {
    pub title: String,
    pub section: &'static str,
}

impl Layout {
    pub fn new(title: impl Into<String>, section: &'static str) -> Layout {
        Layout { title: title.into(), section }
    }

    pub fn css_href(&self) -> String {
        assets::href("app.css")
    }

    pub fn js_href(&self) -> String {
        assets::href("app.js")
    }

    pub fn icon_href(&self) -> String {
        assets::href("favicon.svg")
    }

    /// `aria-current="page"` for the navigation link of this page's section.
    pub fn current(&self, section: &str) -> &'static str {
        if self.section == section {
            "page"
        } else {
            "false"
        }
    }
}

/// The site's own address as the client reached it, for the absolute links
/// of feeds and calendars.
pub fn base_url(headers: &axum::http::HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)))
        .unwrap_or("127.0.0.1:3000");
    let https = headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()) == Some("https");
    format!("{}://{host}", if https { "https" } else { "http" })
}

pub const ATOM: &str = "application/atom+xml; charset=utf-8";

/// A document that is not a page (a feed, a calendar) with its content
/// type, the same for every reader until the next write.
pub fn shared_document(body: String, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response.extensions_mut().insert(CachePolicy::SharedUntilWrite);
    response
}

/// A page: its template, and how its responses may be kept. A page type
/// says it once, beside its struct:
///
/// ```ignore
/// impl WebPage for ListPage {
///     const CACHE: CachePolicy = CachePolicy::SharedUntilWrite;
/// }
/// ```
pub trait WebPage: Template {
    const CACHE: CachePolicy = CachePolicy::Personal;
}

/// Renders a page with status 200.
pub fn page<T: WebPage>(template: &T) -> Result<Response, WebError> {
    page_with_status(template, StatusCode::OK)
}

/// Renders a page with `status`, for example a form shown again with 422.
pub fn page_with_status<T: WebPage>(template: &T, status: StatusCode) -> Result<Response, WebError> {
    let html = template.render().map_err(|error| AppError::Internal(error.into()))?;
    let mut response = (status, html).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    response.extensions_mut().insert(T::CACHE);
    Ok(response)
}

/// An error on a page: the same `AppError` the API uses, rendered as HTML.
#[derive(Debug)]
pub struct WebError(pub AppError);

impl From<AppError> for WebError {
    fn from(error: AppError) -> Self {
        WebError(error)
    }
}

impl From<StoreError> for WebError {
    fn from(error: StoreError) -> Self {
        WebError(error.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    heading: &'static str,
    message: String,
    /// A 404: say where the reader can go instead.
    not_found: bool,
}

impl WebPage for ErrorPage {}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let described = self.0.describe();
        let page = ErrorPage {
            layout: Layout::new(described.title, ""),
            status: described.status.as_u16(),
            heading: described.title,
            message: sentence(&described.detail),
            not_found: described.status == StatusCode::NOT_FOUND,
        };
        let mut response = match page_with_status(&page, described.status) {
            Ok(response) => response,
            Err(_) => (described.status, described.title).into_response(),
        };
        described.add_headers(response.headers_mut());
        response
    }
}

/// The HTML 404 for any address no route claims.
pub async fn not_found() -> WebError {
    WebError(AppError::not_found("page"))
}

/// A 404 for a page whose subject does not exist: "there is no incident at
/// this address".
pub fn missing(what: &str) -> WebError {
    WebError(AppError::not_found(what))
}

/// `reason` as a sentence: capitalised, with a full stop.
pub fn sentence(reason: &str) -> String {
    let mut chars = reason.chars();
    let mut text: String = chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default();
    if !text.ends_with('.') {
        text.push('.');
    }
    text
}
