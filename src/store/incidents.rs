//! Incidents and their parts: authors, services, tags, timeline events,
//! contributing factors, action items and related links. Every write runs in
//! one transaction that also stores a revision and a change-log row.

use std::collections::HashMap;
use std::sync::LazyLock;

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use time::OffsetDateTime;

use super::{
    audit, change_log, counts, is_unique_violation, revisions, workflow, Param, QueryBuilder, Store, StoreError,
};
use crate::domain::incident::{parse_date, UNDATED};
use crate::domain::reported_time::now_to_the_second;
use crate::domain::workflow::Announcement;
use crate::domain::{
    ActionItem, ActionStatus, Detection, EachMoment, EventKind, Factor, FactorCategory, Incident, IncidentFields,
    IncidentMeta, KeyMoment, Priority, RelatedLink, RelationKind, ReportedTime, Severity, Status, TimelineEvent,
};
use crate::read_model::card::CARD_FORMAT;
use crate::read_model::report::REPORT_FORMAT;
use crate::read_model::{Card, Derived, RenderedReport};

pub use crate::domain::list_filter::IncidentFilter;

/// Where a page of the list resumes: just after this incident in list order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageCursor {
    pub occurred_at: i64,
    pub id: i64,
}

impl PageCursor {
    pub fn encode(&self) -> String {
        format!("{}_{}", self.occurred_at, self.id)
    }

    pub fn decode(text: &str) -> Option<PageCursor> {
        let (occurred_at, id) = text.split_once('_')?;
        Some(PageCursor { occurred_at: occurred_at.parse().ok()?, id: id.parse().ok()? })
    }
}

/// A page of cards, and where the next one starts.
#[derive(Debug, Clone)]
pub struct CardPage {
    pub items: Vec<Card>,
    pub next_cursor: Option<PageCursor>,
}

/// A page of incidents, and where the next one starts.
#[derive(Debug, Clone)]
pub struct IncidentPage {
    pub items: Vec<Incident>,
    pub next_cursor: Option<PageCursor>,
}

/// One of the incident's own columns: its name, how a report's field is
/// bound to it, and how it is read back.
struct FieldColumn {
    name: &'static str,
    bind: fn(&IncidentFields) -> Param,
    read: fn(&AnyRow, &mut IncidentFields) -> Result<(), StoreError>,
}

/// A `FieldColumn` for the field of the same name, by how it is stored.
macro_rules! column {
    ($field:ident: text) => {
        FieldColumn {
            name: stringify!($field),
            bind: |fields| Param::Text(fields.$field.clone()),
            read: |row, fields| {
                fields.$field = row.try_get(stringify!($field))?;
                Ok(())
            },
        }
    };
    ($field:ident: optional text) => {
        FieldColumn {
            name: stringify!($field),
            bind: |fields| Param::OptText(fields.$field.clone()),
            read: |row, fields| {
                fields.$field = row.try_get(stringify!($field))?;
                Ok(())
            },
        }
    };
    ($field:ident: $vocabulary:ident) => {
        FieldColumn {
            name: stringify!($field),
            bind: |fields| Param::Text(fields.$field.as_str().to_string()),
            read: |row, fields| {
                fields.$field = vocabulary(row, stringify!($field), $vocabulary::parse)?;
                Ok(())
            },
        }
    };
    ($field:ident: optional $vocabulary:ident) => {
        FieldColumn {
            name: stringify!($field),
            bind: |fields| Param::OptText(fields.$field.map(|value| value.as_str().to_string())),
            read: |row, fields| {
                fields.$field = optional_vocabulary(row, stringify!($field), $vocabulary::parse)?;
                Ok(())
            },
        }
    };
}

/// The incident's own columns: one table for every statement that writes
/// or reads incidents. A field stored in a column of its own is added here
/// (and in a migration); the key moments, what is derived on write and the
/// bookkeeping follow.
const FIELD_COLUMNS: [FieldColumn; 14] = [
    column!(slug: text),
    column!(title: text),
    column!(summary: text),
    column!(body: text),
    column!(impact: text),
    column!(went_well: text),
    column!(went_wrong: text),
    column!(got_lucky: text),
    column!(status: Status),
    column!(severity: optional Severity),
    column!(organization: optional text),
    column!(detection: Detection),
    column!(source_url: optional text),
    FieldColumn {
        name: "zone",
        bind: |fields| Param::Text(fields.zone.clone()),
        // Reports stored before home zones existed get theirs once their
        // timeline is loaded.
        read: |row, fields| {
            fields.zone = row.try_get::<Option<String>, _>("zone")?.unwrap_or_default();
            Ok(())
        },
    },
];
/// Names every field of a report and where it is stored, so that a field
/// added to `IncidentFields` fails to compile until it is given a column in
/// `FIELD_COLUMNS` or a table of its own, rather than being lost on save.
#[allow(dead_code)]
fn every_field_is_stored(fields: IncidentFields) {
    let IncidentFields {
        // FIELD_COLUMNS
        slug: _,
        title: _,
        summary: _,
        body: _,
        impact: _,
        went_well: _,
        went_wrong: _,
        got_lucky: _,
        status: _,
        severity: _,
        organization: _,
        detection: _,
        source_url: _,
        zone: _,
        // Five columns each (`time_columns`).
        started_at: _,
        detected_at: _,
        mitigated_at: _,
        resolved_at: _,
        // Tables of their own (`insert_parts_many`).
        services: _,
        tags: _,
        authors: _,
        timeline: _,
        factors: _,
        actions: _,
        related: _,
    } = fields;
}

/// A reported time as columns: `started_at`, `started_offset` and so on.
const TIME_COLUMNS: [&str; 5] = ["at", "offset", "zone", "precision", "approximate"];
const DERIVED_COLUMNS: [&str; 4] = ["occurred_at", "card", "rendered", "rendered_format"];
/// The bookkeeping, in the order the writes bind it.
const META_COLUMNS: [&str; 6] = ["version", "created_at", "created_by", "updated_at", "updated_by", "published_at"];

/// The five columns of the time named `prefix`, comma-separated.
pub(super) fn time_columns(prefix: &str) -> String {
    TIME_COLUMNS.map(|column| format!("{prefix}_{column}")).join(", ")
}

fn key_moment_columns() -> impl Iterator<Item = String> {
    KeyMoment::ALL.into_iter().map(|moment| time_columns(moment.name()))
}

/// What a write sets: the fields, the key moments and what is derived, then
/// the bookkeeping.
static WRITTEN_COLUMNS: LazyLock<(String, usize)> = LazyLock::new(|| {
    let columns: Vec<String> = FIELD_COLUMNS
        .iter()
        .map(|c| c.name.to_string())
        .chain(key_moment_columns())
        .chain(DERIVED_COLUMNS.iter().chain(&META_COLUMNS).map(|c| c.to_string()))
        .collect();
    let count =
        FIELD_COLUMNS.len() + KeyMoment::ALL.len() * TIME_COLUMNS.len() + DERIVED_COLUMNS.len() + META_COLUMNS.len();
    (columns.join(", "), count)
});

