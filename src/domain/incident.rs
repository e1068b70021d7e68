//! An incident report: the raw input a writer or a client sends
//! (`IncidentInput`), the validated fields (`IncidentFields`), and the stored
//! incident with its bookkeeping (`Incident`). The API, the forms and the
//! importer all go through `IncidentInput::validate`.

use jiff::tz::TimeZone;
use serde::{Deserialize, Deserializer, Serialize};
use time::{Date, OffsetDateTime};

use super::durations::{Durations, KeyMoments};
use super::key_moment::{each_moment, EachMoment, KeyMoment};
use super::learning::{each_learning, EachLearning, Learning};
use super::reported_time::{
    format_rfc3339, now_to_the_second, truncate_for_message, Precision, ReportedTime, ReportedTimeInput,
};
use super::slug::{slug_from_title, validate_slug};
use super::taxonomy::{ActionStatus, Detection, EventKind, FactorCategory, Priority, RelationKind, Severity, Status};
use super::validation::ValidationErrors;
use super::written_time::{format_written, parse_written, TimeDefaults};
use super::zones;

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_SUMMARY_CHARS: usize = 2_000;
pub const MAX_BODY_BYTES: usize = 256 * 1024;
pub const MAX_IMPACT_BYTES: usize = 64 * 1024;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_LABEL_CHARS: usize = 64;
pub const MAX_LABELS: usize = 50;
pub const MAX_URL_CHARS: usize = 2_048;
pub const MAX_ITEM_TEXT_CHARS: usize = 10_000;
pub const MAX_TIMELINE_EVENTS: usize = 1_000;
pub const MAX_FACTORS: usize = 100;
pub const MAX_ACTIONS: usize = 200;
pub const MAX_RELATED: usize = 50;

/// The sort key of a report of unknown date: below any real instant, so
/// newest-first lists end with them (oldest-first lists read them last on
/// purpose, see `store::Store::list_cards`).
pub const UNDATED: i64 = -(1 << 62);

/// What a client sends to create or replace an incident. Everything is
/// optional or plain text here; `validate` turns it into `IncidentFields` or
/// a list of messages, one per offending field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
#[schema(description = "An incident's fields as a client sends them: only a title is needed, and a field left out is \
                        empty. Times may be written as people write them (`2013-03-10 09:30 PST`) or as objects.")]
pub struct IncidentInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(deserialize_with = "null_as_default")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub summary: String,
    #[serde(deserialize_with = "null_as_default")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub body: String,
    #[serde(deserialize_with = "null_as_default")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub impact: String,
    /// The lessons learned: what went well, what went wrong, where we got
    /// lucky (Markdown, each).
    #[serde(deserialize_with = "null_as_default")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub went_well: String,
    #[serde(deserialize_with = "null_as_default")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub went_wrong: String,
    #[serde(deserialize_with = "null_as_default")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub got_lucky: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    #[serde(deserialize_with = "null_as_default")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detection: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    /// The report's home zone, an IANA name; when absent, the zone of the
    /// first time written with one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<ReportedTimeInput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detected_at: Option<ReportedTimeInput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mitigated_at: Option<ReportedTimeInput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<ReportedTimeInput>,
    #[serde(deserialize_with = "null_as_default")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<TimelineEventInput>,
    #[serde(deserialize_with = "null_as_default")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub factors: Vec<FactorInput>,
    #[serde(deserialize_with = "null_as_default")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<ActionInput>,
    #[serde(deserialize_with = "null_as_default")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<RelatedInput>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct TimelineEventInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<ReportedTimeInput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct FactorInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub text: String,
    #[serde(deserialize_with = "null_as_default")]
    pub primary: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ActionInput {
    #[serde(deserialize_with = "null_as_default")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_on: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracker_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<CompletionInput>,
    /// The contributing factors this action addresses, by their place in
    /// the report's list (0 is the first).
    #[serde(deserialize_with = "null_as_default")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<usize>,
}

/// When an action was done, as a client sends it: written like any other
/// time (`2013-03-11 13:00 PDT`, RFC 3339) or as a reported time object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum CompletionInput {
    Written(String),
    Reported(ReportedTimeInput),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RelatedInput {
    #[serde(deserialize_with = "null_as_default")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub slug: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// Accepts `null` where a string, list or flag is expected, as its empty value.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A validated incident report: every field here obeys the rules of SPEC §2.
/// (Its default, an untitled draft, is only a starting point for reading
/// one back from storage.)
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(description = "An incident's fields, as they were checked and stored.")]
pub struct IncidentFields {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub impact: String,
    pub went_well: String,
    pub went_wrong: String,
    pub got_lucky: String,
    pub status: Status,
    pub severity: Option<Severity>,
    pub organization: Option<String>,
    pub services: Vec<String>,
    pub tags: Vec<String>,
    pub detection: Detection,
    pub source_url: Option<String>,
    pub authors: Vec<String>,
    /// The home zone every time is shown in: an IANA name such as
    /// `America/Los_Angeles`.
    pub zone: String,
    pub started_at: Option<ReportedTime>,
    pub detected_at: Option<ReportedTime>,
    pub mitigated_at: Option<ReportedTime>,
    pub resolved_at: Option<ReportedTime>,
    pub timeline: Vec<TimelineEvent>,
    pub factors: Vec<Factor>,
    pub actions: Vec<ActionItem>,
    pub related: Vec<RelatedLink>,
}

