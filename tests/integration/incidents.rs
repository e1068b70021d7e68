//! The incidents resource: create, read, list, replace, patch, delete and
//! revisions, with optimistic concurrency.

use serde_json::{json, Value};

use crate::helpers::{full_incident, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    creating_an_incident_returns_it_with_location_etag_and_durations,
    a_created_incident_reads_back_field_by_field,
    a_title_alone_files_a_draft_with_a_slug_from_the_title,
    invalid_fields_get_422_with_a_message_for_each_field,
    a_duplicate_slug_gets_409,
    listing_filters_by_each_field,
    listing_pages_with_a_cursor_without_repeats_or_gaps,
    bad_list_parameters_get_400,
    replacing_with_the_current_version_bumps_it_and_keeps_a_revision,
    a_stale_if_match_gets_412_and_changes_nothing,
    a_write_that_names_no_version_gets_428,
    renaming_onto_a_taken_slug_gets_409,
    patching_merges_fields_and_keeps_the_rest,
    a_patch_is_validated_like_a_replacement,
    deleting_hides_the_incident_and_frees_its_slug,
    a_stale_delete_gets_412,
    a_delete_says_which_version_it_deletes,
    revisions_list_every_change_with_its_snapshot,
    an_unknown_incident_is_a_404_problem,
    a_pasted_timeline_is_read_line_by_line_and_nothing_is_dropped,
    the_api_moves_a_report_through_review_one_step_at_a_time,
    the_list_reads_the_pages_older_parameter_names,
    tags_services_and_organizations_in_use_are_listed_with_their_counts,
);

async fn creating_an_incident_returns_it_with_location_etag_and_durations(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut sent = full_incident("Checkout writes stalled");
    sent["status"] = json!("in_review");
    let response = app.post_json("/api/v1/incidents", &sent).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["location"], "/api/v1/incidents/checkout-writes-stalled");
    assert_eq!(response.headers()["etag"], "\"1\"");
    let incident: Value = response.json().await.unwrap();
    assert_eq!(incident["version"], 1);
    assert_eq!(incident["time_to_detect_seconds"], 600);
    assert_eq!(incident["time_to_mitigate_seconds"], 20 * 60);
    assert_eq!(incident["time_to_resolve_seconds"], 25 * 60);
    assert_eq!(incident["duration_seconds"], 25 * 60);
    assert_eq!(incident["durations"]["total"]["approximate"], false);
    assert_eq!(incident["created_by"], "tester", "the token's user is recorded");
    assert!(incident["published_at"].is_null(), "not published yet");
    let published = app
        .patch_json("/api/v1/incidents/checkout-writes-stalled", Some("\"1\""), &json!({"status": "published"}))
        .await;
    assert_eq!(published.status(), 200);
    let incident: Value = published.json().await.unwrap();
    assert!(incident["published_at"].is_string(), "a published report gets published_at");
}

async fn a_created_incident_reads_back_field_by_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let sent = full_incident("Checkout writes stalled");
    app.create(sent.clone()).await;
    let response = app.get("/api/v1/incidents/checkout-writes-stalled").await;
    assert_eq!(response.headers()["etag"], "\"1\"");
    let got: Value = response.json().await.unwrap();
    for field in [
        "title",
        "summary",
        "body",
        "impact",
        "went_well",
        "went_wrong",
        "got_lucky",
        "status",
        "severity",
        "organization",
        "services",
        "tags",
        "detection",
        "source_url",
        "authors",
        "related",
    ] {
        assert_eq!(got[field], sent[field], "{field}");
    }
    assert_eq!(got["started_at"], json!({"at": "2013-05-20T11:40:00-07:00", "zone": "PDT", "precision": "minute"}));
    assert_eq!(got["mitigated_at"], json!({"at": "2013-05-20T19:00:00Z", "zone": "UTC", "precision": "minute"}));
    let timeline = got["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 3);
    assert_eq!(timeline[0]["at"]["at"], "2013-05-20T11:40:00-07:00");
    assert_eq!(timeline[1]["kind"], "detection");
    assert_eq!(timeline[2]["at"], Value::Null, "an event without a time keeps its place");
    assert_eq!(
        got["factors"][0],
        json!({"category": "capacity", "text": "The disk had no headroom.", "primary": true})
    );
    assert_eq!(got["factors"][1]["primary"], false);
    assert_eq!(
        got["actions"][0],
        json!({"text": "Alert at 80% disk.", "owner": "ops", "status": "open", "priority": "high",
               "due_on": "2013-06-01", "tracker_url": "https://tracker.example.com/1", "completed_at": null,
               "addresses": [1]})
    );
    assert_eq!(
        got["actions"][1]["completed_at"],
        json!({"at": "2013-05-21T10:00:00Z", "zone": "UTC", "precision": "minute"})
    );
}

