//! Read-only views across incidents for the pages: open action items,
//! titles of linked incidents, labels in use, and small statistics. Only
//! published, live incidents appear here.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::Row;
use time::Date;

use super::incidents::{action_from_row, meta_from_row, vocabulary, IncidentFilter};
use super::{Param, QueryBuilder, Store, StoreError};
use crate::domain::incident::format_date;
use crate::domain::{ActionItem, ActionStatus, FactorCategory, IncidentMeta, Priority, RelationKind, Severity};
use crate::read_model::{item_html, Card};

const PUBLISHED: &str = "incidents.deleted_at IS NULL AND incidents.status = 'published'";
const ACTION_INCIDENT: &str =
    "incidents.slug AS incident_slug, incidents.title AS incident_title, incidents.severity, \
     incidents.zone AS incident_zone, incidents.updated_at AS incident_updated_at";

fn action_with_incident(row: &sqlx::any::AnyRow) -> Result<OpenAction, StoreError> {
    let severity: Option<String> = row.try_get("severity")?;
    Ok(OpenAction {
        incident_slug: row.try_get("incident_slug")?,
        incident_title: row.try_get("incident_title")?,
        severity: severity.as_deref().and_then(Severity::parse),
        incident_zone: row.try_get("incident_zone")?,
        text_html: row.try_get("text_html")?,
        incident_updated_at: row.try_get("incident_updated_at")?,
        incident_id: row.try_get("incident_id")?,
        position: row.try_get("position")?,
        action: action_from_row(row)?,
    })
}

/// An action item with the incident it belongs to.
#[derive(Debug, Clone)]
pub struct OpenAction {
    pub incident_slug: String,
    pub incident_title: String,
    pub severity: Option<Severity>,
    /// The incident's home zone; `None` for a report stored before home
    /// zones existed.
    pub incident_zone: Option<String>,
    pub action: ActionItem,
    /// The action's text rendered when it was written; `None` for one
    /// written before that, until the fill at start reaches it.
    pub text_html: Option<String>,
    /// When its report last changed (unix seconds).
    pub incident_updated_at: i64,
    pub incident_id: i64,
    /// Its place among its report's action items.
    pub position: i64,
}

impl OpenAction {
    /// The action's text as HTML: as rendered on write, or rendered here
    /// for one written before renderings were kept.
    pub fn rendered_text(&self) -> String {
        item_html(self.text_html.clone(), &self.action.text)
    }
}

/// A link to this incident from another one.
#[derive(Debug, Clone)]
pub struct Backlink {
    pub slug: String,
    pub title: String,
    pub kind: RelationKind,
}

/// A label in use and how many published incidents carry it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LabelCount {
    pub name: String,
    pub count: i64,
}

#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub published: i64,
    pub open_actions: i64,
    pub overdue_actions: i64,
    pub organizations: i64,
}

/// Where a page of open actions resumes: just after this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionCursor {
    pub open_due: String,
    pub incident_id: i64,
    pub position: i64,
}

impl ActionCursor {
    pub fn encode(&self) -> String {
        format!("{}_{}_{}", self.open_due, self.incident_id, self.position)
    }

    pub fn decode(text: &str) -> Option<ActionCursor> {
        let mut parts = text.splitn(3, '_');
        let open_due = parts.next()?.to_string();
        let valid = open_due.len() == 10 && open_due.chars().all(|c| c.is_ascii_digit() || c == '-');
        Some(ActionCursor { open_due, incident_id: parts.next()?.parse().ok()?, position: parts.next()?.parse().ok()? })
            .filter(|_| valid)
    }
}

/// Which action items of published reports to list (`GET /api/v1/actions`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionFilter {
    pub status: Option<ActionStatus>,
    pub owner: Option<String>,
    /// Open and past the due date (`true`), or anything else (`false`).
    pub overdue: Option<bool>,
    pub priority: Option<Priority>,
    pub service: Option<String>,
}

/// Where a page of `Store::actions` resumes: just after this item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionPlace {
    pub incident_id: i64,
    pub position: i64,
}

impl ActionPlace {
    pub fn encode(&self) -> String {
        format!("{}_{}", self.incident_id, self.position)
    }

    pub fn decode(text: &str) -> Option<ActionPlace> {
        let (incident_id, position) = text.split_once('_')?;
        Some(ActionPlace { incident_id: incident_id.parse().ok()?, position: position.parse().ok()? })
    }
}

