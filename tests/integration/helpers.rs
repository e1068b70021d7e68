//! Starts the real application on port 0 with a fresh database per test:
//! an SQLite file in a temp dir, or a new PostgreSQL database created on the
//! server named by `HINDSIGHT_TEST_DATABASE_URL` and dropped afterwards.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use hindsight::app::{self, App};
use hindsight::domain::{Role, Scope};
use hindsight::search::{IndexerHandle, SearchIndex};
use hindsight::store::Store;
use reqwest::header::{HeaderMap, COOKIE, SET_COOKIE};
use serde_json::Value;
use sqlx::Connection;
use tempfile::TempDir;

pub const PG_ENV: &str = "HINDSIGHT_TEST_DATABASE_URL";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each listed `async fn(Backend)` as two tests: `sqlite::name`, and
/// `postgres::name`, which is ignored unless asked for with `--ignored`
/// (CI does, with `HINDSIGHT_TEST_DATABASE_URL` set).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "PostgreSQL suite: set HINDSIGHT_TEST_DATABASE_URL and run `cargo test -- --ignored`"]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            )*
        }
    };
}

/// A database of its own for one test.
pub struct TestDatabase {
    pub url: String,
    pub dir: TempDir,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    pub async fn new(backend: Backend) -> TestDatabase {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("hindsight.db").display());
                TestDatabase { url, dir, postgres: None }
            }
            Backend::Postgres => {
                let admin_url = std::env::var(PG_ENV).unwrap_or_else(|_| {
                    panic!("the PostgreSQL suite needs {PG_ENV}=postgres://user:password@127.0.0.1:5432/database")
                });
                let name = unique_database_name();
                let mut admin = sqlx::PgConnection::connect(&admin_url).await.expect("connect to the test PostgreSQL");
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("create database");
                admin.close().await.ok();
                let url = replace_database(&admin_url, &name);
                TestDatabase { url, dir, postgres: Some((admin_url, name)) }
            }
        }
    }

    pub async fn open_store(&self) -> Store {
        let store = Store::connect(&self.url).await.expect("connect");
        store.migrate().await.expect("migrate");
        store
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else { return };
        // Drop runs inside the test's runtime; the clean-up needs its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async {
                if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                    let _ =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await;
                }
            });
        })
        .join();
    }
}

fn unique_database_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("hindsight_test_{}_{}_{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// `postgres://u:p@h:5432/db?x=y` with `db` replaced by `name`.
pub fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(base, query)| (base, Some(query)));
    let prefix = base.rsplit_once('/').map_or(base, |(prefix, _)| prefix);
    match query {
        Some(query) => format!("{prefix}/{name}?{query}"),
        None => format!("{prefix}/{name}"),
    }
}

/// The application, serving on a free port of 127.0.0.1.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub store: Store,
    pub search: Arc<SearchIndex>,
    pub database: Arc<TestDatabase>,
    /// Removed with the app; kept here only for that.
    _index_dir: TempDir,
    indexer: IndexerHandle,
    server: tokio::task::JoinHandle<()>,
}

impl TestApp {
    /// An app on an empty database.
    pub async fn spawn(backend: Backend) -> TestApp {
        let database = Arc::new(TestDatabase::new(backend).await);
        Self::spawn_on(database).await
    }

    /// Another app server on the same database, with its own index: like a
    /// second machine behind a load balancer.
    pub async fn spawn_on(database: Arc<TestDatabase>) -> TestApp {
        let store = database.open_store().await;
        Self::serve(database, store, |state| state).await
    }

    /// An app on a seeded database whose settings `configure` changes.
    pub async fn spawn_configured(backend: Backend, configure: impl FnOnce(App) -> App) -> TestApp {
        let database = Arc::new(TestDatabase::new(backend).await);
        let store = database.open_store().await;
        hindsight::seeds::load_if_empty(&store).await.expect("load seeds");
        Self::serve(database, store, configure).await
    }

    /// An app on a database holding the seed incidents.
    pub async fn spawn_seeded(backend: Backend) -> TestApp {
        let app = Self::spawn(backend).await;
        hindsight::seeds::load_if_empty(&app.store).await.expect("load seeds");
        app
    }

