//! "Has this happened before?": the earlier published incidents that share
//! a contributing factor's category on one of a report's services, or that
//! it names as `recurrence_of`, each held against the actions taken for
//! that factor. A report that happened although those actions were done
//! before it is a fix that did not hold, and `/insights` counts them.

use std::collections::HashMap;
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

/// The order incidents happened in: by day, then by id for the same day.
fn order(facts: &IncidentFacts) -> Option<(Date, i64)> {
    facts.date.map(|date| (date, facts.id))
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
    /// members up to it was complete: a later incident on or after that
    /// day happened although an earlier fix was done.
    first_fix_so_far: Vec<Option<Date>>,
}

impl Lookups {
    pub fn new<'a>(base: impl Iterator<Item = &'a Arc<IncidentFacts>>) -> Lookups {
        let mut by_pair: HashMap<(Label, FactorCategory), Vec<Arc<IncidentFacts>>> = HashMap::new();
        let mut by_slug = HashMap::new();
        for facts in base {
            by_slug.insert(facts.slug.clone(), Arc::clone(facts));
            if facts.date.is_none() {
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
                let mut first_fix: Option<Date> = None;
                let first_fix_so_far = members
                    .iter()
                    .map(|member| {
                        if let FixState::DoneBefore(day) = FixState::of(member.actions_for(key.1), Some(Date::MAX)) {
                            first_fix = Some(first_fix.map_or(day, |first| first.min(day)));
                        }
                        first_fix
                    })
                    .collect();
                (key, Group { members, first_fix_so_far })
            })
            .collect();
        Lookups { by_pair, by_slug }
    }

    /// The earlier incidents for `report`, newest first.
    pub fn earlier_for(&self, report: &IncidentFacts) -> Vec<Earlier<'_>> {
        let mut found: HashMap<i64, Earlier<'_>> = HashMap::new();
        // A report of no known date yet (one being written, say) is held
        // against every dated incident like it.
        let at = order(report);
        {
            for category in report.categories() {
                for service in &report.services {
                    let Some(group) = self.by_pair.get(&(service.clone(), category)) else { continue };
                    let before = match at {
                        Some(at) => group.members.partition_point(|member| order(member).is_some_and(|o| o < at)),
                        None => group.members.len(),
                    };
                    for other in group.members[..before].iter().filter(|other| other.id != report.id) {
                        let entry = found.entry(other.id).or_insert_with(|| Earlier {
                            facts: other,
                            shared: Vec::new(),
                            named: false,
                            overall: FixState::NoAction,
                        });
                        if !entry.shared.iter().any(|(shared, _)| *shared == category) {
                            entry.shared.push((category, FixState::of(other.actions_for(category), report.date)));
                        }
                    }
                }
            }
        }
        for slug in &report.recurrence_of {
            let Some(other) = self.by_slug.get(&**slug).filter(|other| other.id != report.id) else {
                continue;
            };
            let entry = found.entry(other.id).or_insert_with(|| Earlier {
                facts: other,
                shared: Vec::new(),
                named: true,
                overall: FixState::NoAction,
            });
            entry.named = true;
            entry.overall = FixState::of(other.actions.iter(), report.date);
        }
        let mut earlier: Vec<Earlier<'_>> = found.into_values().collect();
        earlier.sort_by_key(|earlier| std::cmp::Reverse(order(earlier.facts)));
        earlier
    }

    /// The earlier report and category whose fix did not hold for
    /// `report`, if any: found in a few lookups, whatever the size of the
    /// base.
    pub fn fix_that_did_not_hold(&self, report: &IncidentFacts) -> Option<(String, Option<FactorCategory>)> {
        if let (Some(at), Some(day)) = (order(report), report.date) {
            for category in report.categories() {
                for service in &report.services {
                    let Some(group) = self.by_pair.get(&(service.clone(), category)) else { continue };
                    let before = group.members.partition_point(|member| order(member).is_some_and(|o| o < at));
                    let fixed = before.checked_sub(1).and_then(|last| group.first_fix_so_far[last]);
                    if fixed.is_some_and(|fixed| fixed <= day) {
                        // Which one: the earliest fixed before the day.
                        let earlier = group.members[..before]
                            .iter()
                            .find(|member| FixState::of(member.actions_for(category), Some(day)).did_not_hold())?;
                        return Some((earlier.slug.to_string(), Some(category)));
                    }
                }
            }
        }
        report.recurrence_of.iter().find_map(|slug| {
            let other = self.by_slug.get(&**slug)?;
            FixState::of(other.actions.iter(), report.date).did_not_hold().then(|| (other.slug.to_string(), None))
        })
    }
}
