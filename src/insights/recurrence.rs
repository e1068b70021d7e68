//! "Has this happened before?": the earlier published incidents that share
//! a contributing factor's category on one of a report's services, or that
//! it names as `recurrence_of`, each held against the actions taken for
//! that factor. A report that happened although those actions were done
//! before it is a fix that did not hold, and `/insights` counts them.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use time::Date;

use super::facts::{ActionFacts, IncidentFacts, Label};
use crate::domain::{ActionStatus, FactorCategory};

/// Where the actions an earlier incident took for a factor stood when a
/// later one happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixState {
    /// No action names a factor of this category.
    NoAction,
    /// At least one is still open.
    StillOpen,
    /// All were dropped ("won't do").
    Dropped,
    /// All are closed and the last was done on this day, on or before the
    /// later incident: the fix did not hold.
    DoneBefore(Date),
    /// Done, but after the later incident happened, or on a day not
    /// recorded: not held against the fix.
    DoneAfter,
}

impl FixState {
    /// Where `actions` (those for one factor) stood on `day`, when known.
    pub fn of<'a>(actions: impl Iterator<Item = &'a ActionFacts>, day: Option<Date>) -> FixState {
        let actions: Vec<&ActionFacts> = actions.collect();
        if actions.is_empty() {
            return FixState::NoAction;
        }
        if actions.iter().any(|action| action.status.is_open()) {
            return FixState::StillOpen;
        }
        let done: Vec<&&ActionFacts> = actions.iter().filter(|action| action.status == ActionStatus::Done).collect();
        if done.is_empty() {
            return FixState::Dropped;
        }
        // Every done action must have its day, and the last before `day`.
        let last = done
            .iter()
            .map(|action| action.completed_on)
            .collect::<Option<Vec<Date>>>()
            .and_then(|days| days.into_iter().max());
        match (last, day) {
            (Some(last), Some(day)) if last <= day => FixState::DoneBefore(last),
            _ => FixState::DoneAfter,
        }
    }

    pub fn did_not_hold(self) -> bool {
        matches!(self, FixState::DoneBefore(_))
    }
}

/// One earlier incident and why it is listed.
#[derive(Debug, Clone)]
pub struct Earlier<'a> {
    pub facts: &'a IncidentFacts,
    /// The categories both share on a common service, each with where the
    /// earlier incident's actions for it stood; empty when it is listed
    /// only as a named `recurrence_of`.
    pub shared: Vec<(FactorCategory, FixState)>,
    /// The later report names it as `recurrence_of`.
    pub named: bool,
    /// Where all its actions stood, when it is listed only by name.
    pub overall: FixState,
}

impl Earlier<'_> {
    /// The fix for a shared factor (or, for a named recurrence, any fix)
    /// was done before the later incident and it happened anyway.
    pub fn did_not_hold(&self) -> Option<Option<FactorCategory>> {
        if let Some((category, _)) = self.shared.iter().find(|(_, state)| state.did_not_hold()) {
            return Some(Some(*category));
        }
        (self.named && self.shared.is_empty() && self.overall.did_not_hold()).then_some(None)
    }
}

/// The order incidents happened in: by the instant they began (or the
/// first time they give), then by id.
fn order(facts: &IncidentFacts) -> Option<(i64, i64)> {
    facts.occurred.map(|at| (at, facts.id))
}

/// Did `earlier` happen before `report`? A report of no known date (one
/// being written, say) is held against every dated incident; an undated
/// incident is before none.
fn is_before(earlier: &IncidentFacts, report: &IncidentFacts) -> bool {
    match (order(earlier), order(report)) {
        (Some(a), Some(b)) => a < b,
        (Some(_), None) => earlier.id != report.id,
        _ => false,
    }
}

/// The categories `earlier` shares with `report` on a service both name,
/// when it happened before.
fn shared_categories(earlier: &IncidentFacts, report: &IncidentFacts) -> Vec<FactorCategory> {
    let common_service = earlier.services.iter().any(|service| report.has_service(service));
    if !common_service || !is_before(earlier, report) {
        return Vec::new();
    }
    let theirs = earlier.categories();
    report.categories().into_iter().filter(|category| theirs.contains(category)).collect()
}

/// The incidents of the base grouped for these questions: by service and
/// factor category, each group in the order they happened (undated ones
/// are before none and after none, so they are left out), and by slug.
#[derive(Debug, Default)]
pub struct Lookups {
    by_pair: HashMap<(Label, FactorCategory), Group>,
    by_slug: HashMap<Box<str>, Arc<IncidentFacts>>,
}

#[derive(Debug)]
struct Group {
    /// In the order they happened.
    members: Vec<Arc<IncidentFacts>>,
    /// For each member, the earliest day on which the fix of one of the
    /// members up to it was complete, and which member that was: a later
    /// incident on or after that day happened although an earlier fix was
    /// done.
    first_fix_so_far: Vec<Option<(Date, usize)>>,
}

