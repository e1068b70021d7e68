//! Revisions: a full JSON snapshot of an incident after every change, so any
//! version can be read, compared and restored.

use serde::Serialize;
use sqlx::{Any, Row, Transaction};
use time::OffsetDateTime;

use super::{Store, StoreError};
use crate::domain::reported_time::format_rfc3339;
use crate::domain::Incident;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Revision {
    pub version: i64,
    #[serde(serialize_with = "serialize_instant")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    pub created_by: String,
    pub note: Option<String>,
    /// The incident as it stood at this version, in the API's JSON shape.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub snapshot: Option<serde_json::Value>,
}

impl Revision {
    /// The incident as it stood at this version, as input to check again
    /// (to restore it); `None` when the list was read without contents.
    pub fn input(&self) -> Option<Result<crate::domain::IncidentInput, serde_json::Error>> {
        self.snapshot.clone().map(serde_json::from_value)
    }
}

fn serialize_instant<S: serde::Serializer>(at: &OffsetDateTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_rfc3339(*at))
}

pub(super) async fn record(
    tx: &mut Transaction<'static, Any>,
    incident: &Incident,
    note: Option<&str>,
) -> Result<(), StoreError> {
    let snapshot = serde_json::to_string(incident).map_err(|error| StoreError::Corrupt(error.to_string()))?;
    sqlx::query(
        "INSERT INTO revisions (incident_id, version, snapshot, note, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(incident.id)
    .bind(incident.meta.version)
    .bind(snapshot)
    .bind(note)
    .bind(incident.meta.updated_at.unix_timestamp())
    .bind(incident.meta.updated_by.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// The revisions of the incident with this id, newest first, without
    /// their snapshots.
    pub async fn list_revisions(&self, id: i64) -> Result<Vec<Revision>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, note, created_at, created_by FROM revisions WHERE incident_id = $1 ORDER BY version DESC",
        )
        .bind(id)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(|row| revision_from_row(row, None)).collect()
    }

    /// One revision of the incident with this id, with its snapshot.
    pub async fn get_revision(&self, id: i64, version: i64) -> Result<Option<Revision>, StoreError> {
        let row = sqlx::query(
            "SELECT version, note, created_at, created_by, snapshot FROM revisions WHERE incident_id = $1 AND version = $2",
        )
        .bind(id)
        .bind(version)
        .fetch_optional(&self.read)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let snapshot: String = row.try_get("snapshot")?;
        let snapshot = serde_json::from_str(&snapshot).map_err(|error| StoreError::Corrupt(error.to_string()))?;
        revision_from_row(&row, Some(snapshot)).map(Some)
    }
}

fn revision_from_row(row: &sqlx::any::AnyRow, snapshot: Option<serde_json::Value>) -> Result<Revision, StoreError> {
    let created_at: i64 = row.try_get("created_at")?;
    Ok(Revision {
        version: row.try_get("version")?,
        created_at: OffsetDateTime::from_unix_timestamp(created_at)
            .map_err(|_| StoreError::Corrupt(format!("{created_at} is not a valid instant")))?,
        created_by: row.try_get("created_by")?,
        note: row.try_get("note")?,
        snapshot,
    })
}