/// Which label table to count.
#[derive(Debug, Clone, Copy)]
pub enum Label {
    Tag,
    Service,
}

impl Store {
    /// Open and in-progress action items of published incidents, `limit`
    /// at a time: the earliest due date first (so overdue ones lead),
    /// undated ones last, then the newest report first. Read in the order
    /// of an index, so a page costs the same whatever the base holds.
    /// With `owner`, only that owner's.
    pub async fn open_actions(
        &self,
        after: Option<&ActionCursor>,
        owner: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<OpenAction>, Option<ActionCursor>), StoreError> {
        let query = open_actions_query(after, owner, limit);
        let mut rows = query.build().fetch_all(&self.read).await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next = match (more, rows.last()) {
            (true, Some(last)) => Some(ActionCursor {
                open_due: last.try_get("open_due")?,
                incident_id: last.try_get("incident_id")?,
                position: last.try_get("position")?,
            }),
            _ => None,
        };
        Ok((rows.iter().map(action_with_incident).collect::<Result<_, _>>()?, next))
    }

    /// Action items of published incidents that `filter` selects, `limit`
    /// at a time: the newest report's first, each report's in its order.
    /// Overdue means open with a due date before `today`.
    pub async fn actions(
        &self,
        filter: &ActionFilter,
        today: Date,
        after: Option<ActionPlace>,
        limit: u32,
    ) -> Result<(Vec<OpenAction>, Option<ActionPlace>), StoreError> {
        let service = match &filter.service {
            Some(service) => {
                let labelled = IncidentFilter { service: Some(service.clone()), ..IncidentFilter::default() };
                Some((service.as_str(), self.gather_for(&labelled).await?.is_some()))
            }
            None => None,
        };
        let query = actions_query(filter, service, today, after, limit);
        let mut rows = query.build().fetch_all(&self.read).await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let items: Vec<OpenAction> = rows.iter().map(action_with_incident).collect::<Result<_, _>>()?;
        let next = items
            .last()
            .filter(|_| more)
            .map(|last| ActionPlace { incident_id: last.incident_id, position: last.position });
        Ok((items, next))
    }

    /// Action items of published incidents that were done at a known time,
    /// the most recently completed first; with `owner`, only that owner's.
    pub async fn recently_completed_actions(
        &self,
        owner: Option<&str>,
        limit: u32,
    ) -> Result<Vec<OpenAction>, StoreError> {
        let rows = completed_actions_query(owner, limit).build().fetch_all(&self.read).await?;
        rows.iter().map(action_with_incident).collect()
    }

    /// Titles of the published incidents among `slugs`.
    pub async fn published_titles(&self, slugs: &[String]) -> Result<HashMap<String, String>, StoreError> {
        if slugs.is_empty() {
            return Ok(HashMap::new());
        }
        let mut query = QueryBuilder::new(&format!("SELECT slug, title FROM incidents WHERE {PUBLISHED} AND slug IN "));
        query.bind_values(slugs.iter().map(|slug| Param::Text(slug.clone())));
        let rows = query.build().fetch_all(&self.read).await?;
        rows.iter().map(|row| Ok((row.try_get("slug")?, row.try_get("title")?))).collect()
    }

    /// The rendered texts of the contributing factors of `category` in the
    /// published reports at `slugs`, by slug, each report's in their order.
    pub async fn factor_quotes(
        &self,
        slugs: &[String],
        category: FactorCategory,
    ) -> Result<HashMap<String, Vec<String>>, StoreError> {
        if slugs.is_empty() {
            return Ok(HashMap::new());
        }
        let mut quotes: HashMap<String, Vec<String>> = HashMap::new();
        for row in factor_quotes_query(slugs, category).build().fetch_all(&self.read).await? {
            let html = item_html(row.try_get("text_html")?, &row.try_get::<String, _>("text")?);
            quotes.entry(row.try_get("slug")?).or_default().push(html);
        }
        Ok(quotes)
    }

    /// Published incidents that link to `slug`.
    pub async fn backlinks(&self, slug: &str) -> Result<Vec<Backlink>, StoreError> {
        let rows = backlinks_query(slug).build().fetch_all(&self.read).await?;
        rows.iter()
            .map(|row| {
                Ok(Backlink {
                    slug: row.try_get("slug")?,
                    title: row.try_get("title")?,
                    kind: vocabulary(row, "kind", RelationKind::parse)?,
                })
            })
            .collect()
    }

