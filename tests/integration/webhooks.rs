//! Webhooks against a real receiver on 127.0.0.1: signed, in order, once
//! each, and still once each when the receiver was down and came back
//! while the server stopped and another took over.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use serde_json::{json, Value};

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use hindsight::webhooks::{self, Settings};

on_both_backends!(
    each_announcement_reaches_the_receiver_once_signed_and_in_order,
    a_receiver_that_was_down_gets_each_publication_once_after_a_restart,
    the_command_line_adds_lists_and_removes_webhooks,
    a_removed_webhook_is_sent_nothing_more,
);

async fn a_removed_webhook_is_sent_nothing_more(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let port = free_port();
    let received: Received = Arc::default();
    let secret = webhooks::new_secret().unwrap();
    let hook = app.store.add_webhook(&format!("http://127.0.0.1:{port}/hook"), &secret, "tester").await.unwrap();
    let sender = webhooks::spawn(app.store.clone(), fast());
    app.create(json!({"title": "Unheard outage", "status": "published"})).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !app.store.deliveries(Some(hook.id), 5).await.unwrap().iter().any(|delivery| delivery.attempts >= 1) {
        assert!(Instant::now() < deadline, "no attempt was made");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(app.store.remove_webhook(hook.id, "tester").await.unwrap());
    let _receiver = receiver(port, received.clone()).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(received.lock().unwrap().is_empty(), "nothing is sent after the webhook is removed");
    let log = app.store.deliveries(Some(hook.id), 5).await.unwrap();
    assert_eq!(log[0].state, "failed");
    assert_eq!(log[0].last_error.as_deref(), Some("the webhook was removed"));
    sender.abort();
}

async fn the_command_line_adds_lists_and_removes_webhooks(backend: Backend) {
    let database = crate::helpers::TestDatabase::new(backend).await;
    let run = |args: &[&str]| {
        let output = crate::helpers::hindsight(&database, backend)
            .arg("webhook")
            .args(args)
            .output()
            .expect("run hindsight webhook");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).to_string(),
            String::from_utf8_lossy(&output.stderr).to_string(),
        )
    };
    let (code, _, refused) = run(&["add", "ftp://example.com/hook"]);
    assert_eq!(code, Some(2));
    assert!(refused.contains("must start with https://"), "{refused}");
    let (code, added, _) = run(&["add", "https://hooks.example.com/hindsight"]);
    assert_eq!(code, Some(0));
    assert!(added.contains("added webhook 1 for https://hooks.example.com/hindsight"), "{added}");
    let secret = added.lines().find_map(|line| line.strip_prefix("its secret: ")).unwrap();
    assert_eq!(secret.len(), 64, "32 random bytes in hex");
    let (_, listed, _) = run(&["list"]);
    assert!(listed.contains("https://hooks.example.com/hindsight") && !listed.contains(secret), "{listed}");
    assert_eq!(run(&["remove", "1"]).0, Some(0));
    assert_eq!(run(&["remove", "1"]).0, Some(2), "removed already");
    assert!(!run(&["list"]).1.contains("hooks.example.com"));
}

/// What the receiver was sent: the event header, the signature header and
/// the body.
type Received = Arc<Mutex<Vec<(String, String, String, String)>>>;

/// A receiver on `port` of 127.0.0.1 that answers 200 and keeps what it
/// was sent, until the returned task is aborted.
async fn receiver(port: u16, received: Received) -> tokio::task::JoinHandle<()> {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_reuseaddr(true).unwrap();
    socket.bind(([127, 0, 0, 1], port).into()).unwrap();
    let listener = socket.listen(64).unwrap();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let received = received.clone();
            async move {
                let header =
                    |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
                received.lock().unwrap().push((
                    header("x-hindsight-event"),
                    header("x-hindsight-signature-256"),
                    header("x-hindsight-delivery"),
                    body,
                ));
                "thanks"
            }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    })
}

