//! Times as people write them: `2013-05-20 11:40 PDT`, `22:50 UTC`,
//! `about 09:30`, `~13:15`, `3:59pm`, `1 PM Pacific`, `Fri 8 Mar 2013`,
//! `March 9th`, `early February 2013`, `the next morning`,
//! `2019-07-09T22:50Z`. The form's time fields and the paste-a-timeline
//! reader share this grammar. Whatever the reader fills in that was not
//! written (a date, a year, a zone's daylight saving) comes back as a note
//! for the writer to confirm. `format_written` writes a stored time back in
//! the grammar, so a form shows what it will save.

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::ToSpan;

use super::reported_time::{label_agreeing, parse_calendar, truncate_for_message, Precision, ReportedTime};
use super::zones::{self, offset_label, offset_text, ZoneSpec};

/// What a reader assumes where a written time is silent.
#[derive(Debug, Clone, Default)]
pub struct TimeDefaults {
    /// The report's home zone (`America/Los_Angeles`), or any zone text
    /// (`PDT`, `+02:00`): times written without a zone are read in it.
    pub zone: Option<String>,
    /// The date for times written without one.
    pub date: Option<Date>,
    /// Where that date comes from, for the note: "the first key moment".
    pub date_from: &'static str,
}

impl TimeDefaults {
    /// The default zone, read; an unknown zone is an error for the writer.
    pub fn parsed_zone(&self) -> Result<Option<ZoneSpec>, String> {
        match self.zone.as_deref().map(str::trim).filter(|z| !z.is_empty()) {
            None => Ok(None),
            Some(zone) => zones::parse_zone(zone).map(Some).ok_or_else(|| {
                format!(
                    "`{}` is not a zone such as America/Los_Angeles, UTC, PDT or +02:00",
                    truncate_for_message(zone)
                )
            }),
        }
    }

    /// The home zone abbreviations are read against, when the default
    /// zone names a place.
    pub fn home(&self) -> Option<TimeZone> {
        let zone = self.zone.as_deref()?;
        zones::home_zone_for_label(zone).map(|name| zones::home_zone(&name))
    }
}

/// A time read from text, with what the reader had to assume.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub time: ReportedTime,
    /// Guesses to confirm: a date or year not written, an abbreviation out
    /// of season, a time skipped by daylight saving.
    pub notes: Vec<String>,
}

/// How the date of a time was written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum DateWritten {
    Nothing,
    Full(Date),
    /// `Mar 9`: no year.
    NoYear {
        month: i8,
        day: i8,
    },
    /// `the 6th`: no month or year.
    DayOfMonth(i8),
    /// `Saturday 10:00`.
    Weekday(Weekday),
    /// `the next morning` (1) or `that evening` (0), days after the date
    /// the reader goes by.
    Relative {
        days: i64,
        phrase: &'static str,
    },
    /// `February 2013`, `2013-02`.
    Month(Date),
}

/// What a run of words said, before defaults fill the gaps.
#[derive(Debug, Clone)]
pub(super) struct Reading {
    pub approximate: bool,
    pub date: DateWritten,
    pub clock: Option<Time>,
    pub zone: Option<ZoneSpec>,
    /// How many words the time took.
    pub taken: usize,
}

const APPROXIMATE_WORDS: &[&str] =
    &["about", "around", "approx", "approx.", "approximately", "roughly", "circa", "ca.", "c.", "~", "maybe"];
/// Phrases before a time that make it approximate: "a few minutes past
/// noon", "shortly after 9".
const APPROXIMATE_PHRASES: &[&[&str]] = &[
    &["a", "few", "minutes", "after"],
    &["a", "few", "minutes", "past"],
    &["a", "few", "minutes", "before"],
    &["shortly", "after"],
    &["shortly", "before"],
    &["just", "after"],
    &["just", "before"],
    &["soon", "after"],
    &["some", "time", "around"],
];
const APPROXIMATE_SUFFIXES: &[&[&str]] = &[
    &["approx"],
    &["approx."],
    &["approximately"],
    &["or", "so"],
    &["(approx)"],
    &["(approx.)"],
    &["(approximately)"],
];
const RELATIVE: &[(&[&str], i64, &str, bool)] = &[
    (&["the", "next", "morning"], 1, "the next morning", true),
    (&["next", "morning"], 1, "the next morning", true),
    (&["the", "following", "morning"], 1, "the next morning", true),
    (&["following", "morning"], 1, "the next morning", true),
    (&["the", "next", "day"], 1, "the next day", false),
    (&["next", "day"], 1, "the next day", false),
    (&["the", "following", "day"], 1, "the next day", false),
    (&["the", "day", "after"], 1, "the next day", false),
    (&["later", "that", "day"], 0, "later that day", true),
    (&["that", "evening"], 0, "that evening", true),
    (&["that", "night"], 0, "that night", true),
    (&["that", "morning"], 0, "that morning", true),
];
const MONTHS: [&[&str]; 12] = [
    &["january", "jan"],
    &["february", "feb"],
    &["march", "mar"],
    &["april", "apr"],
    &["may"],
    &["june", "jun"],
    &["july", "jul"],
    &["august", "aug"],
    &["september", "sep", "sept"],
    &["october", "oct"],
    &["november", "nov"],
    &["december", "dec"],
];
const WEEKDAYS: [(Weekday, &str, &str); 7] = [
    (Weekday::Monday, "monday", "mon"),
    (Weekday::Tuesday, "tuesday", "tue"),
    (Weekday::Wednesday, "wednesday", "wed"),
    (Weekday::Thursday, "thursday", "thu"),
    (Weekday::Friday, "friday", "fri"),
    (Weekday::Saturday, "saturday", "sat"),
    (Weekday::Sunday, "sunday", "sun"),
];

