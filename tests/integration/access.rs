//! Who may do what through the API: anyone reads published reports; only a
//! writer's write-scope token changes them or sees drafts.

use serde_json::{json, Value};

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use hindsight::auth::tokens::{add_token, hash_token};
use hindsight::domain::{Role, Scope};

on_both_backends!(
    an_unauthenticated_write_is_refused_and_changes_nothing,
    a_read_scope_token_or_a_reader_cannot_write,
    invalid_expired_and_malformed_tokens_get_401,
    the_bearer_scheme_is_read_in_any_case,
    drafts_are_hidden_from_callers_who_are_not_writers,
    the_audit_log_records_every_write_and_only_admins_read_it,
);

async fn an_unauthenticated_write_is_refused_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(json!({"title": "Guarded", "status": "published"})).await;
    let anonymous = app.anonymous();
    let url = app.url("/api/v1/incidents/guarded");
    let attempts = [
        anonymous.post(app.url("/api/v1/incidents")).json(&json!({"title": "Sneaky"})),
        anonymous.put(&url).header("If-Match", "\"1\"").json(&json!({"title": "Defaced"})),
        anonymous.patch(&url).header("If-Match", "\"1\"").json(&json!({"title": "Defaced"})),
        anonymous.delete(&url),
    ];
    for attempt in attempts {
        let response = attempt.send().await.unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
    }
    let incident = app.get_json("/api/v1/incidents/guarded").await;
    assert_eq!((incident["title"].as_str(), incident["version"].as_i64()), (Some("Guarded"), Some(1)));
    assert_eq!(app.all_incidents("").await.len(), 1, "nothing was created");
}

