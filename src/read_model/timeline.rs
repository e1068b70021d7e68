//! The timeline view of one incident: its events and key moments in time
//! order, grouped by day in the report's home zone with the abbreviation in
//! force on each date and UTC beside, with the gaps between them, and a
//! proportional overview strip drawn as inline SVG. Events without a time
//! keep the place the writer gave them. Everything here is computed on the
//! server; the page needs no script.

use std::fmt::Write;
use std::sync::LazyLock;

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::domain::durations::gap;
use crate::domain::zones::{abbreviation_at, offset_for_reading};
use crate::domain::{EventKind, IncidentFields, KeyMoment, Measured, Precision, ReportedTime};
use crate::format;
use crate::markdown;
use crate::markdown::escape;

/// One line of the timeline: an event, or a key moment of the incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineRow {
    /// "Mon 20 May 2013" (or "February 2013") when this row starts one.
    pub day_heading: Option<String>,
    /// "2 h 43 min later", from the previous timed row.
    pub gap: Option<String>,
    pub is_phase: bool,
    /// CSS class for colour and shape: `kind-trigger`, `phase-detected`…
    pub class: String,
    /// What the row is, in words: "Trigger", "Detected".
    pub label: String,
    /// The time in the home zone with its abbreviation: "11:40 PDT",
    /// "about 11:00 PDT", or empty.
    pub local_time: String,
    /// The same instant in UTC, with its date when that differs: "06:43
    /// UTC, Tue 21 May".
    pub utc_time: Option<String>,
    /// "approximate", "date only", "no time given", or nothing.
    pub precision_note: Option<String>,
    /// The event has no time and stays where the writer put it.
    pub placed_as_written: bool,
    pub text_html: String,
    pub anchor: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineView {
    /// The home zone's IANA name.
    pub zone: String,
    /// The abbreviations the home zone used over the timeline:
    /// "PST (UTC−08:00), then PDT (UTC−07:00) from 10 Mar 2013".
    pub zone_note: String,
    pub rows: Vec<TimelineRow>,
    /// The overview strip, when there are at least two distinct timed
    /// points: one drawn for wide screens and print, one for phones.
    pub strip_svg: Option<String>,
    pub strip_narrow_svg: Option<String>,
    /// The events are written in another order than their times.
    pub reordered: bool,
}

/// What each row is before it is laid out.
enum Entry<'a> {
    Event { index: usize, kind: EventKind, at: Option<&'a ReportedTime>, text: &'a str },
    Phase { moment: KeyMoment, at: &'a ReportedTime },
}

impl Entry<'_> {
    fn time(&self) -> Option<&ReportedTime> {
        match self {
            Entry::Event { at, .. } => *at,
            Entry::Phase { at, .. } => Some(at),
        }
    }
}

/// Where a time sorts: the start of its day in the home zone, and within
/// the day its instant when it has a clock. A date written alone belongs to
/// its day but not to a moment in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SortKey {
    pub day: i64,
    pub at: Option<i64>,
}

impl SortKey {
    /// A key moment with this key comes before an event with `event`.
    fn precedes(self, event: SortKey) -> bool {
        self.day < event.day
            || (self.day == event.day
                && match (self.at, event.at) {
                    (Some(moment), Some(event)) => moment <= event,
                    (None, _) => true,
                    (Some(_), None) => false,
                })
    }

    /// Where the strip draws it.
    fn instant(self) -> i64 {
        self.at.unwrap_or(self.day)
    }
}

/// `None` for a time that is not known.
pub fn sort_key(time: &ReportedTime, home: &TimeZone) -> Option<SortKey> {
    let (date, at) = match time.precision {
        Precision::Minute | Precision::Hour => (time.in_zone(home).date(), Some(time.unix_seconds())),
        Precision::Day => (time.local().date(), None),
        Precision::Month => (time.local().date().first_of_month(), None),
        Precision::Unknown => return None,
    };
    let start = date.to_datetime(jiff::civil::Time::midnight());
    let day = home.to_ambiguous_timestamp(start).compatible().ok()?.as_second();
    Some(SortKey { day, at })
}

/// The order to show events in. Dated events go day by day, each taking
/// the next place held by a dated event; within a day, events with a clock
/// go by time (ties in the order written) and those with a date alone keep
/// their places among them. Events without a time keep the places the
/// writer gave them.
pub fn time_order(keys: &[Option<SortKey>]) -> Vec<usize> {
    let dated: Vec<usize> = (0..keys.len()).filter(|&index| keys[index].is_some()).collect();
    let day = |index: usize| keys[index].map_or(0, |key| key.day);
    let mut by_day = dated.clone();
    by_day.sort_by_key(|&index| day(index));
    for run in by_day.chunk_by_mut(|a, b| day(*a) == day(*b)) {
        let slots: Vec<usize> =
            (0..run.len()).filter(|&slot| keys[run[slot]].is_some_and(|k| k.at.is_some())).collect();
        let mut timed: Vec<(Option<i64>, usize)> =
            slots.iter().map(|&slot| (keys[run[slot]].and_then(|k| k.at), run[slot])).collect();
        timed.sort();
        for (slot, (_, index)) in slots.into_iter().zip(timed) {
            run[slot] = index;
        }
    }
    let mut order: Vec<usize> = (0..keys.len()).collect();
    for (slot, index) in dated.into_iter().zip(by_day) {
        order[slot] = index;
    }
    order
}

