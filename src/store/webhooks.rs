//! Webhooks and their deliveries: the addresses an admin registered, the
//! change log turned into one delivery per hook and announcing write, and
//! how each delivery went (`webhooks` sends them).

use sqlx::Row;

use super::{audit, Param, QueryBuilder, Store, StoreError};
use crate::domain::reported_time::{format_rfc3339, now_to_the_second};

/// A registered webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    pub created_by: String,
    pub created_at: i64,
}

/// One announcement to one hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub url: String,
    pub secret: String,
    pub event: String,
    pub incident_slug: String,
    pub payload: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

/// What a webhook is sent: the event, the change that made it, when, and
/// the report as that write left it, in the API's shape.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(as = WebhookPayload)]
pub struct Payload {
    /// `incident.published`, `incident.updated`, `incident.unpublished` or
    /// `incident.deleted`.
    pub event: String,
    /// The change log's number for the write: larger is later.
    pub change_id: i64,
    #[schema(format = DateTime)]
    pub occurred_at: String,
    #[schema(value_type = crate::domain::Incident)]
    pub incident: serde_json::Value,
}

/// How an attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Delivered {
        status: u16,
    },
    /// Refused or unreachable: tried again at `retry_at`, or given up.
    Failed {
        status: Option<u16>,
        error: String,
        retry_at: Option<i64>,
    },
}

const DELIVERY_COLUMNS: &str = "d.id, d.webhook_id, w.url, w.secret, d.event, d.incident_slug, d.payload, d.state, \
     d.attempts, d.next_attempt_at, d.last_status, d.last_error, d.created_at, d.delivered_at";

fn delivery_from_row(row: &sqlx::any::AnyRow) -> Result<Delivery, sqlx::Error> {
    Ok(Delivery {
        id: row.try_get("id")?,
        webhook_id: row.try_get("webhook_id")?,
        url: row.try_get("url")?,
        secret: row.try_get("secret")?,
        event: row.try_get("event")?,
        incident_slug: row.try_get("incident_slug")?,
        payload: row.try_get("payload")?,
        state: row.try_get("state")?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        last_status: row.try_get("last_status")?,
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
        delivered_at: row.try_get("delivered_at")?,
    })
}

impl Store {
    /// Registers `url`, to hear of the writes from now on, with its secret.
    pub async fn add_webhook(&self, url: &str, secret: &str, actor: &str) -> Result<Webhook, StoreError> {
        let now = now_to_the_second().unix_timestamp();
        let mut tx = self.write.begin().await?;
        let end = sqlx::query("SELECT COALESCE(MAX(id), 0) AS id FROM change_log").fetch_one(&mut *tx).await?;
        let start_after: i64 = end.try_get("id")?;
        let row = sqlx::query(
            "INSERT INTO webhooks (url, secret, created_by, created_at, start_after) VALUES ($1, $2, $3, $4, $5) \
             RETURNING id",
        )
        .bind(url)
        .bind(secret)
        .bind(actor)
        .bind(now)
        .bind(start_after)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        audit::record(&mut tx, actor, "webhook.add", url, &format!("webhook {id}")).await?;
        tx.commit().await?;
        Ok(Webhook { id, url: url.to_string(), created_by: actor.to_string(), created_at: now })
    }

