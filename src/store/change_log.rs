//! The change log: one row per committed write, inserted in the write's own
//! transaction. The search index follows it by id.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use sqlx::{Any, Row, Transaction};

use crate::domain::workflow::Announcement;
use crate::domain::Incident;

/// Logs a write to an incident, with what it announces to webhooks, if
/// anything, and the version it wrote.
pub(super) async fn record(
    tx: &mut Transaction<'static, Any>,
    incident_id: i64,
    operation: &str,
    now: i64,
    announced: Option<Announcement>,
    version: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO change_log (incident_id, operation, created_at, event, version) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(incident_id)
    .bind(operation)
    .bind(now)
    .bind(announced.map(Announcement::as_str))
    .bind(version)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One committed write, as the search indexer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub id: i64,
    pub incident_id: i64,
}

impl super::Store {
    /// Changes after `cursor`, oldest first, at most `limit`.
    pub async fn changes_after(&self, cursor: i64, limit: u32) -> Result<Vec<Change>, sqlx::Error> {
        let rows = sqlx::query("SELECT id, incident_id FROM change_log WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(cursor)
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(|row| Ok(Change { id: row.try_get("id")?, incident_id: row.try_get("incident_id")? })).collect()
    }

    /// How many changes come after `cursor`, and when the oldest of them
    /// was written (Unix seconds): how far behind a reader at `cursor` is.
    pub async fn changes_pending_after(&self, cursor: i64) -> Result<(i64, Option<i64>), sqlx::Error> {
        let row = sqlx::query("SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM change_log WHERE id > $1")
            .bind(cursor)
            .fetch_one(&self.read)
            .await?;
        Ok((row.try_get("n")?, row.try_get("oldest")?))
    }

    /// The id of the newest change, or 0 when there is none.
    pub async fn last_change_id(&self) -> Result<i64, sqlx::Error> {
        let row = sqlx::query("SELECT MAX(id) AS id FROM change_log").fetch_one(&self.read).await?;
        Ok(row.try_get::<Option<i64>, _>("id")?.unwrap_or(0))
    }

    /// Completes after the next write this process commits (or at once, if
    /// one committed since the last wait). Writers elsewhere are found by
    /// polling `changes_after`.
    pub async fn next_local_change(&self) {
        self.changes.notified().await;
    }

    pub(super) fn announce_change(&self) {
        self.local_writes.fetch_add(1, std::sync::atomic::Ordering::Release);
        self.changes.notify_one();
    }

    /// How many writes this process has committed: it moves the moment a
    /// write commits, before the index follows, so what this server shows
    /// after its own write is never older than the write.
    pub fn local_writes(&self) -> u64 {
        self.local_writes.load(std::sync::atomic::Ordering::Acquire)
    }
}

/// Reports this process has just committed in bulk, by the change that
/// wrote each, for the indexer in the same process to take from memory
/// rather than read back: an import would otherwise read every report it
/// wrote again, row by row. Off unless an import turns it on.
#[derive(Debug, Default)]
pub(super) struct JustWritten {
    on: AtomicBool,
    reports: Mutex<HashMap<i64, Incident>>,
}

/// Reports held at most: an indexer that falls this far behind reads the
/// rest back as it would anyway.
const JUST_WRITTEN_AT_MOST: usize = 10_000;

impl super::Store {
    /// From now on, keeps what `insert_incidents` commits for this
    /// process's indexer (`take_just_written`).
    pub fn hand_writes_to_indexer(&self) {
        self.just_written.on.store(true, Ordering::Release);
    }

    /// Keeps reports just committed, each under the change that wrote it.
    pub(super) fn keep_just_written(&self, written: Vec<(i64, Incident)>) {
        if !self.just_written.on.load(Ordering::Acquire) {
            return;
        }
        let mut reports = self.just_written.reports.lock().unwrap_or_else(|e| e.into_inner());
        if reports.len() + written.len() <= JUST_WRITTEN_AT_MOST {
            reports.extend(written);
        }
    }

    /// Takes the reports kept under `changes`, and forgets every change up
    /// to the last of them: a report is only ever what the change that
    /// wrote it wrote, and an indexer that moved past a change (it read
    /// the change before the import kept its report) never asks for it.
    pub fn take_just_written(&self, changes: &[Change]) -> HashMap<i64, Incident> {
        if !self.just_written.on.load(Ordering::Acquire) {
            return HashMap::new();
        }
        let mut reports = self.just_written.reports.lock().unwrap_or_else(|e| e.into_inner());
        let taken = changes.iter().filter_map(|change| reports.remove(&change.id).map(|report| (change.id, report)));
        let taken = taken.collect();
        if let Some(last) = changes.iter().map(|change| change.id).max() {
            reports.retain(|&change, _| change > last);
        }
        taken
    }
}