    /// `client` sends a write token of the admin `tester` with every request;
    /// `anonymous()` sends nothing.
    async fn serve(database: Arc<TestDatabase>, store: Store, configure: impl FnOnce(App) -> App) -> TestApp {
        if store.get_user("tester").await.expect("users").is_none() {
            hindsight::auth::add_user(&store, "tester", Role::Admin, "test").await.expect("add tester");
        }
        let token = hindsight::auth::tokens::add_token(&store, "test", "tester", "tests", Scope::Write, None)
            .await
            .expect("token");
        let index_dir = tempfile::tempdir().expect("index dir");
        let (search, indexer) = SearchIndex::open(index_dir.path(), &store, |_, _| {}).await.expect("open index");
        let indexer = indexer.spawn();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = format!("http://{}", listener.local_addr().expect("address"));
        let router = app::router(configure(App::new(store.clone(), search.clone())).into());
        let server = tokio::spawn(async move {
            app::serve(listener, router, std::future::pending()).await.expect("serve");
        });
        let mut headers = reqwest::header::HeaderMap::new();
        let bearer = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).expect("header");
        headers.insert(reqwest::header::AUTHORIZATION, bearer);
        let client = reqwest::Client::builder().default_headers(headers).build().expect("client");
        TestApp { address, client, store, search, database, _index_dir: index_dir, indexer, server }
    }

    /// Searches through the API until `q` finds `slug`, for at most 10 s.
    pub async fn wait_until_found(&self, q: &str, slug: &str) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let path = format!("/api/v1/search?q={}", urlencode(q));
            let results = self.get_json(&path).await;
            let found = results["hits"].as_array().is_some_and(|hits| hits.iter().any(|hit| hit["slug"] == slug));
            if found {
                return results;
            }
            assert!(std::time::Instant::now() < deadline, "{q:?} never found {slug}: {results}");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Waits until every committed change is searchable in this app.
    pub async fn wait_until_indexed(&self) {
        let last = self.store.last_change_id().await.expect("last change");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while self.search.applied_change() < last {
            assert!(std::time::Instant::now() < deadline, "the index never reached change {last}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Stops this app's indexer, as a stuck one would be: writes from now
    /// on wait in the change log.
    pub fn stop_indexing(&self) {
        self.indexer.abort();
    }

    /// The slugs a search returns, best first.
    pub async fn search_slugs(&self, query: &str) -> Vec<String> {
        let results = self.get_json(&format!("/api/v1/search?{query}")).await;
        results["hits"]
            .as_array()
            .expect("hits")
            .iter()
            .map(|hit| hit["slug"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A client that sends no credentials.
    pub fn anonymous(&self) -> reqwest::Client {
        reqwest::Client::new()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("JSON")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client.post(self.url(path)).json(body).send().await.expect("POST")
    }

    /// Files a report through the API and returns it as the API shows it.
    /// A report that is to be published already, which the API would only
    /// take after review, is filed as a fixture straight into the store,
    /// as the seeds are, at version 1.
    pub async fn create(&self, body: Value) -> Value {
        if body["status"] == "published" {
            let input: hindsight::domain::IncidentInput = serde_json::from_value(body).expect("an incident");
            let fields = input.validate().expect("a valid published fixture");
            self.store.create_incident(&fields, "tester", None).await.expect("filed");
            return self.get_json(&format!("/api/v1/incidents/{}", fields.slug)).await;
        }
        let response = self.post_json("/api/v1/incidents", &body).await;
        let status = response.status();
        let json: Value = response.json().await.expect("JSON");
        assert_eq!(status, 201, "create failed: {json}");
        json
    }

    pub async fn put_json(&self, path: &str, if_match: Option<&str>, body: &Value) -> reqwest::Response {
        let mut request = self.client.put(self.url(path)).json(body);
        if let Some(tag) = if_match {
            request = request.header("If-Match", tag);
        }
        request.send().await.expect("PUT")
    }

    pub async fn patch_json(&self, path: &str, if_match: Option<&str>, body: &Value) -> reqwest::Response {
        let mut request = self
            .client
            .patch(self.url(path))
            .header("Content-Type", "application/merge-patch+json")
            .body(body.to_string());
        if let Some(tag) = if_match {
            request = request.header("If-Match", tag);
        }
        request.send().await.expect("PATCH")
    }

    pub async fn delete(&self, path: &str, if_match: Option<&str>) -> reqwest::Response {
        let mut request = self.client.delete(self.url(path));
        if let Some(tag) = if_match {
            request = request.header("If-Match", tag);
        }
        request.send().await.expect("DELETE")
    }

    /// Every incident, fetched page by page through the API.
    pub async fn all_incidents(&self, query: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/incidents?limit=100{query}");
            if let Some(cursor) = &cursor {
                path.push_str(&format!("&cursor={cursor}"));
            }
            let page = self.get_json(&path).await;
            items.extend(page["items"].as_array().expect("items").iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => return items,
            }
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
        self.indexer.abort();
    }
}

/// Percent-encodes a query-string value.
pub fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// A complete report, as a client would file it.
pub fn full_incident(title: &str) -> Value {
    serde_json::json!({
        "title": title,
        "summary": "Writes **stalled** for 25 minutes.",
        "body": "## What happened\n\nThe primary failed over.",
        "impact": "Checkout was unavailable.",
        "went_well": "The failover alert paged at once.",
        "went_wrong": "Nobody owned disk headroom.",
        "got_lucky": "It happened at a quiet hour.",
        "status": "published",
        "severity": "sev2",
        "organization": "Example Corp",
        "services": ["checkout", "db.primary"],
        "tags": ["database", "failover"],
        "detection": "monitoring",
        "source_url": "https://status.example.com/incidents/1",
        "authors": ["Ada", "Grace"],
        "started_at": {"at": "2013-05-20T11:40:00-07:00", "zone": "PDT"},
        "detected_at": {"at": "2013-05-20T11:50:00-07:00", "zone": "PDT", "precision": "minute"},
        "mitigated_at": {"at": "2013-05-20T19:00:00Z"},
        "resolved_at": {"at": "2013-05-20T12:05:00-07:00", "zone": "PDT"},
        "timeline": [
            {"at": {"at": "2013-05-20T11:40:00-07:00", "zone": "PDT"}, "kind": "trigger", "text": "Primary disk filled."},
            {"at": {"at": "2013-05-20T11:50:00-07:00", "zone": "PDT", "approximate": true}, "kind": "detection", "text": "Alert fired."},
            {"kind": "note", "text": "Someone noticed the backlog (time unknown)."}
        ],
        "factors": [
            {"category": "capacity", "text": "The disk had no headroom.", "primary": true},
            {"category": "monitoring_gap", "text": "No alert on disk growth."}
        ],
        "actions": [
            {"text": "Alert at 80% disk.", "owner": "ops", "status": "open", "priority": "high", "due_on": "2013-06-01",
             "tracker_url": "https://tracker.example.com/1", "addresses": [1]},
            {"text": "Resize disks.", "status": "done", "completed_at": "2013-05-21T10:00:00Z", "addresses": [0]}
        ],
        "related": [{"slug": "some-earlier-incident", "kind": "recurrence_of"}]
    })
}

// Signing in through the pages, as a browser would.

/// A client that follows no redirects, so tests see them.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// A cookie the response sets: its value, and the whole `Set-Cookie` line.
pub fn set_cookie_value(headers: &HeaderMap, name: &str) -> Option<(String, String)> {
    headers.get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|cookie| {
        let (pair, _) = cookie.split_once(';').unwrap_or((cookie, ""));
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| (value.to_string(), cookie.to_string()))
    })
}

/// The sign-in form's CSRF token and the cookie paired with it.
pub async fn sign_in_form(app: &TestApp) -> (String, String) {
    sign_in_form_at(&app.url("/login")).await
}

/// The same, from the sign-in page at `login_url` of any server.
pub async fn sign_in_form_at(login_url: &str) -> (String, String) {
    let response = browser().get(login_url).send().await.unwrap();
    let (cookie, _) = set_cookie_value(response.headers(), "hindsight_form").expect("form cookie");
    (csrf_in(&response.text().await.unwrap()), cookie)
}

pub async fn post_sign_in(app: &TestApp, name: &str, password: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let (csrf, cookie) = sign_in_form(app).await;
    let mut request = browser().post(app.url("/login")).header(COOKIE, format!("hindsight_form={cookie}")).form(&[
        ("name", name),
        ("password", password),
        ("csrf", &csrf),
        ("next", "/incidents"),
    ]);
    for (header, value) in extra {
        request = request.header(*header, *value);
    }
    request.send().await.unwrap()
}

/// Signs `name` in and returns the session cookie's value.
pub async fn session_of(app: &TestApp, name: &str, password: &str) -> String {
    let response = post_sign_in(app, name, password, &[]).await;
    assert_eq!(response.status(), 303);
    set_cookie_value(response.headers(), "hindsight_session").unwrap().0
}

/// A page as the holder of `session` sees it: its status, where it
/// redirects, and its text.
pub async fn page_as(app: &TestApp, session: &str, path: &str) -> (u16, String, String) {
    let response =
        browser().get(app.url(path)).header(COOKIE, format!("hindsight_session={session}")).send().await.unwrap();
    let status = response.status().as_u16();
    let location =
        response.headers().get(reqwest::header::LOCATION).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, location, response.text().await.unwrap())
}

/// The CSRF token of the first form on a page.
pub fn csrf_in(page: &str) -> String {
    page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string()
}

// The binary itself, as an operator runs it.

/// `hindsight` on `database`'s data dir or PostgreSQL database.
pub fn hindsight(database: &TestDatabase, backend: Backend) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hindsight"));
    command.env("HINDSIGHT_DATA_DIR", database.dir.path()).env("HINDSIGHT_ADDR", "127.0.0.1:0").env("RUST_LOG", "info");
    match backend {
        Backend::Sqlite => command.env_remove("DATABASE_URL"),
        Backend::Postgres => command.env("DATABASE_URL", &database.url),
    };
    command
}

/// A running server process, stopped with SIGTERM when dropped.
pub struct Server {
    pub child: Child,
    pub address: String,
    /// What the server logged before it announced its address.
    pub startup_log: Vec<String>,
    /// What it logs after.
    log: mpsc::Receiver<String>,
}

impl Server {
    pub fn start(database: &TestDatabase, backend: Backend) -> Server {
        Server::start_with(database, backend, &[])
    }

    /// Starts the server with more environment variables set.
    pub fn start_with(database: &TestDatabase, backend: Backend, environment: &[(&str, &str)]) -> Server {
        let mut command = hindsight(database, backend);
        command.envs(environment.iter().copied());
        let child = command.stderr(Stdio::piped()).spawn().expect("start hindsight");
        // From here on, Drop stops the process whatever happens.
        let (lines, received) = mpsc::channel();
        let mut server = Server { child, address: String::new(), startup_log: Vec::new(), log: received };
        let stderr = server.child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        while server.address.is_empty() {
            let line = server.log.recv_timeout(Duration::from_secs(60)).expect("the server announces its address");
            if let Some(address) = line.split("serving on ").nth(1) {
                // The rest of a text line, or up to the quote that ends a
                // JSON line's message.
                server.address = address.split(['"', ' ']).next().unwrap_or_default().trim().to_string();
            }
            server.startup_log.push(line);
        }
        server
    }

    /// The lines logged from now on, until `enough` says the last one
    /// completes them (or 30 s pass).
    pub fn log_until(&self, enough: impl Fn(&[String]) -> bool) -> Vec<String> {
        let mut lines = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !enough(&lines) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.log.recv_timeout(left) {
                Ok(line) => lines.push(line),
                Err(_) => panic!("the log did not show what was awaited; it showed:\n{}", lines.join("\n")),
            }
        }
        lines
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn stop(mut self) {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().expect("kill");
        assert!(status.success());
        for _ in 0..100 {
            if let Some(status) = self.child.try_wait().expect("wait") {
                assert!(status.success(), "exit status {status}");
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the server did not stop within 10 s of SIGTERM");
    }
}

impl Server {
    /// Ends the process the hard way, as a crash or the OOM killer would.
    pub fn kill_9(mut self) {
        let status = Command::new("kill").args(["-KILL", &self.child.id().to_string()]).status().expect("kill");
        assert!(status.success());
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