each_moment!(IncidentInput, Option<ReportedTimeInput>);
each_moment!(IncidentFields, Option<ReportedTime>);
each_learning!(IncidentInput);
each_learning!(IncidentFields);

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TimelineEvent {
    pub at: Option<ReportedTime>,
    pub kind: EventKind,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Factor {
    pub category: FactorCategory,
    pub text: String,
    pub primary: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ActionItem {
    pub text: String,
    pub owner: Option<String>,
    pub status: ActionStatus,
    pub priority: Option<Priority>,
    #[serde(serialize_with = "serialize_date")]
    #[schema(value_type = Option<String>, format = Date)]
    pub due_on: Option<Date>,
    pub tracker_url: Option<String>,
    pub completed_at: Option<ReportedTime>,
    /// The factors it addresses, by their place in the report's list: in
    /// order, each once, each in range.
    pub addresses: Vec<usize>,
}

impl ActionItem {
    /// Still to be done: open or in progress.
    pub fn is_open(&self) -> bool {
        self.status.is_open()
    }

    /// Open, and due before `today`.
    pub fn is_overdue(&self, today: Date) -> bool {
        self.is_open() && self.due_on.is_some_and(|due| due < today)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RelatedLink {
    pub slug: String,
    pub kind: RelationKind,
}

const DATE_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

pub fn format_date(date: Date) -> String {
    date.format(DATE_FORMAT).unwrap_or_default()
}

pub fn parse_date(text: &str) -> Option<Date> {
    Date::parse(text, DATE_FORMAT).ok()
}

fn serialize_date<S: serde::Serializer>(date: &Option<Date>, serializer: S) -> Result<S::Ok, S::Error> {
    date.map(format_date).serialize(serializer)
}

impl IncidentFields {
    pub fn key_moments(&self) -> KeyMoments<'_> {
        KeyMoments {
            started: self.started_at.as_ref(),
            detected: self.detected_at.as_ref(),
            mitigated: self.mitigated_at.as_ref(),
            resolved: self.resolved_at.as_ref(),
        }
    }

    pub fn durations(&self) -> Durations {
        Durations::derive(self.key_moments())
    }

    /// The first time known better than "unsure", key moments first: the
    /// date a report is shown and counted under.
    pub fn first_dated(&self) -> Option<&ReportedTime> {
        self.known_moments()
            .map(|(_, time)| time)
            .chain(self.timeline.iter().filter_map(|event| event.at.as_ref()))
            .find(|time| time.precision != Precision::Unknown)
    }

    /// The key moments that are known, in order.
    pub fn known_moments(&self) -> impl Iterator<Item = (KeyMoment, &ReportedTime)> {
        self.moments().filter_map(|(moment, time)| time.as_ref().map(|time| (moment, time)))
    }

    /// The home zone's rules.
    pub fn home_zone(&self) -> TimeZone {
        zones::home_zone(&self.zone)
    }

    /// The home zone the times suggest, for reports stored before they had
    /// one.
    pub fn derived_home_zone(&self) -> String {
        let times = self
            .known_moments()
            .map(|(_, time)| time)
            .chain(self.timeline.iter().filter_map(|event| event.at.as_ref()));
        zones::home_zone_from_labels(times.map(|time| time.zone.as_str()))
    }

    /// When it happened, as lists show and sort it: the first time known
    /// better than "unsure" (`first_dated`). `None` for a report of unknown
    /// date, which is shown as such.
    pub fn occurred_at(&self) -> Option<i64> {
        self.first_dated().map(ReportedTime::unix_seconds)
    }

    /// What lists and the index sort by: `occurred_at`, or `UNDATED` for a
    /// report of unknown date, which then comes after every dated one.
    pub fn sort_key(&self) -> i64 {
        self.occurred_at().unwrap_or(UNDATED)
    }

    /// The input that validates back to these fields: used by PATCH, export
    /// and revision snapshots.
    pub fn to_input(&self) -> IncidentInput {
        let time = |t: &Option<ReportedTime>| t.as_ref().map(ReportedTime::to_input);
        let [started_at, detected_at, mitigated_at, resolved_at] =
            KeyMoment::ALL.map(|moment| time(self.moment(moment)));
        IncidentInput {
            slug: Some(self.slug.clone()),
            title: self.title.clone(),
            summary: self.summary.clone(),
            body: self.body.clone(),
            impact: self.impact.clone(),
            went_well: self.went_well.clone(),
            went_wrong: self.went_wrong.clone(),
            got_lucky: self.got_lucky.clone(),
            status: Some(self.status.as_str().into()),
            severity: self.severity.map(|s| s.as_str().into()),
            organization: self.organization.clone(),
            services: self.services.clone(),
            tags: self.tags.clone(),
            detection: Some(self.detection.as_str().into()),
            source_url: self.source_url.clone(),
            authors: self.authors.clone(),
            zone: Some(self.zone.clone()),
            started_at,
            detected_at,
            mitigated_at,
            resolved_at,
            timeline: self
                .timeline
                .iter()
                .map(|event| TimelineEventInput {
                    at: time(&event.at),
                    kind: Some(event.kind.as_str().into()),
                    text: event.text.clone(),
                })
                .collect(),
            factors: self
                .factors
                .iter()
                .map(|factor| FactorInput {
                    category: Some(factor.category.as_str().into()),
                    text: factor.text.clone(),
                    primary: factor.primary,
                })
                .collect(),
            actions: self
                .actions
                .iter()
                .map(|action| ActionInput {
                    text: action.text.clone(),
                    owner: action.owner.clone(),
                    status: Some(action.status.as_str().into()),
                    priority: action.priority.map(|p| p.as_str().into()),
                    due_on: action.due_on.map(format_date),
                    tracker_url: action.tracker_url.clone(),
                    completed_at: action.completed_at.as_ref().map(|at| CompletionInput::Reported(at.to_input())),
                    addresses: action.addresses.clone(),
                })
                .collect(),
            related: self
                .related
                .iter()
                .map(|link| RelatedInput { slug: link.slug.clone(), kind: Some(link.kind.as_str().into()) })
                .collect(),
        }
    }
}

impl IncidentInput {
    /// Checks every field and returns either the validated report or every
    /// problem found, each tied to its field (`timeline[2].at`).
    pub fn validate(&self) -> Result<IncidentFields, ValidationErrors> {
        let mut errors = ValidationErrors::default();

        let title = required_text(&mut errors, "title", &self.title, MAX_TITLE_CHARS);
        let slug = match self.slug.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(slug) => validate_slug(slug).map_err(|message| errors.add("slug", message)).ok(),
            None if title.is_empty() => None,
            None => match slug_from_title(&title) {
                Some(slug) => Some(slug),
                None => {
                    errors.add("slug", "the title has no letters or digits to make a slug from: give a slug");
                    None
                }
            },
        };
        let summary = bounded_chars(&mut errors, "summary", &self.summary, MAX_SUMMARY_CHARS);
        let summary = markdown(&mut errors, "summary", summary);
        let body = bounded_bytes(&mut errors, "body", &self.body, MAX_BODY_BYTES);
        let body = markdown(&mut errors, "body", body);
        let impact = bounded_bytes(&mut errors, "impact", &self.impact, MAX_IMPACT_BYTES);
        let impact = markdown(&mut errors, "impact", impact);
        let [went_well, went_wrong, got_lucky] = Learning::ALL.map(|learning| {
            let text = bounded_bytes(&mut errors, learning.field(), self.learning(learning), MAX_IMPACT_BYTES);
            markdown(&mut errors, learning.field(), text)
        });
        let status = choice(&mut errors, "status", self.status.as_deref(), Status::parse, Status::choices)
            .unwrap_or(Status::Draft);
        let severity = choice(&mut errors, "severity", self.severity.as_deref(), Severity::parse, Severity::choices);
        let detection =
            choice(&mut errors, "detection", self.detection.as_deref(), Detection::parse, Detection::choices)
                .unwrap_or(Detection::Unknown);
        let organization = optional_text(&mut errors, "organization", self.organization.as_deref(), MAX_NAME_CHARS);
        let services = labels(&mut errors, "services", &self.services);
        let tags = labels(&mut errors, "tags", &self.tags);
        let source_url = optional_url(&mut errors, "source_url", self.source_url.as_deref());
        let authors = names(&mut errors, "authors", &self.authors);

        let zone = self.home_zone_name(&mut errors);
        let home = zones::home_zone(&zone);
        let [started_at, detected_at, mitigated_at, resolved_at] = KeyMoment::ALL
            .map(|moment| reported_time(&mut errors, moment.field(), self.moment(moment).as_ref(), &home));
        check_key_moment_order(&mut errors, [&started_at, &detected_at, &mitigated_at, &resolved_at]);

        let timeline = self.validate_timeline(&mut errors, &home);
        let factors = self.validate_factors(&mut errors);
        let actions = self.validate_actions(&mut errors, &zone, &home);
        let related = self.validate_related(&mut errors, slug.as_deref());

        match slug {
            Some(slug) if errors.is_empty() => Ok(IncidentFields {
                slug,
                title,
                summary,
                body,
                impact,
                went_well,
                went_wrong,
                got_lucky,
                status,
                severity,
                organization,
                services,
                tags,
                detection,
                source_url,
                authors,
                zone,
                started_at,
                detected_at,
                mitigated_at,
                resolved_at,
                timeline,
                factors,
                actions,
                related,
            }),
            _ => Err(errors),
        }
    }

    /// The home zone as written, or the place the first time written with
    /// a zone names (`PDT` → `America/Los_Angeles`), or UTC.
    fn home_zone_name(&self, errors: &mut ValidationErrors) -> String {
        if let Some(text) = self.zone.as_deref().map(str::trim).filter(|z| !z.is_empty()) {
            return zones::parse_home_zone(text).unwrap_or_else(|message| {
                errors.add("zone", message);
                "UTC".to_string()
            });
        }
        let times = self
            .moments()
            .filter_map(|(_, time)| time.as_ref())
            .chain(self.timeline.iter().filter_map(|event| event.at.as_ref()));
        zones::home_zone_from_labels(times.filter_map(|time| time.zone.as_deref()))
    }

    fn validate_timeline(&self, errors: &mut ValidationErrors, home: &TimeZone) -> Vec<TimelineEvent> {
        if self.timeline.len() > MAX_TIMELINE_EVENTS {
            errors.add("timeline", format!("at most {MAX_TIMELINE_EVENTS} events"));
            return Vec::new();
        }
        let mut events = Vec::with_capacity(self.timeline.len());
        for (index, event) in self.timeline.iter().enumerate() {
            let field = |name: &str| format!("timeline[{index}].{name}");
            let at = reported_time(errors, &field("at"), event.at.as_ref(), home);
            let kind = choice(errors, &field("kind"), event.kind.as_deref(), EventKind::parse, EventKind::choices)
                .unwrap_or(EventKind::Note);
            let text = required_text(errors, &field("text"), &event.text, MAX_ITEM_TEXT_CHARS);
            let text = markdown(errors, &field("text"), text);
            events.push(TimelineEvent { at, kind, text });
        }
        events
    }

    fn validate_factors(&self, errors: &mut ValidationErrors) -> Vec<Factor> {
        if self.factors.len() > MAX_FACTORS {
            errors.add("factors", format!("at most {MAX_FACTORS} contributing factors"));
            return Vec::new();
        }
        let mut factors = Vec::with_capacity(self.factors.len());
        for (index, factor) in self.factors.iter().enumerate() {
            let field = |name: &str| format!("factors[{index}].{name}");
            let category = choice(
                errors,
                &field("category"),
                factor.category.as_deref(),
                FactorCategory::parse,
                FactorCategory::choices,
            );
            if category.is_none() && factor.category.as_deref().is_none_or(str::is_empty) {
                errors.add(field("category"), format!("choose a category: {}", FactorCategory::choices()));
            }
            let text = required_text(errors, &field("text"), &factor.text, MAX_ITEM_TEXT_CHARS);
            let text = markdown(errors, &field("text"), text);
            if let Some(category) = category {
                factors.push(Factor { category, text, primary: factor.primary });
            }
        }
        factors
    }

    fn validate_actions(&self, errors: &mut ValidationErrors, zone: &str, home: &TimeZone) -> Vec<ActionItem> {
        if self.actions.len() > MAX_ACTIONS {
            errors.add("actions", format!("at most {MAX_ACTIONS} action items"));
            return Vec::new();
        }
        let mut actions = Vec::with_capacity(self.actions.len());
        for (index, action) in self.actions.iter().enumerate() {
            let field = |name: &str| format!("actions[{index}].{name}");
            let text = required_text(errors, &field("text"), &action.text, MAX_ITEM_TEXT_CHARS);
            let text = markdown(errors, &field("text"), text);
            let owner = optional_text(errors, &field("owner"), action.owner.as_deref(), MAX_NAME_CHARS);
            let status =
                choice(errors, &field("status"), action.status.as_deref(), ActionStatus::parse, ActionStatus::choices)
                    .unwrap_or(ActionStatus::Open);
            let priority =
                choice(errors, &field("priority"), action.priority.as_deref(), Priority::parse, Priority::choices);
            let due_on = match action.due_on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => None,
                Some(text) => parse_date(text).or_else(|| {
                    errors.add(
                        field("due_on"),
                        format!("`{}` is not a date such as 2024-03-31", truncate_for_message(text)),
                    );
                    None
                }),
            };
            let tracker_url = optional_url(errors, &field("tracker_url"), action.tracker_url.as_deref());
            let completed_at = match &action.completed_at {
                None => None,
                Some(CompletionInput::Written(text)) if text.trim().is_empty() => None,
                Some(CompletionInput::Written(text)) => {
                    completion_time(text, zone).map(Some).unwrap_or_else(|message| {
                        errors.add(field("completed_at"), message);
                        None
                    })
                }
                Some(CompletionInput::Reported(time)) => {
                    reported_time(errors, &field("completed_at"), Some(time), home)
                }
            };
            let addresses = addressed_factors(errors, &field("addresses"), &action.addresses, self.factors.len());
            actions.push(ActionItem { text, owner, status, priority, due_on, tracker_url, completed_at, addresses });
        }
        actions
    }

    fn validate_related(&self, errors: &mut ValidationErrors, own_slug: Option<&str>) -> Vec<RelatedLink> {
        if self.related.len() > MAX_RELATED {
            errors.add("related", format!("at most {MAX_RELATED} related incidents"));
            return Vec::new();
        }
        let mut links: Vec<RelatedLink> = Vec::with_capacity(self.related.len());
        for (index, link) in self.related.iter().enumerate() {
            let field = |name: &str| format!("related[{index}].{name}");
            let kind = choice(errors, &field("kind"), link.kind.as_deref(), RelationKind::parse, RelationKind::choices)
                .unwrap_or(RelationKind::Related);
            match validate_slug(link.slug.trim()) {
                Err(message) => errors.add(field("slug"), message),
                Ok(slug) if Some(slug.as_str()) == own_slug => {
                    errors.add(field("slug"), "an incident cannot be related to itself")
                }
                Ok(slug) if links.iter().any(|other| other.slug == slug) => {
                    errors.add(field("slug"), "this incident is already linked above")
                }
                Ok(slug) => links.push(RelatedLink { slug, kind }),
            }
        }
        links
    }
}

/// The factors an action addresses: places in the report's list of
/// factors, kept in order and once each.
fn addressed_factors(errors: &mut ValidationErrors, field: &str, places: &[usize], factors: usize) -> Vec<usize> {
    if let Some(place) = places.iter().find(|place| **place >= factors) {
        let message = match factors {
            0 => "the report has no contributing factors to address".to_string(),
            1 => format!("factor {place} does not exist: the report has one factor, number 0"),
            n => format!("factor {place} does not exist: the report's factors are numbered 0 to {}", n - 1),
        };
        errors.add(field, message);
        return Vec::new();
    }
    let mut places = places.to_vec();
    places.sort_unstable();
    places.dedup();
    places
}

/// Markdown that nests deeper than the sanitiser can afford is refused on
/// write, so no reader ever waits for it.
fn markdown(errors: &mut ValidationErrors, field: &str, text: String) -> String {
    if let Err(message) = crate::markdown::check_nesting(&text) {
        errors.add(field, message);
    }
    text
}

fn has_control_chars(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
}

/// The bidirectional embeddings, overrides and isolates (U+202A to U+202E,
/// U+2066 to U+2069): they can make a title in a list or feed read as
/// something else than what it holds ("Trojan Source"), so the one-line
/// fields refuse them. Markdown bodies keep them for right-to-left text.
fn has_bidi_controls(text: &str) -> bool {
    text.chars().any(|c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
}

const BIDI_MESSAGE: &str =
    "must not contain bidirectional override characters (U+202A to U+202E, U+2066 to U+2069): they can disguise text";

fn required_text(errors: &mut ValidationErrors, field: &str, value: &str, max_chars: usize) -> String {
    let value = value.trim();
    if value.is_empty() {
        errors.add(field, "must not be empty");
    }
    bounded_chars(errors, field, value, max_chars)
}

fn bounded_chars(errors: &mut ValidationErrors, field: &str, value: &str, max_chars: usize) -> String {
    let value = value.trim();
    let count = value.chars().count();
    if count > max_chars {
        errors.add(field, format!("must be at most {max_chars} characters (it has {count})"));
    } else if has_control_chars(value) {
        errors.add(field, "must not contain control characters");
    } else if has_bidi_controls(value) {
        errors.add(field, BIDI_MESSAGE);
    }
    value.to_string()
}

fn bounded_bytes(errors: &mut ValidationErrors, field: &str, value: &str, max_bytes: usize) -> String {
    let value = value.trim();
    if value.len() > max_bytes {
        errors.add(
            field,
            format!("must be at most {} KiB (it has {} KiB)", max_bytes / 1024, value.len().div_ceil(1024)),
        );
    } else if has_control_chars(value) {
        errors.add(field, "must not contain control characters");
    }
    value.to_string()
}

fn optional_text(errors: &mut ValidationErrors, field: &str, value: Option<&str>, max_chars: usize) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    if value.chars().count() > max_chars {
        errors.add(field, format!("must be at most {max_chars} characters"));
    } else if value.chars().any(char::is_control) {
        errors.add(field, "must be a single line without control characters");
    } else if has_bidi_controls(value) {
        errors.add(field, BIDI_MESSAGE);
    }
    Some(value.to_string())
}

fn choice<T>(
    errors: &mut ValidationErrors,
    field: &str,
    value: Option<&str>,
    parse: fn(&str) -> Option<T>,
    choices: fn() -> String,
) -> Option<T> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    parse(value).or_else(|| {
        errors.add(field, format!("`{}` is not one of {}", truncate_for_message(value), choices()));
        None
    })
}

