//! What an operator watches: `GET /metrics` in Prometheus's text format.
//!
//! Counters and histograms live in one process-wide registry, as a
//! Prometheus client's do, so the request layer, the indexer, the importer,
//! the webhook sender and the backup schedule each count where the thing
//! happens without being handed a handle. Gauges that describe the present
//! (connections in use, the indexer's lag, the last backup) are read from
//! the app when a scrape asks.
//!
//! The page is for the operator's scraper, never the public: it answers only
//! addresses the operator allows (`--metrics-allow`, loopback by default) or
//! an admin's token. A request that came through a proxy the server was not
//! told to trust is not taken for a local one, whatever its peer address.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::AtomicU64;
use std::sync::LazyLock;
use std::time::Duration;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::AppError;

/// Every metric this server exports, named `hindsight_…`.
pub struct Metrics {
    registry: Registry,
    /// Requests answered, by method, route template and status.
    pub requests: Family<RequestLabels, Counter>,
    /// How long requests took, by method and route template.
    pub request_duration: Family<RouteLabels, Histogram, fn() -> Histogram>,
    pub requests_in_flight: Gauge,
    /// Sign-ins refused for a wrong name or password.
    pub sign_in_failures: Counter,
    /// Requests refused by a limit: the sign-in rate limit, or a gate of
    /// heavy work that was full.
    pub limit_refusals: Family<LimitLabels, Counter>,
    /// Incidents written by an import (files, dumps, feeds).
    pub imported_incidents: Counter,
    /// Times the search index was built anew from the database.
    pub index_rebuilds: Counter,
    /// Webhook delivery attempts, by outcome.
    pub webhook_attempts: Family<OutcomeLabels, Counter>,
    /// Backups taken by the schedule or the command, by outcome.
    pub backups: Family<OutcomeLabels, Counter>,
    /// The last backup: when it finished (Unix seconds) and whether it
    /// passed its integrity check.
    pub last_backup_time: Gauge<f64, AtomicU64>,
    pub last_backup_success: Gauge,
    // Read from the app at each scrape.
    db_connections: Family<PoolLabels, Gauge>,
    db_connections_max: Family<PoolNameLabels, Gauge>,
    indexer_lag_changes: Gauge,
    indexer_lag_seconds: Gauge<f64, AtomicU64>,
    index_ready: Gauge,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: &'static str,
    pub route: &'static str,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: &'static str,
    pub route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LimitLabels {
    pub limit: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: Outcome,
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum Outcome {
    success,
    failure,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: &'static str,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolNameLabels {
    pool: &'static str,
}

/// Request durations from 1 ms to about 33 s: a kept page is served in well
/// under a millisecond, and the request timeout is 30 s.
fn duration_histogram() -> Histogram {
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(0.001, 2.0, 16))
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("hindsight");
        let metrics = Metrics {
            requests: Family::default(),
            request_duration: Family::new_with_constructor(duration_histogram),
            requests_in_flight: Gauge::default(),
            sign_in_failures: Counter::default(),
            limit_refusals: Family::default(),
            imported_incidents: Counter::default(),
            index_rebuilds: Counter::default(),
            webhook_attempts: Family::default(),
            backups: Family::default(),
            last_backup_time: Gauge::default(),
            last_backup_success: Gauge::default(),
            db_connections: Family::default(),
            db_connections_max: Family::default(),
            indexer_lag_changes: Gauge::default(),
            indexer_lag_seconds: Gauge::default(),
            index_ready: Gauge::default(),
            registry: Registry::default(),
        };
        let r = &mut registry;
        r.register(
            "http_requests",
            "Requests answered, by method, route template and status",
            metrics.requests.clone(),
        );
        r.register_with_unit(
            "http_request_duration",
            "Time to answer a request, by method and route template",
            Unit::Seconds,
            metrics.request_duration.clone(),
        );
        r.register("http_requests_in_flight", "Requests being answered now", metrics.requests_in_flight.clone());
        r.register(
            "sign_in_failures",
            "Sign-ins refused for a wrong name or password",
            metrics.sign_in_failures.clone(),
        );
        r.register(
            "limit_refusals",
            "Requests refused by a limit: the sign-in rate limit, or a full gate of heavy work",
            metrics.limit_refusals.clone(),
        );
        r.register("imported_incidents", "Incidents written by imports", metrics.imported_incidents.clone());
        r.register(
            "index_rebuilds",
            "Times the search index was built anew from the database",
            metrics.index_rebuilds.clone(),
        );
        r.register("webhook_attempts", "Webhook delivery attempts, by outcome", metrics.webhook_attempts.clone());
        r.register("backups", "Backups taken, by outcome", metrics.backups.clone());
        r.register_with_unit(
            "last_backup_timestamp",
            "When the last backup finished, in Unix time (0: none since the server started)",
            Unit::Seconds,
            metrics.last_backup_time.clone(),
        );
        r.register(
            "last_backup_success",
            "1 when the last backup was written and passed its integrity check, else 0",
            metrics.last_backup_success.clone(),
        );
        r.register(
            "db_connections",
            "Database connections open, by pool and whether in use or idle",
            metrics.db_connections.clone(),
        );
        r.register("db_connections_max", "Most connections each pool opens", metrics.db_connections_max.clone());
        r.register(
            "indexer_lag_changes",
            "Change-log entries the search index has not applied yet",
            metrics.indexer_lag_changes.clone(),
        );
        r.register_with_unit(
            "indexer_lag",
            "Age of the oldest change the search index has not applied yet (0 when caught up)",
            Unit::Seconds,
            metrics.indexer_lag_seconds.clone(),
        );
        r.register(
            "index_ready",
            "1 when search answers, 0 while the index is being rebuilt",
            metrics.index_ready.clone(),
        );
        let build = Family::<[(&'static str, &'static str); 1], Gauge>::default();
        build.get_or_create(&[("version", env!("CARGO_PKG_VERSION"))]).set(1);
        r.register("build_info", "This build's version", build);
        // Series that start at zero, so a rate over them is 0 rather than
        // absent before the first event.
        let _ = metrics.limit_refusals.get_or_create(&LimitLabels { limit: "sign-in" });
        for outcome in [Outcome::success, Outcome::failure] {
            let _ = metrics.webhook_attempts.get_or_create(&OutcomeLabels { outcome });
            let _ = metrics.backups.get_or_create(&OutcomeLabels { outcome });
        }
        Metrics { registry, ..metrics }
    }