async fn a_read_scope_token_or_a_reader_cannot_write(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(json!({"title": "Guarded", "status": "published"})).await;
    let read_token = add_token(&app.store, "test", "tester", "read only", Scope::Read, None).await.unwrap();
    hindsight::auth::add_user(&app.store, "rita", Role::Reader, "test").await.unwrap();
    let reader_token = add_token(&app.store, "test", "rita", "reader's", Scope::Write, None).await.unwrap();
    for token in [&read_token, &reader_token] {
        let client = app.anonymous();
        let created = client
            .post(app.url("/api/v1/incidents"))
            .bearer_auth(token)
            .json(&json!({"title": "Not allowed"}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 403);
        let problem: Value = created.json().await.unwrap();
        assert!(problem["detail"].as_str().unwrap().contains("read"), "{problem}");
        let deleted = client.delete(app.url("/api/v1/incidents/guarded")).bearer_auth(token).send().await.unwrap();
        assert_eq!(deleted.status(), 403);
        // Reading works with the same token.
        let read = client.get(app.url("/api/v1/incidents/guarded")).bearer_auth(token).send().await.unwrap();
        assert_eq!(read.status(), 200);
    }
    assert_eq!(app.get_json("/api/v1/incidents/guarded").await["version"], 1);
    assert_eq!(app.all_incidents("").await.len(), 1);
}

async fn invalid_expired_and_malformed_tokens_get_401(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let tester = app.store.get_user("tester").await.unwrap().unwrap();
    let expired = "hst_expiredexpiredexpiredexpiredexpired1";
    let yesterday = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    app.store
        .create_token("test", tester.id, "old", &hash_token(expired), Scope::Write, Some(yesterday))
        .await
        .unwrap();
    let client = app.anonymous();
    for header in ["Bearer hst_nosuchtoken", &format!("Bearer {expired}"), "Basic dGVzdGVyOnB3", "Bearer", "bearer x"] {
        let response = client
            .post(app.url("/api/v1/incidents"))
            .header("Authorization", header)
            .json(&json!({"title": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{header}");
        let reading = client.get(app.url("/api/v1/incidents")).header("Authorization", header).send().await.unwrap();
        assert_eq!(reading.status(), 401, "a bad token is refused even for reading: {header}");
    }
    let problem: Value = client
        .get(app.url("/api/v1/incidents"))
        .header("Authorization", format!("Bearer {expired}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("expired"));
    assert!(app.all_incidents("").await.is_empty());
}

async fn the_bearer_scheme_is_read_in_any_case(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = add_token(&app.store, "test", "tester", "scripts", Scope::Write, None).await.unwrap();
    for (n, scheme) in ["bearer", "BEARER", "Bearer"].into_iter().enumerate() {
        let response = app
            .anonymous()
            .post(app.url("/api/v1/incidents"))
            .header("Authorization", format!("{scheme} {token}"))
            .json(&json!({"title": format!("Scripted {n}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{scheme}");
    }
}

async fn drafts_are_hidden_from_callers_who_are_not_writers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(json!({"title": "Secret draft", "status": "draft"})).await;
    app.create(json!({"title": "Public report", "status": "published"})).await;
    let anonymous = app.anonymous();
    let list: Value = anonymous.get(app.url("/api/v1/incidents")).send().await.unwrap().json().await.unwrap();
    let slugs: Vec<&str> = list["items"].as_array().unwrap().iter().map(|i| i["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["public-report"]);
    let asked: Value =
        anonymous.get(app.url("/api/v1/incidents?status=draft")).send().await.unwrap().json().await.unwrap();
    assert_eq!(asked["items"], json!([]));
    for path in [
        "/api/v1/incidents/secret-draft",
        "/api/v1/incidents/secret-draft/revisions",
        "/api/v1/incidents/secret-draft/revisions/1",
    ] {
        assert_eq!(anonymous.get(app.url(path)).send().await.unwrap().status(), 404, "{path}");
        assert_eq!(app.get(path).await.status(), 200, "a writer sees {path}");
    }
    assert_eq!(app.all_incidents("&status=draft").await.len(), 1, "a writer lists drafts");
    // A published report's revisions hold its draft-era text: writers only.
    for path in ["/api/v1/incidents/public-report/revisions", "/api/v1/incidents/public-report/revisions/1"] {
        assert_eq!(anonymous.get(app.url(path)).send().await.unwrap().status(), 401, "{path}");
        assert_eq!(app.get(path).await.status(), 200, "a writer reads {path}");
    }
}

async fn the_audit_log_records_every_write_and_only_admins_read_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(json!({"title": "Audited"})).await;
    app.put_json("/api/v1/incidents/audited", Some("\"1\""), &json!({"title": "Audited again"})).await;
    app.delete("/api/v1/incidents/audited", Some("\"2\"")).await;
    hindsight::auth::add_user(&app.store, "wes", Role::Writer, "tester").await.unwrap();
    let writer_token = add_token(&app.store, "tester", "wes", "wes's", Scope::Write, None).await.unwrap();
    let log = app.get_json("/api/v1/audit?limit=500").await;
    let entries: Vec<(String, String, String)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().into(),
                e["action"].as_str().unwrap().into(),
                e["subject"].as_str().unwrap().into(),
            )
        })
        .collect();
    let has = |actor: &str, action: &str, subject: &str| {
        entries.iter().any(|(a, b, c)| a == actor && b == action && (subject.is_empty() || c == subject))
    };
    assert!(has("tester", "incident.create", "audited"), "{entries:?}");
    assert!(has("tester", "incident.edit", "audited"), "{entries:?}");
    assert!(has("tester", "incident.delete", "audited"), "{entries:?}");
    assert!(has("tester", "user.create", "wes"), "{entries:?}");
    assert!(has("tester", "token.create", ""), "{entries:?}");
    assert!(log["items"][0]["at"].as_str().unwrap().ends_with('Z'));
    let as_writer = app.anonymous().get(app.url("/api/v1/audit")).bearer_auth(&writer_token).send().await.unwrap();
    assert_eq!(as_writer.status(), 403);
    assert_eq!(app.anonymous().get(app.url("/api/v1/audit")).send().await.unwrap().status(), 401);
    let paged = app.get_json("/api/v1/audit?limit=2").await;
    assert_eq!(paged["items"].as_array().unwrap().len(), 2);
    let before = paged["next_before"].as_i64().unwrap();
    let older = app.get_json(&format!("/api/v1/audit?limit=500&before={before}")).await;
    assert!(older["items"].as_array().unwrap().iter().all(|e| e["id"].as_i64().unwrap() < before));
}
