//! Malformed, hostile and oversized requests get a clear 4xx, and the server
//! keeps serving.

use serde_json::{json, Value};

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    malformed_json_is_a_400_and_a_wrong_shape_a_422,
    a_hundred_thousand_nested_arrays_get_a_400_and_the_server_keeps_serving,
    a_body_over_the_limit_gets_a_413,
    a_body_that_is_not_json_gets_a_415,
    a_method_the_endpoint_lacks_gets_a_405_problem,
    health_and_readiness_answer,
    markdown_nested_past_the_limit_is_refused_on_write_and_never_stalls_a_reader,
    a_title_disguised_by_a_bidirectional_override_is_refused,
    previews_need_a_caller_and_deep_ones_leave_the_server_answering,
);

async fn post_raw(app: &TestApp, path: &str, content_type: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
    app.client.post(app.url(path)).header("Content-Type", content_type).body(body).send().await.expect("POST")
}

async fn malformed_json_is_a_400_and_a_wrong_shape_a_422(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for body in ["{", "{\"title\": }", "not json", "{\"title\": \"x\"} {}", "\u{feff}{}", "{\"title\": \"\\ud800\"}"] {
        let response = post_raw(&app, "/api/v1/incidents", "application/json", body).await;
        assert_eq!(response.status(), 400, "{body:?}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
    }
    let invalid_utf8 =
        post_raw(&app, "/api/v1/incidents", "application/json", vec![b'{', b'"', 0xff, 0xfe, b'"', b'}']).await;
    assert_eq!(invalid_utf8.status(), 400);
    let wrong_type = app.post_json("/api/v1/incidents", &json!({"title": 42})).await;
    assert_eq!(wrong_type.status(), 422);
    let problem: Value = wrong_type.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "title");
    let nested_wrong = app.post_json("/api/v1/incidents", &json!({"title": "x", "timeline": [{"text": ["a"]}]})).await;
    assert_eq!(nested_wrong.status(), 422);
    let problem: Value = nested_wrong.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "timeline[0].text");
}

async fn a_hundred_thousand_nested_arrays_get_a_400_and_the_server_keeps_serving(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(json!({"title": "Victim"})).await;
    let arrays = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let objects = format!("{}1{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
    let inside_a_field = format!("{{\"title\": \"x\", \"extra\": {arrays}}}");
    for body in [&arrays, &objects, &inside_a_field] {
        let created = post_raw(&app, "/api/v1/incidents", "application/json", body.clone()).await;
        assert_eq!(created.status(), 400);
        let problem: Value = created.json().await.unwrap();
        assert!(problem["detail"].as_str().unwrap().contains("nested"), "{problem}");
        let patched = app
            .client
            .patch(app.url("/api/v1/incidents/victim"))
            .header("Content-Type", "application/merge-patch+json")
            .header("If-Match", "\"1\"")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(patched.status(), 400);
        let replaced = app
            .client
            .put(app.url("/api/v1/incidents/victim"))
            .header("Content-Type", "application/json")
            .header("If-Match", "\"1\"")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(replaced.status(), 400);
    }
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get_json("/api/v1/incidents/victim").await["version"], 1);
}

async fn a_body_over_the_limit_gets_a_413(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // One byte over the limit: the server reads the whole body before it
    // answers, so the client is never cut off mid-write.
    let overhead = json!({"title": "Huge", "body": ""}).to_string().len();
    let huge = json!({"title": "Huge", "body": "x".repeat(hindsight::app::MAX_BODY_BYTES + 1 - overhead)});
    assert_eq!(huge.to_string().len(), hindsight::app::MAX_BODY_BYTES + 1);
    let response = app.post_json("/api/v1/incidents", &huge).await;
    assert_eq!(response.status(), 413);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let too_long_for_the_field = json!({"title": "Long", "body": "x".repeat(300 * 1024)});
    let response = app.post_json("/api/v1/incidents", &too_long_for_the_field).await;
    assert_eq!(response.status(), 422, "within the body limit but over the field limit");
    assert_eq!(app.get("/healthz").await.status(), 200);
}