/// Tags and services: lowercase, short, made of letters, digits, `.`, `-`
/// and `_`, without duplicates.
fn labels(errors: &mut ValidationErrors, field: &str, values: &[String]) -> Vec<String> {
    if values.len() > MAX_LABELS {
        errors.add(field, format!("at most {MAX_LABELS} entries"));
        return Vec::new();
    }
    let mut labels: Vec<String> = Vec::with_capacity(values.len());
    for (index, value) in values.iter().enumerate() {
        let label = value.trim().to_lowercase();
        let valid = !label.is_empty()
            && label.chars().count() <= MAX_LABEL_CHARS
            && label.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !valid {
            errors.add(
                format!("{field}[{index}]"),
                format!(
                    "`{}` must be 1 to {MAX_LABEL_CHARS} letters, digits, dots, hyphens or underscores",
                    truncate_for_message(value)
                ),
            );
        } else if !labels.contains(&label) {
            labels.push(label);
        }
    }
    labels
}

fn names(errors: &mut ValidationErrors, field: &str, values: &[String]) -> Vec<String> {
    if values.len() > MAX_LABELS {
        errors.add(field, format!("at most {MAX_LABELS} entries"));
        return Vec::new();
    }
    values
        .iter()
        .enumerate()
        .filter_map(|(index, value)| {
            let name = optional_text(errors, &format!("{field}[{index}]"), Some(value), MAX_NAME_CHARS);
            if name.is_none() {
                errors.add(format!("{field}[{index}]"), "must not be empty");
            }
            name
        })
        .collect()
}

