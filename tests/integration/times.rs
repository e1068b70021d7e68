//! Times you can trust: a report lived in America/Los_Angeles across the
//! change to daylight saving time on 10 Mar 2013 reads with the right
//! abbreviation and offset in the API, the page, the strip, the feed and the
//! export; zones that contradict an offset are refused; approximate times
//! and completion times travel everywhere.

use serde_json::{json, Value};

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use hindsight::import::export;

on_both_backends!(
    a_report_across_daylight_saving_reads_right_in_the_api_page_strip_feed_and_export,
    a_zone_that_contradicts_its_offset_is_refused_beside_the_field,
    a_report_without_a_home_zone_takes_the_zone_of_its_first_time,
    every_seeds_headline_durations_are_stated_or_explained,
);

/// The DNSimple partial outage of 8 Mar 2013, as a client files it: local
/// times read in the home zone, one time reported in UTC, events written
/// out of order.
fn across_daylight_saving() -> Value {
    json!({
        "title": "Partial DNS outage across the clock change",
        "status": "published",
        "zone": "America/Los_Angeles",
        "detected_at": {"at": "2013-03-08T12:05:00", "approximate": true},
        "mitigated_at": {"at": "2013-03-11T13:00:00", "zone": "Pacific"},
        "timeline": [
            {"at": {"at": "2013-03-08T12:05:00", "approximate": true}, "kind": "detection", "text": "Customers tweet about failures."},
            {"at": {"at": "2013-03-11T13:00:00"}, "kind": "mitigation", "text": "Google and Yahoo ranges whitelisted."},
            {"at": {"at": "2013-03-08T23:59:17Z"}, "kind": "communication", "text": "The first post-mortem is published."},
            {"kind": "note", "text": "More spikes over the following days."}
        ],
        "actions": [{"text": "Whitelist the ranges.", "status": "done", "completed_at": "2013-03-11 13:00"}]
    })
}