async fn a_title_alone_files_a_draft_with_a_slug_from_the_title(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let incident = app.create(json!({"title": "Disk full on db-3!"})).await;
    assert_eq!(incident["slug"], "disk-full-on-db-3");
    assert_eq!(incident["status"], "draft");
    assert_eq!(incident["published_at"], Value::Null);
    assert_eq!(incident["duration_seconds"], Value::Null);
}

async fn invalid_fields_get_422_with_a_message_for_each_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut body = full_incident("");
    body["severity"] = json!("sev9");
    body["timeline"][1]["at"] = json!({"at": "11:50 PDT"});
    body["detected_at"] = json!({"at": "2013-05-20T10:00:00-07:00"});
    body["actions"][0]["status"] = json!("maybe");
    let response = app.post_json("/api/v1/incidents", &body).await;
    assert_eq!(response.status(), 422);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["status"], 422);
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    for expected in ["title", "severity", "timeline[1].at", "detected_at", "actions[0].status"] {
        assert!(fields.contains(&expected), "{expected} not in {fields:?}");
    }
    assert!(problem["errors"].as_array().unwrap().iter().all(|e| !e["message"].as_str().unwrap().is_empty()));
    assert!(app.all_incidents("").await.is_empty(), "nothing was stored");
}

async fn a_duplicate_slug_gets_409(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(json!({"title": "Same"})).await;
    let response = app.post_json("/api/v1/incidents", &json!({"title": "Other", "slug": "same"})).await;
    assert_eq!(response.status(), 409);
    let problem: Value = response.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("`same`"), "{problem}");
}

