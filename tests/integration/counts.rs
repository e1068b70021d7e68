//! The read model. The counts pages show (tags, services, organizations,
//! factor categories, open and overdue actions) are kept on write, and
//! always equal a count made directly over the published reports, through
//! every kind of write. The pages that list by them are paginated. Pages
//! for readers are served from memory until a write on any server.

use serde_json::{json, Value};

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use hindsight::store::Label;

on_both_backends!(
    counts_kept_on_write_equal_a_direct_count_after_every_kind_of_write,
    pages_that_gather_incidents_go_page_by_page_and_unknown_names_are_not_found,
    open_actions_go_page_by_page_overdue_first_and_leave_with_their_report,
    pages_are_served_from_memory_until_a_write_on_any_server,
    counts_a_signed_in_reader_sees_follow_writes_on_any_server,
);

/// Counts made directly over every published report the API lists.
fn direct(incidents: &[Value], field: &str) -> Vec<(String, i64)> {
    let mut counts: std::collections::BTreeMap<String, i64> = Default::default();
    for incident in incidents.iter().filter(|i| i["status"] == "published") {
        match &incident[field] {
            Value::Array(names) => {
                for name in names {
                    *counts.entry(name.as_str().unwrap().to_string()).or_default() += 1;
                }
            }
            Value::String(name) => *counts.entry(name.clone()).or_default() += 1,
            _ => {}
        }
    }
    counts.into_iter().collect()
}

async fn assert_counts_agree(app: &TestApp, step: &str) {
    let incidents = app.all_incidents("").await;
    let sorted = |mut list: Vec<(String, i64)>| {
        list.sort();
        list
    };
    let kept = |label| async move {
        app.store.label_counts(label).await.unwrap().into_iter().map(|c| (c.name, c.count)).collect::<Vec<_>>()
    };
    assert_eq!(sorted(kept(Label::Tag).await), direct(&incidents, "tags"), "tags after {step}");
    assert_eq!(sorted(kept(Label::Service).await), direct(&incidents, "services"), "services after {step}");
    let organizations: Vec<(String, i64)> =
        app.store.organizations().await.unwrap().into_iter().map(|c| (c.name, c.count)).collect();
    assert_eq!(organizations, direct(&incidents, "organization"), "organizations after {step}");

    let published: Vec<&Value> = incidents.iter().filter(|i| i["status"] == "published").collect();
    let mut categories: std::collections::BTreeMap<String, i64> = Default::default();
    for incident in &published {
        let mut seen: Vec<&str> =
            incident["factors"].as_array().unwrap().iter().map(|f| f["category"].as_str().unwrap()).collect();
        seen.sort();
        seen.dedup();
        for category in seen {
            *categories.entry(category.to_string()).or_default() += 1;
        }
    }
    assert_eq!(
        sorted(app.store.category_counts().await.unwrap()),
        categories.into_iter().collect::<Vec<_>>(),
        "categories after {step}"
    );

    let today = time::Date::from_calendar_date(2013, time::Month::June, 1).unwrap();
    let open: Vec<&Value> = published
        .iter()
        .flat_map(|i| i["actions"].as_array().unwrap())
        .filter(|a| a["status"] == "open" || a["status"] == "in_progress")
        .collect();
    let overdue = open.iter().filter(|a| a["due_on"].as_str().is_some_and(|due| due < "2013-06-01")).count();
    let stats = app.store.stats(today).await.unwrap();
    assert_eq!(
        (stats.published, stats.open_actions, stats.overdue_actions, stats.organizations),
        (published.len() as i64, open.len() as i64, overdue as i64, direct(&incidents, "organization").len() as i64),
        "stats after {step}"
    );
}

