//! Read-only views across incidents for the pages: open action items,
//! titles of linked incidents, labels in use, and small statistics. Only
//! published, live incidents appear here.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::Row;
use time::Date;

use super::incidents::{action_from_row, assemble, vocabulary, SELECT_INCIDENTS};
use super::{Param, QueryBuilder, Store, StoreError};
use crate::domain::incident::format_date;
use crate::domain::{ActionItem, Incident, RelationKind, Severity};

const PUBLISHED: &str = "incidents.deleted_at IS NULL AND incidents.status = 'published'";
const ACTION_INCIDENT: &str =
    "incidents.slug AS incident_slug, incidents.title AS incident_title, incidents.severity, incidents.zone AS incident_zone";

fn action_with_incident(row: &sqlx::any::AnyRow) -> Result<OpenAction, StoreError> {
    let severity: Option<String> = row.try_get("severity")?;
    Ok(OpenAction {
        incident_slug: row.try_get("incident_slug")?,
        incident_title: row.try_get("incident_title")?,
        severity: severity.as_deref().and_then(Severity::parse),
        incident_zone: row.try_get("incident_zone")?,
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
}

/// A link to this incident from another one.
#[derive(Debug, Clone)]
pub struct Backlink {
    pub slug: String,
    pub title: String,
    pub kind: RelationKind,
}

/// A label in use and how many published incidents carry it.
#[derive(Debug, Clone, Serialize)]
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

/// Which label table to count.
#[derive(Debug, Clone, Copy)]
pub enum Label {
    Tag,
    Service,
}

impl Store {
    /// Open and in-progress action items of published incidents: those with
    /// the earliest due date first, undated ones last.
    pub async fn open_actions(&self, limit: u32) -> Result<Vec<OpenAction>, StoreError> {
        let sql = format!(
            "SELECT a.*, {ACTION_INCIDENT} \
             FROM action_items a JOIN incidents ON incidents.id = a.incident_id \
             WHERE {PUBLISHED} AND a.status IN ('open', 'in_progress') \
             ORDER BY CASE WHEN a.due_on IS NULL THEN 1 ELSE 0 END, a.due_on, incidents.occurred_at DESC, a.position \
             LIMIT $1"
        );
        let rows = sqlx::query(&sql).bind(i64::from(limit)).fetch_all(&self.read).await?;
        rows.iter().map(action_with_incident).collect()
    }

    /// Action items of published incidents that were done at a known time,
    /// the most recently completed first.
    pub async fn recently_completed_actions(&self, limit: u32) -> Result<Vec<OpenAction>, StoreError> {
        let sql = format!(
            "SELECT a.*, {ACTION_INCIDENT} \
             FROM action_items a JOIN incidents ON incidents.id = a.incident_id \
             WHERE a.completed_at IS NOT NULL AND {PUBLISHED} \
             ORDER BY a.completed_at DESC, a.incident_id DESC, a.position LIMIT $1"
        );
        let rows = sqlx::query(&sql).bind(i64::from(limit)).fetch_all(&self.read).await?;
        rows.iter().map(action_with_incident).collect()
    }

    /// Titles of the published incidents among `slugs`.
    pub async fn published_titles(&self, slugs: &[String]) -> Result<HashMap<String, String>, StoreError> {
        if slugs.is_empty() {
            return Ok(HashMap::new());
        }
        let mut query =
            QueryBuilder::new(&format!("SELECT slug, title FROM incidents WHERE {PUBLISHED} AND slug IN ("));
        for (index, slug) in slugs.iter().enumerate() {
            if index > 0 {
                query.push(", ");
            }
            query.bind(Param::Text(slug.clone()));
        }
        query.push(")");
        let rows = query.build().fetch_all(&self.read).await?;
        rows.iter().map(|row| Ok((row.try_get("slug")?, row.try_get("title")?))).collect()
    }

    /// Published incidents that link to `slug`.
    pub async fn backlinks(&self, slug: &str) -> Result<Vec<Backlink>, StoreError> {
        let sql = format!(
            "SELECT incidents.slug, incidents.title, r.kind FROM related_incidents r \
             JOIN incidents ON incidents.id = r.incident_id \
             WHERE {PUBLISHED} AND r.related_slug = $1 ORDER BY incidents.occurred_at DESC"
        );
        let rows = sqlx::query(&sql).bind(slug).fetch_all(&self.read).await?;
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

    /// Tags or services of published incidents, most used first.
    pub async fn label_counts(&self, label: Label) -> Result<Vec<LabelCount>, StoreError> {
        let table = match label {
            Label::Tag => "incident_tags",
            Label::Service => "incident_services",
        };
        let sql = format!(
            "SELECT l.name, COUNT(*) AS n FROM {table} l JOIN incidents ON incidents.id = l.incident_id \
             WHERE {PUBLISHED} GROUP BY l.name ORDER BY n DESC, l.name"
        );
        let rows = sqlx::query(&sql).fetch_all(&self.read).await?;
        rows.iter().map(|row| Ok(LabelCount { name: row.try_get("name")?, count: row.try_get("n")? })).collect()
    }

    /// Organizations of published incidents, with counts, by name.
    pub async fn organizations(&self) -> Result<Vec<LabelCount>, StoreError> {
        let sql = format!(
            "SELECT organization, COUNT(*) AS n FROM incidents WHERE {PUBLISHED} AND organization IS NOT NULL \
             GROUP BY organization ORDER BY organization"
        );
        let rows = sqlx::query(&sql).fetch_all(&self.read).await?;
        rows.iter().map(|row| Ok(LabelCount { name: row.try_get("organization")?, count: row.try_get("n")? })).collect()
    }

    /// Counts for the home page; an action is overdue when its due date is
    /// before `today`.
    pub async fn stats(&self, today: Date) -> Result<Stats, StoreError> {
        let sql = format!(
            "SELECT \
               (SELECT COUNT(*) FROM incidents WHERE {PUBLISHED}) AS published, \
               (SELECT COUNT(DISTINCT organization) FROM incidents WHERE {PUBLISHED}) AS organizations, \
               (SELECT COUNT(*) FROM action_items a JOIN incidents ON incidents.id = a.incident_id \
                  WHERE {PUBLISHED} AND a.status IN ('open', 'in_progress')) AS open_actions, \
               (SELECT COUNT(*) FROM action_items a JOIN incidents ON incidents.id = a.incident_id \
                  WHERE {PUBLISHED} AND a.status IN ('open', 'in_progress') AND a.due_on < $1) AS overdue_actions"
        );
        let row = sqlx::query(&sql).bind(format_date(today)).fetch_one(&self.read).await?;
        Ok(Stats {
            published: row.try_get("published")?,
            organizations: row.try_get("organizations")?,
            open_actions: row.try_get("open_actions")?,
            overdue_actions: row.try_get("overdue_actions")?,
        })
    }

    /// The most recently published incidents, for the feed.
    pub async fn recently_published(&self, limit: u32) -> Result<Vec<Incident>, StoreError> {
        let sql = format!("{SELECT_INCIDENTS} WHERE {PUBLISHED} ORDER BY published_at DESC, id DESC LIMIT $1");
        let mut conn = self.read.acquire().await?;
        let rows = sqlx::query(&sql).bind(i64::from(limit)).fetch_all(&mut *conn).await?;
        assemble(&mut conn, rows).await
    }
}
