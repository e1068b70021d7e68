//! Rendered pages kept in memory for readers who are not signed in. Which
//! pages may be kept is said by each page type (`WebPage::CACHE`) and by
//! the API's report JSON, which mark their responses with a `CachePolicy`.
//! A marked page is kept under its path and query, the change-log position
//! this server's index has applied, and the day (overdue actions change at midnight), so
//! a page whose inputs have not changed is served without rendering, with
//! an `ETag`, and a `304` when the browser already holds it. A write on any
//! server moves the change log, which every server follows, so no page
//! outlives a write by more than the follower's poll.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::auth::session::{FORM_COOKIE, SESSION_COOKIE};

/// Whether a rendered page may be kept and served again to readers who are
/// not signed in (see `serve`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CachePolicy {
    /// Rendered for whoever asked: forms, history, drafts, account pages.
    Personal,
    /// The same for every reader who is not signed in, until the next write
    /// or midnight.
    SharedUntilWrite,
}

/// A page larger than this is served but not kept.
const MAX_PAGE_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
struct Page {
    etag: HeaderValue,
    content_type: HeaderValue,
    body: Bytes,
}

type Generation = (i64, u64, time::Date);

struct Pages {
    /// What the pages were rendered at: the change-log position the index
    /// has applied, the writes this server committed (which move before the
    /// index follows), and the day. A newer one empties the cache.
    generation: Generation,
    map: HashMap<String, Page>,
    order: VecDeque<String>,
    bytes: usize,
}

impl Pages {
    fn empty(generation: Generation) -> Pages {
        Pages { generation, map: HashMap::new(), order: VecDeque::new(), bytes: 0 }
    }
}

/// The pages, bounded in bytes; the oldest go first.
pub struct PageCache {
    pages: Mutex<Pages>,
    max_bytes: usize,
}

impl std::fmt::Debug for PageCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageCache").field("max_bytes", &self.max_bytes).finish_non_exhaustive()
    }
}