static SELECT_INCIDENTS: LazyLock<String> = LazyLock::new(|| {
    let columns: Vec<String> = std::iter::once("id".to_string())
        .chain(FIELD_COLUMNS.iter().map(|c| c.name.to_string()))
        .chain(key_moment_columns())
        .chain(["occurred_at"].iter().chain(&META_COLUMNS).map(|c| c.to_string()))
        .collect();
    format!("SELECT {} FROM incidents", columns.join(", "))
});

/// What a list of cards reads: the cursor's columns and the kept card.
pub(super) const SELECT_CARDS: &str = "SELECT id, occurred_at, card FROM incidents";
/// Incidents read by one statement (and their parts by one a table).
const READ_CHUNK: usize = 100;

/// What reads whole incidents: every column but the kept card and
/// rendering.
pub(super) fn select_incidents() -> &'static str {
    &SELECT_INCIDENTS
}

/// `fields` and what is derived from them as parameters, then `meta`, in
/// the order of `WRITTEN_COLUMNS`.
fn written_params(fields: &IncidentFields, derived: &Derived, occurred_at: i64, meta: [Param; 6]) -> Vec<Param> {
    let mut params: Vec<Param> = FIELD_COLUMNS.iter().map(|column| (column.bind)(fields)).collect();
    for (_, time) in fields.moments() {
        params.extend(time_params(time.as_ref()));
    }
    params.push(Param::Int(occurred_at));
    params.push(Param::Text(derived.card_json.clone()));
    params.push(Param::Bytes(derived.report_kept.clone()));
    params.push(Param::Int(i64::from(REPORT_FORMAT)));
    params.extend(meta);
    debug_assert_eq!(params.len(), WRITTEN_COLUMNS.1);
    params
}

/// A reported time as its five columns: `_at`, `_offset`, `_zone`,
/// `_precision`, `_approximate`.
fn time_params(time: Option<&ReportedTime>) -> [Param; 5] {
    [
        Param::OptInt(time.map(ReportedTime::unix_seconds)),
        Param::OptInt(time.map(ReportedTime::offset_seconds)),
        Param::OptText(time.map(|t| t.zone.clone())),
        Param::OptText(time.map(|t| t.precision.as_str().to_string())),
        Param::Int(i64::from(time.is_some_and(|t| t.approximate))),
    ]
}

/// Appends `params` to `query` as a comma-separated list of placeholders.
fn push_values(query: &mut QueryBuilder, params: Vec<Param>) {
    for (index, param) in params.into_iter().enumerate() {
        if index > 0 {
            query.push(", ");
        }
        query.bind(param);
    }
}

impl Store {
    /// Files a new incident, version 1, written by `actor`, with a note for
    /// its first revision ("created" when none).
    pub async fn create_incident(
        &self,
        fields: &IncidentFields,
        actor: &str,
        note: Option<&str>,
    ) -> Result<Incident, StoreError> {
        let derived = Derived::of_one(fields).await;
        let mut tx = self.begin_write().await?;
        let note = note.unwrap_or("created");
        let incident =
            insert_in(&mut tx, fields, &derived, IncidentMeta::new_by(actor), Some(note), "incident.create").await?;
        counts::apply(&mut tx, &counts::Contribution::new(), &counts::contribution(fields)).await?;
        tx.commit().await?;
        self.announce_change();
        Ok(incident)
    }

    /// Inserts several incidents, each with what was derived from it, in one
    /// transaction: all of them, or none (a duplicate slug among them fails
    /// the whole batch).
    pub async fn insert_incidents(
        &self,
        batch: Vec<(&IncidentFields, &Derived, IncidentMeta, &str)>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        // The batch's counts move once, summed, rather than once a report.
        let mut added = counts::Contribution::new();
        for (fields, ..) in &batch {
            for (key, n) in counts::contribution(fields) {
                *added.entry(key).or_default() += n;
            }
        }
        let items =
            batch.into_iter().map(|(fields, derived, meta, note)| (fields, derived, meta, Some(note))).collect();
        let written = insert_many(&mut tx, items, "incident.import").await?;
        counts::apply(&mut tx, &counts::Contribution::new(), &added).await?;
        tx.commit().await?;
        crate::metrics::metrics().imported_incidents.inc_by(written.len() as u64);
        self.keep_just_written(written.into_iter().map(|(incident, change)| (change, incident)).collect());
        self.announce_change();
        Ok(())
    }

    /// Replaces every field of the incident at `slug`, if it is still at
    /// `expected_version`.
    pub async fn replace_incident(
        &self,
        slug: &str,
        expected_version: i64,
        fields: &IncidentFields,
        actor: &str,
        note: Option<&str>,
    ) -> Result<Incident, StoreError> {
        let derived = Derived::of_one(fields).await;
        let mut tx = self.begin_write().await?;
        let current = live_incident(&mut tx, slug).await?;
        if current.version != expected_version {
            return Err(StoreError::StaleVersion { current: current.version });
        }
        // What the report counted for before this write changes it.
        let before = load_incidents(&mut tx, &format!("{} WHERE id = $1", select_incidents()), current.id).await?;
        let before = before.first().map(|incident| counts::contribution(&incident.fields)).unwrap_or_default();
        let now = now_to_the_second();
        let published_at = match (current.published_at, fields.status) {
            (Some(at), _) => Some(instant(at)?),
            (None, Status::Published) => Some(now),
            (None, _) => None,
        };
        let occurred_at = fields.sort_key();
        let mut query = QueryBuilder::new(&format!("UPDATE incidents SET ({}) = (", WRITTEN_COLUMNS.0));
        let params = written_params(
            fields,
            &derived,
            occurred_at,
            [
                Param::Int(expected_version + 1),
                Param::Int(current.created_at),
                Param::Text(current.created_by.clone()),
                Param::Int(now.unix_timestamp()),
                Param::Text(actor.to_string()),
                Param::OptInt(published_at.map(OffsetDateTime::unix_timestamp)),
            ],
        );
        push_values(&mut query, params);
        query.push(") WHERE id = ").bind(Param::Int(current.id));
        query.push(" AND version = ").bind(Param::Int(expected_version));
        let updated = query.build().execute(&mut *tx).await;
        match updated {
            Ok(done) if done.rows_affected() == 1 => {}
            Ok(_) => return Err(StoreError::StaleVersion { current: current.version }),
            Err(error) if is_unique_violation(&error) => return Err(StoreError::DuplicateSlug(fields.slug.clone())),
            Err(error) => return Err(error.into()),
        }
        counts::apply(&mut tx, &before, &counts::contribution(fields)).await?;
        delete_parts(&mut tx, &[current.id]).await?;
        insert_parts_many(&mut tx, &[Part { id: current.id, fields, rendered: &derived.report }]).await?;
        let meta = IncidentMeta {
            version: expected_version + 1,
            created_at: instant(current.created_at)?,
            created_by: current.created_by,
            updated_at: now,
            updated_by: actor.to_string(),
            published_at,
        };
        let incident = Incident { id: current.id, fields: fields.clone(), meta };
        revisions::record(&mut tx, &incident, note).await?;
        if current.status != fields.status.as_str() {
            workflow::record(&mut tx, current.id, incident.meta.version, fields.status, actor, now.unix_timestamp())
                .await?;
        }
        audit::record(&mut tx, actor, "incident.edit", &incident.fields.slug, note.unwrap_or_default()).await?;
        let before = Status::parse(&current.status);
        let announced = Announcement::of(before, Some(fields.status));
        change_log::record(&mut tx, incident.id, "upsert", now.unix_timestamp(), announced, incident.meta.version)
            .await?;
        tx.commit().await?;
        self.announce_change();
        Ok(incident)
    }

