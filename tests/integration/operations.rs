//! Operating the server: `/metrics` in Prometheus's text format, for the
//! addresses an operator allows or an admin's token, and never by accident
//! for a request that came through an unknown proxy; backups taken while
//! writes go on, restored into a stopped data dir, and taken on a schedule.

use std::collections::HashMap;

use serde_json::json;

use crate::helpers::{hindsight, Backend, Server, TestApp, TestDatabase};
use crate::on_both_backends;
use hindsight::app::App;
use hindsight::domain::{Role, Scope};
use hindsight::metrics::MetricsAllow;

on_both_backends!(
    a_scrape_counts_requests_a_search_and_a_write_and_the_indexer_lag_returns_to_zero,
    metrics_answer_allowed_addresses_and_admins_only,
    backup_and_restore_refuse_what_they_cannot_do_safely,
    a_database_from_a_newer_version_is_refused_untouched_with_what_to_do,
);

/// The unit file in `deploy/systemd` runs `hindsight serve` with settings
/// the server reads, each of which it accepts, and systemd reads it without
/// a warning (`systemd-analyze verify`, where systemd is installed: CI sets
/// `HINDSIGHT_REQUIRE_SYSTEMD_ANALYZE`, so there it must be).
#[test]
fn the_systemd_unit_runs_the_server_with_settings_it_reads_and_systemd_accepts_it() {
    let unit_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/systemd/hindsight.service");
    let unit = std::fs::read_to_string(&unit_path).unwrap();
    let mut section = "";
    let mut service: Vec<(String, String)> = Vec::new();
    for line in unit.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#')) {
        if line.starts_with('[') {
            section = line;
            continue;
        }
        let (key, value) = line.split_once('=').unwrap_or_else(|| panic!("not key=value: {line}"));
        if section == "[Service]" {
            service.push((key.to_string(), value.to_string()));
        }
    }
    let exec = service.iter().find(|(key, _)| key == "ExecStart").map(|(_, value)| value.as_str());
    assert_eq!(exec, Some("/usr/local/bin/hindsight serve"));
    let environment: Vec<(&str, &str)> = service
        .iter()
        .filter(|(key, _)| key == "Environment")
        .map(|(_, value)| value.split_once('=').expect("Environment=NAME=value"))
        .collect();
    assert!(environment.len() >= 5);
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_hindsight")).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout).to_string();
    for (name, _) in &environment {
        assert!(help.contains(&format!("[env: {name}=")), "the server reads {name}");
    }
    // Every value is one the server accepts (the data dir aside).
    let data = tempfile::tempdir().unwrap();
    let accepted = std::process::Command::new(env!("CARGO_BIN_EXE_hindsight"))
        .envs(environment.iter().copied())
        .env("HINDSIGHT_DATA_DIR", data.path())
        .env_remove("DATABASE_URL")
        .args(["token", "list"])
        .output()
        .unwrap();
    assert!(accepted.status.success(), "{}", String::from_utf8_lossy(&accepted.stderr));

    let checked_copy = data.path().join("hindsight.service");
    std::fs::write(&checked_copy, unit.replace("/usr/local/bin/hindsight", env!("CARGO_BIN_EXE_hindsight"))).unwrap();
    match std::process::Command::new("systemd-analyze").arg("verify").arg(&checked_copy).output() {
        Ok(verified) => {
            let said =
                format!("{}{}", String::from_utf8_lossy(&verified.stdout), String::from_utf8_lossy(&verified.stderr));
            let about_ours: Vec<&str> = said.lines().filter(|line| line.contains("hindsight")).collect();
            assert!(verified.status.success() && about_ours.is_empty(), "systemd-analyze verify: {said}");
        }
        Err(_) => assert!(
            std::env::var_os("HINDSIGHT_REQUIRE_SYSTEMD_ANALYZE").is_none(),
            "HINDSIGHT_REQUIRE_SYSTEMD_ANALYZE is set, and systemd-analyze is not installed"
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_a_stream_of_writes_restores_to_a_server_showing_every_acknowledged_write() {
    backup_under_writes().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_backups_keep_the_newest_and_show_on_the_admin_page_and_in_the_metrics() {
    scheduled_backups().await
}

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
    let chosen = app.anonymous().get(app.url("/healthz")).header("x-request-id", "chosen-by-client").send().await;
    let id = chosen.unwrap().headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(id.len() == 16 && id != "chosen-by-client", "only the trusted proxy names a request: {id}");
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
    let unsaid = behind.anonymous().get(behind.url("/metrics")).send().await.unwrap();
    assert_eq!(unsaid.status(), 403, "the trusted proxy did not say whose request it is");
    for header in ["via", "x-forwarded-proto", "x-forwarded-host"] {
        let proxied = local.anonymous().get(local.url("/metrics")).header(header, "1.1 proxy").send().await.unwrap();
        assert_eq!(proxied.status(), 403, "{header}");
    }
}

/// The slugs in a backup file, read from the copy itself.
async fn slugs_in(path: &std::path::Path) -> Vec<String> {
    use sqlx::{Connection, Row};
    let mut connection = sqlx::AnyConnection::connect(&format!("sqlite://{}?mode=ro", path.display())).await.unwrap();
    let rows = sqlx::query("SELECT slug FROM incidents").fetch_all(&mut connection).await.unwrap();
    let slugs = rows.iter().map(|row| row.get::<String, _>("slug")).collect();
    connection.close().await.unwrap();
    slugs
}

async fn backup_under_writes() {
    let app = std::sync::Arc::new(TestApp::spawn(Backend::Sqlite).await);
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (app, acknowledged, stop) = (app.clone(), acknowledged.clone(), stop.clone());
        tokio::spawn(async move {
            // Bounded: at most 600 writes, however slow the backup.
            for n in 0..600 {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                // A published report now and then, for the search to find.
                let title = format!("Written during the backup {n}");
                let body = if n % 4 == 0 { crate::helpers::full_incident(&title) } else { draft(&title) };
                let created = app.create(body).await;
                acknowledged.lock().unwrap().push(created["slug"].as_str().unwrap().to_string());
            }
        })
    };
    while acknowledged.lock().unwrap().len() < 20 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let before_backup = acknowledged.lock().unwrap().clone();
    let folder = tempfile::tempdir().unwrap();
    let copy = folder.path().join("copy.db");
    let backed_up = hindsight(&app.database, Backend::Sqlite).arg("backup").arg(&copy).output().unwrap();
    let written_during = acknowledged.lock().unwrap().len() - before_backup.len();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.await.unwrap();
    let said = String::from_utf8_lossy(&backed_up.stdout).to_string();
    assert!(backed_up.status.success(), "{said}{}", String::from_utf8_lossy(&backed_up.stderr));
    assert!(said.contains("passed SQLite's integrity check") && said.contains("restore"), "{said}");
    assert!(written_during > 0, "writes went on while the backup ran");
    assert!(!folder.path().join("copy.db.partial").exists());
    assert!(hindsight::backup::check(&copy).await.unwrap() >= before_backup.len() as i64);
    let in_copy = slugs_in(&copy).await;
    for slug in &before_backup {
        assert!(in_copy.contains(slug), "{slug}, acknowledged before the backup, is in it");
    }

    // Restored into another data dir (whose own database is kept aside),
    // a server started there shows every write acknowledged before it.
    let elsewhere = TestDatabase::new(Backend::Sqlite).await;
    hindsight::store::Store::open(None, elsewhere.dir.path()).await.unwrap().close().await;
    let restored = hindsight(&elsewhere, Backend::Sqlite).arg("restore").arg(&copy).output().unwrap();
    let said = String::from_utf8_lossy(&restored.stdout).to_string();
    assert!(restored.status.success(), "{said}{}", String::from_utf8_lossy(&restored.stderr));
    assert!(said.contains("kept as") && said.contains("rebuilt the search index"), "{said}");
    let user = hindsight(&elsewhere, Backend::Sqlite).args(["user", "add", "--admin", "restorer"]).output().unwrap();
    assert!(user.status.success());
    let token = hindsight(&elsewhere, Backend::Sqlite).args(["token", "add", "restorer"]).output().unwrap();
    let token = String::from_utf8_lossy(&token.stdout).trim().to_string();
    let server = Server::start(&elsewhere, Backend::Sqlite);
    let client = reqwest::Client::new();
    let get = |path: String| {
        let request = client.get(format!("{}{path}", server.address)).bearer_auth(&token);
        async move { request.send().await.unwrap().json::<serde_json::Value>().await.unwrap() }
    };
    let mut served = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = get(format!("/api/v1/incidents?limit=100{cursor}")).await;
        served.extend(page["items"].as_array().unwrap().iter().map(|item| item["slug"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    let searched = get("/api/v1/search?q=written+during+the+backup&limit=100".to_string()).await;
    server.stop();
    for slug in &before_backup {
        assert!(served.contains(slug), "{slug} is served after the restore");
    }
    let published = before_backup.len().div_ceil(4) as u64;
    assert!(searched["total"].as_u64().unwrap_or(0) >= published, "the published ones are found: {searched}");
}

async fn backup_and_restore_refuse_what_they_cannot_do_safely(backend: Backend) {
    let database = TestDatabase::new(backend).await;
    let folder = tempfile::tempdir().unwrap();
    let run = |args: &[&std::ffi::OsStr]| {
        let output = hindsight(&database, backend).args(args).output().unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        (output.status.code(), text)
    };
    let os = |text: &str| std::ffi::OsString::from(text);
    if backend == Backend::Postgres {
        let (code, said) = run(&[&os("backup"), folder.path().as_os_str()]);
        assert_eq!(code, Some(2));
        assert!(said.contains("pg_dump") && said.contains("/api/v1/export"), "{said}");
        let (code, said) = run(&[&os("restore"), folder.path().join("x.db").as_os_str()]);
        assert_eq!(code, Some(2));
        assert!(said.contains("pg_restore"), "{said}");
        return;
    }
    // Into a folder: a dated file; into a file that exists: refused.
    let (code, said) = run(&[&os("backup"), folder.path().as_os_str()]);
    assert_eq!(code, Some(0), "{said}");
    let dated = std::fs::read_dir(folder.path()).unwrap().next().unwrap().unwrap().path();
    assert!(dated.file_name().unwrap().to_string_lossy().starts_with("hindsight-"), "{dated:?}");
    let (code, said) = run(&[&os("backup"), dated.as_os_str()]);
    assert_eq!(code, Some(2));
    assert!(said.contains("exists already"), "{said}");

    // The data dir's own database is no backup to restore.
    let own = database.dir.path().join("hindsight.db");
    let (code, said) = run(&[&os("restore"), own.as_os_str()]);
    assert_eq!(code, Some(2));
    assert!(said.contains("the data dir's own database"), "{said}");
    assert!(own.exists());

    // Not a backup, a damaged one: refused, and the database untouched.
    let junk = folder.path().join("junk.db");
    std::fs::write(&junk, b"not a database at all").unwrap();
    let (code, said) = run(&[&os("restore"), junk.as_os_str()]);
    assert_eq!(code, Some(2));
    assert!(said.contains("not a sound backup"), "{said}");
    let mut damaged = std::fs::read(&dated).unwrap();
    let middle = damaged.len() / 2;
    for byte in &mut damaged[middle..middle + 4096] {
        *byte = 0xA5;
    }
    let damaged_path = folder.path().join("damaged.db");
    std::fs::write(&damaged_path, damaged).unwrap();
    let (code, said) = run(&[&os("restore"), damaged_path.as_os_str()]);
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("not a sound backup"), "{said}");

    // While a server runs on the data dir, nothing is replaced.
    let server = Server::start(&database, backend);
    let (code, said) = run(&[&os("restore"), dated.as_os_str()]);
    assert_eq!(code, Some(2));
    assert!(said.contains("stop it first"), "{said}");
    server.stop();
    let (code, said) = run(&[&os("restore"), dated.as_os_str()]);
    assert_eq!(code, Some(0), "{said}");
}

async fn scheduled_backups() {
    let folder = tempfile::tempdir().unwrap();
    let schedule = std::sync::Arc::new(hindsight::backup::Schedule::new(
        Some(folder.path().to_path_buf()),
        Some(std::time::Duration::from_secs(1)),
        2,
    ));
    let app = TestApp::spawn_configured(Backend::Sqlite, |app| App { backups: schedule.clone(), ..app }).await;
    hindsight::backup::spawn(app.store.clone(), schedule.clone());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::fs::read_dir(folder.path()).unwrap().count() < 2 || schedule.last().is_none() {
        assert!(std::time::Instant::now() < deadline, "two scheduled backups within 30 s");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let kept = schedule.kept();
    assert_eq!(kept.len(), 2, "the newest two are kept: {kept:?}");
    assert!(kept[0].name > kept[1].name);
    assert!(schedule.last().unwrap().outcome.is_ok());

    let samples = scrape(&app).await;
    assert_eq!(value(&samples, "hindsight_last_backup_success", &[]), Some(1.0));
    let last = value(&samples, "hindsight_last_backup_timestamp_seconds", &[]).unwrap();
    assert!(last > 1.7e9, "a Unix time: {last}");
    assert!(value(&samples, "hindsight_backups_total", &[("outcome", "success")]).unwrap() >= 3.0);

    let (_, password) = hindsight::auth::add_user(&app.store, "keeper", Role::Admin, "test").await.unwrap();
    let session = crate::helpers::session_of(&app, "keeper", &password).await;
    let (_, _, page) = crate::helpers::page_as(&app, &session, "/admin/backups").await;
    assert!(
        page.contains("Every 1 second(s), keeping the newest 2.") && page.contains("<strong>Good</strong>"),
        "{page}"
    );
    // The schedule goes on meanwhile: a new backup may be listed before the
    // oldest is removed.
    let listed = page.matches("<li><code>hindsight-").count();
    assert!((2..=3).contains(&listed), "the kept backups are listed: {page}");
}

/// A downgrade: the database has a migration this build does not know. The
/// server refuses to start and says what to do, and changes nothing.
async fn a_database_from_a_newer_version_is_refused_untouched_with_what_to_do(backend: Backend) {
    use sqlx::Connection;
    let database = TestDatabase::new(backend).await;
    database.open_store().await.close().await;
    let mut connection = sqlx::AnyConnection::connect(&database.url).await.unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(99_990_001_i64)
    .bind("from a newer version")
    .bind(true)
    .bind(vec![0_u8; 48])
    .bind(0_i64)
    .execute(&mut connection)
    .await
    .unwrap();
    connection.close().await.unwrap();
    let started = hindsight(&database, backend).args(["token", "list"]).output().unwrap();
    let said = String::from_utf8_lossy(&started.stderr).to_string();
    assert!(!started.status.success());
    assert!(said.contains("newer Hindsight") && said.contains("99990001") && said.contains("restore"), "{said}");
}
