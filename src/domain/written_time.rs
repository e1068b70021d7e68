//! Times as people write them: `2013-05-20 11:40 PDT`, `22:50 UTC`,
//! `2019-07-09T22:50Z`, `2013-04-06`. The form's time fields and the
//! paste-a-timeline reader share this grammar; `format_written` writes a
//! stored time back in it, so a form shows what it will save.

use std::iter::Peekable;
use std::str::SplitWhitespace;

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use super::incident::{format_date, parse_date};
use super::reported_time::{truncate_for_message, zone_label_for, Precision, ReportedTime};

/// What a reader assumes where a written time is silent: the incident's
/// zone and date.
#[derive(Debug, Clone, Default)]
pub struct TimeDefaults {
    /// `PDT`, `UTC`, or an offset such as `+02:00`.
    pub zone: Option<String>,
    pub date: Option<Date>,
}

impl TimeDefaults {
    /// The default zone, read; an unknown zone is an error for the writer.
    pub fn parsed_zone(&self) -> Result<Option<(UtcOffset, String)>, String> {
        match self.zone.as_deref().map(str::trim).filter(|z| !z.is_empty()) {
            None => Ok(None),
            Some(zone) => parse_zone(zone)
                .map(Some)
                .ok_or_else(|| format!("`{}` is not a zone such as UTC, PDT or +02:00", truncate_for_message(zone))),
        }
    }
}

/// Zone abbreviations real reports use, with their offsets in minutes.
const ZONES: &[(&str, i32)] = &[
    ("UTC", 0),
    ("GMT", 0),
    ("Z", 0),
    ("PST", -480),
    ("PDT", -420),
    ("MST", -420),
    ("MDT", -360),
    ("CST", -360),
    ("CDT", -300),
    ("EST", -300),
    ("EDT", -240),
    ("BST", 60),
    ("CET", 60),
    ("CEST", 120),
    ("EET", 120),
    ("EEST", 180),
    ("IST", 330),
    ("JST", 540),
    ("AEST", 600),
    ("AEDT", 660),
    ("NZST", 720),
    ("NZDT", 780),
];

/// An offset and the label to show for it, from `PDT`, `UTC+2`, `+05:30`.
pub fn parse_zone(text: &str) -> Option<(UtcOffset, String)> {
    let upper = text.trim().to_ascii_uppercase();
    if let Some((name, minutes)) = ZONES.iter().find(|(name, _)| *name == upper) {
        let label = if *name == "Z" { "UTC" } else { name };
        return Some((UtcOffset::from_whole_seconds(minutes * 60).ok()?, label.to_string()));
    }
    let signed = upper.strip_prefix("UTC").or_else(|| upper.strip_prefix("GMT")).unwrap_or(&upper);
    let (sign, digits) = match signed.chars().next()? {
        '+' => (1, &signed[1..]),
        '-' | '−' => (-1, &signed[signed.chars().next()?.len_utf8()..]),
        _ => return None,
    };
    let (hours, minutes) = match digits.split_once(':') {
        Some((h, m)) => (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?),
        None if digits.len() == 4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
        None => (digits.parse().ok()?, 0),
    };
    if hours > 14 || minutes > 59 {
        return None;
    }
    let offset = UtcOffset::from_whole_seconds(sign * (hours * 3600 + minutes * 60)).ok()?;
    Some((offset, zone_label_for(offset)))
}

fn parse_clock(text: &str) -> Option<Time> {
    let mut parts = text.split(':');
    let hour: u8 = parts.next()?.parse().ok()?;
    let minute: u8 = parts.next()?.parse().ok()?;
    let second: u8 = parts.next().map_or(Some(0), |s| s.parse().ok())?;
    if parts.next().is_some() || text.split(':').nth(1).is_some_and(|m| m.len() != 2) {
        return None;
    }
    Time::from_hms(hour, minute, second).ok()
}

/// The time at the start of some words: an optional date, a clock (the `T`
/// of ISO 8601 joining them is accepted too) and an optional zone.
#[derive(Debug, Clone)]
pub(super) struct LeadingTime {
    pub date: Option<Date>,
    pub clock: Time,
    pub zone: Option<(UtcOffset, String)>,
    /// The zone was written as an offset (`+02:00`, `UTC-7`), not a name.
    pub numeric_zone: bool,
}

/// `+02:00`, `-0800`, `UTC+2`: an offset rather than a zone's name.
fn is_numeric_zone(word: &str) -> bool {
    let upper = word.trim().to_ascii_uppercase();
    let signed = upper.strip_prefix("UTC").or_else(|| upper.strip_prefix("GMT")).unwrap_or(&upper);
    signed.starts_with(['+', '-', '−'])
}