    /// Deletes the incident at `slug` (if still at `expected_version`, when
    /// given). Its rows and revisions stay, so nothing is lost; the slug is
    /// free for a new incident.
    pub async fn delete_incident(
        &self,
        slug: &str,
        expected_version: Option<i64>,
        actor: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let current = live_incident(&mut tx, slug).await?;
        if expected_version.is_some_and(|expected| expected != current.version) {
            return Err(StoreError::StaleVersion { current: current.version });
        }
        let now = now_to_the_second();
        sqlx::query(
            "UPDATE incidents SET deleted_at = $1, version = version + 1, updated_at = $1, updated_by = $2 WHERE id = $3",
        )
        .bind(now.unix_timestamp())
        .bind(actor)
        .bind(current.id)
        .execute(&mut *tx)
        .await?;
        let mut incidents =
            load_incidents(&mut tx, &format!("{} WHERE id = $1", select_incidents()), current.id).await?;
        let incident = incidents.pop().ok_or(StoreError::NotFound)?;
        counts::apply(&mut tx, &counts::contribution(&incident.fields), &counts::Contribution::new()).await?;
        sqlx::query("UPDATE action_items SET open_due = NULL WHERE incident_id = $1")
            .bind(current.id)
            .execute(&mut *tx)
            .await?;
        revisions::record(&mut tx, &incident, Some("deleted")).await?;
        audit::record(&mut tx, actor, "incident.delete", slug, "").await?;
        let announced = Announcement::of(Some(incident.fields.status), None);
        change_log::record(&mut tx, current.id, "delete", now.unix_timestamp(), announced, incident.meta.version)
            .await?;
        tx.commit().await?;
        self.announce_change();
        Ok(())
    }

    /// The live incident with this id, whatever its status; `None` once
    /// deleted.
    pub async fn get_incident_by_id(&self, id: i64) -> Result<Option<Incident>, StoreError> {
        let mut conn = self.read.acquire().await?;
        let sql = format!("{} WHERE id = $1 AND deleted_at IS NULL", select_incidents());
        Ok(load_incidents(&mut conn, &sql, id).await?.pop())
    }

