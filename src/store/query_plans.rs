//! The reading path's queries on SQLite, checked with `EXPLAIN QUERY PLAN`
//! against the real migrations: each reads through an index in the order
//! it returns rows, so a page costs the same at 100,000 reports as at 8.
//! A bare `SCAN` of a table, or a temporary B-tree to sort, fails the test.
//!
//! Filters by a label (tag, service, factor category, open actions) walk the
//! list order and probe the label's index for each report, so their cost
//! grows with the label's rarity, not with the base: a label on one report
//! in ten costs about ten probes a row shown.

use sqlx::Row;

use super::browse::{backlinks_query, completed_actions_query, feed_query, open_actions_query, ActionCursor};
use super::incidents::{list_query, IncidentFilter, PageCursor, SELECT_CARDS, SELECT_INCIDENTS};
use super::{QueryBuilder, Store};
use crate::domain::{FactorCategory, Severity, Status};

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
    // (what, query, whether it may sort: only what one report holds)
    let mut queries: Vec<(String, QueryBuilder, bool)> = Vec::new();
    for (name, filter) in lists {
        // The pages read cards; an export and the index rebuild read reports whole.
        let select = if filter.status.is_some() { SELECT_CARDS } else { SELECT_INCIDENTS };
        queries.push((format!("{name}, first page"), list_query(select, &filter, None, 20), false));
        queries.push((format!("{name}, a later page"), list_query(select, &filter, cursor, 20), false));
    }
    let action = ActionCursor { open_due: "2024-01-31".into(), incident_id: 42, position: 1 };
    queries.push(("open actions, first page".into(), open_actions_query(None, 50), false));
    queries.push(("open actions, a later page".into(), open_actions_query(Some(&action), 50), false));
    queries.push(("recently completed actions".into(), completed_actions_query(10), false));
    queries.push(("the feed".into(), feed_query(50), false));
    // The links that name one report, sorted by date.
    queries.push(("backlinks".into(), backlinks_query("some-report"), true));

    let mut failures = Vec::new();
    for (name, query, may_sort) in &queries {
        let steps = plan(&store, query).await;
        let sorts_one_report = |step: &String| *may_sort && step == "USE TEMP B-TREE FOR ORDER BY";
        if steps.iter().any(|step| costly(step) && !sorts_one_report(step)) {
            failures.push(format!("{name}:\n    {}", steps.join("\n    ")));
        }
    }
    assert!(failures.is_empty(), "queries that scan or sort:\n{}", failures.join("\n"));
    // A later page starts its index range at the cursor, not at the top.
    for (name, query, _) in queries.iter().filter(|(name, ..)| name.ends_with("a later page")) {
        let first = plan(&store, query).await.into_iter().next().unwrap_or_default();
        assert!(first.starts_with("SEARCH ") && (first.contains('<') || first.contains('>')), "{name}: {first}");
    }
}