/// A word lowercased, without the punctuation that may follow it in a
/// sentence.
fn bare(word: &str) -> String {
    word.trim_end_matches([',', ';', ':']).to_lowercase()
}

/// Words that name a region's clocks but are also ordinary words
/// ("central database"): in a pasted line they count as a zone only when
/// punctuation or the end of the line closes them.
const REGION_WORDS: &[&str] = &["pacific", "mountain", "central", "eastern", "pt", "mt", "ct", "et"];

fn closes_zone(words: &[String], at: usize) -> bool {
    let word = &words[at];
    word.ends_with([',', ':', ')', ';'])
        || words.get(at + 1).is_none_or(|next| matches!(next.as_str(), "-" | "–" | "—" | ":" | "|" | "on"))
        || matches!(read_date(words, at + 1), Ok(Some(_)))
}

fn month_of(word: &str) -> Option<i8> {
    let word = bare(word);
    let word = word.trim_end_matches('.');
    MONTHS.iter().position(|names| names.contains(&word)).and_then(|i| i8::try_from(i + 1).ok())
}

fn weekday_of(word: &str) -> Option<Weekday> {
    let word = bare(word);
    let word = word.trim_end_matches('.');
    WEEKDAYS.iter().find(|(_, long, short)| word == *long || word == *short).map(|(day, ..)| *day)
}

fn weekday_name(day: Weekday) -> &'static str {
    WEEKDAYS.iter().find(|(d, ..)| *d == day).map(|(_, long, _)| *long).unwrap_or_default()
}

/// `9`, `9th`, `1st`, `22nd`, `3rd,`.
fn day_of(word: &str) -> Option<i8> {
    let word = bare(word);
    let digits = word.trim_end_matches("st").trim_end_matches("nd").trim_end_matches("rd").trim_end_matches("th");
    if digits.is_empty() || digits.len() > 2 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|day| (1..=31).contains(day))
}

/// A year written after a day and month. Four digits outside 1900–2199
/// are more likely a 24-hour clock without its colon (`2230`).
fn year_of(word: &str) -> Option<i16> {
    let word = bare(word);
    let word = word.trim_end_matches('.');
    let year: i16 = (word.len() == 4 && word.chars().all(|c| c.is_ascii_digit())).then(|| word.parse().ok())??;
    (1900..2200).contains(&year).then_some(year)
}