    /// The live incidents among `ids`, whatever their status, in no
    /// particular order; deleted and unknown ids are left out.
    pub async fn get_incidents_by_ids(&self, ids: &[i64]) -> Result<Vec<Incident>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.read.acquire().await?;
        let mut incidents = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(READ_CHUNK) {
            let mut query = QueryBuilder::new(select_incidents());
            query.push(" WHERE deleted_at IS NULL AND id IN ").bind_list(chunk);
            let rows = query.build().fetch_all(&mut *conn).await?;
            incidents.extend(assemble(&mut conn, rows).await?);
        }
        Ok(incidents)
    }

    /// The live incident at `slug`, with all its parts.
    pub async fn get_incident(&self, slug: &str) -> Result<Option<Incident>, StoreError> {
        let mut conn = self.read.acquire().await?;
        let sql = format!("{} WHERE slug = $1 AND deleted_at IS NULL", select_incidents());
        let rows = sqlx::query(&sql).bind(slug).fetch_all(&mut *conn).await?;
        Ok(assemble(&mut conn, rows).await?.pop())
    }

    /// Incidents matching `filter`, most recent first unless the filter says
    /// otherwise, `limit` at a time.
    pub async fn list_incidents(
        &self,
        filter: &IncidentFilter,
        after: Option<PageCursor>,
        limit: u32,
    ) -> Result<IncidentPage, StoreError> {
        let (rows, next_cursor) = self.list_rows(select_incidents(), filter, after, limit).await?;
        let mut conn = self.read.acquire().await?;
        Ok(IncidentPage { items: assemble(&mut conn, rows).await?, next_cursor })
    }

    /// The cards of the incidents matching `filter`, in the order and pages
    /// of `list_incidents`: one row a report, nothing rendered. A report
    /// without a kept card of the current shape gets one derived here.
    pub async fn list_cards(
        &self,
        filter: &IncidentFilter,
        after: Option<PageCursor>,
        limit: u32,
    ) -> Result<CardPage, StoreError> {
        let (rows, next_cursor) = self.list_rows(SELECT_CARDS, filter, after, limit).await?;
        let items = self.cards_of(&rows).await?.into_iter().map(|(card, _)| card).collect();
        Ok(CardPage { items, next_cursor })
    }

    /// One page of a list's rows, and where the next begins. Reports of
    /// unknown date come after the dated ones in either order: newest first
    /// their sort key (`UNDATED`) puts them last; oldest first, the dated
    /// ones are read, then the undated ones, filed order.
    async fn list_rows(
        &self,
        select: &str,
        filter: &IncidentFilter,
        after: Option<PageCursor>,
        limit: u32,
    ) -> Result<(Vec<AnyRow>, Option<PageCursor>), StoreError> {
        let gather = self.gather_for(filter).await?;
        if !filter.oldest_first {
            let query = list_query(select, filter, after, limit, gather.as_ref(), Dates::All);
            let mut rows = query.build().fetch_all(&self.read).await?;
            let next = cut_page(&mut rows, limit)?;
            return Ok((rows, next));
        }
        let mut rows = Vec::new();
        let mut undated_after = after;
        if after.is_none_or(|cursor| cursor.occurred_at > UNDATED) {
            let query = list_query(select, filter, after, limit, gather.as_ref(), Dates::Known);
            rows = query.build().fetch_all(&self.read).await?;
            undated_after = None;
        }
        if rows.len() <= limit as usize {
            let left = limit - rows.len() as u32;
            let query = list_query(select, filter, undated_after, left, gather.as_ref(), Dates::Unknown);
            rows.extend(query.build().fetch_all(&self.read).await?);
        }
        let next = cut_page(&mut rows, limit)?;
        Ok((rows, next))
    }

    /// How to find the reports with the filter's label, when few carry it;
    /// `None` to walk the list order.
    pub(super) async fn gather_for(&self, filter: &IncidentFilter) -> Result<Option<Gather>, StoreError> {
        let labels = [
            ("tag", "incident_tags", "name", filter.tag.clone()),
            ("service", "incident_services", "name", filter.service.clone()),
            ("category", "contributing_factors", "category", filter.factor_category.map(|c| c.as_str().to_string())),
        ];
        let mut published = None;
        for (kind, table, column, value) in labels {
            let Some(value) = value else { continue };
            let carrying = self.count_of(kind, &value).await?;
            let all = match published {
                Some(all) => all,
                None => *published.insert(self.count_of("all", "").await?),
            };
            if carrying.saturating_mul(carrying) < GATHER_FACTOR.saturating_mul(all) {
                return Ok(Some(Gather { table, column, value }));
            }
        }
        Ok(None)
    }

    /// The cards in `rows` (each with `id` and `card`), in their order, with
    /// their rows: kept ones read, missing or outdated ones derived from the
    /// report. A report deleted meanwhile is left out.
    pub(super) async fn cards_of<'r>(&self, rows: &'r [AnyRow]) -> Result<Vec<(Card, &'r AnyRow)>, StoreError> {
        let mut kept = Vec::with_capacity(rows.len());
        for row in rows {
            let card: Option<String> = row.try_get("card")?;
            kept.push((row.try_get::<i64, _>("id")?, Card::from_kept(card.as_deref()), row));
        }
        let missing: Vec<i64> = kept.iter().filter(|(_, card, _)| card.is_none()).map(|(id, ..)| *id).collect();
        let mut derived: HashMap<i64, Card> = HashMap::new();
        if !missing.is_empty() {
            for incident in self.get_incidents_by_ids(&missing).await? {
                derived.insert(incident.id, Card::of(&incident.fields));
            }
        }
        Ok(kept.into_iter().filter_map(|(id, card, row)| Some((card.or_else(|| derived.remove(&id))?, row))).collect())
    }

    /// The rendering of `incident`'s version as kept when it was written;
    /// rendered here for a report written before renderings were kept, until
    /// `fill_missing_derived` has reached it.
    pub async fn rendered_report(&self, incident: &Incident) -> Result<RenderedReport, StoreError> {
        let row = sqlx::query("SELECT rendered, rendered_format FROM incidents WHERE id = $1 AND version = $2")
            .bind(incident.id)
            .bind(incident.meta.version)
            .fetch_optional(&self.read)
            .await?;
        let (kept, format): (Option<Vec<u8>>, Option<i64>) = match row {
            Some(row) => (row.try_get("rendered")?, row.try_get("rendered_format")?),
            None => (None, None),
        };
        match RenderedReport::from_kept(kept.as_deref(), format) {
            Some(rendered) => Ok(rendered),
            None => Ok(crate::read_model::render_report(&incident.fields).await),
        }
    }

    /// Gives every live report without a kept card and rendering of the
    /// current formats (written before they were kept, or by an older
    /// release) its card, rendering and rendered items, a batch at a time,
    /// then records that they are complete so later starts skip the look.
    /// Returns how many were filled.
    pub async fn fill_missing_derived(&self) -> Result<usize, StoreError> {
        let formats = [("cards", i64::from(CARD_FORMAT)), ("renderings", i64::from(REPORT_FORMAT))];
        let rows = sqlx::query("SELECT name, format FROM derived_complete").fetch_all(&self.read).await?;
        let mut complete = Vec::with_capacity(rows.len());
        for row in rows {
            complete.push((row.try_get::<String, _>("name")?, row.try_get::<i64, _>("format")?));
        }
        if formats.iter().all(|(name, format)| complete.iter().any(|(n, f)| n == name && f == format)) {
            return Ok(0);
        }
        let card_prefix = format!("{}%", Card::kept_prefix());
        let (mut after, mut filled) = (0_i64, 0);
        loop {
            let rows = sqlx::query(
                "SELECT id FROM incidents WHERE id > $1 AND deleted_at IS NULL \
                 AND (card IS NULL OR card NOT LIKE $2 OR rendered IS NULL OR rendered_format IS NULL \
                 OR rendered_format <> $3) ORDER BY id LIMIT $4",
            )
            .bind(after)
            .bind(&card_prefix)
            .bind(i64::from(REPORT_FORMAT))
            .bind(READ_CHUNK as i64)
            .fetch_all(&self.read)
            .await?;
            let ids = rows.iter().map(|row| row.try_get::<i64, _>("id")).collect::<Result<Vec<_>, _>>()?;
            let Some(&last) = ids.last() else { break };
            after = last;
            let incidents = self.get_incidents_by_ids(&ids).await?;
            let derived = Derived::of_all(incidents.iter().map(|incident| incident.fields.clone()).collect()).await;
            let mut tx = self.begin_write().await?;
            let mut rewritten = Vec::with_capacity(incidents.len());
            for (incident, derived) in incidents.iter().zip(&derived) {
                // Only the version it was derived from: a newer write kept its own.
                // The sort key too: it once fell back on the filing time.
                let updated = sqlx::query(
                    "UPDATE incidents SET card = $1, rendered = $2, rendered_format = $3, occurred_at = $4 \
                     WHERE id = $5 AND version = $6",
                )
                .bind(&derived.card_json)
                .bind(derived.report_kept.as_slice())
                .bind(i64::from(REPORT_FORMAT))
                .bind(incident.fields.sort_key())
                .bind(incident.id)
                .bind(incident.meta.version);
                if updated.execute(&mut *tx).await?.rows_affected() == 1 {
                    rewritten.push(Part { id: incident.id, fields: &incident.fields, rendered: &derived.report });
                }
            }
            // Their parts written again as every write writes them, now with
            // each factor's and action's text rendered.
            let ids: Vec<i64> = rewritten.iter().map(|part| part.id).collect();
            delete_parts(&mut tx, &ids).await?;
            insert_parts_many(&mut tx, &rewritten).await?;
            tx.commit().await?;
            let before = filled;
            filled += incidents.len();
            // A line every 10,000 reports: a 100k base takes a minute or two.
            if before / FILL_REPORT_EVERY != filled / FILL_REPORT_EVERY {
                tracing::info!(filled, "rendering the reports written before renderings were kept");
            }
        }
        if filled > 0 {
            tracing::info!(filled, "rendered every report written before renderings were kept");
        }
        for (name, format) in formats {
            sqlx::query(
                "INSERT INTO derived_complete (name, format) VALUES ($1, $2) \
                 ON CONFLICT (name) DO UPDATE SET format = excluded.format",
            )
            .bind(name)
            .bind(format)
            .execute(&self.write)
            .await?;
        }
        Ok(filled)
    }

    /// How many incidents are live (not deleted), whatever their status.
    pub async fn count_live_incidents(&self) -> Result<i64, StoreError> {
        let row =
            sqlx::query("SELECT COUNT(*) AS n FROM incidents WHERE deleted_at IS NULL").fetch_one(&self.read).await?;
        Ok(row.try_get("n")?)
    }

    /// How many incidents were ever stored, deleted ones included: seeds load
    /// only into a database that never held one.
    pub async fn count_all_incidents(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM incidents").fetch_one(&self.read).await?.try_get("n")?)
    }
}

