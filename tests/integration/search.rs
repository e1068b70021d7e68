//! Search: the index follows every write, hides drafts, answers phrase,
//! boolean and field queries with facets and snippets, survives any query
//! text, and is rebuilt from the database when it is missing or damaged.

use serde_json::{json, Value};

use crate::helpers::{urlencode, Backend, TestApp};
use crate::on_both_backends;
use hindsight::search::{SearchError, SearchIndex};

on_both_backends!(
    the_seed_questions_find_their_incidents,
    a_write_becomes_searchable_and_edits_and_deletes_follow,
    a_remembered_search_and_its_counts_follow_every_write,
    drafts_never_appear_in_public_results,
    facets_count_the_matches_and_narrow_them,
    phrase_boolean_and_field_queries_work,
    any_query_text_gets_results_or_a_clear_400,
    a_phrase_excluded_from_a_search_by_date_is_answered,
    a_query_nested_a_hundred_thousand_deep_gets_a_400_and_the_server_keeps_serving,
    snippets_highlight_matches_and_escape_html,
    results_can_be_ordered_by_date,
    similar_incidents_are_suggested,
    the_search_page_shows_results_facets_and_messages,
    text_that_is_not_query_syntax_is_searched_as_typed,
    severity_owners_and_dates_are_searchable_and_shown,
    two_servers_on_one_database_each_find_the_others_writes,
    a_missing_corrupt_or_outdated_index_is_rebuilt_from_the_database,
    a_stale_writer_lock_does_not_block_a_start_and_a_live_one_blocks_a_rebuild,
    a_server_without_an_index_serves_at_once_and_search_answers_503_until_it_is_built,
    change_log_ids_reach_a_follower_in_order_under_concurrent_writes,
    an_indexer_takes_what_an_import_just_wrote_and_reads_back_what_changed_since,
);

async fn search(app: &TestApp, query: &str) -> Value {
    app.get_json(&format!("/api/v1/search?{query}")).await
}

async fn the_seed_questions_find_their_incidents(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    app.wait_until_indexed().await;
    for (q, slug) in [
        ("stack overflow", "bunnynet-dns-outage-binarypack-stack-overflow"),
        ("BinaryPack", "bunnynet-dns-outage-binarypack-stack-overflow"),
        ("terraform", "crates-io-static-dns-record-removed-2023-01-25"),
        ("static.crates.io", "crates-io-static-dns-record-removed-2023-01-25"),
        ("MySQL", "dnsimple-dns-changes-blocked-mysql-2013-05-20"),
        ("exit code", "honeycomb-api-outage-2019-07-09"),
        ("co.nz", "cloudflare-dns-database-deletion"),
        ("ns2", "dnsimple-alias-resolution-failures-2013-04-06"),
    ] {
        let slugs = app.search_slugs(&format!("q={}", urlencode(q))).await;
        assert_eq!(slugs.first().map(String::as_str), Some(slug), "{q:?} gave {slugs:?}");
    }
}

async fn a_write_becomes_searchable_and_edits_and_deletes_follow(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(json!({"title": "Quasar relay saturated", "status": "published"})).await;
    app.wait_until_found("quasar", "quasar-relay-saturated").await;
    let edit = json!({"title": "Pulsar relay saturated", "status": "published"});
    assert_eq!(app.put_json("/api/v1/incidents/quasar-relay-saturated", Some("\"1\""), &edit).await.status(), 200);
    app.wait_until_found("pulsar", "quasar-relay-saturated").await;
    assert!(app.search_slugs("q=quasar").await.is_empty(), "the old title is gone from the index");
    assert_eq!(app.delete("/api/v1/incidents/quasar-relay-saturated", Some("\"2\"")).await.status(), 204);
    app.wait_until_indexed().await;
    assert!(app.search_slugs("q=pulsar").await.is_empty(), "a deleted incident is gone from the index");
}

