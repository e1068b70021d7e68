//! One log line and one set of metrics for every request.
//!
//! Each request gets an id: the one the trusted proxy in front sent as
//! `X-Request-Id` when it is plainly an id, else a new one. The id goes back in the
//! response's `X-Request-Id` and on every line logged while the request
//! runs. When the request is answered, one line says its method, route
//! template, path, status, latency and the caller's user name, and nothing
//! else from the request: never a header, a query string or a body, so no
//! password, token or cookie reaches the log.
//!
//! The route template and the user are learnt deep inside the router (from
//! axum's matched path, and where a session or token is recognised); they
//! are noted here through a task-local slot that `observe` sets up.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Instant;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::app::AppState;
use crate::metrics::metrics;

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What the router learns about a request while answering it.
#[derive(Debug, Default)]
struct Notes {
    route: Option<&'static str>,
    user: Option<String>,
}

tokio::task_local! {
    static NOTES: Arc<Mutex<Notes>>;
}

/// Notes who is asking, for the request's log line. Called where a session
/// or a token is recognised; outside a request it does nothing.
pub fn note_user(name: &str) {
    let _ = NOTES.try_with(|notes| {
        if let Ok(mut notes) = notes.lock() {
            notes.user = Some(name.to_string());
        }
    });
    tracing::Span::current().record("user", name);
}

/// Notes the route template the router matched. A layer on the router, so
/// axum's `MatchedPath` is known; outside the page cache, so a kept page
/// is noted too.
pub async fn note_route(request: Request, next: Next) -> Response {
    if let Some(route) = request.extensions().get::<MatchedPath>() {
        let route = crate::metrics::route_name(route.as_str());
        let _ = NOTES.try_with(|notes| {
            if let Ok(mut notes) = notes.lock() {
                notes.route = Some(route);
            }
        });
        tracing::Span::current().record("route", route);
    }
    next.run(request).await
}

/// Lowers the in-flight gauge when the request ends, answered or dropped.
struct InFlight;

impl InFlight {
    fn start() -> InFlight {
        metrics().requests_in_flight.inc();
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics().requests_in_flight.dec();
    }
}

/// The outermost layer: gives the request its id and span, and when it is
/// answered logs its line and counts it. An id in the request is kept only
/// when it comes from the trusted proxy: no client can reuse another
/// request's id in the log.
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let _in_flight = InFlight::start();
    let from_proxy = state.trusted_proxy.is_some_and(|proxy| {
        request.extensions().get::<ConnectInfo<SocketAddr>>().is_some_and(|ConnectInfo(peer)| peer.ip() == proxy)
    });
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .filter(|_| from_proxy)
        .and_then(|value| value.to_str().ok())
        .filter(|value| plainly_an_id(value))
        .map_or_else(new_id, str::to_string);
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %method,
        route = tracing::field::Empty,
        user = tracing::field::Empty,
    );
    let notes = Arc::new(Mutex::new(Notes::default()));
    let mut response = NOTES.scope(Arc::clone(&notes), next.run(request)).instrument(span.clone()).await;
    let took = started.elapsed();
    let (route, user) = match notes.lock() {
        Ok(mut notes) => (notes.route.take(), notes.user.take()),
        Err(_) => (None, None),
    };
    // A path no route matched is counted under one name, not under each
    // path a scanner tries.
    let route = route.unwrap_or("unmatched");
    let status = response.status();
    metrics().observe_request(&method, route, status.as_u16(), took);
    // To the microsecond.
    let latency_ms = (took.as_secs_f64() * 1e6).round() / 1000.0;
    let user = user.as_deref().unwrap_or("-");
    span.in_scope(|| {
        if status.is_server_error() {
            tracing::warn!(target: "hindsight::request", request_id = %id, %method, %route, %path, status = status.as_u16(), latency_ms, %user, "request");
        } else {
            tracing::info!(target: "hindsight::request", request_id = %id, %method, %route, %path, status = status.as_u16(), latency_ms, %user, "request");
        }
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID.clone(), value);
    }
    response
}

/// An id a proxy may hand on: 1 to 64 letters, digits, `-`, `_`, `.`.
fn plainly_an_id(value: &str) -> bool {
    (1..=64).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// 16 characters: 8 random ones drawn once per process, then a count in
/// hex, so ids differ across requests, restarts and servers without a
/// system call each.
fn new_id() -> String {
    static PREFIX: LazyLock<String> = LazyLock::new(|| {
        crate::auth::password::random_text(8).unwrap_or_else(|_| format!("{:08x}", std::process::id()))
    });
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("{}{:08x}", *PREFIX, NEXT.fetch_add(1, Ordering::Relaxed) & 0xffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_are_handed_on() {
        for id in ["abc-123", "7f3e.9_A", &"x".repeat(64)] {
            assert!(plainly_an_id(id), "{id}");
        }
        for id in ["", "a b", "id\r\nSet-Cookie: x", "<script>", &"x".repeat(65)] {
            assert!(!plainly_an_id(id), "{id:?}");
        }
        assert_eq!(new_id().len(), 16);
        assert_ne!(new_id(), new_id());
    }
}