    /// Counts one answered request: `route` is a template the router
    /// matched (see `route_name`) or `unmatched`.
    pub fn observe_request(&self, method: &axum::http::Method, route: &'static str, status: u16, took: Duration) {
        let method = method_name(method);
        self.request_duration.get_or_create(&RouteLabels { method, route }).observe(took.as_secs_f64());
        self.requests.get_or_create(&RequestLabels { method, route, status }).inc();
    }

    /// Counts a request refused by the limit named `limit`.
    pub fn refused_by(&self, limit: &'static str) {
        self.limit_refusals.get_or_create(&LimitLabels { limit }).inc();
    }

    /// Records a backup's end.
    pub fn backup_done(&self, succeeded: bool, at: time::OffsetDateTime) {
        let outcome = if succeeded { Outcome::success } else { Outcome::failure };
        self.backups.get_or_create(&OutcomeLabels { outcome }).inc();
        self.last_backup_time.set(at.unix_timestamp() as f64);
        self.last_backup_success.set(i64::from(succeeded));
    }

    /// Records a webhook delivery attempt.
    pub fn webhook_attempt(&self, delivered: bool) {
        let outcome = if delivered { Outcome::success } else { Outcome::failure };
        self.webhook_attempts.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// The registry in the text format, after reading the gauges of the
    /// present from `state`.
    async fn scrape(&self, state: &AppState) -> Result<String, AppError> {
        for (pool, size, idle, max) in state.store.pool_use() {
            self.db_connections.get_or_create(&PoolLabels { pool, state: "idle" }).set(i64::from(idle));
            self.db_connections.get_or_create(&PoolLabels { pool, state: "in_use" }).set(i64::from(size - idle));
            self.db_connections_max.get_or_create(&PoolNameLabels { pool }).set(i64::from(max));
        }
        let applied = state.search.applied_change();
        let (behind, oldest) = state.store.changes_pending_after(applied).await.map_err(anyhow::Error::from)?;
        self.indexer_lag_changes.set(behind);
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        self.indexer_lag_seconds.set(oldest.map_or(0.0, |at| (now - at).max(0) as f64));
        self.index_ready.set(i64::from(state.search.is_ready()));
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)
            .map_err(|error| AppError::Internal(anyhow::anyhow!("metrics could not be written: {error}")))?;
        Ok(text)
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// A method's name as a label; a method no route serves is `other`, so a
/// client cannot make a series for each name it invents.
fn method_name(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// A route template the router matched, as a `&'static str` kept once:
/// there are as many as the router has routes, so labels and log lines
/// borrow them rather than copy them for each request.
pub fn route_name(template: &str) -> &'static str {
    static NAMES: LazyLock<std::sync::RwLock<std::collections::HashSet<&'static str>>> =
        LazyLock::new(Default::default);
    if let Some(name) = NAMES.read().ok().and_then(|names| names.get(template).copied()) {
        return name;
    }
    let Ok(mut names) = NAMES.write() else { return "unmatched" };
    if let Some(name) = names.get(template) {
        return name;
    }
    let name: &'static str = Box::leak(template.to_string().into_boxed_str());
    names.insert(name);
    name
}

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    &METRICS
}

/// Who may read `/metrics` without an admin's token: a list of networks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricsAllow(Vec<(IpAddr, u8)>);

impl MetricsAllow {
    /// Loopback only.
    pub fn loopback() -> MetricsAllow {
        MetricsAllow(vec![(IpAddr::from([127, 0, 0, 0]), 8), (IpAddr::from(std::net::Ipv6Addr::LOCALHOST), 128)])
    }

