//! Paste-a-timeline: turns lines such as `22:50 UTC capacity started to
//! drop`, `11:40 PDT - detected`, `~13:15 rolled back`, `3:59pm paged the
//! DBA`, `Mar 9 10:00 more spikes` or `the next morning: whitelisted` into
//! timeline rows. A line without a zone is read in the report's zone; a
//! line without a date takes the date of the line before, or the day after
//! when its clock went back past midnight. Every date the reader infers is
//! written into the row and noted for the writer to confirm; a line that
//! cannot be read is kept, with the part that could not be read named.

use jiff::civil::{Date, DateTime};
use jiff::ToSpan;
use serde::Serialize;

use super::reported_time::ReportedTime;
use super::taxonomy::EventKind;
use super::written_time::{complete, day_text, read, words_of, DateWritten, TimeDefaults};
use super::zones::ZoneSpec;

pub const MAX_LINES: usize = 1_000;
pub const MAX_LINE_CHARS: usize = 2_000;
/// A clock this far behind the line before is read as the next day; less
/// is a line out of order, kept on the same day.
const ROLL_OVER_SECONDS: i64 = 12 * 3_600;

/// One pasted line, read or not.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PastedRow {
    /// 1-based line number in the paste.
    pub line: usize,
    pub source: String,
    pub at: Option<ReportedTime>,
    pub kind: EventKind,
    pub text: String,
    /// Why the line could not be read; the row is kept for the writer.
    pub error: Option<String>,
    /// What the reader assumed (a date carried, a roll-over past midnight,
    /// an abbreviation out of season), for the writer to confirm.
    pub notes: Vec<String>,
}

/// A first guess at an event's kind from its words; the writer corrects it.
pub fn guess_kind(text: &str) -> EventKind {
    let lower = text.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|word| lower.contains(word));
    if has(&["resolved", "recovered", "back to normal", "fully restored", "all clear"]) {
        EventKind::Resolution
    } else if has(&["mitigat", "rolled back", "rollback", "failed over", "workaround", "restored", "whitelist"]) {
        EventKind::Mitigation
    } else if has(&["detected", "alert", "noticed", "reported by", "customers reported", "page fired", "tweets"]) {
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

/// Reads every non-empty line of `text`. `previous` is the last timed row
/// already in the timeline, which the first lines follow.
pub fn parse(text: &str, defaults: &TimeDefaults, previous: Option<&ReportedTime>) -> Result<Vec<PastedRow>, String> {
    defaults.parsed_zone()?;
    let lines: Vec<(usize, &str)> =
        text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())).filter(|(_, l)| !l.is_empty()).collect();
    if lines.len() > MAX_LINES {
        return Err(format!("paste at most {MAX_LINES} lines at a time"));
    }
    let mut previous = previous.cloned();
    let mut rows = Vec::with_capacity(lines.len());
    for (line, source) in lines {
        rows.push(read_line(line, source, defaults, &mut previous));
    }
    Ok(rows)
}

/// The times a piece of prose states, such as a status post's "around 7:49
/// AM UTC NS2 stopped responding to queries": for each sentence holding a
/// time of day, a row at that time whose text is the whole sentence, read
/// as pasted lines are (a sentence without a date follows the one before,
/// else `defaults`' date). Sentences whose time does not read (no zone, an
/// unknown word) are left out; nothing here is a guess the reader hides, as
/// every inferred date is noted on its row.
pub fn times_in_prose(text: &str, defaults: &TimeDefaults) -> Vec<PastedRow> {
    let mut lines = Vec::new();
    for sentence in sentences(text).take(MAX_LINES) {
        let words = words_of(sentence);
        // A time with its zone ("11:30am Pacific time (18:30 UTC)" is read
        // at 18:30 UTC), else the first time of day.
        let readings: Vec<(usize, super::written_time::Reading)> = (0..words.len())
            .filter_map(|start| read(&words[start..], false).ok().map(|reading| (start, reading)))
            .filter(|(_, reading)| reading.clock.is_some())
            .collect();
        let best = readings.iter().find(|(_, reading)| reading.zone.is_some()).or(readings.first());
        let found = best.map(|(start, reading)| words[*start..start + reading.taken].join(" "));
        if let Some(time) = found {
            lines.push(format!("{time} — {sentence}"));
        }
    }
    let mut previous = None;
    lines
        .iter()
        .enumerate()
        .map(|(index, line)| read_line(index + 1, line, defaults, &mut previous))
        .filter(|row| row.error.is_none())
        .map(|row| {
            // The row's text is the sentence, without the time put before it.
            let text = row.source.split_once(" — ").map_or(row.text.clone(), |(_, sentence)| sentence.to_string());
            PastedRow { text, ..row }
        })
        .collect()
}