fn report(title: &str, status: &str, tags: &[&str], organization: Option<&str>) -> Value {
    json!({
        "title": title,
        "status": status,
        "tags": tags,
        "services": ["api"],
        "organization": organization,
        "factors": [{"category": "capacity", "text": "No headroom."}, {"category": "capacity", "text": "Again."}],
        "actions": [
            {"text": "Add headroom", "status": "open", "due_on": "2013-05-01"},
            {"text": "Alert earlier", "status": "in_progress", "due_on": "2013-07-01"},
            {"text": "Write it up", "status": "done"}
        ]
    })
}

async fn counts_kept_on_write_equal_a_direct_count_after_every_kind_of_write(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    assert_counts_agree(&app, "the seeds").await;
    app.create(report("Draft only", "draft", &["dns", "secret-draft"], Some("Acme"))).await;
    assert_counts_agree(&app, "a draft").await;
    app.create(report("Published one", "published", &["dns", "fresh"], Some("Acme"))).await;
    assert_counts_agree(&app, "a publication").await;

    // An edit that changes tags, organization, factors and actions.
    let edit = json!({"tags": ["fresh", "other"], "organization": "Globex",
                      "factors": [{"category": "change", "text": "A deploy."}],
                      "actions": [{"text": "Only one", "status": "open", "due_on": "2013-01-01"}]});
    assert_eq!(app.patch_json("/api/v1/incidents/published-one", Some("\"1\""), &edit).await.status(), 200);
    assert_counts_agree(&app, "an edit").await;

    // Publishing the draft after review, then sending it back.
    let submit = json!({"status": "in_review"});
    assert_eq!(app.patch_json("/api/v1/incidents/draft-only", Some("\"1\""), &submit).await.status(), 200);
    assert_counts_agree(&app, "submitting a draft").await;
    let publish = json!({"status": "published"});
    assert_eq!(app.patch_json("/api/v1/incidents/draft-only", Some("\"2\""), &publish).await.status(), 200);
    assert_counts_agree(&app, "publishing a draft").await;
    let unpublish = json!({"status": "draft"});
    assert_eq!(app.patch_json("/api/v1/incidents/draft-only", Some("\"3\""), &unpublish).await.status(), 200);
    assert_counts_agree(&app, "unpublishing").await;

    // Deleting removes what it counted, and a name nothing carries is gone.
    assert_eq!(app.delete("/api/v1/incidents/published-one", Some("\"2\"")).await.status(), 204);
    assert_counts_agree(&app, "a deletion").await;
    assert_eq!(app.store.label_count(Label::Tag, "fresh").await.unwrap(), 0);

    // An import batch counts as the API's writes do.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("imported.md"),
        "+++\ntitle = \"Imported\"\nstatus = \"published\"\ntags = [\"dns\", \"imported\"]\norganization = \"Initech\"\n+++\n",
    )
    .unwrap();
    hindsight::import::import_path(&app.store, dir.path(), "import", |_, _, _| {}).await.unwrap();
    assert_counts_agree(&app, "an import").await;
}

async fn pages_that_gather_incidents_go_page_by_page_and_unknown_names_are_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for n in 0..25 {
        app.create(report(&format!("Shared tag {n:02}"), "published", &["shared"], None)).await;
    }
    let first = app.get("/tags/shared").await;
    assert_eq!(first.status(), 200);
    let first = first.text().await.unwrap();
    assert!(first.contains("25 published incidents, newest first."));
    assert_eq!(first.matches("<article class=\"card\"").count(), 20, "one bounded page");
    let next = first.split("rel=\"next\" href=\"").nth(1).unwrap().split('"').next().unwrap().replace("&amp;", "&");
    let second = app.get(&next).await.text().await.unwrap();
    assert_eq!(second.matches("<article class=\"card\"").count(), 5);
    assert!(second.contains("← First page") && !second.contains("rel=\"next\""));
    for missing in ["/tags/doesnotexist", "/services/x~", "/services/nothing-here"] {
        assert_eq!(app.get(missing).await.status(), 404, "{missing}");
    }
    let factors = app.get("/factors/capacity").await.text().await.unwrap();
    assert!(factors.contains("25 published incidents"));
    assert_eq!(factors.matches("<article class=\"card\"").count(), 20);
    let index = app.get("/factors").await.text().await.unwrap();
    assert!(index.contains("25"), "the categories page counts from the kept counts");
}

