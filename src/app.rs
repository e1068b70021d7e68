//! The application: shared state, the router with its tower layers, and
//! `serve`, which runs it on a listener until shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

use crate::auth::limiter::SignInLimiter;
use crate::error::AppError;
use crate::heavy_work::HeavyWork;
use crate::insights::Insights;
use crate::metrics::MetricsAllow;
use crate::page_cache::{self, PageCache};
use crate::request_log;
use crate::search::SearchIndex;
use crate::store::Store;
use crate::web::counts::CountsMemo;

/// Request bodies above this size get 413. A report's body is at most
/// 256 KiB; the rest is room for its timeline and the JSON around it.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How many bytes of rendered pages are kept for readers.
const PAGE_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// What every handler and layer shares. Layers and extractors clone it for
/// each request, so it is one pointer: cloning the fields themselves, eight
/// reference counts that both cores move, was a fifth of a kept page's cost.
#[derive(Clone, Debug)]
pub struct AppState(Arc<App>);

impl AppState {
    pub fn new(store: Store, search: Arc<SearchIndex>) -> AppState {
        App::new(store, search).into()
    }
}

impl From<App> for AppState {
    fn from(app: App) -> AppState {
        AppState(Arc::new(app))
    }
}

impl std::ops::Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}

#[derive(Debug)]
pub struct App {
    pub store: Store,
    pub search: Arc<SearchIndex>,
    /// Rendered pages for readers who are not signed in.
    pub pages: PageCache,
    /// The counts pages show, for the current state of the data.
    pub counts: CountsMemo,
    /// The facts of every published report, for `/insights` and "has this
    /// happened before?".
    pub insights: Insights,
    pub sign_in_limiter: SignInLimiter,
    /// Argon2 checks of sign-in passwords, a few at a time.
    pub password_checks: HeavyWork,
    /// Markdown previews, revision diffs, large JSON bodies, pasted
    /// timelines and the insights' statistics, a few at a time.
    pub heavy_work: HeavyWork,
    /// Mark cookies Secure: set when the site is served over https.
    pub secure_cookies: bool,
    /// Whether published reports may be read without signing in.
    pub public_read: bool,
    /// A reverse proxy whose `X-Forwarded-For` is believed.
    pub trusted_proxy: Option<std::net::IpAddr>,
    /// Who may publish a report.
    pub publisher: crate::domain::workflow::Publisher,
    /// The addresses that may read `/metrics` without an admin's token.
    pub metrics_allow: MetricsAllow,
    /// The backups this server takes, on a schedule or when an admin asks.
    pub backups: Arc<crate::backup::Schedule>,
}

impl App {
    pub fn new(store: Store, search: Arc<SearchIndex>) -> App {
        App {
            search,
            pages: PageCache::new(PAGE_CACHE_BYTES),
            counts: CountsMemo::default(),
            insights: Insights::new(store.clone()),
            store,
            sign_in_limiter: SignInLimiter::default(),
            password_checks: HeavyWork::new("password checks"),
            heavy_work: HeavyWork::new("previews, comparisons and statistics"),
            secure_cookies: false,
            public_read: true,
            trusted_proxy: None,
            publisher: crate::domain::workflow::Publisher::Anyone,
            metrics_allow: MetricsAllow::loopback(),
            backups: Arc::new(crate::backup::Schedule::none()),
        }
    }
}

pub fn router(state: AppState) -> Router {
    let observed = state.clone();
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(crate::metrics::serve))
        .nest("/api/v1", crate::api::router())
        .merge(crate::web::router())
        .fallback(crate::web::not_found)
        // Inside the sign-in check, so a kept page never skips it.
        .layer(axum::middleware::from_fn_with_state(state.clone(), page_cache::serve))
        .layer(axum::middleware::from_fn_with_state(state.clone(), require_sign_in))
        // Outside the page cache and the sign-in check, so every request
        // that reached a route is logged and counted under its template.
        .layer(axum::middleware::from_fn(request_log::note_route))
        .with_state(state)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(axum::middleware::from_fn_with_state(observed, request_log::observe));
    with_security_headers(router)
}

