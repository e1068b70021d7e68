//! The HTML pages: one file per area, each with its own router. Pages are
//! askama templates filled from the same store and domain types as the API,
//! and work without JavaScript.

pub mod account;
pub mod actions;
pub mod admin;
pub mod assets;
pub mod browse;
pub mod counts;
pub mod drafts;
pub mod editor;
pub mod feed;
pub mod forms;
pub mod history;
pub mod home;
pub mod incidents;
pub mod page_cache;
pub mod report_form;
pub mod search;
pub mod settings;

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;

use crate::app::AppState;
use crate::error::AppError;
use crate::store::StoreError;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(home::router())
        .merge(account::router())
        .merge(admin::router())
        .merge(incidents::router())
        .merge(editor::router())
        .merge(history::router())
        .merge(drafts::router())
        .merge(browse::router())
        .merge(actions::router())
        .merge(feed::router())
        .merge(search::router())
        .merge(settings::router())
        .merge(assets::router())
}

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

/// Renders a page template as an HTML response.
pub fn page<T: Template>(template: &T) -> Result<Response, WebError> {
    let html = template.render().map_err(|error| AppError::Internal(error.into()))?;
    let mut response = html.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
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
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let (heading, message) = match &self.0 {
            AppError::NotFound(_) => (
                "Not found",
                "There is no page at this address. It may have moved, or the report may not be published yet."
                    .to_string(),
            ),
            AppError::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "page failed");
                (
                    "Something went wrong",
                    "The page could not be shown. The error has been logged; please try again in a moment.".to_string(),
                )
            }
            AppError::Unavailable(reason) => ("Temporarily unavailable", sentence(reason)),
            other => ("That did not work", other.to_string()),
        };
        let page = ErrorPage { layout: Layout::new(heading, ""), status: status.as_u16(), heading, message };
        match page.render() {
            Ok(html) => {
                let mut response = (status, html).into_response();
                response
                    .headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
                if status == StatusCode::SERVICE_UNAVAILABLE {
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from_static(crate::error::RETRY_AFTER_SECONDS));
                }
                response
            }
            Err(_) => (status, heading).into_response(),
        }
    }
}

/// The HTML 404 for any address no route claims.
pub async fn not_found() -> WebError {
    WebError(AppError::NotFound("no such page".into()))
}

/// A 404 for a page whose subject does not exist.
pub fn missing(what: &str) -> WebError {
    WebError(AppError::NotFound(format!("no such {what}")))
}

/// `reason` as a sentence: capitalised, with a full stop.
pub(super) fn sentence(reason: &str) -> String {
    let mut chars = reason.chars();
    let mut text: String = chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default();
    if !text.ends_with('.') {
        text.push('.');
    }
    text
}
