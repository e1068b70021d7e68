//! The report form as the browser posts it: every field of SPEC §2 as the
//! text the writer typed, with the repeating rows (timeline, factors,
//! actions, related) named `timeline[2].text` and so on. It converts to an
//! `IncidentInput` for the same validation the API uses, and back from a
//! stored report; what the writer typed is never thrown away, even when it
//! does not validate. The buttons that add, remove, move and paste rows
//! post the form back here, so all of it works without JavaScript.

use std::collections::{BTreeMap, HashMap};

use super::labels::{self, Choice};
use crate::domain::incident::{ActionInput, CompletionInput, FactorInput, RelatedInput, TimelineEventInput};
use crate::domain::key_moment::each_moment;
use crate::domain::learning::{each_learning, Learning};
use crate::domain::reported_time::truncate_for_message;
use crate::domain::slug::validate_slug;
use crate::domain::timeline_paste;
use crate::domain::written_time::{format_written, parse_written, TimeDefaults, Written};
use crate::domain::zones;
use crate::domain::{
    ActionStatus, Detection, EachMoment, FactorCategory, IncidentFields, IncidentInput, KeyMoment, Precision,
    RelationKind, ReportedTime, Status, ValidationErrors,
};

/// At most this many rows of one kind are read from a post; validation
/// refuses more than the domain allows well before.
const MAX_POSTED_ROWS: usize = 2_000;

/// A time as typed, with the precision the writer chose (empty: implied).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimeField {
    pub text: String,
    pub precision: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventRow {
    pub at: TimeField,
    pub kind: String,
    pub text: String,
    /// Why a pasted line could not be read, or what was assumed about its
    /// time, until the writer saves or changes the time.
    pub flag: String,
    /// The time as it read when it was flagged: a flag about a time the
    /// writer has since changed no longer holds.
    pub flagged_at: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FactorRow {
    pub category: String,
    pub text: String,
    pub primary: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActionRow {
    pub text: String,
    pub owner: String,
    pub status: String,
    pub priority: String,
    pub due_on: String,
    pub tracker_url: String,
    pub completed_at: String,
    /// The contributing factors it addresses, by their row (0 is the first).
    pub addresses: Vec<usize>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RelatedRow {
    pub slug: String,
    pub kind: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportForm {
    pub title: String,
    pub slug: String,
    pub summary: String,
    pub body: String,
    pub impact: String,
    pub went_well: String,
    pub went_wrong: String,
    pub got_lucky: String,
    pub severity: String,
    pub organization: String,
    pub services: String,
    pub tags: String,
    pub detection: String,
    pub source_url: String,
    pub authors: String,
    pub started_at: TimeField,
    pub detected_at: TimeField,
    pub mitigated_at: TimeField,
    pub resolved_at: TimeField,
    /// The report's home zone (`America/Los_Angeles`); empty, the zone of
    /// the first time written with one. Times written without a zone are
    /// read in it.
    pub zone: String,
    pub timeline: Vec<EventRow>,
    pub factors: Vec<FactorRow>,
    pub actions: Vec<ActionRow>,
    pub related: Vec<RelatedRow>,
    /// Lines waiting to be read into timeline rows.
    pub paste: String,
    /// What this change was, for the history.
    pub note: String,
    /// The version of the report this form started from, as posted; every
    /// post-back keeps it, so a save after someone else's is a conflict.
    pub version: Option<i64>,
    /// What the reader assumed about a key moment's or a completion time
    /// (`started_at`, `actions[0].completed_at`), shown beside it until the
    /// writer saves again. Timeline rows keep theirs in their flag.
    pub checks: BTreeMap<String, String>,
}

/// The repeating parts of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Timeline,
    Factors,
    Actions,
    Related,
}

impl Section {
    fn as_str(self) -> &'static str {
        match self {
            Section::Timeline => "timeline",
            Section::Factors => "factors",
            Section::Actions => "actions",
            Section::Related => "related",
        }
    }

    fn parse(text: &str) -> Option<Section> {
        match text {
            "timeline" => Some(Section::Timeline),
            "factors" => Some(Section::Factors),
            "actions" => Some(Section::Actions),
            "related" => Some(Section::Related),
            _ => None,
        }
    }
}

/// What a button on the form asked for, besides saving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowEdit {
    Add(Section),
    Remove(Section, usize),
    Up(Section, usize),
    Down(Section, usize),
    /// Put the timeline's rows in time order.
    SortByTime,
}

impl RowEdit {
    /// `add:timeline`, `remove:factors:2`, `up:actions:1`, `down:related:0`.
    pub fn parse(op: &str) -> Option<RowEdit> {
        if op == "sort:timeline" {
            return Some(RowEdit::SortByTime);
        }
        let mut parts = op.split(':');
        let verb = parts.next()?;
        let section = Section::parse(parts.next()?)?;
        let index = parts.next().map(str::parse::<usize>);
        match (verb, index) {
            ("add", None) => Some(RowEdit::Add(section)),
            ("remove", Some(Ok(index))) => Some(RowEdit::Remove(section, index)),
            ("up", Some(Ok(index))) => Some(RowEdit::Up(section, index)),
            ("down", Some(Ok(index))) => Some(RowEdit::Down(section, index)),
            _ => None,
        }
    }
}

/// The Google SRE-style sections a new report's narrative starts with. The
/// summary, impact, timeline, lessons learned, factors and actions have
/// fields of their own.
pub const SRE_TEMPLATE: &str = "## Background\n\n\
What the affected system does and what a reader needs to know to follow the rest.\n\n\
## Trigger and root causes\n\n\
What set the incident off, and the conditions that let it do harm.\n\n\
## Resolution\n\n\
What stopped the harm, and what brought everything back.\n\n\
## Detection\n\n\
How we found out, and how we could have found out sooner.\n\n\
## Supporting information\n\n\
Graphs, logs and links.\n";

/// What of the template a narrative still holds: its prompts left as they
/// were, and headings with nothing under them, each said for the writer
/// ("the prompt under “Detection”", "“Detection” has nothing under it").
pub fn template_leftovers(body: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut heading = "";
    for line in SRE_TEMPLATE.lines() {
        if let Some(title) = line.strip_prefix('#') {
            heading = title.trim_start_matches('#').trim();
        } else if !line.trim().is_empty() && body.contains(line.trim()) {
            found.push(format!("the template's prompt under “{heading}” is still there"));
        }
    }
    // Headings only: not `#` lines inside a fenced block, nor `#hashtags`.
    let mut fenced = false;
    let lines: Vec<&str> = body
        .lines()
        .map(str::trim)
        .filter(|line| {
            if line.starts_with("```") || line.starts_with("~~~") {
                fenced = !fenced;
                return false;
            }
            !fenced && !line.is_empty()
        })
        .collect();
    let level = |line: &str| {
        let depth = line.chars().take_while(|c| *c == '#').count();
        ((1..=6).contains(&depth) && line[depth..].starts_with(' ')).then_some(depth)
    };
    for (index, line) in lines.iter().enumerate() {
        if let Some(depth) = level(line) {
            let next = lines.get(index + 1).map(|next| level(next));
            let empty = match next {
                None => true,
                Some(Some(next_depth)) => next_depth <= depth,
                Some(None) => false,
            };
            if empty {
                found.push(format!("“{}” has nothing under it", line.trim_start_matches('#').trim()));
            }
        }
    }
    found
}

fn list_text(values: &[String]) -> String {
    values.join(", ")
}

/// Services and tags are typed in one field, separated by commas (a label
/// has none); authors are one per line, as a name may hold a comma.
fn split_list(text: &str) -> Vec<String> {
    text.split([',', '\n']).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string).collect()
}

