//! Concurrent writers: none sees "database is locked", and of two edits of
//! the same version exactly one wins.

use serde_json::json;

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    many_concurrent_creates_all_succeed,
    concurrent_edits_of_one_version_let_exactly_one_win,
    two_stores_on_one_database_write_side_by_side,
);

async fn many_concurrent_creates_all_succeed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requests = (0..40).map(|n| {
        let request = app.client.post(app.url("/api/v1/incidents")).json(&json!({
            "title": format!("Concurrent {n}"),
            "timeline": [{"kind": "note", "text": "one"}, {"kind": "note", "text": "two"}],
            "tags": ["load"],
        }));
        async move { request.send().await.expect("POST").status() }
    });
    let statuses = futures_join_all(requests).await;
    assert!(statuses.iter().all(|status| *status == 201), "{statuses:?}");
    assert_eq!(app.all_incidents("&tag=load").await.len(), 40);
}

async fn concurrent_edits_of_one_version_let_exactly_one_win(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(json!({"title": "Contested"})).await;
    let requests = (0..12).map(|n| {
        let request = app
            .client
            .put(app.url("/api/v1/incidents/contested"))
            .header("If-Match", "\"1\"")
            .json(&json!({"title": "Contested", "summary": format!("edit {n}")}));
        async move { request.send().await.expect("PUT").status().as_u16() }
    });
    let mut statuses = futures_join_all(requests).await;
    statuses.sort();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 412).count(), 11, "{statuses:?}");
    let revisions = app.get_json("/api/v1/incidents/contested/revisions").await;
    assert_eq!(revisions["items"].as_array().unwrap().len(), 2);
}

/// Like two server processes on one database file.
async fn two_stores_on_one_database_write_side_by_side(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let other = app.database.open_store().await;
    let writers = [app.store.clone(), other.clone()].into_iter().enumerate().map(|(writer, store)| {
        tokio::spawn(async move {
            for n in 0..15 {
                let input = hindsight::domain::IncidentInput {
                    title: format!("Writer {writer} incident {n}"),
                    ..Default::default()
                };
                let fields = input.validate().expect("valid");
                store.create_incident(&fields, "test", None).await.expect("no writer is ever refused");
            }
        })
    });
    for writer in writers.collect::<Vec<_>>() {
        writer.await.expect("writer finished");
    }
    assert_eq!(app.all_incidents("").await.len(), 30);
    other.close().await;
}

/// Runs futures concurrently on the test's runtime.
async fn futures_join_all<F, T>(futures: impl Iterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut results = Vec::with_capacity(handles.len());
    for handle in handles {
        results.push(handle.await.expect("task"));
    }
    results
}
