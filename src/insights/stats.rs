//! The numbers of `/insights` and `GET /api/v1/stats`, computed from the
//! facts of the reports a filter selects. Durations are heavy-tailed, so
//! they are described by their distribution (median, 90th percentile,
//! maximum, every incident as a mark), never by a mean; a group too small
//! for a percentile says so instead. Percentiles are nearest-rank: each is
//! the duration of a real incident.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use time::Date;

use super::facts::{IncidentFacts, Measure};
use super::filter::{InsightFilter, Period};
use crate::domain::{ActionStatus, FactorCategory, Priority, Severity};

/// Below this many measured incidents a group gets no percentiles.
pub const MIN_FOR_PERCENTILES: usize = 10;
/// At most this many bars in a trend: a longer span is grouped coarser.
const MAX_BARS: i64 = 60;
/// Owners and service pairs listed at most.
const MAX_ROWS: usize = 20;
/// The age buckets of open action items, in days since their incident:
/// (label, first day, last day).
pub const AGE_BUCKETS: [(&str, i64, i64); 4] =
    [("0–30 days", 0, 30), ("31–90 days", 31, 90), ("91–180 days", 91, 180), ("over 180 days", 181, i64::MAX)];

/// How a set of values is spread.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Distribution {
    /// Incidents (or action items) in the group.
    pub count: usize,
    /// Of those, how many have the value measured.
    pub known: usize,
    /// Of the measured, how many are approximate ("about").
    pub approximate: usize,
    /// `count - known`: left out of the figures.
    pub unknown: usize,
    /// Nearest-rank 50th and 90th percentiles; null below
    /// `min_for_percentiles` measured values.
    pub median: Option<i64>,
    pub p90: Option<i64>,
    pub max: Option<i64>,
    /// What a chart draws of the values.
    #[serde(skip)]
    pub shape: Shape,
}

/// A group larger than this is drawn as a bulk and its longest values.
pub const MAX_MARKS: usize = 300;
/// In a large group, the longest this many are kept one by one.
pub const TAIL_MARKS: usize = 100;
/// Steps of the grid a large group's bulk is counted on, per power of ten.
const GRID_PER_DECADE: f64 = 20.0;

/// What a chart draws of a distribution, bounded whatever the size of the
/// group: every value in a small group; in a large one the bulk counted on
/// a log grid and the longest tenth (at most `TAIL_MARKS`) one by one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shape {
    /// Values drawn one by one, smallest first, and whether each is
    /// approximate.
    pub marks: Vec<(i64, bool)>,
    /// The rest: a value standing for each step of the grid, and how many
    /// fall in it.
    pub bulk: Vec<(i64, usize)>,
}

impl Shape {
    fn of(sorted: &[(i64, bool)]) -> Shape {
        if sorted.len() <= MAX_MARKS {
            return Shape { marks: sorted.to_vec(), bulk: Vec::new() };
        }
        let tail_from = sorted.len() - sorted.len().div_ceil(10).min(TAIL_MARKS);
        let step = |value: i64| ((value.max(1) as f64).log10() * GRID_PER_DECADE).floor() as i64;
        let mut bulk: BTreeMap<i64, usize> = BTreeMap::new();
        for (value, _) in &sorted[..tail_from] {
            *bulk.entry(step(*value)).or_default() += 1;
        }
        Shape {
            marks: sorted[tail_from..].to_vec(),
            bulk: bulk
                .into_iter()
                .map(|(step, count)| (10f64.powf((step as f64 + 0.5) / GRID_PER_DECADE).round() as i64, count))
                .collect(),
        }
    }
}

impl Distribution {
    /// `values` are the measured values of a group of `count`.
    pub fn of(count: usize, mut values: Vec<(i64, bool)>) -> Distribution {
        values.sort_unstable();
        let known = values.len();
        let enough = known >= MIN_FOR_PERCENTILES;
        Distribution {
            count,
            known,
            approximate: values.iter().filter(|(_, approximate)| *approximate).count(),
            unknown: count.saturating_sub(known),
            median: enough.then(|| nearest_rank(&values, 50)).flatten(),
            p90: enough.then(|| nearest_rank(&values, 90)).flatten(),
            max: values.last().map(|(value, _)| *value),
            shape: Shape::of(&values),
        }
    }

    pub fn too_few(&self) -> bool {
        self.known < MIN_FOR_PERCENTILES
    }
}

/// The smallest value with at least `percent` of the values at or below it.
pub fn nearest_rank(sorted: &[(i64, bool)], percent: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).map(|(value, _)| *value)
}

