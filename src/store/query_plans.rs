//! The reading path's queries on SQLite, checked with `EXPLAIN QUERY PLAN`
//! against the real migrations: each reads through an index in the order
//! it returns rows, so a page costs the same at 100,000 reports as at 8.
//! A bare `SCAN` of a table, or a temporary B-tree to sort, fails the test.
//!
//! Filters by a label (tag, service, factor category) walk the list order
//! and probe the label's index for each report when many reports carry the
//! label, and gather the label's reports from its index and sort them when
//! few do (`Gather`): sorts of at most a few thousand ids, allowed here.
//! Open actions are common, and always walked.

use sqlx::Row;

use super::browse::{
    actions_query, backlinks_query, completed_actions_query, factor_quotes_query, feed_query, open_actions_query,
    ActionCursor, ActionFilter, ActionPlace,
};
use super::incidents::{list_query, select_incidents, Dates, Gather, IncidentFilter, PageCursor, SELECT_CARDS};
use super::{QueryBuilder, Store};
use crate::domain::{ActionStatus, FactorCategory, Severity, Status};

async fn plan(store: &Store, query: &QueryBuilder) -> Vec<String> {
    let explain = QueryBuilder { sql: format!("EXPLAIN QUERY PLAN {}", query.sql), ..QueryBuilder::new("") };
    let explain = QueryBuilder { params: query.params.clone(), ..explain };
    let rows = explain.build().fetch_all(&store.read).await.expect("EXPLAIN QUERY PLAN");
    rows.iter().map(|row| row.try_get::<String, _>("detail").expect("detail")).collect()
}

/// A step that reads a whole table, or sorts what it read.
fn costly(step: &str) -> bool {
    (step.starts_with("SCAN ") && !step.contains(" USING ")) || step.contains("TEMP B-TREE")
}

