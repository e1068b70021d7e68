//! Time zones as reports name them: IANA names (`America/Los_Angeles`),
//! abbreviations (`PDT`, `CST`), words (`Pacific`, `Eastern time`) and
//! offsets (`+02:00`, `UTC-7`). An abbreviation only has a meaning on a
//! date and for a place, so it is resolved against both, and every guess
//! made on the way is returned for the writer to confirm. The zone rules
//! come from the IANA database bundled in the binary, never from the host.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};
use jiff::Timestamp;

/// An abbreviation real reports use: its offset, the zone whose clocks it
/// names (to tell whether it was in force on a date), and what else it may
/// mean.
#[derive(Debug)]
pub struct Abbreviation {
    pub name: &'static str,
    pub offset_minutes: i32,
    /// The IANA zone that uses this abbreviation; `None` for UTC and GMT,
    /// which mean the same offset all year.
    pub zone: Option<&'static str>,
    /// A reader's name for that zone's clocks: "Pacific time".
    pub clocks: &'static str,
    /// Other common meanings, for abbreviations that have them.
    pub also: Option<&'static str>,
}

const fn abbr(
    name: &'static str,
    offset_minutes: i32,
    zone: Option<&'static str>,
    clocks: &'static str,
    also: Option<&'static str>,
) -> Abbreviation {
    Abbreviation { name, offset_minutes, zone, clocks, also }
}

const ABBREVIATIONS: &[Abbreviation] = &[
    abbr("UTC", 0, None, "UTC", None),
    abbr("GMT", 0, None, "GMT", None),
    abbr("Z", 0, None, "UTC", None),
    abbr("PST", -480, Some("America/Los_Angeles"), "Pacific time", None),
    abbr("PDT", -420, Some("America/Los_Angeles"), "Pacific time", None),
    abbr("MST", -420, Some("America/Denver"), "Mountain time", Some("Arizona's all-year Mountain Standard Time")),
    abbr("MDT", -360, Some("America/Denver"), "Mountain time", None),
    abbr("CST", -360, Some("America/Chicago"), "US Central time", Some("China Standard Time (UTC+08:00)")),
    abbr("CDT", -300, Some("America/Chicago"), "US Central time", None),
    abbr("EST", -300, Some("America/New_York"), "US Eastern time", None),
    abbr("EDT", -240, Some("America/New_York"), "US Eastern time", None),
    abbr("AKST", -540, Some("America/Anchorage"), "Alaska time", None),
    abbr("AKDT", -480, Some("America/Anchorage"), "Alaska time", None),
    abbr("HST", -600, Some("Pacific/Honolulu"), "Hawaii time", None),
    abbr("BST", 60, Some("Europe/London"), "UK time", Some("Bangladesh Standard Time (UTC+06:00)")),
    abbr("WET", 0, Some("Europe/Lisbon"), "Western European time", None),
    abbr("WEST", 60, Some("Europe/Lisbon"), "Western European time", None),
    abbr("CET", 60, Some("Europe/Paris"), "Central European time", None),
    abbr("CEST", 120, Some("Europe/Paris"), "Central European time", None),
    abbr("EET", 120, Some("Europe/Helsinki"), "Eastern European time", None),
    abbr("EEST", 180, Some("Europe/Helsinki"), "Eastern European time", None),
    abbr("MSK", 180, Some("Europe/Moscow"), "Moscow time", None),
    abbr(
        "IST",
        330,
        Some("Asia/Kolkata"),
        "India time",
        Some("Irish Standard Time (UTC+01:00) or Israel Standard Time (UTC+02:00)"),
    ),
    abbr("SGT", 480, Some("Asia/Singapore"), "Singapore time", None),
    abbr("HKT", 480, Some("Asia/Hong_Kong"), "Hong Kong time", None),
    abbr("JST", 540, Some("Asia/Tokyo"), "Japan time", None),
    abbr("KST", 540, Some("Asia/Seoul"), "Korea time", None),
    abbr("AWST", 480, Some("Australia/Perth"), "Western Australia time", None),
    abbr("ACST", 570, Some("Australia/Adelaide"), "Central Australia time", None),
    abbr("ACDT", 630, Some("Australia/Adelaide"), "Central Australia time", None),
    abbr("AEST", 600, Some("Australia/Sydney"), "Eastern Australia time", None),
    abbr("AEDT", 660, Some("Australia/Sydney"), "Eastern Australia time", None),
    abbr("NZST", 720, Some("Pacific/Auckland"), "New Zealand time", None),
    abbr("NZDT", 780, Some("Pacific/Auckland"), "New Zealand time", None),
    abbr("BRT", -180, Some("America/Sao_Paulo"), "Brasília time", None),
];

