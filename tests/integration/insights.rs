//! Insights across incidents, on both backends: the numbers of
//! `/api/v1/stats` against a direct computation on a fixed set of reports
//! (ties, one incident, approximate and unknown times, age buckets,
//! completion shares), the seeds' durations, and "Has this happened
//! before?" holding a recurrence against the actions taken.

use serde_json::{json, Value};
use time::{Date, Duration, OffsetDateTime};

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    duration_figures_match_a_direct_computation,
    follow_through_counts_ages_due_dates_and_completion,
    the_seeds_give_the_durations_their_documents_allow,
    a_fix_that_did_not_hold_is_flagged_and_open_actions_are_said_to_be_open,
    filters_narrow_what_is_counted_and_bad_ones_are_refused,
    facts_read_from_the_store_are_those_of_the_report,
);

fn day(date: Date) -> String {
    format!("{}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

/// A moment `minutes` after 10:00 UTC on `date`.
fn at(date: &str, minutes: i64, approximate: bool) -> Value {
    let start = time::PrimitiveDateTime::parse(
        &format!("{date} 10:00"),
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]"),
    )
    .unwrap()
    .assume_utc();
    let moment = start + Duration::minutes(minutes);
    let text = moment.format(&time::format_description::well_known::Rfc3339).unwrap();
    json!({"at": text, "zone": "UTC", "precision": "minute", "approximate": approximate})
}

/// The value at nearest rank `percent` of `values`: what a reader gets
/// when counting by hand.
fn by_hand(values: &[i64], percent: usize) -> i64 {
    let mut sorted = values.to_vec();
    sorted.sort();
    let rank = (percent * sorted.len()).div_ceil(100);
    sorted[rank.max(1) - 1]
}

fn published(title: &str, extra: Value) -> Value {
    let mut report = json!({"title": title, "status": "published"});
    report.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    report
}

fn group<'a>(groups: &'a Value, name: &str) -> &'a Value {
    groups.as_array().unwrap().iter().find(|group| group["name"] == name).unwrap_or_else(|| panic!("no group {name}"))
}

async fn duration_figures_match_a_direct_computation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Twelve SEV2 incidents, three of them 10 minutes long (a tie), over
    // 2023; one approximate SEV1; one SEV3 with no time at all.
    let minutes: [i64; 12] = [5, 10, 10, 10, 20, 30, 45, 60, 90, 120, 600, 1440];
    for (n, length) in minutes.iter().enumerate() {
        let date = format!("2023-{:02}-15", n + 1);
        app.create(published(
            &format!("Outage {n}"),
            json!({"severity": "sev2", "started_at": at(&date, 0, false), "resolved_at": at(&date, *length, false)}),
        ))
        .await;
    }
    app.create(published(
        "Rough outage",
        json!({"severity": "sev1", "started_at": at("2023-06-20", 0, true), "detected_at": at("2023-06-20", 5, false),
               "resolved_at": at("2023-06-20", 25, false)}),
    ))
    .await;
    app.create(published("Undated outage", json!({"severity": "sev3"}))).await;

    let stats = app.get_json("/api/v1/stats").await;
    assert_eq!(stats["min_for_percentiles"], 10);
    let stats = &stats["stats"];
    assert_eq!(stats["incidents"], 14);
    assert_eq!(stats["undated"], 1);
    let total = stats["durations"].as_array().unwrap().iter().find(|d| d["measure"] == "total").unwrap();
    let mut all: Vec<i64> = minutes.iter().map(|m| m * 60).collect();
    all.push(25 * 60);
    assert_eq!(total["all"]["count"], 14);
    assert_eq!(total["all"]["known"], 13);
    assert_eq!(total["all"]["approximate"], 1);
    assert_eq!(total["all"]["unknown"], 1, "the undated one is counted, not measured");
    assert_eq!(total["all"]["median"], by_hand(&all, 50));
    assert_eq!(total["all"]["median"], 30 * 60, "nearest rank 7 of 13");
    assert_eq!(total["all"]["p90"], by_hand(&all, 90));
    assert_eq!(total["all"]["max"], 1440 * 60);
    let sev2: Vec<i64> = minutes.iter().map(|m| m * 60).collect();
    let by_severity = &total["by_severity"];
    assert_eq!(group(by_severity, "sev2")["median"], by_hand(&sev2, 50));
    assert_eq!(group(by_severity, "sev2")["median"], 30 * 60, "rank 6 of 12, past the tie");
    assert_eq!(group(by_severity, "sev2")["p90"], 600 * 60, "rank 11 of 12");
    // One incident: no percentile to give, its value is the longest.
    let sev1 = group(by_severity, "sev1");
    assert_eq!((sev1["count"].clone(), sev1["known"].clone()), (json!(1), json!(1)));
    assert!(sev1["median"].is_null() && sev1["p90"].is_null());
    assert_eq!(sev1["max"], 25 * 60);
    assert_eq!(sev1["approximate"], 1);
    assert_eq!(group(by_severity, "sev3")["unknown"], 1);
    // Time to detect is known for one incident only.
    let detect = stats["durations"].as_array().unwrap().iter().find(|d| d["measure"] == "time_to_detect").unwrap();
    assert_eq!(detect["all"]["known"], 1);
    assert!(detect["all"]["median"].is_null());

    // Trends: a bar per month of 2023, each SEV2 month holding one.
    let trends = &stats["trends"];
    assert_eq!(trends["period"], "month");
    let bars = trends["bars"].as_array().unwrap();
    assert_eq!(bars.len(), 12);
    assert_eq!(bars[0]["period"], "2023-01");
    assert_eq!(bars[5]["by_severity"], json!({"sev1": 1, "sev2": 1, "sev3": 0, "sev4": 0, "unset": 0}));
    assert!(trends["change"]["p_value"].is_null(), "six months a side is too few to call a change");
    assert!(trends["change"]["note"].as_str().unwrap().starts_with("Too few incidents"));

    // The page shows the same figures, and says why there is no mean.
    let page = app.anonymous().get(app.url("/insights")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Why no averages?"));
    assert!(page.contains("<td>30 min</td><td>10 h</td><td>1 d</td>"), "median, p90 and longest of all");
    assert!(page.contains("too few (1)"));
    let csv = app.anonymous().get(app.url("/insights/durations.csv")).send().await.unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with("measure,group,incidents,measured,approximate,unknown,median,p90,max\r\n"));
    assert!(csv.contains(&format!("total_seconds,all,14,13,1,1,1800,{},86400\r\n", by_hand(&all, 90))));
    assert!(csv.contains("total_seconds,sev1,1,1,1,0,,,1500\r\n"), "{csv}");
}

