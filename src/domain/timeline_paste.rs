//! Paste-a-timeline: turns lines such as `22:50 UTC capacity started to
//! drop`, `11:40 PDT - detected`, `2013-04-06 07:49 UTC NS2 stopped
//! responding` or `09:15 deploy started` into timeline rows. A line without
//! a zone is read in the incident's zone; without a date, on the date of the
//! line before (the next day when its clock went backwards) or the
//! incident's date. A line that cannot be read is kept, with the reason.

use serde::Serialize;
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, UtcOffset};

use super::reported_time::{Precision, ReportedTime};
use super::taxonomy::EventKind;
use super::written_time::{read_leading_time, LeadingTime, TimeDefaults};

pub const MAX_LINES: usize = 1_000;
pub const MAX_LINE_CHARS: usize = 2_000;

/// One pasted line, read or not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PastedRow {
    /// 1-based line number in the paste.
    pub line: usize,
    pub source: String,
    pub at: Option<ReportedTime>,
    pub kind: EventKind,
    pub text: String,
    /// Why the line could not be read; the row is kept for the writer.
    pub error: Option<String>,
}

/// A first guess at an event's kind from its words; the writer corrects it.
pub fn guess_kind(text: &str) -> EventKind {
    let lower = text.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|word| lower.contains(word));
    if has(&["resolved", "recovered", "back to normal", "fully restored", "all clear"]) {
        EventKind::Resolution
    } else if has(&["mitigat", "rolled back", "rollback", "failed over", "workaround", "restored"]) {
        EventKind::Mitigation
    } else if has(&["detected", "alert", "noticed", "reported by", "customers reported", "page fired"]) {
        EventKind::Detection
    } else if has(&["escalat", "paged", "incident declared", "war room", "called in"]) {
        EventKind::Escalation
    } else if has(&["status page", "tweet", "announced", "posted", "notified", "communicat", "published"]) {
        EventKind::Communication
    } else if has(&["deploy", "released", "pushed", "started to", "began", "config change", "migration"]) {
        EventKind::Trigger
    } else {
        EventKind::Action
    }
}

/// Reads every non-empty line of `text`.
pub fn parse(text: &str, defaults: &TimeDefaults) -> Result<Vec<PastedRow>, String> {
    let default_zone = defaults.parsed_zone()?;
    let lines: Vec<(usize, &str)> =
        text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())).filter(|(_, l)| !l.is_empty()).collect();
    if lines.len() > MAX_LINES {
        return Err(format!("paste at most {MAX_LINES} lines at a time"));
    }
    let mut previous: Option<OffsetDateTime> = None;
    let mut rows = Vec::with_capacity(lines.len());
    for (line, source) in lines {
        let row = read_line(line, source, defaults.date, default_zone.as_ref(), &mut previous);
        rows.push(row);
    }
    Ok(rows)
}

