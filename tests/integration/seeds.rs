//! The seed incidents: loaded into an empty database once, never twice.

use serde_json::Value;

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    the_first_start_loads_the_eight_seed_incidents_and_later_starts_add_none,
    the_seeds_carry_their_real_times_and_durations,
    seeds_never_load_into_a_database_that_held_incidents,
);

async fn the_first_start_loads_the_eight_seed_incidents_and_later_starts_add_none(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(hindsight::seeds::load_if_empty(&app.store).await.unwrap(), 8);
    assert_eq!(hindsight::seeds::load_if_empty(&app.store).await.unwrap(), 0);
    let incidents = app.all_incidents("").await;
    assert_eq!(incidents.len(), 8);
    for incident in &incidents {
        let slug = incident["slug"].as_str().unwrap();
        assert_eq!(incident["status"], "published", "{slug}");
        assert!(!incident["timeline"].as_array().unwrap().is_empty(), "{slug} has a timeline");
        assert!(!incident["factors"].as_array().unwrap().is_empty(), "{slug} has factors");
        assert!(!incident["actions"].as_array().unwrap().is_empty(), "{slug} has actions");
        for link in incident["related"].as_array().unwrap() {
            let target = link["slug"].as_str().unwrap();
            assert!(incidents.iter().any(|other| other["slug"] == target), "{slug} links to missing {target}");
        }
    }
}

async fn the_seeds_carry_their_real_times_and_durations(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    let honeycomb = app.get_json("/api/v1/incidents/honeycomb-api-outage-2019-07-09").await;
    assert_eq!(honeycomb["duration_seconds"], 12 * 60, "Honeycomb's outage lasted twelve minutes");
    assert_eq!(honeycomb["started_at"]["at"], "2019-07-09T22:50:00Z");

    let dnsimple = app.get_json("/api/v1/incidents/dnsimple-dns-changes-blocked-mysql-2013-05-20").await;
    let started = dnsimple["started_at"]["at"].as_str().unwrap();
    assert!(started.starts_with("2013-05-20T") && started.ends_with("-07:00"), "keeps its PDT offset: {started}");
    assert_eq!(dnsimple["started_at"]["zone"], "PDT");
    let pdt_events = dnsimple["timeline"].as_array().unwrap().iter().filter(|e| e["at"]["zone"] == "PDT").count();
    assert!(pdt_events > 0);

    let crates = app.get_json("/api/v1/incidents/crates-io-static-dns-record-removed-2023-01-25").await;
    assert_eq!(crates["started_at"]["at"], "2023-01-25T09:15:00Z");
    assert!(crates["tags"].as_array().unwrap().contains(&Value::from("dns")));

    let slugs: Vec<String> =
        app.all_incidents("").await.iter().map(|i| i["slug"].as_str().unwrap().to_string()).collect();
    for expected in [
        "bunnynet-dns-outage-binarypack-stack-overflow",
        "cloudflare-dns-database-deletion",
        "dnsimple-alias-resolution-failures-2013-04-06",
        "dnsimple-partial-dns-outage-2013-03-08",
        "dnsimple-redirector-leak-2013-03",
    ] {
        assert!(slugs.iter().any(|slug| slug == expected), "{expected} missing from {slugs:?}");
    }
}

async fn seeds_never_load_into_a_database_that_held_incidents(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(serde_json::json!({"title": "Ours"})).await;
    assert_eq!(app.delete("/api/v1/incidents/ours", Some("\"1\"")).await.status(), 204);
    assert_eq!(
        hindsight::seeds::load_if_empty(&app.store).await.unwrap(),
        0,
        "even after the only incident was deleted"
    );
    assert!(app.all_incidents("").await.is_empty());
}
