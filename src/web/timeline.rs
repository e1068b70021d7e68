//! The timeline view of one incident: its events and key moments in order,
//! grouped by day in the incident's own zone with UTC beside, with the gaps
//! between them, and a proportional overview strip drawn as inline SVG.
//! Everything here is computed on the server; the page needs no script.

use std::fmt::Write;

use time::UtcOffset;

use super::format;
use crate::domain::durations::elapsed;
use crate::domain::{EventKind, IncidentFields, Precision, ReportedTime};
use crate::markdown;

/// One line of the timeline: an event, or a key moment of the incident.
#[derive(Debug, Clone)]
pub struct TimelineRow {
    /// "Mon 20 May 2013" when this row starts a new day.
    pub day_heading: Option<String>,
    /// "2 h 43 min later", from the previous timed row.
    pub gap: Option<String>,
    pub is_phase: bool,
    /// CSS class for colour and shape: `kind-trigger`, `phase-detected`…
    pub class: String,
    /// What the row is, in words: "Trigger", "Detected".
    pub label: String,
    pub icon_svg: String,
    /// The time in the incident's zone: "11:40", "about 11:00", or empty.
    pub local_time: String,
    /// The same instant in UTC, when the incident's zone is not UTC.
    pub utc_time: Option<String>,
    /// "approximate", "date only", "time unknown", or nothing.
    pub precision_note: Option<&'static str>,
    pub text_html: String,
    pub anchor: String,
}

#[derive(Debug, Clone)]
pub struct TimelineView {
    /// The zone label times are shown in.
    pub zone: String,
    pub rows: Vec<TimelineRow>,
    /// The overview strip, when there are at least two distinct timed points.
    pub strip_svg: Option<String>,
}

const PHASES: [(&str, &str); 4] =
    [("started", "Impact started"), ("detected", "Detected"), ("mitigated", "Mitigated"), ("resolved", "Resolved")];

/// What each row is before it is laid out.
enum Entry<'a> {
    Event { index: usize, kind: EventKind, at: Option<&'a ReportedTime>, text: &'a str },
    Phase { name: &'static str, label: &'static str, at: &'a ReportedTime },
}

impl Entry<'_> {
    fn time(&self) -> Option<&ReportedTime> {
        match self {
            Entry::Event { at, .. } => *at,
            Entry::Phase { at, .. } => Some(at),
        }
    }

    /// A time good enough to place the row and measure gaps.
    fn placed_time(&self) -> Option<&ReportedTime> {
        self.time().filter(|t| t.precision != Precision::Unknown)
    }
}

pub fn build(fields: &IncidentFields) -> TimelineView {
    let (zone, offset) = incident_zone(fields);
    let entries = merge(fields);
    let mut rows = Vec::with_capacity(entries.len());
    let mut previous: Option<&ReportedTime> = None;
    let mut previous_day: Option<String> = None;
    for entry in &entries {
        let time = entry.time();
        let placed = entry.placed_time();
        // A date is shown as reported: moving midnight to another zone would
        // change the day.
        let local = placed.map(|t| if t.precision == Precision::Day { t.at } else { format::in_offset(t.at, offset) });
        let day_heading = match local {
            Some(local) => {
                let day = format::day(local);
                (previous_day.as_ref() != Some(&day)).then(|| {
                    previous_day = Some(day.clone());
                    day
                })
            }
            None => None,
        };
        let gap = match (previous, placed) {
            (Some(before), Some(now)) => {
                elapsed(before, now).filter(|e| e.seconds >= 60).map(|e| format!("{} later", format::elapsed(&e)))
            }
            _ => None,
        };
        if placed.is_some() {
            previous = placed;
        }
        let precision = time.map(|t| t.precision);
        let local_time = match (local, precision) {
            (Some(local), Some(Precision::Minute)) => format::clock(local),
            (Some(local), Some(Precision::Hour)) => format!("about {}", format::clock(local)),
            _ => String::new(),
        };
        let utc_time = match (placed, precision) {
            (Some(t), Some(Precision::Minute | Precision::Hour)) if offset != UtcOffset::UTC => {
                Some(format!("{} UTC", format::clock(t.at.to_offset(UtcOffset::UTC))))
            }
            _ => None,
        };
        let precision_note = match precision {
            Some(Precision::Minute) => None,
            Some(Precision::Hour) => Some("approximate"),
            Some(Precision::Day) => Some("date only"),
            Some(Precision::Unknown) | None => Some("time unknown"),
        };
        rows.push(match entry {
            Entry::Event { index, kind, text, .. } => TimelineRow {
                day_heading,
                gap,
                is_phase: false,
                class: format!("kind-{}", kind.as_str()),
                label: kind_label(*kind).to_string(),
                icon_svg: icon(&shape(ShapeOf::Event(*kind), 8.0, 8.0, 7.0), 16),
                local_time,
                utc_time,
                precision_note,
                text_html: markdown::render_inline(text),
                anchor: format!("event-{}", index + 1),
            },
            Entry::Phase { name, label, .. } => TimelineRow {
                day_heading,
                gap,
                is_phase: true,
                class: format!("phase-{name}"),
                label: label.to_string(),
                icon_svg: icon(&shape(ShapeOf::Phase, 8.0, 8.0, 7.0), 16),
                local_time,
                utc_time,
                precision_note,
                text_html: phase_text(fields, name),
                anchor: format!("phase-{name}"),
            },
        });
    }
    let strip_svg = strip(&entries, &zone, offset);
    TimelineView { zone, rows, strip_svg }
}