fn optional_url(errors: &mut ValidationErrors, field: &str, value: Option<&str>) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    let scheme_ok = value.starts_with("https://") || value.starts_with("http://");
    if !scheme_ok || value.len() > MAX_URL_CHARS || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        errors.add(field, format!("must be an http or https address of at most {MAX_URL_CHARS} characters"));
        return None;
    }
    Some(value.to_string())
}

fn reported_time(
    errors: &mut ValidationErrors,
    field: &str,
    value: Option<&ReportedTimeInput>,
    home: &TimeZone,
) -> Option<ReportedTime> {
    let value = value?;
    if value.at.is_none() && value.zone.is_none() && value.precision.is_none() {
        return None;
    }
    ReportedTime::parse(value, Some(home)).map_err(|message| errors.add(field, message)).ok()
}

/// When an action was done: RFC 3339, or written as other times are
/// (`2013-03-11 13:00 PDT`, in the home zone without one). A time that
/// would need a guess is refused: the form settles guesses before it saves.
fn completion_time(text: &str, zone: &str) -> Result<ReportedTime, String> {
    let defaults = TimeDefaults { zone: Some(zone.to_string()), ..TimeDefaults::default() };
    let written = parse_written(text, None, &defaults)?;
    match written.notes.first() {
        Some(note) => Err(format!("{note}: write the time with its date and zone")),
        None => Ok(written.time),
    }
}