pub fn build(fields: &IncidentFields) -> TimelineView {
    let home = fields.home_zone();
    let (entries, reordered) = merge(fields, &home);
    let mut rows = Vec::with_capacity(entries.len());
    let mut previous: Option<&ReportedTime> = None;
    let mut previous_heading: Option<String> = None;
    for (entry, key) in &entries {
        let time = entry.time();
        let placed = time.filter(|_| key.is_some());
        let heading = placed.map(|t| match t.precision {
            Precision::Minute | Precision::Hour => format::day(t.in_zone(&home).date()),
            Precision::Day => format::day(t.local().date()),
            _ => format::month(t.local().date()),
        });
        let day_heading = heading.filter(|h| previous_heading.as_ref() != Some(h)).inspect(|h| {
            previous_heading = Some(h.clone());
        });
        let gap = match (previous, placed) {
            (Some(before), Some(now)) => {
                gap(before, now).filter(|e| e.seconds >= 60).map(|e| format!("{} later", format::elapsed(&e)))
            }
            _ => None,
        };
        if placed.is_some() {
            previous = placed;
        }
        let local_time = match placed {
            Some(t) if t.precision.has_clock() => {
                let about = if t.approximate || t.precision == Precision::Hour { "about " } else { "" };
                format!("{about}{} {}", format::clock(t.in_zone(&home)), abbreviation_at(&home, t.at))
            }
            Some(t) if t.approximate => "about".to_string(),
            _ => String::new(),
        };
        let utc_time = placed.and_then(|t| format::utc_beside(t, &home));
        let precision_note = match (time.map(|t| (t.precision, t.approximate)), placed.is_some()) {
            // "about 11:40" says it is approximate already.
            (Some((Precision::Minute | Precision::Hour, _)), true) => None,
            (Some((Precision::Day, true)), true) => Some("approximate date"),
            (Some((Precision::Day, _)), true) => Some("date only"),
            (Some((Precision::Month, _)), true) => Some("month only"),
            _ => Some("no time given"),
        }
        .map(str::to_string);
        let placed_as_written = placed.is_none() && matches!(entry, Entry::Event { .. });
        rows.push(match entry {
            Entry::Event { index, kind, text, .. } => TimelineRow {
                day_heading,
                gap,
                is_phase: false,
                class: format!("kind-{}", kind.as_str()),
                label: kind.label().to_string(),
                local_time,
                utc_time,
                precision_note,
                placed_as_written,
                text_html: markdown::render_inline(text),
                anchor: format!("event-{}", index + 1),
            },
            Entry::Phase { moment, .. } => TimelineRow {
                day_heading,
                gap,
                is_phase: true,
                class: format!("phase-{}", moment.name()),
                label: moment.label().to_string(),
                local_time,
                utc_time,
                precision_note,
                placed_as_written,
                text_html: phase_text(fields, *moment),
                anchor: format!("phase-{}", moment.name()),
            },
        });
    }
    // The strip draws times with a clock, and a date alone only on a day
    // that has none: where in its day it fell is not known.
    let clocked_days: Vec<i64> =
        entries.iter().filter_map(|(_, key)| key.filter(|k| k.at.is_some()).map(|k| k.day)).collect();
    let placed: Vec<(&Entry<'_>, &ReportedTime, i64)> = entries
        .iter()
        .filter_map(|(entry, key)| Some((entry, entry.time()?, (*key)?)))
        .filter(|(_, _, key)| key.at.is_some() || !clocked_days.contains(&key.day))
        .map(|(entry, time, key)| (entry, time, key.instant()))
        .collect();
    TimelineView {
        zone: fields.zone.clone(),
        zone_note: zone_note(&fields.zone, &home, placed.iter().map(|(_, t, _)| *t)),
        strip_svg: strip(&placed, &home, STRIP_WIDTH),
        strip_narrow_svg: strip(&placed, &home, NARROW_STRIP_WIDTH),
        rows,
        reordered,
    }
}

/// "Times are in UTC.", or for another zone the abbreviations it used:
/// "Times are in America/Los_Angeles: PST (UTC−08:00), then PDT
/// (UTC−07:00) from 10 Mar 2013; UTC beside." The date of a change is the
/// day the clocks changed, not the day of the next event.
fn zone_note<'a>(zone: &str, home: &TimeZone, times: impl Iterator<Item = &'a ReportedTime>) -> String {
    let mut seen: Vec<(String, jiff::tz::Offset, jiff::Timestamp)> = Vec::new();
    for time in times.filter(|t| t.precision.has_clock()) {
        let abbreviation = abbreviation_at(home, time.at);
        if seen.last().is_none_or(|(last, ..)| *last != abbreviation) {
            let changed = home.preceding(time.at).next().map_or(time.at, |transition| transition.timestamp());
            seen.push((abbreviation, home.to_offset(time.at), changed));
        }
    }
    if seen.iter().all(|(_, offset, _)| offset.seconds() == 0) {
        return format!("Times are in {zone}.");
    }
    let describe = |(abbreviation, offset, _): &(String, jiff::tz::Offset, jiff::Timestamp)| {
        format!("{abbreviation} ({})", offset_for_reading(*offset))
    };
    let mut note = format!("Times are in {zone}: ");
    if let Some((first, rest)) = seen.split_first() {
        note.push_str(&describe(first));
        for change in rest {
            let day = home.to_datetime(change.2).date();
            note.push_str(&format!(", then {} from {}", describe(change), format::calendar_date(day)));
        }
    }
    note.push_str("; UTC beside.");
    note
}

