//! The HTML pages through HTTP: what a reader gets, that drafts stay
//! hidden, and the headers every response carries.

use serde_json::json;

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    every_page_of_the_seeded_site_answers,
    what_pages_show_is_kept_on_write_and_derived_for_reports_written_before,
    the_incident_page_shows_facts_durations_timeline_and_parts,
    the_list_filters_and_pages,
    drafts_are_not_shown_publicly,
    factor_category_pages_gather_the_incidents_with_that_factor,
    tags_and_services_have_index_pages_with_counts,
    a_link_between_two_reports_is_shown_once_with_its_direction,
    lists_sort_by_the_date_shown_with_undated_reports_last,
    open_and_overdue_actions_are_listed_across_incidents,
    the_atom_feed_lists_published_reports,
    the_feed_menu_leads_to_a_page_that_explains_the_feed,
    a_forged_host_cannot_plant_its_links_in_a_kept_feed,
    unknown_pages_get_an_html_404,
    every_response_carries_the_security_headers,
    static_files_are_cached_and_compressed,
);

async fn html(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "GET {path}");
    assert_eq!(response.headers()["content-type"], "text/html; charset=utf-8", "{path}");
    response.text().await.unwrap()
}

async fn every_page_of_the_seeded_site_answers(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    for path in [
        "/",
        "/incidents",
        "/incidents?severity=sev1",
        "/tags",
        "/tags/dns",
        "/services",
        "/services/dns",
        "/factors",
        "/actions",
    ] {
        let page = html(&app, path).await;
        assert!(page.contains("<main id=\"main\">"), "{path} has a main landmark");
        assert!(!page.contains("<script>"), "{path} has no inline script");
    }
    for incident in app.all_incidents("").await {
        let slug = incident["slug"].as_str().unwrap();
        let page = html(&app, &format!("/incidents/{slug}")).await;
        assert!(
            page.contains(&format!("<h1>{}</h1>", incident["title"].as_str().unwrap().replace('\'', "&#39;"))),
            "{slug}"
        );
    }
    let home = html(&app, "/").await;
    assert!(home.contains("Recent reports") && home.contains("Open action items"));
}

async fn the_incident_page_shows_facts_durations_timeline_and_parts(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    let page = html(&app, "/incidents/honeycomb-api-outage-2019-07-09").await;
    for expected in [
        "SEV1",
        "Honeycomb",
        "Time to resolve",
        "<dd>12 min</dd>",
        "Timeline",
        "<svg class=\"strip strip-wide\"",
        "<svg class=\"strip strip-narrow\"",
        "Impact started",
        "4 min later",
        "22:54",
        "Contributing factors",
        "Action items",
        "Related incidents",
        "href=\"/factors/software_defect\"",
    ] {
        assert!(page.contains(expected), "the Honeycomb page lacks {expected:?}");
    }
    let dnsimple = html(&app, "/incidents/dnsimple-dns-changes-blocked-mysql-2013-05-20").await;
    assert!(dnsimple.contains("11:40 PDT"), "shown in the report's zone with the abbreviation in force");
    assert!(dnsimple.contains("18:40 UTC"), "with UTC beside");
    assert!(dnsimple.contains("06:43 UTC, Tue 21 May"), "and the UTC date when it is another day");
    assert!(dnsimple.contains("about 12 h 13 min"), "an approximate start makes the duration approximate");
    assert!(dnsimple.contains("about 10 min"), "ten minutes from about 11:30 to 11:40");
    assert!(dnsimple.contains("no time given"));
}