/// A named group and how its values are spread: a severity, a priority,
/// an owner.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Group {
    pub name: String,
    #[serde(flatten)]
    pub distribution: Distribution,
}

/// A duration measure over the selected reports, and by severity.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DurationStats {
    pub measure: Measure,
    pub label: &'static str,
    pub all: Distribution,
    /// `sev1` … `sev4`, then `unset`; groups without incidents are left out.
    pub by_severity: Vec<Group>,
}

/// One bar of the trends.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrendBar {
    pub period: String,
    pub total: usize,
    /// Incidents by severity: `sev1` … `sev4`, and `unset`.
    #[serde(serialize_with = "by_severity_key")]
    #[schema(value_type = std::collections::BTreeMap<String, usize>)]
    pub by_severity: [usize; 5],
    /// The median total duration of the period's incidents.
    pub median_total: Option<i64>,
    pub measured: usize,
}

/// `sev1` … `sev4` and `unset`: the columns of every split by severity.
pub const SEVERITY_KEYS: [&str; 5] = ["sev1", "sev2", "sev3", "sev4", "unset"];

/// `{"sev1": 2, …, "unset": 0}`.
fn by_severity_key<S: serde::Serializer>(counts: &[usize; 5], serializer: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(counts.len()))?;
    for (key, count) in SEVERITY_KEYS.iter().zip(counts) {
        map.serialize_entry(key, count)?;
    }
    map.end()
}

fn severity_key(severity: Option<Severity>) -> usize {
    severity.map_or(4, |severity| Severity::ALL.iter().position(|s| *s == severity).unwrap_or(4))
}

/// How the median total duration moved between the earlier and the later
/// half of the span, and whether that could be chance.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Change {
    pub earlier_median: Option<i64>,
    pub earlier_measured: usize,
    pub later_median: Option<i64>,
    pub later_measured: usize,
    /// Two-sided p-value of a Mann–Whitney rank test between the halves;
    /// null when either half is too small.
    pub p_value: Option<f64>,
    /// What a reader should make of it, in a sentence.
    pub note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Trends {
    pub period: &'static str,
    pub bars: Vec<TrendBar>,
    pub change: Change,
}

/// A factor category over the same periods as the trends.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryTrend {
    pub category: FactorCategory,
    pub label: &'static str,
    pub total: usize,
    /// Incidents with the category, per bar of the trends.
    pub per_period: Vec<usize>,
}

/// A category that recurs on a service.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServiceRecurrence {
    pub service: String,
    pub category: FactorCategory,
    pub label: &'static str,
    pub incidents: usize,
}

/// Open action items of one age.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgeBucket {
    pub label: &'static str,
    pub open: usize,
    pub overdue: usize,
}

/// Action items that fell due in one quarter, and how many were done by
/// their date.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DueQuarter {
    pub quarter: String,
    /// Due in the quarter and decided: done, or still open past the date
    /// (dropped ones are left out).
    pub due: usize,
    /// Done on or before the due date.
    pub on_time: usize,
    /// Done, but when is not recorded: left out of the share.
    pub done_undated: usize,
    /// `on_time` over those whose outcome is known, in percent.
    pub share_on_time: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FollowThrough {
    pub open_by_age: Vec<AgeBucket>,
    /// Open items of reports with no known date.
    pub open_of_undated: usize,
    pub due_by_quarter: Vec<DueQuarter>,
    /// Days from the incident to an item's completion.
    pub days_to_complete: Distribution,
    pub days_to_complete_by_priority: Vec<Group>,
    pub days_to_complete_by_owner: Vec<Group>,
}

/// A report that happened again although the actions for its factor had
/// been done: the later one, the earlier one, and the category.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecurrenceDespiteFix {
    pub slug: String,
    pub earlier_slug: String,
    pub category: Option<FactorCategory>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Stats {
    /// Published reports the filter selects.
    pub incidents: usize,
    /// Of those, with no known date (left out of trends and ages).
    pub undated: usize,
    /// Left out because a period was asked for and they have no date.
    pub undated_left_out: usize,
    pub durations: Vec<DurationStats>,
    pub trends: Trends,
    pub categories: Vec<CategoryTrend>,
    pub recurring_on_services: Vec<ServiceRecurrence>,
    pub follow_through: FollowThrough,
    /// Reports that recurred although the earlier report's actions for
    /// that factor were done before they happened.
    pub recurred_despite_fix: FixesThatDidNotHold,
}