fn opt(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

impl TimeField {
    fn from_time(time: Option<&ReportedTime>, home: &str) -> TimeField {
        match time {
            None => TimeField::default(),
            Some(time) => {
                TimeField { text: format_written(time, Some(home)), precision: time.precision.as_str().to_string() }
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.text.trim().is_empty()
    }

    /// The time this field holds with what was assumed, or why it cannot be
    /// read.
    fn read(&self, defaults: &TimeDefaults) -> Result<Option<Written>, String> {
        if self.is_empty() {
            return Ok(None);
        }
        let precision = match self.precision.trim() {
            "" => None,
            text => Some(Precision::parse(text).ok_or_else(|| format!("`{text}` is not a precision"))?),
        };
        parse_written(&self.text, precision, defaults).map(Some)
    }
}

impl EventRow {
    fn is_blank(&self) -> bool {
        self.at.is_empty() && self.text.trim().is_empty()
    }
}

impl FactorRow {
    fn is_blank(&self) -> bool {
        self.category.trim().is_empty() && self.text.trim().is_empty()
    }
}

impl ActionRow {
    fn is_blank(&self) -> bool {
        [&self.text, &self.owner, &self.due_on, &self.tracker_url, &self.completed_at]
            .iter()
            .all(|value| value.trim().is_empty())
    }
}

impl RelatedRow {
    fn is_blank(&self) -> bool {
        self.slug.trim().is_empty()
    }
}

/// One value of a posted form, by name.
pub fn posted_value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs.iter().find(|(key, _)| key == name).map_or("", |(_, value)| value.as_str())
}

/// The row at `index`, made if new, unless `rows` already holds as many
/// rows as a post may make.
fn row_at<T: Default>(rows: &mut BTreeMap<usize, T>, index: usize) -> Option<&mut T> {
    if rows.len() >= MAX_POSTED_ROWS && !rows.contains_key(&index) {
        return None;
    }
    Some(rows.entry(index).or_default())
}

/// `timeline[3].text` → (`timeline`, 3, `text`).
fn row_name(name: &str) -> Option<(Section, usize, &str)> {
    let (section, rest) = name.split_once('[')?;
    let (index, field) = rest.split_once("].")?;
    let index: usize = index.parse().ok()?;
    Some((Section::parse(section)?, index, field))
}

impl ReportForm {
    /// A new report: the SRE-style narrative and one empty row of each kind
    /// to show where things go.
    pub fn from_template(blank: bool) -> ReportForm {
        ReportForm {
            body: if blank { String::new() } else { SRE_TEMPLATE.to_string() },
            detection: Detection::Unknown.as_str().to_string(),
            timeline: vec![EventRow::default()],
            factors: vec![FactorRow::default()],
            actions: vec![ActionRow { status: ActionStatus::Open.as_str().into(), ..Default::default() }],
            ..Default::default()
        }
    }

    /// The form for editing a stored report.
    pub fn from_fields(fields: &IncidentFields) -> ReportForm {
        let zone = fields.zone.as_str();
        let [started_at, detected_at, mitigated_at, resolved_at] =
            KeyMoment::ALL.map(|moment| TimeField::from_time(fields.moment(moment).as_ref(), zone));
        ReportForm {
            title: fields.title.clone(),
            slug: fields.slug.clone(),
            summary: fields.summary.clone(),
            body: fields.body.clone(),
            impact: fields.impact.clone(),
            went_well: fields.went_well.clone(),
            went_wrong: fields.went_wrong.clone(),
            got_lucky: fields.got_lucky.clone(),
            severity: fields.severity.map(|s| s.as_str().to_string()).unwrap_or_default(),
            organization: fields.organization.clone().unwrap_or_default(),
            services: list_text(&fields.services),
            tags: list_text(&fields.tags),
            detection: fields.detection.as_str().to_string(),
            source_url: fields.source_url.clone().unwrap_or_default(),
            authors: fields.authors.join("\n"),
            started_at,
            detected_at,
            mitigated_at,
            resolved_at,
            zone: zone.to_string(),
            timeline: fields
                .timeline
                .iter()
                .map(|event| EventRow {
                    at: TimeField::from_time(event.at.as_ref(), zone),
                    kind: event.kind.as_str().to_string(),
                    text: event.text.clone(),
                    flag: String::new(),
                    flagged_at: String::new(),
                })
                .collect(),
            factors: fields
                .factors
                .iter()
                .map(|factor| FactorRow {
                    category: factor.category.as_str().to_string(),
                    text: factor.text.clone(),
                    primary: factor.primary,
                })
                .collect(),
            actions: fields
                .actions
                .iter()
                .map(|action| ActionRow {
                    text: action.text.clone(),
                    owner: action.owner.clone().unwrap_or_default(),
                    status: action.status.as_str().to_string(),
                    priority: action.priority.map(|p| p.as_str().to_string()).unwrap_or_default(),
                    due_on: action.due_on.map(crate::domain::incident::format_date).unwrap_or_default(),
                    tracker_url: action.tracker_url.clone().unwrap_or_default(),
                    completed_at: action
                        .completed_at
                        .as_ref()
                        .map(|at| format_written(at, Some(zone)))
                        .unwrap_or_default(),
                    addresses: action.addresses.clone(),
                })
                .collect(),
            related: fields
                .related
                .iter()
                .map(|link| RelatedRow { slug: link.slug.clone(), kind: link.kind.as_str().to_string() })
                .collect(),
            paste: String::new(),
            note: String::new(),
            version: None,
            checks: BTreeMap::new(),
        }
    }

    /// Reads a posted form. Unknown names are ignored; rows keep the order
    /// of their indexes, gaps and all.
    pub fn from_pairs(pairs: &[(String, String)]) -> ReportForm {
        let mut form = ReportForm::default();
        let mut timeline: BTreeMap<usize, EventRow> = BTreeMap::new();
        let mut factors: BTreeMap<usize, FactorRow> = BTreeMap::new();
        let mut actions: BTreeMap<usize, ActionRow> = BTreeMap::new();
        let mut related: BTreeMap<usize, RelatedRow> = BTreeMap::new();
        for (name, value) in pairs {
            let value = value.clone();
            if let Some((section, index, field)) = row_name(name) {
                match section {
                    Section::Timeline => {
                        let Some(row) = row_at(&mut timeline, index) else { continue };
                        match field {
                            "at" => row.at.text = value,
                            "precision" => row.at.precision = value,
                            "kind" => row.kind = value,
                            "text" => row.text = value,
                            "flag" => row.flag = value,
                            "flagged_at" => row.flagged_at = value,
                            _ => {}
                        }
                    }
                    Section::Factors => {
                        let Some(row) = row_at(&mut factors, index) else { continue };
                        match field {
                            "category" => row.category = value,
                            "text" => row.text = value,
                            "primary" => row.primary = !value.is_empty(),
                            _ => {}
                        }
                    }
                    Section::Actions => {
                        let Some(row) = row_at(&mut actions, index) else { continue };
                        match field {
                            "text" => row.text = value,
                            "owner" => row.owner = value,
                            "status" => row.status = value,
                            "priority" => row.priority = value,
                            "due_on" => row.due_on = value,
                            "tracker_url" => row.tracker_url = value,
                            "completed_at" => row.completed_at = value,
                            "addresses" => {
                                let place = value.trim().parse::<usize>().ok().filter(|place| *place < MAX_POSTED_ROWS);
                                if let Some(place) = place.filter(|place| !row.addresses.contains(place)) {
                                    row.addresses.push(place);
                                }
                            }
                            _ => {}
                        }
                    }
                    Section::Related => {
                        let Some(row) = row_at(&mut related, index) else { continue };
                        match field {
                            "slug" => row.slug = value,
                            "kind" => row.kind = value,
                            _ => {}
                        }
                    }
                }
                continue;
            }
            if name == "version" {
                form.version = value.trim().parse().ok();
                continue;
            }
            if let Some((moment, part)) = KeyMoment::ALL.iter().find_map(|m| Some((*m, name.strip_prefix(m.field())?)))
            {
                match part {
                    "" => form.moment_mut(moment).text = value,
                    ".precision" => form.moment_mut(moment).precision = value,
                    _ => {}
                }
                continue;
            }
            let slot = match name.as_str() {
                "title" => &mut form.title,
                "slug" => &mut form.slug,
                "summary" => &mut form.summary,
                "body" => &mut form.body,
                "impact" => &mut form.impact,
                "went_well" => &mut form.went_well,
                "went_wrong" => &mut form.went_wrong,
                "got_lucky" => &mut form.got_lucky,
                "severity" => &mut form.severity,
                "organization" => &mut form.organization,
                "services" => &mut form.services,
                "tags" => &mut form.tags,
                "detection" => &mut form.detection,
                "source_url" => &mut form.source_url,
                "authors" => &mut form.authors,
                // `default_zone` is the name forms used before home zones.
                "zone" | "default_zone" => &mut form.zone,
                "paste" => &mut form.paste,
                "note" => &mut form.note,
                _ => continue,
            };
            *slot = value;
        }
        form.timeline = timeline.into_values().collect();
        for row in form.timeline.iter_mut().filter(|row| row.flagged_at.trim() != row.at.text.trim()) {
            row.flag.clear();
        }
        form.factors = factors.into_values().collect();
        form.actions = actions.into_values().collect();
        form.related = related.into_values().collect();
        form
    }

    /// Adds, removes or moves a row. Out-of-range rows change nothing.
    pub fn edit_rows(&mut self, edit: RowEdit) {
        fn apply<T: Default>(rows: &mut Vec<T>, edit: RowEdit, new_row: impl FnOnce() -> T) {
            match edit {
                RowEdit::Add(_) => rows.push(new_row()),
                RowEdit::Remove(_, index) if index < rows.len() => {
                    rows.remove(index);
                }
                RowEdit::Up(_, index) if index > 0 && index < rows.len() => rows.swap(index - 1, index),
                RowEdit::Down(_, index) if index + 1 < rows.len() => rows.swap(index, index + 1),
                _ => {}
            }
        }
        let section = match edit {
            RowEdit::SortByTime => return self.sort_timeline(),
            RowEdit::Add(section)
            | RowEdit::Remove(section, _)
            | RowEdit::Up(section, _)
            | RowEdit::Down(section, _) => section,
        };
        match section {
            Section::Timeline => apply(&mut self.timeline, edit, EventRow::default),
            Section::Factors => {
                // Action items name factors by their row: follow the rows.
                let mut places: Vec<Option<usize>> = (0..self.factors.len()).map(Some).collect();
                apply(&mut places, edit, || None);
                apply(&mut self.factors, edit, FactorRow::default);
                for action in &mut self.actions {
                    let addressed = std::mem::take(&mut action.addresses);
                    action.addresses = places
                        .iter()
                        .enumerate()
                        .filter(|(_, old)| old.is_some_and(|old| addressed.contains(&old)))
                        .map(|(new, _)| new)
                        .collect();
                }
            }
            Section::Actions => apply(&mut self.actions, edit, || ActionRow {
                status: ActionStatus::Open.as_str().into(),
                ..Default::default()
            }),
            Section::Related => apply(&mut self.related, edit, RelatedRow::default),
        }
    }

    /// The home zone the form reads times in: the zone field when it names
    /// one, else the zone of the first time written with one, else UTC.
    pub fn home_zone(&self) -> String {
        if let Ok(zone) = zones::parse_home_zone(&self.zone) {
            return zone;
        }
        let unzoned = TimeDefaults { date: Some(jiff::civil::date(2000, 1, 1)), ..TimeDefaults::default() };
        let fields = self.moments().map(|(_, field)| field).chain(self.timeline.iter().map(|row| &row.at));
        let labels: Vec<String> =
            fields.filter_map(|field| field.read(&unzoned).ok().flatten()).map(|written| written.time.zone).collect();
        zones::home_zone_from_labels(labels.iter().map(String::as_str))
    }

    /// Each timeline row's place in time order, by what its time field
    /// reads as now.
    pub fn timeline_time_order(&self) -> Vec<usize> {
        let defaults = self.time_defaults();
        let home = zones::home_zone(&self.home_zone());
        let keys: Vec<Option<crate::read_model::timeline::SortKey>> = self
            .timeline
            .iter()
            .map(|row| {
                let written = row.at.read(&defaults).ok().flatten()?;
                crate::read_model::timeline::sort_key(&written.time, &home)
            })
            .collect();
        crate::read_model::timeline::time_order(&keys)
    }

    /// The rows are written in another order than their times.
    pub fn timeline_out_of_order(&self) -> bool {
        self.timeline_time_order().iter().enumerate().any(|(place, index)| place != *index)
    }

    /// Puts the timeline's rows in time order; rows without a time keep
    /// their places.
    fn sort_timeline(&mut self) {
        let order = self.timeline_time_order();
        let mut rows: Vec<Option<EventRow>> = std::mem::take(&mut self.timeline).into_iter().map(Some).collect();
        self.timeline = order.into_iter().filter_map(|index| rows.get_mut(index).and_then(Option::take)).collect();
    }

    /// What times written without a zone or a date are read against: the
    /// home zone, and the date of the first key moment (or event) that has
    /// one.
    fn time_defaults(&self) -> TimeDefaults {
        let zone_only = TimeDefaults { zone: Some(self.home_zone()), ..TimeDefaults::default() };
        fn first_date<'a>(
            fields: impl Iterator<Item = &'a TimeField>,
            defaults: &TimeDefaults,
        ) -> Option<jiff::civil::Date> {
            fields
                .filter_map(|field| field.read(defaults).ok().flatten())
                .map(|written| written.time.local().date())
                .next()
        }
        let (date, date_from) = match first_date(self.moments().map(|(_, field)| field), &zone_only) {
            Some(date) => (Some(date), "the first key moment"),
            None => (first_date(self.timeline.iter().map(|row| &row.at), &zone_only), "the first timed event"),
        };
        TimeDefaults { zone: zone_only.zone, date, date_from }
    }

    /// Reads the paste box into timeline rows appended after the others (an
    /// empty row left by "add" is replaced). Unreadable lines become rows
    /// that keep the line as their text and say why; every date the reader
    /// inferred is written into the row and flagged for the writer.
    pub fn read_paste(&mut self) -> Result<usize, String> {
        let defaults = self.time_defaults();
        let home = defaults.zone.clone().unwrap_or_default();
        // The first pasted lines follow the last row with a time.
        let last_row_time =
            self.timeline.iter().rev().find_map(|row| row.at.read(&defaults).ok().flatten()).map(|w| w.time);
        let rows = timeline_paste::parse(&self.paste, &defaults, last_row_time.as_ref())?;
        self.timeline.retain(|row| !row.is_blank());
        let count = rows.len();
        for row in rows {
            let flag = match (row.error, row.notes.is_empty()) {
                (Some(reason), _) => format!("Line {}: {reason}", row.line),
                (None, false) => format!("Line {}: {}.", row.line, row.notes.join("; ")),
                (None, true) => String::new(),
            };
            let at = TimeField::from_time(row.at.as_ref(), &home);
            self.timeline.push(EventRow {
                flagged_at: at.text.clone(),
                at,
                kind: row.kind.as_str().to_string(),
                text: row.text,
                flag,
            });
        }
        self.paste.clear();
        Ok(count)
    }

    /// Rewrites every time that was read with an assumption (a date not
    /// written, an abbreviation out of season, a time skipped by daylight
    /// saving) as it was read, and says beside it what was assumed, so the
    /// writer confirms it by saving again. Returns how many there were.
    pub fn settle_times(&mut self) -> usize {
        let defaults = self.time_defaults();
        let home = defaults.zone.clone().unwrap_or_default();
        let mut settled = 0;
        let mut settle = |field: &mut TimeField| -> Option<String> {
            let written = field.read(&defaults).ok().flatten()?;
            if written.notes.is_empty() {
                return None;
            }
            field.text = format_written(&written.time, Some(&home));
            settled += 1;
            Some(format!("Read as {}: {}.", field.text, written.notes.join("; ")))
        };
        let mut checks = BTreeMap::new();
        for moment in KeyMoment::ALL {
            if let Some(note) = settle(self.moment_mut(moment)) {
                checks.insert(moment.field().to_string(), note);
            }
        }
        for row in &mut self.timeline {
            if let Some(note) = settle(&mut row.at) {
                row.flag = note;
                row.flagged_at = row.at.text.clone();
            }
        }
        for (index, row) in self.actions.iter_mut().enumerate() {
            let mut field = TimeField { text: row.completed_at.clone(), precision: String::new() };
            if let Some(note) = settle(&mut field) {
                row.completed_at = field.text;
                checks.insert(format!("actions[{index}].completed_at"), note);
            }
        }
        self.checks = checks;
        settled
    }

    /// What was assumed about a field, for the page.
    pub fn check(&self, field: &str) -> Option<&String> {
        self.checks.get(field)
    }

    /// Drops rows that were added but never filled in, before saving.
    pub fn drop_blank_rows(&mut self) {
        self.timeline.retain(|row| !row.is_blank());
        // Remove blank factors from the end, so that the ones before keep
        // their places while each removal moves what follows.
        for index in (0..self.factors.len()).rev() {
            if self.factors[index].is_blank() {
                self.edit_rows(RowEdit::Remove(Section::Factors, index));
            }
        }
        self.actions.retain(|row| !row.is_blank());
        self.related.retain(|row| !row.is_blank());
    }

    /// The input these fields make, and any time that could not be read.
    /// `status` is the workflow's, not the form's.
    pub fn to_input(&self, status: &str) -> (IncidentInput, ValidationErrors) {
        let mut errors = ValidationErrors::default();
        let zone = opt(&self.zone);
        if let Some(Err(message)) = zone.as_deref().map(zones::parse_home_zone) {
            errors.add("zone", message);
        }
        let defaults = self.time_defaults();
        let mut time = |field: &str, value: &TimeField| match value.read(&defaults) {
            Ok(time) => time.map(|t| t.time.to_input()),
            Err(message) => {
                errors.add(field, message);
                None
            }
        };
        let [started_at, detected_at, mitigated_at, resolved_at] =
            KeyMoment::ALL.map(|moment| time(moment.field(), self.moment(moment)));
        let timeline = self
            .timeline
            .iter()
            .enumerate()
            .map(|(index, row)| TimelineEventInput {
                at: time(&format!("timeline[{index}].at"), &row.at),
                kind: opt(&row.kind),
                text: row.text.clone(),
            })
            .collect();
        let completed: Vec<Option<CompletionInput>> = self
            .actions
            .iter()
            .enumerate()
            .map(|(index, row)| {
                let field = TimeField { text: row.completed_at.clone(), precision: String::new() };
                time(&format!("actions[{index}].completed_at"), &field).map(CompletionInput::Reported)
            })
            .collect();
        let mut completed = completed.into_iter();
        let input = IncidentInput {
            slug: opt(&self.slug),
            title: self.title.clone(),
            summary: self.summary.clone(),
            body: self.body.clone(),
            impact: self.impact.clone(),
            went_well: self.went_well.clone(),
            went_wrong: self.went_wrong.clone(),
            got_lucky: self.got_lucky.clone(),
            status: Some(status.to_string()),
            severity: opt(&self.severity),
            organization: opt(&self.organization),
            services: split_list(&self.services),
            tags: split_list(&self.tags),
            detection: opt(&self.detection),
            source_url: opt(&self.source_url),
            authors: self.authors.lines().map(str::trim).filter(|a| !a.is_empty()).map(str::to_string).collect(),
            started_at,
            detected_at,
            mitigated_at,
            resolved_at,
            timeline,
            zone: Some(defaults.zone.clone().unwrap_or_default()),
            factors: self
                .factors
                .iter()
                .map(|row| FactorInput { category: opt(&row.category), text: row.text.clone(), primary: row.primary })
                .collect(),
            actions: self
                .actions
                .iter()
                .map(|row| ActionInput {
                    text: row.text.clone(),
                    owner: opt(&row.owner),
                    status: opt(&row.status),
                    priority: opt(&row.priority),
                    due_on: opt(&row.due_on),
                    tracker_url: opt(&row.tracker_url),
                    completed_at: completed.next().flatten(),
                    addresses: row.addresses.clone(),
                })
                .collect(),
            related: self
                .related
                .iter()
                .map(|row| RelatedInput { slug: row.slug.trim().to_string(), kind: opt(&row.kind) })
                .collect(),
        };
        (input, errors)
    }

    /// What the form says so far of where, when and why the incident
    /// happened, read leniently: enough to look for earlier and similar
    /// incidents while the report is written. What does not read yet is
    /// left out; `None` when nothing does.
    pub fn sketch(&self) -> Option<IncidentFields> {
        let (input, _) = self.to_input(Status::Draft.as_str());
        let mut sketch = IncidentInput {
            slug: Some("report-being-written".into()),
            title: Some(input.title.trim()).filter(|title| !title.is_empty()).unwrap_or("Report being written").into(),
            summary: input.summary.clone(),
            services: input.services.clone(),
            tags: input.tags.clone(),
            zone: input.zone.clone(),
            started_at: input.started_at.clone(),
            detected_at: input.detected_at.clone(),
            mitigated_at: input.mitigated_at.clone(),
            resolved_at: input.resolved_at.clone(),
            factors: input
                .factors
                .iter()
                .filter(|factor| factor.category.as_deref().and_then(FactorCategory::parse).is_some())
                .map(|factor| FactorInput {
                    text: Some(factor.text.trim()).filter(|text| !text.is_empty()).unwrap_or("(no text yet)").into(),
                    ..factor.clone()
                })
                .collect(),
            related: input
                .related
                .iter()
                .filter(|link| link.kind.as_deref() == Some(RelationKind::RecurrenceOf.as_str()))
                .filter(|link| validate_slug(&link.slug).is_ok())
                .cloned()
                .collect(),
            ..IncidentInput::default()
        };
        if let Ok(fields) = sketch.validate() {
            return Some(fields);
        }
        // Times or a summary that do not read yet: look without them.
        for moment in KeyMoment::ALL {
            *sketch.moment_mut(moment) = None;
        }
        sketch.summary.clear();
        sketch.title = "Report being written".into();
        sketch.validate().ok()
    }

    /// Validates the form as the API would, with the form's own time errors
    /// first.
    pub fn validate(&self, status: &str) -> Result<IncidentFields, FormErrors> {
        let (input, mut errors) = self.to_input(status);
        match input.validate() {
            Ok(fields) if errors.is_empty() => Ok(fields),
            Ok(_) => Err(FormErrors::new(errors)),
            Err(more) => {
                // A time the form could not read is absent from the input,
                // so the domain does not complain about it twice.
                errors.0.extend(more.0.into_iter().map(|mut error| {
                    // A link holding words rather than an address was
                    // meant to be looked up: say how.
                    let words = related_row(&error.field)
                        .and_then(|index| self.related.get(index))
                        .map(|row| row.slug.trim())
                        .filter(|text| !text.is_empty() && validate_slug(text).is_err());
                    if let Some(text) = words {
                        error.message = format!(
                            "“{}” is not a report's address: press Find beside it and choose the report",
                            truncate_for_message(text)
                        );
                    }
                    error
                }));
                Err(FormErrors::new(errors))
            }
        }
    }
}

/// The id of the form control for a field name: `title` → `title`,
/// `timeline[2].at` → `timeline-2-at`, `actions[0].due_on` → `actions-0-due`.
pub fn field_anchor(field: &str) -> String {
    match row_name(field) {
        Some((section, index, name)) => {
            let short = match name {
                "due_on" => "due",
                "tracker_url" => "tracker",
                "completed_at" => "completed",
                other => other,
            };
            format!("{}-{index}-{short}", section.as_str())
        }
        None => field.to_string(),
    }
}

/// Where a field sits on the form, top to bottom, so that the list of
/// problems reads in the same order as the form.
fn form_position(field: &str) -> (usize, usize, usize) {
    const ORDER: [&str; 28] = [
        "title",
        "slug",
        "summary",
        "severity",
        "detection",
        "organization",
        "services",
        "tags",
        "authors",
        "source_url",
        "zone",
        "started_at",
        "detected_at",
        "mitigated_at",
        "resolved_at",
        "paste",
        "timeline",
        "impact",
        "body",
        "went_well",
        "went_wrong",
        "got_lucky",
        "factors",
        "actions",
        "related",
        "note",
        "status",
        "version",
    ];
    const ROW_FIELDS: [&str; 13] = [
        "at",
        "kind",
        "category",
        "primary",
        "slug",
        "text",
        "owner",
        "status",
        "priority",
        "due_on",
        "tracker_url",
        "completed_at",
        "addresses",
    ];
    let rank = |name: &str| ORDER.iter().position(|known| *known == name).unwrap_or(ORDER.len());
    match row_name(field) {
        Some((section, index, name)) => (
            rank(section.as_str()),
            index + 1,
            ROW_FIELDS.iter().position(|known| *known == name).unwrap_or(ROW_FIELDS.len()),
        ),
        None => (rank(field), 0, 0),
    }
}

/// A field's name as the form labels it: "Timeline event 3: time".
fn field_label(field: &str) -> String {
    if let Some((section, index, name)) = row_name(field) {
        let (row, part) = match (section, name) {
            (Section::Timeline, "at") => ("Timeline event", "time"),
            (Section::Timeline, other) => ("Timeline event", other),
            (Section::Factors, other) => ("Contributing factor", other),
            (Section::Actions, "due_on") => ("Action item", "due on"),
            (Section::Actions, "tracker_url") => ("Action item", "tracker link"),
            (Section::Actions, "completed_at") => ("Action item", "completed at"),
            (Section::Actions, "addresses") => ("Action item", "factors addressed"),
            (Section::Actions, other) => ("Action item", other),
            (Section::Related, "slug") => ("Link", "report"),
            (Section::Related, other) => ("Link", other),
        };
        return format!("{row} {}: {part}", index + 1);
    }
    if let Some(moment) = KeyMoment::ALL.into_iter().find(|moment| moment.field() == field) {
        return moment.label().to_string();
    }
    if let Some(learning) = Learning::ALL.into_iter().find(|learning| learning.field() == field) {
        return learning.label().to_string();
    }
    let label = match field {
        "slug" => "Address",
        "source_url" => "Link to an external write-up",
        "zone" => "Report's time zone",
        "body" => "Narrative",
        "timeline" => "Timeline",
        "factors" => "Contributing factors",
        "actions" => "Action items",
        "related" => "Related incidents",
        "paste" => "Pasted lines",
        other => return sentence_case(other),
    };
    label.to_string()
}

fn sentence_case(field: &str) -> String {
    let mut chars = field.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// The row of a related link's slug field: `related[2].slug` → 2.
fn related_row(field: &str) -> Option<usize> {
    field.strip_prefix("related[")?.strip_suffix("].slug")?.parse().ok()
}

/// Validation messages keyed by the form field they belong beside.
#[derive(Debug, Clone, Default)]
pub struct FormErrors {
    by_field: HashMap<String, Vec<String>>,
    /// The fields with a message, in the order they were found.
    order: Vec<String>,
    pub count: usize,
}

/// One line of the list of problems above the form: a link to the field,
/// what the field is called, and its message.
pub struct ErrorLink {
    pub anchor: String,
    pub label: String,
    pub message: String,
}

impl FormErrors {
    pub fn new(errors: ValidationErrors) -> FormErrors {
        let mut by_field: HashMap<String, Vec<String>> = HashMap::new();
        let mut order = Vec::new();
        let count = errors.0.len();
        for error in errors.0 {
            // `tags[2]` is typed in the one `tags` field.
            let field = match error.field.split_once('[') {
                Some((list @ ("services" | "tags" | "authors"), _)) => list.to_string(),
                _ => error.field,
            };
            if !by_field.contains_key(&field) {
                order.push(field.clone());
            }
            by_field.entry(field).or_default().push(error.message);
        }
        FormErrors { by_field, order, count }
    }

    /// Every problem, in the form's order, as a link to its field: the list
    /// a writer reads at the top of a long form that was not saved.
    pub fn summary(&self) -> Vec<ErrorLink> {
        let mut fields: Vec<&String> = self.order.iter().collect();
        fields.sort_by_key(|field| form_position(field));
        fields
            .into_iter()
            .map(|field| ErrorLink {
                anchor: field_anchor(field),
                label: field_label(field),
                message: self.get(field).unwrap_or_default(),
            })
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The message for a field, if any.
    pub fn get(&self, field: &str) -> Option<String> {
        self.by_field.get(field).map(|messages| messages.join("; "))
    }

    /// The message for one field of a row: `row("timeline", 2, "at")`.
    pub fn row(&self, section: &str, index: usize, field: &str) -> Option<String> {
        self.get(&format!("{section}[{index}].{field}"))
    }
}

each_moment!(ReportForm, TimeField);
each_learning!(ReportForm);

/// The choices each drop-down of the form offers, with the row's own value
/// selected: the templates ask the row, and the lists live in `labels`.
impl TimeField {
    pub fn precision_choices(&self) -> Vec<Choice> {
        labels::precision_choices(&self.precision)
    }
}

impl EventRow {
    pub fn kind_choices(&self) -> Vec<Choice> {
        labels::kind_choices(&self.kind)
    }
}

impl FactorRow {
    pub fn category_choices(&self) -> Vec<Choice> {
        labels::category_choices(&self.category)
    }
}

impl ActionRow {
    pub fn status_choices(&self) -> Vec<Choice> {
        labels::action_status_choices(&self.status)
    }

    pub fn priority_choices(&self) -> Vec<Choice> {
        labels::priority_choices(&self.priority)
    }
}

impl RelatedRow {
    pub fn kind_choices(&self) -> Vec<Choice> {
        labels::relation_choices(&self.kind)
    }
}

impl ReportForm {
    pub fn severity_choices(&self) -> Vec<Choice> {
        labels::severity_choices(&self.severity)
    }

    pub fn detection_choices(&self) -> Vec<Choice> {
        labels::detection_choices(&self.detection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn rows_are_read_by_index_and_keep_their_order() {
        let form = ReportForm::from_pairs(&pairs(&[
            ("title", "Writes stalled"),
            ("timeline[5].text", "second"),
            ("timeline[1].text", "first"),
            ("timeline[1].at", "22:50 UTC"),
            ("factors[0].category", "capacity"),
            ("factors[0].primary", "on"),
            ("bogus[0].x", "ignored"),
            ("timeline[99999999999999999999].text", "ignored: the index is not a number we keep"),
        ]));
        let texts: Vec<&str> = form.timeline.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(texts, ["first", "second"]);
        assert!(form.factors[0].primary);
        assert_eq!(form.timeline[0].at.text, "22:50 UTC");
    }

    #[test]
    fn a_flag_about_a_time_is_dropped_once_the_writer_changes_that_time() {
        let form = ReportForm::from_pairs(&pairs(&[
            ("timeline[0].at", "2013-03-08 20:00 UTC"),
            ("timeline[0].flag", "Line 2: date not written"),
            ("timeline[0].flagged_at", "2013-03-08 20:00 UTC"),
            ("timeline[1].at", "2013-03-09 20:00 UTC"),
            ("timeline[1].flag", "Line 3: date not written"),
            ("timeline[1].flagged_at", "2013-03-08 21:00 UTC"),
        ]));
        assert_eq!(form.timeline[0].flag, "Line 2: date not written", "the time it speaks of is still there");
        assert_eq!(form.timeline[1].flag, "", "the writer changed the time");
    }

    #[test]
    fn a_post_makes_at_most_so_many_rows() {
        let pairs: Vec<(String, String)> =
            (0..MAX_POSTED_ROWS + 500).map(|i| (format!("factors[{}].text", i * 7), "x".to_string())).collect();
        let mut more = pairs.clone();
        more.push(("factors[0].category".into(), "capacity".into()));
        let form = ReportForm::from_pairs(&more);
        assert_eq!(form.factors.len(), MAX_POSTED_ROWS);
        assert_eq!(form.factors[0].category, "capacity", "rows already made still take their fields");
    }

    #[test]
    fn a_stored_report_comes_back_as_the_same_report() {
        for (name, text) in crate::seeds::SEED_FILES {
            let document = crate::import::markdown::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            let fields = document.incident.validate().unwrap();
            let form = ReportForm::from_fields(&fields);
            let again = form.validate(fields.status.as_str()).unwrap_or_else(|e| panic!("{}: {e:?}", fields.slug));
            assert_eq!(again, fields, "{}", fields.slug);
        }
    }

    #[test]
    fn times_without_a_zone_or_date_use_the_form_defaults() {
        let form = ReportForm {
            title: "T".into(),
            zone: "PDT".into(),
            started_at: TimeField { text: "2013-05-20 11:40".into(), precision: String::new() },
            detected_at: TimeField { text: "12:05".into(), precision: "hour".into() },
            ..Default::default()
        };
        let fields = form.validate("draft").unwrap();
        assert_eq!(fields.detected_at.as_ref().unwrap().at_rfc3339(), "2013-05-20T12:05:00-07:00");
        assert_eq!(fields.detected_at.unwrap().precision, Precision::Hour);
    }

    #[test]
    fn errors_stand_beside_their_fields() {
        let form = ReportForm {
            title: String::new(),
            tags: "dns, not ok!".into(),
            started_at: TimeField { text: "yesterday".into(), precision: String::new() },
            timeline: vec![EventRow {
                text: "x".into(),
                at: TimeField { text: "25:00 UTC".into(), ..Default::default() },
                ..Default::default()
            }],
            ..Default::default()
        };
        let errors = form.validate("draft").unwrap_err();
        assert!(errors.get("title").is_some());
        assert!(errors.get("tags").unwrap().contains("not ok!"));
        assert!(errors.get("started_at").unwrap().contains("2013-05-20 11:40 PDT"));
        assert!(errors.row("timeline", 0, "at").is_some());
    }

    #[test]
    fn rows_are_added_removed_and_moved() {
        let mut form = ReportForm::default();
        form.edit_rows(RowEdit::parse("add:timeline").unwrap());
        form.edit_rows(RowEdit::parse("add:timeline").unwrap());
        form.timeline[0].text = "a".into();
        form.timeline[1].text = "b".into();
        form.edit_rows(RowEdit::parse("down:timeline:0").unwrap());
        assert_eq!(form.timeline[0].text, "b");
        form.edit_rows(RowEdit::parse("up:timeline:1").unwrap());
        assert_eq!(form.timeline[0].text, "a");
        form.edit_rows(RowEdit::parse("remove:timeline:0").unwrap());
        assert_eq!(form.timeline.len(), 1);
        form.edit_rows(RowEdit::Remove(Section::Timeline, 7));
        form.edit_rows(RowEdit::Up(Section::Timeline, 0));
        assert_eq!(form.timeline.len(), 1);
        assert!(RowEdit::parse("remove:timeline").is_none());
        assert!(RowEdit::parse("drop:tables:1").is_none());
    }

    #[test]
    fn the_factors_an_action_addresses_follow_their_rows() {
        let factor = |text: &str| FactorRow { category: "change".into(), text: text.into(), primary: false };
        let mut form = ReportForm {
            factors: vec![factor("a"), factor("b"), factor("c")],
            actions: vec![ActionRow { text: "fix".into(), addresses: vec![0, 2], ..Default::default() }],
            ..Default::default()
        };
        form.edit_rows(RowEdit::Up(Section::Factors, 2));
        assert_eq!(form.actions[0].addresses, [0, 1], "c moved to the middle");
        form.edit_rows(RowEdit::Remove(Section::Factors, 0));
        assert_eq!(form.actions[0].addresses, [0], "a is gone, c is first");
        form.edit_rows(RowEdit::Add(Section::Factors));
        assert_eq!(form.actions[0].addresses, [0], "a new factor is not addressed");
        // A blank row left in the middle is dropped on save, and the ticks
        // stay with their factors.
        form.factors = vec![factor("a"), FactorRow::default(), factor("c"), factor("d")];
        form.actions[0].addresses = vec![2];
        form.drop_blank_rows();
        assert_eq!(form.factors.len(), 3);
        assert_eq!(form.actions[0].addresses, [1], "still c");
        assert_eq!(form.to_input("draft").0.actions[0].addresses, [1]);
    }

    #[test]
    fn template_text_left_in_a_narrative_is_found() {
        let untouched = template_leftovers(SRE_TEMPLATE);
        assert!(untouched.iter().any(|left| left.contains("prompt under “Background”")), "{untouched:?}");
        assert!(untouched.iter().any(|left| left.contains("prompt under “Supporting information”")), "{untouched:?}");
        assert!(!untouched.iter().any(|left| left.contains("Lessons")), "lessons learned have fields of their own");
        let written =
            "## Background\n\nThe API serves every client.\n\n## Lessons learned\n\n### What went well\n\nPaging.\n";
        assert_eq!(template_leftovers(written), Vec::<String>::new(), "a heading over subsections is not empty");
        let written = "## Background\n\nThe API serves every client.\n\n## Detection\n";
        assert_eq!(template_leftovers(written), ["“Detection” has nothing under it"]);
        let written = "## Background\n\nThe API serves every client.\n";
        assert_eq!(template_leftovers(written), Vec::<String>::new());
        assert_eq!(template_leftovers("## Detection\n"), ["“Detection” has nothing under it"]);
        let code = "## Detection\n\nSee the script:\n\n```sh\n# restart the resolver\n```\n\n#dns was busy.\n";
        assert_eq!(template_leftovers(code), Vec::<String>::new(), "a comment in code and a hashtag are no headings");
    }

    #[test]
    fn pasted_lines_become_rows_and_unreadable_ones_are_flagged() {
        let mut form = ReportForm::from_template(false);
        form.zone = "UTC".into();
        form.started_at.text = "2019-07-09 22:50 UTC".into();
        form.paste = "22:50 UTC capacity started to drop\nsometime later we noticed\n23:10 alert fired".into();
        assert_eq!(form.read_paste().unwrap(), 3);
        assert_eq!(form.timeline.len(), 3, "the template's empty row is replaced");
        assert_eq!(form.timeline[2].at.text, "2019-07-09 23:10", "in the report's zone, so written without it");
        assert_eq!(form.timeline[1].text, "sometime later we noticed");
        assert!(form.timeline[1].flag.contains("Line 2"));
        assert!(form.paste.is_empty());
    }

    /// Random posts of names, indexes, values and buttons never panic.
    #[test]
    fn random_posts_never_panic() {
        const NAMES: &[&str] = &[
            "timeline[0].at",
            "timeline[1].text",
            "timeline[18446744073709551615].kind",
            "timeline[].text",
            "timeline[-1].text",
            "factors[2].primary",
            "factors[0].category",
            "actions[1].due_on",
            "related[0].slug",
            "started_at",
            "started_at.precision",
            "zone",
            "default_zone",
            "paste",
            "title",
            "tags",
            "version",
            "[0].x",
            "",
        ];
        const VALUES: &[&str] = &[
            "",
            "x",
            "22:50 UTC",
            "2013-05-20 11:40 PDT",
            "capacity",
            "on",
            "sev9",
            "Mars/Olympus",
            "\u{0}",
            "10:00 UTC a\n11:00 b\nnothing",
            "-1",
            "99999999999999999999",
            "é",
        ];
        const OPS: &[&str] =
            &["add:timeline", "remove:timeline:0", "up:factors:1", "down:actions:0", "remove:related:9"];
        let mut random = crate::domain::TestRandom::new(0x2545_f491_4f6c_dd1d);
        let mut next = |bound: usize| random.below(bound);
        for _ in 0..3_000 {
            let pairs: Vec<(String, String)> = (0..next(12))
                .map(|_| (NAMES[next(NAMES.len())].to_string(), VALUES[next(VALUES.len())].to_string()))
                .collect();
            let mut form = ReportForm::from_pairs(&pairs);
            if let Some(edit) = RowEdit::parse(OPS[next(OPS.len())]) {
                form.edit_rows(edit);
            }
            let _ = form.read_paste();
            let _ = form.validate("draft");
            form.drop_blank_rows();
            let _ = form.validate("published");
        }
    }
}