/// How many reports the fill at start renders between two lines of progress.
const FILL_REPORT_EVERY: usize = 10_000;

/// Cuts `rows` (one more than `limit` when another page follows) to one
/// page, and says where the next page starts.
fn cut_page(rows: &mut Vec<AnyRow>, limit: u32) -> Result<Option<PageCursor>, StoreError> {
    let has_more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    match (has_more, rows.last()) {
        (true, Some(last)) => {
            Ok(Some(PageCursor { occurred_at: last.try_get("occurred_at")?, id: last.try_get("id")? }))
        }
        _ => Ok(None),
    }
}

/// Reports carrying a label, gathered from the label's index and sorted,
/// rather than found by walking the list order and probing the label: the
/// way for a label few reports carry.
#[derive(Debug, Clone)]
pub(super) struct Gather {
    /// The label's table and column, and the value looked for.
    pub table: &'static str,
    pub column: &'static str,
    pub value: String,
}

/// Gathering a label's `n` reports costs about `n` row reads and a sort;
/// walking the list for a page of 20 costs about 20 × published / `n`
/// probes of the label's index, each about a third of a row read. So a
/// label is gathered when n² < 7 × published: below about 840 reports of
/// 100,000, and either way a page costs at most about 2,500 index steps.
const GATHER_FACTOR: i64 = 7;

/// The query behind `Store::list_incidents` and `Store::list_cards`: one
/// more row than `limit`, to tell whether another page follows.
/// Which reports a list query reads by date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dates {
    All,
    /// Only reports whose date is known.
    Known,
    /// Only reports of unknown date.
    Unknown,
}

pub(super) fn list_query(
    select: &str,
    filter: &IncidentFilter,
    after: Option<PageCursor>,
    limit: u32,
    gather: Option<&Gather>,
    dates: Dates,
) -> QueryBuilder {
    let mut query = QueryBuilder::new(select);
    let (beyond, direction) = if filter.oldest_first { (">", "ASC") } else { ("<", "DESC") };
    match gather {
        // The ids of one page, from the label's reports sorted (`+` keeps
        // the planner from walking the list order instead); the page's rows
        // are read after, by id.
        Some(gather) => query
            .push(&format!(
                " WHERE id IN (SELECT incidents.id FROM incidents WHERE incidents.id IN \
                 (SELECT incident_id FROM {} WHERE {} = ",
                gather.table, gather.column
            ))
            .bind(Param::Text(gather.value.clone()))
            .push(") AND incidents.deleted_at IS NULL"),
        None => query.push(" WHERE incidents.deleted_at IS NULL"),
    };
    if let Some(status) = filter.status {
        // Written out rather than bound, so the planner can use the
        // index of published reports (a status is one of four words).
        query.push(&format!(" AND incidents.status = '{}'", status.as_str()));
    }
    if let Some(severity) = filter.severity {
        query.push(" AND incidents.severity = ").bind(Param::Text(severity.as_str().into()));
    }
    if let Some(created_by) = &filter.created_by {
        query.push(" AND incidents.created_by = ").bind(Param::Text(created_by.clone()));
    }
    if let Some(organization) = &filter.organization {
        query.push(" AND incidents.organization = ").bind(Param::Text(organization.clone()));
    }
    if let Some(tag) = &filter.tag {
        query
            .push(" AND EXISTS (SELECT 1 FROM incident_tags t WHERE t.incident_id = incidents.id AND t.name = ")
            .bind(Param::Text(tag.clone()))
            .push(")");
    }
    if let Some(service) = &filter.service {
        query
            .push(" AND EXISTS (SELECT 1 FROM incident_services s WHERE s.incident_id = incidents.id AND s.name = ")
            .bind(Param::Text(service.clone()))
            .push(")");
    }
    match dates {
        Dates::All => {}
        Dates::Known => {
            query.push(" AND incidents.occurred_at > ").bind(Param::Int(UNDATED));
        }
        Dates::Unknown => {
            query.push(" AND incidents.occurred_at = ").bind(Param::Int(UNDATED));
        }
    }
    if let Some((start, end)) = filter.year.and_then(year_bounds) {
        query.push(" AND incidents.occurred_at >= ").bind(Param::Int(start));
        query.push(" AND incidents.occurred_at < ").bind(Param::Int(end));
    }
    if let Some(category) = filter.factor_category {
        query
            .push(" AND EXISTS (SELECT 1 FROM contributing_factors f WHERE f.incident_id = incidents.id AND f.category = ")
            .bind(Param::Text(category.as_str().into()))
            .push(")");
    }
    if filter.has_open_actions {
        // Written out rather than bound: the states are ours, and a literal
        // list lets the planner match it against an index's.
        let open = ActionStatus::OPEN.map(|status| format!("'{}'", status.as_str())).join(", ");
        query.push(&format!(
            " AND EXISTS (SELECT 1 FROM action_items a WHERE a.incident_id = incidents.id AND a.status IN ({open}))"
        ));
    }
    if let (Some(cursor), Dates::Unknown) = (after, dates) {
        // Every undated report has the same key: the range is on the id.
        query.push(&format!(" AND incidents.id {beyond} ")).bind(Param::Int(cursor.id));
    } else if let Some(cursor) = after {
        // A row value, so both databases start the index range at the cursor.
        query
            .push(&format!(" AND (incidents.occurred_at, incidents.id) {beyond} ("))
            .bind(Param::Int(cursor.occurred_at));
        query.push(", ").bind(Param::Int(cursor.id)).push(")");
    }
    let order = if gather.is_some() { "+" } else { "" };
    query
        .push(&format!(" ORDER BY {order}incidents.occurred_at {direction}, {order}incidents.id {direction} LIMIT "))
        .bind(Param::Int(i64::from(limit) + 1));
    if gather.is_some() {
        query.push(&format!(") ORDER BY occurred_at {direction}, id {direction}"));
    }
    query
}

/// Inserts one incident, its parts, its first revision and its change-log
/// row inside `tx`. The caller moves the counts (a batch moves them once).
async fn insert_in(
    tx: &mut Transaction<'static, Any>,
    fields: &IncidentFields,
    derived: &Derived,
    meta: IncidentMeta,
    note: Option<&str>,
    action: &str,
) -> Result<Incident, StoreError> {
    let written = insert_many(tx, vec![(fields, derived, meta, note)], action).await?;
    written.into_iter().next().map(|(incident, _)| incident).ok_or(StoreError::NotFound)
}

