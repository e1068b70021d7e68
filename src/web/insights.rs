//! `/insights`: what the published reports say together. Durations as
//! distributions (never means), incidents per period by severity, the
//! factor categories that recur and where, and whether action items are
//! followed through; each chart with its table, and each table as CSV at
//! `/insights/{table}.csv` with the same filters.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::labels::{self, Choice};
use super::page::{missing, page_with_status, CachePolicy, Layout, WebError, WebPage};
use crate::app::AppState;
use crate::domain::{FactorCategory, Severity, ValidationErrors};
use crate::insights::charts::{self, Unit};
use crate::insights::stats::{Distribution, Group, Stats, AGE_BUCKETS, SEVERITY_KEYS};
use crate::insights::{InsightFilter, InsightQuery, Period};

pub fn router() -> Router<AppState> {
    Router::new().route("/insights", get(show)).route("/insights/{table}", get(csv))
}

/// A distribution as a row of a table.
pub struct DistributionRow {
    pub name: String,
    pub count: usize,
    pub known: usize,
    pub approximate: usize,
    pub unknown: usize,
    pub median: String,
    pub p90: String,
    pub max: String,
}

impl DistributionRow {
    fn new(name: String, distribution: &Distribution, unit: Unit) -> DistributionRow {
        let figure = |value: Option<i64>| match value {
            Some(value) => unit.show(value),
            None if distribution.known == 0 => "none measured".to_string(),
            None => format!("too few ({})", distribution.known),
        };
        DistributionRow {
            name,
            count: distribution.count,
            known: distribution.known,
            approximate: distribution.approximate,
            unknown: distribution.unknown,
            median: figure(distribution.median),
            p90: figure(distribution.p90),
            max: distribution.max.map(|max| unit.show(max)).unwrap_or_else(|| "none measured".into()),
        }
    }
}

/// A measure's chart and table.
pub struct DurationSection {
    pub id: &'static str,
    pub label: &'static str,
    pub svg: Option<String>,
    pub rows: Vec<DistributionRow>,
}

pub struct TrendRow {
    pub period: String,
    pub counts: [usize; 5],
    pub total: usize,
    pub median: String,
}

pub struct CategoryRow {
    pub category: &'static str,
    pub label: &'static str,
    pub total: usize,
    pub spark: Option<String>,
}

pub struct DueRow {
    pub quarter: String,
    pub due: usize,
    pub on_time: usize,
    pub done_undated: usize,
    pub share: String,
}

/// A report that recurred although the earlier one's fix was done.
pub struct FixRow {
    pub slug: String,
    pub title: String,
    pub earlier_slug: String,
    pub earlier_title: String,
    pub category: Option<&'static str>,
}