fn fast() -> Settings {
    Settings {
        poll: Duration::from_millis(50),
        first_retry: Duration::from_secs(1),
        longest_retry: Duration::from_secs(1),
        max_attempts: 100,
        timeout: Duration::from_secs(2),
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits until `received` holds `count` requests, for at most 30 s.
async fn wait_for(received: &Received, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while received.lock().unwrap().len() < count {
        assert!(Instant::now() < deadline, "only {} of {count} arrived", received.lock().unwrap().len());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn events(received: &Received) -> Vec<(String, String)> {
    received
        .lock()
        .unwrap()
        .iter()
        .map(|(event, _, _, body)| {
            let body: Value = serde_json::from_str(body).unwrap();
            (event.clone(), body["incident"]["slug"].as_str().unwrap_or_default().to_string())
        })
        .collect()
}

async fn each_announcement_reaches_the_receiver_once_signed_and_in_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let port = free_port();
    let received: Received = Arc::default();
    let _receiver = receiver(port, received.clone()).await;
    let secret = webhooks::new_secret().unwrap();
    let hook = app.store.add_webhook(&format!("http://127.0.0.1:{port}/hook"), &secret, "tester").await.unwrap();
    let sender = webhooks::spawn(app.store.clone(), fast());

    app.create(json!({"title": "Quiet draft"})).await;
    app.create(json!({"title": "Loud outage", "status": "published"})).await;
    let edited =
        app.patch_json("/api/v1/incidents/loud-outage", Some("\"1\""), &json!({"summary": "Now with a summary"})).await;
    assert_eq!(edited.status(), 200);
    let unpublished = app.patch_json("/api/v1/incidents/loud-outage", Some("\"2\""), &json!({"status": "draft"})).await;
    assert_eq!(unpublished.status(), 200);
    let dropped = app.delete("/api/v1/incidents/quiet-draft", Some("*")).await;
    assert_eq!(dropped.status(), 204);
    app.create(json!({"title": "Second outage", "status": "published"})).await;
    assert_eq!(app.delete("/api/v1/incidents/second-outage", Some("*")).await.status(), 204);

    wait_for(&received, 5).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let expected = [
        ("incident.published", "loud-outage"),
        ("incident.updated", "loud-outage"),
        ("incident.unpublished", "loud-outage"),
        ("incident.published", "second-outage"),
        ("incident.deleted", "second-outage"),
    ];
    let expected: Vec<(String, String)> = expected.iter().map(|(e, s)| (e.to_string(), s.to_string())).collect();
    assert_eq!(events(&received), expected, "drafts are never announced; the rest in order, once each");

    for (_, signature, _, body) in received.lock().unwrap().iter() {
        assert_eq!(signature, &webhooks::sign(&secret, body.as_bytes()), "each body is signed with the secret");
    }
    let first: Value = serde_json::from_str(&received.lock().unwrap()[1].3).unwrap();
    assert_eq!(first["incident"]["summary"], "Now with a summary", "the report as that write left it");
    assert_eq!(first["incident"]["version"], 2);

    let log = app.store.deliveries(Some(hook.id), 50).await.unwrap();
    assert_eq!(log.len(), 5);
    assert!(log.iter().all(|delivery| delivery.state == "delivered" && delivery.last_status == Some(200)));
    sender.abort();
}

async fn a_receiver_that_was_down_gets_each_publication_once_after_a_restart(backend: Backend) {
    let first = TestApp::spawn(backend).await;
    let port = free_port();
    let received: Received = Arc::default();
    let secret = webhooks::new_secret().unwrap();
    let url = format!("http://127.0.0.1:{port}/hook");
    let hook = first.store.add_webhook(&url, &secret, "tester").await.unwrap();
    let sender = webhooks::spawn(first.store.clone(), fast());
    let titles = ["First outage", "Second outage", "Third outage"];
    let started = Instant::now();
    for title in titles {
        first.create(json!({"title": title, "status": "published"})).await;
    }
    assert!(started.elapsed() < Duration::from_secs(5), "the writes did not wait for the receiver");

    // Nobody listens: the first delivery fails, is logged and waits; the
    // others wait behind it.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let log = first.store.deliveries(Some(hook.id), 10).await.unwrap();
        if log.iter().any(|delivery| delivery.attempts >= 2) {
            assert!(log.iter().all(|delivery| delivery.state == "pending"));
            let failed = log.iter().find(|delivery| delivery.attempts >= 2).unwrap();
            assert_eq!(failed.last_error.as_deref(), Some("could not connect"));
            break;
        }
        assert!(Instant::now() < deadline, "no attempt was logged: {log:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The server stops; two others on the same database take over, both
    // sending, and the receiver comes back.
    sender.abort();
    let second = TestApp::spawn_on(first.database.clone()).await;
    let third = TestApp::spawn_on(first.database.clone()).await;
    let senders = [webhooks::spawn(second.store.clone(), fast()), webhooks::spawn(third.store.clone(), fast())];
    second.create(json!({"title": "Fourth outage", "status": "published"})).await;
    let _receiver = receiver(port, received.clone()).await;

    wait_for(&received, 4).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let slugs: Vec<String> = events(&received).into_iter().map(|(_, slug)| slug).collect();
    assert_eq!(slugs, ["first-outage", "second-outage", "third-outage", "fourth-outage"], "each once, in order");
    let deliveries: Vec<String> = received.lock().unwrap().iter().map(|(_, _, id, _)| id.clone()).collect();
    let mut unique = deliveries.clone();
    unique.dedup();
    assert_eq!(unique.len(), deliveries.len());
    let log = second.store.deliveries(Some(hook.id), 10).await.unwrap();
    assert!(log.iter().all(|delivery| delivery.state == "delivered"), "{log:?}");
    assert!(log.iter().any(|delivery| delivery.attempts >= 3), "the first was tried while the receiver was down");
    for sender in senders {
        sender.abort();
    }
}
