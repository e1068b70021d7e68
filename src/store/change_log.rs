//! The change log: one row per committed write, inserted in the write's own
//! transaction. The search index follows it by id.

use sqlx::{Any, Transaction};

pub(super) async fn record(
    tx: &mut Transaction<'static, Any>,
    incident_id: i64,
    operation: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO change_log (incident_id, operation, created_at) VALUES ($1, $2, $3)")
        .bind(incident_id)
        .bind(operation)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