/// A search is remembered until the index changes, and its counts are
/// shared by its later pages and the other order: each must still follow
/// a write at once.
async fn a_remembered_search_and_its_counts_follow_every_write(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (title, tag) in
        [("Quasar relay saturated", "relay"), ("Quasar queue stalled", "queue"), ("Quasar cache cold", "cache")]
    {
        app.create(json!({"title": title, "status": "published", "tags": [tag]})).await;
    }
    app.wait_until_indexed().await;
    let slugs = |results: &Value| -> Vec<String> {
        results["hits"].as_array().unwrap().iter().map(|hit| hit["slug"].as_str().unwrap().to_string()).collect()
    };
    let tags = |results: &Value| -> Vec<String> {
        results["facets"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|tag| tag["value"].as_str().unwrap().to_string())
            .collect()
    };

    let first = search(&app, "q=quasar&limit=2").await;
    assert_eq!((first["total"].as_u64(), slugs(&first).len()), (Some(3), 2));
    let second = search(&app, "q=quasar&limit=2&offset=2").await;
    assert_eq!((second["total"].as_u64(), slugs(&second).len()), (Some(3), 1));
    assert!(slugs(&second).iter().all(|slug| !slugs(&first).contains(slug)));
    let newest = search(&app, "q=quasar&order=newest&limit=3").await;
    assert_eq!(newest["total"].as_u64(), Some(3));
    assert_eq!(sorted(slugs(&newest)), sorted([slugs(&first), slugs(&second)].concat()));
    assert_eq!(sorted(tags(&newest)), ["cache", "queue", "relay"]);
    // The counts are kept per query and filters, not per query alone.
    let narrowed = search(&app, "q=quasar&tag=relay").await;
    assert_eq!((narrowed["total"].as_u64(), tags(&narrowed)), (Some(1), vec!["relay".to_string()]));

    // What was remembered, and what later pages took from it, is what a
    // search worked out afresh answers.
    let queries =
        ["q=quasar&limit=2", "q=quasar&limit=2&offset=2", "q=quasar&order=newest&limit=3", "q=quasar&tag=relay"];
    let remembered = [first, second, newest, narrowed];
    for (query, answer) in queries.iter().zip(&remembered) {
        // A remembered answer is sent as the JSON written the first time.
        let again = app.get(&format!("/api/v1/search?{query}")).await;
        assert_eq!(again.headers()["content-type"], "application/json", "{query} asked again");
        assert_eq!(&again.json::<Value>().await.unwrap(), answer, "{query} asked again");
        app.search.forget_answers();
        assert_eq!(&search(&app, query).await, answer, "{query} worked out afresh");
    }

    let edit = json!({"title": "Pulsar cache cold", "status": "published", "tags": ["cache"]});
    assert_eq!(app.put_json("/api/v1/incidents/quasar-cache-cold", Some("\"1\""), &edit).await.status(), 200);
    app.wait_until_indexed().await;
    for query in &queries[..3] {
        let after = search(&app, query).await;
        assert_eq!(after["total"].as_u64(), Some(2), "{query} after the edit");
        assert_eq!(sorted(tags(&after)), ["queue", "relay"], "{query} after the edit");
        assert!(!slugs(&after).contains(&"quasar-cache-cold".to_string()), "{query} after the edit");
    }
}

fn sorted(mut values: Vec<String>) -> Vec<String> {
    values.sort();
    values
}

async fn drafts_never_appear_in_public_results(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(json!({"title": "Zeppelin draft", "status": "draft"})).await;
    app.create(json!({"title": "Zeppelin review", "status": "in_review"})).await;
    app.create(json!({"title": "Zeppelin public", "status": "published"})).await;
    app.wait_until_indexed().await;
    assert_eq!(app.search_slugs("q=zeppelin").await, ["zeppelin-public"]);
    assert!(app.search_slugs("q=status:draft").await.is_empty());
    assert!(app.search_slugs("q=").await.iter().all(|slug| slug == "zeppelin-public"));
}