/// How many reports recurred although the fix was done, and the latest.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FixesThatDidNotHold {
    pub count: usize,
    /// At most 20, the latest first.
    pub latest: Vec<RecurrenceDespiteFix>,
}

impl InsightFilter {
    /// Whether the filter selects `facts`, dates aside.
    fn selects(&self, facts: &IncidentFacts) -> bool {
        self.severity.is_none_or(|severity| facts.severity == Some(severity))
            && self
                .organization
                .as_deref()
                .is_none_or(|organization| facts.organization.as_deref() == Some(organization))
            && self.service.as_deref().is_none_or(|service| facts.has_service(service))
            && self.tag.as_deref().is_none_or(|tag| facts.has_tag(tag))
            && self.category.is_none_or(|category| facts.factors.contains(&category))
    }

    fn in_period(&self, date: Date) -> bool {
        self.from.is_none_or(|from| date >= from) && self.to.is_none_or(|to| date <= to)
    }
}

/// The numbers for the reports `filter` selects among `all`, on `today`.
/// `despite_fix` says, for a report, the earlier report and category it
/// recurred on although that report's actions were done.
pub fn compute<'a>(
    all: impl Iterator<Item = &'a IncidentFacts>,
    filter: &InsightFilter,
    today: Date,
    despite_fix: impl Fn(&IncidentFacts) -> Option<(String, Option<FactorCategory>)>,
) -> Stats {
    let mut undated_left_out = 0;
    let selected: Vec<&IncidentFacts> = all
        .filter(|facts| filter.selects(facts))
        .filter(|facts| match facts.date {
            Some(date) => filter.in_period(date),
            None if filter.has_period() => {
                undated_left_out += 1;
                false
            }
            None => true,
        })
        .collect();
    let trends = trends(&selected, filter.by);
    Stats {
        incidents: selected.len(),
        undated: selected.iter().filter(|facts| facts.date.is_none()).count(),
        undated_left_out,
        durations: Measure::ALL.into_iter().map(|measure| duration_stats(&selected, measure)).collect(),
        categories: category_trends(&selected, &trends),
        recurring_on_services: recurring_on_services(&selected),
        follow_through: follow_through(&selected, today),
        recurred_despite_fix: {
            let mut fixes: Vec<(&IncidentFacts, (String, Option<FactorCategory>))> =
                selected.iter().filter_map(|facts| Some((*facts, despite_fix(facts)?))).collect();
            fixes.sort_by_key(|(facts, _)| std::cmp::Reverse((facts.date, facts.id)));
            FixesThatDidNotHold {
                count: fixes.len(),
                latest: fixes
                    .into_iter()
                    .take(MAX_ROWS)
                    .map(|(facts, (earlier_slug, category))| RecurrenceDespiteFix {
                        slug: facts.slug.to_string(),
                        earlier_slug,
                        category,
                    })
                    .collect(),
            }
        },
        trends: trends.0,
    }
}

fn measured(group: &[&IncidentFacts], measure: Measure) -> Distribution {
    let values = group
        .iter()
        .filter_map(|facts| facts.duration(measure))
        .map(|elapsed| (elapsed.seconds, elapsed.approximate))
        .collect();
    Distribution::of(group.len(), values)
}

fn duration_stats(selected: &[&IncidentFacts], measure: Measure) -> DurationStats {
    let mut by_severity: Vec<Vec<&IncidentFacts>> = vec![Vec::new(); SEVERITY_KEYS.len()];
    for facts in selected {
        by_severity[severity_key(facts.severity)].push(facts);
    }
    DurationStats {
        measure,
        label: measure.label(),
        all: measured(selected, measure),
        by_severity: SEVERITY_KEYS
            .iter()
            .zip(&by_severity)
            .filter(|(_, group)| !group.is_empty())
            .map(|(key, group)| Group { name: key.to_string(), distribution: measured(group, measure) })
            .collect(),
    }
}