/// The sentences of prose, and its lines (a list item is one), each trimmed
/// and at most `MAX_LINE_CHARS`.
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .flat_map(|line| line.split_inclusive(". "))
        .map(|sentence| sentence.trim().trim_start_matches(['-', '*', '>', '#']).trim())
        .filter(|sentence| !sentence.is_empty() && sentence.chars().count() <= MAX_LINE_CHARS)
}

fn read_line(line: usize, source: &str, defaults: &TimeDefaults, previous: &mut Option<ReportedTime>) -> PastedRow {
    let failed = |reason: String| PastedRow {
        line,
        source: source.to_string(),
        at: None,
        kind: guess_kind(source),
        text: source.to_string(),
        error: Some(reason),
        notes: Vec::new(),
    };
    if source.chars().count() > MAX_LINE_CHARS {
        return failed(format!("a line may be at most {MAX_LINE_CHARS} characters"));
    }
    let words = words_of(source);
    let reading = match read(&words, false) {
        Ok(reading) => reading,
        Err(reason) => {
            return failed(format!(
                "no time at the start of the line: {reason}; write it like `22:50 UTC what happened` or `about 1 PM what happened`"
            ))
        }
    };
    // The rest, after an optional separator, is the event.
    let text = words[reading.taken..].join(" ");
    let text = text.trim_start_matches(['-', '–', '—', ':', '|', ',']).trim().to_string();
    if text.is_empty() {
        return failed("nothing after the time: say what happened".into());
    }
    // Dates are read relative to the line before, when there is one.
    let base = previous.as_ref().map(|p| p.local().date()).or(defaults.date);
    let from = if previous.is_some() { "the line before" } else { defaults.date_from };
    let line_defaults = TimeDefaults { zone: defaults.zone.clone(), date: base, date_from: from };
    // A clock after a line with a clock may have passed midnight; after a
    // line with a date alone it is on that date.
    let written = match (&reading.date, previous.as_ref(), reading.clock) {
        (DateWritten::Nothing, Some(before), Some(_)) if before.precision.has_clock() => {
            carry_date(&reading, before, &line_defaults)
        }
        _ => complete(&reading, None, &line_defaults),
    };
    match written {
        Ok(written) => {
            *previous = Some(written.time.clone());
            PastedRow {
                line,
                source: source.to_string(),
                at: Some(written.time),
                kind: guess_kind(&text),
                text,
                error: None,
                notes: written.notes,
            }
        }
        Err(reason) => failed(reason),
    }
}