/// The zone of the first key moment or timed event; UTC when none.
fn incident_zone(fields: &IncidentFields) -> (String, UtcOffset) {
    [&fields.started_at, &fields.detected_at, &fields.mitigated_at, &fields.resolved_at]
        .into_iter()
        .flatten()
        .chain(fields.timeline.iter().filter_map(|event| event.at.as_ref()))
        .find(|t| t.precision != Precision::Unknown)
        .map(|t| (t.zone.clone(), t.at.offset()))
        .unwrap_or_else(|| ("UTC".to_string(), UtcOffset::UTC))
}

/// Events in their stored order, with each key moment placed before the
/// first timed event that comes after it.
fn merge(fields: &IncidentFields) -> Vec<Entry<'_>> {
    let moments = [&fields.started_at, &fields.detected_at, &fields.mitigated_at, &fields.resolved_at];
    let mut phases: Vec<Entry<'_>> = PHASES
        .iter()
        .zip(moments)
        .filter_map(|((name, label), at)| at.as_ref().map(|at| Entry::Phase { name, label, at }))
        .collect();
    phases.sort_by_key(|phase| phase.time().map(ReportedTime::unix_seconds));
    let mut phases = phases.into_iter().peekable();
    let mut entries = Vec::new();
    for (index, event) in fields.timeline.iter().enumerate() {
        let entry = Entry::Event { index, kind: event.kind, at: event.at.as_ref(), text: &event.text };
        if let Some(at) = entry.placed_time().map(ReportedTime::unix_seconds) {
            while let Some(phase) = phases.next_if(|p| p.time().is_some_and(|t| t.unix_seconds() <= at)) {
                entries.push(phase);
            }
        }
        entries.push(entry);
    }
    entries.extend(phases);
    entries
}

fn phase_text(fields: &IncidentFields, name: &str) -> String {
    let durations = fields.durations();
    let since_start = match name {
        "detected" => durations.time_to_detect,
        "mitigated" => durations.time_to_mitigate,
        "resolved" => durations.time_to_resolve,
        _ => None,
    };
    match since_start {
        Some(e) => format!("{} after impact started", format::elapsed(&e)),
        None if name == "started" => "Impact began".to_string(),
        None => String::new(),
    }
}

