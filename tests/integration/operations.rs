//! Operating the server: `/metrics` in Prometheus's text format, for the
//! addresses an operator allows or an admin's token, and never by accident
//! for a request that came through an unknown proxy.

use std::collections::HashMap;

use serde_json::json;

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use hindsight::app::App;
use hindsight::domain::{Role, Scope};
use hindsight::metrics::MetricsAllow;

on_both_backends!(
    a_scrape_counts_requests_a_search_and_a_write_and_the_indexer_lag_returns_to_zero,
    metrics_answer_allowed_addresses_and_admins_only,
);

/// One sample of a scrape: its name, labels and value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: HashMap<String, String>,
    value: f64,
}

/// Checks the scrape with Prometheus's own `promtool check metrics` when
/// it is installed (CI installs it and sets `HINDSIGHT_REQUIRE_PROMTOOL`,
/// so there it must be), then reads its samples.
fn parse(text: &str) -> Vec<Sample> {
    use std::io::Write;
    let promtool = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    match promtool {
        Ok(mut child) => {
            child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
            let output = child.wait_with_output().unwrap();
            assert!(
                output.status.success(),
                "promtool check metrics: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Err(_) => assert!(
            std::env::var_os("HINDSIGHT_REQUIRE_PROMTOOL").is_none(),
            "HINDSIGHT_REQUIRE_PROMTOOL is set, and promtool is not installed"
        ),
    }
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("a sample is a series and a value");
            let (name, labels) = match series.split_once('{') {
                Some((name, labels)) => (name, labels.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split("\",")
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (key, value) = pair.split_once("=\"").expect("label=\"value\"");
                    (key.to_string(), value.trim_end_matches('"').to_string())
                })
                .collect();
            Sample { name: name.to_string(), labels, value: value.parse().expect("a number") }
        })
        .collect()
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|sample| {
            sample.name == name && labels.iter().all(|(k, v)| sample.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|sample| sample.value)
}

/// A draft, which the API files as a writer would.
fn draft(title: &str) -> serde_json::Value {
    let mut body = crate::helpers::full_incident(title);
    body["status"] = json!("draft");
    body
}

async fn scrape(app: &TestApp) -> Vec<Sample> {
    let response = app.anonymous().get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    parse(&response.text().await.unwrap())
}

async fn a_scrape_counts_requests_a_search_and_a_write_and_the_indexer_lag_returns_to_zero(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    assert_eq!(app.get("/incidents").await.status(), 200);
    assert_eq!(app.get("/api/v1/search?q=dns").await.status(), 200);
    let created = app.create(draft("Counted write")).await;
    let slug = created["slug"].as_str().unwrap();
    assert_eq!(app.get(&format!("/api/v1/incidents/{slug}")).await.status(), 200);
    assert_eq!(app.get("/no/such/page").await.status(), 404);
    let response = app.post_json("/api/v1/incidents", &json!({"incident": {"title": ""}})).await;
    assert_eq!(response.status(), 422);
    app.wait_until_indexed().await;

    let samples = scrape(&app).await;
    let requests = |method, route, status| {
        value(&samples, "hindsight_http_requests_total", &[("method", method), ("route", route), ("status", status)])
            .unwrap_or(0.0)
    };
    assert!(requests("GET", "/incidents", "200") >= 1.0);
    assert!(requests("GET", "/api/v1/search", "200") >= 1.0);
    assert!(requests("POST", "/api/v1/incidents", "201") >= 1.0);
    assert!(requests("POST", "/api/v1/incidents", "422") >= 1.0);
    assert!(requests("GET", "/api/v1/incidents/{slug}", "200") >= 1.0, "counted under the route's template");
    assert!(requests("GET", "unmatched", "404") >= 1.0, "a path no route matched is not a series of its own");
    assert!(!samples.iter().any(|s| s.labels.get("route").is_some_and(|route| route.contains(slug))));
    let searches = value(
        &samples,
        "hindsight_http_request_duration_seconds_count",
        &[("method", "GET"), ("route", "/api/v1/search")],
    );
    assert!(searches.unwrap() >= 1.0);
    assert_eq!(value(&samples, "hindsight_indexer_lag_changes", &[]), Some(0.0));
    assert_eq!(value(&samples, "hindsight_indexer_lag_seconds", &[]), Some(0.0));
    assert_eq!(value(&samples, "hindsight_index_ready", &[]), Some(1.0));
    assert!(value(&samples, "hindsight_imported_incidents_total", &[]).unwrap() >= 8.0, "the seeds");
    assert!(value(&samples, "hindsight_http_requests_in_flight", &[]).unwrap() >= 1.0, "the scrape itself");
    assert!(value(&samples, "hindsight_db_connections_max", &[("pool", "read")]).unwrap() >= 1.0);
    for name in [
        "hindsight_sign_in_failures_total",
        "hindsight_limit_refusals_total",
        "hindsight_index_rebuilds_total",
        "hindsight_webhook_attempts_total",
        "hindsight_backups_total",
        "hindsight_last_backup_timestamp_seconds",
        "hindsight_build_info",
    ] {
        assert!(samples.iter().any(|sample| sample.name == name), "{name} is exported");
    }

    // An indexer that stops shows as lag: the change it has not applied,
    // and that change's age.
    app.stop_indexing();
    app.create(draft("Waiting write")).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let stuck = scrape(&app).await;
    assert_eq!(value(&stuck, "hindsight_indexer_lag_changes", &[]), Some(1.0));
    assert!(value(&stuck, "hindsight_indexer_lag_seconds", &[]).unwrap() >= 1.0);
}

async fn metrics_answer_allowed_addresses_and_admins_only(backend: Backend) {
    let app =
        TestApp::spawn_configured(backend, |app| App { metrics_allow: MetricsAllow::parse("none").unwrap(), ..app })
            .await;
    let anonymous = app.anonymous().get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(anonymous.status(), 403);
    assert!(anonymous.text().await.unwrap().contains("--metrics-allow"));
    assert_eq!(app.get("/metrics").await.status(), 200, "an admin's token");
    hindsight::auth::add_user(&app.store, "rita", Role::Writer, "test").await.unwrap();
    let token = hindsight::auth::tokens::add_token(&app.store, "test", "rita", "t", Scope::Write, None).await.unwrap();
    let writer = app.anonymous().get(app.url("/metrics")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(writer.status(), 403, "a writer's token is not enough");

    // Loopback is allowed by default, but not for a request that came
    // through a proxy the server was not told to trust.
    let local = TestApp::spawn(backend).await;
    assert_eq!(local.anonymous().get(local.url("/metrics")).send().await.unwrap().status(), 200);
    for header in ["x-forwarded-for", "forwarded", "x-real-ip"] {
        let proxied = local.anonymous().get(local.url("/metrics")).header(header, "203.0.113.9").send().await.unwrap();
        assert_eq!(proxied.status(), 403, "{header}");
    }
    let proxy = "127.0.0.1".parse().unwrap();
    let behind = TestApp::spawn_configured(backend, |app| App { trusted_proxy: Some(proxy), ..app }).await;
    let outside = behind.anonymous().get(behind.url("/metrics")).header("x-forwarded-for", "203.0.113.9");
    assert_eq!(outside.send().await.unwrap().status(), 403, "a client outside, through the trusted proxy");
    let inside = behind.anonymous().get(behind.url("/metrics")).header("x-forwarded-for", "127.0.0.1");
    assert_eq!(inside.send().await.unwrap().status(), 200, "a scraper beside the proxy");
}