    /// Networks written `10.0.0.0/8,192.168.1.7,::1`; `none` for no
    /// address at all (an admin's token only).
    pub fn parse(text: &str) -> Result<MetricsAllow, String> {
        if text.trim() == "none" {
            return Ok(MetricsAllow(Vec::new()));
        }
        text.split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                let (address, bits) = part.split_once('/').unwrap_or((part, ""));
                let address: IpAddr =
                    address.parse().map_err(|_| format!("`{part}` is not an address or a network like 10.0.0.0/8"))?;
                let most = if address.is_ipv4() { 32 } else { 128 };
                let bits = match bits {
                    "" => most,
                    bits => bits
                        .parse::<u8>()
                        .ok()
                        .filter(|bits| *bits <= most)
                        .ok_or_else(|| format!("`{part}`: the length after / is 0 to {most}"))?,
                };
                Ok((address, bits))
            })
            .collect::<Result<Vec<_>, String>>()
            .map(MetricsAllow)
    }

    pub fn allows(&self, client: IpAddr) -> bool {
        let client = match client {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(client, IpAddr::V4),
            v4 => v4,
        };
        self.0.iter().any(|(network, bits)| match (network, client) {
            (IpAddr::V4(network), IpAddr::V4(client)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(*bits)).unwrap_or(0);
                u32::from(*network) & mask == u32::from(client) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(client)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(*bits)).unwrap_or(0);
                u128::from(*network) & mask == u128::from(client) & mask
            }
            _ => false,
        })
    }
}

impl std::str::FromStr for MetricsAllow {
    type Err = String;

    fn from_str(text: &str) -> Result<MetricsAllow, String> {
        MetricsAllow::parse(text)
    }
}