async fn follow_through_counts_ages_due_dates_and_completion(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let today = OffsetDateTime::now_utc().date();
    let ago = |days: i64| day(today - Duration::days(days));
    let open = |due: Option<String>| json!({"text": "Fix it", "owner": "ops", "status": "open", "due_on": due});
    // Ages count from the incident's day.
    app.create(published(
        "Ten days ago",
        json!({"started_at": at(&ago(10), 0, false),
        "actions": [open(Some(ago(1))), open(None)]}),
    ))
    .await;
    app.create(published(
        "Sixty days ago",
        json!({"started_at": at(&ago(60), 0, false),
        "actions": [open(Some(day(today + Duration::days(30))))]}),
    ))
    .await;
    app.create(published(
        "A third of a year ago",
        json!({"started_at": at(&ago(120), 0, false),
        "actions": [{"text": "Fix it", "status": "in_progress", "due_on": ago(5)}]}),
    ))
    .await;
    app.create(published("Long ago", json!({"started_at": at("2023-01-05", 0, false), "actions": [
        open(None),
        {"text": "On time", "owner": "ops", "status": "done", "priority": "high", "due_on": "2023-02-15", "completed_at": "2023-02-10 12:00 UTC"},
        {"text": "Late", "owner": "ops", "status": "done", "priority": "high", "due_on": "2023-02-20", "completed_at": "2023-03-01 12:00 UTC"},
        {"text": "Never done", "status": "open", "due_on": "2023-03-01"},
        {"text": "Dropped", "status": "wont_do", "due_on": "2023-03-05"},
        {"text": "Done, no date", "owner": "dba", "status": "done", "due_on": "2023-01-31"},
    ]})))
    .await;
    app.create(published("Undated", json!({"actions": [open(None)]}))).await;

    let stats = app.get_json("/api/v1/stats").await;
    let follow = &stats["stats"]["follow_through"];
    let ages: Vec<(i64, i64)> = follow["open_by_age"]
        .as_array()
        .unwrap()
        .iter()
        .map(|bucket| (bucket["open"].as_i64().unwrap(), bucket["overdue"].as_i64().unwrap()))
        .collect();
    assert_eq!(ages, [(2, 1), (1, 0), (1, 1), (2, 1)], "0–30, 31–90, 91–180, over 180 days");
    assert_eq!(follow["open_of_undated"], 1);
    let quarter = follow["due_by_quarter"].as_array().unwrap().iter().find(|q| q["quarter"] == "2023-Q1").unwrap();
    // Due: on time, late, never done, done without a date; dropped left out.
    assert_eq!(
        (quarter["due"].clone(), quarter["on_time"].clone(), quarter["done_undated"].clone()),
        (json!(4), json!(1), json!(1))
    );
    let share = quarter["share_on_time"].as_f64().unwrap();
    assert!((share - 100.0 / 3.0).abs() < 1e-9, "one of the three whose outcome is known: {share}");
    // Days from the incident (5 Jan 2023) to completion: 36 and 55.
    let done = &follow["days_to_complete"];
    assert_eq!((done["count"].clone(), done["known"].clone(), done["unknown"].clone()), (json!(3), json!(2), json!(1)));
    assert_eq!(done["max"], 55);
    assert!(done["median"].is_null(), "two are too few");
    assert_eq!(group(&follow["days_to_complete_by_priority"], "high")["known"], 2);
    assert_eq!(group(&follow["days_to_complete_by_owner"], "dba")["unknown"], 1);
}