async fn facets_count_the_matches_and_narrow_them(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    app.wait_until_indexed().await;
    let everything = search(&app, "q=&limit=100").await;
    assert_eq!(everything["total"], 8);
    let count = |results: &Value, facet: &str, value: &str| {
        results["facets"][facet]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["value"] == value)
            .map(|v| v["count"].as_u64().unwrap())
    };
    assert_eq!(count(&everything, "organization", "DNSimple"), Some(4));
    assert_eq!(count(&everything, "tags", "dns"), Some(6));
    assert_eq!(count(&everything, "year", "2013"), Some(4));
    assert!(count(&everything, "category", "software_defect").is_some());
    assert!(count(&everything, "severity", "sev1").is_some());
    assert!(count(&everything, "services", "dns").is_some());
    let narrowed = search(&app, "q=dns&organization=DNSimple&year=2013").await;
    assert_eq!(narrowed["total"], 3, "{narrowed}");
    assert_eq!(count(&narrowed, "organization", "DNSimple"), Some(3));
    let by_tag = search(&app, "q=&tag=terraform").await;
    assert_eq!(by_tag["total"], 1);
    let by_category = search(&app, "q=&category=monitoring_gap&severity=sev2").await;
    assert!(by_category["total"].as_u64().unwrap() >= 1);
    for bad in ["severity=sev9", "category=bad", "year=abc", "order=sideways", "limit=1000"] {
        assert_eq!(app.get(&format!("/api/v1/search?q=dns&{bad}")).await.status(), 400, "{bad}");
    }
}

async fn phrase_boolean_and_field_queries_work(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    app.wait_until_indexed().await;
    let exact = app.search_slugs(&format!("q={}", urlencode("\"exit codes\""))).await;
    assert_eq!(exact, ["honeycomb-api-outage-2019-07-09"]);
    let both = app.search_slugs(&format!("q={}", urlencode("dns AND mysql"))).await;
    assert!(both.contains(&"dnsimple-dns-changes-blocked-mysql-2013-05-20".to_string()));
    let without = app.search_slugs(&format!("q={}", urlencode("dns -mysql"))).await;
    assert!(!without.is_empty() && !without.contains(&"dnsimple-dns-changes-blocked-mysql-2013-05-20".to_string()));
    let not = app.search_slugs(&format!("q={}", urlencode("dns AND NOT mysql"))).await;
    assert_eq!(not, without);
    let either = app.search_slugs(&format!("q={}", urlencode("terraform OR binarypack"))).await;
    assert_eq!(either.len(), 2, "{either:?}");
    assert_eq!(app.search_slugs("q=tag:terraform").await, ["crates-io-static-dns-record-removed-2023-01-25"]);
    let in_titles = app.search_slugs(&format!("q={}", urlencode("title:mysql"))).await;
    assert_eq!(in_titles, ["dnsimple-dns-changes-blocked-mysql-2013-05-20"]);
}

/// Found by the `search_query` fuzz target (FUZZING.md): `s'\d` is the
/// phrase "s d", and excluding it from a search sorted by date made tantivy
/// seek backwards. Both orders must find the same reports.
async fn a_phrase_excluded_from_a_search_by_date_is_answered(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    app.wait_until_indexed().await;
    let q = urlencode("`d -s'\\d");
    let by_relevance = app.search_slugs(&format!("q={q}")).await;
    assert!(!by_relevance.is_empty());
    for offset in 0..2 {
        let response = app.get(&format!("/api/v1/search?q={q}&order=date&offset={offset}")).await;
        assert_eq!(response.status(), 200, "offset {offset}");
    }
    let by_date = app.search_slugs(&format!("q={q}&order=date")).await;
    assert_eq!(sorted(by_date), sorted(by_relevance));
}