/// Reads a `LeadingTime` off the front of `words`, leaving the rest.
pub(super) fn read_leading_time(words: &mut Peekable<SplitWhitespace<'_>>) -> Option<LeadingTime> {
    let mut date = None;
    let mut zulu = false;
    let mut first = words.next().unwrap_or_default().to_string();
    if let Some((day, clock)) = first.split_once('T').filter(|(day, _)| parse_date(day).is_some()) {
        date = parse_date(day);
        zulu = clock.ends_with('Z');
        first = clock.trim_end_matches('Z').to_string();
    } else if let Some(day) = parse_date(&first) {
        date = Some(day);
        first = words.next().unwrap_or_default().to_string();
    }
    let clock = parse_clock(&first)?;
    let mut numeric_zone = false;
    let zone = match words.peek().and_then(|word| parse_zone(word)) {
        Some(zone) => {
            numeric_zone = words.next().is_some_and(is_numeric_zone);
            Some(zone)
        }
        None if zulu => parse_zone("UTC"),
        None => None,
    };
    Some(LeadingTime { date, clock, zone, numeric_zone })
}

/// Reads a whole form field. `precision` is the writer's choice, if any;
/// otherwise a date alone means `day` and a clock means `minute`. After a
/// numeric offset, the rest is the zone's own name
/// (`2020-03-01 10:00 +01:00 Europe/Berlin`, `… -08:00 Pacific time`).
pub fn parse_written(
    text: &str,
    precision: Option<Precision>,
    defaults: &TimeDefaults,
) -> Result<ReportedTime, String> {
    let text = text.trim();
    let example = "write it like 2013-05-20 11:40 PDT, or a date alone such as 2013-05-20";
    if text.chars().count() > 100 {
        return Err(format!("too long for a time: {example}"));
    }
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(ReportedTime {
            at,
            zone: zone_label_for(at.offset()),
            precision: precision.unwrap_or(Precision::Minute),
        });
    }
    if let Some(date) = parse_date(text) {
        let at = date.midnight().assume_utc();
        return Ok(ReportedTime { at, zone: "UTC".into(), precision: precision.unwrap_or(Precision::Day) });
    }
    let mut words = text.split_whitespace().peekable();
    let Some(leading) = read_leading_time(&mut words) else {
        return Err(format!("`{}` is not a time: {example}", truncate_for_message(text)));
    };
    let mut zone = match leading.zone {
        Some(zone) => zone,
        None => {
            defaults.parsed_zone()?.ok_or_else(|| format!("no time zone: add one such as UTC or PDT ({example})"))?
        }
    };
    let name = words.collect::<Vec<_>>().join(" ");
    match (name.is_empty(), leading.numeric_zone) {
        (true, _) => {}
        (false, true) if name.chars().count() <= 64 => zone.1 = name,
        _ => return Err(format!("`{}` has more than a time in it: {example}", truncate_for_message(text))),
    }
    let date = leading.date.or(defaults.date).ok_or_else(|| format!("no date: {example}"))?;
    let at = PrimitiveDateTime::new(date, leading.clock).assume_offset(zone.0);
    Ok(ReportedTime { at, zone: zone.1, precision: precision.unwrap_or(Precision::Minute) })
}