async fn the_seeds_give_the_durations_their_documents_allow(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    let stats = app.get_json("/api/v1/stats").await;
    let stats = &stats["stats"];
    assert_eq!(stats["incidents"], 8);
    // bunny.net and Cloudflare give no date.
    assert_eq!(stats["undated"], 2);
    let total = stats["durations"].as_array().unwrap().iter().find(|d| d["measure"] == "total").unwrap();
    assert_eq!(total["all"]["count"], 8);
    assert_eq!(
        total["all"]["unknown"],
        total["all"]["count"].as_i64().unwrap() - total["all"]["known"].as_i64().unwrap()
    );
    assert!(total["all"]["median"].is_null(), "eight reports are too few for a percentile");
    // Counted directly: each seed's own total duration, where its times
    // allow one.
    let list = app.get_json("/api/v1/incidents?limit=50").await;
    let mut measured = Vec::new();
    for item in list["items"].as_array().unwrap() {
        let incident = app.get_json(&format!("/api/v1/incidents/{}", item["slug"].as_str().unwrap())).await;
        if let Some(seconds) = incident["durations"]["total"]["seconds"].as_i64() {
            measured.push(seconds);
        }
    }
    assert!(!measured.is_empty());
    assert_eq!(total["all"]["known"], measured.len());
    assert_eq!(total["all"]["max"], *measured.iter().max().unwrap());
    // Honeycomb's outage ran 22:50 to 23:02 UTC: a SEV1 of 12 minutes.
    let honeycomb = app.get_json("/api/v1/incidents/honeycomb-api-outage-2019-07-09").await;
    assert_eq!(honeycomb["durations"]["total"]["seconds"], 12 * 60);
}