    /// The webhooks in use, oldest first.
    pub async fn webhooks(&self) -> Result<Vec<Webhook>, StoreError> {
        let rows =
            sqlx::query("SELECT id, url, created_by, created_at FROM webhooks WHERE removed_at IS NULL ORDER BY id")
                .fetch_all(&self.read)
                .await?;
        rows.iter()
            .map(|row| {
                Ok(Webhook {
                    id: row.try_get("id")?,
                    url: row.try_get("url")?,
                    created_by: row.try_get("created_by")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Stops a webhook: nothing more is sent to it, and what it has not
    /// received yet is marked so in its log. `false` when there is none.
    pub async fn remove_webhook(&self, id: i64, actor: &str) -> Result<bool, StoreError> {
        let now = now_to_the_second().unix_timestamp();
        let mut tx = self.write.begin().await?;
        let removed = sqlx::query("UPDATE webhooks SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if removed {
            sqlx::query(
                "UPDATE webhook_deliveries SET state = 'failed', last_error = 'the webhook was removed' \
                 WHERE webhook_id = $1 AND state = 'pending'",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
            audit::record(&mut tx, actor, "webhook.remove", &format!("webhook {id}"), "").await?;
        }
        tx.commit().await?;
        Ok(removed)
    }

    /// Turns announcing writes of the change log, after where this last
    /// stopped, into a delivery for each webhook registered before them, at
    /// most `limit` changes at a time. Any number of servers may do this at
    /// once: each delivery is made once. Returns how many changes it read.
    pub async fn queue_deliveries(&self, limit: u32) -> Result<usize, StoreError> {
        // Most rounds find nothing new: they say so from the read pool,
        // leaving the writers' connection to the writers.
        let progress =
            sqlx::query("SELECT last_change_id FROM webhook_progress WHERE id = 1").fetch_one(&self.read).await?;
        if progress.try_get::<i64, _>("last_change_id")? >= self.last_change_id().await? {
            return Ok(0);
        }
        let mut tx = self.write.begin().await?;
        let progress =
            sqlx::query("SELECT last_change_id FROM webhook_progress WHERE id = 1").fetch_one(&mut *tx).await?;
        let after: i64 = progress.try_get("last_change_id")?;
        let changes = sqlx::query(
            "SELECT c.id, c.event, c.incident_id, c.version, c.created_at, i.slug FROM change_log c \
             JOIN incidents i ON i.id = c.incident_id WHERE c.id > $1 ORDER BY c.id LIMIT $2",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        let Some(last) = changes.last() else { return Ok(0) };
        let last: i64 = last.try_get("id")?;
        let hooks = sqlx::query("SELECT id, start_after FROM webhooks WHERE removed_at IS NULL")
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|row| Ok((row.try_get::<i64, _>("id")?, row.try_get::<i64, _>("start_after")?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let now = now_to_the_second().unix_timestamp();
        for change in &changes {
            let Some(event) = change.try_get::<Option<String>, _>("event")? else { continue };
            let change_id: i64 = change.try_get("id")?;
            let listening: Vec<i64> = hooks.iter().filter(|(_, start)| *start < change_id).map(|(id, _)| *id).collect();
            if listening.is_empty() {
                continue;
            }
            let incident_id: i64 = change.try_get("incident_id")?;
            let version: Option<i64> = change.try_get("version")?;
            let slug: String = change.try_get("slug")?;
            let snapshot = match version {
                Some(version) => sqlx::query("SELECT snapshot FROM revisions WHERE incident_id = $1 AND version = $2")
                    .bind(incident_id)
                    .bind(version)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|row| row.try_get::<String, _>("snapshot"))
                    .transpose()?,
                None => None,
            };
            let incident: serde_json::Value = snapshot
                .and_then(|text| serde_json::from_str(&text).ok())
                .unwrap_or_else(|| serde_json::json!({ "slug": slug }));
            let occurred_at: i64 = change.try_get("created_at")?;
            let payload = Payload {
                event: event.clone(),
                change_id,
                occurred_at: time::OffsetDateTime::from_unix_timestamp(occurred_at)
                    .map(format_rfc3339)
                    .unwrap_or_default(),
                incident,
            };
            let payload = serde_json::to_string(&payload).map_err(|error| StoreError::Corrupt(error.to_string()))?;
            for hook in listening {
                sqlx::query(
                    "INSERT INTO webhook_deliveries (webhook_id, change_id, event, incident_slug, payload, state, \
                     attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6) \
                     ON CONFLICT (webhook_id, change_id) DO NOTHING",
                )
                .bind(hook)
                .bind(change_id)
                .bind(&event)
                .bind(&slug)
                .bind(&payload)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        }
        sqlx::query(
            "UPDATE webhook_progress SET last_change_id = CASE WHEN last_change_id < $1 THEN $1 ELSE last_change_id END \
             WHERE id = 1",
        )
        .bind(last)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(changes.len())
    }

    /// Claims the next delivery of each webhook that is due, in the order
    /// they were made: a hook hears of writes in order, and one that is
    /// down is not sent the rest meanwhile. A claim lasts until
    /// `lease_until`, so another server (or this one after a restart)
    /// takes it up only if this one never says how it went.
    pub async fn claim_deliveries(&self, now: i64, lease_until: i64) -> Result<Vec<Delivery>, StoreError> {
        let heads = sqlx::query(
            "SELECT MIN(id) AS id FROM webhook_deliveries WHERE state = 'pending' \
             AND webhook_id IN (SELECT id FROM webhooks WHERE removed_at IS NULL) GROUP BY webhook_id",
        )
        .fetch_all(&self.read)
        .await?;
        let mut claimed = Vec::new();
        for head in heads {
            let id: i64 = head.try_get("id")?;
            let taken = sqlx::query(
                "UPDATE webhook_deliveries SET lease_until = $1 WHERE id = $2 AND state = 'pending' \
                 AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < $3)",
            )
            .bind(lease_until)
            .bind(id)
            .bind(now)
            .execute(&self.write)
            .await?
            .rows_affected();
            if taken == 1 {
                let mut query = QueryBuilder::new(&format!(
                    "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
                     WHERE d.id = "
                ));
                query.bind(Param::Int(id));
                let row = query.build().fetch_one(&self.write).await?;
                claimed.push(delivery_from_row(&row)?);
            }
        }
        Ok(claimed)
    }

    /// Records how an attempt at a claimed delivery went, unless it was
    /// settled meanwhile (its webhook removed).
    pub async fn record_attempt(&self, id: i64, attempt: &Attempt, now: i64) -> Result<(), StoreError> {
        let (state, status, error, next) = match attempt {
            Attempt::Delivered { status } => ("delivered", Some(i64::from(*status)), None, now),
            Attempt::Failed { status, error, retry_at } => (
                if retry_at.is_some() { "pending" } else { "failed" },
                status.map(i64::from),
                Some(error.clone()),
                retry_at.unwrap_or(now),
            ),
        };
        sqlx::query(
            "UPDATE webhook_deliveries SET state = $1, attempts = attempts + 1, last_status = $2, last_error = $3, \
             next_attempt_at = $4, lease_until = NULL, delivered_at = $5 WHERE id = $6 AND state = 'pending'",
        )
        .bind(state)
        .bind(status)
        .bind(error)
        .bind(next)
        .bind((state == "delivered").then_some(now))
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// How many of a webhook's deliveries wait to be sent, and the one
    /// being tried now (the oldest: the others wait behind it).
    pub async fn waiting(&self, webhook: i64) -> Result<(i64, Option<Delivery>), StoreError> {
        let count =
            sqlx::query("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE webhook_id = $1 AND state = 'pending'")
                .bind(webhook)
                .fetch_one(&self.read)
                .await?
                .try_get::<i64, _>("n")?;
        let mut query = QueryBuilder::new(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.state = 'pending' AND d.webhook_id = "
        ));
        query.bind(Param::Int(webhook)).push(" ORDER BY d.id LIMIT 1");
        let head = query.build().fetch_optional(&self.read).await?;
        Ok((count, head.as_ref().map(delivery_from_row).transpose()?))
    }

    /// The newest deliveries, of one webhook or all, at most `limit`.
    pub async fn deliveries(&self, webhook: Option<i64>, limit: u32) -> Result<Vec<Delivery>, StoreError> {
        let mut query = QueryBuilder::new(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id"
        ));
        if let Some(webhook) = webhook {
            query.push(" WHERE d.webhook_id = ").bind(Param::Int(webhook));
        }
        query.push(" ORDER BY d.id DESC LIMIT ").bind(Param::Int(i64::from(limit)));
        let rows = query.build().fetch_all(&self.read).await?;
        Ok(rows.iter().map(delivery_from_row).collect::<Result<_, _>>()?)
    }
}