#[tokio::test]
async fn every_listing_reads_through_an_index_in_its_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(None, dir.path()).await.expect("open");
    let published = IncidentFilter { status: Some(Status::Published), ..Default::default() };
    let cursor = Some(PageCursor { occurred_at: 1_700_000_000, id: 42 });
    let lists = [
        ("the list", published.clone()),
        ("a tag's page", IncidentFilter { tag: Some("dns".into()), ..published.clone() }),
        ("a service's page", IncidentFilter { service: Some("api".into()), ..published.clone() }),
        ("a category's page", IncidentFilter { factor_category: Some(FactorCategory::Change), ..published.clone() }),
        ("by severity", IncidentFilter { severity: Some(Severity::Sev1), ..published.clone() }),
        ("by organization", IncidentFilter { organization: Some("Example".into()), ..published.clone() }),
        ("by year", IncidentFilter { year: Some(2024), ..published.clone() }),
        ("with open actions", IncidentFilter { has_open_actions: true, ..published.clone() }),
        ("oldest first", IncidentFilter { oldest_first: true, ..published.clone() }),
        ("every report (export, index rebuild)", IncidentFilter::default()),
    ];
    // (what, query, whether it may sort: a bounded set)
    let mut queries: Vec<(String, QueryBuilder, bool)> = Vec::new();
    for (name, filter) in lists {
        // The pages read cards; an export and the index rebuild read reports whole.
        let select = if filter.status.is_some() { SELECT_CARDS } else { select_incidents() };
        // Oldest first reads the dated reports, then the undated ones.
        let parts: &[Dates] = if filter.oldest_first { &[Dates::Known, Dates::Unknown] } else { &[Dates::All] };
        for &dates in parts {
            let name = format!("{name} ({dates:?} dates)");
            queries.push((format!("{name}, first page"), list_query(select, &filter, None, 20, None, dates), false));
            queries.push((
                format!("{name}, a later page"),
                list_query(select, &filter, cursor, 20, None, dates),
                false,
            ));
            if let Some(gather) = gather_of(&filter) {
                let (first, later) =
                    (format!("{name}, rare, first page"), format!("{name}, rare, a later gathered page"));
                queries.push((first, list_query(select, &filter, None, 20, Some(&gather), dates), true));
                queries.push((later, list_query(select, &filter, cursor, 20, Some(&gather), dates), true));
            }
        }
    }
    let action = ActionCursor { open_due: "2024-01-31".into(), incident_id: 42, position: 1 };
    queries.push(("open actions, first page".into(), open_actions_query(None, None, 50), false));
    queries.push(("open actions, a later page".into(), open_actions_query(Some(&action), None, 50), false));
    queries.push(("recently completed actions".into(), completed_actions_query(None, 10), false));
    queries.push(("one owner's open actions, first page".into(), open_actions_query(None, Some("ops"), 50), false));
    queries.push((
        "one owner's open actions, a later page".into(),
        open_actions_query(Some(&action), Some("ops"), 50),
        false,
    ));
    queries.push(("one owner's completed actions".into(), completed_actions_query(Some("ops"), 10), false));
    let today = time::macros::date!(2024 - 06 - 01);
    let place = Some(ActionPlace { incident_id: 42, position: 1 });
    for (name, filter) in [
        ("the API's actions", ActionFilter::default()),
        ("the API's actions of one owner", ActionFilter { owner: Some("ops".into()), ..Default::default() }),
        ("the API's overdue actions", ActionFilter { overdue: Some(true), ..Default::default() }),
        ("the API's actions on one service", ActionFilter { service: Some("api".into()), ..Default::default() }),
        ("the API's done actions", ActionFilter { status: Some(ActionStatus::Done), ..Default::default() }),
    ] {
        // Each report's items are sorted, never more (checked below).
        let services = match filter.service.as_deref() {
            Some(service) => vec![
                (format!("{name}, walked"), Some((service, false))),
                (format!("{name}, rare, gathered"), Some((service, true))),
            ],
            None => vec![(name.to_string(), None)],
        };
        for (name, service) in services {
            queries.push((format!("{name}, first page"), actions_query(&filter, service, today, None, 50), true));
            queries.push((format!("{name}, a later page"), actions_query(&filter, service, today, place, 50), true));
        }
    }
    queries.push(("the feed".into(), feed_query(50), false));
    // The links that name one report, sorted by date.
    queries.push(("backlinks".into(), backlinks_query("some-report"), true));
    // A category page's quotes: the factors of one page's reports, sorted.
    let page: Vec<String> = (0..20).map(|n| format!("report-{n}")).collect();
    queries.push(("a category page's quotes".into(), factor_quotes_query(&page, FactorCategory::Change), true));

    let mut failures = Vec::new();
    for (name, query, may_sort) in &queries {
        let steps = plan(&store, query).await;
        let sorts_one_report = |step: &String| *may_sort && step.starts_with("USE TEMP B-TREE FOR");
        if steps.iter().any(|step| costly(step) && !sorts_one_report(step)) {
            failures.push(format!("{name}:\n    {}", steps.join("\n    ")));
        }
    }
    assert!(failures.is_empty(), "queries that scan or sort:\n{}", failures.join("\n"));
    // A rare label's reports are read from the label's index, not found by
    // walking the list.
    for (name, query, _) in queries.iter().filter(|(name, ..)| name.contains(", rare, ")) {
        let steps = plan(&store, query).await;
        let walks = steps.iter().any(|step| step.starts_with("SCAN incidents"));
        let gathers =
            steps.iter().any(|step| step.contains("_by_name (name=?)") || step.contains("_by_category (category=?)"));
        assert!(gathers && !walks, "{name}:\n    {}", steps.join("\n    "));
    }
    // A category page's quotes are read for its reports only.
    for (name, query, _) in queries.iter().filter(|(name, ..)| name.contains("quotes")) {
        let steps = plan(&store, query).await;
        let by_report = steps.first().is_some_and(|step| step.contains("incidents_live_slug (slug=?)"));
        assert!(by_report, "{name}:\n    {}", steps.join("\n    "));
    }
    // The API's actions are read in the list's order, from an index that
    // starts with the owner or the status when one is asked for, sorting no
    // more than one report's items; a rare service's are gathered.
    for (name, query, _) in queries.iter().filter(|(name, ..)| name.starts_with("the API's actions")) {
        let steps = plan(&store, query).await;
        let ok = if name.contains("rare, gathered") {
            steps.iter().any(|step| step.contains("incident_services_by_name (name=?)"))
        } else {
            let in_order = [
                "sqlite_autoindex_action_items_1",
                "action_items_by_owner (owner=?",
                "action_items_by_status (status=?",
            ];
            let reads_in_order = steps.first().is_some_and(|step| in_order.iter().any(|index| step.contains(index)));
            let sorts_more = steps.iter().any(|step| step.contains("TEMP B-TREE") && !step.contains("LAST TERM"));
            reads_in_order && !sorts_more
        };
        assert!(ok, "{name}:\n    {}", steps.join("\n    "));
    }
    // A later page starts its index range at the cursor, not at the top.
    for (name, query, _) in
        queries.iter().filter(|(name, ..)| name.ends_with("a later page") && !name.contains("gathered"))
    {
        let first = plan(&store, query).await.into_iter().next().unwrap_or_default();
        assert!(first.starts_with("SEARCH ") && (first.contains('<') || first.contains('>')), "{name}: {first}");
    }
}