async fn the_list_filters_and_pages(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    let dnsimple = html(&app, "/incidents?organization=DNSimple").await;
    assert_eq!(dnsimple.matches("<article class=\"card\">").count(), 4);
    let sev1_2013 = html(&app, "/incidents?severity=sev2&year=2013").await;
    assert_eq!(sev1_2013.matches("<article class=\"card\">").count(), 3);
    let none = html(&app, "/incidents?tag=no-such-tag").await;
    assert!(none.contains("No published incident matches"));
    let garbled = html(&app, "/incidents?year=abc&severity=zzz&open=maybe").await;
    assert_eq!(garbled.matches("<article class=\"card\">").count(), 8, "a garbled filter filters nothing");
    for n in 0..25 {
        app.create(json!({"title": format!("Paged {n}"), "status": "published", "tags": ["paged"]})).await;
    }
    let first = html(&app, "/incidents?tag=paged").await;
    assert_eq!(first.matches("<article class=\"card\">").count(), 20);
    let next = first.split("rel=\"next\" href=\"").nth(1).unwrap().split('"').next().unwrap().replace("&#38;", "&");
    let second = html(&app, &next).await;
    assert_eq!(second.matches("<article class=\"card\">").count(), 5);
    assert!(second.contains("First page"));
    let oldest = html(&app, "/incidents?tag=paged&sort=oldest").await;
    assert!(oldest.find("Paged 0").unwrap() < oldest.find("Paged 1<").unwrap_or(usize::MAX));
}

async fn drafts_are_not_shown_publicly(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(
        json!({"title": "Secret draft", "status": "draft", "tags": ["hidden"], "actions": [{"text": "Hidden action"}]}),
    )
    .await;
    app.create(json!({"title": "Under review", "status": "in_review", "tags": ["hidden"]})).await;
    assert_eq!(app.get("/incidents/secret-draft").await.status(), 404);
    assert_eq!(app.get("/incidents/under-review").await.status(), 404);
    for path in ["/", "/incidents", "/tags/hidden", "/actions", "/feed.atom"] {
        let body = app.get(path).await.text().await.unwrap();
        assert!(!body.contains("Secret draft") && !body.contains("Under review"), "{path} shows a draft");
        assert!(!body.contains("Hidden action"), "{path} shows a draft's action");
    }
}