/// Key moments must not run backwards. Two times are out of order only when
/// the later one is earlier by more than the coarser precision of the two
/// could explain; a time of unknown precision is never judged.
fn check_key_moment_order(errors: &mut ValidationErrors, moments: [&Option<ReportedTime>; 4]) {
    let known: Vec<(&str, &ReportedTime)> = KeyMoment::ALL
        .iter()
        .zip(moments)
        .filter_map(|(moment, time)| time.as_ref().map(|t| (moment.field(), t)))
        .collect();
    for (later_index, (later_name, later)) in known.iter().enumerate() {
        for (earlier_name, earlier) in &known[..later_index] {
            let coarser = earlier.precision.max(later.precision);
            let tolerance = match coarser {
                Precision::Minute => 0,
                Precision::Unknown => continue,
                other => other.granularity_seconds().unwrap_or(0),
            };
            // "about 11:30" may be a little after a time given exactly.
            let tolerance = if earlier.approximate || later.approximate { tolerance.max(30 * 60) } else { tolerance };
            if later.unix_seconds() + tolerance < earlier.unix_seconds() {
                errors.add(
                    *later_name,
                    format!(
                        "{later_name} ({}) is before {earlier_name} ({}): key moments must run started, detected, \
                         mitigated, resolved; check the date and zone of each",
                        format_written(later, None),
                        format_written(earlier, None),
                    ),
                );
            }
        }
    }
}