/// Words and long names for zones, lowercase, longest first where one is a
/// prefix of another. A word names a place's clocks, so it reads with that
/// zone's rules on the date; a long name of one abbreviation reads as it.
const WORDS: &[(&str, Named)] = &[
    ("pacific standard time", Named::Abbreviation("PST")),
    ("pacific daylight time", Named::Abbreviation("PDT")),
    ("mountain standard time", Named::Abbreviation("MST")),
    ("mountain daylight time", Named::Abbreviation("MDT")),
    ("central standard time", Named::Abbreviation("CST")),
    ("central daylight time", Named::Abbreviation("CDT")),
    ("eastern standard time", Named::Abbreviation("EST")),
    ("eastern daylight time", Named::Abbreviation("EDT")),
    ("british summer time", Named::Abbreviation("BST")),
    ("greenwich mean time", Named::Abbreviation("GMT")),
    ("coordinated universal time", Named::Abbreviation("UTC")),
    ("pacific time", Named::Zone("America/Los_Angeles")),
    ("mountain time", Named::Zone("America/Denver")),
    ("central time", Named::Zone("America/Chicago")),
    ("eastern time", Named::Zone("America/New_York")),
    ("pacific", Named::Zone("America/Los_Angeles")),
    ("mountain", Named::Zone("America/Denver")),
    ("central", Named::Zone("America/Chicago")),
    ("eastern", Named::Zone("America/New_York")),
    ("pt", Named::Zone("America/Los_Angeles")),
    ("mt", Named::Zone("America/Denver")),
    ("ct", Named::Zone("America/Chicago")),
    ("et", Named::Zone("America/New_York")),
    ("zulu", Named::Abbreviation("UTC")),
];