/// Content-Security-Policy for every response: scripts and styles only from
/// this origin and never inline, no plugins, and no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' https: data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Adds the headers every response carries, errors included.
fn with_security_headers(router: Router) -> Router {
    let set = |name, value| SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value));
    router
        .layer(set(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(header::REFERRER_POLICY, "strict-origin-when-cross-origin"))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
}

/// A panicking handler answers 500 like any other internal error, and the
/// server keeps serving.
fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    AppError::Internal(anyhow::anyhow!("a request handler panicked")).into_response()
}

/// When reading is not public, every request but signing in, static files
/// and health checks needs a signed-in user or a token: pages redirect to
/// the sign-in form, the API answers 401.
async fn require_sign_in(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path();
    // The report form's own posts check the session themselves, and when it
    // has ended they hold on to the writer's text rather than drop it.
    let report_form_post = request.method() == axum::http::Method::POST
        && request
            .extensions()
            .get::<axum::extract::MatchedPath>()
            .is_some_and(|route| crate::web::editor::CHECKS_ITS_OWN_SESSION.contains(&route.as_str()));
    // `/metrics` answers by its own rule: allowed addresses, or an admin.
    let open = matches!(path, "/login" | "/logout" | "/healthz" | "/readyz" | "/metrics")
        || path.starts_with("/static/")
        || report_form_post;
    if state.public_read || open {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    match <crate::auth::Caller as axum::extract::FromRequestParts<AppState>>::from_request_parts(&mut parts, &state)
        .await
    {
        Ok(caller) if caller.user.is_some() => next.run(axum::extract::Request::from_parts(parts, body)).await,
        Ok(_) if parts.uri.path().starts_with("/api/") => {
            AppError::Unauthorized("this knowledge base needs a token: send `Authorization: Bearer …`".into())
                .into_response()
        }
        Ok(_) => {
            let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            let encoded: String = target
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            axum::response::Redirect::to(&format!("/login?next={encoded}")).into_response()
        }
        Err(error) => error.into_response(),
    }
}

impl App {
    /// The client's address: the connection's peer, or, when the peer is the
    /// trusted proxy, the last address that proxy appended to
    /// `X-Forwarded-For`. Anything a client wrote there itself is ignored.
    pub fn client_address(&self, peer: std::net::IpAddr, headers: &axum::http::HeaderMap) -> std::net::IpAddr {
        if self.trusted_proxy != Some(peer) {
            return peer;
        }
        forwarded_for(headers).unwrap_or(peer)
    }
}

/// The last address in `X-Forwarded-For`: the one the proxy in front
/// appended, when it is a proxy the server trusts.
pub fn forwarded_for(headers: &axum::http::HeaderMap) -> Option<std::net::IpAddr> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .next_back()
        .and_then(|entry| entry.trim().parse().ok())
}

/// Liveness: the process answers.
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers too.
async fn readyz(State(state): State<AppState>) -> Result<&'static str, AppError> {
    state
        .store
        .ping()
        .await
        .map_err(|error| AppError::Unavailable(format!("the database does not answer: {error}")))?;
    Ok("ready")
}

/// How long a stopping server goes on answering, each answer telling its
/// client to close the connection, before it closes the idle ones.
pub const WIND_DOWN: Duration = Duration::from_secs(1);

/// Serves `router` on `listener` until `shutdown` completes, then winds
/// down and lets in-flight requests finish.
///
/// Closing a keep-alive connection the moment the signal comes would race a
/// client that has just sent a request on it: the request is lost without
/// an answer. So for `WIND_DOWN` the server still answers every request,
/// with `Connection: close`, and each client busy with it learns to open a
/// new connection (to the server that replaces this one); only then are the
/// connections still idle closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (winding_down, winding) = tokio::sync::watch::channel(false);
    let router = router.layer(axum::middleware::map_response(move |mut response: Response| {
        let closing = *winding.borrow();
        async move {
            if closing {
                response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            response
        }
    }));
    axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = winding_down.send(true);
            tokio::time::sleep(WIND_DOWN).await;
        })
        .await
}