/// Inserts incidents with their parts, first revisions, workflow steps,
/// change-log and audit rows inside `tx`, a statement per table rather than
/// per incident: an import's batch of 200 takes a dozen statements, not
/// 2,400.
async fn insert_many(
    tx: &mut Transaction<'static, Any>,
    items: Vec<(&IncidentFields, &Derived, IncidentMeta, Option<&str>)>,
    action: &str,
) -> Result<Vec<(Incident, i64)>, StoreError> {
    let items: Vec<(&IncidentFields, &Derived, IncidentMeta, Option<&str>)> = items
        .into_iter()
        .map(|(fields, derived, mut meta, note)| {
            if fields.status == Status::Published && meta.published_at.is_none() {
                meta.published_at = Some(meta.updated_at);
            }
            (fields, derived, meta, note)
        })
        .collect();
    let width = WRITTEN_COLUMNS.1;
    let mut ids: HashMap<String, i64> = HashMap::with_capacity(items.len());
    for chunk in items.chunks((MAX_PARAMS_PER_STATEMENT / width).max(1)) {
        let mut query =
            QueryBuilder::for_connection(&format!("INSERT INTO incidents ({}) VALUES ", WRITTEN_COLUMNS.0), tx);
        for (index, (fields, derived, meta, _)) in chunk.iter().enumerate() {
            query.push(if index == 0 { "(" } else { ", (" });
            let occurred_at = fields.sort_key();
            let params = written_params(
                fields,
                derived,
                occurred_at,
                [
                    Param::Int(meta.version),
                    Param::Int(meta.created_at.unix_timestamp()),
                    Param::Text(meta.created_by.clone()),
                    Param::Int(meta.updated_at.unix_timestamp()),
                    Param::Text(meta.updated_by.clone()),
                    Param::OptInt(meta.published_at.map(OffsetDateTime::unix_timestamp)),
                ],
            );
            push_values(&mut query, params);
            query.push(")");
        }
        query.push(" RETURNING id, slug");
        match query.build().fetch_all(&mut **tx).await {
            Ok(rows) => {
                for row in rows {
                    ids.insert(row.try_get("slug")?, row.try_get("id")?);
                }
            }
            Err(error) if is_unique_violation(&error) => {
                let slugs: Vec<&str> = chunk.iter().map(|(fields, ..)| fields.slug.as_str()).collect();
                return Err(StoreError::DuplicateSlug(slugs.join(", ")));
            }
            Err(error) => return Err(error.into()),
        }
    }
    let incidents: Vec<(Incident, &Derived, Option<&str>)> = items
        .into_iter()
        .map(|(fields, derived, meta, note)| {
            let id = ids.get(&fields.slug).copied().ok_or(StoreError::NotFound)?;
            Ok((Incident { id, fields: fields.clone(), meta }, derived, note))
        })
        .collect::<Result<_, StoreError>>()?;
    let parts: Vec<Part<'_>> = incidents
        .iter()
        .map(|(incident, derived, _)| Part { id: incident.id, fields: &incident.fields, rendered: &derived.report })
        .collect();
    insert_parts_many(tx, &parts).await?;

    let now = now_to_the_second().unix_timestamp();
    let (mut revisions, mut steps, mut changes, mut audits) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (incident, _, note) in &incidents {
        let snapshot = serde_json::to_string(incident).map_err(|error| StoreError::Corrupt(error.to_string()))?;
        let meta = &incident.meta;
        revisions.push(vec![
            Param::Int(incident.id),
            Param::Int(meta.version),
            Param::Text(snapshot),
            Param::OptText(note.map(str::to_string)),
            Param::Int(meta.updated_at.unix_timestamp()),
            Param::Text(meta.updated_by.clone()),
        ]);
        let entered_at = match incident.fields.status {
            Status::Published => meta.published_at.unwrap_or(meta.updated_at),
            _ => meta.updated_at,
        };
        steps.push(vec![
            Param::Int(incident.id),
            Param::Int(meta.version),
            Param::Text(incident.fields.status.as_str().to_string()),
            Param::Text(meta.updated_by.clone()),
            Param::Int(entered_at.unix_timestamp()),
        ]);
        let announced = Announcement::of(None, Some(incident.fields.status));
        changes.push(vec![
            Param::Int(incident.id),
            Param::Text("upsert".into()),
            Param::Int(meta.updated_at.unix_timestamp()),
            Param::OptText(announced.map(|event| event.as_str().to_string())),
            Param::Int(meta.version),
        ]);
        audits.push(vec![
            Param::Int(now),
            Param::Text(meta.created_by.clone()),
            Param::Text(action.to_string()),
            Param::Text(incident.fields.slug.clone()),
            Param::Text(note.unwrap_or_default().to_string()),
        ]);
    }
    insert_rows(tx, "revisions", "incident_id, version, snapshot, note, created_at, created_by", revisions).await?;
    insert_rows(tx, "workflow_steps", "incident_id, version, status, actor, at", steps).await?;
    let logged = insert_rows_returning(
        tx,
        "change_log",
        "incident_id, operation, created_at, event, version",
        changes,
        "id, incident_id",
    )
    .await?
    .iter()
    .map(|row| Ok((row.try_get::<i64, _>("incident_id")?, row.try_get::<i64, _>("id")?)))
    .collect::<Result<HashMap<i64, i64>, sqlx::Error>>()?;
    insert_rows(tx, "audit_log", "at, actor, action, subject, detail", audits).await?;
    incidents
        .into_iter()
        .map(|(incident, ..)| {
            let change = logged.get(&incident.id).copied().ok_or_else(|| {
                StoreError::Corrupt(format!("no change-log row came back for incident {}", incident.id))
            })?;
            Ok((incident, change))
        })
        .collect()
}

/// Start and end (exclusive) of a calendar year in UTC, as unix seconds.
fn year_bounds(year: i32) -> Option<(i64, i64)> {
    let start = time::Date::from_calendar_date(year, time::Month::January, 1).ok()?;
    let end = time::Date::from_calendar_date(year.checked_add(1)?, time::Month::January, 1).ok()?;
    Some((start.midnight().assume_utc().unix_timestamp(), end.midnight().assume_utc().unix_timestamp()))
}

/// What a write needs to know about the incident it changes.
struct Current {
    id: i64,
    version: i64,
    created_at: i64,
    created_by: String,
    published_at: Option<i64>,
    status: String,
}

async fn live_incident(tx: &mut Transaction<'static, Any>, slug: &str) -> Result<Current, StoreError> {
    let row = sqlx::query(
        "SELECT id, version, created_at, created_by, published_at, status FROM incidents \
         WHERE slug = $1 AND deleted_at IS NULL",
    )
    .bind(slug)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok(Current {
        id: row.try_get("id")?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        created_by: row.try_get("created_by")?,
        published_at: row.try_get("published_at")?,
        status: row.try_get("status")?,
    })
}