async fn a_report_across_daylight_saving_reads_right_in_the_api_page_strip_feed_and_export(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let created = app.create(across_daylight_saving()).await;
    let slug = created["slug"].as_str().unwrap().to_string();

    // The API keeps each time's own offset: PST before the change, PDT after.
    let incident = app.get_json(&format!("/api/v1/incidents/{slug}")).await;
    assert_eq!(incident["zone"], "America/Los_Angeles");
    assert_eq!(
        incident["detected_at"],
        json!({"at": "2013-03-08T12:05:00-08:00", "zone": "America/Los_Angeles", "precision": "minute", "approximate": true})
    );
    assert_eq!(incident["mitigated_at"]["at"], "2013-03-11T13:00:00-07:00");
    assert_eq!(incident["timeline"][1]["at"]["at"], "2013-03-11T13:00:00-07:00");
    assert_eq!(
        incident["actions"][0]["completed_at"],
        json!({"at": "2013-03-11T13:00:00-07:00", "zone": "America/Los_Angeles", "precision": "minute"}),
        "a completion time is a reported time like the others"
    );
    // Three days and one hour of wall clock are three days of real time.
    assert_eq!(incident["time_to_mitigate_seconds"], Value::Null, "no start of impact was reported");
    assert_eq!(incident["durations"]["time_to_mitigate"], json!({"unknown": "no start time given"}));
    assert_eq!(incident["durations"]["total"], json!({"seconds": 3 * 86_400 - 5 * 60, "approximate": true}));

    // The page shows each time in the home zone with the abbreviation in
    // force that day, UTC beside, in time order, one heading per day.
    let page = app.get(&format!("/incidents/{slug}")).await.text().await.unwrap();
    for expected in [
        "about 12:05 PST",
        "20:05 UTC",
        "15:59 PST",
        "23:59 UTC",
        "13:00 PDT",
        "20:00 UTC",
        "Times are in America/Los_Angeles: PST (UTC−08:00), then PDT (UTC−07:00) from 10 Mar 2013; UTC beside.",
        "shown in time order",
        "done 11 Mar 2013 13:00 PDT",
        "Mitigated</strong> 11 Mar 2013 13:00 PDT <span class=\"utc\">(20:00 UTC)</span>",
        "about 2 d 23 h",
    ] {
        assert!(page.contains(expected), "the page lacks {expected:?}");
    }
    let events = page.split("<ol class=\"events\">").nth(1).unwrap();
    let order: Vec<usize> = ["Customers tweet", "first post-mortem", "ranges whitelisted", "More spikes"]
        .iter()
        .map(|text| events.find(text).unwrap_or_else(|| panic!("{text} is missing")))
        .collect();
    assert!(order.windows(2).all(|pair| pair[0] < pair[1]), "time order, the untimed note in its place: {order:?}");
    assert_eq!(page.matches("<h3>Fri 8 Mar 2013</h3>").count(), 1);
    assert_eq!(page.matches("<h3>Mon 11 Mar 2013</h3>").count(), 1);
    let strip = page.split("<svg class=\"strip strip-wide\"").nth(1).unwrap().split("</svg>").next().unwrap();
    assert!(strip.contains("8 Mar 2013 12:05 PST") && strip.contains("11 Mar 2013 13:00 PDT"), "{strip}");
    assert!(!strip.contains("not drawn to scale"), "the weekend lies between detection and mitigation: to scale");

    // /actions lists what was done, when, in the report's zone.
    let actions = app.get("/actions").await.text().await.unwrap();
    assert!(actions.split("Recently done").nth(1).unwrap().contains("done 11 Mar 2013 13:00 PDT"));

    // The feed states the key moments the same way.
    let feed = app.get("/feed.atom").await.text().await.unwrap();
    assert!(feed.contains("Detected 8 Mar 2013 about 12:05 PST (20:05 UTC)"), "{feed}");
    assert!(feed.contains("Mitigated 11 Mar 2013 13:00 PDT (20:00 UTC)"));

    // The export writes the offsets and the zone as stored.
    let out = tempfile::tempdir().unwrap();
    export::export_all(&app.store, out.path(), |_| {}).await.unwrap();
    let markdown = std::fs::read_to_string(out.path().join(format!("{slug}.md"))).unwrap();
    assert!(markdown.contains("zone = \"America/Los_Angeles\""), "{markdown}");
    assert!(markdown.contains("at = \"2013-03-11T13:00:00-07:00\""), "{markdown}");
    assert!(markdown.contains("approximate = true"), "{markdown}");
    let dump = std::fs::read_to_string(out.path().join(export::DUMP_FILE)).unwrap();
    assert!(dump.contains("2013-03-08T12:05:00-08:00"));
}

async fn a_zone_that_contradicts_its_offset_is_refused_beside_the_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let refused = app
        .post_json(
            "/api/v1/incidents",
            &json!({"title": "Wrong offset", "started_at": {"at": "2013-03-11T13:00:00-08:00", "zone": "America/Los_Angeles"}}),
        )
        .await;
    assert_eq!(refused.status(), 422);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "started_at");
    let message = problem["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("PDT") && message.contains("-07:00"), "{message}");

    // A guess the server would have to make is refused too: PST written for
    // a date when Pacific time was on PDT.
    let guess = app
        .post_json(
            "/api/v1/incidents",
            &json!({"title": "A guess", "started_at": {"at": "2013-03-11T13:00:00", "zone": "PST"}}),
        )
        .await;
    assert_eq!(guess.status(), 422);
    let problem: Value = guess.json().await.unwrap();
    assert!(problem["errors"][0]["message"].as_str().unwrap().contains("read as PDT"));

    let zone = app.post_json("/api/v1/incidents", &json!({"title": "Bad zone", "zone": "Mars/Olympus"})).await;
    assert_eq!(zone.status(), 422);
    let problem: Value = zone.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "zone");
    let offset = app.post_json("/api/v1/incidents", &json!({"title": "An offset", "zone": "+02:00"})).await;
    assert_eq!(offset.status(), 422);
    let ambiguous = app.post_json("/api/v1/incidents", &json!({"title": "Which CST", "zone": "CST"})).await;
    assert_eq!(ambiguous.status(), 422, "CST is two places: the writer names one");

    // A date alone is a day in the report's zone: resolved on the 11th after
    // a mitigation at 17:30 that evening is in order.
    let same_day = app
        .create(json!({
            "title": "Resolved the same day",
            "zone": "America/Los_Angeles",
            "mitigated_at": {"at": "2013-03-11T17:30:00"},
            "resolved_at": {"at": "2013-03-11"}
        }))
        .await;
    assert_eq!(same_day["resolved_at"]["at"], "2013-03-11T00:00:00-07:00");
    assert_eq!(same_day["resolved_at"]["precision"], "day");
}