    /// The tags or services of published incidents, with how many carry
    /// each, most first: read from the counts kept on write.
    pub async fn label_counts(&self, label: Label) -> Result<Vec<LabelCount>, StoreError> {
        let kind = match label {
            Label::Tag => "tag",
            Label::Service => "service",
        };
        Ok(self.counts_of(kind).await?.into_iter().map(|(name, count)| LabelCount { name, count }).collect())
    }

    /// How many published incidents carry this tag or service.
    pub async fn label_count(&self, label: Label, name: &str) -> Result<i64, StoreError> {
        let kind = match label {
            Label::Tag => "tag",
            Label::Service => "service",
        };
        self.count_of(kind, name).await
    }

    /// Organizations of published incidents, with counts, by name.
    pub async fn organizations(&self) -> Result<Vec<LabelCount>, StoreError> {
        let mut organizations: Vec<LabelCount> =
            self.counts_of("organization").await?.into_iter().map(|(name, count)| LabelCount { name, count }).collect();
        organizations.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(organizations)
    }

    /// How many published incidents have a contributing factor of each
    /// category.
    pub async fn category_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        self.counts_of("category").await
    }

    /// Counts for the home page; an action is overdue when its due date is
    /// before `today`.
    pub async fn stats(&self, today: Date) -> Result<Stats, StoreError> {
        Ok(Stats {
            published: self.count_of("all", "").await?,
            organizations: self.counts_of("organization").await?.len() as i64,
            open_actions: self.count_of("open_actions", "").await?,
            overdue_actions: self.open_actions_due_before(&format_date(today)).await?,
        })
    }

    /// The cards of the most recently published incidents, with their
    /// bookkeeping, for the feed.
    pub async fn recently_published(&self, limit: u32) -> Result<Vec<(Card, IncidentMeta)>, StoreError> {
        let rows = feed_query(limit).build().fetch_all(&self.read).await?;
        self.cards_of(&rows).await?.into_iter().map(|(card, row)| Ok((card, meta_from_row(row)?))).collect()
    }
}

/// The query behind `Store::open_actions`: one more row than `limit`, to
/// tell whether another page follows.
pub(super) fn open_actions_query(after: Option<&ActionCursor>, owner: Option<&str>, limit: u32) -> QueryBuilder {
    let mut query = QueryBuilder::new(&format!(
        "SELECT a.*, {ACTION_INCIDENT} FROM action_items a JOIN incidents ON incidents.id = a.incident_id WHERE "
    ));
    if let Some(owner) = owner {
        query.push("a.owner = ").bind(Param::Text(owner.to_string())).push(" AND ");
    }
    match after {
        None => query.push("a.open_due IS NOT NULL"),
        // The index range starts at the cursor's due date; the rest (mixed
        // directions) skips what that day's rows already showed.
        Some(cursor) => query.push("a.open_due >= ").bind(Param::Text(cursor.open_due.clone())),
    };
    if let Some(cursor) = after {
        query.push(" AND (a.open_due > ").bind(Param::Text(cursor.open_due.clone()));
        query.push(" OR (a.open_due = ").bind(Param::Text(cursor.open_due.clone()));
        query.push(" AND (a.incident_id < ").bind(Param::Int(cursor.incident_id));
        query.push(" OR (a.incident_id = ").bind(Param::Int(cursor.incident_id));
        query.push(" AND a.position > ").bind(Param::Int(cursor.position)).push("))))");
    }
    query.push(" ORDER BY a.open_due, a.incident_id DESC, a.position LIMIT ").bind(Param::Int(i64::from(limit) + 1));
    query
}

/// The query behind `Store::factor_quotes`: one page's reports, found by
/// slug, and their factors of one category. (`|| ''` keeps SQLite from
/// walking every factor of the category through its index instead.)
pub(super) fn factor_quotes_query(slugs: &[String], category: FactorCategory) -> QueryBuilder {
    let mut query = QueryBuilder::new(&format!(
        "SELECT incidents.slug, f.text, f.text_html FROM incidents \
         JOIN contributing_factors f ON f.incident_id = incidents.id WHERE {PUBLISHED} AND incidents.slug IN "
    ));
    query.bind_values(slugs.iter().map(|slug| Param::Text(slug.clone())));
    query.push(" AND f.category || '' = ").bind(Param::Text(category.as_str().to_string()));
    query.push(" ORDER BY f.incident_id, f.position");
    query
}