/// One incident's parts to write: its fields and their rendering.
#[derive(Clone, Copy)]
struct Part<'a> {
    id: i64,
    fields: &'a IncidentFields,
    rendered: &'a RenderedReport,
}

/// The rendered text of item `position` in `html`, one a factor or action.
fn item_html(html: &[String], position: i64) -> Param {
    Param::OptText(usize::try_from(position).ok().and_then(|at| html.get(at)).cloned())
}

/// The parts of several incidents, one statement per table (or a few, when
/// the rows outnumber what one statement may bind).
async fn insert_parts_many(tx: &mut Transaction<'static, Any>, incidents: &[Part<'_>]) -> Result<(), sqlx::Error> {
    let text = |value: &str| Param::Text(value.to_string());
    let optional = |value: Option<&str>| Param::OptText(value.map(str::to_string));
    /// The rows of one part table for every incident: `row` makes one from
    /// the incident, the item's position and the item.
    fn rows<'a, T: 'a>(
        incidents: &[Part<'a>],
        items: impl Fn(&'a IncidentFields) -> &'a [T],
        row: impl Fn(Part<'a>, i64, &'a T) -> Vec<Param>,
    ) -> Vec<Vec<Param>> {
        incidents
            .iter()
            .flat_map(|part| (0_i64..).zip(items(part.fields)).map(move |(position, item)| (*part, position, item)))
            .map(|(part, position, item)| row(part, position, item))
            .collect()
    }
    let label =
        |part: Part<'_>, position: i64, name: &String| vec![Param::Int(part.id), Param::Int(position), text(name)];
    insert_rows(tx, "incident_authors", "incident_id, position, name", rows(incidents, |f| &f.authors, label)).await?;
    insert_rows(tx, "incident_services", "incident_id, position, name", rows(incidents, |f| &f.services, label))
        .await?;
    insert_rows(tx, "incident_tags", "incident_id, position, name", rows(incidents, |f| &f.tags, label)).await?;
    let events = rows(
        incidents,
        |f| &f.timeline,
        |part, position, event| {
            let mut row = vec![Param::Int(part.id), Param::Int(position)];
            row.extend(time_params(event.at.as_ref()));
            row.extend([text(event.kind.as_str()), text(&event.text)]);
            row
        },
    );
    insert_rows(
        tx,
        "timeline_events",
        &format!("incident_id, position, {}, kind, text", time_columns("occurred")),
        events,
    )
    .await?;
    let factors = rows(
        incidents,
        |f| &f.factors,
        |part, position, factor| {
            vec![
                Param::Int(part.id),
                Param::Int(position),
                text(factor.category.as_str()),
                text(&factor.text),
                item_html(&part.rendered.factors_html, position),
                Param::Int(i64::from(factor.primary)),
            ]
        },
    );
    insert_rows(tx, "contributing_factors", "incident_id, position, category, text, text_html, is_primary", factors)
        .await?;
    let actions = rows(
        incidents,
        |f| &f.actions,
        |part, position, action| {
            let mut row = vec![
                Param::Int(part.id),
                Param::Int(position),
                text(&action.text),
                item_html(&part.rendered.actions_html, position),
                optional(action.owner.as_deref()),
                text(action.status.as_str()),
                optional(action.priority.map(Priority::as_str)),
                Param::OptText(action.due_on.map(crate::domain::incident::format_date)),
                optional(action.tracker_url.as_deref()),
                Param::OptText(open_due(part.fields, action)),
                Param::OptText(addresses_text(&action.addresses)),
            ];
            row.extend(time_params(action.completed_at.as_ref()));
            row
        },
    );
    insert_rows(
        tx,
        "action_items",
        &format!(
            "incident_id, position, text, text_html, owner, status, priority, due_on, tracker_url, open_due, addresses, {}",
            time_columns("completed")
        ),
        actions,
    )
    .await?;
    let related = rows(
        incidents,
        |f| &f.related,
        |part, position, link| {
            vec![Param::Int(part.id), Param::Int(position), text(&link.slug), text(link.kind.as_str())]
        },
    );
    insert_rows(tx, "related_incidents", "incident_id, position, related_slug, kind", related).await
}

/// An action's place among the open actions of published reports (see
/// migration 0009): its due date, undated ones last; `None` when it is not
/// open or its report is not published.
fn open_due(fields: &IncidentFields, action: &ActionItem) -> Option<String> {
    (action.is_open() && fields.status == Status::Published)
        .then(|| action.due_on.map_or_else(|| "9999-12-31".to_string(), crate::domain::incident::format_date))
}

/// The factors an action addresses as stored: "0 2", or NULL for none.
fn addresses_text(addresses: &[usize]) -> Option<String> {
    let places: Vec<String> = addresses.iter().map(usize::to_string).collect();
    (!places.is_empty()).then(|| places.join(" "))
}

/// The factors an action addresses, read back from `addresses_text`.
pub(super) fn addresses_from_text(text: Option<&str>) -> Result<Vec<usize>, StoreError> {
    text.unwrap_or_default()
        .split_whitespace()
        .map(|place| place.parse().map_err(|_| StoreError::Corrupt(format!("addresses `{place}` is not a position"))))
        .collect()
}

/// Both backends accept at least this many bound parameters per statement.
const MAX_PARAMS_PER_STATEMENT: usize = 30_000;

/// Inserts `rows` into `table` with as few statements as the parameter limit
/// allows.
async fn insert_rows(
    tx: &mut Transaction<'static, Any>,
    table: &str,
    columns: &str,
    rows: Vec<Vec<Param>>,
) -> Result<(), sqlx::Error> {
    insert_rows_returning(tx, table, columns, rows, "").await.map(drop)
}

/// `insert_rows`, answering the `returning` columns of each row inserted
/// (in no particular order); none when `returning` is empty.
async fn insert_rows_returning(
    tx: &mut Transaction<'static, Any>,
    table: &str,
    columns: &str,
    rows: Vec<Vec<Param>>,
    returning: &str,
) -> Result<Vec<AnyRow>, sqlx::Error> {
    let mut inserted = Vec::new();
    let width = rows.first().map_or(1, Vec::len).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut query = QueryBuilder::for_connection(&format!("INSERT INTO {table} ({columns}) VALUES "), tx);
        // The rows' texts move into the statement: a revision's snapshot
        // is the whole report.
        for (index, row) in rows.by_ref().take((MAX_PARAMS_PER_STATEMENT / width).max(1)).enumerate() {
            query.push(if index == 0 { "(" } else { ", (" });
            push_values(&mut query, row);
            query.push(")");
        }
        if returning.is_empty() {
            query.build().execute(&mut **tx).await?;
        } else {
            query.push(" RETURNING ").push(returning);
            inserted.extend(query.build().fetch_all(&mut **tx).await?);
        }
    }
    Ok(inserted)
}

const PART_TABLES: [&str; 7] = [
    "incident_authors",
    "incident_services",
    "incident_tags",
    "timeline_events",
    "contributing_factors",
    "action_items",
    "related_incidents",
];

/// Deletes the parts of the incidents `ids`, a statement per table (or a
/// few, for many incidents).
async fn delete_parts(tx: &mut Transaction<'static, Any>, ids: &[i64]) -> Result<(), sqlx::Error> {
    for table in PART_TABLES {
        for chunk in ids.chunks(READ_CHUNK) {
            let mut query = QueryBuilder::new(&format!("DELETE FROM {table} WHERE incident_id IN "));
            query.bind_list(chunk);
            query.build().execute(&mut **tx).await?;
        }
    }
    Ok(())
}

async fn load_incidents(conn: &mut sqlx::AnyConnection, sql: &str, id: i64) -> Result<Vec<Incident>, StoreError> {
    let rows = sqlx::query(sql).bind(id).fetch_all(&mut *conn).await?;
    assemble(conn, rows).await
}

/// Turns incident rows into incidents, loading each part table once for all
/// of them.
pub(super) async fn assemble(conn: &mut sqlx::AnyConnection, rows: Vec<AnyRow>) -> Result<Vec<Incident>, StoreError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut incidents = rows.iter().map(incident_from_row).collect::<Result<Vec<_>, _>>()?;
    let ids: Vec<i64> = incidents.iter().map(|incident| incident.id).collect();
    let index: HashMap<i64, usize> = ids.iter().enumerate().map(|(position, id)| (*id, position)).collect();

    for table in PART_TABLES {
        let mut query = QueryBuilder::new(&format!("SELECT * FROM {table} WHERE incident_id IN "));
        query.bind_list(&ids).push(" ORDER BY incident_id, position");
        for row in query.build().fetch_all(&mut *conn).await? {
            let owner: i64 = row.try_get("incident_id")?;
            let Some(fields) = index.get(&owner).map(|&at| &mut incidents[at].fields) else { continue };
            match table {
                "incident_authors" => fields.authors.push(row.try_get("name")?),
                "incident_services" => fields.services.push(row.try_get("name")?),
                "incident_tags" => fields.tags.push(row.try_get("name")?),
                "timeline_events" => fields.timeline.push(TimelineEvent {
                    at: time_from_row(&row, "occurred")?,
                    kind: vocabulary(&row, "kind", EventKind::parse)?,
                    text: row.try_get("text")?,
                }),
                "contributing_factors" => fields.factors.push(Factor {
                    category: vocabulary(&row, "category", FactorCategory::parse)?,
                    text: row.try_get("text")?,
                    primary: row.try_get::<i64, _>("is_primary")? != 0,
                }),
                "action_items" => fields.actions.push(action_from_row(&row)?),
                _ => fields.related.push(RelatedLink {
                    slug: row.try_get("related_slug")?,
                    kind: vocabulary(&row, "kind", RelationKind::parse)?,
                }),
            }
        }
    }
    for incident in incidents.iter_mut().filter(|incident| incident.fields.zone.is_empty()) {
        incident.fields.zone = incident.fields.derived_home_zone();
    }
    Ok(incidents)
}