async fn any_query_text_gets_results_or_a_clear_400(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    app.wait_until_indexed().await;
    let odd = [
        "\"unbalanced",
        "(((",
        ")))",
        "AND",
        "OR OR",
        "NOT",
        "title:",
        "tag:\"",
        "*",
        "-",
        "~",
        "^2",
        "a:b:c",
        "dns^",
        "[a TO",
        "{}",
        "\\",
        "\u{1F525} outage",
        "\u{0}",
        "nosuchfield:dns",
        "title:(dns",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "dns AND AND mysql",
        "+-+-",
        "\"\"",
        "field:[1 TO 2]",
        "static.crates.io:",
        "ÿ",
        "IN [a b]",
    ];
    for q in odd {
        let response = app.get(&format!("/api/v1/search?q={}", urlencode(q))).await;
        let status = response.status().as_u16();
        assert!(status == 200 || status == 400, "{q:?} gave {status}");
        if status == 400 {
            assert_eq!(response.headers()["content-type"], "application/problem+json");
        }
        let page = app.get(&format!("/search?q={}", urlencode(q))).await;
        assert!(page.status().as_u16() == 200 || page.status().as_u16() == 400, "page for {q:?}");
    }
    let long = app.get(&format!("/api/v1/search?q={}", "a".repeat(600))).await;
    assert_eq!(long.status(), 400);
    assert_eq!(app.get("/healthz").await.status(), 200);
}

async fn a_query_nested_a_hundred_thousand_deep_gets_a_400_and_the_server_keeps_serving(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    // A URL carries at most 64 KiB, so 30,000 levels is as deep as a query
    // string gets; the parser alone would overflow its stack at 10,000.
    let deep = format!("{}dns{}", "(".repeat(30_000), ")".repeat(30_000));
    for path in ["/api/v1/search", "/search"] {
        let response = app.get(&format!("{path}?q={deep}")).await;
        assert_eq!(response.status(), 400, "{path}");
    }
    let problem: Value = app.get(&format!("/api/v1/search?q={deep}")).await.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("limit"), "{problem}");
    // A body carries the full 100,000 levels.
    let deepest = format!("{}dns{}", "(".repeat(100_000), ")".repeat(100_000));
    let response = app.post_json("/api/v1/search", &json!({"q": deepest})).await;
    assert_eq!(response.status(), 400);
    app.wait_until_indexed().await;
    let posted = app.post_json("/api/v1/search", &json!({"q": "terraform", "limit": 5, "year": 2023})).await;
    assert_eq!(posted.status(), 200);
    assert_eq!(posted.json::<Value>().await.unwrap()["total"], 1);
    let nested = format!("{}dns{}", "(".repeat(200), ")".repeat(200));
    let response = app.get(&format!("/api/v1/search?q={}", urlencode(&nested))).await;
    assert_eq!(response.status(), 400);
    assert!(response.json::<Value>().await.unwrap()["detail"].as_str().unwrap().contains("deep"));
    assert_eq!(app.get("/healthz").await.status(), 200);
    app.wait_until_indexed().await;
    assert!(!app.search_slugs("q=dns").await.is_empty());
}

async fn snippets_highlight_matches_and_escape_html(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(json!({"title": "Snippet check", "status": "published",
        "body": "Before the outage <script>alert(1)</script> the flibbertigibbet cache filled up."}))
        .await;
    let results = app.wait_until_found("flibbertigibbet", "snippet-check").await;
    let snippet = results["hits"][0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("<mark>flibbertigibbet</mark>"), "{snippet}");
    assert!(!snippet.contains("<script"), "{snippet}");
    assert!(results["hits"][0]["score"].as_f64().unwrap() > 0.0);
}

async fn results_can_be_ordered_by_date(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    app.wait_until_indexed().await;
    let newest = app.search_slugs("q=dns&order=date&limit=100").await;
    let position = |slug: &str| newest.iter().position(|s| s == slug).unwrap();
    assert!(
        position("crates-io-static-dns-record-removed-2023-01-25")
            < position("dnsimple-dns-changes-blocked-mysql-2013-05-20")
    );
    assert!(
        position("dnsimple-dns-changes-blocked-mysql-2013-05-20") < position("dnsimple-partial-dns-outage-2013-03-08")
    );
}