async fn a_body_that_is_not_json_gets_a_415(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let form = post_raw(&app, "/api/v1/incidents", "application/x-www-form-urlencoded", "title=x").await;
    assert_eq!(form.status(), 415);
    let none = app.client.post(app.url("/api/v1/incidents")).body("{\"title\": \"x\"}").send().await.unwrap();
    assert_eq!(none.status(), 415);
    assert_eq!(none.headers()["content-type"], "application/problem+json");
}

async fn a_method_the_endpoint_lacks_gets_a_405_problem(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app.client.delete(app.url("/api/v1/incidents")).send().await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
}

async fn health_and_readiness_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(app.get("/healthz").await.text().await.unwrap(), "ok");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    app.store.close().await;
    assert_eq!(app.get("/readyz").await.status(), 503, "not ready once the database is gone");
    assert_eq!(app.get("/healthz").await.status(), 200);
}

/// Deeply nested Markdown costs the sanitiser the square of its depth: it is
/// refused on write and by the preview, beside its field, and a deep text
/// stored before the limit is shown as a notice without being sanitised.
async fn markdown_nested_past_the_limit_is_refused_on_write_and_never_stalls_a_reader(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let quotes = format!("{}deep", "> ".repeat(100_000));
    let divs = "<div>".repeat(1_500);
    for (field, incident) in [
        ("body", json!({"title": "Deep quotes", "body": quotes})),
        ("timeline[0].text", json!({"title": "Deep divs", "timeline": [{"text": divs}]})),
    ] {
        let started = std::time::Instant::now();
        let refused = app.post_json("/api/v1/incidents", &incident).await;
        assert_eq!(refused.status(), 422, "{field}");
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "refused without sanitising");
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], field);
        assert!(problem["errors"][0]["message"].as_str().unwrap().contains("at most 64"), "{problem}");
    }
    let preview = app.post_json("/api/v1/preview", &json!({"markdown": quotes})).await;
    assert_eq!(preview.status(), 422);
    let fine = app.post_json("/api/v1/preview", &json!({"markdown": "> > > three quotes"})).await;
    assert_eq!(fine.status(), 200);

    // A deep text stored before the limit existed, written past validation.
    let mut fields =
        hindsight::domain::IncidentInput { title: "Stored deep".into(), ..Default::default() }.validate().unwrap();
    fields.status = hindsight::domain::Status::Published;
    fields.summary = quotes.clone();
    app.store.create_incident(&fields, "test", None).await.unwrap();
    let started = std::time::Instant::now();
    let list = app.get("/incidents").await;
    assert_eq!(list.status(), 200);
    assert!(list.text().await.unwrap().contains("Not shown: this text nests"));
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "the list did not wait for the sanitiser");
    assert_eq!(app.get("/healthz").await.status(), 200);
}

async fn a_title_disguised_by_a_bidirectional_override_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response =
        app.post_json("/api/v1/incidents", &json!({"title": "Quarterly \u{202E}txt.exe", "tags": ["ok"]})).await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "title", "{problem}");
    assert!(app.all_incidents("").await.is_empty(), "nothing was written");
    let tagged = app.post_json("/api/v1/incidents", &json!({"title": "Fine", "tags": ["dns\u{2067}"]})).await;
    assert_eq!(tagged.status(), 422);
}

/// The preview renders on the heavy-work threads, never on the workers that
/// answer everyone else, and only for someone signed in.
async fn previews_need_a_caller_and_deep_ones_leave_the_server_answering(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anonymous = app.anonymous().post(app.url("/api/v1/preview")).json(&json!({"markdown": "*hi*"})).send();
    assert_eq!(anonymous.await.unwrap().status(), 401);

    // Two previews of 125,000 quotes at once, the bomb of the security pass,
    // while the server goes on answering its health check.
    let bomb = json!({"markdown": "> ".repeat(125_000)});
    let previews: Vec<_> =
        (0..2).map(|_| tokio::spawn(app.client.post(app.url("/api/v1/preview")).json(&bomb).send())).collect();
    for _ in 0..20 {
        assert_eq!(app.get("/healthz").await.status(), 200);
    }
    for preview in previews {
        let response = preview.await.unwrap().unwrap();
        assert_eq!(response.status(), 422);
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "markdown", "{problem}");
    }
    assert_eq!(app.post_json("/api/v1/preview", &json!({"markdown": "*hi*"})).await.status(), 200);
}