async fn factor_category_pages_gather_the_incidents_with_that_factor(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    let page = html(&app, "/factors/software_defect").await;
    assert!(page.contains("BinaryPack"), "bunny.net's defect is listed");
    assert!(page.contains("honeycomb-api-outage-2019-07-09"));
    assert!(page.contains("<a href=\"/factors\">Contributing factors</a>"), "the crumbs lead back to every category");
    let index = html(&app, "/factors").await;
    assert!(index.contains("href=\"/factors/monitoring_gap\""));
    // Most incidents first: each category's count is no larger than the one before.
    let counts: Vec<usize> = index
        .split("<span class=\"count\">")
        .skip(1)
        .map(|rest| rest.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(counts.len(), 10);
    assert!(counts.windows(2).all(|pair| pair[0] >= pair[1]), "{counts:?}");
    assert!(counts[0] > 0);
    assert_eq!(app.get("/factors/not_a_category").await.status(), 404);
}

/// Lists sort by when the incident happened, the date each card shows;
/// reports of unknown date (no times, or only times marked unsure) come
/// after the dated ones in either order. The home page's recent reports
/// are the ones published last, whenever they happened.
async fn lists_sort_by_the_date_shown_with_undated_reports_last(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    let at = |at: &str, precision: &str| json!({"at": at, "zone": "UTC", "precision": precision});
    app.create(json!({"title": "Undated outage", "status": "published"})).await;
    app.create(json!({"title": "Unsure outage", "status": "published",
        "started_at": at("2030-01-01T00:00:00Z", "unknown")}))
        .await;
    app.create(json!({"title": "Ancient outage", "status": "published",
        "started_at": at("2001-02-03T04:05:00Z", "minute")}))
        .await;
    let titles = |page: &str| -> Vec<String> {
        page.split("<h3><a href=\"/incidents/")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap().to_string())
            .collect()
    };
    // Two seeds give times without a date (their sources do not say): they
    // are undated too.
    let undated = [
        "unsure-outage",
        "undated-outage",
        "cloudflare-dns-database-deletion",
        "bunnynet-dns-outage-binarypack-stack-overflow",
    ];
    let newest = titles(&html(&app, "/incidents").await);
    assert_eq!(newest.len(), 11);
    assert_eq!(&newest[7..], undated, "undated last, the last filed first: {newest:?}");
    assert_eq!(newest[6], "ancient-outage", "the oldest dated report just before them");
    let oldest = titles(&html(&app, "/incidents?order=oldest").await);
    assert_eq!(oldest[0], "ancient-outage");
    let mut filed_order = undated;
    filed_order.reverse();
    assert_eq!(&oldest[7..], filed_order, "undated last here too: {oldest:?}");
    let page = html(&app, "/incidents").await;
    let unsure = page.split("href=\"/incidents/unsure-outage\"").nth(1).unwrap().split("</p>").next().unwrap();
    assert!(unsure.contains("date unknown"), "a date shown as unknown sorts as unknown: {unsure}");
    // Pages cross from dated to undated reports without a repeat or a gap,
    // in either order, whether a page ends inside a part or exactly at the
    // last dated report (7 of them).
    for (order, limit, expected) in
        [("oldest", 3, &oldest), ("oldest", 7, &oldest), ("newest", 3, &newest), ("newest", 7, &newest)]
    {
        let mut walked = Vec::new();
        let mut path = format!("/api/v1/incidents?order={order}&limit={limit}");
        loop {
            let page = app.get_json(&path).await;
            let items = page["items"].as_array().unwrap();
            walked.extend(items.iter().map(|item| item["slug"].as_str().unwrap().to_string()));
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("/api/v1/incidents?order={order}&limit={limit}&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(&walked, expected, "{order} first, {limit} a page");
    }
    let home = html(&app, "/").await;
    let recent = home.split("id=\"recent-heading\"").nth(1).unwrap().split("</section>").next().unwrap();
    assert_eq!(titles(recent)[0], "ancient-outage", "published last, so first among the recent reports");
}

/// Two reports that link each other show the link once, saying it goes
/// both ways; a report that only links here is listed as linking here.
async fn a_link_between_two_reports_is_shown_once_with_its_direction(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(json!({"title": "First outage", "status": "published",
        "related": [{"slug": "second-outage", "kind": "related"}]}))
        .await;
    app.create(json!({"title": "Second outage", "status": "published",
        "related": [{"slug": "first-outage", "kind": "recurrence_of"}]}))
        .await;
    app.create(json!({"title": "Third outage", "status": "published",
        "related": [{"slug": "first-outage", "kind": "caused_by"}]}))
        .await;
    let page = html(&app, "/incidents/first-outage").await;
    // The related section alone: similar reports are suggested further on.
    let first = page.split("id=\"related-heading\"").nth(1).unwrap().split("</section>").next().unwrap();
    assert_eq!(first.matches("href=\"/incidents/second-outage\"").count(), 1, "the mutual link once");
    assert!(first.contains("Second outage</a> <span class=\"unknown\">(it links back: recurrence of)</span>"));
    assert_eq!(first.matches("href=\"/incidents/third-outage\"").count(), 1);
    assert!(first.contains("<span class=\"badge\">Linked from</span> <a href=\"/incidents/third-outage\">"));
}

/// `/tags` and `/services` list every label of a published report with
/// its count, most first, each linking to its page; drafts count for nothing.
async fn tags_and_services_have_index_pages_with_counts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (title, tags) in [("One", vec!["dns", "bgp"]), ("Two", vec!["dns"]), ("Three", vec!["dns", "bgp"])] {
        app.create(json!({"title": title, "status": "published", "tags": tags, "services": ["resolver"]})).await;
    }
    app.create(json!({"title": "Draft", "status": "draft", "tags": ["secret"], "services": ["undisclosed"]})).await;
    let tags = html(&app, "/tags").await;
    let dns = tags.find("href=\"/tags/dns\">#dns <span class=\"count\">3</span>").expect("dns with its count");
    let bgp = tags.find("href=\"/tags/bgp\">#bgp <span class=\"count\">2</span>").expect("bgp with its count");
    assert!(dns < bgp, "most first");
    assert!(!tags.contains("secret"), "a draft's tag is not counted");
    let services = html(&app, "/services").await;
    assert!(services.contains("href=\"/services/resolver\">resolver <span class=\"count\">3</span>"));
    assert!(!services.contains("undisclosed"), "nor its service");
    let tag_page = html(&app, "/tags/dns").await;
    assert!(tag_page.contains("<a href=\"/tags\">Tags</a>"), "a tag's page leads back to the index");
    assert!(html(&app, "/").await.contains("href=\"/tags\""), "the home page's tag box leads to it");
    let empty = TestApp::spawn(backend).await;
    assert!(html(&empty, "/services").await.contains("No published incident carries one yet."));
}

async fn open_and_overdue_actions_are_listed_across_incidents(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(json!({"title": "With actions", "status": "published", "actions": [
        {"text": "Overdue fix", "status": "open", "due_on": "2001-01-01"},
        {"text": "Future fix", "status": "in_progress", "due_on": "2999-01-01"},
        {"text": "Finished fix", "status": "done"}
    ]}))
    .await;
    let page = html(&app, "/actions").await;
    let overdue = page.find("Overdue fix").unwrap();
    let open_heading = page.find("id=\"open-heading\"").unwrap();
    assert!(overdue < open_heading, "the overdue item is in the overdue section");
    assert!(page[open_heading..].contains("Future fix"));
    assert!(!page.contains("Finished fix"));
    let incident = html(&app, "/incidents/with-actions").await;
    assert!(incident.contains("overdue"));
}

async fn the_atom_feed_lists_published_reports(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    app.create(json!({"title": "A & B <fails>", "status": "published", "summary": "Tags: <b>bold</b> & more"})).await;
    let response = app.get("/feed.atom").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/atom+xml; charset=utf-8");
    let xml = response.text().await.unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
    assert_eq!(xml.matches("<entry>").count(), 9);
    assert!(xml.contains("<title type=\"text\">A &#38; B &#60;fails&#62;</title>"), "titles are escaped");
    assert!(xml.contains("/incidents/honeycomb-api-outage-2019-07-09\"/>"));
    assert!(!xml.contains("<b>"), "HTML content is escaped inside the XML");
}

/// The menu's "Feed" is a page for people: what the feed holds, its
/// address to copy into a reader, and the newest entries; the XML is linked.
async fn the_feed_menu_leads_to_a_page_that_explains_the_feed(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    let home = html(&app, "/").await;
    assert!(home.contains("<a href=\"/feed\""), "the menu links the page, not the XML");
    let page = html(&app, "/feed").await;
    assert!(page.contains("<h1>Follow new reports</h1>"));
    let address = format!("value=\"{}/feed.atom\"", app.url("").trim_end_matches('/'));
    assert!(page.contains(&address), "the address to copy: {address}");
    assert!(page.contains("href=\"/feed.atom\" type=\"application/atom+xml\""));
    assert_eq!(page.matches("<li><a href=").count(), 5 + 7, "the five newest, beside the menu's seven links");
}

async fn unknown_pages_get_an_html_404(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in [
        "/no/such/page",
        "/incidents/missing",
        "/static/missing.css",
        "/tags/doesnotexist",
        "/services/x~",
        "/factors/not-a-category",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(response.headers()["content-type"], "text/html; charset=utf-8");
        assert!(response.text().await.unwrap().contains("Not found"));
    }
}

async fn every_response_carries_the_security_headers(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    for path in [
        "/",
        "/incidents/honeycomb-api-outage-2019-07-09",
        "/missing",
        "/api/v1/incidents",
        "/api/v1/nope",
        "/static/app.css",
        "/feed.atom",
    ] {
        let response = app.get(path).await;
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "strict-origin-when-cross-origin", "{path}");
    }
}