impl PageCache {
    pub fn new(max_bytes: usize) -> PageCache {
        PageCache { pages: Mutex::new(Pages::empty((i64::MIN, 0, time::Date::MIN))), max_bytes }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pages> {
        self.pages.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, generation: &Generation, key: &str) -> Option<Page> {
        let pages = self.lock();
        (pages.generation == *generation).then(|| pages.map.get(key).cloned()).flatten()
    }

    fn put(&self, generation: Generation, key: String, page: Page) {
        let mut pages = self.lock();
        if pages.generation != generation {
            if pages.generation > generation {
                return;
            }
            *pages = Pages::empty(generation);
        }
        pages.bytes += page.body.len() + key.len();
        if let Some(old) = pages.map.insert(key.clone(), page) {
            pages.bytes -= old.body.len() + key.len();
        } else {
            pages.order.push_back(key);
        }
        while pages.bytes > self.max_bytes {
            let Some(oldest) = pages.order.pop_front() else { break };
            if let Some(old) = pages.map.remove(&oldest) {
                pages.bytes -= old.body.len() + oldest.len();
            }
        }
    }
}

/// A request from someone signed in, or holding a form, is rendered for
/// them alone.
fn personal(headers: &HeaderMap) -> bool {
    headers.contains_key(header::AUTHORIZATION)
        || headers.get_all(header::COOKIE).iter().filter_map(|value| value.to_str().ok()).any(|cookies| {
            cookies.split(';').any(|cookie| {
                let name = cookie.trim().split('=').next().unwrap_or_default();
                name == SESSION_COOKIE || name == FORM_COOKIE
            })
        })
}

fn answer(page: &Page, if_none_match: Option<&HeaderValue>) -> Response {
    let fresh = if_none_match
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == page.etag.to_str().unwrap_or_default()));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = Response::new(Body::from(page.body.clone()));
        response.headers_mut().insert(header::CONTENT_TYPE, page.content_type.clone());
        response
    };
    response.headers_mut().insert(header::ETAG, page.etag.clone());
    // Ask again each time: the answer is a 304 while nothing has changed.
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// The middleware: serves a kept page, or renders, keeps and serves it.
pub async fn serve(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::GET || !state.public_read || personal(request.headers()) {
        return next.run(request).await;
    }
    // Files under /static carry their own cache headers, and are no page.
    let path = request.uri().path();
    if path.starts_with("/static/") {
        return next.run(request).await;
    }
    // Pages shown while the index is being built lack their search parts.
    if !state.search.is_ready() {
        return next.run(request).await;
    }
    // Feeds and calendars write absolute links with the host asked for:
    // each host keeps its own copy, so no request can plant another's.
    let host = request.headers().get(header::HOST).map(|host| String::from_utf8_lossy(host.as_bytes()).into_owned());
    let key =
        format!("{}\u{0}{}", host.unwrap_or_default(), request.uri().path_and_query().map_or(path, |p| p.as_str()));
    let key = key.as_str();
    let day = time::OffsetDateTime::now_utc().date();
    let generation = (state.search.applied_change(), state.store.local_writes(), day);
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    if let Some(page) = state.pages.get(&generation, key) {
        return answer(&page, if_none_match.as_ref());
    }
    let key = key.to_string();
    let response = next.run(request).await;
    let shared = response.extensions().get::<CachePolicy>() == Some(&CachePolicy::SharedUntilWrite);
    let small = response.body().size_hint().upper().is_some_and(|bytes| bytes <= MAX_PAGE_BYTES as u64);
    let keep =
        shared && small && response.status() == StatusCode::OK && !response.headers().contains_key(header::SET_COOKIE);
    let Some(content_type) = response.headers().get(header::CONTENT_TYPE).cloned().filter(|_| keep) else {
        return response;
    };
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
        Ok(body) => body,
        Err(error) => return crate::error::AppError::Internal(anyhow::anyhow!("a page body: {error}")).into_response(),
    };
    // A response that names its own version (the API's report JSON, whose
    // ETag a client sends back in If-Match) keeps it.
    let etag = match parts.headers.get(header::ETAG) {
        Some(own) => own.clone(),
        None => HeaderValue::from_str(&format!(
            "\"{}-{}-{:x}\"",
            generation.0,
            generation.1,
            fingerprint(&key, generation.2)
        ))
        .unwrap_or(HeaderValue::from_static("\"0\"")),
    };
    let page = Page { etag, content_type, body };
    state.pages.put(generation, key, page.clone());
    let mut response = answer(&page, if_none_match.as_ref());
    for (name, value) in parts.headers.iter().filter(|(name, _)| *name != header::CONTENT_LENGTH) {
        response.headers_mut().entry(name).or_insert(value.clone());
    }
    response
}

/// A short stable hash of the page's key and day, for its `ETag`.
fn fingerprint(key: &str, day: time::Date) -> u64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{key}\u{0}{day}").as_bytes());
    u64::from_be_bytes(digest[..8].try_into().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(body: &str) -> Page {
        Page {
            etag: HeaderValue::from_static("\"1\""),
            content_type: HeaderValue::from_static("text/html"),
            body: Bytes::from(body.to_string()),
        }
    }

    #[test]
    fn pages_are_kept_per_generation_and_within_their_bytes() {
        let cache = PageCache::new(100);
        let day = time::macros::date!(2026 - 12 - 02);
        let first = (1, 0, day);
        cache.put(first, "/a".into(), page("aaaa"));
        assert!(cache.get(&first, "/a").is_some());
        let second = (2, 0, day);
        assert!(cache.get(&second, "/a").is_none(), "a newer change log position sees nothing old");
        cache.put(second, "/b".into(), page("bbbb"));
        assert!(cache.get(&first, "/a").is_none(), "the older pages are gone");
        cache.put(first, "/late".into(), page("late"));
        assert!(cache.get(&second, "/late").is_none(), "a page rendered at an older position is not kept");
        for n in 0..20 {
            cache.put(second, format!("/p{n}"), page(&"x".repeat(20)));
        }
        assert!(cache.lock().bytes <= 100);
        assert!(cache.get(&second, "/p19").is_some() && cache.get(&second, "/p0").is_none());
    }

    #[test]
    fn a_session_cookie_makes_a_request_personal() {
        let mut headers = HeaderMap::new();
        assert!(!personal(&headers));
        headers.insert(header::COOKIE, HeaderValue::from_static("theme=dark; hindsight_session=abc"));
        assert!(personal(&headers));
    }
}