async fn open_actions_go_page_by_page_overdue_first_and_leave_with_their_report(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // 20 reports with 3 open actions each: one overdue, one due in the
    // future, one undated. 60 in all: a page of 50, then 10.
    for n in 0..20 {
        let actions = json!([
            {"text": format!("Past {n:02}"), "status": "open", "due_on": "2001-01-01"},
            {"text": format!("Future {n:02}"), "status": "in_progress", "due_on": "2999-01-01"},
            {"text": format!("Undated {n:02}"), "status": "open"},
            {"text": format!("Finished {n:02}"), "status": "done", "due_on": "2001-01-01"}
        ]);
        app.create(json!({"title": format!("Actions {n:02}"), "status": "published", "actions": actions})).await;
    }
    app.create(json!({"title": "Draft actions", "actions": [{"text": "Hidden draft action", "status": "open"}]})).await;
    let first = app.get("/actions").await.text().await.unwrap();
    assert!(first.contains("Overdue <span class=\"count\">20</span>"), "totals from the kept counts");
    assert!(first.contains("Open <span class=\"count\">40</span>"));
    let items = |page: &str| page.matches("<li class=\"action ").count();
    assert_eq!(items(&first), 50);
    let overdue = first.split("id=\"open-heading\"").next().unwrap();
    assert_eq!(overdue.matches("Past ").count(), 20, "every overdue action leads the first page");
    assert!(!first.contains("Hidden draft action") && !first.contains("Finished"));
    let next = first.split("rel=\"next\" href=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let second = app.get(&next).await.text().await.unwrap();
    assert_eq!(items(&second), 10);
    assert_eq!(second.matches("Undated ").count(), 10, "undated ones come last");
    assert!(!second.contains("rel=\"next\""));

    // Unpublishing or deleting a report takes its actions off the list.
    let draft = json!({"status": "draft"});
    assert_eq!(app.patch_json("/api/v1/incidents/actions-00", Some("\"1\""), &draft).await.status(), 200);
    assert_eq!(app.delete("/api/v1/incidents/actions-01", Some("\"1\"")).await.status(), 204);
    let (remaining, _) = app.store.open_actions(None, None, 100).await.unwrap();
    assert_eq!(remaining.len(), 54);
    assert!(remaining.iter().all(|item| !item.incident_slug.ends_with("-00") && !item.incident_slug.ends_with("-01")));
    let today = time::Date::from_calendar_date(2020, time::Month::January, 1).unwrap();
    let stats = app.store.stats(today).await.unwrap();
    assert_eq!((stats.open_actions, stats.overdue_actions), (54, 18));
}

async fn pages_are_served_from_memory_until_a_write_on_any_server(backend: Backend) {
    let first = TestApp::spawn(backend).await;
    let second = TestApp::spawn_on(first.database.clone()).await;
    let anonymous = first.anonymous();
    let get = |app: &TestApp, path: &str, etag: Option<&str>| {
        let mut request = anonymous.get(app.url(path));
        if let Some(etag) = etag {
            request = request.header("If-None-Match", etag);
        }
        request.send()
    };
    app_create(&first, "Kept page one").await;
    // Once the index has followed, so that the page is not rendered again
    // for that while the test looks.
    first.wait_until_indexed().await;

    let page = get(&first, "/incidents", None).await.unwrap();
    assert_eq!(page.status(), 200);
    let etag = page.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(page.headers()["cache-control"], "no-cache");
    assert!(page.headers().contains_key("content-security-policy"), "a kept page carries the same headers");
    assert!(page.text().await.unwrap().contains("Kept page one"));
    let again = get(&first, "/incidents", Some(&etag)).await.unwrap();
    assert_eq!(again.status(), 304, "unchanged: the browser keeps its copy");
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);

    // Each page type says whether it may be kept: the reading pages are;
    // sign-in, the forms and the API's lists are not.
    for path in ["/", "/incidents/kept-page-one", "/actions", "/factors", "/feed.atom", "/search?q=kept"] {
        let page = get(&first, path, None).await.unwrap();
        assert_eq!(page.status(), 200, "{path}");
        assert!(page.headers().contains_key("etag"), "{path} is kept");
    }
    for path in ["/login", "/incidents/new", "/drafts", "/api/v1/incidents", "/api/v1/search?q=kept", "/nowhere"] {
        let page = get(&first, path, None).await.unwrap();
        assert!(!page.headers().contains_key("etag"), "{path} is not kept");
    }

    // A write on this server shows at once, before its index follows.
    app_create(&first, "Kept page two").await;
    let after = get(&first, "/incidents", Some(&etag)).await.unwrap();
    assert_eq!(after.status(), 200);
    assert_ne!(after.headers()["etag"].to_str().unwrap(), etag);
    assert!(after.text().await.unwrap().contains("Kept page two"));

    // The other server kept its page, and sees the write once it follows
    // the change log (it polls every 250 ms).
    let seen = get(&second, "/incidents", None).await.unwrap().text().await.unwrap();
    assert!(seen.contains("Kept page one"));
    app_create(&first, "Kept page three").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let page = get(&second, "/incidents", None).await.unwrap().text().await.unwrap();
        if page.contains("Kept page three") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the second server still shows the page from before the write");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // A report's JSON is kept too, under its own version's ETag, which a
    // client sends back in If-Match.
    let json = get(&first, "/api/v1/incidents/kept-page-one", None).await.unwrap();
    assert_eq!(json.headers()["etag"], "\"1\"");
    let unchanged = get(&first, "/api/v1/incidents/kept-page-one", Some("\"1\"")).await.unwrap();
    assert_eq!(unchanged.status(), 304);
    let edit = json!({"summary": "Edited."});
    assert_eq!(first.patch_json("/api/v1/incidents/kept-page-one", Some("\"1\""), &edit).await.status(), 200);
    let edited = get(&first, "/api/v1/incidents/kept-page-one", Some("\"1\"")).await.unwrap();
    assert_eq!((edited.status().as_u16(), edited.headers()["etag"].to_str().unwrap()), (200, "\"2\""));

    // Someone signed in gets a page of their own, never a kept one.
    let with_token = first.client.get(first.url("/incidents")).send().await.unwrap();
    assert!(!with_token.headers().contains_key("etag"));
}

async fn app_create(app: &TestApp, title: &str) {
    app.create(json!({"title": title, "status": "published"})).await;
}

/// Someone signed in never gets a kept page, but the counts beside the
/// filters are read once for each state of the data: they still follow a
/// write on this server at once, and on another within its poll.
async fn counts_a_signed_in_reader_sees_follow_writes_on_any_server(backend: Backend) {
    let first = TestApp::spawn(backend).await;
    let second = TestApp::spawn_on(first.database.clone()).await;
    let list = |app: &TestApp| {
        let request = app.client.get(app.url("/incidents")).send();
        async move { request.await.unwrap().text().await.unwrap() }
    };
    let tagged = |tag: &str| json!({"title": format!("Tagged {tag}"), "status": "published", "tags": [tag]});
    first.create(tagged("memo-one")).await;
    assert!(list(&first).await.contains("memo-one"));
    assert!(list(&second).await.contains("memo-one"));

    first.create(tagged("memo-two")).await;
    assert!(list(&first).await.contains("memo-two"), "this server's write shows at once");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !list(&second).await.contains("memo-two") {
        assert!(std::time::Instant::now() < deadline, "the other server never showed the new tag");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let home = first.client.get(first.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("memo-two"), "the home page's tags too");
}