pub fn kind_label(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Trigger => "Trigger",
        EventKind::Detection => "Detection",
        EventKind::Escalation => "Escalation",
        EventKind::Action => "Action",
        EventKind::Mitigation => "Mitigation",
        EventKind::Resolution => "Resolution",
        EventKind::Communication => "Communication",
        EventKind::Note => "Note",
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
    let points = |corners: &[(f64, f64)]| {
        corners.iter().map(|(dx, dy)| format!("{:.1},{:.1}", x + dx * r, y + dy * r)).collect::<Vec<_>>().join(" ")
    };
    match of {
        ShapeOf::Event(EventKind::Trigger) => {
            format!(r#"<polygon points="{}"/>"#, points(&[(0.0, -1.0), (1.0, 0.8), (-1.0, 0.8)]))
        }
        ShapeOf::Event(EventKind::Detection) => format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="{:.1}"/>"#, r * 0.9),
        ShapeOf::Event(EventKind::Escalation) => {
            format!(r#"<polygon points="{}"/>"#, points(&[(-1.0, -0.8), (1.0, -0.8), (0.0, 1.0)]))
        }
        ShapeOf::Event(EventKind::Action) => {
            format!(
                r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}"/>"#,
                x - r * 0.8,
                y - r * 0.8,
                r * 1.6,
                r * 1.6
            )
        }
        ShapeOf::Event(EventKind::Mitigation) => {
            format!(r#"<polygon points="{}"/>"#, points(&[(0.0, -1.0), (1.0, 0.0), (0.0, 1.0), (-1.0, 0.0)]))
        }
        ShapeOf::Event(EventKind::Resolution) => {
            let star: Vec<(f64, f64)> = (0..10)
                .map(|i| {
                    let angle = std::f64::consts::PI * f64::from(i) / 5.0 - std::f64::consts::FRAC_PI_2;
                    let radius = if i % 2 == 0 { 1.0 } else { 0.45 };
                    (radius * angle.cos(), radius * angle.sin())
                })
                .collect();
            format!(r#"<polygon points="{}"/>"#, points(&star))
        }
        ShapeOf::Event(EventKind::Communication) => format!(
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="{:.1}"/>"#,
            x - r,
            y - r * 0.6,
            r * 2.0,
            r * 1.2,
            r * 0.5
        ),
        ShapeOf::Event(EventKind::Note) => {
            format!(
                r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}"/>"#,
                x - r * 0.9,
                y - r * 0.25,
                r * 1.8,
                r * 0.5
            )
        }
        ShapeOf::Phase => {
            format!(
                r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}"/>"#,
                x - r * 0.25,
                y - r,
                r * 0.5,
                r * 2.0
            )
        }
    }
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
        .map(|kind| {
            (
                format!("kind-{}", kind.as_str()),
                kind_label(*kind),
                icon(&shape(ShapeOf::Event(*kind), 8.0, 8.0, 7.0), 16),
            )
        })
        .collect()
}

const STRIP_WIDTH: f64 = 1000.0;
const STRIP_MARGIN: f64 = 40.0;
const AXIS_Y: f64 = 46.0;
/// Without key moments, a gap longer than this many median gaps is drawn
/// compressed.
const COMPRESS_FACTOR: i64 = 4;
/// With key moments, a gap outside the impact window is drawn at most this
/// fraction of the window.
const OUTSIDE_FRACTION: i64 = 4;
const MIN_CAP_SECONDS: i64 = 3 * 60;

/// Positions along the strip, proportional to time, with long gaps cut
/// down to a cap and remembered so they can be marked as compressed.
struct Scale {
    instants: Vec<i64>,
    positions: Vec<f64>,
    /// (x where the cut starts, x where it ends, real seconds).
    compressed: Vec<(f64, f64, i64)>,
}

impl Scale {
    /// `impact` is the span from the first to the last key moment: gaps
    /// inside it are always drawn to scale, so the incident itself reads
    /// true, and long lead-ins and follow-ups are cut short.
    fn new(mut instants: Vec<i64>, impact: Option<(i64, i64)>) -> Option<Scale> {
        instants.sort_unstable();
        instants.dedup();
        if instants.len() < 2 {
            return None;
        }
        let gaps: Vec<i64> = instants.windows(2).map(|pair| pair[1] - pair[0]).collect();
        let drawn: Vec<i64> = match impact.filter(|(from, to)| to > from) {
            Some((from, to)) => {
                let cap = ((to - from) / OUTSIDE_FRACTION).max(MIN_CAP_SECONDS);
                instants
                    .windows(2)
                    .zip(&gaps)
                    .map(|(pair, gap)| if pair[0] >= from && pair[1] <= to { *gap } else { (*gap).min(cap) })
                    .collect()
            }
            None => {
                let mut sorted = gaps.clone();
                sorted.sort_unstable();
                let cap = (sorted[sorted.len() / 2] * COMPRESS_FACTOR).max(MIN_CAP_SECONDS);
                gaps.iter().map(|gap| (*gap).min(cap)).collect()
            }
        };
        let total: i64 = drawn.iter().sum::<i64>().max(1);
        let usable = STRIP_WIDTH - 2.0 * STRIP_MARGIN;
        let mut positions = vec![STRIP_MARGIN];
        let mut compressed = Vec::new();
        let mut run = 0;
        for (gap, drawn_gap) in gaps.iter().zip(&drawn) {
            let start = STRIP_MARGIN + usable * run as f64 / total as f64;
            run += drawn_gap;
            let end = STRIP_MARGIN + usable * run as f64 / total as f64;
            if gap > drawn_gap {
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

fn strip(entries: &[Entry<'_>], zone: &str, offset: UtcOffset) -> Option<String> {
    let placed: Vec<(&Entry<'_>, &ReportedTime)> =
        entries.iter().filter_map(|entry| entry.placed_time().map(|t| (entry, t))).collect();
    let phase_instants: Vec<i64> = placed
        .iter()
        .filter(|(entry, _)| matches!(entry, Entry::Phase { .. }))
        .map(|(_, t)| t.unix_seconds())
        .collect();
    let impact = phase_instants.iter().min().zip(phase_instants.iter().max()).map(|(a, b)| (*a, *b));
    let scale = Scale::new(placed.iter().map(|(_, t)| t.unix_seconds()).collect(), impact)?;
    let first = placed.iter().map(|(_, t)| *t).min_by_key(|t| t.unix_seconds())?;
    let last = placed.iter().map(|(_, t)| *t).max_by_key(|t| t.unix_seconds())?;
    let label = |t: &ReportedTime| {
        if t.precision == Precision::Day {
            return format::date(t.at);
        }
        let local = format::in_offset(t.at, offset);
        format!("{} {} {zone}", format::date(local), format::clock(local))
    };
    let events = placed.iter().filter(|(entry, _)| matches!(entry, Entry::Event { .. })).count();

    let mut svg = String::new();
    let description = format!(
        "From {} to {}: {events} timed events{}.",
        label(first),
        label(last),
        match scale.compressed.len() {
            0 => String::new(),
            n => format!(", with {n} long gap{} drawn shorter than scale", if n == 1 { "" } else { "s" }),
        }
    );
    let _ = write!(
        svg,
        r#"<svg class="strip" viewBox="0 0 {STRIP_WIDTH} 92" role="group" aria-labelledby="strip-title strip-desc"><title id="strip-title">Overview of the timeline</title><desc id="strip-desc">{}</desc>"#,
        escape(&description)
    );
    // Phase bands between consecutive key moments.
    let phase_points: Vec<(&str, f64)> = placed
        .iter()
        .filter_map(|(entry, t)| match entry {
            Entry::Phase { name, .. } => Some((*name, scale.x(t.unix_seconds()))),
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
        STRIP_WIDTH - STRIP_MARGIN
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
    for (entry, t) in &placed {
        let x = scale.x(t.unix_seconds());
        match entry {
            Entry::Phase { name, label: phase_label, .. } => {
                let _ = write!(
                    svg,
                    r##"<a href="#phase-{name}" class="phase-{name}"><title>{}: {}</title><line class="phase-line" x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}"/></a>"##,
                    escape(phase_label),
                    escape(&format::reported(t)),
                    AXIS_Y - 20.0,
                    AXIS_Y + 20.0
                );
            }
            Entry::Event { index, kind, text, .. } => {
                // Markers closer than their own size step up and down.
                lift = if x - previous_x < 10.0 {
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
                    escape(&format::reported(t)),
                    kind_label(*kind),
                    escape(&summary),
                    shape(ShapeOf::Event(*kind), x, AXIS_Y + lift, 6.0)
                );
            }
        }
    }
    let _ = write!(
        svg,
        r#"<text class="tick" x="{STRIP_MARGIN}" y="84">{}</text><text class="tick end" x="{:.1}" y="84">{}</text></svg>"#,
        escape(&label(first)),
        STRIP_WIDTH - STRIP_MARGIN,
        escape(&label(last))
    );
    Some(svg)
}

/// Escapes text for SVG and HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::incident::TimelineEventInput;
    use crate::domain::{IncidentInput, ReportedTimeInput};

    fn time(at: &str, zone: &str, precision: &str) -> Option<ReportedTimeInput> {
        Some(ReportedTimeInput { at: Some(at.into()), zone: Some(zone.into()), precision: Some(precision.into()) })
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
    }

    #[test]
    fn rows_are_grouped_by_day_in_the_incidents_zone_with_utc_beside() {
        let view = build(&incident());
        assert_eq!(view.zone, "PDT");
        let detection = view.rows.iter().find(|row| row.label == "Detection").unwrap();
        assert_eq!(detection.local_time, "23:40", "a UTC-reported event is shown in PDT");
        assert_eq!(detection.utc_time.as_deref(), Some("06:40 UTC"));
        let days: Vec<&str> = view.rows.iter().filter_map(|row| row.day_heading.as_deref()).collect();
        assert_eq!(days, ["Mon 20 May 2013", "Tue 21 May 2013", "Fri 24 May 2013"]);
    }

    #[test]
    fn gaps_and_precision_are_stated() {
        let view = build(&incident());
        let row = |label: &str| view.rows.iter().find(|row| row.label == label).unwrap();
        assert_eq!(row("Detected").gap.as_deref(), Some("10 min later"));
        assert_eq!(row("Action").gap.as_deref(), Some("about 1 h 20 min later"));
        assert_eq!(row("Action").local_time, "about 01:00");
        assert_eq!(row("Action").precision_note, Some("approximate"));
        assert_eq!(row("Note").precision_note, Some("time unknown"));
        assert_eq!(row("Note").gap, None);
        assert_eq!(row("Communication").precision_note, Some("date only"));
        assert_eq!(row("Detected").text_html, "10 min after impact started");
        assert!(!row("Communication").text_html.contains("<script"), "event text is sanitised");
    }

    #[test]
    fn every_kind_has_its_own_shape() {
        let shapes: Vec<String> =
            EventKind::ALL.iter().map(|kind| shape(ShapeOf::Event(*kind), 8.0, 8.0, 7.0)).collect();
        for (index, one) in shapes.iter().enumerate() {
            assert!(shapes[index + 1..].iter().all(|other| other != one), "{one} is used twice");
        }
    }

    #[test]
    fn the_strip_is_proportional_and_marks_compressed_gaps() {
        let scale = Scale::new(vec![0, 240, 720, 3 * 86_400], None).unwrap();
        let (a, b, c) = (scale.x(0), scale.x(240), scale.x(720));
        assert!(((b - a) * 2.0 - (c - b)).abs() < 0.01, "4 and 8 minutes are drawn 1:2");
        assert_eq!(scale.compressed.len(), 1, "the 3-day gap is cut");
        assert_eq!(scale.x(3 * 86_400), STRIP_WIDTH - STRIP_MARGIN);

        // A 12-hour incident with a 10-minute detection and a report published
        // a day and a half later: the incident keeps its scale, the wait is cut.
        let hour = 3_600;
        let scale = Scale::new(vec![0, 600, 12 * hour, 46 * hour], Some((0, 12 * hour))).unwrap();
        assert_eq!(scale.compressed.len(), 1);
        let inside = scale.x(12 * hour) - scale.x(0);
        let outside = scale.x(46 * hour) - scale.x(12 * hour);
        assert!((inside / outside - 4.0).abs() < 0.01, "the follow-up is drawn a quarter of the incident");
        let detection = scale.x(600) - scale.x(0);
        assert!((inside / detection - 72.0).abs() < 0.1, "inside the window everything is to scale");
        let svg = build(&incident()).strip_svg.unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("not drawn to scale"));
        assert!(svg.contains(r##"href="#event-2""##));
        assert!(!svg.contains("<script"), "{svg}");
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
        assert!(view.strip_svg.is_none());
        assert_eq!(view.zone, "UTC");
        assert_eq!(view.rows.len(), 1);
    }
}