#[derive(Debug, Clone, Copy)]
enum Named {
    Zone(&'static str),
    Abbreviation(&'static str),
}

/// A zone as written, before it meets a date.
#[derive(Debug, Clone)]
pub enum ZoneSpec {
    /// An IANA zone, named (`Europe/Berlin`) or implied by a word
    /// (`Pacific`); `name` is its canonical IANA name.
    Named {
        zone: TimeZone,
        name: String,
    },
    Abbreviation(&'static Abbreviation),
    /// A fixed offset; `name` is what the writer wrote after it, if anything
    /// (`+01:00 Europe/Berlin`).
    Fixed {
        offset: Offset,
        name: Option<String>,
    },
}

/// A zone resolved for one civil time: the offset in force, the label to
/// keep, and any guess the writer should confirm.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub offset: Offset,
    /// The wall-clock time as read: the one written, or for a time that
    /// daylight saving skipped, the time the clocks showed instead.
    pub civil: DateTime,
    pub label: String,
    pub note: Option<String>,
}

fn abbreviation(name: &str) -> Option<&'static Abbreviation> {
    ABBREVIATIONS.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

/// The IANA zone of this name, matched without regard to case; only names
/// with a `/` and the plain `UTC` and `GMT` are looked up, so that `EST` or
/// `MST` (which the database keeps as odd fixed zones) mean the abbreviation.
pub fn named_zone(name: &str) -> Option<(TimeZone, String)> {
    let name = name.trim();
    if name.is_empty() || name.len() > 64 || !(name.contains('/') || matches!(name, "UTC" | "GMT")) {
        return None;
    }
    let zone = jiff::tz::db().get(name).ok()?;
    let canonical = zone.iana_name().unwrap_or(name).to_string();
    Some((zone, canonical))
}

/// `+02:00`, `-0800`, `+2`, `UTC+2`, `GMT-07:00`.
pub fn parse_offset(text: &str) -> Option<Offset> {
    let upper = text.trim().to_ascii_uppercase();
    let signed = upper.strip_prefix("UTC").or_else(|| upper.strip_prefix("GMT")).unwrap_or(&upper);
    let (sign, digits) = match signed.chars().next()? {
        '+' => (1, &signed[1..]),
        '-' => (-1, &signed[1..]),
        '−' => (-1, &signed['−'.len_utf8()..]),
        _ => return None,
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit() || c == ':') {
        return None;
    }
    let (hours, minutes) = match digits.split_once(':') {
        Some((h, m)) if !h.is_empty() && h.len() <= 2 && m.len() == 2 => {
            (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?)
        }
        Some(_) => return None,
        None if digits.len() == 4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
        None if digits.len() <= 2 => (digits.parse().ok()?, 0),
        None => return None,
    };
    if hours > 14 || minutes > 59 {
        return None;
    }
    Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).ok()
}

/// Reads a zone from the start of `words` (already split on whitespace),
/// returning it and how many words it took. Surrounding parentheses and a
/// trailing comma are allowed: `(PDT)`, `UTC,`.
pub fn read_zone(words: &[&str]) -> Option<(ZoneSpec, usize)> {
    let clean = |word: &str| word.trim_start_matches('(').trim_end_matches([')', ',', ';', ':', '.']).to_string();
    // Long names and words first, longest first.
    for take in (1..=3).rev() {
        if words.len() < take {
            continue;
        }
        let phrase = words[..take].iter().map(|w| clean(w).to_lowercase()).collect::<Vec<_>>().join(" ");
        if let Some((_, named)) = WORDS.iter().find(|(word, _)| *word == phrase) {
            let spec = match named {
                Named::Zone(name) => {
                    let (zone, name) = named_zone(name)?;
                    ZoneSpec::Named { zone, name }
                }
                Named::Abbreviation(name) => ZoneSpec::Abbreviation(abbreviation(name)?),
            };
            return Some((spec, take));
        }
    }
    let first = clean(words.first()?);
    if let Some(found) = abbreviation(&first) {
        return Some((ZoneSpec::Abbreviation(found), 1));
    }
    if let Some(offset) = parse_offset(&first) {
        return Some((ZoneSpec::Fixed { offset, name: None }, 1));
    }
    named_zone(&first).map(|(zone, name)| (ZoneSpec::Named { zone, name }, 1))
}

/// Reads a whole text as one zone, as a form's zone field or an API's
/// `zone` holds it.
pub fn parse_zone(text: &str) -> Option<ZoneSpec> {
    let words: Vec<&str> = text.split_whitespace().collect();
    match read_zone(&words)? {
        (spec, taken) if taken == words.len() => Some(spec),
        (ZoneSpec::Fixed { offset, .. }, 1) => Some(ZoneSpec::Fixed { offset, name: Some(words[1..].join(" ")) }),
        _ => None,
    }
}

/// "UTC" for a zero offset, otherwise "UTC-07:00".
pub fn offset_label(offset: Offset) -> String {
    if offset.seconds() == 0 {
        return "UTC".to_string();
    }
    format!("UTC{}", offset_text(offset))
}

/// "+05:30", "-07:00", "+00:00".
pub fn offset_text(offset: Offset) -> String {
    let seconds = offset.seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

/// "−07:00" as people read it: with a real minus sign.
pub fn offset_for_reading(offset: Offset) -> String {
    offset_label(offset).replace('-', "−")
}

/// The offset `zone` gives a civil time, with a note when that time did not
/// exist (clocks went forward) or happened twice (clocks went back).
fn zone_offset(zone: &TimeZone, name: &str, civil: DateTime) -> (Offset, DateTime, Option<String>) {
    match zone.to_ambiguous_timestamp(civil).offset() {
        AmbiguousOffset::Unambiguous { offset } => (offset, civil, None),
        AmbiguousOffset::Gap { before, after } => {
            // 02:30 on the morning clocks jumped from 02:00 to 03:00 is read
            // as the instant it would have been, which the clocks showed as
            // 03:30.
            let moved = before.to_timestamp(civil).map(|at| after.to_datetime(at)).ok();
            let note = format!(
                "{} did not happen in {name} on {}: clocks went forward from {} to {}; read as {}",
                civil.strftime("%H:%M"),
                civil.strftime("%-d %b %Y"),
                offset_for_reading(before),
                offset_for_reading(after),
                moved.map(|m| m.strftime("%H:%M").to_string()).unwrap_or_default(),
            );
            match moved {
                Some(moved) => (after, moved, Some(note)),
                None => (before, civil, Some(note)),
            }
        }
        AmbiguousOffset::Fold { before, after } => {
            let note = format!(
                "{} happened twice in {name} on {}, as clocks went back: read as the first ({}); \
                 write {} if the second was meant",
                civil.strftime("%H:%M"),
                civil.strftime("%-d %b %Y"),
                offset_for_reading(before),
                offset_text(after),
            );
            (before, civil, Some(note))
        }
    }
}

/// The abbreviation `zone` used at the instant a civil time falls on.
fn abbreviation_in_force(zone: &TimeZone, offset: Offset, civil: DateTime) -> Option<String> {
    let at = offset.to_timestamp(civil).ok()?;
    Some(zone.to_offset_info(at).abbreviation().to_string())
}

impl ZoneSpec {
    /// Resolves this zone for `civil`, the wall-clock time written with it.
    /// An abbreviation is read as the report's `home` zone when that zone
    /// used it on the date (so `CST` in a Shanghai report is China's); else
    /// as the place it names, and when that place was on other clocks that
    /// day (`PST` in summer) as the clocks in force, with a note.
    pub fn resolve(&self, civil: DateTime, home: Option<&TimeZone>) -> Resolved {
        match self {
            ZoneSpec::Named { zone, name } => {
                let (offset, civil, note) = zone_offset(zone, name, civil);
                Resolved { offset, civil, label: name.clone(), note }
            }
            ZoneSpec::Fixed { offset, name } => Resolved {
                offset: *offset,
                civil,
                label: name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| offset_label(*offset)),
                note: None,
            },
            ZoneSpec::Abbreviation(abbreviation) => resolve_abbreviation(abbreviation, civil, home),
        }
    }
}

fn resolve_abbreviation(abbreviation: &Abbreviation, civil: DateTime, home: Option<&TimeZone>) -> Resolved {
    let fixed = Offset::from_seconds(abbreviation.offset_minutes * 60).unwrap_or(Offset::UTC);
    let label = if abbreviation.name == "Z" { "UTC" } else { abbreviation.name };
    let exactly = |note: Option<String>| Resolved { offset: fixed, civil, label: label.to_string(), note };
    // Read literally, the abbreviation names an instant; when a place's
    // clocks showed that abbreviation then, it means exactly that. This
    // tells the two 01:30s of a night the clocks went back apart.
    let literal = fixed.to_timestamp(civil).ok();
    let shown_by = |zone: &TimeZone| {
        literal.is_some_and(|at| zone.to_offset(at) == fixed && zone.to_offset_info(at).abbreviation() == label)
    };
    if let Some(home) = home {
        if shown_by(home) {
            return exactly(None);
        }
        // The report's own place may use the abbreviation for other clocks:
        // CST in Shanghai.
        let (offset, moved, _) = zone_offset(home, "", civil);
        if abbreviation_in_force(home, offset, moved).as_deref() == Some(label) {
            return Resolved { offset, civil: moved, label: label.to_string(), note: None };
        }
    }
    let also = || {
        abbreviation.also.map(|also| {
            format!(
                "{label} can also mean {also}: read as {} ({}); set the report's zone to read it otherwise",
                abbreviation.clocks,
                offset_for_reading(fixed),
            )
        })
    };
    let Some((zone, zone_name)) = abbreviation.zone.and_then(named_zone) else {
        return exactly(None);
    };
    if shown_by(&zone) {
        return exactly(also());
    }
    // Out of season (PST written for a summer date): read as the clocks in
    // force that day, and say so.
    let (offset, moved, _) = zone_offset(&zone, &zone_name, civil);
    let in_force = abbreviation_in_force(&zone, offset, moved).unwrap_or_default();
    let same_clocks = ABBREVIATIONS.iter().any(|other| other.name == in_force && other.zone == abbreviation.zone);
    if in_force != label && same_clocks {
        return Resolved {
            offset,
            civil: moved,
            label: in_force.clone(),
            note: Some(format!(
                "{label} was written for {}, when {} was on {in_force} ({}): read as {in_force}; \
                 write the offset {} if {label} was meant",
                civil.strftime("%-d %b %Y"),
                abbreviation.clocks,
                offset_for_reading(offset),
                offset_text(fixed),
            )),
        };
    }
    exactly(also())
}

/// A report's home zone from what a writer typed in its zone field: an IANA
/// name, a word (`Pacific`) or an abbreviation (`PDT` means the place whose
/// clocks it names). Offsets are refused: they know nothing of daylight
/// saving.
pub fn parse_home_zone(text: &str) -> Result<String, String> {
    home_zone_named(text, false)
}

/// `ambiguous_allowed`: an abbreviation with more than one meaning (CST)
/// is read as its usual place, as for a zone derived from the times; a
/// writer choosing the report's zone is asked to name the place.
fn home_zone_named(text: &str, ambiguous_allowed: bool) -> Result<String, String> {
    let text = text.trim();
    let refusal = || {
        format!(
            "`{}` is not a time zone we know: choose a name such as America/Los_Angeles, Europe/Berlin or UTC",
            super::reported_time::truncate_for_message(text)
        )
    };
    match parse_zone(text).ok_or_else(refusal)? {
        ZoneSpec::Named { name, .. } => Ok(name),
        ZoneSpec::Abbreviation(Abbreviation { name, also: Some(also), zone: Some(zone), .. }) if !ambiguous_allowed => {
            Err(format!("{name} can mean {zone} or {also}: choose the zone by its name, such as {zone}"))
        }
        ZoneSpec::Abbreviation(abbreviation) => Ok(match (abbreviation.zone, abbreviation.name) {
            (Some(zone), _) => zone.to_string(),
            (None, "Z") => "UTC".to_string(),
            (None, name) => name.to_string(),
        }),
        ZoneSpec::Fixed { .. } => Err(format!(
            "`{}` is an offset, which does not follow daylight saving: choose a zone name such as \
             America/Los_Angeles or UTC",
            super::reported_time::truncate_for_message(text)
        )),
    }
}

/// The home zone a time's label suggests: `PDT` → `America/Los_Angeles`,
/// `UTC` → `UTC`; `None` for an offset.
pub fn home_zone_for_label(label: &str) -> Option<String> {
    home_zone_named(label, true).ok()
}

/// The home zone the first time written with a zone suggests, or UTC.
pub fn home_zone_from_labels<'a>(mut labels: impl Iterator<Item = &'a str>) -> String {
    labels.find_map(home_zone_for_label).unwrap_or_else(|| "UTC".to_string())
}

