//! The review workflow's record: each status a report enters, who moved it
//! there and when. Written in the transaction of the change itself.

use sqlx::{Any, Row, Transaction};
use time::OffsetDateTime;

use super::{Store, StoreError};
use crate::domain::Status;

#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowStep {
    pub version: i64,
    pub status: Status,
    pub actor: String,
    pub at: OffsetDateTime,
}

pub(super) async fn record(
    tx: &mut Transaction<'static, Any>,
    incident_id: i64,
    version: i64,
    status: Status,
    actor: &str,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO workflow_steps (incident_id, version, status, actor, at) VALUES ($1, $2, $3, $4, $5)")
        .bind(incident_id)
        .bind(version)
        .bind(status.as_str())
        .bind(actor)
        .bind(at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// The statuses the incident with this id has been through, oldest first.
    pub async fn workflow_steps(&self, incident_id: i64) -> Result<Vec<WorkflowStep>, StoreError> {
        let rows =
            sqlx::query("SELECT version, status, actor, at FROM workflow_steps WHERE incident_id = $1 ORDER BY id")
                .bind(incident_id)
                .fetch_all(&self.read)
                .await?;
        rows.iter()
            .map(|row| {
                let status: String = row.try_get("status")?;
                let at: i64 = row.try_get("at")?;
                Ok(WorkflowStep {
                    version: row.try_get("version")?,
                    status: Status::parse(&status)
                        .ok_or_else(|| StoreError::Corrupt(format!("`{status}` is not a status")))?,
                    actor: row.try_get("actor")?,
                    at: OffsetDateTime::from_unix_timestamp(at)
                        .map_err(|_| StoreError::Corrupt(format!("{at} is not a valid instant")))?,
                })
            })
            .collect()
    }
}