async fn similar_incidents_are_suggested(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    app.create(json!({"title": "Secret DNS draft about MySQL replication", "status": "draft"})).await;
    app.wait_until_indexed().await;
    let similar = app.get_json("/api/v1/incidents/dnsimple-dns-changes-blocked-mysql-2013-05-20/similar").await;
    let slugs: Vec<&str> =
        similar["items"].as_array().unwrap().iter().map(|hit| hit["slug"].as_str().unwrap()).collect();
    assert!(!slugs.is_empty());
    assert!(!slugs.contains(&"dnsimple-dns-changes-blocked-mysql-2013-05-20"), "not itself");
    assert!(!slugs.iter().any(|slug| slug.starts_with("secret")), "no drafts");
    assert!(slugs.iter().any(|slug| slug.starts_with("dnsimple-")), "{slugs:?}");
    assert_eq!(app.get("/api/v1/incidents/nope/similar").await.status(), 404);
    let page = app.get("/incidents/dnsimple-dns-changes-blocked-mysql-2013-05-20").await.text().await.unwrap();
    assert!(page.contains("Similar incidents"));

    // Suggestions are remembered until the index changes: a report like this
    // one shows among them once it is indexed.
    let twin = app
        .create(json!({
            "title": "DNS record changes blocked again by a failing MySQL host",
            "summary": "The writable MySQL database degraded, replication to the unicast name servers stalled, and no customer could change DNS records.",
            "status": "published",
        }))
        .await;
    app.wait_until_indexed().await;
    let again = app.get_json("/api/v1/incidents/dnsimple-dns-changes-blocked-mysql-2013-05-20/similar").await;
    let slugs: Vec<&str> = again["items"].as_array().unwrap().iter().map(|hit| hit["slug"].as_str().unwrap()).collect();
    assert!(slugs.contains(&twin["slug"].as_str().unwrap()), "{slugs:?}");
}

async fn the_search_page_shows_results_facets_and_messages(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    app.wait_until_indexed().await;
    let response = app.get("/search?q=dns").await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(page.matches("<article class=\"card\">").count() >= 5);
    assert!(page.contains("<mark>"), "snippets are highlighted");
    assert!(page.contains("/search?q=dns&#38;organization=DNSimple"), "facets link to narrower searches");
    let narrowed = app.get("/search?q=dns&organization=DNSimple").await.text().await.unwrap();
    assert_eq!(narrowed.matches("<article class=\"card\">").count(), 3);
    let bad = app.get(&format!("/search?q={}", urlencode(&"(".repeat(50)))).await;
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("role=\"alert\""));
    let empty = app.get("/search").await.text().await.unwrap();
    assert!(empty.contains("8 reports"));
}

async fn two_servers_on_one_database_each_find_the_others_writes(backend: Backend) {
    let first = TestApp::spawn(backend).await;
    let second = TestApp::spawn_on(first.database.clone()).await;
    first.create(json!({"title": "Written through the first", "status": "published"})).await;
    second.create(json!({"title": "Written through the second", "status": "published"})).await;
    second.wait_until_found("first", "written-through-the-first").await;
    first.wait_until_found("second", "written-through-the-second").await;
}

async fn a_missing_corrupt_or_outdated_index_is_rebuilt_from_the_database(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    let store = app.store.clone();
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    let open = || async {
        let (search, mut indexer) = SearchIndex::open(&index, &store, |_, _| {}).await.expect("open");
        indexer.catch_up().await.expect("catch up");
        let request = hindsight::search::SearchRequest { q: "terraform".into(), limit: 10, ..Default::default() };
        let total = search.search(&request).expect("search").total;
        drop(indexer);
        total
    };
    assert_eq!(open().await, 1, "a missing index is built");
    assert_eq!(open().await, 1, "an existing index is reused");
    // Outdated: a payload from another schema version.
    let meta_path = index.join("meta.json");
    let meta = std::fs::read_to_string(&meta_path).unwrap();
    let mut meta_json: Value = serde_json::from_str(&meta).unwrap();
    meta_json["payload"] = json!("{\"schema_version\":0,\"change_id\":999999}");
    std::fs::write(&meta_path, meta_json.to_string()).unwrap();
    assert_eq!(open().await, 1, "an outdated index is rebuilt, not trusted");
    // Corrupt: a damaged meta file, then missing segment files.
    std::fs::write(&meta_path, "{ not json").unwrap();
    assert_eq!(open().await, 1, "a corrupt index is rebuilt");
    for entry in std::fs::read_dir(&index).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "store") {
            std::fs::remove_file(path).unwrap();
        }
    }
    assert_eq!(open().await, 1, "an index missing its files is rebuilt");
}

