//! View models that several pages show: an action item (the report page,
//! `/actions` and the home page), and how many cards a page of a list holds.

use jiff::tz::TimeZone;

use crate::domain::{zones, ActionItem};
use crate::format;
use crate::store::OpenAction;

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