fn read_line(
    line: usize,
    source: &str,
    default_date: Option<Date>,
    default_zone: Option<&(UtcOffset, String)>,
    previous: &mut Option<OffsetDateTime>,
) -> PastedRow {
    let failed = |reason: String| PastedRow {
        line,
        source: source.to_string(),
        at: None,
        kind: guess_kind(source),
        text: source.to_string(),
        error: Some(reason),
    };
    if source.chars().count() > MAX_LINE_CHARS {
        return failed(format!("a line may be at most {MAX_LINE_CHARS} characters"));
    }
    let mut words = source.split_whitespace().peekable();
    let Some(LeadingTime { date, clock, zone, .. }) = read_leading_time(&mut words) else {
        return failed("no time at the start of the line: write it like `22:50 UTC what happened`".into());
    };
    let Some((offset, label)) = zone.or_else(|| default_zone.cloned()) else {
        return failed("no time zone: add one such as UTC or PDT, or set the incident's zone".into());
    };
    // The rest, after an optional separator, is the event.
    let rest: Vec<&str> = words.collect();
    let text = rest.join(" ");
    let text = text.trim_start_matches(['-', '–', '—', ':', '|']).trim().to_string();
    if text.is_empty() {
        return failed("nothing after the time: say what happened".into());
    }
    let carried = previous.map(|at| at.to_offset(offset).date());
    let Some(day) = date.or(carried).or(default_date) else {
        return failed(
            "no date: start the line with one, like `2013-04-06 07:49 UTC`, or set the incident's start".into(),
        );
    };
    let mut at = PrimitiveDateTime::new(day, clock).assume_offset(offset);
    // A clock that goes backwards without a new date has passed midnight.
    if date.is_none() {
        if let Some(before) = *previous {
            if at < before {
                at += Duration::days(1);
            }
        }
    }
    *previous = Some(at);
    PastedRow {
        line,
        source: source.to_string(),
        at: Some(ReportedTime { at, zone: label, precision: Precision::Minute }),
        kind: guess_kind(&text),
        text,
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::incident::parse_date;

    fn defaults(zone: &str, date: &str) -> TimeDefaults {
        TimeDefaults { zone: Some(zone.into()), date: parse_date(date) }
    }

    #[test]
    fn the_four_shapes_of_the_issue_are_read() {
        let paste = "22:50 UTC capacity started to drop\n11:40 PDT - detected\n2013-04-06 07:49 UTC NS2 stopped responding\n09:15 deploy started";
        let rows = parse(paste, &defaults("PDT", "2013-04-05")).unwrap();
        assert!(rows.iter().all(|row| row.error.is_none()), "{rows:?}");
        let at: Vec<String> = rows.iter().map(|r| r.at.as_ref().unwrap().at_rfc3339()).collect();
        assert_eq!(at[0], "2013-04-05T22:50:00Z");
        assert_eq!(at[1], "2013-04-06T11:40:00-07:00", "11:40 PDT on the 5th is before 22:50 UTC: so the next day");
        assert_eq!(at[2], "2013-04-06T07:49:00Z");
        assert_eq!(at[3], "2013-04-06T09:15:00-07:00", "no zone: the incident's; no date: the line before's");
        assert_eq!(rows[1].text, "detected");
        assert_eq!(rows[1].kind, EventKind::Detection);
        assert_eq!(rows[3].kind, EventKind::Trigger);
        assert_eq!(rows[2].at.as_ref().unwrap().zone, "UTC");
    }

    #[test]
    fn unreadable_lines_are_kept_and_flagged() {
        let rows = parse(
            "around noon things broke\n\n23:10 UTC\n25:99 UTC bad clock\n10:00 XYZ odd zone",
            &TimeDefaults::default(),
        )
        .unwrap();
        assert_eq!(rows.len(), 4, "blank lines are skipped, nothing else");
        assert!(rows[0].error.as_deref().unwrap().contains("no time"));
        assert_eq!(rows[0].text, "around noon things broke");
        assert!(rows[1].error.as_deref().unwrap().contains("nothing after"));
        assert!(rows[2].error.is_some());
        assert!(rows[3].error.as_deref().unwrap().contains("zone"), "{:?}", rows[3]);
        let no_date = parse("10:00 UTC something", &TimeDefaults::default()).unwrap();
        assert!(no_date[0].error.as_deref().unwrap().contains("no date"));
    }

    #[test]
    fn midnight_rolls_the_date_over() {
        let rows = parse("23:50 UTC alert fired\n00:10 UTC rolled back", &defaults("UTC", "2020-01-31")).unwrap();
        assert_eq!(rows[1].at.as_ref().unwrap().at_rfc3339(), "2020-02-01T00:10:00Z");
        assert_eq!(rows[1].kind, EventKind::Mitigation);
    }

    #[test]
    fn iso_timestamps_are_read() {
        let iso = parse("2019-07-09T22:50Z capacity fell", &TimeDefaults::default()).unwrap();
        assert_eq!(iso[0].at.as_ref().unwrap().at_rfc3339(), "2019-07-09T22:50:00Z");
    }

    #[test]
    fn hostile_pastes_are_bounded() {
        assert!(parse(&"10:00 UTC x\n".repeat(MAX_LINES + 1), &defaults("UTC", "2020-01-01")).is_err());
        let long = format!("10:00 UTC {}", "x".repeat(MAX_LINE_CHARS));
        assert!(parse(&long, &defaults("UTC", "2020-01-01")).unwrap()[0].error.is_some());
        assert!(parse("\u{0}\u{feff}10:00", &TimeDefaults::default()).unwrap()[0].error.is_some());
        assert!(parse("x", &TimeDefaults { zone: Some("Mars/Olympus".into()), date: None }).is_err());
    }
}