async fn a_stale_writer_lock_does_not_block_a_start_and_a_live_one_blocks_a_rebuild(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    std::fs::create_dir_all(&index).unwrap();
    std::fs::write(index.join(".tantivy-writer.lock"), "").unwrap();
    let (_search, indexer) =
        SearchIndex::open(&index, &app.store, |_, _| {}).await.expect("a stale lock file is ignored");
    // While that writer lives, nobody may wipe the index under it.
    let refused = SearchIndex::rebuild(&index, &app.store, |_, _| {}).await;
    assert!(matches!(refused, Err(SearchError::InUse)), "rebuild must refuse while the index is in use");
    let reopened = SearchIndex::open(&index, &app.store, |_, _| {}).await;
    assert!(matches!(reopened, Err(SearchError::InUse)));
    drop(indexer);
    assert!(SearchIndex::rebuild(&index, &app.store, |_, _| {}).await.is_ok(), "free once the writer is gone");
}

/// A start on a missing index builds it in the background: reports are read
/// from the first moment, and a search says how far the build has come
/// rather than finding nothing.
async fn a_server_without_an_index_serves_at_once_and_search_answers_503_until_it_is_built(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let (search, indexer) = SearchIndex::open_serving(&dir.path().join("index"), &app.store).await.expect("open");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let router = hindsight::app::router(hindsight::app::AppState::new(app.store.clone(), search.clone()));
    let server = tokio::spawn(hindsight::app::serve(listener, router, std::future::pending()));
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(format!("{address}{path}")).send();
    let seeds = app.store.count_live_incidents().await.unwrap();

    // The indexer has not run yet: the index is empty and being built.
    let api = get("/api/v1/search?q=terraform").await.unwrap();
    assert_eq!(api.status(), 503);
    assert_eq!(api.headers()["retry-after"], "5");
    let problem: Value = api.json().await.unwrap();
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("being rebuilt") && detail.contains(&format!("0 of {seeds} reports")), "{problem}");
    let page = get("/search?q=terraform").await.unwrap();
    assert_eq!(page.status(), 503);
    assert_eq!(page.headers()["retry-after"], "5");
    let body = page.text().await.unwrap();
    assert!(body.contains("being rebuilt"), "the search page says why it has no results");
    assert!(body.contains("value=\"terraform\""), "and keeps the query to try again");
    for path in ["/", "/incidents", "/incidents/crates-io-static-dns-record-removed-2023-01-25"] {
        assert_eq!(get(path).await.unwrap().status(), 200, "{path} is served during the build");
    }

    let indexer = indexer.spawn();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !search.is_ready() {
        assert!(std::time::Instant::now() < deadline, "the index was never built");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let found: Value = get("/api/v1/search?q=terraform").await.unwrap().json().await.unwrap();
    assert_eq!(found["hits"][0]["slug"], "crates-io-static-dns-record-removed-2023-01-25", "{found}");
    assert!(found["hits"][0]["occurred_at"].is_i64(), "a dated report says when: {found}");
    let undated: Value = get("/api/v1/search?q=BinaryPack").await.unwrap().json().await.unwrap();
    assert_eq!(undated["hits"][0]["occurred_at"], Value::Null, "its source gives no date: {undated}");
    // Writes after the build are followed as usual.
    app.create(json!({"title": "Written after the quokka census", "status": "published"})).await;
    let last = app.store.last_change_id().await.unwrap();
    while search.applied_change() < last {
        assert!(std::time::Instant::now() < deadline, "the index never followed the new write");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let found: Value = get("/api/v1/search?q=quokka").await.unwrap().json().await.unwrap();
    assert_eq!(found["total"], 1, "{found}");
    indexer.stop().await;
    server.abort();
}

/// Followers read the change log by id; an id that commits after a higher
/// one would be skipped for ever. Writes are serialised so that cannot
/// happen: a follower racing many writers sees every id.
async fn change_log_ids_reach_a_follower_in_order_under_concurrent_writes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let store = app.store.clone();
    let writers: Vec<_> = (0..6)
        .map(|writer| {
            let store = app.store.clone();
            tokio::spawn(async move {
                for n in 0..10 {
                    let input =
                        hindsight::domain::IncidentInput { title: format!("Race {writer} {n}"), ..Default::default() };
                    store.create_incident(&input.validate().unwrap(), "test", None).await.unwrap();
                }
            })
        })
        .collect();
    let follower = tokio::spawn(async move {
        let (mut cursor, mut seen) = (0, Vec::new());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while seen.len() < 60 && std::time::Instant::now() < deadline {
            for change in store.changes_after(cursor, 7).await.unwrap() {
                seen.push(change.id);
                cursor = change.id;
            }
        }
        seen
    });
    for writer in writers {
        writer.await.unwrap();
    }
    let seen = follower.await.unwrap();
    let all: Vec<i64> = app.store.changes_after(0, 1_000).await.unwrap().iter().map(|c| c.id).collect();
    assert_eq!(all.len(), 60);
    assert_eq!(seen, all, "the follower saw every change, in order");
}