/// A stored time as `parse_written` reads it back to the same value:
/// `2013-05-20 11:40 PDT`, `2013-03-08 23:59:17 UTC`, `2013-04-06`.
pub fn format_written(time: &ReportedTime) -> String {
    let at = time.at;
    if time.precision == Precision::Day && at.time() == Time::MIDNIGHT && at.offset().is_utc() && time.zone == "UTC" {
        return format_date(at.date());
    }
    let clock = if at.second() == 0 {
        format!("{:02}:{:02}", at.hour(), at.minute())
    } else {
        format!("{:02}:{:02}:{:02}", at.hour(), at.minute(), at.second())
    };
    let zone = match parse_zone(&time.zone) {
        Some((offset, _)) if offset == at.offset() => time.zone.clone(),
        _ => {
            let numeric = zone_label_for(at.offset()).trim_start_matches("UTC").to_string();
            let numeric = if numeric.is_empty() { "+00:00".to_string() } else { numeric };
            let name = time.zone.split_whitespace().collect::<Vec<_>>().join(" ");
            if name.is_empty() || name == zone_label_for(at.offset()) {
                numeric
            } else {
                format!("{numeric} {name}")
            }
        }
    };
    format!("{} {clock} {zone}", format_date(at.date()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc_defaults() -> TimeDefaults {
        TimeDefaults { zone: Some("PDT".into()), date: parse_date("2013-05-20") }
    }

    #[test]
    fn the_shapes_writers_use_are_read() {
        let read = |text: &str| parse_written(text, None, &utc_defaults()).unwrap();
        assert_eq!(read("2013-05-20 11:40 PDT").at_rfc3339(), "2013-05-20T11:40:00-07:00");
        assert_eq!(read("11:40").at_rfc3339(), "2013-05-20T11:40:00-07:00", "zone and date from the incident");
        assert_eq!(read("22:50 UTC").zone, "UTC");
        assert_eq!(read("2019-07-09T22:50Z").at_rfc3339(), "2019-07-09T22:50:00Z");
        assert_eq!(read("2013-05-20T11:40:00-07:00").zone, "UTC-07:00");
        let day = read("2013-04-06");
        assert_eq!((day.precision, day.at_rfc3339()), (Precision::Day, "2013-04-06T00:00:00Z".to_string()));
        let named = read("2020-03-01 10:00 +01:00 Europe/Berlin");
        assert_eq!((named.zone.as_str(), named.offset_seconds()), ("Europe/Berlin", 3600));
        assert_eq!(
            parse_written("2013-04-06 07:49 UTC", Some(Precision::Hour), &utc_defaults()).unwrap().precision,
            Precision::Hour
        );
    }

    #[test]
    fn unreadable_times_say_what_is_expected() {
        for text in ["yesterday", "25:00 UTC", "10:00 UTC and more", "14:09 UTC approx", "10:00 Mars", "2013-13-01"] {
            let error = parse_written(text, None, &utc_defaults()).unwrap_err();
            assert!(error.contains("2013-05-20 11:40 PDT"), "{text}: {error}");
        }
        assert!(parse_written("10:00", None, &TimeDefaults::default()).unwrap_err().contains("zone"));
        assert!(parse_written("10:00 UTC", None, &TimeDefaults::default()).unwrap_err().contains("date"));
        assert!(parse_written(&"1".repeat(10_000), None, &utc_defaults()).is_err());
    }

    #[test]
    fn written_times_read_back_to_the_same_value() {
        let times = [
            ReportedTime::parse(&crate::domain::ReportedTimeInput {
                at: Some("2013-05-20T11:40:00-07:00".into()),
                zone: Some("PDT".into()),
                precision: Some("hour".into()),
            })
            .unwrap(),
            parse_written("2013-03-08 23:59:17 UTC", None, &TimeDefaults::default()).unwrap(),
            parse_written("2013-04-06", None, &TimeDefaults::default()).unwrap(),
            parse_written("2013-04-06", Some(Precision::Unknown), &TimeDefaults::default()).unwrap(),
            parse_written("2020-03-01 10:00 +01:00 Europe/Berlin", None, &TimeDefaults::default()).unwrap(),
            parse_written("2020-03-01 10:00 +05:30", None, &TimeDefaults::default()).unwrap(),
            ReportedTime::parse(&crate::domain::ReportedTimeInput {
                at: Some("2013-03-08T12:00:00-08:00".into()),
                zone: Some("Pacific time".into()),
                precision: Some("day".into()),
            })
            .unwrap(),
        ];
        for time in times {
            let written = format_written(&time);
            let back = parse_written(&written, Some(time.precision), &TimeDefaults::default()).unwrap();
            assert_eq!(back, time, "{written}");
        }
    }

    #[test]
    fn zones_and_offsets_are_understood() {
        assert_eq!(parse_zone("pdt").unwrap().0.whole_hours(), -7);
        assert_eq!(parse_zone("+05:30").unwrap().1, "UTC+05:30");
        assert_eq!(parse_zone("UTC-7").unwrap().0.whole_hours(), -7);
        assert_eq!(parse_zone("-0800").unwrap().0.whole_hours(), -8);
        assert!(parse_zone("+25").is_none());
        assert!(parse_zone("nowhere").is_none());
    }

    /// Random text made of the pieces times are made of: no input panics,
    /// and whatever is read writes back to text that reads the same.
    #[test]
    fn random_text_never_panics_and_what_reads_round_trips() {
        const PIECES: &[&str] = &[
            "2013-05-20",
            "2024-02-29",
            "0000-01-01",
            "9999-12-31",
            "11:40",
            "23:59:59",
            "24:00",
            "00:00",
            "7:5",
            "T",
            "Z",
            " ",
            "  ",
            "UTC",
            "PDT",
            "pdt",
            "+05:30",
            "-0800",
            "UTC+2",
            "GMT-14",
            "+14:59",
            "−07:00",
            "Europe/Berlin",
            "Pacific",
            "time",
            ":",
            "-",
            "é",
            "\u{0}",
            "\u{feff}",
            "2013-05-20T11:40:00-07:00",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let defaults = TimeDefaults { zone: Some("PDT".into()), date: parse_date("2013-05-20") };
        let mut read = 0;
        for _ in 0..20_000 {
            let count = 1 + next() % 6;
            let text: String = (0..count).map(|_| PIECES[(next() % PIECES.len() as u64) as usize]).collect();
            let precision = Precision::ALL.get((next() % 5) as usize).copied();
            if let Ok(time) = parse_written(&text, precision, &defaults) {
                let written = format_written(&time);
                let back = parse_written(&written, Some(time.precision), &TimeDefaults::default());
                assert_eq!(back.as_ref(), Ok(&time), "{text:?} was written as {written:?}");
                read += 1;
            }
        }
        assert!(read > 500, "only {read} random texts read as times: the test would prove little");
    }
}
