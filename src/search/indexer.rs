//! The indexer: one task that owns the index writer, follows the change log
//! from the cursor in the index, and makes each committed write searchable.
//! It wakes on this process's own writes and polls for those of other
//! servers sharing the database.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tantivy::{IndexWriter, Term};
use tokio::sync::watch;

use super::{commit, schema, SearchError, SearchIndex};
use crate::store::Store;

/// How often the log is read when nothing local woke the indexer.
const POLL: Duration = Duration::from_millis(250);
const BATCH: u32 = 500;
/// Changes applied between two commits when the indexer is behind.
const COMMIT_AT_MOST_EVERY: usize = 20_000;

pub struct Indexer {
    search: Arc<SearchIndex>,
    writer: IndexWriter,
    store: Store,
    cursor: i64,
    /// The index is empty: build it from the database before following.
    rebuild_first: bool,
    /// Changes applied since the last commit.
    uncommitted: usize,
    /// Commit only every `COMMIT_AT_MOST_EVERY` changes and when stopped,
    /// not each time the log is caught up: for an import, which writes
    /// faster than a commit's worth of documents a second.
    bulk: bool,
}

impl Indexer {
    pub(super) fn new(search: Arc<SearchIndex>, writer: IndexWriter, store: Store, cursor: i64) -> Indexer {
        Indexer { search, writer, store, cursor, rebuild_first: false, uncommitted: 0, bulk: false }
    }

    pub(super) fn rebuilding_first(self) -> Indexer {
        Indexer { rebuild_first: true, ..self }
    }

    /// For a command that writes many reports: commits rarely, and at stop.
    pub fn bulk(self) -> Indexer {
        Indexer { bulk: true, ..self }
    }

    /// Builds the whole index from the database, telling the index how far
    /// it has come, then makes it searchable.
    async fn rebuild(&mut self) -> Result<(), SearchError> {
        let fields = *self.search.fields();
        // A try that failed part way left documents behind.
        self.writer.delete_all_documents()?;
        let search = Arc::clone(&self.search);
        let cursor = super::fill(&mut self.writer, &fields, &self.store, |done, total| {
            search.rebuilt.store(done, Ordering::Release);
            search.rebuild_total.store(total, Ordering::Release);
            if done == total || done % 1_000 == 0 {
                tracing::info!(done, total, "building the search index");
            }
        })
        .await?;
        // The reader before the position, as in `commit`.
        self.search.reader.reload()?;
        self.search.applied.store(cursor, Ordering::Release);
        self.search.ready.store(true, Ordering::Release);
        self.cursor = cursor;
        self.rebuild_first = false;
        tracing::info!(change = cursor, "the search index is ready");
        Ok(())
    }

    /// Follows the change log until `stop` turns true, then applies what is
    /// left and commits.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) {
        while self.rebuild_first {
            match self.rebuild().await {
                Ok(()) => {}
                Err(error) => {
                    tracing::warn!(%error, "the search index could not be rebuilt; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_secs(5)) => {}
                        _ = stop.changed() => return,
                    }
                }
            }
        }
        loop {
            if let Err(error) = self.catch_up().await {
                tracing::warn!(%error, "the search index could not apply changes; retrying");
            }
            if *stop.borrow() {
                break;
            }
            tokio::select! {
                () = self.store.next_local_change() => {}
                () = tokio::time::sleep(POLL) => {}
                _ = stop.changed() => {}
            }
        }
        self.bulk = false;
        match self.catch_up().await {
            Ok(_) => tracing::info!(change = self.cursor, "search index committed"),
            Err(error) => tracing::warn!(%error, "the search index could not apply its last changes"),
        }
    }

    /// Applies every change after the cursor and commits; returns how many
    /// were applied.
    pub async fn catch_up(&mut self) -> Result<usize, SearchError> {
        if self.rebuild_first {
            self.rebuild().await?;
        }
        let mut applied = 0;
        loop {
            let changes =
                self.store.changes_after(self.cursor, BATCH).await.map_err(|e| SearchError::Other(e.into()))?;
            let Some(last) = changes.last().map(|change| change.id) else { break };
            // The newest state of each incident is all that matters: what
            // its newest change wrote, when an import in this process just
            // wrote it, or else what the database holds now.
            let newest: BTreeMap<i64, i64> = changes.iter().map(|change| (change.incident_id, change.id)).collect();
            let mut just_written = self.store.take_just_written(&changes);
            let fields = *self.search.fields();
            let mut to_read = Vec::new();
            for (incident_id, change_id) in &newest {
                self.writer.delete_term(Term::from_field_u64(fields.id, incident_id.unsigned_abs()));
                match just_written.remove(change_id) {
                    Some(incident) => self.writer.add_document(schema::document(&fields, &incident)).map(drop)?,
                    None => to_read.push(*incident_id),
                }
            }
            // Deleted incidents are not returned, and stay deleted.
            let live = self.store.get_incidents_by_ids(&to_read).await.map_err(|e| SearchError::Other(e.into()))?;
            for incident in &live {
                self.writer.add_document(schema::document(&fields, incident))?;
            }
            self.cursor = last;
            self.uncommitted += changes.len();
            applied += changes.len();
            // A long way behind (after an import, say), commit now and then
            // rather than every batch: each commit writes new segments.
            if self.uncommitted >= COMMIT_AT_MOST_EVERY {
                self.commit()?;
            }
        }
        if self.uncommitted > 0 && !self.bulk {
            self.commit()?;
        }
        Ok(applied)
    }

    /// Makes what the writer holds durable and searchable.
    fn commit(&mut self) -> Result<(), SearchError> {
        let writer = &mut self.writer;
        let cursor = self.cursor;
        tokio::task::block_in_place(|| commit(writer, cursor))?;
        // The reader first, then the position: an answer remembered under
        // a position must come from a reader at least that new.
        self.search.reader.reload()?;
        self.search.applied.store(cursor, Ordering::Release);
        self.uncommitted = 0;
        Ok(())
    }
}

/// A running indexer, stopped cleanly (last changes applied and committed)
/// by `stop`.
pub struct IndexerHandle {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Indexer {
    pub fn spawn(self) -> IndexerHandle {
        let (stop, stopped) = watch::channel(false);
        IndexerHandle { stop, task: tokio::spawn(self.run(stopped)) }
    }
}

impl IndexerHandle {
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }

    /// Ends the task at once, without a last commit (for tests that drop an
    /// app mid-flight).
    pub fn abort(&self) {
        self.task.abort();
    }
}