/// The trends, and the period index each bar stands for.
fn trends(selected: &[&IncidentFacts], asked: Option<Period>) -> (Trends, Vec<i64>, Period) {
    let dates: Vec<Date> = selected.iter().filter_map(|facts| facts.date).collect();
    let (Some(first), Some(last)) = (dates.iter().min(), dates.iter().max()) else {
        let period = asked.unwrap_or(Period::Month);
        let change = half_change(&[], &[]);
        return (Trends { period: period.as_str(), bars: Vec::new(), change }, Vec::new(), period);
    };
    let period = asked.unwrap_or_else(|| {
        Period::ALL
            .into_iter()
            .find(|period| period.index(*last) - period.index(*first) < MAX_BARS.min(36))
            .unwrap_or(Period::Year)
    });
    // Every period from the first to the last, empty ones too, so a gap
    // shows as a gap; at most `MAX_BARS`, the latest.
    let end = period.index(*last);
    let start = period.index(*first).max(end - MAX_BARS + 1);
    let indexes: Vec<i64> = (start..=end).collect();
    let mut groups: BTreeMap<i64, Vec<&IncidentFacts>> = indexes.iter().map(|index| (*index, Vec::new())).collect();
    for facts in selected {
        if let Some(group) = facts.date.and_then(|date| groups.get_mut(&period.index(date))) {
            group.push(facts);
        }
    }
    let bars = groups
        .iter()
        .map(|(index, group)| {
            let mut by_severity = [0; 5];
            for facts in group {
                by_severity[severity_key(facts.severity)] += 1;
            }
            let total = measured(group, Measure::Total);
            TrendBar {
                period: period.name(*index),
                total: group.len(),
                by_severity,
                median_total: total.median,
                measured: total.known,
            }
        })
        .collect();
    // The earlier and the later half of the span, by date.
    let middle = indexes[indexes.len() / 2];
    let (mut earlier, mut later) = (Vec::new(), Vec::new());
    for facts in selected {
        if let (Some(date), Some(total)) = (facts.date, facts.duration(Measure::Total)) {
            // Only the span the bars show.
            if period.index(date) < start {
                continue;
            }
            let side = if period.index(date) < middle { &mut earlier } else { &mut later };
            side.push(total.seconds);
        }
    }
    let change = half_change(&earlier, &later);
    (Trends { period: period.as_str(), bars, change }, indexes, period)
}

fn half_change(earlier: &[i64], later: &[i64]) -> Change {
    let median = |values: &[i64]| {
        let sorted: Vec<(i64, bool)> = {
            let mut sorted: Vec<(i64, bool)> = values.iter().map(|value| (*value, false)).collect();
            sorted.sort_unstable();
            sorted
        };
        (sorted.len() >= MIN_FOR_PERCENTILES).then(|| nearest_rank(&sorted, 50)).flatten()
    };
    let enough = earlier.len() >= MIN_FOR_PERCENTILES && later.len() >= MIN_FOR_PERCENTILES;
    let p_value = enough.then(|| mann_whitney_p(earlier, later));
    let note = match (enough, p_value) {
        (true, Some(p)) if p < 0.05 => format!(
            "The median total duration went from {} to {}; a difference this large would be unlikely by chance (p = {p:.3}).",
            crate::format::span(median(earlier).unwrap_or_default()),
            crate::format::span(median(later).unwrap_or_default()),
        ),
        (true, Some(p)) => format!(
            "The median total duration went from {} to {}, but a difference this size could well be chance (p = {p:.2}): too little to call a change.",
            crate::format::span(median(earlier).unwrap_or_default()),
            crate::format::span(median(later).unwrap_or_default()),
        ),
        _ => format!(
            "Too few incidents with a known total duration to call a change: {} in the earlier half of the span and {} in the later; at least {MIN_FOR_PERCENTILES} each are needed.",
            earlier.len(),
            later.len()
        ),
    };
    Change {
        earlier_median: median(earlier),
        earlier_measured: earlier.len(),
        later_median: median(later),
        later_measured: later.len(),
        p_value,
        note,
    }
}

/// The two-sided p-value of the Mann–Whitney U test between two samples,
/// by the normal approximation with a correction for ties: whether values
/// of one tend to be larger than the other's, without assuming any shape.
pub fn mann_whitney_p(first: &[i64], second: &[i64]) -> f64 {
    let (n1, n2) = (first.len() as f64, second.len() as f64);
    let mut all: Vec<(i64, bool)> =
        first.iter().map(|value| (*value, true)).chain(second.iter().map(|value| (*value, false))).collect();
    all.sort_unstable_by_key(|(value, _)| *value);
    let n = all.len();
    let (mut rank_sum, mut ties) = (0.0, 0.0);
    let mut at = 0;
    while at < n {
        let mut end = at;
        while end + 1 < n && all[end + 1].0 == all[at].0 {
            end += 1;
        }
        // Tied values share the mean of their ranks (1-based).
        let rank = (at + end) as f64 / 2.0 + 1.0;
        let size = (end - at + 1) as f64;
        ties += size.powi(3) - size;
        rank_sum += all[at..=end].iter().filter(|(_, in_first)| *in_first).count() as f64 * rank;
        at = end + 1;
    }
    let u = rank_sum - n1 * (n1 + 1.0) / 2.0;
    let mean = n1 * n2 / 2.0;
    let total = n1 + n2;
    let variance = n1 * n2 / 12.0 * ((total + 1.0) - ties / (total * (total - 1.0)));
    if variance <= 0.0 {
        return 1.0;
    }
    let z = ((u - mean).abs() - 0.5).max(0.0) / variance.sqrt();
    erfc(z / std::f64::consts::SQRT_2).clamp(0.0, 1.0)
}

