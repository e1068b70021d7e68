//! The audit log: one row for each create, edit, delete, sign-in, failed
//! sign-in, user and token change. Rows about a write are inserted in that
//! write's own transaction, so the log and the data never disagree.

use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use super::{Param, QueryBuilder, Store, StoreError};
use crate::domain::audit::AuditFilter;
use crate::domain::reported_time::{format_rfc3339, now_to_the_second};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    #[schema(format = DateTime)]
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

pub(super) async fn record(
    tx: &mut Transaction<'static, Any>,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO audit_log (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)")
        .bind(now_to_the_second().unix_timestamp())
        .bind(actor)
        .bind(action)
        .bind(subject)
        .bind(detail)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// Records an event that has no write of its own (a sign-in, say).
    pub async fn audit(&self, actor: &str, action: &str, subject: &str, detail: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        record(&mut tx, actor, action, subject, detail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The entries `filter` keeps, newest first, `limit` of them.
    pub async fn audit_log(&self, filter: &AuditFilter, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let mut query = QueryBuilder::new("SELECT id, at, actor, action, subject, detail FROM audit_log WHERE 1 = 1");
        if let Some(before) = filter.before {
            query.push(" AND id < ").bind(Param::Int(before));
        }
        if let Some(actor) = &filter.actor {
            query.push(" AND actor = ").bind(Param::Text(actor.clone()));
        }
        if let Some(action) = &filter.action {
            if action.contains('.') {
                query.push(" AND action = ").bind(Param::Text(action.clone()));
            } else {
                // A kind of action: `user` is every `user.…`, and `sign-in`
                // is itself and `sign-in.failed`.
                query.push(" AND (action = ").bind(Param::Text(action.clone()));
                query.push(" OR action LIKE ").bind(Param::Text(format!("{action}.%")));
                query.push(")");
            }
        }
        if let Some(subject) = &filter.subject {
            query.push(" AND subject = ").bind(Param::Text(subject.clone()));
        }
        if let Some(since) = filter.since {
            query.push(" AND at >= ").bind(Param::Int(since));
        }
        if let Some(until) = filter.until {
            query.push(" AND at < ").bind(Param::Int(until));
        }
        query.push(" ORDER BY id DESC LIMIT ").bind(Param::Int(i64::from(limit)));
        let rows = query.build().fetch_all(&self.read).await?;
        rows.iter()
            .map(|row| {
                let at: i64 = row.try_get("at")?;
                Ok(AuditEntry {
                    id: row.try_get("id")?,
                    at: time::OffsetDateTime::from_unix_timestamp(at).map(format_rfc3339).unwrap_or_default(),
                    actor: row.try_get("actor")?,
                    action: row.try_get("action")?,
                    subject: row.try_get("subject")?,
                    detail: row.try_get("detail")?,
                })
            })
            .collect()
    }
}