/// Headers proxies add. A request carrying one from a peer that is not the
/// trusted proxy may have come through a proxy nobody told the server of,
/// so its peer address says nothing about where it came from. (A proxy
/// that adds none cannot be told from a local client: README says to deny
/// `/metrics` at the proxy.)
const FORWARDING_HEADERS: [&str; 9] = [
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
    "x-client-ip",
    "true-client-ip",
    "cf-connecting-ip",
    "via",
];

/// `GET /metrics`.
pub async fn serve(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    caller: Result<Caller, AppError>,
) -> Result<Response, AppError> {
    let through_trusted_proxy = state.trusted_proxy == Some(peer.ip());
    let proxied_unknown = !through_trusted_proxy && FORWARDING_HEADERS.iter().any(|name| headers.contains_key(*name));
    let client = state.client_address(peer.ip(), &headers);
    // Through the trusted proxy, the client is the address it appended; a
    // request it sent without one is from nobody known, not from the proxy.
    let client_unknown = proxied_unknown || (through_trusted_proxy && crate::app::forwarded_for(&headers).is_none());
    let allowed = !client_unknown && state.metrics_allow.allows(client);
    if !allowed {
        let caller = caller?;
        if caller.user.is_none() || caller.by_session {
            return Err(AppError::Forbidden(format!(
                "the metrics are for the operator: {client} is not among the addresses --metrics-allow names{}; \
                 or send an admin's token",
                if proxied_unknown {
                    " (this request came through a proxy that --trusted-proxy does not name)"
                } else if client_unknown {
                    " (the trusted proxy sent it without X-Forwarded-For)"
                } else {
                    ""
                }
            )));
        }
        caller.may_administer()?;
    }
    let text = metrics().scrape(&state).await?;
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(prometheus_client::encoding::prometheus_text::CONTENT_TYPE),
    );
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_networks_are_read_and_matched() {
        let allow = MetricsAllow::parse("10.0.0.0/8, 192.168.1.7, fd00::/8").unwrap();
        assert!(allow.allows("10.200.3.4".parse().unwrap()));
        assert!(!allow.allows("11.0.0.1".parse().unwrap()));
        assert!(allow.allows("192.168.1.7".parse().unwrap()));
        assert!(!allow.allows("192.168.1.8".parse().unwrap()));
        assert!(allow.allows("fd12::1".parse().unwrap()));
        assert!(allow.allows("::ffff:10.1.2.3".parse().unwrap()), "an IPv4 client on an IPv6 socket");
        let loopback = MetricsAllow::loopback();
        assert!(loopback.allows("127.0.0.1".parse().unwrap()) && loopback.allows("::1".parse().unwrap()));
        assert!(!loopback.allows("192.0.2.1".parse().unwrap()));
        assert!(!MetricsAllow::parse("none").unwrap().allows("127.0.0.1".parse().unwrap()));
        assert!(MetricsAllow::parse("0.0.0.0/0").unwrap().allows("203.0.113.9".parse().unwrap()));
        for bad in ["10.0.0.0/33", "localhost", "10.0.0.0/x", "::1/129"] {
            assert!(MetricsAllow::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_text_names_every_metric_once_with_its_help_and_type() {
        let metrics = Metrics::new();
        metrics.observe_request(
            &axum::http::Method::GET,
            route_name("/incidents/{slug}"),
            200,
            Duration::from_millis(3),
        );
        assert!(std::ptr::eq(route_name("/incidents/{slug}"), route_name("/incidents/{slug}")), "kept once");
        metrics.refused_by("sign-in");
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &metrics.registry).unwrap();
        assert!(
            text.contains("hindsight_http_requests_total{method=\"GET\",route=\"/incidents/{slug}\",status=\"200\"} 1"),
            "{text}"
        );
        assert!(text.contains("# TYPE hindsight_http_request_duration_seconds histogram"), "{text}");
        assert!(text.contains("hindsight_limit_refusals_total{limit=\"sign-in\"} 1"), "{text}");
        assert!(text.contains("hindsight_build_info{version=\""), "{text}");
    }
}