/// A stored incident: its fields plus the bookkeeping the store keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub id: i64,
    pub fields: IncidentFields,
    pub meta: IncidentMeta,
}

/// The bookkeeping stored beside an incident's fields: its version, who
/// created and last changed it and when, and when it was first published.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentMeta {
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub created_by: String,
    pub updated_at: OffsetDateTime,
    pub updated_by: String,
    pub published_at: Option<OffsetDateTime>,
}

impl IncidentMeta {
    /// A first version, written now by `actor`.
    pub fn new_by(actor: &str) -> IncidentMeta {
        let now = now_to_the_second();
        IncidentMeta {
            version: 1,
            created_at: now,
            created_by: actor.to_string(),
            updated_at: now,
            updated_by: actor.to_string(),
            published_at: None,
        }
    }
}

/// The JSON shape of Appendix A: the fields, the derived durations and the
/// read-only bookkeeping.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(
    as = Incident,
    description = "An incident: its fields, the durations derived from its key moments, and its bookkeeping."
)]
struct IncidentJson<'a> {
    #[serde(flatten)]
    fields: &'a IncidentFields,
    time_to_detect_seconds: Option<i64>,
    time_to_mitigate_seconds: Option<i64>,
    time_to_resolve_seconds: Option<i64>,
    duration_seconds: Option<i64>,
    durations: Durations,
    /// Also sent as the `ETag`; a write names it in `If-Match`.
    version: i64,
    #[schema(format = DateTime)]
    created_at: String,
    created_by: &'a str,
    #[schema(format = DateTime)]
    updated_at: String,
    updated_by: &'a str,
    #[schema(format = DateTime)]
    published_at: Option<String>,
}