impl Group {
    /// How many members happened before `report`.
    fn before(&self, report: &IncidentFacts) -> usize {
        match order(report) {
            Some(at) => self.members.partition_point(|member| order(member).is_some_and(|o| o < at)),
            None => self.members.len(),
        }
    }
}

/// The earlier incidents found for a report: the newest, and how many
/// there are in all.
pub struct Found<'a> {
    pub shown: Vec<Earlier<'a>>,
    pub total: usize,
}

impl Lookups {
    pub fn new<'a>(base: impl Iterator<Item = &'a Arc<IncidentFacts>>) -> Lookups {
        let mut by_pair: HashMap<(Label, FactorCategory), Vec<Arc<IncidentFacts>>> = HashMap::new();
        let mut by_slug = HashMap::new();
        for facts in base {
            by_slug.insert(facts.slug.clone(), Arc::clone(facts));
            if facts.occurred.is_none() {
                continue;
            }
            let categories = facts.categories();
            for service in &facts.services {
                for category in &categories {
                    by_pair.entry((service.clone(), *category)).or_default().push(Arc::clone(facts));
                }
            }
        }
        let by_pair = by_pair
            .into_iter()
            .map(|(key, mut members)| {
                members.sort_by_key(|facts| order(facts));
                members.shrink_to_fit();
                let mut first_fix: Option<(Date, usize)> = None;
                let first_fix_so_far = members
                    .iter()
                    .enumerate()
                    .map(|(at, member)| {
                        if let FixState::DoneBefore(day) = FixState::of(member.actions_for(key.1), Some(Date::MAX)) {
                            if first_fix.is_none_or(|(first, _)| day < first) {
                                first_fix = Some((day, at));
                            }
                        }
                        first_fix
                    })
                    .collect();
                (key, Group { members, first_fix_so_far })
            })
            .collect();
        Lookups { by_pair, by_slug }
    }

    /// The groups `report` falls in.
    fn groups(&self, report: &IncidentFacts) -> Vec<(FactorCategory, &Group)> {
        let mut groups = Vec::new();
        for category in report.categories() {
            for service in &report.services {
                if let Some(group) = self.by_pair.get(&(service.clone(), category)) {
                    groups.push((category, group));
                }
            }
        }
        groups
    }

    /// The earlier incidents for `report`, the newest `limit` of them
    /// first: read from the end of each group, so a report costs the same
    /// whatever the size of the base, but for counting the rest.
    pub fn earlier_for(&self, report: &IncidentFacts, limit: usize) -> Found<'_> {
        let mut all: HashSet<i64> = HashSet::new();
        let mut candidates: HashMap<i64, &Arc<IncidentFacts>> = HashMap::new();
        for (_, group) in self.groups(report) {
            let earlier = &group.members[..group.before(report)];
            all.extend(earlier.iter().map(|member| member.id).filter(|id| *id != report.id));
            for member in earlier.iter().rev().filter(|member| member.id != report.id).take(limit) {
                candidates.insert(member.id, member);
            }
        }
        let named: Vec<&Arc<IncidentFacts>> = report
            .recurrence_of
            .iter()
            .filter_map(|slug| self.by_slug.get(&**slug))
            .filter(|other| other.id != report.id)
            .collect();
        for other in &named {
            all.insert(other.id);
            candidates.insert(other.id, other);
        }
        let mut shown: Vec<Earlier<'_>> = candidates
            .into_values()
            .map(|other| {
                let is_named = named.iter().any(|named| named.id == other.id);
                Earlier {
                    facts: other,
                    shared: shared_categories(other, report)
                        .into_iter()
                        .map(|category| (category, FixState::of(other.actions_for(category), report.date)))
                        .collect(),
                    named: is_named,
                    overall: if is_named {
                        FixState::of(other.actions.iter(), report.date)
                    } else {
                        FixState::NoAction
                    },
                }
            })
            .collect();
        // Newest first; named ones of unknown date last.
        shown.sort_by_key(|earlier| (std::cmp::Reverse(order(earlier.facts)), earlier.facts.id));
        shown.truncate(limit);
        Found { shown, total: all.len() }
    }

    /// The earlier report and category whose fix did not hold for
    /// `report`, if any, as `Earlier::did_not_hold` says it: found in a
    /// few lookups, whatever the size of the base.
    pub fn fix_that_did_not_hold(&self, report: &IncidentFacts) -> Option<(String, Option<FactorCategory>)> {
        if let (Some(_), Some(day)) = (order(report), report.date) {
            for (category, group) in self.groups(report) {
                let before = group.before(report);
                let fixed = before.checked_sub(1).and_then(|last| group.first_fix_so_far[last]);
                if let Some((fixed, member)) = fixed.filter(|(fixed, _)| *fixed <= day) {
                    debug_assert!(fixed <= day);
                    return Some((group.members[member].slug.to_string(), Some(category)));
                }
            }
        }
        // A named recurrence that shares a factor on a service is judged by
        // that factor's actions, above; one that shares none, by all.
        report.recurrence_of.iter().find_map(|slug| {
            let other = self.by_slug.get(&**slug).filter(|other| other.id != report.id)?;
            if !shared_categories(other, report).is_empty() {
                return None;
            }
            FixState::of(other.actions.iter(), report.date).did_not_hold().then(|| (other.slug.to_string(), None))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ActionStatus;

    fn day(text: &str) -> Date {
        crate::domain::incident::parse_date(text).unwrap()
    }

    /// A report on `api` with one configuration factor, at `when` (seconds
    /// into the day of `date`), with `actions` for that factor.
    fn report(id: i64, date: &str, seconds: i64, actions: Vec<ActionFacts>) -> Arc<IncidentFacts> {
        let date = day(date);
        let midnight = date.midnight().assume_utc().unix_timestamp();
        Arc::new(IncidentFacts {
            id,
            slug: format!("report-{id}").into(),
            severity: None,
            organization: None,
            services: vec![Label::from("api")].into(),
            tags: Box::default(),
            factors: vec![FactorCategory::Configuration].into(),
            actions: actions.into(),
            recurrence_of: Box::default(),
            occurred: Some(midnight + seconds),
            date: Some(date),
            durations: [None; 4],
        })
    }

    fn done(on: &str) -> ActionFacts {
        ActionFacts {
            status: ActionStatus::Done,
            priority: None,
            owner: None,
            due_on: None,
            completed_on: Some(day(on)),
            addresses: vec![0].into(),
        }
    }

    fn unaddressed_done(on: &str) -> ActionFacts {
        ActionFacts { addresses: Box::default(), ..done(on) }
    }

    /// What `/insights` counts and what the panel shows agree.
    fn agree(lookups: &Lookups, report: &IncidentFacts) -> Option<(String, Option<FactorCategory>)> {
        let counted = lookups.fix_that_did_not_hold(report);
        let shown = lookups.earlier_for(report, 100).shown.iter().any(|earlier| earlier.did_not_hold().is_some());
        assert_eq!(counted.is_some(), shown, "report {}", report.id);
        counted
    }

    #[test]
    fn a_fix_done_before_a_recurrence_did_not_hold_and_the_earliest_is_named() {
        let first = report(1, "2023-01-10", 0, vec![done("2023-01-20")]);
        let second = report(2, "2023-02-01", 0, vec![done("2023-02-03")]);
        let later = report(3, "2023-03-01", 0, Vec::new());
        let before_fix = report(4, "2023-01-15", 0, Vec::new());
        let base = [first, second, later.clone(), before_fix.clone()];
        let lookups = Lookups::new(base.iter());
        assert_eq!(agree(&lookups, &later), Some(("report-1".into(), Some(FactorCategory::Configuration))));
        assert_eq!(agree(&lookups, &before_fix), None, "its fix came after it");
        let found = lookups.earlier_for(&later, 1);
        assert_eq!((found.shown.len(), found.total), (1, 3), "the newest shown, all counted");
        assert_eq!(found.shown[0].facts.id, 2);
    }

    #[test]
    fn the_same_day_is_ordered_by_the_time_of_day() {
        // Filed in the other order: the evening one has the lower id.
        let evening = report(1, "2023-05-01", 20 * 3600, Vec::new());
        let morning = report(2, "2023-05-01", 8 * 3600, vec![done("2023-05-01")]);
        let lookups = Lookups::new([evening.clone(), morning.clone()].iter());
        assert_eq!(agree(&lookups, &evening).map(|(slug, _)| slug), Some("report-2".into()));
        assert!(lookups.earlier_for(&morning, 10).shown.is_empty(), "nothing happened before the morning");
    }

    #[test]
    fn a_named_recurrence_that_shares_a_factor_is_judged_by_that_factor() {
        let earlier = report(1, "2023-01-10", 0, vec![unaddressed_done("2023-01-20")]);
        let mut later = (*report(2, "2023-03-01", 0, Vec::new())).clone();
        later.recurrence_of = vec!["report-1".into()].into();
        let lookups = Lookups::new([earlier.clone(), Arc::new(later.clone())].iter());
        assert_eq!(agree(&lookups, &later), None, "no action names the shared factor");
        // Sharing nothing, it is judged by all its actions.
        let mut elsewhere = later.clone();
        elsewhere.services = vec![Label::from("db")].into();
        let lookups = Lookups::new([earlier, Arc::new(elsewhere.clone())].iter());
        assert_eq!(agree(&lookups, &elsewhere), Some(("report-1".into(), None)));
    }
}
