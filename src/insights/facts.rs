//! What the insights need of one published report, and nothing more: its
//! labels, the categories of its factors, its derived durations, the day it
//! happened and its action items' dates. A few hundred bytes a report, its
//! labels shared (`Names`), so that a base of 100,000 reports is held in
//! memory and counted in milliseconds rather than read back from the
//! database for every page.

use std::collections::HashSet;
use std::sync::Arc;

use serde::Serialize;
use time::Date;

use crate::domain::{
    ActionStatus, Durations, Elapsed, FactorCategory, IncidentFields, Priority, RelationKind, Severity,
};

/// The four derived durations, in the order `Measure::ALL` lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(description = "A derived duration: time to detect, mitigate or resolve, or the total.")]
pub enum Measure {
    TimeToDetect,
    TimeToMitigate,
    TimeToResolve,
    Total,
}

impl Measure {
    pub const ALL: [Measure; 4] =
        [Measure::TimeToDetect, Measure::TimeToMitigate, Measure::TimeToResolve, Measure::Total];

    pub fn as_str(self) -> &'static str {
        match self {
            Measure::TimeToDetect => "time_to_detect",
            Measure::TimeToMitigate => "time_to_mitigate",
            Measure::TimeToResolve => "time_to_resolve",
            Measure::Total => "total",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Measure::TimeToDetect => "Time to detect",
            Measure::TimeToMitigate => "Time to mitigate",
            Measure::TimeToResolve => "Time to resolve",
            Measure::Total => "Total duration",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A service, tag, organization or owner: the same few names recur across
/// thousands of reports, so each is kept once (`Names`) and shared.
pub type Label = Arc<str>;

/// The labels read so far, each kept once.
#[derive(Debug, Default)]
pub struct Names(HashSet<Label>);

impl Names {
    pub fn label(&mut self, name: &str) -> Label {
        match self.0.get(name) {
            Some(label) => Arc::clone(label),
            None => {
                let label: Label = Arc::from(name);
                self.0.insert(Arc::clone(&label));
                label
            }
        }
    }
}

/// One published report, as the insights count it.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentFacts {
    pub id: i64,
    pub slug: Box<str>,
    pub severity: Option<Severity>,
    pub organization: Option<Label>,
    pub services: Box<[Label]>,
    pub tags: Box<[Label]>,
    /// The category of each contributing factor, in the report's order (an
    /// action's `addresses` point into it).
    pub factors: Box<[FactorCategory]>,
    pub actions: Box<[ActionFacts]>,
    /// The reports it names as `recurrence_of`.
    pub recurrence_of: Box<[Box<str>]>,
    /// When it happened (unix seconds): its first time known better than
    /// "unsure", what lists sort by; `None` when no time is known.
    pub occurred: Option<i64>,
    /// The day of `occurred` in its home zone.
    pub date: Option<Date>,
    /// Each measure, when both its ends are known to the hour or better.
    pub durations: [Option<Elapsed>; 4],
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActionFacts {
    pub status: ActionStatus,
    pub priority: Option<Priority>,
    pub owner: Option<Label>,
    pub due_on: Option<Date>,
    /// The day it was done, in the zone it was reported in.
    pub completed_on: Option<Date>,
    /// Positions in the report's `factors` (there are at most
    /// `MAX_FACTORS`, fewer than 256).
    pub addresses: Box<[u8]>,
}

impl IncidentFacts {
    /// The facts of a report as written, for one not published yet (the
    /// store reads those of published ones, to the same result).
    pub fn of(id: i64, fields: &IncidentFields) -> IncidentFacts {
        let home = fields.home_zone();
        let label = |name: &String| Label::from(name.as_str());
        IncidentFacts {
            id,
            slug: fields.slug.as_str().into(),
            severity: fields.severity,
            organization: fields.organization.as_ref().map(label),
            services: fields.services.iter().map(label).collect(),
            tags: fields.tags.iter().map(label).collect(),
            factors: fields.factors.iter().map(|factor| factor.category).collect(),
            actions: fields
                .actions
                .iter()
                .map(|action| ActionFacts {
                    status: action.status,
                    priority: action.priority,
                    owner: action.owner.as_ref().map(label),
                    due_on: action.due_on,
                    completed_on: action.completed_at.as_ref().and_then(|at| to_date(at.local().date())),
                    addresses: places(&action.addresses),
                })
                .collect(),
            recurrence_of: fields
                .related
                .iter()
                .filter(|link| link.kind == RelationKind::RecurrenceOf)
                .map(|link| link.slug.as_str().into())
                .collect(),
            occurred: fields.occurred_at(),
            date: fields
                .occurred_at()
                .and_then(|at| jiff::Timestamp::from_second(at).ok())
                .and_then(|at| to_date(at.to_zoned(home).date())),
            durations: IncidentFacts::measured(&fields.durations()),
        }
    }

    pub fn duration(&self, measure: Measure) -> Option<Elapsed> {
        self.durations[measure.index()]
    }

    /// The durations derived from a report's key moments, as `durations`
    /// holds them.
    pub fn measured(durations: &Durations) -> [Option<Elapsed>; 4] {
        [
            durations.time_to_detect.known(),
            durations.time_to_mitigate.known(),
            durations.time_to_resolve.known(),
            durations.total.known(),
        ]
    }

    /// Whether an earlier incident can be found like it: it has services
    /// and factors, or names a recurrence.
    pub fn may_have_happened_before(&self) -> bool {
        (!self.services.is_empty() && !self.factors.is_empty()) || !self.recurrence_of.is_empty()
    }

    /// Whether it carries the service or tag `name`.
    pub fn has_service(&self, name: &str) -> bool {
        self.services.iter().any(|service| **service == *name)
    }

    pub fn has_tag(&self, name: &str) -> bool {
        self.tags.iter().any(|tag| **tag == *name)
    }

    /// The distinct categories of its factors.
    pub fn categories(&self) -> Vec<FactorCategory> {
        let mut categories = self.factors.to_vec();
        categories.sort_by_key(|category| category.as_str());
        categories.dedup();
        categories
    }

    /// Its actions that address a factor of `category`.
    pub fn actions_for(&self, category: FactorCategory) -> impl Iterator<Item = &ActionFacts> {
        self.actions.iter().filter(move |action| {
            action.addresses.iter().any(|place| self.factors.get(usize::from(*place)) == Some(&category))
        })
    }
}

/// Factor positions as kept: those that fit a byte (all that validation
/// lets through).
pub fn places(addresses: &[usize]) -> Box<[u8]> {
    addresses.iter().filter_map(|place| u8::try_from(*place).ok()).collect()
}

/// A `jiff` civil date as a `time` date (the two crates meet here).
pub fn to_date(date: jiff::civil::Date) -> Option<Date> {
    let month = time::Month::try_from(u8::try_from(date.month()).ok()?).ok()?;
    Date::from_calendar_date(i32::from(date.year()), month, u8::try_from(date.day()).ok()?).ok()
}