async fn static_files_are_cached_and_compressed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let page = html(&app, "/").await;
    let css =
        page.split("<link rel=\"stylesheet\" href=\"").nth(1).unwrap().split('"').next().unwrap().replace("&#38;", "&");
    assert!(css.starts_with("/static/app.css?v="), "{css}");
    let response = app.client.get(app.url(&css)).header("Accept-Encoding", "gzip").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(response.headers()["content-encoding"], "gzip");
    assert_eq!(response.headers()["content-type"], "text/css; charset=utf-8");
    let unversioned = app.get("/static/app.css").await;
    assert_eq!(unversioned.headers()["cache-control"], "public, max-age=300");
    for asset in ["/static/app.js", "/static/favicon.svg"] {
        assert_eq!(app.get(asset).await.status(), 200, "{asset}");
    }
}

async fn what_pages_show_is_kept_on_write_and_derived_for_reports_written_before(backend: Backend) {
    use hindsight::read_model::{Card, RenderedReport};
    use sqlx::Connection;
    let app = TestApp::spawn_seeded(backend).await;
    let slug = "dnsimple-dns-changes-blocked-mysql-2013-05-20";
    let published =
        hindsight::store::IncidentFilter { status: Some(hindsight::domain::Status::Published), ..Default::default() };
    let card_of = |cards: &[Card]| cards.iter().find(|card| card.slug == slug).cloned().expect("listed");
    let mut raw = sqlx::AnyConnection::connect(&app.database.url).await.unwrap();

    // Written with the report: the list reads its card, its page its
    // rendering, and both are the report's own.
    let whole = app.store.get_incident(slug).await.unwrap().unwrap();
    assert_eq!(
        kept(&mut raw, "card", slug).await.as_deref().and_then(|k| Card::from_kept(Some(k))),
        Some(Card::of(&whole.fields))
    );
    let rendering = RenderedReport::of(&whole.fields);
    assert_eq!(kept_rendering(&mut raw, slug).await, Some(rendering.clone()));

    // An edit writes the new version's card and rendering.
    let edit = json!({"summary": "Record changes were *blocked* for twelve hours."});
    let etag = format!("\"{}\"", whole.meta.version);
    assert_eq!(app.patch_json(&format!("/api/v1/incidents/{slug}"), Some(&etag), &edit).await.status(), 200);
    let edited = app.store.get_incident(slug).await.unwrap().unwrap();
    let listed = card_of(&app.store.list_cards(&published, None, 100).await.unwrap().items);
    assert!(listed.summary_html.contains("<em>blocked</em>"), "{}", listed.summary_html);
    assert_eq!(
        kept(&mut raw, "card", slug).await.as_deref().and_then(|k| Card::from_kept(Some(k))),
        Some(listed.clone())
    );
    let rendering = RenderedReport::of(&edited.fields);
    assert!(rendering.summary_html.contains("<em>blocked</em>"));
    assert_eq!(kept_rendering(&mut raw, slug).await, Some(rendering.clone()));

    // The pages show what was kept, and render nothing: a kept text
    // changed behind their back shows as changed.
    let id = edited.id;
    let altered = RenderedReport { summary_html: "<p><em>as kept</em></p>".into(), ..rendering.clone() };
    sqlx::query("UPDATE incidents SET rendered = $1 WHERE id = $2")
        .bind(altered.to_kept())
        .bind(id)
        .execute(&mut raw)
        .await
        .unwrap();
    let tamper = [
        "UPDATE action_items SET text_html = '<b>action as kept</b>' WHERE incident_id = $1 AND position = 0",
        "UPDATE contributing_factors SET text_html = '<b>factor as kept</b>' \
         WHERE incident_id = $1 AND category = 'hardware'",
    ];
    for sql in tamper {
        sqlx::query(sql).bind(id).execute(&mut raw).await.unwrap();
    }
    let page = app.get(&format!("/incidents/{slug}")).await.text().await.unwrap();
    assert!(
        page.contains("<em>as kept</em>") && !page.contains("<em>blocked</em>"),
        "the page reads the kept rendering"
    );
    assert!(app.get("/actions").await.text().await.unwrap().contains("<b>action as kept</b>"));
    assert!(app.get("/factors/hardware").await.text().await.unwrap().contains("<b>factor as kept</b>"));

    // A report written before cards and renderings were kept: derived on
    // read until the next start fills them in, once.
    // (Its sort key from before too: once the filing time for an undated
    // report; the fill sets the key lists now sort by.)
    for sql in [
        "UPDATE incidents SET card = NULL, rendered = NULL, rendered_format = NULL, occurred_at = 12345 WHERE id = $1",
        "UPDATE action_items SET text_html = NULL WHERE incident_id = $1",
        "UPDATE contributing_factors SET text_html = NULL WHERE incident_id = $1",
    ] {
        sqlx::query(sql).bind(id).execute(&mut raw).await.unwrap();
    }
    sqlx::query("DELETE FROM derived_complete").execute(&mut raw).await.unwrap();
    assert_eq!(kept(&mut raw, "card", slug).await, None);
    assert_eq!(card_of(&app.store.list_cards(&published, None, 100).await.unwrap().items), listed);
    assert_eq!(app.store.rendered_report(&edited).await.unwrap(), rendering);
    let (open, _) = app.store.open_actions(None, None, 100).await.unwrap();
    let first = open.iter().find(|open| open.incident_slug == slug && open.action.text.starts_with("Add alerts"));
    let first = first.expect("the first action is open");
    assert_eq!((first.text_html.as_deref(), first.rendered_text()), (None, rendering.actions_html[0].clone()));
    let page = app.get("/incidents?organization=DNSimple").await.text().await.unwrap();
    assert!(page.contains("<em>blocked</em>"), "the list shows the derived card");
    assert_eq!(app.store.fill_missing_derived().await.unwrap(), 1);
    let key = sqlx::query_scalar::<_, i64>("SELECT occurred_at FROM incidents WHERE id = $1").bind(id);
    assert_eq!(key.fetch_one(&mut raw).await.unwrap(), edited.fields.sort_key(), "the sort key is set again");
    assert_eq!(kept(&mut raw, "card", slug).await.as_deref().and_then(|k| Card::from_kept(Some(k))), Some(listed));
    assert_eq!(kept_rendering(&mut raw, slug).await, Some(rendering.clone()));
    let (open, _) = app.store.open_actions(None, None, 100).await.unwrap();
    let first = open.iter().find(|open| open.incident_slug == slug && open.action.text.starts_with("Add alerts"));
    assert_eq!(first.and_then(|open| open.text_html.clone()), Some(rendering.actions_html[0].clone()));
    let kept_factor = "SELECT text_html FROM contributing_factors WHERE incident_id = $1 AND category = 'hardware'";
    let kept_factor = sqlx::query_scalar::<_, Option<String>>(kept_factor).bind(id).fetch_one(&mut raw).await.unwrap();
    let hardware = edited.fields.factors.iter().position(|f| f.category == hindsight::domain::FactorCategory::Hardware);
    assert_eq!(kept_factor, Some(rendering.factors_html[hardware.expect("a hardware factor")].clone()));
    let filled = app.store.get_incident(slug).await.unwrap().expect("still there");
    assert_eq!(filled.fields, edited.fields, "the fill writes the report's parts again unchanged");
    assert_eq!(app.store.fill_missing_derived().await.unwrap(), 0, "known complete: not looked for again");
    raw.close().await.unwrap();
}