/// The complementary error function (Numerical Recipes' `erfcc`, accurate
/// to about 1e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let value = t * poly.exp();
    if x >= 0.0 {
        value
    } else {
        2.0 - value
    }
}

fn category_trends(selected: &[&IncidentFacts], trends: &(Trends, Vec<i64>, Period)) -> Vec<CategoryTrend> {
    let (_, indexes, period) = trends;
    let place: HashMap<i64, usize> = indexes.iter().enumerate().map(|(at, index)| (*index, at)).collect();
    let mut rows: Vec<CategoryTrend> = FactorCategory::ALL
        .iter()
        .map(|category| CategoryTrend {
            category: *category,
            label: category.label(),
            total: 0,
            per_period: vec![0; indexes.len()],
        })
        .collect();
    for facts in selected {
        for category in facts.categories() {
            let row = &mut rows[FactorCategory::ALL.iter().position(|c| *c == category).unwrap_or(0)];
            row.total += 1;
            if let Some(at) = facts.date.and_then(|date| place.get(&period.index(date))) {
                row.per_period[*at] += 1;
            }
        }
    }
    rows.retain(|row| row.total > 0);
    rows.sort_by(|a, b| b.total.cmp(&a.total).then(a.label.cmp(b.label)));
    rows
}

fn recurring_on_services(selected: &[&IncidentFacts]) -> Vec<ServiceRecurrence> {
    let mut counts: HashMap<(&str, FactorCategory), usize> = HashMap::new();
    for facts in selected {
        let categories = facts.categories();
        for service in &facts.services {
            for category in &categories {
                *counts.entry((&**service, *category)).or_default() += 1;
            }
        }
    }
    let mut rows: Vec<ServiceRecurrence> = counts
        .into_iter()
        .filter(|(_, incidents)| *incidents >= 2)
        .map(|((service, category), incidents)| ServiceRecurrence {
            service: service.to_string(),
            category,
            label: category.label(),
            incidents,
        })
        .collect();
    rows.sort_by(|a, b| b.incidents.cmp(&a.incidents).then(a.service.cmp(&b.service)).then(a.label.cmp(b.label)));
    rows.truncate(MAX_ROWS);
    rows
}

/// A done action item: days from its incident, its priority and owner.
type Completion<'a> = (i64, Option<Priority>, Option<&'a str>);