/// In the API's document, an incident is the shape it is sent in.
impl utoipa::PartialSchema for Incident {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <IncidentJson<'static> as utoipa::PartialSchema>::schema()
    }
}

impl utoipa::ToSchema for Incident {
    fn name() -> std::borrow::Cow<'static, str> {
        "Incident".into()
    }

    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        <IncidentJson<'static> as utoipa::ToSchema>::schemas(schemas)
    }
}

impl Serialize for Incident {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let durations = self.fields.durations();
        let seconds = |measured: &super::durations::Measured| measured.known().map(|e| e.seconds);
        IncidentJson {
            fields: &self.fields,
            time_to_detect_seconds: seconds(&durations.time_to_detect),
            time_to_mitigate_seconds: seconds(&durations.time_to_mitigate),
            time_to_resolve_seconds: seconds(&durations.time_to_resolve),
            duration_seconds: seconds(&durations.total),
            durations,
            version: self.meta.version,
            created_at: format_rfc3339(self.meta.created_at),
            created_by: &self.meta.created_by,
            updated_at: format_rfc3339(self.meta.updated_at),
            updated_by: &self.meta.updated_by,
            published_at: self.meta.published_at.map(format_rfc3339),
        }
        .serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> IncidentInput {
        IncidentInput { title: "Database failover stalled writes".into(), ..Default::default() }
    }

    fn time(at: &str) -> Option<ReportedTimeInput> {
        Some(ReportedTimeInput { at: Some(at.into()), ..Default::default() })
    }

    #[test]
    fn a_title_alone_makes_a_draft_with_a_slug() {
        let fields = minimal().validate().unwrap();
        assert_eq!(fields.slug, "database-failover-stalled-writes");
        assert_eq!(fields.status, Status::Draft);
        assert_eq!(fields.detection, Detection::Unknown);
    }

    #[test]
    fn every_bad_field_is_reported_by_name() {
        let input = IncidentInput {
            title: " ".into(),
            status: Some("finished".into()),
            severity: Some("sev9".into()),
            tags: vec!["ok".into(), "not ok!".into()],
            source_url: Some("javascript:alert(1)".into()),
            timeline: vec![TimelineEventInput { at: time("noon"), kind: Some("boom".into()), text: "".into() }],
            factors: vec![FactorInput { category: None, text: "x".into(), primary: true }],
            actions: vec![ActionInput { text: "Fix".into(), due_on: Some("31/03/2024".into()), ..Default::default() }],
            ..Default::default()
        };
        let errors = input.validate().unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        for expected in [
            "title",
            "status",
            "severity",
            "tags[1]",
            "source_url",
            "timeline[0].at",
            "timeline[0].kind",
            "timeline[0].text",
            "factors[0].category",
            "actions[0].due_on",
        ] {
            assert!(fields.contains(&expected), "{expected} missing from {fields:?}");
        }
    }

