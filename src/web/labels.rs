//! The choice lists the forms and the list filters offer, built from the
//! domain's vocabularies and their labels (`domain::taxonomy`), so a word
//! people read is written once, wherever it is shown.

use crate::domain::{ActionStatus, Detection, EventKind, FactorCategory, Precision, Priority, RelationKind, Severity};
use crate::store::LabelCount;

/// One choice in a drop-down.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// Every value of a vocabulary as a choice, with an optional first choice
/// for "none" (an empty value).
fn vocabulary<T: Copy>(
    all: &[T],
    name: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
    selected: &str,
    none: Option<&str>,
) -> Vec<Choice> {
    let mut list: Vec<Choice> = none
        .map(|label| Choice { value: String::new(), label: label.to_string(), selected: selected.trim().is_empty() })
        .into_iter()
        .collect();
    list.extend(all.iter().map(|value| Choice {
        value: name(*value).to_string(),
        label: label(*value).to_string(),
        selected: name(*value) == selected.trim(),
    }));
    list
}

/// Counted names (tags, services, organizations) as choices: "disk (12)".
pub fn counted(values: &[LabelCount], selected: &str) -> Vec<Choice> {
    values
        .iter()
        .map(|v| Choice {
            value: v.name.clone(),
            label: format!("{} ({})", v.name, v.count),
            selected: v.name.eq_ignore_ascii_case(selected.trim()),
        })
        .collect()
}

pub fn severity_choices(selected: &str) -> Vec<Choice> {
    vocabulary(Severity::ALL, Severity::as_str, Severity::label, selected, Some("Not set"))
}

/// The severity filter of a list (its template offers "Any" first).
pub fn severity_filter(selected: &str) -> Vec<Choice> {
    vocabulary(Severity::ALL, Severity::as_str, Severity::label, selected, None)
}

pub fn detection_choices(selected: &str) -> Vec<Choice> {
    vocabulary(Detection::ALL, Detection::as_str, Detection::label, selected, None)
}

pub fn precision_choices(selected: &str) -> Vec<Choice> {
    // Left alone, the precision is read from how the time is written:
    // `11:40` is to the minute, `2013-05-20` to the day.
    // A precision reads as its own name ("minute"); the form's hint says more.
    vocabulary(&Precision::ALL, Precision::as_str, Precision::as_str, selected, Some("from the text"))
}

pub fn kind_choices(selected: &str) -> Vec<Choice> {
    let selected = if selected.trim().is_empty() { EventKind::Note.as_str() } else { selected };
    vocabulary(EventKind::ALL, EventKind::as_str, EventKind::label, selected, None)
}

pub fn category_choices(selected: &str) -> Vec<Choice> {
    vocabulary(FactorCategory::ALL, FactorCategory::as_str, FactorCategory::label, selected, Some("Choose a category"))
}

/// The category filter of a page (its template offers "Any" first).
pub fn category_filter(selected: &str) -> Vec<Choice> {
    vocabulary(FactorCategory::ALL, FactorCategory::as_str, FactorCategory::label, selected, None)
}

pub fn action_status_choices(selected: &str) -> Vec<Choice> {
    let selected = if selected.trim().is_empty() { ActionStatus::Open.as_str() } else { selected };
    vocabulary(ActionStatus::ALL, ActionStatus::as_str, ActionStatus::label, selected, None)
}

pub fn priority_choices(selected: &str) -> Vec<Choice> {
    vocabulary(Priority::ALL, Priority::as_str, Priority::label, selected, Some("None"))
}

pub fn relation_choices(selected: &str) -> Vec<Choice> {
    vocabulary(RelationKind::ALL, RelationKind::as_str, RelationKind::label, selected, None)
}