/// The kept `column` (`card` or `rendered`) of the report at `slug`.
async fn kept(raw: &mut sqlx::AnyConnection, column: &str, slug: &str) -> Option<String> {
    let sql = format!("SELECT {column} FROM incidents WHERE slug = $1");
    sqlx::query_scalar::<_, Option<String>>(&sql).bind(slug).fetch_one(raw).await.unwrap()
}

async fn kept_rendering(raw: &mut sqlx::AnyConnection, slug: &str) -> Option<hindsight::read_model::RenderedReport> {
    let sql = "SELECT rendered, rendered_format FROM incidents WHERE slug = $1";
    let (kept, format) =
        sqlx::query_as::<_, (Option<Vec<u8>>, Option<i64>)>(sql).bind(slug).fetch_one(raw).await.unwrap();
    hindsight::read_model::RenderedReport::from_kept(kept.as_deref(), format)
}

/// Feeds and calendars write absolute links with the host asked for, and
/// readers are served kept copies: each host keeps its own.
async fn a_forged_host_cannot_plant_its_links_in_a_kept_feed(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    app.wait_until_indexed().await;
    for path in ["/feed.atom", "/actions/feed.atom"] {
        let forged = app
            .anonymous()
            .get(app.url(path))
            .header(reqwest::header::HOST, "evil.example")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(forged.contains("http://evil.example/"), "{path} answers the host it was asked for");
        let honest = app.anonymous().get(app.url(path)).send().await.unwrap().text().await.unwrap();
        assert!(!honest.contains("evil.example"), "{path}: another host's copy was served");
    }
}