#[derive(askama::Template)]
#[template(path = "insights/index.html")]
struct InsightsPage {
    layout: Layout,
    query: InsightQuery,
    errors: ValidationErrors,
    severities: Vec<Choice>,
    organizations: Vec<Choice>,
    categories: Vec<Choice>,
    periods: Vec<Choice>,
    /// `?from=…`, for the CSV links.
    query_string: String,
    filtered: bool,
    stats: Option<Arc<Stats>>,
    durations: Vec<DurationSection>,
    trend_svg: Option<String>,
    trend_rows: Vec<TrendRow>,
    severity_keys: [&'static str; 5],
    categories_rows: Vec<CategoryRow>,
    ages: Vec<(&'static str, usize, usize)>,
    due: Vec<DueRow>,
    by_priority: Vec<DistributionRow>,
    by_owner: Vec<DistributionRow>,
    all_completions: Option<DistributionRow>,
    fixes: Vec<FixRow>,
}

impl WebPage for InsightsPage {
    // The numbers are read from the database's newest change, so a kept
    // page is never older than the write its generation names.
    const CACHE: CachePolicy = CachePolicy::SharedUntilWrite;
}

impl InsightsPage {
    fn error(&self, field: &str) -> Option<String> {
        let messages: Vec<&str> =
            self.errors.0.iter().filter(|error| error.field == field).map(|error| error.message.as_str()).collect();
        (!messages.is_empty()).then(|| messages.join("; "))
    }

    /// Every message, with the name of the field it is about.
    fn error_list(&self) -> Vec<(String, &'static str, String)> {
        self.errors
            .0
            .iter()
            .map(|error| {
                let label = match error.field.as_str() {
                    "from" => "From",
                    "to" => "To",
                    "severity" => "Severity",
                    "category" => "Factor category",
                    "by" => "Trends",
                    _ => "The address",
                };
                (error.field.clone(), label, error.message.clone())
            })
            .collect()
    }

    fn severity_label(key: &str) -> &'static str {
        Severity::parse(key).map_or("Not set", Severity::label)
    }
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// The filter, or the messages, for a query that may not even parse.
fn read_query(
    query: Result<Query<InsightQuery>, axum::extract::rejection::QueryRejection>,
) -> (InsightQuery, Result<InsightFilter, ValidationErrors>) {
    match query {
        Ok(Query(query)) => {
            let filter = query.filter();
            (query, filter)
        }
        Err(rejection) => (InsightQuery::default(), Err(ValidationErrors::single("query", rejection.body_text()))),
    }
}

async fn show(
    State(state): State<AppState>,
    query: Result<Query<InsightQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    let (query, filter) = read_query(query);
    let organizations = state.store.organizations().await?;
    let (stats, errors) = match &filter {
        Ok(filter) => {
            (Some(state.insights.stats(filter, today(), &state.heavy_work).await?), ValidationErrors::default())
        }
        Err(errors) => (None, errors.clone()),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let mut page = InsightsPage {
        layout: Layout::new("Insights", "insights"),
        severities: labels::severity_filter(&query.severity),
        organizations: labels::counted(&organizations, &query.organization),
        categories: labels::category_filter(&query.category),
        periods: Period::ALL
            .iter()
            .map(|period| Choice {
                value: period.as_str().into(),
                label: format!("by {}", period.as_str()),
                selected: query.by.trim() == period.as_str(),
            })
            .collect(),
        query_string: query.query_string(),
        filtered: query != InsightQuery::default(),
        errors,
        stats: None,
        durations: Vec::new(),
        trend_svg: None,
        trend_rows: Vec::new(),
        severity_keys: SEVERITY_KEYS,
        categories_rows: Vec::new(),
        ages: Vec::new(),
        due: Vec::new(),
        by_priority: Vec::new(),
        by_owner: Vec::new(),
        all_completions: None,
        fixes: Vec::new(),
        query,
    };
    if let Some(stats) = stats {
        fill(&mut page, &state, stats).await?;
    }
    page_with_status(&page, status)
}

/// The view of the numbers: charts drawn, figures written out.
async fn fill(page: &mut InsightsPage, state: &AppState, stats: Arc<Stats>) -> Result<(), WebError> {
    page.durations = stats
        .durations
        .iter()
        .map(|measure| {
            let mut groups: Vec<(String, &Distribution)> = vec![("All".to_string(), &measure.all)];
            groups.extend(
                measure
                    .by_severity
                    .iter()
                    .map(|group| (InsightsPage::severity_label(&group.name).to_string(), &group.distribution)),
            );
            let title =
                format!("{}, one mark per incident, on a log scale; hollow marks are approximate", measure.label);
            DurationSection {
                id: measure.measure.as_str(),
                label: measure.label,
                svg: charts::distribution(measure.measure.as_str(), &title, &groups, Unit::Seconds),
                rows: groups
                    .into_iter()
                    .map(|(name, distribution)| DistributionRow::new(name, distribution, Unit::Seconds))
                    .collect(),
            }
        })
        .collect();
    page.trend_svg = charts::trend_bars(
        "trend",
        &format!("Incidents per {} by severity, SEV1 at the bottom of each bar", stats.trends.period),
        &stats.trends.bars,
    );
    page.trend_rows = stats
        .trends
        .bars
        .iter()
        .map(|bar| TrendRow {
            period: bar.period.clone(),
            counts: bar.by_severity,
            total: bar.total,
            median: match bar.median_total {
                Some(median) => crate::format::span(median),
                None if bar.measured == 0 => "none measured".into(),
                None => format!("too few ({})", bar.measured),
            },
        })
        .collect();
    page.categories_rows = stats
        .categories
        .iter()
        .map(|row| CategoryRow {
            category: row.category.as_str(),
            label: row.label,
            total: row.total,
            spark: charts::sparkline(&row.per_period, &format!("{} per {}", row.label, stats.trends.period)),
        })
        .collect();
    let follow = &stats.follow_through;
    page.ages = follow.open_by_age.iter().map(|bucket| (bucket.label, bucket.open, bucket.overdue)).collect();
    page.due = follow
        .due_by_quarter
        .iter()
        .map(|quarter| DueRow {
            quarter: quarter.quarter.clone(),
            due: quarter.due,
            on_time: quarter.on_time,
            done_undated: quarter.done_undated,
            share: quarter.share_on_time.map_or_else(|| "unknown".to_string(), |share| format!("{share:.0}%")),
        })
        .collect();
    let row = |group: &Group, name: String| DistributionRow::new(name, &group.distribution, Unit::Days);
    page.by_priority = follow
        .days_to_complete_by_priority
        .iter()
        .map(|group| {
            let name = crate::domain::Priority::parse(&group.name)
                .map_or("No priority".to_string(), |p| p.label().to_string());
            row(group, name)
        })
        .collect();
    page.by_owner = follow.days_to_complete_by_owner.iter().map(|group| row(group, group.name.clone())).collect();
    page.all_completions = Some(DistributionRow::new("All".into(), &follow.days_to_complete, Unit::Days));
    let latest = &stats.recurred_despite_fix.latest;
    let slugs: Vec<String> = latest.iter().flat_map(|fix| [fix.slug.clone(), fix.earlier_slug.clone()]).collect();
    let titles = state.store.published_titles(&slugs).await?;
    page.fixes = stats
        .recurred_despite_fix
        .latest
        .iter()
        .map(|fix| FixRow {
            slug: fix.slug.clone(),
            title: titles.get(&fix.slug).cloned().unwrap_or_else(|| fix.slug.clone()),
            earlier_title: titles.get(&fix.earlier_slug).cloned().unwrap_or_else(|| fix.earlier_slug.clone()),
            earlier_slug: fix.earlier_slug.clone(),
            category: fix.category.map(FactorCategory::label),
        })
        .collect();
    page.stats = Some(stats);
    Ok(())
}

/// The tables of the page as CSV.
const TABLES: [&str; 7] = ["durations", "trends", "categories", "services", "open-actions", "due-dates", "completion"];

async fn csv(
    State(state): State<AppState>,
    Path(table): Path<String>,
    query: Result<Query<InsightQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    let name = table.strip_suffix(".csv").filter(|name| TABLES.contains(name)).ok_or_else(|| missing("table"))?;
    let (_, filter) = read_query(query);
    let filter = filter.map_err(crate::error::AppError::Validation)?;
    let stats = state.insights.stats(&filter, today(), &state.heavy_work).await?;
    let body = csv_table(&stats, name);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"hindsight-{name}.csv\"")),
        ],
        body,
    )
        .into_response())
}