fn incident_from_row(row: &AnyRow) -> Result<Incident, StoreError> {
    // The lists (services, tags, authors, timeline …) are read from their
    // own tables by `assemble`.
    let mut fields = IncidentFields::default();
    for column in &FIELD_COLUMNS {
        (column.read)(row, &mut fields)?;
    }
    for moment in KeyMoment::ALL {
        *fields.moment_mut(moment) = time_from_row(row, moment.name())?;
    }
    Ok(Incident { id: row.try_get("id")?, fields, meta: meta_from_row(row)? })
}

pub(super) fn meta_from_row(row: &AnyRow) -> Result<IncidentMeta, StoreError> {
    Ok(IncidentMeta {
        version: row.try_get("version")?,
        created_at: instant(row.try_get("created_at")?)?,
        created_by: row.try_get("created_by")?,
        updated_at: instant(row.try_get("updated_at")?)?,
        updated_by: row.try_get("updated_by")?,
        published_at: row.try_get::<Option<i64>, _>("published_at")?.map(instant).transpose()?,
    })
}

pub(super) fn action_from_row(row: &AnyRow) -> Result<ActionItem, StoreError> {
    let due_on: Option<String> = row.try_get("due_on")?;
    Ok(ActionItem {
        text: row.try_get("text")?,
        owner: row.try_get("owner")?,
        status: vocabulary(row, "status", ActionStatus::parse)?,
        priority: optional_vocabulary(row, "priority", Priority::parse)?,
        due_on: due_on
            .map(|text| parse_date(&text).ok_or_else(|| StoreError::Corrupt(format!("due_on `{text}` is not a date"))))
            .transpose()?,
        tracker_url: row.try_get("tracker_url")?,
        completed_at: match row.try_get::<Option<String>, _>("completed_zone")? {
            Some(_) => time_from_row(row, "completed")?,
            // Stored before completion times kept their zone: a UTC instant.
            None => row
                .try_get::<Option<i64>, _>("completed_at")?
                .map(|at| {
                    ReportedTime::from_parts(at, 0, "UTC".into(), "minute", false)
                        .ok_or_else(|| StoreError::Corrupt(format!("completed_at {at} is not a valid instant")))
                })
                .transpose()?,
        },
        addresses: addresses_from_text(row.try_get::<Option<String>, _>("addresses")?.as_deref())?,
    })
}

fn instant(unix_seconds: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp(unix_seconds)
        .map_err(|_| StoreError::Corrupt(format!("{unix_seconds} is not a valid instant")))
}

pub(super) fn time_from_row(row: &AnyRow, prefix: &str) -> Result<Option<ReportedTime>, StoreError> {
    let at: Option<i64> = row.try_get(format!("{prefix}_at").as_str())?;
    let Some(at) = at else { return Ok(None) };
    let offset: i64 = row.try_get(format!("{prefix}_offset").as_str())?;
    let zone: String = row.try_get(format!("{prefix}_zone").as_str())?;
    let precision: String = row.try_get(format!("{prefix}_precision").as_str())?;
    let approximate = row.try_get::<i64, _>(format!("{prefix}_approximate").as_str())? != 0;
    ReportedTime::from_parts(at, offset, zone, &precision, approximate).map(Some).ok_or_else(|| {
        StoreError::Corrupt(format!("{prefix} time {at} (offset {offset}, {precision}) is out of range"))
    })
}

pub(super) fn vocabulary<T>(row: &AnyRow, column: &str, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
    let text: String = row.try_get(column)?;
    parse(&text).ok_or_else(|| StoreError::Corrupt(format!("{column} `{text}` is not a known value")))
}

pub(super) fn optional_vocabulary<T>(
    row: &AnyRow,
    column: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, StoreError> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|text| parse(&text).ok_or_else(|| StoreError::Corrupt(format!("{column} `{text}` is not a known value"))))
        .transpose()
}