async fn a_fix_that_did_not_hold_is_flagged_and_open_actions_are_said_to_be_open(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let config = json!([{"category": "configuration", "text": "A limit was set too low."}]);
    app.create(published("Earlier, fixed", json!({"services": ["api"], "started_at": at("2023-01-10", 0, false),
        "factors": config, "actions": [{"text": "Raise the limit", "status": "done", "completed_at": "2023-01-20 12:00 UTC", "addresses": [0]}]})))
    .await;
    app.create(published(
        "Before the fix was done",
        json!({"services": ["api"], "started_at": at("2023-01-15", 0, false),
        "factors": config}),
    ))
    .await;
    app.create(published(
        "Again after the fix",
        json!({"services": ["api"], "started_at": at("2023-03-01", 0, false),
        "factors": config}),
    ))
    .await;
    let capacity = json!([{"category": "capacity", "text": "The disk filled."}]);
    app.create(published("Earlier, still open", json!({"services": ["db"], "started_at": at("2023-02-01", 0, false),
        "factors": capacity, "actions": [{"text": "Add disk alerts", "status": "open", "due_on": "2023-02-10", "addresses": [0]}]})))
    .await;
    app.create(published(
        "Again while open",
        json!({"services": ["db"], "started_at": at("2023-04-01", 0, false),
        "factors": capacity}),
    ))
    .await;
    // The same category on another service is not the same thing.
    app.create(published(
        "Elsewhere",
        json!({"services": ["web"], "started_at": at("2023-05-01", 0, false),
        "factors": capacity}),
    ))
    .await;

    let page = |slug: &str| {
        let url = app.url(&format!("/incidents/{slug}"));
        let client = app.anonymous();
        async move {
            let html = client.get(url).send().await.unwrap().text().await.unwrap();
            html.split("id=\"before-heading\"")
                .nth(1)
                .unwrap_or_default()
                .split("</section>")
                .next()
                .unwrap()
                .to_string()
        }
    };
    let again = page("again-after-the-fix").await;
    assert!(again.contains(">Earlier, fixed</a>") && again.contains(">Before the fix was done</a>"), "{again}");
    assert!(again.contains("done 2023-01-20</span> Raise the limit"));
    assert!(again.contains("The fix did not hold."));
    assert!(again.find(">Before the fix was done<").unwrap() < again.find(">Earlier, fixed<").unwrap(), "newest first");
    let early = page("before-the-fix-was-done").await;
    assert!(early.contains(">Earlier, fixed</a>") && !early.contains("did not hold"), "done only after it happened");
    let open = page("again-while-open").await;
    assert!(open.contains(">Earlier, still open</a>"));
    assert!(open.contains("class=\"badge action-state overdue\">open, overdue"), "{open}");
    assert!(!open.contains("did not hold"));
    let elsewhere = page("elsewhere").await;
    assert!(elsewhere.contains("No earlier published incident shares"), "{elsewhere}");

    let stats = app.get_json("/api/v1/stats").await;
    assert_eq!(stats["stats"]["recurred_despite_fix"]["count"], 1);
    let fixes = stats["stats"]["recurred_despite_fix"]["latest"].as_array().unwrap();
    assert_eq!(fixes.len(), 1, "{fixes:?}");
    assert_eq!(fixes[0]["slug"], "again-after-the-fix");
    assert_eq!(fixes[0]["earlier_slug"], "earlier-fixed");
    assert_eq!(fixes[0]["category"], "configuration");
    // A later write is counted at once: the open action is done now, on a
    // day before the second incident.
    let earlier = app.get_json("/api/v1/incidents/earlier-still-open").await;
    let version = earlier["version"].to_string();
    let done = json!({"actions": [{"text": "Add disk alerts", "status": "done", "completed_at": "2023-03-01 09:00 UTC", "addresses": [0]}]});
    let patched = app.patch_json("/api/v1/incidents/earlier-still-open", Some(&format!("\"{version}\"")), &done).await;
    assert_eq!(patched.status(), 200);
    let stats = app.get_json("/api/v1/stats").await;
    let slugs: Vec<&str> = stats["stats"]["recurred_despite_fix"]["latest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|fix| fix["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs.len(), 2);
    assert!(slugs.contains(&"again-while-open"));
}

async fn filters_narrow_what_is_counted_and_bad_ones_are_refused(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    let count = |query: &'static str| {
        let app = &app;
        async move { app.get_json(&format!("/api/v1/stats?{query}")).await["stats"]["incidents"].as_i64().unwrap() }
    };
    assert_eq!(count("organization=DNSimple").await, 4);
    assert_eq!(count("from=2013&to=2013").await, 4);
    assert_eq!(count("service=dns&category=configuration").await, count("category=configuration&service=DNS").await);
    let dated = app.get_json("/api/v1/stats?from=2019").await;
    assert_eq!(dated["stats"]["undated_left_out"], 2, "a period leaves the undated out, and says so");
    let refused = app.get("/api/v1/stats?from=2019-13&severity=sev9").await;
    assert_eq!(refused.status(), 422);
    let problem: Value = refused.json().await.unwrap();
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["from", "severity"]);
    let page = app.anonymous().get(app.url("/insights?to=soon")).send().await.unwrap();
    assert_eq!(page.status(), 422);
    assert!(page.text().await.unwrap().contains("To: `soon` is not a year, month or day"));
}

async fn facts_read_from_the_store_are_those_of_the_report(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    app.create(crate::helpers::full_incident("Checkout writes stalled")).await;
    let facts = app.store.all_incident_facts(|_| {}).await.unwrap();
    assert_eq!(facts.len(), 9);
    for read in facts {
        let incident = app.store.get_incident(&read.slug).await.unwrap().unwrap();
        let written = hindsight::insights::IncidentFacts::of(incident.id, &incident.fields);
        assert_eq!(read, written, "{}", read.slug);
    }
}
