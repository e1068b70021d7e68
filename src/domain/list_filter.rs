//! Which incidents a list shows, and how a query string asks for it: one set
//! of parameter names for the API and the pages (`has_open_actions`,
//! `order`), with the pages' older names (`open`, `sort`) still read. The
//! API refuses a value it cannot read; a page shows the unfiltered list
//! rather than an error, as a hand-edited address should still work.

use serde::Deserialize;

use super::reported_time::truncate_for_message;
use super::taxonomy::{FactorCategory, Severity, Status};
use super::validation::ValidationErrors;

/// Which incidents a list shows. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentFilter {
    pub status: Option<Status>,
    pub severity: Option<Severity>,
    pub tag: Option<String>,
    pub service: Option<String>,
    pub organization: Option<String>,
    pub year: Option<i32>,
    /// Only incidents with a contributing factor of this category.
    pub factor_category: Option<FactorCategory>,
    /// Only incidents with an action item still open or in progress.
    pub has_open_actions: bool,
    /// List the oldest incidents first instead of the newest.
    pub oldest_first: bool,
    /// Only incidents this user created.
    pub created_by: Option<String>,
}

/// A list's filter as a query string writes it. Every value is text, so a
/// wrong one is answered by name rather than by the deserializer.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    #[param(value_type = Option<Status>)]
    pub status: Option<String>,
    #[param(value_type = Option<Severity>)]
    pub severity: Option<String>,
    pub tag: Option<String>,
    pub service: Option<String>,
    pub organization: Option<String>,
    /// The year the incident started, such as 2013.
    #[param(value_type = Option<i32>, minimum = 1900, maximum = 9999)]
    pub year: Option<String>,
    /// Reports with a contributing factor of this category.
    #[param(value_type = Option<FactorCategory>)]
    pub category: Option<String>,
    /// Only reports with action items still open (also `open`).
    #[serde(alias = "open")]
    #[param(value_type = Option<bool>)]
    pub has_open_actions: Option<String>,
    /// Reports filed by this user.
    pub created_by: Option<String>,
    /// `newest` (the default) or `oldest` first (also `sort`).
    #[serde(alias = "sort")]
    #[param(pattern = "^(newest|oldest)$")]
    pub order: Option<String>,
    /// The `next_cursor` of the page before.
    pub cursor: Option<String>,
    /// At most this many, 1 to 100 (20 when absent).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
}

impl ListQuery {
    /// The filter asked for, or every value that could not be read, each by
    /// its parameter's name.
    pub fn filter(&self) -> Result<IncidentFilter, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let filter = self.read(&mut errors);
        if errors.is_empty() {
            Ok(filter)
        } else {
            Err(errors)
        }
    }

    /// The filter asked for, with what could not be read left out.
    pub fn filter_leniently(&self) -> IncidentFilter {
        self.read(&mut ValidationErrors::default())
    }

    fn read(&self, errors: &mut ValidationErrors) -> IncidentFilter {
        let year = |text: &str| text.parse::<i32>().ok().filter(|y| (1900..=9999).contains(y));
        IncidentFilter {
            status: parsed(errors, "status", &self.status, Status::parse, &Status::choices()),
            severity: parsed(errors, "severity", &self.severity, Severity::parse, &Severity::choices()),
            tag: text(&self.tag).map(str::to_lowercase),
            service: text(&self.service).map(str::to_lowercase),
            organization: text(&self.organization).map(str::to_string),
            year: parsed(errors, "year", &self.year, year, "a year such as 2013"),
            factor_category: parsed(
                errors,
                "category",
                &self.category,
                FactorCategory::parse,
                &FactorCategory::choices(),
            ),
            has_open_actions: parsed(errors, "has_open_actions", &self.has_open_actions, yes_or_no, "true or false")
                .unwrap_or(false),
            oldest_first: parsed(errors, "order", &self.order, oldest_or_newest, "newest or oldest").unwrap_or(false),
            created_by: text(&self.created_by).map(str::to_lowercase),
        }
    }

    /// The filter's parameters as a query string, in their current names,
    /// without the cursor and the limit: for links that keep the filter.
    pub fn query_string(&self) -> String {
        let pairs = [
            ("status", &self.status),
            ("severity", &self.severity),
            ("tag", &self.tag),
            ("service", &self.service),
            ("organization", &self.organization),
            ("year", &self.year),
            ("category", &self.category),
            ("has_open_actions", &self.has_open_actions),
            ("created_by", &self.created_by),
            ("order", &self.order),
        ];
        pairs
            .iter()
            .filter_map(|(name, value)| text(value).map(|value| format!("{name}={}", query_encode(value))))
            .collect::<Vec<_>>()
            .join("&")
    }
}

fn text(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// `value` read by `parse`; a value that does not read is noted under
/// `name` and filters nothing.
fn parsed<T>(
    errors: &mut ValidationErrors,
    name: &str,
    value: &Option<String>,
    parse: impl Fn(&str) -> Option<T>,
    expected: &str,
) -> Option<T> {
    let value = text(value)?;
    let read = parse(value);
    if read.is_none() {
        errors.add(name, format!("must be {expected}, not `{}`", truncate_for_message(value)));
    }
    read
}

fn yes_or_no(text: &str) -> Option<bool> {
    match text {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

fn oldest_or_newest(text: &str) -> Option<bool> {
    match text {
        "oldest" => Some(true),
        "newest" => Some(false),
        _ => None,
    }
}

/// Percent-encodes a query value.
pub fn query_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(byte as char),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &str) -> ListQuery {
        let uri: axum::http::Uri = format!("/incidents?{pairs}").parse().unwrap();
        axum::extract::Query::<ListQuery>::try_from_uri(&uri).unwrap().0
    }

    #[test]
    fn the_pages_older_names_read_as_the_current_ones() {
        let old = query("open=1&sort=oldest&tag=DNS");
        let new = query("has_open_actions=true&order=oldest&tag=dns");
        assert_eq!(old.filter().unwrap(), new.filter().unwrap());
        assert!(old.filter().unwrap().has_open_actions && old.filter().unwrap().oldest_first);
        assert_eq!(old.query_string(), "tag=DNS&has_open_actions=1&order=oldest");
    }

    #[test]
    fn an_unreadable_value_is_named_strictly_and_ignored_leniently() {
        let bad = query("severity=sev9&year=abc&tag=disk");
        let errors = bad.filter().unwrap_err();
        assert_eq!(errors.0.len(), 2);
        assert!(errors.to_string().starts_with("severity: must be sev1"), "{errors}");
        let lenient = bad.filter_leniently();
        assert_eq!((lenient.severity, lenient.year, lenient.tag.as_deref()), (None, None, Some("disk")));
    }
}