async fn listing_filters_by_each_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(full_incident("Checkout writes stalled")).await;
    app.create(json!({"title": "Draft about dns", "tags": ["dns"], "services": ["resolver"], "severity": "sev1",
                      "organization": "Other Org", "started_at": {"at": "2021-02-03T04:05:00Z"}}))
        .await;
    let slugs = |items: Vec<Value>| items.iter().map(|i| i["slug"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(slugs(app.all_incidents("&status=draft").await), ["draft-about-dns"]);
    assert_eq!(slugs(app.all_incidents("&status=published").await), ["checkout-writes-stalled"]);
    assert_eq!(slugs(app.all_incidents("&severity=sev2").await), ["checkout-writes-stalled"]);
    assert_eq!(slugs(app.all_incidents("&tag=DNS").await), ["draft-about-dns"]);
    assert_eq!(slugs(app.all_incidents("&service=db.primary").await), ["checkout-writes-stalled"]);
    assert_eq!(slugs(app.all_incidents("&organization=Other%20Org").await), ["draft-about-dns"]);
    assert_eq!(slugs(app.all_incidents("&year=2013").await), ["checkout-writes-stalled"]);
    assert_eq!(slugs(app.all_incidents("&year=2021&tag=dns&severity=sev1").await), ["draft-about-dns"]);
    assert!(app.all_incidents("&year=2020").await.is_empty());
    assert_eq!(slugs(app.all_incidents("").await), ["draft-about-dns", "checkout-writes-stalled"], "newest first");
}

async fn listing_pages_with_a_cursor_without_repeats_or_gaps(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for day in 1..=7 {
        // Two incidents share each start time, so ties are paged by id.
        for n in 0..2 {
            app.create(json!({"title": format!("Incident {day} {n}"), "started_at": {"at": format!("2020-01-0{day}T00:00:00Z")}}))
                .await;
        }
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/incidents?limit=3".to_string();
    let mut pages = 0;
    loop {
        let page = app.get_json(&path).await;
        pages += 1;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|i| i["slug"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/incidents?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(pages, 5);
    assert_eq!(seen.len(), 14);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 14, "no incident appears twice");
    assert!(seen[0].starts_with("incident-7"), "newest first: {seen:?}");
}

async fn bad_list_parameters_get_400(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for query in [
        "limit=101",
        "limit=0",
        "limit=ten",
        "cursor=nonsense",
        "status=finished",
        "severity=sev0",
        "year=twenty",
        "has_open_actions=maybe",
        "order=sideways",
        "category=luck",
    ] {
        let response = app.get(&format!("/api/v1/incidents?{query}")).await;
        assert_eq!(response.status(), 400, "{query}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
    }
    assert_eq!(app.get("/api/v1/incidents?limit=100").await.status(), 200);
}

async fn replacing_with_the_current_version_bumps_it_and_keeps_a_revision(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(full_incident("Checkout writes stalled")).await;
    let mut edited = full_incident("Checkout writes stalled for 25 minutes");
    edited["timeline"] = json!([]);
    edited["revision_note"] = json!("shorter timeline");
    let response = app.put_json("/api/v1/incidents/checkout-writes-stalled", Some("\"1\""), &edited).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"], "\"2\"");
    let incident: Value = response.json().await.unwrap();
    assert_eq!(incident["slug"], "checkout-writes-stalled", "a replacement without a slug keeps its slug");
    assert_eq!(incident["title"], "Checkout writes stalled for 25 minutes");
    assert_eq!(incident["timeline"], json!([]));
    assert_eq!(incident["version"], 2);
    let revisions = app.get_json("/api/v1/incidents/checkout-writes-stalled/revisions").await;
    assert_eq!(revisions["items"][0]["version"], 2);
    assert_eq!(revisions["items"][0]["note"], "shorter timeline");
    assert_eq!(revisions["items"][1]["version"], 1);
}

async fn a_stale_if_match_gets_412_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(json!({"title": "Original"})).await;
    let first = app.put_json("/api/v1/incidents/original", Some("\"1\""), &json!({"title": "First edit"})).await;
    assert_eq!(first.status(), 200);
    let stale = app.put_json("/api/v1/incidents/original", Some("\"1\""), &json!({"title": "Second edit"})).await;
    assert_eq!(stale.status(), 412);
    assert_eq!(stale.headers()["etag"], "\"2\"");
    let problem: Value = stale.json().await.unwrap();
    assert_eq!(problem["current_version"], 2);
    let stale_in_body =
        app.put_json("/api/v1/incidents/original", None, &json!({"title": "Third", "version": 1})).await;
    assert_eq!(stale_in_body.status(), 412);
    let stale_patch = app.patch_json("/api/v1/incidents/original", Some("W/\"1\""), &json!({"title": "Fourth"})).await;
    assert_eq!(stale_patch.status(), 412);
    let current = app.get_json("/api/v1/incidents/original").await;
    assert_eq!(current["title"], "First edit");
    assert_eq!(current["version"], 2);
}

async fn a_write_that_names_no_version_gets_428(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(json!({"title": "Original"})).await;
    let put = app.put_json("/api/v1/incidents/original", None, &json!({"title": "Blind"})).await;
    assert_eq!(put.status(), 428);
    let patch = app.patch_json("/api/v1/incidents/original", None, &json!({"title": "Blind"})).await;
    assert_eq!(patch.status(), 428);
    let bad = app.put_json("/api/v1/incidents/original", Some("banana"), &json!({"title": "Blind"})).await;
    assert_eq!(bad.status(), 400);
    assert_eq!(app.get_json("/api/v1/incidents/original").await["title"], "Original");
}

async fn renaming_onto_a_taken_slug_gets_409(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(json!({"title": "First"})).await;
    app.create(json!({"title": "Second"})).await;
    let clash =
        app.put_json("/api/v1/incidents/second", Some("\"1\""), &json!({"title": "Second", "slug": "first"})).await;
    assert_eq!(clash.status(), 409);
    let renamed =
        app.put_json("/api/v1/incidents/second", Some("\"1\""), &json!({"title": "Second", "slug": "renamed"})).await;
    assert_eq!(renamed.status(), 200);
    assert_eq!(app.get("/api/v1/incidents/second").await.status(), 404);
    assert_eq!(app.get_json("/api/v1/incidents/renamed").await["version"], 2);
}

async fn patching_merges_fields_and_keeps_the_rest(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(full_incident("Checkout writes stalled")).await;
    let response = app
        .patch_json(
            "/api/v1/incidents/checkout-writes-stalled",
            Some("\"1\""),
            &json!({"severity": "sev1", "organization": null, "resolved_at": {"precision": "hour"}, "revision_note": "triage"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let incident: Value = response.json().await.unwrap();
    assert_eq!(incident["severity"], "sev1");
    assert_eq!(incident["organization"], Value::Null);
    assert_eq!(incident["resolved_at"]["precision"], "hour");
    assert_eq!(incident["resolved_at"]["at"], "2013-05-20T12:05:00-07:00");
    assert_eq!(incident["duration_seconds"], 1500, "an end known to the hour still gives a duration");
    assert_eq!(incident["durations"]["total"], json!({"seconds": 1500, "approximate": true}), "an approximate one");
    assert_eq!(incident["time_to_detect_seconds"], 600, "durations between exact ends stay");
    assert_eq!(incident["timeline"].as_array().unwrap().len(), 3, "untouched fields stay");
    assert_eq!(incident["title"], "Checkout writes stalled");
    assert_eq!(incident["version"], 2);
}

async fn a_patch_is_validated_like_a_replacement(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(json!({"title": "Original"})).await;
    let response =
        app.patch_json("/api/v1/incidents/original", Some("\"1\""), &json!({"title": "", "status": "done"})).await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["title", "status"]);
    let not_an_object = app.patch_json("/api/v1/incidents/original", Some("\"1\""), &json!(["title"])).await;
    assert_eq!(not_an_object.status(), 422);
    assert_eq!(app.get_json("/api/v1/incidents/original").await["version"], 1);
}

async fn deleting_hides_the_incident_and_frees_its_slug(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(json!({"title": "Doomed"})).await;
    assert_eq!(app.delete("/api/v1/incidents/doomed", Some("\"1\"")).await.status(), 204);
    assert_eq!(app.get("/api/v1/incidents/doomed").await.status(), 404);
    assert!(app.all_incidents("").await.is_empty());
    assert_eq!(app.delete("/api/v1/incidents/doomed", Some("*")).await.status(), 404);
    let again = app.create(json!({"title": "Doomed"})).await;
    assert_eq!(again["version"], 1, "the slug is free for a new incident");
}

async fn a_stale_delete_gets_412(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(json!({"title": "Kept"})).await;
    app.put_json("/api/v1/incidents/kept", Some("\"1\""), &json!({"title": "Kept"})).await;
    assert_eq!(app.delete("/api/v1/incidents/kept", Some("\"1\"")).await.status(), 412);
    assert_eq!(app.get("/api/v1/incidents/kept").await.status(), 200);
}

async fn a_delete_says_which_version_it_deletes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(json!({"title": "Guarded"})).await;
    let bare = app.delete("/api/v1/incidents/guarded", None).await;
    assert_eq!(bare.status(), 428);
    let problem: Value = bare.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("If-Match"), "{problem}");
    assert_eq!(app.get_json("/api/v1/incidents/guarded").await["version"], 1, "nothing was deleted");
    // `*` deletes whichever version is current.
    app.put_json("/api/v1/incidents/guarded", Some("\"1\""), &json!({"title": "Guarded"})).await;
    assert_eq!(app.delete("/api/v1/incidents/guarded", Some("*")).await.status(), 204);
    assert_eq!(app.get("/api/v1/incidents/guarded").await.status(), 404);
}

async fn revisions_list_every_change_with_its_snapshot(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(json!({"title": "Evolving", "summary": "v1"})).await;
    app.put_json("/api/v1/incidents/evolving", Some("\"1\""), &json!({"title": "Evolving", "summary": "v2"})).await;
    app.patch_json("/api/v1/incidents/evolving", Some("\"2\""), &json!({"summary": "v3"})).await;
    let revisions = app.get_json("/api/v1/incidents/evolving/revisions").await;
    let versions: Vec<i64> =
        revisions["items"].as_array().unwrap().iter().map(|r| r["version"].as_i64().unwrap()).collect();
    assert_eq!(versions, [3, 2, 1]);
    assert_eq!(revisions["items"][2]["note"], "created");
    assert_eq!(revisions["items"][2]["created_by"], "tester");
    for (version, summary) in [(1, "v1"), (2, "v2"), (3, "v3")] {
        let revision = app.get_json(&format!("/api/v1/incidents/evolving/revisions/{version}")).await;
        assert_eq!(revision["snapshot"]["summary"], summary);
        assert_eq!(revision["snapshot"]["version"], version);
    }
    assert_eq!(app.get("/api/v1/incidents/evolving/revisions/9").await.status(), 404);
    assert_eq!(app.get("/api/v1/incidents/evolving/revisions/x").await.status(), 400);
}

async fn an_unknown_incident_is_a_404_problem(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/api/v1/incidents/nope", "/api/v1/incidents/nope/revisions", "/api/v1/nothing-here"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
    }
    let put = app.put_json("/api/v1/incidents/nope", Some("\"1\""), &json!({"title": "x"})).await;
    assert_eq!(put.status(), 404);
}

async fn a_pasted_timeline_is_read_line_by_line_and_nothing_is_dropped(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let paste = "22:50 UTC capacity started to drop\n11:40 PDT - detected\n\n2013-04-06 07:49 UTC NS2 stopped responding\n09:15 deploy started\nsomething happened around lunch";
    let response =
        app.post_json("/api/v1/timeline/parse", &json!({"text": paste, "zone": "PDT", "date": "2013-04-05"})).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let rows = body["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5, "every non-empty line is a row");
    assert_eq!(rows[0]["at"], json!({"at": "2013-04-05T22:50:00Z", "zone": "UTC", "precision": "minute"}));
    assert_eq!(rows[1]["kind"], "detection");
    assert_eq!(rows[2]["text"], "NS2 stopped responding");
    assert_eq!(rows[3]["at"]["zone"], "PDT");
    assert_eq!(rows[4]["at"], Value::Null);
    assert_eq!(rows[4]["text"], "something happened around lunch", "an unreadable line is kept");
    assert!(rows[4]["error"].as_str().unwrap().contains("no time"));
    assert_eq!(rows[4]["line"], 6);
    let bad = app.post_json("/api/v1/timeline/parse", &json!({"text": "10:00 x", "zone": "Mars"})).await;
    assert_eq!(bad.status(), 422);
    let too_many = app.post_json("/api/v1/timeline/parse", &json!({"text": "10:00 UTC x\n".repeat(1_001)})).await;
    assert_eq!(too_many.status(), 422);
}

/// A status sent in a body follows the same steps as the form's buttons: a
/// report is published only from review, and a refusal names the statuses
/// it may take.
async fn the_api_moves_a_report_through_review_one_step_at_a_time(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let refused = app.post_json("/api/v1/incidents", &json!({"title": "Unreviewed", "status": "published"})).await;
    assert_eq!(refused.status(), 409);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["type"], "urn:hindsight:problem:workflow-order", "{problem}");
    assert_eq!(problem["allowed_statuses"], json!(["draft", "in_review"]));
    assert!(problem["detail"].as_str().unwrap().contains("published only after review"), "{problem}");
    assert_eq!(app.get("/api/v1/incidents/unreviewed").await.status(), 404, "nothing was filed");

    app.create(json!({"title": "Unreviewed"})).await;
    let path = "/api/v1/incidents/unreviewed";
    let skipped = app.patch_json(path, Some("\"1\""), &json!({"status": "published"})).await;
    assert_eq!(skipped.status(), 409);
    let problem: Value = skipped.json().await.unwrap();
    assert_eq!(problem["allowed_statuses"], json!(["draft", "in_review"]));
    let replaced = app.put_json(path, Some("\"1\""), &json!({"title": "Unreviewed", "status": "published"})).await;
    assert_eq!(replaced.status(), 409, "a replacement too");
    assert_eq!(app.get_json(path).await["version"], 1, "nothing changed");

    let submitted = app.patch_json(path, Some("\"1\""), &json!({"status": "in_review"})).await;
    assert_eq!(submitted.status(), 200);
    let published = app.patch_json(path, Some("\"2\""), &json!({"status": "published"})).await;
    assert_eq!(published.status(), 200);
    let back = app.patch_json(path, Some("\"3\""), &json!({"status": "in_review"})).await;
    assert_eq!(back.status(), 409, "a published report goes back to draft, not to review");
    assert_eq!(back.json::<Value>().await.unwrap()["allowed_statuses"], json!(["published", "draft"]));
    let id = app.store.get_incident("unreviewed").await.unwrap().unwrap().id;
    let steps = app.store.workflow_steps(id).await.unwrap();
    let statuses: Vec<&str> = steps.iter().map(|step| step.status.as_str()).collect();
    assert!(statuses.ends_with(&["in_review", "published"]), "{statuses:?}");
}

/// The list's filters have one set of names, shared with the page; the
/// page's older ones (`open`, `sort`) still read the same.
async fn the_list_reads_the_pages_older_parameter_names(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (title, actions) in [("Quiet", json!([])), ("Busy", json!([{"text": "Fix it", "status": "open"}]))] {
        app.create(json!({"title": title, "status": "published", "actions": actions})).await;
    }
    let slugs = |page: Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|item| item["slug"].as_str().unwrap().to_string()).collect()
    };
    let current = slugs(app.get_json("/api/v1/incidents?has_open_actions=true&order=oldest").await);
    assert_eq!(current, ["busy"]);
    assert_eq!(slugs(app.get_json("/api/v1/incidents?open=1&sort=oldest").await), current);
    let page = app.anonymous().get(app.url("/incidents?open=1")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Busy") && !page.contains("Quiet"), "the page reads them too");
    let page =
        app.anonymous().get(app.url("/incidents?has_open_actions=true")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Busy") && !page.contains("Quiet"));
    assert!(page.contains("name=\"has_open_actions\" value=\"true\" checked"), "and its form sends the current names");
}

async fn tags_services_and_organizations_in_use_are_listed_with_their_counts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let report = |title: &str, status: &str, tags: &[&str], organization: &str| json!({"title": title, "status": status, "tags": tags, "services": ["api"], "organization": organization});
    app.create(report("One", "published", &["dns", "db"], "Acme")).await;
    app.create(report("Two", "published", &["dns"], "Acme")).await;
    app.create(report("Three", "published", &["cache"], "Globex")).await;
    app.create(report("A draft", "draft", &["dns", "secret"], "Initech")).await;
    let names = |json: Value| -> Vec<(String, i64)> {
        json["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| (item["name"].as_str().unwrap().to_string(), item["count"].as_i64().unwrap()))
            .collect()
    };
    let tags = names(app.get_json("/api/v1/tags").await);
    assert_eq!(
        tags,
        [("dns".to_string(), 2), ("cache".to_string(), 1), ("db".to_string(), 1)],
        "published only, most first"
    );
    assert_eq!(names(app.get_json("/api/v1/services").await), [("api".to_string(), 3)]);
    assert_eq!(
        names(app.get_json("/api/v1/organizations").await),
        [("Acme".to_string(), 2), ("Globex".to_string(), 1)]
    );
}