/// An import hands the reports it commits to the indexer in its process,
/// which indexes them without reading them back; a report someone changed
/// since is read back. Either way the index answers what an index built
/// from the database answers.
async fn an_indexer_takes_what_an_import_just_wrote_and_reads_back_what_changed_since(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // A second store on the same database, as the import command has, with
    // its own index and an indexer run by hand.
    let store = app.database.open_store().await;
    let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (search, mut indexer) = SearchIndex::open(dirs.0.path(), &store, |_, _| {}).await.expect("open");
    indexer.catch_up().await.expect("an empty base");
    store.hand_writes_to_indexer();
    let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let report = hindsight::import::import_path(&store, &seeds, "import", |_, _, _| {}).await.unwrap();
    assert_eq!(report.imported, 8, "{report:?}");
    // A title changed behind the store's back, with no change logged: the
    // indexer, taking the report as the import wrote it, does not see it.
    use sqlx::Connection;
    let mut raw = sqlx::AnyConnection::connect(&app.database.url).await.unwrap();
    let honeycomb = "honeycomb-api-outage-2019-07-09";
    let retitle = "UPDATE incidents SET title = $1 WHERE slug = $2";
    let imported_title = store.get_incident(honeycomb).await.unwrap().unwrap().fields.title;
    sqlx::query(retitle).bind("Wombat outage").bind(honeycomb).execute(&mut raw).await.unwrap();
    // Changed through the other store before the indexer catches up.
    let slug = "crates-io-static-dns-record-removed-2023-01-25";
    let edit = json!({"title": "Quokka record removed", "status": "published"});
    assert_eq!(app.put_json(&format!("/api/v1/incidents/{slug}"), Some("\"1\""), &edit).await.status(), 200);
    // And one deleted: its newest change is the delete.
    let deleted = "dnsimple-redirector-leak-2013-03";
    assert_eq!(app.delete(&format!("/api/v1/incidents/{deleted}"), Some("\"1\"")).await.status(), 204);
    assert_eq!(indexer.catch_up().await.expect("catch up"), 10, "eight imports, an edit and a delete");

    let request = |q: &str| hindsight::search::SearchRequest { q: q.into(), limit: 100, ..Default::default() };
    let found = search.search(&request("quokka")).unwrap();
    assert_eq!(found.hits.iter().map(|hit| hit.slug.as_str()).collect::<Vec<_>>(), [slug], "the edit, read back");
    assert_eq!(search.search(&request("title:static")).unwrap().total, 0, "not the title it was imported with");
    assert_eq!(search.search(&request("wombat")).unwrap().total, 0, "the imports were taken as written");
    let redirector = search.search(&request("redirector")).unwrap();
    assert!(redirector.hits.iter().all(|hit| hit.slug != deleted), "the deleted report is gone");
    sqlx::query(retitle).bind(&imported_title).bind(honeycomb).execute(&mut raw).await.unwrap();

    let (rebuilt, writer, _) = SearchIndex::rebuild(dirs.1.path(), &store, |_, _| {}).await.expect("rebuild");
    drop((rebuilt, writer));
    let (from_database, _) = SearchIndex::open(dirs.1.path(), &store, |_, _| {}).await.expect("reopen");
    // The same matches, counts and hits; not the same order of ties or
    // the same scores, which count the edited report's old document until
    // its segment is merged.
    let answer = |results: &hindsight::search::SearchResults| {
        let mut hits: Vec<_> = results.hits.iter().map(|hit| (hit.slug.clone(), hit.title.clone())).collect();
        hits.sort();
        (results.total, serde_json::to_value(&*results.facets).unwrap(), hits)
    };
    for q in ["", "dns", "database OR deploy", "\"exit codes\"", "binarypack", "tag:terraform", "quokka"] {
        let (took, read) = (search.search(&request(q)).unwrap(), from_database.search(&request(q)).unwrap());
        assert_eq!(answer(&took), answer(&read), "{q:?}");
    }
    store.close().await;
}

