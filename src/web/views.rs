//! View models that several pages show: an action item (the report page,
//! `/actions` and the home page), how many cards a page of a list holds,
//! and "Has this happened before?" (the report page and the editor).

use jiff::tz::TimeZone;

use crate::domain::{zones, ActionItem, ActionStatus};
use crate::format;
use crate::insights::{ActionFacts, Earlier, IncidentFacts, Insights};
use crate::store::{OpenAction, Store, StoreError};

/// Cards a page of a list shows: the incident list, tag, service and
/// factor pages.
pub const CARDS_PER_PAGE: u32 = 20;

/// An action item as pages show it.
pub struct ActionView {
    pub text_html: String,
    pub owner: Option<String>,
    pub status: &'static str,
    pub status_label: &'static str,
    pub priority: Option<&'static str>,
    pub due_on: Option<String>,
    pub overdue: bool,
    pub tracker_url: Option<String>,
    /// When it was done, in the report's home zone.
    pub completed: Option<String>,
    /// The contributing factors it addresses, numbered from 1 as the report
    /// page lists them.
    pub addresses: Vec<usize>,
}

impl ActionView {
    /// `text_html` is the action's rendered text; an open action due before
    /// `today` is overdue. Its completion time reads in `home`.
    pub fn new(action: &ActionItem, text_html: String, today: time::Date, home: &TimeZone) -> ActionView {
        ActionView {
            text_html,
            owner: action.owner.clone(),
            status: action.status.as_str(),
            status_label: action.status.label(),
            priority: action.priority.map(|p| p.as_str()),
            due_on: action.due_on.map(crate::domain::incident::format_date),
            overdue: action.is_overdue(today),
            tracker_url: action.tracker_url.clone(),
            completed: action.completed_at.as_ref().map(|at| format::reported(at, home)),
            addresses: action.addresses.iter().map(|place| place + 1).collect(),
        }
    }
}

/// An action item with the incident it belongs to.
pub struct ActionRow {
    pub action: ActionView,
    pub incident_slug: String,
    pub incident_title: String,
}

impl ActionRow {
    pub fn new(open: &OpenAction, today: time::Date) -> ActionRow {
        let home = zones::home_zone(open.incident_zone.as_deref().unwrap_or("UTC"));
        ActionRow {
            action: ActionView::new(&open.action, open.rendered_text(), today, &home),
            incident_slug: open.incident_slug.clone(),
            incident_title: open.incident_title.clone(),
        }
    }
}

/// Earlier incidents shown at most in "Has this happened before?".
const EARLIER_SHOWN: usize = 8;

/// "Has this happened before?" for a report: earlier published incidents
/// on one of its services with a factor of the same category, or named as
/// the incident it is a recurrence of, with their action items.
pub struct HappenedBefore {
    pub items: Vec<PastIncident>,
    /// Earlier incidents found beyond those shown.
    pub more: usize,
    /// Of those shown, how many had their fix done before this one.
    pub did_not_hold: usize,
}

pub struct PastIncident {
    pub slug: String,
    pub title: String,
    /// The day it happened.
    pub day: String,
    /// Why it is listed: "Configuration on dns", "named as recurrence".
    pub reasons: Vec<String>,
    pub actions: Vec<PastAction>,
    /// None of its action items names a factor it shares with this one.
    pub none_addressed: bool,
    /// The fix was done before this incident, and it happened anyway.
    pub did_not_hold: Option<String>,
}

pub struct PastAction {
    pub text: String,
    /// "done 2019-08-02", "open, overdue 41 days", "won't do".
    pub state: String,
    /// `done`, `open`, `overdue`, `wont_do`: for the badge's look.
    pub class: &'static str,
}

impl PastAction {
    fn new(action: &ActionFacts, text: &str, today: time::Date) -> PastAction {
        let (state, class) = match action.status {
            ActionStatus::Done => (
                match action.completed_on {
                    Some(day) => format!("done {}", crate::domain::incident::format_date(day)),
                    None => "done (when is not recorded)".to_string(),
                },
                "done",
            ),
            ActionStatus::WontDo => ("won't do".to_string(), "wont_do"),
            status => {
                let status = status.label().to_lowercase();
                match action.due_on {
                    Some(due) if due < today => {
                        (format!("{status}, overdue {} days", (today - due).whole_days()), "overdue")
                    }
                    Some(due) => (format!("{status}, due {}", crate::domain::incident::format_date(due)), "open"),
                    None => (status, "open"),
                }
            }
        };
        PastAction { text: crate::markdown::plain_line(text), state, class }
    }
}

impl HappenedBefore {
    /// The panel for `report`, among the published reports `insights` holds.
    pub async fn find(
        insights: &Insights,
        store: &Store,
        report: &IncidentFacts,
        today: time::Date,
    ) -> Result<HappenedBefore, StoreError> {
        let base = insights.with_lookups().await?;
        let found = base.lookups().earlier_for(report, EARLIER_SHOWN);
        let shown: Vec<&Earlier<'_>> = found.shown.iter().collect();
        let ids: Vec<i64> = shown.iter().map(|earlier| earlier.facts.id).collect();
        let texts = store.action_texts(&ids).await?;
        let slugs: Vec<String> = shown.iter().map(|earlier| earlier.facts.slug.to_string()).collect();
        let titles = store.published_titles(&slugs).await?;
        let mut items = Vec::with_capacity(shown.len());
        for earlier in &shown {
            let facts = earlier.facts;
            let services: Vec<&str> =
                facts.services.iter().filter(|service| report.has_service(service)).map(|service| &**service).collect();
            let on = if services.is_empty() { String::new() } else { format!(" on {}", services.join(", ")) };
            let mut reasons: Vec<String> =
                earlier.shared.iter().map(|(category, _)| format!("{}{on}", category.label())).collect();
            if earlier.named {
                reasons.push("this report names it as a recurrence".to_string());
            }
            // The actions for the shared factors; when none names one, all.
            let categories: Vec<_> = earlier.shared.iter().map(|(category, _)| *category).collect();
            let for_shared: Vec<usize> = (0..facts.actions.len())
                .filter(|at| {
                    let addresses = &facts.actions[*at].addresses;
                    addresses
                        .iter()
                        .any(|place| facts.factors.get(usize::from(*place)).is_some_and(|c| categories.contains(c)))
                })
                .collect();
            let none_addressed = for_shared.is_empty();
            let listed: Vec<usize> = if none_addressed { (0..facts.actions.len()).collect() } else { for_shared };
            let did_not_hold = earlier.did_not_hold().map(|category| match category {
                Some(category) => format!(
                    "Its action items for {} were done before this incident happened: the fix did not hold.",
                    category.label().to_lowercase()
                ),
                None => "Its action items were done before this incident happened: the fix did not hold.".to_string(),
            });
            items.push(PastIncident {
                slug: facts.slug.to_string(),
                title: titles.get(&*facts.slug).cloned().unwrap_or_else(|| facts.slug.to_string()),
                day: facts.date.map(crate::domain::incident::format_date).unwrap_or_else(|| "date unknown".into()),
                reasons,
                actions: listed
                    .into_iter()
                    .map(|at| {
                        let text = texts.get(&(facts.id, at)).map(String::as_str).unwrap_or_default();
                        PastAction::new(&facts.actions[at], text, today)
                    })
                    .collect(),
                none_addressed,
                did_not_hold,
            });
        }
        Ok(HappenedBefore {
            did_not_hold: items.iter().filter(|item| item.did_not_hold.is_some()).count(),
            more: found.total.saturating_sub(items.len()),
            items,
        })
    }
}