async fn a_report_without_a_home_zone_takes_the_zone_of_its_first_time(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let created = app
        .create(json!({"title": "Writes blocked", "started_at": {"at": "2013-05-20T11:30:00-07:00", "zone": "PDT"}}))
        .await;
    assert_eq!(created["zone"], "America/Los_Angeles");
    let utc = app.create(json!({"title": "Undated"})).await;
    assert_eq!(utc["zone"], "UTC");
}

/// Each seed's four durations are either a figure or a reason, and the
/// figures are the ones its source document gives.
async fn every_seeds_headline_durations_are_stated_or_explained(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    for incident in app.all_incidents("").await {
        let slug = incident["slug"].as_str().unwrap();
        // The page states each duration the API gives, or the API's reason.
        let page = app.get(&format!("/incidents/{slug}")).await.text().await.unwrap();
        for name in ["time_to_detect", "time_to_mitigate", "time_to_resolve", "total"] {
            let duration = &incident["durations"][name];
            match duration["unknown"].as_str() {
                Some(reason) => {
                    let shown = format!("<span class=\"unknown\">unknown</span> <span class=\"why\">({reason})</span>");
                    assert!(page.contains(&shown), "{slug}: {name} is unknown, and the page should say why: {reason}");
                }
                None => assert!(duration["seconds"].as_i64().is_some_and(|s| s >= 0), "{slug} {name}: {duration}"),
            }
        }
    }
    let seconds = |incident: &Value, name: &str| incident["durations"][name]["seconds"].as_i64();
    let honeycomb = app.get_json("/api/v1/incidents/honeycomb-api-outage-2019-07-09").await;
    assert_eq!(seconds(&honeycomb, "total"), Some(12 * 60), "22:50 to 23:02 UTC");
    let crates = app.get_json("/api/v1/incidents/crates-io-static-dns-record-removed-2023-01-25").await;
    let total = seconds(&crates, "total").unwrap();
    assert!((10 * 60..=15 * 60).contains(&total), "the source estimates 10 to 15 minutes, not {total} s");
    assert_eq!(crates["durations"]["total"]["approximate"], true);
    let mysql = app.get_json("/api/v1/incidents/dnsimple-dns-changes-blocked-mysql-2013-05-20").await;
    assert_eq!(seconds(&mysql, "time_to_detect"), Some(10 * 60), "about 11:30 to 11:40 PDT");
    assert_eq!(mysql["durations"]["time_to_detect"]["approximate"], true);
    // Sources that give no time of impact, or no end, say so.
    let cloudflare = app.get_json("/api/v1/incidents/cloudflare-dns-database-deletion").await;
    assert_eq!(cloudflare["durations"]["total"], json!({"unknown": "no start time given"}), "its post gives no date");
    let alias = app.get_json("/api/v1/incidents/dnsimple-alias-resolution-failures-2013-04-06").await;
    assert_eq!(alias["durations"]["time_to_resolve"], json!({"unknown": "no resolution time given"}));
}