/// A line with a clock and no date follows the line before: on the same
/// day in the line's own zone, or the next day when the clock went back
/// by half a day or more. Either way the date is noted.
fn carry_date(
    reading: &super::written_time::Reading,
    before: &ReportedTime,
    defaults: &TimeDefaults,
) -> Result<super::written_time::Written, String> {
    let zone = match &reading.zone {
        Some(zone) => zone.clone(),
        None => defaults
            .parsed_zone()?
            .ok_or_else(|| "no time zone: add one such as UTC or PDT, or choose the report's zone".to_string())?,
    };
    let day = date_in(&zone, before, defaults);
    let on = |date: Date| {
        let dated = super::written_time::Reading { date: DateWritten::Full(date), ..reading.clone() };
        complete(&dated, None, defaults)
    };
    let mut written = on(day)?;
    let behind = before.unix_seconds() - written.time.unix_seconds();
    let note = if behind >= ROLL_OVER_SECONDS {
        let next = day.checked_add(1.day()).map_err(|e| e.to_string())?;
        written = on(next)?;
        format!("date not written: the clock went back past midnight, so read as the next day, {}", day_text(next))
    } else if behind > 0 {
        format!(
            "date not written: read as {}, the day of the line before, although that makes it earlier than that line",
            day_text(day)
        )
    } else {
        format!("date not written: read as {}, the day of the line before", day_text(day))
    };
    written.notes.insert(0, note);
    Ok(written)
}

