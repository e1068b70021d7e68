//! Counts over the published reports (how many carry each tag, service,
//! organization and factor category, how many actions are open and when
//! they are due), kept up to date in every write's transaction. Pages read
//! a few rows instead of counting across the base, so a count costs the same
//! at 100,000 reports as at 8.

use std::collections::BTreeMap;

use sqlx::{Any, Row, Transaction};

use super::{Store, StoreError};
use crate::domain::{IncidentFields, Status};

/// What one report adds to the counts: (kind, name) → how many.
pub(super) type Contribution = BTreeMap<(&'static str, String), i64>;

/// What `fields` adds while it is published and live; nothing otherwise.
pub(super) fn contribution(fields: &IncidentFields) -> Contribution {
    let mut counts = Contribution::new();
    if fields.status != Status::Published {
        return counts;
    }
    counts.insert(("all", String::new()), 1);
    for tag in &fields.tags {
        counts.insert(("tag", tag.clone()), 1);
    }
    for service in &fields.services {
        counts.insert(("service", service.clone()), 1);
    }
    if let Some(organization) = &fields.organization {
        counts.insert(("organization", organization.clone()), 1);
    }
    for factor in &fields.factors {
        counts.insert(("category", factor.category.as_str().to_string()), 1);
    }
    for action in fields.actions.iter().filter(|action| action.is_open()) {
        *counts.entry(("open_actions", String::new())).or_default() += 1;
        if let Some(due) = action.due_on {
            *counts.entry(("open_due", crate::domain::incident::format_date(due))).or_default() += 1;
        }
    }
    counts
}

/// Moves the counts from what `before` added to what `after` adds.
pub(super) async fn apply(
    tx: &mut Transaction<'static, Any>,
    before: &Contribution,
    after: &Contribution,
) -> Result<(), StoreError> {
    let mut deltas: BTreeMap<&(&'static str, String), i64> = BTreeMap::new();
    for (key, n) in after {
        *deltas.entry(key).or_default() += n;
    }
    for (key, n) in before {
        *deltas.entry(key).or_default() -= n;
    }
    for ((kind, name), delta) in deltas.into_iter().filter(|(_, delta)| *delta != 0) {
        sqlx::query(
            "INSERT INTO published_counts (kind, name, n) VALUES ($1, $2, $3) \
             ON CONFLICT (kind, name) DO UPDATE SET n = published_counts.n + excluded.n",
        )
        .bind(*kind)
        .bind(name.as_str())
        .bind(delta)
        .execute(&mut **tx)
        .await?;
        if delta < 0 {
            sqlx::query("DELETE FROM published_counts WHERE kind = $1 AND name = $2 AND n <= 0")
                .bind(*kind)
                .bind(name.as_str())
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

impl Store {
    /// The names of one kind with their counts, most first.
    pub(super) async fn counts_of(&self, kind: &str) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query("SELECT name, n FROM published_counts WHERE kind = $1 AND n > 0 ORDER BY n DESC, name")
            .bind(kind)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(|row| Ok((row.try_get("name")?, row.try_get("n")?))).collect()
    }

    /// One count; 0 when nothing is counted under it.
    pub(super) async fn count_of(&self, kind: &str, name: &str) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT n FROM published_counts WHERE kind = $1 AND name = $2")
            .bind(kind)
            .bind(name)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.map(|row| row.try_get("n")).transpose()?.unwrap_or(0))
    }

    /// How many open actions of published reports were due before `day`
    /// (`YYYY-MM-DD`): one row per due date, read by a range of the key.
    pub(super) async fn open_actions_due_before(&self, day: &str) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS n FROM published_counts \
             WHERE kind = 'open_due' AND name < $1",
        )
        .bind(day)
        .fetch_one(&self.read)
        .await?;
        Ok(row.try_get("n")?)
    }
}