/// A time such as `07:49` or a lone bracket looks like query syntax but is
/// not: it is searched as the words typed, and the reader is told so in
/// words rather than with the parser's error.
async fn text_that_is_not_query_syntax_is_searched_as_typed(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    app.wait_until_indexed().await;
    let time = search(&app, "q=07%3A49").await;
    let slugs: Vec<&str> = time["hits"].as_array().unwrap().iter().map(|hit| hit["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["dnsimple-alias-resolution-failures-2013-04-06"], "{time}");
    let note = time["notes"][0].as_str().unwrap();
    assert!(note.contains("“07:49” was searched as plain words"), "{note}");
    assert!(!note.contains("Field does not exist"), "{note}");
    let page = app.get("/search?q=07%3A49").await.text().await.unwrap();
    assert!(page.contains("searched as plain words") && page.contains("dnsimple-alias-resolution-failures"));
    let bracket = app.get("/search?q=%28").await;
    assert_eq!(bracket.status(), 200);
    let page = bracket.text().await.unwrap();
    assert!(page.contains("No published report matches.") && page.contains("searched as plain words"));
    assert!(!page.to_lowercase().contains("syntax error"), "no raw parser error");
}

/// Severity and action owners are searched like other words; each result
/// says when the incident happened; facet values read as labels; and
/// changing the order keeps the chosen filters.
async fn severity_owners_and_dates_are_searchable_and_shown(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    let owned = json!({"title": "Gateway timeouts", "status": "published", "severity": "sev4",
        "started_at": {"at": "2021-11-30T23:30:00-08:00", "zone": "America/Los_Angeles"},
        "actions": [{"text": "Raise the limit", "owner": "Grace Hopper"}]});
    app.create(owned).await;
    app.wait_until_indexed().await;
    assert_eq!(app.search_slugs("q=SEV4").await, ["gateway-timeouts"], "severity, in either case");
    assert_eq!(app.search_slugs("q=hopper").await, ["gateway-timeouts"], "an action's owner");
    let sev1 = app.search_slugs("q=sev1").await;
    assert_eq!(sev1.len(), 3, "the three sev1 seeds: {sev1:?}");
    let hit = &search(&app, "q=hopper").await["hits"][0];
    assert_eq!(hit["when"], "30 Nov 2021", "the date in the report's own zone, not UTC's 1 Dec");
    let page = app.get("/search?q=dns&tag=dns").await.text().await.unwrap();
    assert!(page.contains(">Monitoring gap</a>"), "a factor category reads as its label");
    assert!(!page.contains(">monitoring_gap</a>"));
    assert!(page.contains("<input type=\"hidden\" name=\"tag\" value=\"dns\">"), "the order form keeps the filter");
    assert!(page.contains("<span>20 May 2013</span>"), "each result says when");
}