/// The zone of a validated home zone name; UTC if the name is unknown,
/// which validation prevents.
pub fn home_zone(name: &str) -> TimeZone {
    named_zone(name).map(|(zone, _)| zone).unwrap_or(TimeZone::UTC)
}

/// The abbreviation `zone` shows at `at`: "PDT", "PST", "UTC", "+0530".
pub fn abbreviation_at(zone: &TimeZone, at: Timestamp) -> String {
    zone.to_offset_info(at).abbreviation().to_string()
}

/// Every zone name a writer may choose as a report's home, sorted: the
/// canonical-looking IANA names, without the legacy `US/…`, `Etc/…` and
/// `SystemV/…` aliases.
pub fn home_zone_names() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: BTreeSet<String> = jiff::tz::db()
            .available()
            .map(|name| name.as_str().to_string())
            .filter(|name| {
                let area = name.split('/').next().unwrap_or_default();
                name.contains('/')
                    && matches!(
                        area,
                        "Africa"
                            | "America"
                            | "Antarctica"
                            | "Asia"
                            | "Atlantic"
                            | "Australia"
                            | "Europe"
                            | "Indian"
                            | "Pacific"
                    )
            })
            .collect();
        names.insert("UTC".to_string());
        names.insert("GMT".to_string());
        names.into_iter().collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn at(y: i16, m: i8, d: i8, h: i8, min: i8) -> DateTime {
        date(y, m, d).at(h, min, 0, 0)
    }

    fn spec(text: &str) -> ZoneSpec {
        parse_zone(text).unwrap_or_else(|| panic!("{text} is not read as a zone"))
    }

    fn la() -> TimeZone {
        home_zone("America/Los_Angeles")
    }

    #[test]
    fn iana_names_follow_daylight_saving() {
        let zone = spec("america/los_angeles");
        let before = zone.resolve(at(2013, 3, 8, 12, 30), None);
        let after = zone.resolve(at(2013, 3, 11, 13, 0), None);
        assert_eq!((before.offset.seconds(), before.label.as_str()), (-8 * 3600, "America/Los_Angeles"));
        assert_eq!(after.offset.seconds(), -7 * 3600);
        assert_eq!(before.note, None);
    }

    #[test]
    fn words_name_a_places_clocks() {
        for word in ["Pacific", "pacific time", "PT", "(Pacific)", "Pacific:"] {
            let resolved = spec(word).resolve(at(2013, 3, 11, 13, 0), None);
            assert_eq!(resolved.offset.seconds(), -7 * 3600, "{word}");
        }
        assert_eq!(spec("Eastern").resolve(at(2013, 1, 1, 9, 0), None).offset.seconds(), -5 * 3600);
        assert_eq!(spec("Pacific Standard Time").resolve(at(2013, 1, 1, 9, 0), None).label, "PST");
    }

    #[test]
    fn an_abbreviation_out_of_season_is_read_as_the_clocks_in_force_and_flagged() {
        let resolved = spec("PST").resolve(at(2013, 3, 11, 13, 0), None);
        assert_eq!((resolved.offset.seconds(), resolved.label.as_str()), (-7 * 3600, "PDT"));
        let note = resolved.note.unwrap();
        assert!(note.contains("PST was written for 11 Mar 2013") && note.contains("read as PDT"), "{note}");
        let in_season = spec("PST").resolve(at(2013, 3, 8, 12, 0), None);
        assert_eq!((in_season.offset.seconds(), in_season.note), (-8 * 3600, None));
        let winter_pdt = spec("PDT").resolve(at(2013, 12, 1, 9, 0), Some(&la()));
        assert_eq!(winter_pdt.label, "PST");
    }

    #[test]
    fn ambiguous_abbreviations_follow_the_home_zone_or_say_what_they_assumed() {
        let shanghai = home_zone("Asia/Shanghai");
        let china = spec("CST").resolve(at(2020, 6, 1, 10, 0), Some(&shanghai));
        assert_eq!((china.offset.seconds(), china.note), (8 * 3600, None));
        let us = spec("CST").resolve(at(2020, 1, 15, 10, 0), None);
        assert_eq!(us.offset.seconds(), -6 * 3600);
        assert!(us.note.unwrap().contains("China Standard Time"));
        let india = spec("IST").resolve(at(2020, 1, 15, 10, 0), Some(&home_zone("Asia/Kolkata")));
        assert_eq!((india.offset.seconds(), india.note), (19_800, None));
    }

    #[test]
    fn times_in_a_daylight_saving_gap_or_fold_are_flagged() {
        let gap = spec("America/Los_Angeles").resolve(at(2013, 3, 10, 2, 30), None);
        assert_eq!(gap.offset.seconds(), -7 * 3600, "read as the clocks showed it: 03:30 PDT");
        assert_eq!(gap.civil, at(2013, 3, 10, 3, 30));
        assert!(gap.note.unwrap().contains("did not happen"));
        let fold = spec("America/Los_Angeles").resolve(at(2013, 11, 3, 1, 30), None);
        assert_eq!(fold.offset.seconds(), -7 * 3600, "the first 01:30 is PDT");
        assert!(fold.note.unwrap().contains("happened twice"));
        // An abbreviation names which of the two 01:30s was meant.
        let la = la();
        let second = spec("PST").resolve(at(2013, 11, 3, 1, 30), Some(&la));
        assert_eq!((second.offset.seconds(), second.label.as_str(), second.note), (-8 * 3600, "PST", None));
        let first = spec("PDT").resolve(at(2013, 11, 3, 1, 30), None);
        assert_eq!((first.offset.seconds(), first.note), (-7 * 3600, None));
        // 02:30 PST on the morning of the change is 03:30 PDT, and said.
        let skipped = spec("PST").resolve(at(2013, 3, 10, 2, 30), Some(&la));
        assert_eq!(
            (skipped.offset.seconds(), skipped.civil, skipped.label.as_str()),
            (-7 * 3600, at(2013, 3, 10, 3, 30), "PDT")
        );
        assert!(skipped.note.is_some());
    }

    #[test]
    fn offsets_and_names_after_them_are_kept() {
        assert_eq!(parse_offset("+05:30").unwrap().seconds(), 19_800);
        assert_eq!(parse_offset("UTC-7").unwrap().seconds(), -7 * 3600);
        assert_eq!(parse_offset("-0800").unwrap().seconds(), -8 * 3600);
        assert_eq!(parse_offset("−07:00").unwrap().seconds(), -7 * 3600);
        assert!(parse_offset("+25").is_none() && parse_offset("+").is_none() && parse_offset("nowhere").is_none());
        let named = spec("+01:00 Europe/Berlin").resolve(at(2020, 3, 1, 10, 0), None);
        assert_eq!((named.offset.seconds(), named.label.as_str()), (3600, "Europe/Berlin"));
        assert_eq!(spec("+05:30").resolve(at(2020, 3, 1, 10, 0), None).label, "UTC+05:30");
        assert!(parse_zone("Mars/Olympus").is_none() && parse_zone("EST5EDT").is_none());
    }

    #[test]
    fn home_zones_are_places() {
        assert_eq!(parse_home_zone("PDT").unwrap(), "America/Los_Angeles");
        assert_eq!(parse_home_zone("europe/berlin").unwrap(), "Europe/Berlin");
        assert_eq!(parse_home_zone("Pacific").unwrap(), "America/Los_Angeles");
        assert_eq!(parse_home_zone("UTC").unwrap(), "UTC");
        assert_eq!(parse_home_zone("Z").unwrap(), "UTC");
        assert_eq!(parse_home_zone("GMT").unwrap(), "GMT");
        assert!(parse_home_zone("+02:00").unwrap_err().contains("offset"));
        assert!(parse_home_zone("CST").unwrap_err().contains("China Standard Time"), "ambiguous: name the place");
        assert_eq!(home_zone_for_label("CST").as_deref(), Some("America/Chicago"), "derived from times: the usual");
        assert!(parse_home_zone("Nowhere/City").unwrap_err().contains("not a time zone"));
        let names = home_zone_names();
        assert!(names.iter().any(|n| n == "America/Los_Angeles") && names.iter().any(|n| n == "UTC"));
        assert!(names.len() > 300 && !names.iter().any(|n| n.starts_with("US/")));
    }

    #[test]
    fn the_abbreviation_in_force_comes_from_the_bundled_rules() {
        let zone = la();
        let winter = Timestamp::from_second(1_362_772_800).unwrap(); // 2013-03-08T20:00:00Z
        let spring = Timestamp::from_second(1_363_032_000).unwrap(); // 2013-03-11T20:00:00Z
        assert_eq!(abbreviation_at(&zone, winter), "PST");
        assert_eq!(abbreviation_at(&zone, spring), "PDT");
    }
}
