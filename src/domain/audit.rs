//! Which entries of the audit log to read: who, what, which subject, and
//! between which days, as an admin types them into the page's filter or
//! the API's query.

use time::{Date, OffsetDateTime};

use super::validation::ValidationErrors;

/// The kinds of action the log records, for the filter's choices.
pub const ACTION_KINDS: &[&str] = &["incident", "user", "token", "sign-in", "sign-out", "webhook", "backup"];

/// Which entries to read. Every part is optional.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AuditFilter {
    /// Who did it: a user name, `import`, `command line`.
    pub actor: Option<String>,
    /// An action (`user.disable`) or a kind of action (`user`, which is
    /// every `user.…`).
    pub action: Option<String>,
    /// What it was done to: a report's slug, a user's name, a token's id.
    pub subject: Option<String>,
    /// At or after this instant (Unix seconds).
    pub since: Option<i64>,
    /// Before this instant (Unix seconds).
    pub until: Option<i64>,
    /// Older than the entry with this id: the cursor of the next page.
    pub before: Option<i64>,
}

/// The filter as typed: each part a text, empty when not wanted.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct AuditFilterText {
    pub actor: String,
    pub action: String,
    pub subject: String,
    /// The first day (UTC) to read, `YYYY-MM-DD`, or an RFC 3339 instant.
    pub since: String,
    /// The last day (UTC) to read, `YYYY-MM-DD`, or an RFC 3339 instant
    /// to read before.
    pub until: String,
}

/// Longest text a filter's field may hold: names and slugs are shorter.
const MAX_FIELD_CHARS: usize = 200;

impl AuditFilterText {
    /// The filter these texts ask for; each field that does not read is
    /// named with what it should be.
    pub fn read(&self) -> Result<AuditFilter, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let mut text = |field: &str, value: &str| {
            let value = value.trim();
            if value.chars().count() > MAX_FIELD_CHARS {
                errors.add(field, format!("keep this to {MAX_FIELD_CHARS} characters"));
                return None;
            }
            (!value.is_empty()).then(|| value.to_string())
        };
        let actor = text("actor", &self.actor);
        let action = text("action", &self.action);
        let kind_unknown = action.as_deref().is_some_and(|action| {
            !action.contains('.') && !ACTION_KINDS.contains(&action)
                || action.contains(|c: char| !(c.is_ascii_lowercase() || c == '.' || c == '-'))
        });
        let subject = text("subject", &self.subject);
        if kind_unknown {
            errors.add(
                "action",
                format!("choose one of {}, or name an action in full, such as user.disable", ACTION_KINDS.join(", ")),
            );
        }
        let since = instant(&self.since, false)
            .map_err(|()| errors.add("since", "write the first day as YYYY-MM-DD, or an RFC 3339 time"))
            .ok()
            .flatten();
        let until = instant(&self.until, true)
            .map_err(|()| errors.add("until", "write the last day as YYYY-MM-DD, or an RFC 3339 time"))
            .ok()
            .flatten();
        if let (Some(since), Some(until)) = (since, until) {
            if until <= since {
                errors.add("until", "the last day comes before the first");
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(AuditFilter { actor, action, subject, since, until, before: None })
    }
}

/// A day's start (or, for the end of a range, the next day's start) in
/// UTC, or an RFC 3339 instant, as Unix seconds; `None` when empty.
fn instant(text: &str, end_of_range: bool) -> Result<Option<i64>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(at) = OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339) {
        return Ok(Some(at.unix_timestamp()));
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = Date::parse(text, &format).map_err(|_| ())?;
    let day = if end_of_range { day.next_day().ok_or(())? } else { day };
    Ok(Some(day.midnight().assume_utc().unix_timestamp()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(since: &str, until: &str) -> AuditFilterText {
        AuditFilterText { since: since.into(), until: until.into(), ..AuditFilterText::default() }
    }

    #[test]
    fn days_are_whole_utc_days_and_instants_are_exact() {
        let filter = text("2026-12-01", "2026-12-01").read().unwrap();
        assert_eq!(filter.since, Some(1_796_083_200));
        assert_eq!(filter.until, Some(1_796_083_200 + 86_400), "the last day is read to its end");
        let filter = text("2026-12-01T10:00:00+01:00", "").read().unwrap();
        assert_eq!(filter.since, Some(1_796_083_200 + 9 * 3600));
        assert_eq!(filter.until, None);
    }

    #[test]
    fn each_field_that_does_not_read_is_named() {
        let fields = |filter: AuditFilterText| -> Vec<String> {
            filter.read().unwrap_err().0.into_iter().map(|error| error.field).collect()
        };
        assert_eq!(fields(text("yesterday", "12/01/2026")), ["since", "until"]);
        assert_eq!(fields(text("2026-12-02", "2026-12-01")), ["until"]);
        let long = AuditFilterText { actor: "x".repeat(201), ..AuditFilterText::default() };
        assert_eq!(fields(long), ["actor"]);
        for action in ["users", "user%", "sign_in.failed"] {
            let typed = AuditFilterText { action: action.into(), ..AuditFilterText::default() };
            assert_eq!(fields(typed), ["action"], "{action}");
        }
        let full = AuditFilterText { action: "user.disable".into(), ..AuditFilterText::default() };
        assert!(full.read().is_ok());
    }

    #[test]
    fn blank_fields_filter_nothing() {
        let typed = AuditFilterText { actor: "  ".into(), subject: " db-outage ".into(), ..AuditFilterText::default() };
        assert_eq!(typed.read().unwrap(), AuditFilter { subject: Some("db-outage".into()), ..AuditFilter::default() });
    }
}