/// Events in time order, with each key moment placed before the first
/// timed event at or after it; each entry with its sort key. Also whether
/// the writer's order differs from time order.
fn merge<'a>(fields: &'a IncidentFields, home: &TimeZone) -> (Vec<(Entry<'a>, Option<SortKey>)>, bool) {
    let keys: Vec<Option<SortKey>> =
        fields.timeline.iter().map(|event| event.at.as_ref().and_then(|t| sort_key(t, home))).collect();
    let order = time_order(&keys);
    let reordered = order.iter().enumerate().any(|(place, index)| place != *index);
    let mut phases: Vec<(Entry<'_>, Option<SortKey>)> =
        fields.known_moments().map(|(moment, at)| (Entry::Phase { moment, at }, sort_key(at, home))).collect();
    phases.sort_by_key(|(_, key)| key.map_or((1, None), |key| (0, Some(key))));
    let mut phases = phases.into_iter().peekable();
    let mut entries = Vec::new();
    for index in order {
        let event = &fields.timeline[index];
        let key = keys[index];
        if let Some(key) = key {
            while let Some(phase) = phases.next_if(|(_, phase_key)| phase_key.is_some_and(|k| k.precedes(key))) {
                entries.push(phase);
            }
        }
        entries.push((Entry::Event { index, kind: event.kind, at: event.at.as_ref(), text: &event.text }, key));
    }
    entries.extend(phases);
    (entries, reordered)
}

fn phase_text(fields: &IncidentFields, moment: KeyMoment) -> String {
    let since_start = fields.durations().since_start(moment).and_then(Measured::known);
    match since_start {
        Some(e) if e.seconds < 60 && e.approximate => "About when impact started".to_string(),
        Some(e) if e.seconds < 60 => "When impact started".to_string(),
        Some(e) => format!("{} after impact started", format::elapsed(&e)),
        None if moment == KeyMoment::Started => "Impact began".to_string(),
        None => String::new(),
    }
}

#[derive(Clone, Copy)]
enum ShapeOf {
    Event(EventKind),
    Phase,
}

/// The SVG element for a marker centred on (x, y) with radius r. Each event
/// kind has its own shape, so kinds differ by more than colour.
fn shape(of: ShapeOf, x: f64, y: f64, r: f64) -> String {
    let t = Tenths;
    let points = |corners: &[(f64, f64)]| {
        let mut points = String::with_capacity(corners.len() * 12);
        for (index, (dx, dy)) in corners.iter().enumerate() {
            let gap = if index == 0 { "" } else { " " };
            let _ = write!(points, "{gap}{},{}", t(x + dx * r), t(y + dy * r));
        }
        points
    };
    match of {
        ShapeOf::Event(EventKind::Trigger) => {
            format!(r#"<polygon points="{}"/>"#, points(&[(0.0, -1.0), (1.0, 0.8), (-1.0, 0.8)]))
        }
        ShapeOf::Event(EventKind::Detection) => {
            format!(r#"<circle cx="{}" cy="{}" r="{}"/>"#, t(x), t(y), t(r * 0.9))
        }
        ShapeOf::Event(EventKind::Escalation) => {
            format!(r#"<polygon points="{}"/>"#, points(&[(-1.0, -0.8), (1.0, -0.8), (0.0, 1.0)]))
        }
        ShapeOf::Event(EventKind::Action) => rect(t(x - r * 0.8), t(y - r * 0.8), t(r * 1.6), t(r * 1.6), ""),
        ShapeOf::Event(EventKind::Mitigation) => {
            format!(r#"<polygon points="{}"/>"#, points(&[(0.0, -1.0), (1.0, 0.0), (0.0, 1.0), (-1.0, 0.0)]))
        }
        ShapeOf::Event(EventKind::Resolution) => format!(r#"<polygon points="{}"/>"#, points(&STAR)),
        ShapeOf::Event(EventKind::Communication) => {
            let corner = format!(r#" rx="{}""#, t(r * 0.5));
            rect(t(x - r), t(y - r * 0.6), t(r * 2.0), t(r * 1.2), &corner)
        }
        ShapeOf::Event(EventKind::Note) => rect(t(x - r * 0.9), t(y - r * 0.25), t(r * 1.8), t(r * 0.5), ""),
        ShapeOf::Phase => rect(t(x - r * 0.25), t(y - r), t(r * 0.5), t(r * 2.0), ""),
    }
}

fn rect(x: Tenths, y: Tenths, width: Tenths, height: Tenths, more: &str) -> String {
    format!(r#"<rect x="{x}" y="{y}" width="{width}" height="{height}"{more}/>"#)
}

/// The corners of the resolution's five-pointed star, on a unit circle.
const STAR: [(f64, f64); 10] = [
    (0.0, -1.0),
    (0.264_503, -0.364_058),
    (0.951_057, -0.309_017),
    (0.427_975, 0.139_058),
    (0.587_785, 0.809_017),
    (0.0, 0.45),
    (-0.587_785, 0.809_017),
    (-0.427_975, 0.139_058),
    (-0.951_057, -0.309_017),
    (-0.264_503, -0.364_058),
];

/// A coordinate rounded to a tenth (halves to even), written without the
/// general float formatter, which drawing every report's strips on write
/// spent most of its time in. It can differ from `{:.1}` by a tenth on a
/// value that sits on a half, a tenth of a drawing unit.
#[derive(Clone, Copy)]
struct Tenths(f64);

impl std::fmt::Display for Tenths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tenths = (self.0 * 10.0).round_ties_even() as i64;
        let sign = if tenths < 0 { "-" } else { "" };
        write!(f, "{sign}{}.{}", tenths.unsigned_abs() / 10, tenths.unsigned_abs() % 10)
    }
}

impl TimelineRow {
    /// The row's marker, the same for every row of its kind, so drawn once
    /// rather than kept with each report.
    pub fn icon_svg(&self) -> &'static str {
        static ICONS: LazyLock<Vec<String>> = LazyLock::new(|| {
            EventKind::ALL.iter().map(|kind| ShapeOf::Event(*kind)).chain([ShapeOf::Phase]).map(icon_of).collect()
        });
        let kind = self.class.strip_prefix("kind-").and_then(EventKind::parse).filter(|_| !self.is_phase);
        let at = kind.and_then(|kind| EventKind::ALL.iter().position(|k| *k == kind)).unwrap_or(EventKind::ALL.len());
        ICONS.get(at).map_or("", String::as_str)
    }
}

fn icon_of(of: ShapeOf) -> String {
    icon(&shape(of, 8.0, 8.0, 7.0), 16)
}

fn icon(shape: &str, size: u32) -> String {
    format!(
        r#"<svg class="icon" width="{size}" height="{size}" viewBox="0 0 16 16" aria-hidden="true" focusable="false">{shape}</svg>"#
    )
}

/// The legend of shapes, one per event kind, for the page.
pub fn legend() -> Vec<(String, &'static str, String)> {
    EventKind::ALL
        .iter()
        .map(|kind| (format!("kind-{}", kind.as_str()), kind.label(), icon_of(ShapeOf::Event(*kind))))
        .collect()
}

const STRIP_WIDTH: f64 = 1000.0;
/// The phone strip: fewer units across, so its labels stay readable when
/// it is drawn 340 pixels wide.
const NARROW_STRIP_WIDTH: f64 = 420.0;
const STRIP_MARGIN: f64 = 40.0;
const AXIS_Y: f64 = 46.0;
/// With key moments, a gap outside them is long when it is longer than
/// this fraction of the span they cover.
const OUTSIDE_FRACTION: i64 = 4;
/// Without them, a gap is long when it is this many times the typical
/// (lower median) gap.
const LONG_FACTOR: i64 = 8;
/// A gap shorter than this is never cut.
const MIN_CUT_SECONDS: i64 = 30 * 60;
/// A cut gap is drawn this share of the uncut span, so the break shows.
const CUT_SHARE: f64 = 0.12;
const MIN_CAP_SECONDS: i64 = 3 * 60;

/// Positions along the strip, proportional to time, with long gaps cut
/// down and remembered so they can be marked as compressed.
struct Scale {
    instants: Vec<i64>,
    positions: Vec<f64>,
    /// (x where the cut starts, x where it ends, real seconds).
    compressed: Vec<(f64, f64, i64)>,
}

impl Scale {
    /// `impact` is the span from the first to the last key moment: gaps
    /// inside it are always drawn to scale, so the incident itself keeps its
    /// proportions. Any other gap, before, between or after the key
    /// moments, is cut when it is long for this incident: longer than a
    /// quarter of the key moments' span, or, when they span no time, eight
    /// times the typical gap.
    fn new(mut instants: Vec<i64>, impact: Option<(i64, i64)>, width: f64) -> Option<Scale> {
        instants.sort_unstable();
        instants.dedup();
        if instants.len() < 2 {
            return None;
        }
        let gaps: Vec<i64> = instants.windows(2).map(|pair| pair[1] - pair[0]).collect();
        let protected: Vec<bool> = instants
            .windows(2)
            .map(|pair| impact.is_some_and(|(from, to)| to > from && pair[0] >= from && pair[1] <= to))
            .collect();
        let threshold = match impact.filter(|(from, to)| to > from) {
            Some((from, to)) => (to - from) / OUTSIDE_FRACTION,
            None => {
                let mut sorted: Vec<i64> = gaps.clone();
                sorted.sort_unstable();
                sorted[(sorted.len() - 1) / 2].saturating_mul(LONG_FACTOR)
            }
        }
        .max(MIN_CUT_SECONDS);
        let cut: Vec<bool> =
            gaps.iter().zip(&protected).map(|(gap, protected)| !protected && *gap > threshold).collect();
        let kept: i64 = gaps.iter().zip(&cut).filter(|(_, cut)| !**cut).map(|(gap, _)| gap).sum();
        let cap = ((kept as f64 * CUT_SHARE) as i64).max(MIN_CAP_SECONDS);
        let drawn: Vec<i64> =
            gaps.iter().zip(&cut).map(|(gap, cut)| if *cut { (*gap).min(cap) } else { *gap }).collect();
        let total: i64 = drawn.iter().sum::<i64>().max(1);
        let usable = width - 2.0 * STRIP_MARGIN;
        let mut positions = vec![STRIP_MARGIN];
        let mut compressed = Vec::new();
        let mut run = 0;
        for ((gap, drawn_gap), cut) in gaps.iter().zip(&drawn).zip(&cut) {
            let start = STRIP_MARGIN + usable * run as f64 / total as f64;
            run += drawn_gap;
            let end = STRIP_MARGIN + usable * run as f64 / total as f64;
            if *cut {
                compressed.push((start, end, *gap));
            }
            positions.push(end);
        }
        Some(Scale { instants, positions, compressed })
    }

    fn x(&self, instant: i64) -> f64 {
        match self.instants.binary_search(&instant) {
            Ok(index) => self.positions[index],
            Err(_) => STRIP_MARGIN,
        }
    }
}

fn strip(placed: &[(&Entry<'_>, &ReportedTime, i64)], home: &TimeZone, width: f64) -> Option<String> {
    let phase_keys: Vec<i64> =
        placed.iter().filter(|(entry, ..)| matches!(entry, Entry::Phase { .. })).map(|(.., key)| *key).collect();
    let impact = phase_keys.iter().min().zip(phase_keys.iter().max()).map(|(a, b)| (*a, *b));
    let scale = Scale::new(placed.iter().map(|(.., key)| *key).collect(), impact, width)?;
    let (_, first, _) = placed.iter().min_by_key(|(.., key)| *key)?;
    let (_, last, _) = placed.iter().max_by_key(|(.., key)| *key)?;
    let label = |t: &ReportedTime| match t.precision {
        Precision::Day => format::calendar_date(t.local().date()),
        Precision::Month => format::month(t.local().date()),
        _ => {
            let local = t.in_zone(home);
            format!("{} {} {}", format::calendar_date(local.date()), format::clock(local), abbreviation_at(home, t.at))
        }
    };
    let narrow = width < STRIP_WIDTH;
    let events = placed.iter().filter(|(entry, ..)| matches!(entry, Entry::Event { .. })).count();
    let (class, id) = if narrow { ("strip strip-narrow", "strip-narrow") } else { ("strip strip-wide", "strip") };

    let mut svg = String::new();
    let cuts: Vec<String> = scale.compressed.iter().map(|(.., seconds)| format::span(*seconds)).collect();
    let description = format!(
        "From {} to {}: {events} timed events{}.",
        label(first),
        label(last),
        match cuts.len() {
            0 => String::new(),
            1 => format!(", with a long gap ({}) drawn shorter than scale", cuts[0]),
            n => format!(", with {n} long gaps ({}) drawn shorter than scale", cuts.join(", ")),
        }
    );
    let _ = write!(
        svg,
        r#"<svg class="{class}" viewBox="0 0 {width} 92" role="group" aria-labelledby="{id}-title {id}-desc"><title id="{id}-title">Overview of the timeline</title><desc id="{id}-desc">{}</desc>"#,
        escape(&description)
    );
    // Phase bands between consecutive key moments.
    let phase_points: Vec<(&str, f64)> = placed
        .iter()
        .filter_map(|(entry, _, key)| match entry {
            Entry::Phase { moment, .. } => Some((moment.name(), scale.x(*key))),
            Entry::Event { .. } => None,
        })
        .collect();
    for pair in phase_points.windows(2) {
        let ((name, from), (_, to)) = (pair[0], pair[1]);
        if to > from {
            let _ = write!(
                svg,
                r#"<rect class="band band-{name}" x="{from:.1}" y="{:.1}" width="{:.1}" height="16"/>"#,
                AXIS_Y - 8.0,
                to - from
            );
        }
    }
    let _ = write!(
        svg,
        r#"<line class="axis" x1="{STRIP_MARGIN}" y1="{AXIS_Y}" x2="{:.1}" y2="{AXIS_Y}"/>"#,
        width - STRIP_MARGIN
    );
    for (start, end, seconds) in &scale.compressed {
        let middle = (start + end) / 2.0;
        let _ = write!(
            svg,
            r#"<g class="cut"><title>{} not drawn to scale</title><rect x="{:.1}" y="{:.1}" width="10" height="24"/><line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/><line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/><text x="{middle:.1}" y="{:.1}">{}</text></g>"#,
            escape(&format::span(*seconds)),
            middle - 5.0,
            AXIS_Y - 12.0,
            middle - 6.0,
            AXIS_Y + 10.0,
            middle - 1.0,
            AXIS_Y - 10.0,
            middle + 1.0,
            AXIS_Y + 10.0,
            middle + 6.0,
            AXIS_Y - 10.0,
            AXIS_Y + 26.0,
            escape(&format::span(*seconds))
        );
    }
    let mut previous_x = f64::NEG_INFINITY;
    let mut lift = 0.0;
    let radius = if narrow { 7.0 } else { 6.0 };
    for (entry, t, key) in placed {
        let x = scale.x(*key);
        match entry {
            Entry::Phase { moment, .. } => {
                let name = moment.name();
                let _ = write!(
                    svg,
                    r##"<a href="#phase-{name}" class="phase-{name}"><title>{}: {}</title><line class="phase-line" x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}"/></a>"##,
                    escape(moment.label()),
                    escape(&format::reported(t, home)),
                    AXIS_Y - 20.0,
                    AXIS_Y + 20.0
                );
            }
            Entry::Event { index, kind, text, .. } => {
                // Markers closer than their own size step up and down.
                lift = if x - previous_x < radius * 1.7 {
                    if lift == 0.0 {
                        -12.0
                    } else {
                        -lift
                    }
                } else {
                    0.0
                };
                previous_x = x;
                let summary: String = text.chars().take(120).collect();
                let _ = write!(
                    svg,
                    r##"<a href="#event-{}" class="kind-{}"><title>{} · {}: {}</title>{}</a>"##,
                    index + 1,
                    kind.as_str(),
                    escape(&format::reported(t, home)),
                    kind.label(),
                    escape(&summary),
                    shape(ShapeOf::Event(*kind), x, AXIS_Y + lift, radius)
                );
            }
        }
    }
    let (first_label, last_label) =
        if narrow { (short_label(first, home), short_label(last, home)) } else { (label(first), label(last)) };
    let _ = write!(
        svg,
        r#"<text class="tick" x="{STRIP_MARGIN}" y="84">{}</text><text class="tick end" x="{:.1}" y="84">{}</text></svg>"#,
        escape(&first_label),
        width - STRIP_MARGIN,
        escape(&last_label)
    );
    Some(svg)
}

/// The strip's end labels on a phone: "8 Mar 12:00 PST".
fn short_label(time: &ReportedTime, home: &TimeZone) -> String {
    match time.precision {
        Precision::Day | Precision::Month => time.local().date().strftime("%-d %b").to_string(),
        _ => {
            let local = time.in_zone(home);
            format!("{} {} {}", local.date().strftime("%-d %b"), format::clock(local), abbreviation_at(home, time.at))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::incident::TimelineEventInput;
    use crate::domain::{IncidentInput, ReportedTimeInput};

    fn time(at: &str, zone: &str, precision: &str) -> Option<ReportedTimeInput> {
        Some(ReportedTimeInput {
            at: Some(at.into()),
            zone: Some(zone.into()),
            precision: Some(precision.into()),
            approximate: false,
        })
    }

    fn event(at: Option<ReportedTimeInput>, kind: &str, text: &str) -> TimelineEventInput {
        TimelineEventInput { at, kind: Some(kind.into()), text: text.into() }
    }

    fn incident() -> IncidentFields {
        IncidentInput {
            title: "Writes blocked".into(),
            started_at: time("2013-05-20T23:30:00-07:00", "PDT", "minute"),
            detected_at: time("2013-05-20T23:40:00-07:00", "PDT", "minute"),
            resolved_at: time("2013-05-21T02:13:00-07:00", "PDT", "minute"),
            timeline: vec![
                event(None, "note", "Disk had been slow for a week"),
                event(time("2013-05-20T23:30:00-07:00", "PDT", "minute"), "trigger", "Primary degraded"),
                event(time("2013-05-21T06:40:00Z", "UTC", "minute"), "detection", "Alert fired"),
                event(time("2013-05-21T01:00:00-07:00", "PDT", "hour"), "action", "Moved the database"),
                event(time("2013-05-21T02:13:00-07:00", "PDT", "minute"), "resolution", "Writes flowed again"),
                event(time("2013-05-24", "UTC", "day"), "communication", "Published the report <script>x</script>"),
            ],
            ..Default::default()
        }
        .validate()
        .unwrap()
    }

    /// The DNSimple partial outage, written out of order across the change
    /// to daylight saving time on 10 Mar 2013.
    fn across_daylight_saving() -> IncidentFields {
        IncidentInput {
            title: "Partial DNS outage".into(),
            zone: Some("America/Los_Angeles".into()),
            detected_at: time("2013-03-08T12:05:00-08:00", "PST", "minute"),
            mitigated_at: time("2013-03-11T13:00:00-07:00", "PDT", "minute"),
            timeline: vec![
                event(time("2013-03-08T12:05:00-08:00", "PST", "minute"), "detection", "Tweets about failures"),
                event(time("2013-03-09T10:00:00-08:00", "PST", "minute"), "note", "New Relic suggests Google"),
                event(time("2013-03-08T23:59:00Z", "UTC", "minute"), "communication", "First post"),
                event(None, "note", "More spikes over the weekend"),
                event(time("2013-03-09T22:00:00Z", "UTC", "minute"), "note", "Yahoo spike"),
                event(time("2013-03-11T13:00:00-07:00", "PDT", "minute"), "mitigation", "Ranges whitelisted"),
            ],
            ..Default::default()
        }
        .validate()
        .unwrap()
    }

    #[test]
    fn key_moments_are_placed_among_the_events() {
        let view = build(&incident());
        let labels: Vec<&str> = view.rows.iter().map(|row| row.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Note",
                "Impact started",
                "Trigger",
                "Detected",
                "Detection",
                "Action",
                "Resolved",
                "Resolution",
                "Communication"
            ]
        );
        assert!(view.rows[0].placed_as_written);
        assert!(!view.reordered);
    }

    #[test]
    fn events_are_shown_in_time_order_and_untimed_ones_keep_their_place() {
        let view = build(&across_daylight_saving());
        let texts: Vec<&str> = view.rows.iter().filter(|r| !r.is_phase).map(|r| r.text_html.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Tweets about failures",
                "First post",
                "New Relic suggests Google",
                "More spikes over the weekend",
                "Yahoo spike",
                "Ranges whitelisted"
            ]
        );
        assert!(view.reordered);
        let days: Vec<&str> = view.rows.iter().filter_map(|row| row.day_heading.as_deref()).collect();
        assert_eq!(days, ["Fri 8 Mar 2013", "Sat 9 Mar 2013", "Mon 11 Mar 2013"], "one heading per day");
        let at = |day: i64, at: Option<i64>| Some(SortKey { day, at });
        let keys = [at(0, Some(3)), None, at(0, Some(1)), at(0, Some(1)), None, at(0, Some(2))];
        assert_eq!(time_order(&keys), [2, 1, 3, 5, 4, 0]);
        // Within a day, a date written alone keeps its place among the
        // events with a clock; the days themselves go in order.
        let keys = [at(1, Some(10)), at(0, None), at(1, None), at(1, Some(5)), at(0, Some(7))];
        assert_eq!(time_order(&keys), [1, 4, 3, 2, 0]);
    }

    #[test]
    fn times_across_daylight_saving_carry_the_abbreviation_in_force() {
        let view = build(&across_daylight_saving());
        let row = |text: &str| view.rows.iter().find(|r| r.text_html == text).unwrap();
        assert_eq!(row("Tweets about failures").local_time, "12:05 PST");
        assert_eq!(row("Tweets about failures").utc_time.as_deref(), Some("20:05 UTC"));
        assert_eq!(row("First post").local_time, "15:59 PST");
        assert_eq!(row("Ranges whitelisted").local_time, "13:00 PDT");
        assert_eq!(row("Ranges whitelisted").utc_time.as_deref(), Some("20:00 UTC"));
        assert_eq!(row("Yahoo spike").local_time, "14:00 PST");
        assert_eq!(view.zone, "America/Los_Angeles");
        assert_eq!(
            view.zone_note,
            "Times are in America/Los_Angeles: PST (UTC−08:00), then PDT (UTC−07:00) from 10 Mar 2013; UTC beside."
        );
        let strip = view.strip_svg.unwrap();
        assert!(strip.contains("8 Mar 2013 12:05 PST") && strip.contains("11 Mar 2013 13:00 PDT"), "{strip}");
    }

    #[test]
    fn rows_are_grouped_by_day_in_the_home_zone_with_utc_and_its_date_beside() {
        let view = build(&incident());
        assert_eq!(view.zone, "America/Los_Angeles");
        let detection = view.rows.iter().find(|row| row.label == "Detection").unwrap();
        assert_eq!(detection.local_time, "23:40 PDT", "a UTC-reported event is shown in the home zone");
        assert_eq!(detection.utc_time.as_deref(), Some("06:40 UTC, Tue 21 May"));
        let days: Vec<&str> = view.rows.iter().filter_map(|row| row.day_heading.as_deref()).collect();
        assert_eq!(days, ["Mon 20 May 2013", "Tue 21 May 2013", "Fri 24 May 2013"]);
    }

    #[test]
    fn gaps_and_precision_are_stated() {
        let view = build(&incident());
        let row = |label: &str| view.rows.iter().find(|row| row.label == label).unwrap();
        assert_eq!(row("Detected").gap.as_deref(), Some("10 min later"));
        assert_eq!(row("Action").gap.as_deref(), Some("about 1 h 20 min later"));
        assert_eq!(row("Action").local_time, "about 01:00 PDT");
        assert_eq!(row("Action").precision_note, None, "its time says about");
        assert_eq!(row("Note").precision_note.as_deref(), Some("no time given"));
        assert_eq!(row("Note").gap, None);
        assert_eq!(row("Communication").precision_note.as_deref(), Some("date only"));
        assert_eq!(row("Detected").text_html, "10 min after impact started");
        assert!(!row("Communication").text_html.contains("<script"), "event text is sanitised");
    }

    #[test]
    fn coordinates_are_written_to_a_tenth() {
        for value in [0.0, 0.06, 1.25, 7.0, 40.0, 82.56, 959.99, -0.3, -12.0, -5.44, 433.333] {
            assert_eq!(Tenths(value).to_string(), format!("{value:.1}"), "{value}");
        }
        // On a half, to even, from the value times ten.
        assert_eq!((Tenths(0.05).to_string(), Tenths(0.15).to_string()), ("0.0".into(), "0.2".into()));
        // The star's corners, as computed from its angles.
        for (i, (x, y)) in (0..10).zip(STAR) {
            let angle = std::f64::consts::PI * f64::from(i) / 5.0 - std::f64::consts::FRAC_PI_2;
            let radius = if i % 2 == 0 { 1.0 } else { 0.45 };
            assert!((radius * angle.cos() - x).abs() < 1e-5 && (radius * angle.sin() - y).abs() < 1e-5, "{i}");
        }
    }

    #[test]
    fn every_kind_has_its_own_shape() {
        let shapes: Vec<String> =
            EventKind::ALL.iter().map(|kind| shape(ShapeOf::Event(*kind), 8.0, 8.0, 7.0)).collect();
        for (index, one) in shapes.iter().enumerate() {
            assert!(shapes[index + 1..].iter().all(|other| other != one), "{one} is used twice");
        }
        // A row's icon is its kind's, drawn once for all rows.
        let view = build(&incident());
        for row in &view.rows {
            let expected = match row.class.strip_prefix("kind-").and_then(EventKind::parse) {
                Some(kind) if !row.is_phase => icon_of(ShapeOf::Event(kind)),
                _ => icon_of(ShapeOf::Phase),
            };
            assert_eq!(row.icon_svg(), expected, "{}", row.label);
        }
        assert!(view.rows.iter().any(|row| row.is_phase) && view.rows.iter().any(|row| !row.is_phase));
    }

    const HOUR: i64 = 3_600;
    const DAY: i64 = 86_400;

    fn cuts(scale: &Scale) -> Vec<i64> {
        scale.compressed.iter().map(|(.., seconds)| *seconds).collect()
    }

    #[test]
    fn the_strip_is_proportional_within_the_impact_window() {
        // A 12-hour incident with a 10-minute detection and a report a day
        // and a half later: the incident keeps its scale, the wait is cut.
        let scale = Scale::new(vec![0, 600, 12 * HOUR, 46 * HOUR], Some((0, 12 * HOUR)), STRIP_WIDTH).unwrap();
        assert_eq!(cuts(&scale), [34 * HOUR]);
        let inside = scale.x(12 * HOUR) - scale.x(0);
        let detection = scale.x(600) - scale.x(0);
        assert!((inside / detection - 72.0).abs() < 0.1, "inside the window everything is to scale");
        assert_eq!(scale.x(46 * HOUR), STRIP_WIDTH - STRIP_MARGIN);
        let outside = scale.x(46 * HOUR) - scale.x(12 * HOUR);
        assert!(outside < inside / 5.0, "the wait is drawn short: {outside} against {inside}");
    }

    #[test]
    fn a_long_gap_is_cut_wherever_it_falls() {
        let window = Some((10 * DAY, 10 * DAY + 2 * HOUR));
        // Before the key moments: a change made ten days earlier.
        let before = Scale::new(vec![0, 10 * DAY, 10 * DAY + HOUR, 10 * DAY + 2 * HOUR], window, STRIP_WIDTH).unwrap();
        assert_eq!(cuts(&before), [10 * DAY]);
        // After them: the ALIAS report, whose write-up came four days later.
        let after =
            Scale::new(vec![10 * DAY, 10 * DAY + 2 * HOUR, 14 * DAY], Some((10 * DAY, 10 * DAY)), STRIP_WIDTH).unwrap();
        assert_eq!(cuts(&after), [4 * DAY - 2 * HOUR]);
        assert!(after.x(10 * DAY + 2 * HOUR) > STRIP_WIDTH * 0.6, "the incident fills most of the strip");
        // Between two clusters with no key moments at all.
        let between = Scale::new(vec![0, 600, 1_200, 3 * DAY, 3 * DAY + 600], None, STRIP_WIDTH).unwrap();
        assert_eq!(cuts(&between), [3 * DAY - 1_200]);
        // Three clusters: both long gaps cut, the short ones left alone.
        let three =
            Scale::new(vec![0, 600, 2 * DAY, 2 * DAY + 600, 5 * DAY, 5 * DAY + 300], None, STRIP_WIDTH).unwrap();
        assert_eq!(cuts(&three), [2 * DAY - 600, 3 * DAY - 600]);
        // A pasted evening: the cluster of the first hour keeps its scale.
        let minutes = [0, 5, 30, 75, 690, 3_690].map(|m| m * 60).to_vec();
        let evening = Scale::new(minutes, None, STRIP_WIDTH).unwrap();
        assert_eq!(cuts(&evening), [615 * 60, 3_000 * 60]);
        // Even gaps are never cut.
        let even = Scale::new(vec![0, HOUR, 2 * HOUR, 3 * HOUR], None, STRIP_WIDTH).unwrap();
        assert!(cuts(&even).is_empty());
        // A gap inside the impact window is never cut, however long.
        let long_window = Scale::new(vec![0, 60, 3 * DAY], Some((0, 3 * DAY)), STRIP_WIDTH).unwrap();
        assert!(cuts(&long_window).is_empty());
    }

    #[test]
    fn the_strip_draws_for_wide_screens_and_phones() {
        let view = build(&incident());
        let svg = view.strip_svg.unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("not drawn to scale"));
        assert!(svg.contains(r##"href="#event-2""##));
        assert!(!svg.contains("<script"), "{svg}");
        let narrow = view.strip_narrow_svg.unwrap();
        assert!(narrow.contains(r#"viewBox="0 0 420 92""#) && narrow.contains(r#"id="strip-narrow-title""#));
        assert!(narrow.contains(">20 May 23:30 PDT<"), "short labels on a phone: {narrow}");
    }

    #[test]
    fn no_strip_without_two_timed_points() {
        let fields = IncidentInput {
            title: "Undated".into(),
            timeline: vec![event(None, "note", "Something happened")],
            ..Default::default()
        }
        .validate()
        .unwrap();
        let view = build(&fields);
        assert!(view.strip_svg.is_none() && view.strip_narrow_svg.is_none());
        assert_eq!(view.zone, "UTC");
        assert_eq!(view.rows.len(), 1);
    }
}