    #[test]
    fn bidirectional_overrides_are_refused_in_one_line_fields_and_kept_in_markdown() {
        let input = IncidentInput {
            title: "Invoice \u{202E}fdp.exe".into(),
            summary: "Looks \u{2066}fine\u{2069}".into(),
            organization: Some("Acme\u{202D}".into()),
            body: "Right-to-left text may embed \u{202B}\u{5E9}\u{5DC}\u{5D5}\u{5DD}\u{202C} in Markdown.".into(),
            ..Default::default()
        };
        let errors = input.validate().unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "summary", "organization"]);
        assert!(errors.0[0].message.contains("U+202A to U+202E"), "{}", errors.0[0].message);
        let right_to_left = IncidentInput { title: "\u{5E9}\u{5DC}\u{5D5}\u{5DD} outage".into(), ..Default::default() };
        assert!(right_to_left.validate().is_ok(), "right-to-left letters themselves are fine");
    }

    #[test]
    fn key_moments_out_of_order_are_refused_with_an_explanation() {
        let input = IncidentInput {
            started_at: time("2013-05-20T11:40:00-07:00"),
            detected_at: time("2013-05-20T18:30:00Z"),
            ..minimal()
        };
        let errors = input.validate().unwrap_err();
        assert_eq!(errors.0[0].field, "detected_at");
        assert!(errors.0[0].message.contains("before started_at"), "{}", errors.0[0].message);
    }

    #[test]
    fn coarse_times_are_allowed_to_overlap() {
        let input = IncidentInput {
            started_at: Some(ReportedTimeInput {
                at: Some("2013-03-08T12:00:00Z".into()),
                precision: Some("day".into()),
                ..Default::default()
            }),
            detected_at: time("2013-03-08T09:00:00Z"),
            ..minimal()
        };
        assert!(input.validate().is_ok());
    }

    #[test]
    fn labels_are_lowercased_and_deduplicated() {
        let input = IncidentInput { tags: vec!["DNS".into(), "dns".into(), "static.crates.io".into()], ..minimal() };
        assert_eq!(input.validate().unwrap().tags, vec!["dns", "static.crates.io"]);
    }

    #[test]
    fn validated_fields_convert_back_to_the_same_input() {
        let input = IncidentInput {
            severity: Some("sev2".into()),
            started_at: time("2019-07-09T22:50:00Z"),
            timeline: vec![TimelineEventInput {
                at: time("2019-07-09T22:50:00Z"),
                kind: Some("trigger".into()),
                text: "Deploy".into(),
            }],
            actions: vec![ActionInput {
                text: "Check artifacts".into(),
                due_on: Some("2019-08-01".into()),
                ..Default::default()
            }],
            ..minimal()
        };
        let fields = input.validate().unwrap();
        assert_eq!(fields.to_input().validate().unwrap(), fields);
    }

    #[test]
    fn an_action_addresses_factors_that_exist_each_once() {
        let factor = |text: &str| FactorInput { category: Some("change".into()), text: text.into(), primary: false };
        let action = |addresses: Vec<usize>| ActionInput { text: "Fix it".into(), addresses, ..Default::default() };
        let mut input = IncidentInput {
            title: "Deploy broke the API".into(),
            factors: vec![factor("a deploy"), factor("no canary")],
            actions: vec![action(vec![1, 0, 1])],
            ..Default::default()
        };
        assert_eq!(input.validate().unwrap().actions[0].addresses, [0, 1], "in order, once each");
        input.actions = vec![action(vec![2])];
        let errors = input.validate().unwrap_err();
        assert_eq!(errors.0[0].field, "actions[0].addresses");
        assert_eq!(errors.0[0].message, "factor 2 does not exist: the report's factors are numbered 0 to 1");
        input.factors.clear();
        input.actions = vec![action(vec![0])];
        assert_eq!(input.validate().unwrap_err().0[0].message, "the report has no contributing factors to address");
        let json: IncidentInput =
            serde_json::from_str(r#"{"title": "t", "actions": [{"text": "x", "addresses": null}]}"#).unwrap();
        assert!(json.actions[0].addresses.is_empty(), "null is none");
    }

    #[test]
    fn learnings_are_bounded_markdown_fields() {
        let mut input = IncidentInput { title: "Deploy broke the API".into(), ..Default::default() };
        input.went_well = "  The *canary* paged within a minute.  ".into();
        input.got_lucky = "x".repeat(MAX_IMPACT_BYTES + 1);
        let errors = input.validate().unwrap_err();
        assert_eq!(errors.0.len(), 1);
        assert_eq!(errors.0[0].field, "got_lucky");
        input.got_lucky = "It happened at a quiet hour.".into();
        let fields = input.validate().unwrap();
        assert_eq!(fields.went_well, "The *canary* paged within a minute.");
        assert_eq!(fields.to_input().went_well, fields.went_well, "carried through export and revisions");
    }

    #[test]
    fn an_action_is_open_until_done_or_dropped_and_overdue_only_while_open() {
        let today = Date::from_calendar_date(2020, time::Month::March, 1).unwrap();
        let due = Date::from_calendar_date(2020, time::Month::February, 1).ok();
        let action = |status| ActionItem {
            text: "Fix it".into(),
            owner: None,
            status,
            priority: None,
            due_on: due,
            tracker_url: None,
            completed_at: None,
            addresses: Vec::new(),
        };
        for (status, open) in [
            (ActionStatus::Open, true),
            (ActionStatus::InProgress, true),
            (ActionStatus::Done, false),
            (ActionStatus::WontDo, false),
        ] {
            assert_eq!(action(status).is_open(), open, "{status}");
            assert_eq!(action(status).is_overdue(today), open, "{status}");
        }
        assert!(
            !action(ActionStatus::Open).is_overdue(Date::from_calendar_date(2020, time::Month::January, 1).unwrap())
        );
    }

    #[test]
    fn nulls_are_read_as_empty_values() {
        let input: IncidentInput = serde_json::from_str(r#"{"title": "T", "summary": null, "tags": null}"#).unwrap();
        assert_eq!(input.summary, "");
        assert!(input.tags.is_empty());
    }
}