/// The query behind `Store::actions`. It reads action items in the list's
/// order (the newest report first, each report's items in their order,
/// sorted within the report): one owner's or one status's from their index,
/// others by walking every item and filtering as it goes. A service few
/// reports carry (`service` says whether) has its reports' items gathered
/// and sorted instead, as `Store::list_cards` does for a rare label.
pub(super) fn actions_query(
    filter: &ActionFilter,
    service: Option<(&str, bool)>,
    today: Date,
    after: Option<ActionPlace>,
    limit: u32,
) -> QueryBuilder {
    let mut query = QueryBuilder::new(&format!(
        "SELECT a.*, {ACTION_INCIDENT} FROM action_items a JOIN incidents ON incidents.id = a.incident_id \
         WHERE {PUBLISHED}"
    ));
    // One index at most: the owner's, which is the rarer.
    if let Some(owner) = &filter.owner {
        query.push(" AND a.owner = ").bind(Param::Text(owner.clone()));
    }
    if let Some(status) = filter.status {
        let column = if filter.owner.is_some() { "a.status || ''" } else { "a.status" };
        query.push(&format!(" AND {column} = ")).bind(Param::Text(status.as_str().to_string()));
    }
    if let Some(priority) = filter.priority {
        query.push(" AND a.priority = ").bind(Param::Text(priority.as_str().to_string()));
    }
    match service {
        Some((service, true)) => {
            query.push(" AND a.incident_id IN (SELECT incident_id FROM incident_services WHERE name = ");
            query.bind(Param::Text(service.to_string())).push(")");
        }
        Some((service, false)) => {
            query.push(
                " AND EXISTS (SELECT 1 FROM incident_services s WHERE s.incident_id = a.incident_id AND s.name = ",
            );
            query.bind(Param::Text(service.to_string())).push(")");
        }
        None => {}
    }
    // `open_due` is the due date of an open item of a published report
    // (undated ones sort as 9999-12-31), and NULL for any other.
    let today = Param::Text(format_date(today));
    match filter.overdue {
        Some(true) => query.push(" AND a.open_due || '' < ").bind(today),
        Some(false) => query.push(" AND (a.open_due IS NULL OR a.open_due >= ").bind(today).push(")"),
        None => &mut query,
    };
    // The walk starts at the cursor's report; the rest skips what that
    // report's items already showed.
    if let Some(after) = after {
        query.push(" AND a.incident_id <= ").bind(Param::Int(after.incident_id));
        query.push(" AND (a.incident_id < ").bind(Param::Int(after.incident_id));
        query.push(" OR a.position > ").bind(Param::Int(after.position)).push(")");
    }
    query.push(" ORDER BY a.incident_id DESC, a.position LIMIT ").bind(Param::Int(i64::from(limit) + 1));
    query
}

pub(super) fn completed_actions_query(owner: Option<&str>, limit: u32) -> QueryBuilder {
    let mut query = QueryBuilder::new(&format!(
        "SELECT a.*, {ACTION_INCIDENT} \
         FROM action_items a JOIN incidents ON incidents.id = a.incident_id \
         WHERE a.completed_at IS NOT NULL AND {PUBLISHED} "
    ));
    if let Some(owner) = owner {
        query.push("AND a.owner = ").bind(Param::Text(owner.to_string())).push(" ");
    }
    query.push("ORDER BY a.completed_at DESC, a.incident_id DESC, a.position LIMIT ");
    query.bind(Param::Int(i64::from(limit)));
    query
}

pub(super) fn backlinks_query(slug: &str) -> QueryBuilder {
    let mut query = QueryBuilder::new(&format!(
        "SELECT incidents.slug, incidents.title, r.kind FROM related_incidents r \
         JOIN incidents ON incidents.id = r.incident_id \
         WHERE {PUBLISHED} AND r.related_slug = "
    ));
    query.bind(Param::Text(slug.to_string())).push(" ORDER BY incidents.occurred_at DESC");
    query
}

/// The most recently published reports, for the feed.
pub(super) fn feed_query(limit: u32) -> QueryBuilder {
    let mut query = QueryBuilder::new(&format!(
        "SELECT id, card, version, created_at, created_by, updated_at, updated_by, published_at FROM incidents \
         WHERE {PUBLISHED} ORDER BY published_at DESC, id DESC LIMIT "
    ));
    query.bind(Param::Int(i64::from(limit)));
    query
}