/// The date `before` fell on in `zone`'s clocks.
fn date_in(zone: &ZoneSpec, before: &ReportedTime, defaults: &TimeDefaults) -> Date {
    let utc: DateTime = jiff::tz::Offset::UTC.to_datetime(before.at);
    let offset = zone.resolve(utc, defaults.home().as_ref()).offset;
    offset.to_datetime(before.at).date()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::reported_time::parse_calendar;

    fn defaults(zone: &str, date: &str) -> TimeDefaults {
        TimeDefaults {
            zone: Some(zone.into()),
            date: parse_calendar(date).map(|(d, _)| d),
            date_from: "the report's start",
        }
    }

    fn times(rows: &[PastedRow]) -> Vec<String> {
        rows.iter().map(|r| r.at.as_ref().map(ReportedTime::at_rfc3339).unwrap_or_default()).collect()
    }

    #[test]
    fn the_four_shapes_of_the_first_issue_are_read() {
        let paste = "22:50 UTC capacity started to drop\n11:40 PDT - detected\n2013-04-06 07:49 UTC NS2 stopped responding\n09:15 deploy started";
        let rows = parse(paste, &defaults("PDT", "2013-04-05"), None).unwrap();
        assert!(rows.iter().all(|row| row.error.is_none()), "{rows:?}");
        let at = times(&rows);
        assert_eq!(at[0], "2013-04-05T22:50:00Z");
        assert_eq!(at[1], "2013-04-05T11:40:00-07:00", "11:40 PDT is four hours before 22:50 UTC: the same day");
        assert_eq!(at[2], "2013-04-06T07:49:00Z");
        assert_eq!(at[3], "2013-04-06T09:15:00-07:00", "no zone: the report's; no date: the line before's");
        assert_eq!(rows[1].text, "detected");
        assert_eq!(rows[1].kind, EventKind::Detection);
        assert_eq!(rows[3].kind, EventKind::Trigger);
        assert!(rows[1].notes[0].contains("earlier than that line"), "{:?}", rows[1].notes);
        assert!(rows[2].notes.is_empty(), "a written date needs no confirming");
    }

    #[test]
    fn a_line_slightly_behind_the_one_before_stays_on_its_day_and_is_flagged() {
        let paste =
            "2013-03-08 12:30 PST tweets say names fail to resolve\n20:00 UTC east coast fine, west coast failing";
        let rows = parse(paste, &defaults("America/Los_Angeles", "2013-03-08"), None).unwrap();
        assert_eq!(times(&rows)[1], "2013-03-08T20:00:00Z", "not moved to the 9th");
        assert!(
            rows[1].notes[0].contains("Fri 8 Mar 2013") && rows[1].notes[0].contains("earlier"),
            "{:?}",
            rows[1].notes
        );
    }

    #[test]
    fn what_people_write_is_read() {
        let paste = "~13:15 Boundary shows a flood of queries from Google\n3:59pm packet captures: DMARC TXT lookups\n\
                     1 PM more reports from New Relic users\nMar 9 10:00 an engineer at New Relic suggests Google Public DNS\n\
                     the next morning: more spikes, from Yahoo too\nMonday 1 p.m. Google and Yahoo ranges whitelisted";
        let rows = parse(paste, &defaults("America/Los_Angeles", "2013-03-08"), None).unwrap();
        assert!(rows.iter().all(|row| row.error.is_none()), "{rows:?}");
        let at = times(&rows);
        assert_eq!(at[0], "2013-03-08T13:15:00-08:00");
        assert!(rows[0].at.as_ref().unwrap().approximate);
        assert_eq!(at[1], "2013-03-08T15:59:00-08:00");
        assert_eq!(at[2], "2013-03-08T13:00:00-08:00", "two hours behind: the same day, flagged");
        assert_eq!(at[3], "2013-03-09T10:00:00-08:00");
        assert!(rows[3].notes[0].contains("year not written"));
        assert_eq!(at[4], "2013-03-10T00:00:00-08:00", "a day in the report's zone, approximate");
        assert!(rows[4].at.as_ref().unwrap().approximate && rows[4].notes[0].contains("Sun 10 Mar 2013"));
        assert_eq!(at[5], "2013-03-11T13:00:00-07:00", "after the change to daylight saving time");
        assert_eq!(rows[5].text, "Google and Yahoo ranges whitelisted");
        // A clock after a line with a date alone is on that date.
        let after_day = parse(
            "15:00 deploy\nthe next morning: whitelisted\n10:00 more spikes",
            &defaults("UTC", "2013-03-08"),
            None,
        )
        .unwrap();
        assert_eq!(times(&after_day)[2], "2013-03-09T10:00:00Z");
        assert!(
            after_day[2].notes[0].contains("Sat 9 Mar 2013, the date of the line before"),
            "{:?}",
            after_day[2].notes
        );
        // A 24-hour clock without its colon, before a zone; a colon after a zone.
        let compact = parse(
            "Mar 9 2230 UTC: deploy\n22:50 UTC: capacity fell",
            &defaults("America/Los_Angeles", "2013-03-08"),
            None,
        )
        .unwrap();
        assert_eq!(times(&compact), ["2013-03-09T22:30:00Z", "2013-03-09T22:50:00Z"]);
        assert_eq!((compact[0].text.as_str(), compact[1].text.as_str()), ("deploy", "capacity fell"));
        // A zone word then a date, in a pasted line.
        let later = parse(
            "a few minutes after noon Pacific - tweets\n1PM Pacific on March 11th - whitelisted\nnoon Pacific on Friday March 8 - again",
            &defaults("America/Los_Angeles", "2013-03-08"),
            None,
        )
        .unwrap();
        assert_eq!(
            times(&later),
            ["2013-03-08T12:00:00-08:00", "2013-03-11T13:00:00-07:00", "2013-03-08T12:00:00-08:00"]
        );
        assert_eq!(later[1].text, "whitelisted");
        assert!(later[0].at.as_ref().unwrap().approximate);
        assert!(later[1].notes[0].contains("year not written"), "{:?}", later[1].notes);
        // A word that names a region's clocks is text when it reads as text.
        let text = parse("10:00 central database failed over", &defaults("UTC", "2020-01-01"), None).unwrap();
        assert_eq!(
            (times(&text)[0].as_str(), text[0].text.as_str()),
            ("2020-01-01T10:00:00Z", "central database failed over")
        );
        assert!(rows[5].notes[0].contains("Mon 11 Mar 2013"), "{:?}", rows[5].notes);
    }

    #[test]
    fn unreadable_lines_are_kept_and_the_part_not_read_is_named() {
        let rows = parse(
            "sometime later we noticed\n\n23:10 UTC\n25:99 UTC bad clock\n10:00 XYZ odd zone",
            &TimeDefaults::default(),
            None,
        )
        .unwrap();
        assert_eq!(rows.len(), 4, "blank lines are skipped, nothing else");
        assert!(rows[0].error.as_deref().unwrap().contains("`sometime` is not a time"), "{:?}", rows[0]);
        assert_eq!(rows[0].text, "sometime later we noticed");
        assert!(rows[1].error.as_deref().unwrap().contains("nothing after"));
        assert!(rows[2].error.as_deref().unwrap().contains("`25:99` is not a time of day"), "{:?}", rows[2]);
        assert!(rows[3].error.as_deref().unwrap().contains("zone"), "{:?}", rows[3]);
        let no_date = parse("10:00 UTC something", &TimeDefaults::default(), None).unwrap();
        assert!(no_date[0].error.as_deref().unwrap().contains("no date"));
    }

    #[test]
    fn midnight_rolls_the_date_over_and_says_so() {
        let rows = parse("23:50 UTC alert fired\n00:10 UTC rolled back", &defaults("UTC", "2020-01-31"), None).unwrap();
        assert_eq!(times(&rows)[1], "2020-02-01T00:10:00Z");
        assert_eq!(rows[1].kind, EventKind::Mitigation);
        assert!(rows[1].notes[0].contains("Sat 1 Feb 2020"), "{:?}", rows[1].notes);
        assert!(rows[0].notes[0].contains("the report's start"), "{:?}", rows[0].notes);
    }

    #[test]
    fn a_paste_follows_the_rows_already_there() {
        let before = parse("2013-05-20 23:30 PDT primary degraded", &defaults("PDT", "2013-05-20"), None).unwrap();
        let rows = parse("00:15 moved to Tokyo", &defaults("PDT", "2013-05-20"), before[0].at.as_ref()).unwrap();
        assert_eq!(times(&rows)[0], "2013-05-21T00:15:00-07:00");
    }

    #[test]
    fn iso_timestamps_are_read() {
        let iso = parse("2019-07-09T22:50Z capacity fell", &TimeDefaults::default(), None).unwrap();
        assert_eq!(times(&iso)[0], "2019-07-09T22:50:00Z");
    }

    #[test]
    fn hostile_pastes_are_bounded() {
        assert!(parse(&"10:00 UTC x\n".repeat(MAX_LINES + 1), &defaults("UTC", "2020-01-01"), None).is_err());
        let long = format!("10:00 UTC {}", "x".repeat(MAX_LINE_CHARS));
        assert!(parse(&long, &defaults("UTC", "2020-01-01"), None).unwrap()[0].error.is_some());
        assert!(parse("\u{0}\u{feff}10:00", &TimeDefaults::default(), None).unwrap()[0].error.is_some());
        assert!(
            parse("x", &TimeDefaults { zone: Some("Mars/Olympus".into()), ..TimeDefaults::default() }, None).is_err()
        );
    }

    /// Random lines made of time pieces and words: none panics, every line
    /// becomes exactly one row, and a row with a time has no error.
    #[test]
    fn random_pastes_never_panic() {
        const PIECES: &[&str] = &[
            "22:50",
            "UTC",
            "PDT",
            "~",
            "about",
            "1",
            "PM",
            "3:59pm",
            "Mar",
            "9",
            "the",
            "next",
            "morning",
            "Fri",
            "2013-03-08",
            "-",
            ":",
            "deploy",
            "rolled back",
            "é",
            "\u{feff}",
            "25:99",
            "noon",
            "America/Los_Angeles",
        ];
        let mut random = crate::domain::TestRandom::new(0x2545_f491_4f6c_dd1d);
        for _ in 0..500 {
            let lines: Vec<String> = (0..1 + random.below(8))
                .map(|_| {
                    (0..1 + random.below(6)).map(|_| PIECES[random.below(PIECES.len())]).collect::<Vec<_>>().join(" ")
                })
                .collect();
            let rows = parse(&lines.join("\n"), &defaults("America/Los_Angeles", "2013-03-08"), None).unwrap();
            assert_eq!(rows.len(), lines.iter().filter(|l| !l.trim().is_empty()).count());
            assert!(rows.iter().all(|r| r.at.is_some() != r.error.is_some()), "{rows:?}");
        }
    }
}