/// The way `Store::gather_for` finds a rare label's reports.
fn gather_of(filter: &IncidentFilter) -> Option<Gather> {
    if let Some(tag) = &filter.tag {
        return Some(Gather { table: "incident_tags", column: "name", value: tag.clone() });
    }
    if let Some(service) = &filter.service {
        return Some(Gather { table: "incident_services", column: "name", value: service.clone() });
    }
    filter.factor_category.map(|category| Gather {
        table: "contributing_factors",
        column: "category",
        value: category.as_str().to_string(),
    })
}

/// A rare label's reports gathered and sorted come out in the same pages as
/// a walk of the list order finds them: ties on the time, drafts, several
/// factors of one category and oldest first included.
#[tokio::test]
async fn gathered_and_walked_pages_are_the_same() {
    use crate::domain::IncidentInput;
    use sqlx::Row;
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(None, dir.path()).await.expect("open");
    for n in 0..40 {
        let day = 1 + n % 7; // several reports a day: ties on the time
        let input = IncidentInput {
            title: format!("Report {n}"),
            status: Some(if n % 5 == 0 { "draft" } else { "published" }.into()),
            started_at: Some(crate::domain::ReportedTimeInput {
                at: Some(format!("2024-03-0{day}")),
                ..Default::default()
            }),
            tags: if n % 3 == 0 { vec!["rare".into()] } else { vec!["other".into()] },
            services: vec![if n % 2 == 0 { "api" } else { "web" }.into()],
            factors: (0..1 + n % 2)
                .map(|_| crate::domain::incident::FactorInput {
                    category: Some("change".into()),
                    text: "A deploy".into(),
                    primary: false,
                })
                .collect(),
            ..Default::default()
        };
        store.create_incident(&input.validate().expect("valid"), "test", None).await.expect("create");
    }
    let published = IncidentFilter { status: Some(Status::Published), ..Default::default() };
    let filters = [
        IncidentFilter { tag: Some("rare".into()), ..published.clone() },
        IncidentFilter { tag: Some("rare".into()), oldest_first: true, ..published.clone() },
        IncidentFilter { service: Some("api".into()), ..published.clone() },
        IncidentFilter { factor_category: Some(FactorCategory::Change), ..published.clone() },
        IncidentFilter { tag: Some("rare".into()), ..Default::default() },
    ];
    for filter in &filters {
        let gather = gather_of(filter).expect("a label");
        let mut pages: [Vec<Vec<i64>>; 2] = Default::default();
        for (way, gather) in [None, Some(&gather)].into_iter().enumerate() {
            let mut cursor = None;
            loop {
                let query = list_query(SELECT_CARDS, filter, cursor, 4, gather, Dates::All);
                let rows = query.build().fetch_all(&store.read).await.expect("list");
                let ids: Vec<i64> = rows.iter().take(4).map(|row| row.try_get("id").expect("id")).collect();
                let more = rows.len() > 4;
                cursor = rows.get(3).filter(|_| more).map(|row| PageCursor {
                    occurred_at: row.try_get("occurred_at").expect("time"),
                    id: row.try_get("id").expect("id"),
                });
                pages[way].push(ids);
                if cursor.is_none() {
                    break;
                }
            }
        }
        assert!(pages[0].len() > 1, "several pages: {:?}", pages[0]);
        assert_eq!(pages[0], pages[1], "{filter:?}");
    }
}