/// One cell: quoted when it must be, and never read as a formula by a
/// spreadsheet (`=`, `+`, `-`, `@` at the start get a `'`).
fn cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_string() };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn line(cells: &[String]) -> String {
    let mut line = cells.iter().map(|text| cell(text)).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

fn number(value: Option<i64>) -> String {
    value.map(|value| value.to_string()).unwrap_or_default()
}

fn distribution_cells(distribution: &Distribution) -> Vec<String> {
    vec![
        distribution.count.to_string(),
        distribution.known.to_string(),
        distribution.approximate.to_string(),
        distribution.unknown.to_string(),
        number(distribution.median),
        number(distribution.p90),
        number(distribution.max),
    ]
}

const DISTRIBUTION_HEADER: [&str; 7] = ["incidents", "measured", "approximate", "unknown", "median", "p90", "max"];

/// The table `name` of `stats` as CSV; durations in seconds, completion in
/// days, empty cells where a figure is unknown or the group too small.
pub fn csv_table(stats: &Stats, name: &str) -> String {
    let header = |first: &[&str], rest: &[&str]| {
        line(&first.iter().chain(rest).map(|text| text.to_string()).collect::<Vec<_>>())
    };
    let mut out = String::new();
    match name {
        "durations" => {
            out += &header(&["measure", "group"], &DISTRIBUTION_HEADER);
            for measure in &stats.durations {
                let groups = std::iter::once(("all", &measure.all))
                    .chain(measure.by_severity.iter().map(|group| (group.name.as_str(), &group.distribution)));
                for (group, distribution) in groups {
                    let mut cells = vec![format!("{}_seconds", measure.measure.as_str()), group.to_string()];
                    cells.extend(distribution_cells(distribution));
                    out += &line(&cells);
                }
            }
        }
        "trends" => {
            out += &header(&["period"], &[&SEVERITY_KEYS[..], &["total", "median_total_seconds", "measured"]].concat());
            for bar in &stats.trends.bars {
                let mut cells = vec![bar.period.clone()];
                cells.extend(bar.by_severity.iter().map(usize::to_string));
                cells.extend([bar.total.to_string(), number(bar.median_total), bar.measured.to_string()]);
                out += &line(&cells);
            }
        }
        "categories" => {
            let periods: Vec<&str> = stats.trends.bars.iter().map(|bar| bar.period.as_str()).collect();
            out += &header(&["category", "incidents"], &periods);
            for row in &stats.categories {
                let mut cells = vec![row.category.as_str().to_string(), row.total.to_string()];
                cells.extend(row.per_period.iter().map(usize::to_string));
                out += &line(&cells);
            }
        }
        "services" => {
            out += &header(&["service", "category", "incidents"], &[]);
            for row in &stats.recurring_on_services {
                out += &line(&[row.service.clone(), row.category.as_str().to_string(), row.incidents.to_string()]);
            }
        }
        "open-actions" => {
            out += &header(&["age_since_incident", "open", "overdue"], &[]);
            for (bucket, (label, ..)) in stats.follow_through.open_by_age.iter().zip(AGE_BUCKETS) {
                out += &line(&[label.to_string(), bucket.open.to_string(), bucket.overdue.to_string()]);
            }
            out += &line(&[
                "incident date unknown".into(),
                stats.follow_through.open_of_undated.to_string(),
                String::new(),
            ]);
        }
        "due-dates" => {
            out += &header(&["quarter_due", "due", "done_on_time", "done_date_unknown", "share_on_time_percent"], &[]);
            for quarter in &stats.follow_through.due_by_quarter {
                out += &line(&[
                    quarter.quarter.clone(),
                    quarter.due.to_string(),
                    quarter.on_time.to_string(),
                    quarter.done_undated.to_string(),
                    quarter.share_on_time.map(|share| format!("{share:.1}")).unwrap_or_default(),
                ]);
            }
        }
        _ => {
            out += &header(&["days_to_complete_by", "name"], &DISTRIBUTION_HEADER);
            let follow = &stats.follow_through;
            let groups = std::iter::once(("all", "all", &follow.days_to_complete))
                .chain(
                    follow.days_to_complete_by_priority.iter().map(|g| ("priority", g.name.as_str(), &g.distribution)),
                )
                .chain(follow.days_to_complete_by_owner.iter().map(|g| ("owner", g.name.as_str(), &g.distribution)));
            for (kind, name, distribution) in groups {
                let mut cells = vec![kind.to_string(), name.to_string()];
                cells.extend(distribution_cells(distribution));
                out += &line(&cells);
            }
        }
    }
    out
}
