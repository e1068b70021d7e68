//! The API as a whole: its OpenAPI document against the router, and the
//! endpoints that work across reports (actions, export) or move one
//! (workflow steps, restoring a revision).

use serde_json::{json, Value};

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use hindsight::import;

on_both_backends!(
    the_document_describes_every_operation_the_router_answers_and_no_other,
    action_items_across_reports_are_filtered_and_paged,
    bad_action_filters_are_named,
    the_export_streams_what_the_caller_may_see_and_imports_back,
    a_report_moves_through_review_by_workflow_steps,
    publishing_by_a_workflow_step_follows_who_may_publish,
    an_old_revision_is_restored_as_a_new_version,
);

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Each documented operation is answered by its handler (not the API's
/// "no such endpoint" or "method not allowed"), and every other method on a
/// documented path is refused with 405. (That the router serves no path
/// the document leaves out is `api::tests`.)
async fn the_document_describes_every_operation_the_router_answers_and_no_other(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(json!({"title": "Probe", "status": "published"})).await;
    let document = app.anonymous().get(app.url("/api/v1/openapi.json")).send().await.unwrap();
    assert_eq!(document.status(), 200);
    let document: Value = document.json().await.unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(document["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    let incident = document["components"]["schemas"]["Incident"].to_string();
    assert!(incident.contains("time_to_resolve_seconds") && incident.contains("IncidentFields"), "{incident}");
    let published = &document["webhooks"]["incident.published"]["post"];
    assert_eq!(
        published["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/WebhookPayload"
    );
    assert!(document["components"]["schemas"]["WebhookPayload"]["properties"]["change_id"].is_object());
    let paths = document["paths"].as_object().unwrap();
    for expected in ["/api/v1/actions", "/api/v1/export", "/api/v1/incidents/{slug}/revisions/{version}/restore"] {
        assert!(paths.contains_key(expected), "{expected} is documented");
    }
    for (path, item) in paths {
        let concrete = path.replace("{slug}", "probe").replace("{version}", "1");
        for method in METHODS {
            let request = app
                .client
                .request(method.to_uppercase().parse().unwrap(), app.url(&concrete))
                .header("Content-Type", "application/json")
                .body("{}");
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let body = response.text().await.unwrap();
            match item.get(method) {
                Some(operation) => {
                    assert_ne!(status, 405, "{method} {path} is documented but refused");
                    assert!(!body.contains("no API endpoint"), "{method} {path} is documented but not routed");
                    assert!(
                        operation["responses"].get(status.to_string()).is_some(),
                        "{method} {path} answered {status}, which it does not document: {body}"
                    );
                    assert!(operation["responses"]["500"]["$ref"].is_string(), "{method} {path} names its problems");
                }
                None => assert_eq!(status, 405, "{method} {path} is not documented, so it must be refused"),
            }
        }
    }
}

async fn action_items_across_reports_are_filtered_and_paged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let report = |title: &str, services: &[&str], actions: Value| json!({"title": title, "status": "published", "services": services, "actions": actions});
    app.create(report(
        "Older",
        &["dns"],
        json!([
            {"text": "Add a canary", "owner": "ann", "status": "open", "priority": "high", "due_on": "2020-01-01"},
            {"text": "Write the runbook", "owner": "bob", "status": "done", "priority": "low"},
        ]),
    ))
    .await;
    app.create(report(
        "Newer",
        &["api"],
        json!([
            {"text": "Alert on lag", "owner": "ann", "status": "in_progress", "due_on": "2999-01-01"},
            {"text": "Drop the flag", "status": "wont_do"},
        ]),
    ))
    .await;
    app.create(json!({"title": "A draft", "actions": [{"text": "Secret", "owner": "ann"}]})).await;

    let texts = |page: &Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|item| item["text"].as_str().unwrap().to_string()).collect()
    };
    let all = app.get_json("/api/v1/actions").await;
    assert_eq!(
        texts(&all),
        ["Alert on lag", "Drop the flag", "Add a canary", "Write the runbook"],
        "published reports only, the newest report's first, each in its order"
    );
    let first = &all["items"][2];
    assert_eq!(first["incident"]["slug"], "older");
    assert_eq!(first["position"], 0);
    assert_eq!(first["overdue"], true);
    assert_eq!(first["due_on"], "2020-01-01");

    for (query, expected) in [
        ("owner=ann", vec!["Alert on lag", "Add a canary"]),
        ("status=done", vec!["Write the runbook"]),
        ("overdue=true", vec!["Add a canary"]),
        ("overdue=false", vec!["Alert on lag", "Drop the flag", "Write the runbook"]),
        ("priority=high", vec!["Add a canary"]),
        ("service=DNS", vec!["Add a canary", "Write the runbook"]),
        ("owner=ann&service=api", vec!["Alert on lag"]),
    ] {
        assert_eq!(texts(&app.get_json(&format!("/api/v1/actions?{query}")).await), expected, "{query}");
    }

    let mut seen = Vec::new();
    let mut path = "/api/v1/actions?limit=1".to_string();
    loop {
        let page = app.get_json(&path).await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        seen.extend(texts(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/actions?limit=1&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, texts(&all), "pages of one add up to the whole, without repeats");
}

async fn bad_action_filters_are_named(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app.get("/api/v1/actions?status=finished&overdue=maybe&limit=500&cursor=x").await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["status", "overdue", "cursor", "limit"]);
}

async fn the_export_streams_what_the_caller_may_see_and_imports_back(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for index in 0..150 {
        app.create(json!({"title": format!("Published {index}"), "status": "published", "tags": ["bulk"]})).await;
    }
    app.create(json!({"title": "Still a draft", "summary": "Not for readers"})).await;

    let lines = |body: String| -> Vec<Value> { body.lines().map(|line| serde_json::from_str(line).unwrap()).collect() };
    let anonymous = app.anonymous().get(app.url("/api/v1/export")).send().await.unwrap();
    assert_eq!(anonymous.status(), 200);
    assert_eq!(anonymous.headers()["content-type"], "application/x-ndjson");
    let public = lines(anonymous.text().await.unwrap());
    assert_eq!(public[0]["format"], "hindsight-export", "a header line first");
    assert_eq!(public.len(), 1 + 150, "more than one page, and no draft for a reader");
    assert!(public[1..].iter().all(|incident| incident["status"] == "published"));

    let body = app.get("/api/v1/export").await.text().await.unwrap();
    let everything = lines(body.clone());
    assert_eq!(everything.len(), 1 + 151, "a writer's token sees the draft too");
    let draft = everything.iter().find(|incident| incident["slug"] == "still-a-draft").unwrap();
    assert_eq!(draft["summary"], "Not for readers");

    let compressed = app.client.get(app.url("/api/v1/export")).header("Accept-Encoding", "gzip").send().await.unwrap();
    assert_eq!(compressed.headers()["content-encoding"], "gzip");
    assert!(compressed.bytes().await.is_ok(), "a compressed stream ends cleanly");

    let file = tempfile::Builder::new().suffix(".jsonl").tempfile().unwrap();
    std::fs::write(file.path(), body).unwrap();
    let copy = TestApp::spawn(backend).await;
    let report = import::import_path(&copy.store, file.path(), "import", |_, _, _| {}).await.unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(copy.all_incidents("").await.len(), 151, "the export reads back with `hindsight import`");
}

async fn a_report_moves_through_review_by_workflow_steps(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(json!({"title": "Stepping"})).await;
    let step = |step: &str, version: i64| {
        let body = json!({"step": step});
        let request = app
            .client
            .post(app.url("/api/v1/incidents/stepping/workflow"))
            .header("If-Match", format!("\"{version}\""))
            .json(&body);
        async move { request.send().await.unwrap() }
    };
    let early = step("publish", 1).await;
    assert_eq!(early.status(), 409, "a draft is submitted before it is published");
    assert!(early.text().await.unwrap().contains("in review first"));

    let submitted = step("submit", 1).await;
    assert_eq!(submitted.status(), 200);
    assert_eq!(submitted.headers()["etag"], "\"2\"");
    assert_eq!(submitted.json::<Value>().await.unwrap()["status"], "in_review");
    assert_eq!(step("publish", 1).await.status(), 412, "a stale step changes nothing");
    let published = step("publish", 2).await;
    assert_eq!(published.json::<Value>().await.unwrap()["status"], "published");

    let unknown = step("archive", 3).await;
    assert_eq!(unknown.status(), 422);
    let noted = app
        .client
        .post(app.url("/api/v1/incidents/stepping/workflow"))
        .json(&json!({"step": "unpublish", "version": 3, "note": "the timeline is wrong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(noted.json::<Value>().await.unwrap()["status"], "draft");
    let revisions = app.get_json("/api/v1/incidents/stepping/revisions").await;
    let notes: Vec<&str> =
        revisions["items"].as_array().unwrap().iter().map(|r| r["note"].as_str().unwrap_or("")).collect();
    assert_eq!(notes[..3], ["the timeline is wrong", "published", "submitted for review"]);
    let readers = app.anonymous().post(app.url("/api/v1/incidents/stepping/workflow")).json(&json!({"step": "submit"}));
    assert_eq!(readers.send().await.unwrap().status(), 401, "a step needs a write token");
}

/// With `--publish-by not-author`, the step that publishes is refused to
/// the report's author, by API as on the form, and taken from another writer.
async fn publishing_by_a_workflow_step_follows_who_may_publish(backend: Backend) {
    use hindsight::domain::workflow::Publisher;
    let app =
        TestApp::spawn_configured(backend, |app| hindsight::app::App { publisher: Publisher::NotTheAuthor, ..app })
            .await;
    app.create(json!({"title": "Reviewed by another", "status": "in_review"})).await;
    let publish = |token: Option<String>| {
        let mut request = app
            .client
            .post(app.url("/api/v1/incidents/reviewed-by-another/workflow"))
            .header("If-Match", "\"1\"")
            .json(&json!({"step": "publish"}));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        async move { request.send().await.unwrap() }
    };
    let by_author = publish(None).await;
    assert_eq!(by_author.status(), 403);
    assert!(by_author.text().await.unwrap().contains("someone other than its author"));

    hindsight::auth::add_user(&app.store, "rev", hindsight::domain::Role::Writer, "test").await.unwrap();
    let token =
        hindsight::auth::tokens::add_token(&app.store, "test", "rev", "review", hindsight::domain::Scope::Write, None)
            .await
            .unwrap();
    let by_reviewer = publish(Some(token)).await;
    assert_eq!(by_reviewer.status(), 200);
    assert_eq!(by_reviewer.json::<Value>().await.unwrap()["status"], "published");
}

async fn an_old_revision_is_restored_as_a_new_version(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(json!({"title": "Restorable", "summary": "The first account", "status": "published"})).await;
    let path = "/api/v1/incidents/restorable";
    let edited = app.patch_json(path, Some("\"1\""), &json!({"summary": "A wrong account"})).await;
    assert_eq!(edited.status(), 200);

    let restore = |version: &str, if_match: Option<&str>| {
        let mut request = app.client.post(app.url(&format!("{path}/revisions/{version}/restore")));
        if let Some(tag) = if_match {
            request = request.header("If-Match", tag);
        }
        async move { request.send().await.unwrap() }
    };
    assert_eq!(restore("1", None).await.status(), 428, "a restore names the version it replaces");
    assert_eq!(restore("1", Some("\"1\"")).await.status(), 412, "and is refused when that is stale");
    assert_eq!(restore("9", Some("\"2\"")).await.status(), 404);
    assert_eq!(restore("one", Some("\"2\"")).await.status(), 400);

    let restored = restore("1", Some("\"2\"")).await;
    assert_eq!(restored.status(), 200);
    let incident: Value = restored.json().await.unwrap();
    assert_eq!(incident["summary"], "The first account");
    assert_eq!(incident["version"], 3);
    assert_eq!(incident["status"], "in_review", "restored text on a published report goes back to review");
    let revisions = app.get_json(&format!("{path}/revisions")).await;
    assert_eq!(revisions["items"][0]["note"], "restored version 1; back to review");
}