fn follow_through(selected: &[&IncidentFacts], today: Date) -> FollowThrough {
    let mut open_by_age: Vec<AgeBucket> =
        AGE_BUCKETS.iter().map(|(label, ..)| AgeBucket { label, open: 0, overdue: 0 }).collect();
    let mut open_of_undated = 0;
    let mut quarters: BTreeMap<i64, DueQuarter> = BTreeMap::new();
    let mut days: Vec<Completion<'_>> = Vec::new();
    let mut done_count = 0;
    let mut done_by_priority: HashMap<Option<Priority>, usize> = HashMap::new();
    let mut done_by_owner: HashMap<Option<&str>, usize> = HashMap::new();
    for facts in selected {
        for action in &facts.actions {
            if action.status.is_open() {
                match facts.date {
                    Some(date) => {
                        let age = (today - date).whole_days().max(0);
                        if let Some(bucket) = AGE_BUCKETS.iter().position(|(_, from, to)| (*from..=*to).contains(&age))
                        {
                            open_by_age[bucket].open += 1;
                            if action.due_on.is_some_and(|due| due < today) {
                                open_by_age[bucket].overdue += 1;
                            }
                        }
                    }
                    None => open_of_undated += 1,
                }
            }
            // Decided: done (on time or late), or still open past its date;
            // one open and due today or later may yet be done on time.
            let decided = |due: &Date| match action.status {
                ActionStatus::Done => true,
                ActionStatus::WontDo => false,
                _ => *due < today,
            };
            if let Some(due) = action.due_on.filter(decided) {
                let index = Period::Quarter.index(due);
                let quarter = quarters.entry(index).or_insert_with(|| DueQuarter {
                    quarter: Period::Quarter.name(index),
                    due: 0,
                    on_time: 0,
                    done_undated: 0,
                    share_on_time: None,
                });
                quarter.due += 1;
                if action.status == ActionStatus::Done {
                    match action.completed_on {
                        Some(done) if done <= due => quarter.on_time += 1,
                        Some(_) => {}
                        None => quarter.done_undated += 1,
                    }
                }
            }
            if action.status == ActionStatus::Done {
                done_count += 1;
                *done_by_priority.entry(action.priority).or_default() += 1;
                *done_by_owner.entry(action.owner.as_deref()).or_default() += 1;
                if let (Some(done), Some(date)) = (action.completed_on, facts.date) {
                    let elapsed = (done - date).whole_days();
                    if elapsed >= 0 {
                        days.push((elapsed, action.priority, action.owner.as_deref()));
                    }
                }
            }
        }
    }
    for quarter in quarters.values_mut() {
        let decided = quarter.due - quarter.done_undated;
        quarter.share_on_time = (decided > 0).then(|| 100.0 * quarter.on_time as f64 / decided as f64);
    }
    let distribution = |count: usize, keep: &dyn Fn(&Completion<'_>) -> bool| {
        Distribution::of(count, days.iter().filter(|day| keep(day)).map(|(days, ..)| (*days, false)).collect())
    };
    let mut by_priority: Vec<Group> =
        [Some(Priority::Critical), Some(Priority::High), Some(Priority::Medium), Some(Priority::Low), None]
            .into_iter()
            .filter_map(|priority| {
                let count = *done_by_priority.get(&priority)?;
                let name = priority.map_or("unset", Priority::as_str).to_string();
                Some(Group { name, distribution: distribution(count, &|(_, p, _)| *p == priority) })
            })
            .collect();
    by_priority.retain(|group| group.distribution.count > 0);
    let mut owners: Vec<(Option<&str>, usize)> = done_by_owner.into_iter().collect();
    owners.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    owners.truncate(MAX_ROWS);
    let by_owner = owners
        .into_iter()
        .map(|(owner, count)| Group {
            name: owner.unwrap_or("no owner").to_string(),
            distribution: distribution(count, &|(_, _, o)| *o == owner),
        })
        .collect();
    FollowThrough {
        open_by_age,
        open_of_undated,
        due_by_quarter: quarters.into_values().collect(),
        days_to_complete: distribution(done_count, &|_| true),
        days_to_complete_by_priority: by_priority,
        days_to_complete_by_owner: by_owner,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(list: &[i64]) -> Vec<(i64, bool)> {
        list.iter().map(|value| (*value, false)).collect()
    }

    #[test]
    fn percentiles_are_nearest_rank_and_need_ten_values() {
        assert_eq!(nearest_rank(&values(&[1, 2, 3, 4]), 50), Some(2));
        assert_eq!(nearest_rank(&values(&[7]), 90), Some(7));
        assert_eq!(nearest_rank(&[], 50), None);
        let ten = Distribution::of(12, (1..=10).map(|v| (v * 60, v == 3)).collect());
        assert_eq!((ten.median, ten.p90, ten.max), (Some(300), Some(540), Some(600)));
        assert_eq!((ten.known, ten.unknown, ten.approximate), (10, 2, 1));
        let nine = Distribution::of(9, values(&[5; 9]));
        assert!(nine.too_few() && nine.median.is_none() && nine.max == Some(5));
    }

    #[test]
    fn the_rank_test_tells_a_shift_from_chance() {
        let before: Vec<i64> = (1..=12).map(|v| v * 60).collect();
        let same: Vec<i64> = (1..=12).map(|v| v * 60 + 1).collect();
        let longer: Vec<i64> = (1..=12).map(|v| v * 600).collect();
        assert!(mann_whitney_p(&before, &same) > 0.5);
        assert!(mann_whitney_p(&before, &longer) < 0.01);
        // All tied: nothing to tell apart.
        assert_eq!(mann_whitney_p(&[5; 10], &[5; 10]), 1.0);
        // Two samples with no overlap, as a table gives: z = 3.87 for 10
        // against 10, a two-sided p of about 0.0001.
        let low: Vec<i64> = (1..=10).collect();
        let high: Vec<i64> = (11..=20).collect();
        let p = mann_whitney_p(&low, &high);
        assert!((0.00005..0.0002).contains(&p), "{p}");
    }
}
