//! `/admin/import`: an admin uploads a status blog's feed, reads what each
//! post was judged to be and why, ticks the posts to import (the incident
//! reports are ticked already), and imports them as drafts, as `hindsight
//! import FEED.xml` does. The feed is carried from one step to the next in
//! the form itself, so either step may be served by any server.

use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use base64::Engine;

use super::extract::{check_form, AdminSession};
use super::page::{page, Layout, WebError, WebPage};
use crate::app::AppState;
use crate::domain::incident::{format_date, MAX_NAME_CHARS};
use crate::error::AppError;
use crate::import::feed::{self, Choice, Outcome};

/// A feed uploaded here is at most this large; `hindsight import` takes
/// larger ones.
pub const MAX_UPLOAD_BYTES: usize = 8 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/import", get(show).post(posted))
        // The feed, and on the second step the same feed again, in base64.
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES * 2 + 64 * 1024))
}

#[derive(askama::Template)]
#[template(path = "admin/import.html")]
struct ImportPage {
    layout: Layout,
    csrf: String,
    organization: String,
    /// Why the upload could not be read, beside the file field.
    feed_error: Option<String>,
    /// The feed read, waiting for its posts to be ticked.
    preview: Option<Preview>,
    /// What importing did to each post.
    results: Vec<PostResult>,
    max_upload_mib: usize,
}

impl WebPage for ImportPage {}

struct Preview {
    feed_title: String,
    /// The feed, carried to the next step.
    encoded: String,
    posts: Vec<PostChoice>,
    incidents: usize,
}

struct PostChoice {
    key: String,
    title: String,
    link: Option<String>,
    published: String,
    author: String,
    incident: bool,
    reason: String,
    /// The report it is already, when it is here.
    imported_as: Option<String>,
}

struct PostResult {
    title: String,
    /// `drafted`, `before`, `left-out` or `failed`.
    kind: &'static str,
    slug: Option<String>,
    detail: String,
}

impl ImportPage {
    fn new(csrf: String) -> ImportPage {
        ImportPage {
            layout: Layout::new("Import a status blog's feed", "account"),
            csrf,
            organization: String::new(),
            feed_error: None,
            preview: None,
            results: Vec::new(),
            max_upload_mib: MAX_UPLOAD_BYTES >> 20,
        }
    }
}

async fn show(AdminSession(current): AdminSession) -> Result<Response, WebError> {
    page(&ImportPage::new(current.csrf_token))
}

/// The form as posted: a file on the first step, the same feed in base64
/// and the ticked posts on the second.
#[derive(Default)]
struct Posted {
    csrf: String,
    step: String,
    organization: String,
    feed: Vec<u8>,
    ticked: Vec<String>,
}

async fn read_form(mut multipart: Multipart) -> Result<Posted, AppError> {
    let mut posted = Posted::default();
    let unreadable = |error: axum::extract::multipart::MultipartError| {
        if error.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge { limit_kib: MAX_UPLOAD_BYTES / 1024 }
        } else {
            AppError::BadRequest(format!("the form could not be read: {}", error.body_text()))
        }
    };
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "feed" => posted.feed = field.bytes().await.map_err(unreadable)?.to_vec(),
            "carried" => {
                let text = field.text().await.map_err(unreadable)?;
                posted.feed = base64::engine::general_purpose::STANDARD.decode(text.trim()).map_err(|_| {
                    AppError::BadRequest("the feed carried by the form is damaged: upload it again".into())
                })?;
            }
            "csrf" => posted.csrf = field.text().await.map_err(unreadable)?,
            "step" => posted.step = field.text().await.map_err(unreadable)?,
            "organization" => posted.organization = field.text().await.map_err(unreadable)?,
            "post" => posted.ticked.push(field.text().await.map_err(unreadable)?),
            _ => {}
        }
    }
    Ok(posted)
}

async fn posted(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminSession(current): AdminSession,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, WebError> {
    let multipart = multipart.map_err(|rejection| AppError::BadRequest(rejection.body_text()))?;
    let mut posted = read_form(multipart).await?;
    check_form(&headers, &current, &posted.csrf)?;
    let mut view = ImportPage::new(current.csrf_token.clone());
    view.organization = posted.organization.trim().chars().take(MAX_NAME_CHARS).collect();
    if posted.feed.is_empty() {
        view.feed_error = Some("choose the feed file to read (RSS 2.0 or Atom)".into());
        return page(&view);
    }
    if posted.feed.len() > MAX_UPLOAD_BYTES {
        view.feed_error = Some(format!(
            "the file is over {} MiB; import it with `hindsight import FILE` on the server instead",
            MAX_UPLOAD_BYTES >> 20
        ));
        return page(&view);
    }
    // Reading a feed is parsing a large document: with the heavy work.
    let bytes = std::mem::take(&mut posted.feed);
    let (read, bytes) = state.heavy_work.run(move || (feed::read(&bytes), bytes)).await?;
    let feed = match read {
        Ok(feed) => feed,
        Err(reason) => {
            view.feed_error = Some(reason);
            return page(&view);
        }
    };
    let organization = Some(view.organization.clone()).filter(|name| !name.is_empty());
    if posted.step == "import" {
        let choice = Choice { all: false, posts: Some(posted.ticked.into_iter().collect()), organization };
        let outcomes = feed::import(&state.store, &feed, &choice, &current.user.name).await?;
        view.results = feed.posts.iter().zip(outcomes).map(|(post, outcome)| result_of(post, outcome)).collect();
        return page(&view);
    }
    let keys: Vec<String> = feed.posts.iter().map(|post| post.key.clone()).collect();
    let links: Vec<String> = feed.posts.iter().filter_map(|post| post.link.clone()).collect();
    let known = state.store.imported_posts(&keys, &links).await?;
    let posts: Vec<PostChoice> = feed
        .posts
        .iter()
        .map(|post| PostChoice {
            key: post.key.clone(),
            title: post.title.clone(),
            link: post.link.clone(),
            published: post.published.map(|at| format_date(at.date())).unwrap_or_default(),
            author: post.author.clone().unwrap_or_default(),
            incident: post.verdict.incident,
            reason: post.verdict.reason.clone(),
            imported_as: known.get(&post.key).or_else(|| post.link.as_ref().and_then(|link| known.get(link))).cloned(),
        })
        .collect();
    view.preview = Some(Preview {
        feed_title: feed.title.clone().unwrap_or_else(|| "an untitled feed".into()),
        encoded: base64::engine::general_purpose::STANDARD.encode(&bytes),
        incidents: posts.iter().filter(|post| post.incident && post.imported_as.is_none()).count(),
        posts,
    });
    if view.organization.is_empty() {
        view.organization = feed.title.unwrap_or_default();
    }
    page(&view)
}

fn result_of(post: &feed::Post, outcome: Outcome) -> PostResult {
    let title = post.title.clone();
    match outcome {
        Outcome::Imported { slug } => {
            PostResult { title, kind: "drafted", slug: Some(slug), detail: post.verdict.reason.clone() }
        }
        Outcome::AlreadyImported { slug } => {
            PostResult { title, kind: "before", slug: Some(slug), detail: "already in the knowledge base".into() }
        }
        Outcome::LeftOut => PostResult { title, kind: "left-out", slug: None, detail: post.verdict.reason.clone() },
        Outcome::Failed(reason) => PostResult { title, kind: "failed", slug: None, detail: reason },
    }
}