/// `11:40`, `23:59:59`; `None` when it is not shaped like a clock, an error
/// when it is shaped like one but is not a time of day (`25:99`).
fn parse_clock_digits(text: &str) -> Option<Result<(i8, i8, i8), String>> {
    // Fractions of a second (`11:40:00.5`) are dropped: times are kept to
    // the second.
    let whole = match text.split_once('.') {
        Some((whole, fraction)) if !fraction.is_empty() && fraction.chars().all(|c| c.is_ascii_digit()) => whole,
        _ => text,
    };
    let parts: Vec<&str> = whole.split(':').collect();
    if !(2..=3).contains(&parts.len())
        || parts.iter().any(|p| p.is_empty() || p.len() > 2 || !p.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let numbers: Vec<i8> = parts.iter().filter_map(|p| p.parse().ok()).collect();
    let (hour, minute, second) = (numbers[0], numbers[1], numbers.get(2).copied().unwrap_or(0));
    if parts[1].len() != 2 || hour > 23 || minute > 59 || second > 59 {
        return Some(Err(format!("`{text}` is not a time of day")));
    }
    Some(Ok((hour, minute, second)))
}

/// `am`/`pm` at the end of a word or as the next word, with their dotted
/// spellings.
fn meridiem(text: &str) -> Option<(bool, &str)> {
    for (suffix, pm) in [("a.m.", false), ("p.m.", true), ("a.m", false), ("p.m", true), ("am", false), ("pm", true)] {
        if let Some(rest) = text.strip_suffix(suffix) {
            return Some((pm, rest));
        }
    }
    None
}

fn twelve_hour(hour: i8, pm: bool, written: &str) -> Result<i8, String> {
    if !(1..=12).contains(&hour) {
        return Err(format!("`{written}` is not a time of day: a 12-hour clock runs from 1 to 12"));
    }
    Ok(match (hour, pm) {
        (12, false) => 0,
        (12, true) => 12,
        (hour, true) => hour + 12,
        (hour, false) => hour,
    })
}

/// A clock at `words[at]`: `11:40`, `3:59pm`, `3:59 PM`, `1 p.m.`, `noon`.
/// Returns the time and how many words it took.
fn read_clock(words: &[String], at: usize) -> Result<Option<(Time, usize)>, String> {
    let Some(word) = words.get(at) else { return Ok(None) };
    let text = bare(word);
    let make = |h: i8, m: i8, s: i8| Time::new(h, m, s, 0).map_err(|e| e.to_string());
    match text.trim_end_matches('.') {
        "noon" | "midday" => return Ok(Some((make(12, 0, 0)?, 1))),
        "midnight" => return Ok(Some((make(0, 0, 0)?, 1))),
        "12" if words.get(at + 1).is_some_and(|next| matches!(bare(next).trim_end_matches('.'), "noon" | "midday")) => {
            return Ok(Some((make(12, 0, 0)?, 2)))
        }
        "12" if words.get(at + 1).is_some_and(|next| bare(next).trim_end_matches('.') == "midnight") => {
            return Ok(Some((make(0, 0, 0)?, 2)))
        }
        // `2230 UTC`: a 24-hour clock without its colon, before a zone.
        hhmm if hhmm.len() == 4 && hhmm.chars().all(|c| c.is_ascii_digit()) => {
            let rest: Vec<&str> = words[at + 1..].iter().map(String::as_str).collect();
            let (hour, minute) = (hhmm[..2].parse().unwrap_or(99), hhmm[2..].parse().unwrap_or(99));
            if hour < 24 && minute < 60 && zones::read_zone(&rest).is_some() {
                return Ok(Some((make(hour, minute, 0)?, 1)));
            }
            return Ok(None);
        }
        _ => {}
    }
    let next = words.get(at + 1).map(|w| bare(w));
    let separate = next.as_deref().and_then(meridiem).filter(|(_, rest)| rest.is_empty()).map(|(pm, _)| pm);
    let (attached, digits) = match meridiem(&text) {
        Some((pm, rest)) if !rest.is_empty() => (Some(pm), rest.to_string()),
        _ => (None, text.clone()),
    };
    let pm = attached.or(separate);
    let taken = if attached.is_none() && separate.is_some() { 2 } else { 1 };
    if let Some(clock) = parse_clock_digits(&digits) {
        let (hour, minute, second) = clock?;
        let hour = match pm {
            Some(pm) => twelve_hour(hour, pm, &text)?,
            None => hour,
        };
        return Ok(Some((make(hour, minute, second)?, if pm.is_some() { taken } else { 1 })));
    }
    // `1pm`, `1 PM`: an hour alone needs its am or pm.
    if let (Some(pm), true) =
        (pm, !digits.is_empty() && digits.len() <= 2 && digits.chars().all(|c| c.is_ascii_digit()))
    {
        let hour: i8 = digits.parse().map_err(|_| format!("`{text}` is not a time of day"))?;
        return Ok(Some((make(twelve_hour(hour, pm, &text)?, 0, 0)?, taken)));
    }
    Ok(None)
}

/// A date at `words[at]`, in any of the written forms, and the words taken.
fn read_date(words: &[String], at: usize) -> Result<Option<(DateWritten, usize)>, String> {
    let Some(word) = words.get(at) else { return Ok(None) };
    let text = bare(word);
    let iso = text.trim_end_matches('.');
    if iso.len() >= 7 && iso.as_bytes()[4] == b'-' && iso[..4].chars().all(|c| c.is_ascii_digit()) {
        return match parse_calendar(iso) {
            Some((date, Precision::Month)) => Ok(Some((DateWritten::Month(date), 1))),
            Some((date, _)) => Ok(Some((DateWritten::Full(date), 1))),
            None if iso.len() <= 10 && iso.chars().all(|c| c.is_ascii_digit() || c == '-') => {
                Err(format!("`{iso}` is not a date"))
            }
            None => Ok(None),
        };
    }
    // `the 6th`
    if text == "the" {
        if let Some(day) = words.get(at + 1).and_then(|w| day_of(w)).filter(|_| {
            let w = bare(&words[at + 1]);
            w.ends_with("st") || w.ends_with("nd") || w.ends_with("rd") || w.ends_with("th")
        }) {
            return Ok(Some(with_year(words, at + 2, DateWritten::DayOfMonth(day), 2)));
        }
        return Ok(None);
    }
    // `early February 2013`, `February 2013`
    let shade = matches!(text.as_str(), "early" | "mid" | "mid-" | "late");
    let month_at = if shade { at + 1 } else { at };
    if let Some(month) = words.get(month_at).and_then(|w| month_of(w)) {
        if let Some(year) = words.get(month_at + 1).and_then(|w| year_of(w)) {
            let date = Date::new(year, month, 1).map_err(|e| e.to_string())?;
            return Ok(Some((DateWritten::Month(date), month_at + 2 - at)));
        }
        if shade {
            return Ok(None);
        }
        // `March 9`, `Mar 9th, 2013`
        if let Some(day) = words.get(at + 1).and_then(|w| day_of(w)) {
            return Ok(Some(with_year(words, at + 2, DateWritten::NoYear { month, day }, 2)));
        }
        return Ok(None);
    }
    // `9 March`, `9th March 2013`
    if let (Some(day), Some(month)) = (day_of(&text), words.get(at + 1).and_then(|w| month_of(w))) {
        return Ok(Some(with_year(words, at + 2, DateWritten::NoYear { month, day }, 2)));
    }
    Ok(None)
}

/// Completes a date written without a year when a year follows.
fn with_year(words: &[String], at: usize, date: DateWritten, taken: usize) -> (DateWritten, usize) {
    let year = words.get(at).and_then(|w| year_of(w));
    match (date, year) {
        (DateWritten::NoYear { month, day }, Some(year)) => match Date::new(year, month, day) {
            Ok(full) => (DateWritten::Full(full), taken + 1),
            Err(_) => (date, taken),
        },
        _ => (date, taken),
    }
}

fn matches_phrase(words: &[String], at: usize, phrase: &[&str]) -> bool {
    phrase.iter().enumerate().all(|(i, expected)| words.get(at + i).is_some_and(|w| bare(w) == *expected))
}

/// Splits text into words, with a leading `~` a word of its own.
pub(super) fn words_of(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for word in text.split_whitespace() {
        match word.strip_prefix('~') {
            Some(rest) if !rest.is_empty() => {
                words.push("~".to_string());
                words.push(rest.to_string());
            }
            _ => words.push(word.to_string()),
        }
    }
    words
}

/// Reads a time from the start of `words`. `whole` means the words are a
/// form field, so everything must be read and a name may follow an offset
/// (`+01:00 Europe/Berlin`); otherwise the rest is a pasted line's text.
pub(super) fn read(words: &[String], whole: bool) -> Result<Reading, String> {
    let mut at = 0;
    let mut approximate = false;
    loop {
        if words.get(at).is_some_and(|w| APPROXIMATE_WORDS.contains(&bare(w).as_str())) {
            at += 1;
        } else if let Some(phrase) = APPROXIMATE_PHRASES.iter().find(|phrase| matches_phrase(words, at, phrase)) {
            at += phrase.len();
        } else {
            break;
        }
        approximate = true;
    }
    let mut date = DateWritten::Nothing;
    let mut clock = None;
    let mut zone = None;

    if let Some((phrase_words, days, phrase, rough)) = RELATIVE.iter().find(|(p, ..)| matches_phrase(words, at, p)) {
        date = DateWritten::Relative { days: *days, phrase };
        approximate |= *rough;
        at += phrase_words.len();
    } else {
        // A weekday counts only before a date or a clock.
        let weekday = words.get(at).and_then(|w| weekday_of(w));
        let after_weekday = at + usize::from(weekday.is_some());
        let iso_joined = words.get(after_weekday).and_then(|w| split_iso(w));
        if let Some((day, rest)) = iso_joined {
            date = DateWritten::Full(day);
            let (time, zulu_or_offset) = rest;
            clock = Some(time);
            zone = zulu_or_offset;
            at = after_weekday + 1;
        } else if let Some((written, taken)) = read_date(words, after_weekday)? {
            let shaded =
                words.get(after_weekday).is_some_and(|w| matches!(bare(w).as_str(), "early" | "mid" | "mid-" | "late"));
            approximate |= shaded && matches!(written, DateWritten::Month(_));
            date = written;
            at = after_weekday + taken;
        } else if let Some(weekday) = weekday.filter(|_| matches!(read_clock(words, after_weekday), Ok(Some(_)))) {
            date = DateWritten::Weekday(weekday);
            at = after_weekday;
        }
        if let (Some(weekday), DateWritten::Full(day)) = (weekday, date) {
            if day.weekday() != weekday {
                return Err(format!(
                    "{} was a {}, not a {}",
                    day.strftime("%-d %b %Y"),
                    weekday_name(day.weekday()).to_string().to_title(),
                    weekday_name(weekday).to_string().to_title()
                ));
            }
        }
    }
    if clock.is_none() && !matches!(date, DateWritten::Month(_)) {
        // "at 11:40" after a date.
        let skip = usize::from(date != DateWritten::Nothing && words.get(at).is_some_and(|w| bare(w) == "at"));
        if let Some((time, taken)) = read_clock(words, at + skip)? {
            clock = Some(time);
            at += skip + taken;
        }
    }
    if (clock.is_some() || !matches!(date, DateWritten::Nothing | DateWritten::Relative { .. })) && zone.is_none() {
        let rest: Vec<&str> = words[at..].iter().map(String::as_str).collect();
        if let Some((spec, taken)) = zones::read_zone(&rest) {
            let ordinary_word = taken == 1
                && REGION_WORDS.contains(&bare(&words[at]).trim_start_matches('(').trim_end_matches(')'))
                && !whole
                && !closes_zone(words, at);
            if !ordinary_word {
                zone = Some(spec);
                at += taken;
            }
        }
    }
    // A name after an offset, in a form field: `+01:00 Europe/Berlin`. A
    // name holds no date, clock or second offset.
    if let (true, Some(ZoneSpec::Fixed { offset, name: None })) = (whole, &zone) {
        let rest = words[at..].join(" ");
        let (suffix_words, _) = approximate_suffix(words, at);
        let timelike = (at..words.len()).any(|i| {
            looks_like_date(words, i)
                || !matches!(read_clock(words, i), Ok(None))
                || zones::parse_offset(words[i].trim_matches(['(', ')', ','])).is_some()
        });
        if !rest.is_empty() && suffix_words == 0 && !timelike {
            zone = Some(ZoneSpec::Fixed { offset: *offset, name: Some(rest) });
            at = words.len();
        }
    }
    // "11:40 PDT on 20 May 2013"
    if date == DateWritten::Nothing && clock.is_some() {
        let skip = usize::from(words.get(at).is_some_and(|w| matches!(bare(w).as_str(), "on" | "")));
        let weekday = usize::from(words.get(at + skip).and_then(|w| weekday_of(w)).is_some());
        if let Some((written, taken)) = read_date(words, at + skip + weekday)? {
            date = written;
            at += skip + weekday + taken;
        }
    }
    let (suffix, found) = approximate_suffix(words, at);
    approximate |= found;
    at += suffix;

    if date == DateWritten::Nothing && clock.is_none() {
        // Name the word the reading stopped at, past "about" and the like.
        let stopped = words.get(at).or(words.first()).map(String::as_str).unwrap_or_default();
        return Err(format!("`{}` is not a time", truncate_for_message(stopped)));
    }
    if whole && at < words.len() {
        return Err(format!("`{}` is not part of a time", truncate_for_message(&words[at..].join(" "))));
    }
    Ok(Reading { approximate, date, clock, zone, taken: at })
}

fn looks_like_date(words: &[String], at: usize) -> bool {
    let weekday = usize::from(words.get(at).and_then(|w| weekday_of(w)).is_some());
    let skip = usize::from(words.get(at).is_some_and(|w| bare(w) == "on"));
    matches!(read_date(words, at + skip + weekday), Ok(Some(_)) | Err(_))
}

fn approximate_suffix(words: &[String], at: usize) -> (usize, bool) {
    for suffix in APPROXIMATE_SUFFIXES {
        if matches_phrase(words, at, suffix) {
            return (suffix.len(), true);
        }
    }
    (0, false)
}

/// `2019-07-09T22:50Z`, `2013-05-20T11:40:00-07:00`: a date and a clock
/// joined by `T`, with an optional zone.
fn split_iso(word: &str) -> Option<(Date, (Time, Option<ZoneSpec>))> {
    let word = word.trim_end_matches([',', ';']);
    let (day, rest) = word.split_once(['T', 't'])?;
    let (date, _) = parse_calendar(day).filter(|(_, p)| *p == Precision::Day)?;
    let (clock, zone) = if let Some(clock) = rest.strip_suffix(['Z', 'z']) {
        (clock, zones::parse_zone("UTC"))
    } else if let Some(split) = rest.rfind(['+', '-']) {
        (&rest[..split], Some(ZoneSpec::Fixed { offset: zones::parse_offset(&rest[split..])?, name: None }))
    } else {
        (rest, None)
    };
    let (hour, minute, second) = parse_clock_digits(clock)?.ok()?;
    Some((date, (Time::new(hour, minute, second, 0).ok()?, zone)))
}

trait TitleCase {
    fn to_title(&self) -> String;
}

impl TitleCase for String {
    fn to_title(&self) -> String {
        let mut chars = self.chars();
        chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
    }
}

/// "Fri 8 Mar 2013".
pub fn day_text(date: Date) -> String {
    date.strftime("%a %-d %b %Y").to_string()
}

/// Fills the gaps of a reading from `base` (the date it goes by) and turns
/// it into a time, noting every date it had to infer.
pub(super) fn complete(
    reading: &Reading,
    precision: Option<Precision>,
    defaults: &TimeDefaults,
) -> Result<Written, String> {
    let mut notes = Vec::new();
    // A clock without a zone needs the default one, before anything else;
    // a date without a clock is the day in the report's zone, or in UTC
    // when there is none.
    let spec = match (&reading.zone, reading.clock) {
        (Some(zone), _) => zone.clone(),
        (None, Some(_)) => defaults
            .parsed_zone()?
            .ok_or_else(|| "no time zone: add one such as UTC or PDT, or choose the report's zone".to_string())?,
        (None, None) => defaults
            .parsed_zone()?
            .unwrap_or(ZoneSpec::Fixed { offset: jiff::tz::Offset::UTC, name: Some("UTC".into()) }),
    };
    let base = defaults.date;
    let from = if defaults.date_from.is_empty() { "the report's date" } else { defaults.date_from };
    let need_base = |what: &str| {
        base.ok_or_else(|| format!("no date: write the {what} (like 2013-05-20 11:40 PDT), or give the report a start"))
    };
    let (date, implied) = match reading.date {
        DateWritten::Full(date) => (date, Precision::Day),
        DateWritten::Month(date) => (date, Precision::Month),
        DateWritten::Nothing => {
            let date = need_base("date")?;
            notes.push(format!("date not written: read as {}, the date of {from}", day_text(date)));
            (date, Precision::Day)
        }
        DateWritten::NoYear { month, day } => {
            let candidates = |base: Date| {
                [base.year() - 1, base.year(), base.year() + 1]
                    .into_iter()
                    .filter_map(move |year| Date::new(year, month, day).ok())
            };
            let date = match base {
                // The year that puts the date nearest the date it goes by:
                // `Dec 31` after 1 Jan 2014 is 31 Dec 2013.
                Some(base) => {
                    let distance =
                        |date: &Date| date.since(base).map_or(i64::MAX, |span| i64::from(span.get_days()).abs());
                    candidates(base).min_by_key(distance)
                }
                // Nothing to go by: an incident is in the past, so the last
                // such day up to today.
                None => {
                    let today = jiff::tz::TimeZone::UTC.to_datetime(jiff::Timestamp::now()).date();
                    candidates(today).filter(|date| *date <= today).max()
                }
            }
            .ok_or_else(|| format!("{month}/{day} is not a date"))?;
            notes.push(format!("year not written: read as {}", day_text(date)));
            (date, Precision::Day)
        }
        DateWritten::DayOfMonth(day) => {
            let base = need_base("month")?;
            let mut date = Date::new(base.year(), base.month(), day).map_err(|e| e.to_string())?;
            if date < base.checked_sub(15.days()).unwrap_or(base) {
                date = date.checked_add(1.month()).map_err(|e| e.to_string())?;
            }
            notes.push(format!("month not written: read as {}", day_text(date)));
            (date, Precision::Day)
        }
        DateWritten::Weekday(weekday) => {
            let base = need_base("date")?;
            let date = (0..7)
                .filter_map(|days| base.checked_add(days.days()).ok())
                .find(|d| d.weekday() == weekday)
                .unwrap_or(base);
            notes.push(format!("read {} as {}, on or after {from}", weekday_name(weekday), day_text(date)));
            (date, Precision::Day)
        }
        DateWritten::Relative { days, phrase } => {
            let base = need_base("date")?;
            let date = base.checked_add(days.days()).map_err(|e| e.to_string())?;
            notes.push(format!("read “{phrase}” as {}, from {from}", day_text(date)));
            (date, Precision::Day)
        }
    };
    let clock = reading.clock;
    let precision = precision.unwrap_or(if clock.is_some() { Precision::Minute } else { implied });
    let civil = DateTime::from_parts(date, clock.unwrap_or(Time::midnight()));
    let home = defaults.home();
    // A zone named after an offset (`-08:00 PST`, `+01:00 Europe/Berlin`)
    // must agree with it.
    let spec = match spec {
        ZoneSpec::Fixed { offset, name: Some(name) } => match zones::parse_zone(&name) {
            Some(named) => {
                ZoneSpec::Fixed { offset, name: Some(label_agreeing(&named, offset, civil, home.as_ref())?) }
            }
            None => ZoneSpec::Fixed { offset, name: Some(name) },
        },
        spec => spec,
    };
    let resolved = spec.resolve(civil, home.as_ref());
    notes.extend(resolved.note);
    let at = resolved.offset.to_timestamp(resolved.civil).map_err(|_| "that time is out of range".to_string())?;
    Ok(Written {
        time: ReportedTime {
            at,
            offset: resolved.offset,
            zone: resolved.label,
            precision,
            approximate: reading.approximate,
        },
        notes,
    })
}

/// Reads a whole form field. `precision` is the writer's choice, if any;
/// otherwise a date alone means `day`, a month `month`, a clock `minute`.
pub fn parse_written(text: &str, precision: Option<Precision>, defaults: &TimeDefaults) -> Result<Written, String> {
    let text = text.trim();
    let example = "write it like 2013-05-20 11:40 PDT, about 09:30, or a date alone such as 2013-05-20";
    if text.chars().count() > 100 {
        return Err(format!("too long for a time: {example}"));
    }
    let words = words_of(text);
    let reading = read(&words, true).map_err(|reason| format!("{reason}: {example}"))?;
    complete(&reading, precision, defaults)
}

/// A stored time as `parse_written` reads it back to the same value, given
/// the report's `home` zone: the shortest of `2013-03-11` (a date in the
/// home zone), `2013-04-06 UTC`, `2013-03-11 13:00` (in the home zone),
/// `2013-05-20 11:40 PDT`, `about 2023-01-25 09:30 UTC`, or with the offset
/// written out (`2013-11-03 01:30 -08:00 America/Los_Angeles`). Each
/// candidate is read back, so what the form shows is what it saves.
pub fn format_written(time: &ReportedTime, home: Option<&str>) -> String {
    let about = if time.approximate { "about " } else { "" };
    let local = time.local();
    let date = if time.precision == Precision::Month && local.day() == 1 {
        local.strftime("%Y-%m").to_string()
    } else {
        local.strftime("%Y-%m-%d").to_string()
    };
    let clock = if local.second() == 0 { local.strftime("%H:%M") } else { local.strftime("%H:%M:%S") };
    let single_word_zone = !time.zone.contains(char::is_whitespace);
    let name = time.zone.split_whitespace().collect::<Vec<_>>().join(" ");
    let numeric = if name.is_empty() || name == offset_label(time.offset) {
        format!("{about}{} {clock} {}", local.strftime("%Y-%m-%d"), offset_text(time.offset))
    } else {
        format!("{about}{} {clock} {} {name}", local.strftime("%Y-%m-%d"), offset_text(time.offset))
    };
    let mut candidates = Vec::new();
    if local.time() == Time::midnight() && matches!(time.precision, Precision::Day | Precision::Month) {
        candidates.push(format!("{about}{date}"));
        if single_word_zone {
            candidates.push(format!("{about}{date} {}", time.zone));
        }
    }
    candidates.push(format!("{about}{} {clock}", local.strftime("%Y-%m-%d")));
    if single_word_zone {
        candidates.push(format!("{about}{} {clock} {}", local.strftime("%Y-%m-%d"), time.zone));
    }
    let defaults = TimeDefaults { zone: home.map(str::to_string), ..TimeDefaults::default() };
    candidates
        .into_iter()
        .find(|text| {
            parse_written(text, Some(time.precision), &defaults)
                .is_ok_and(|written| written.notes.is_empty() && written.time == *time)
        })
        .unwrap_or(numeric)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ReportedTimeInput;

    fn defaults(zone: &str, date: &str) -> TimeDefaults {
        TimeDefaults {
            zone: Some(zone.into()),
            date: parse_calendar(date).map(|(d, _)| d),
            date_from: "the first key moment",
        }
    }

    fn pacific() -> TimeDefaults {
        defaults("America/Los_Angeles", "2013-03-08")
    }

    fn read(text: &str, defaults: &TimeDefaults) -> Written {
        parse_written(text, None, defaults).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn the_shapes_writers_use_are_read() {
        let pdt = defaults("PDT", "2013-05-20");
        assert_eq!(read("2013-05-20 11:40 PDT", &pdt).time.at_rfc3339(), "2013-05-20T11:40:00-07:00");
        assert_eq!(read("11:40", &pdt).time.at_rfc3339(), "2013-05-20T11:40:00-07:00", "zone and date from the report");
        assert_eq!(read("22:50 UTC", &pdt).time.zone, "UTC");
        assert_eq!(read("2019-07-09T22:50Z", &pdt).time.at_rfc3339(), "2019-07-09T22:50:00Z");
        assert_eq!(read("2013-05-20T11:40:00-07:00", &pdt).time.zone, "UTC-07:00");
        let day = read("2013-04-06", &pdt).time;
        assert_eq!((day.precision, day.at_rfc3339()), (Precision::Day, "2013-04-06T00:00:00-07:00".to_string()));
        let utc_day = read("2013-04-06 UTC", &pdt).time;
        assert_eq!((utc_day.zone.as_str(), utc_day.at_rfc3339()), ("UTC", "2013-04-06T00:00:00Z".to_string()));
        let named = read("2020-03-01 10:00 +01:00 Europe/Berlin", &pdt).time;
        assert_eq!((named.zone.as_str(), named.offset_seconds()), ("Europe/Berlin", 3600));
        assert_eq!(
            parse_written("2013-04-06 07:49 UTC", Some(Precision::Hour), &pdt).unwrap().time.precision,
            Precision::Hour
        );
    }

    #[test]
    fn twelve_hour_clocks_and_approximations_are_read() {
        let home = pacific();
        let at = |text: &str| read(text, &home).time.local().strftime("%Y-%m-%d %H:%M").to_string();
        assert_eq!(at("1 PM"), "2013-03-08 13:00");
        assert_eq!(at("3:59pm"), "2013-03-08 15:59");
        assert_eq!(at("1 p.m."), "2013-03-08 13:00");
        assert_eq!(at("12:30 AM"), "2013-03-08 00:30");
        assert_eq!(at("noon"), "2013-03-08 12:00");
        for text in ["~13:15", "about 13:15", "around 13:15", "13:15 approx", "approximately 13:15"] {
            let time = read(text, &home).time;
            assert!(time.approximate, "{text}");
            assert_eq!(time.local().strftime("%H:%M").to_string(), "13:15", "{text}");
        }
        assert!(!read("13:15", &home).time.approximate);
        for text in ["a few minutes past noon Pacific", "shortly after noon", "a few minutes after 12 PM"] {
            let time = read(text, &home).time;
            assert!(time.approximate, "{text}");
            assert_eq!(time.at_rfc3339(), "2013-03-08T12:00:00-08:00", "{text}");
        }
        assert!(parse_written("13 PM", None, &home).unwrap_err().contains("12-hour"));
        assert_eq!(at("12 noon"), "2013-03-08 12:00");
        assert_eq!(read("2013-05-20T11:40:00.5Z", &home).time.at_rfc3339(), "2013-05-20T11:40:00Z");
    }

    #[test]
    fn month_names_ordinals_and_weekdays_are_read() {
        let home = pacific();
        let date = |text: &str| read(text, &home).time.local().strftime("%Y-%m-%d").to_string();
        assert_eq!(date("Mar 9"), "2013-03-09");
        assert_eq!(date("9 March"), "2013-03-09");
        assert_eq!(date("March 9th"), "2013-03-09");
        assert_eq!(date("March 9th, 2014"), "2014-03-09");
        assert_eq!(date("Fri 8 Mar 2013"), "2013-03-08");
        assert_eq!(date("Saturday 10:00"), "2013-03-09");
        assert_eq!(date("the 11th"), "2013-03-11");
        assert_eq!(date("1 PM Pacific on 11 March 2013"), "2013-03-11");
        assert!(parse_written("Sat 8 Mar 2013", None, &home).unwrap_err().contains("was a Friday"));
        let month = read("early February 2013", &home).time;
        assert_eq!((month.precision, month.approximate), (Precision::Month, true));
        assert_eq!(month.at_rfc3339(), "2013-02-01T00:00:00-08:00", "the month in the report's zone");
        let next = read("the next morning", &home);
        assert_eq!((next.time.precision, next.time.approximate), (Precision::Day, true));
        assert!(next.notes[0].contains("Sat 9 Mar 2013"), "{:?}", next.notes);
    }

    #[test]
    fn inferred_dates_and_guessed_zones_are_noted() {
        let home = pacific();
        let no_date = read("12:30", &home);
        assert_eq!(no_date.notes, ["date not written: read as Fri 8 Mar 2013, the date of the first key moment"]);
        assert!(read("Mar 9", &home).notes[0].contains("year not written"));
        let new_year = defaults("UTC", "2014-01-01");
        assert_eq!(read("Dec 31 23:50", &new_year).time.at_rfc3339(), "2013-12-31T23:50:00Z", "the nearest year");
        let summer_pst = read("2013-03-11 13:00 PST", &home);
        assert_eq!(summer_pst.time.at_rfc3339(), "2013-03-11T13:00:00-07:00");
        assert_eq!(summer_pst.time.zone, "PDT");
        assert!(summer_pst.notes[0].contains("read as PDT"));
        assert!(read("2013-03-08 12:30", &home).notes.is_empty());
        assert!(read("2013-03-08 12:30 America/Los_Angeles", &home).notes.is_empty());
    }

    #[test]
    fn a_time_skipped_by_daylight_saving_reads_as_the_clocks_showed_it() {
        let skipped = read("2013-03-10 02:30", &pacific());
        assert_eq!(skipped.time.at_rfc3339(), "2013-03-10T03:30:00-07:00");
        assert!(skipped.notes[0].contains("did not happen"), "{:?}", skipped.notes);
        assert_eq!(format_written(&skipped.time, Some("America/Los_Angeles")), "2013-03-10 03:30");
    }

    #[test]
    fn times_in_the_home_zone_follow_daylight_saving() {
        let home = pacific();
        let before = read("2013-03-08 12:30", &home).time;
        let after = read("2013-03-11 13:00", &home).time;
        assert_eq!(before.at_rfc3339(), "2013-03-08T12:30:00-08:00");
        assert_eq!(after.at_rfc3339(), "2013-03-11T13:00:00-07:00");
        assert_eq!(after.zone, "America/Los_Angeles");
    }

    #[test]
    fn unreadable_times_say_what_is_expected() {
        let home = defaults("PDT", "2013-05-20");
        for text in ["yesterday", "25:00 UTC", "10:00 UTC and more", "10:00 Mars", "2013-13-01"] {
            let error = parse_written(text, None, &home).unwrap_err();
            assert!(error.contains("2013-05-20 11:40 PDT"), "{text}: {error}");
        }
        assert!(parse_written("25:00 UTC", None, &home).unwrap_err().contains("`25:00` is not a time of day"));
        assert!(parse_written("10:00 UTC and more", None, &home).unwrap_err().contains("`and more`"));
        assert!(parse_written("about yesterday", None, &home).unwrap_err().contains("`yesterday` is not a time"));
        let contradiction = parse_written("2013-05-20 11:40 -07:00 CST", None, &home).unwrap_err();
        assert!(contradiction.contains("the zone says -06:00 but the offset is -07:00"), "{contradiction}");
        assert!(parse_written("10:00", None, &TimeDefaults::default()).unwrap_err().contains("zone"));
        assert!(parse_written("10:00 UTC", None, &TimeDefaults::default()).unwrap_err().contains("date"));
        // With nothing to go by, a day without its year is the last one up
        // to today, and said.
        let undated = TimeDefaults { zone: Some("UTC".into()), ..TimeDefaults::default() };
        let last = parse_written("Mar 8 12:05", None, &undated).unwrap();
        assert!(last.time.local().date() <= jiff::tz::TimeZone::UTC.to_datetime(jiff::Timestamp::now()).date());
        assert!(last.notes[0].contains("year not written"), "{:?}", last.notes);
        assert!(parse_written(&"1".repeat(10_000), None, &home).is_err());
    }

    fn stored(at: &str, zone: &str, precision: &str, approximate: bool) -> ReportedTime {
        let input = ReportedTimeInput {
            at: Some(at.into()),
            zone: Some(zone.into()),
            precision: Some(precision.into()),
            approximate,
        };
        ReportedTime::parse(&input, None).unwrap()
    }

    #[test]
    fn written_times_read_back_to_the_same_value() {
        let none = TimeDefaults::default();
        let times = [
            stored("2013-05-20T11:40:00-07:00", "PDT", "hour", false),
            stored("2023-01-25T09:30:00Z", "UTC", "minute", true),
            stored("2013-03-11T13:00:00-08:00", "PST", "minute", false),
            stored("2013-11-03T01:30:00-08:00", "America/Los_Angeles", "minute", false),
            stored("2013-03-08T12:00:00-08:00", "Pacific time, roughly", "day", false),
            stored("2013-02", "UTC", "month", true),
            read("2013-03-08 23:59:17 UTC", &none).time,
            read("2013-04-06", &none).time,
            read("2020-03-01 10:00 +01:00 Europe/Berlin", &none).time,
            read("2020-03-01 10:00 +05:30", &none).time,
        ];
        for home in [None, Some("America/Los_Angeles"), Some("UTC")] {
            let defaults = TimeDefaults { zone: home.map(str::to_string), ..TimeDefaults::default() };
            for time in &times {
                let written = format_written(time, home);
                let back = parse_written(&written, Some(time.precision), &defaults).map(|w| w.time);
                assert_eq!(back.as_ref(), Ok(time), "{written} (home {home:?})");
            }
        }
        let la = read("2013-03-11 13:00", &pacific()).time;
        assert_eq!(format_written(&la, Some("America/Los_Angeles")), "2013-03-11 13:00");
        assert_eq!(format_written(&la, Some("UTC")), "2013-03-11 13:00 America/Los_Angeles");
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
            "2013-02",
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
            "PST",
            "pdt",
            "CST",
            "+05:30",
            "-0800",
            "UTC+2",
            "GMT-14",
            "+14:59",
            "−07:00",
            "Europe/Berlin",
            "America/Los_Angeles",
            "Pacific",
            "time",
            ":",
            "-",
            "é",
            "\u{0}",
            "\u{feff}",
            "2013-05-20T11:40:00-07:00",
            "about",
            "~",
            "1",
            "pm",
            "p.m.",
            "3:59pm",
            "noon",
            "March",
            "9th",
            "Fri",
            "the",
            "next",
            "morning",
            "early",
            "2013",
            "on",
            "approx",
            "12",
        ];
        let mut random = crate::domain::TestRandom::new(0x9e37_79b9_7f4a_7c15);
        let home = defaults("America/Los_Angeles", "2013-03-08");
        let mut read = 0;
        for _ in 0..30_000 {
            let count = 1 + random.below(6);
            let text: String = (0..count)
                .map(|_| PIECES[random.below(PIECES.len())])
                .collect::<Vec<_>>()
                .join(if random.below(3) == 0 { "" } else { " " });
            let precision = Precision::ALL.get(random.below(6)).copied();
            if let Ok(written) = parse_written(&text, precision, &home) {
                let time = written.time;
                // An abbreviation kept as the label means the offset kept:
                // literally, or as the clocks it names read that day.
                if let Some(label @ ZoneSpec::Abbreviation(abbreviation)) = zones::parse_zone(&time.zone) {
                    let literal = abbreviation.offset_minutes * 60;
                    let resolved = label.resolve(time.local(), home.home().as_ref());
                    assert!(
                        time.offset.seconds() == literal || resolved.offset == time.offset,
                        "{text:?} was stored as {time:?}"
                    );
                }
                let again = format_written(&time, home.zone.as_deref());
                let back = parse_written(&again, Some(time.precision), &TimeDefaults { date: None, ..home.clone() });
                assert_eq!(back.map(|w| w.time).as_ref(), Ok(&time), "{text:?} was written as {again:?}");
                read += 1;
            }
        }
        assert!(read > 1_000, "only {read} random texts read as times: the test would prove little");
    }
}
