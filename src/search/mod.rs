//! Full-text search: a tantivy index in the data dir, derived from the
//! database. One `IndexReader` serves every request; one `IndexWriter`,
//! owned by the indexer task, follows the change log. The last change
//! applied and the schema version travel in each commit's payload, so an
//! index and its cursor never disagree, and an index that is missing,
//! corrupt or from another schema is rebuilt from the database.

pub mod facets;
pub mod indexer;
mod memo;
pub mod query;
pub mod request;
pub mod schema;
pub mod tokenizer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};
use tantivy::directory::{MmapDirectory, INDEX_WRITER_LOCK};
use tantivy::{Directory, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyError};

pub use indexer::{Indexer, IndexerHandle};
pub use query::{Facets, Order, SearchHit, SearchRequest, SearchResults};
pub use request::SearchParams;
pub use schema::FacetKind;
use schema::{Fields, SCHEMA_VERSION};

use crate::store::{IncidentFilter, Store};

/// Memory the writer may buffer before it flushes a segment.
const WRITER_HEAP_BYTES: usize = 64 * 1024 * 1024;
const WRITER_THREADS: usize = 2;
const REBUILD_PAGE: u32 = 100;

/// What a commit records beside the documents.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    schema_version: u32,
    change_id: i64,
}

/// The index as request handlers use it.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// The last change-log id whose effect is searchable.
    applied: AtomicI64,
    /// False while the index is being built from the database after a start
    /// without one; searches then answer that it is being rebuilt.
    ready: AtomicBool,
    /// How far that build has come: reports added, and in all.
    rebuilt: AtomicUsize,
    rebuild_total: AtomicUsize,
    /// Searches and similar incidents worked out since the index last
    /// changed.
    memo: query::Answers,
    /// The names of each live segment's facet values, for counting them.
    facet_labels: facets::FacetLabels,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").field("applied", &self.applied).finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("the search index is in use by another process (is a server running on this data dir?)")]
    InUse,
    #[error("{0}")]
    BadQuery(String),
    #[error("the search index is being rebuilt from the database ({done} of {total} reports); try again shortly")]
    Rebuilding { done: usize, total: usize },
    #[error(transparent)]
    Index(#[from] TantivyError),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Where the index lives inside the data dir.
pub fn index_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("index")
}

impl SearchIndex {
    /// Opens the index in `dir`, rebuilding it from `store` when it is
    /// missing, corrupt or of another schema version, and returns it with the
    /// indexer that keeps it in step.
    pub async fn open(
        dir: &Path,
        store: &Store,
        progress: impl FnMut(usize, usize),
    ) -> Result<(std::sync::Arc<SearchIndex>, Indexer), SearchError> {
        let (index, writer, cursor) = match Self::open_existing(dir) {
            Ok(opened) => opened,
            Err(SearchError::InUse) => return Err(SearchError::InUse),
            Err(reason) => {
                tracing::warn!(index = %dir.display(), %reason, "rebuilding the search index from the database");
                Self::rebuild(dir, store, progress).await?
            }
        };
        let search = std::sync::Arc::new(Self::with_reader(index, cursor)?);
        let indexer = Indexer::new(std::sync::Arc::clone(&search), writer, store.clone(), cursor);
        Ok((search, indexer))
    }

    /// Opens the index in `dir` for a server: at once when it can be used,
    /// else as an empty index that the indexer builds from the database in
    /// the background, so requests are served from the first moment and
    /// searches answer that the index is being rebuilt until it is ready.
    pub async fn open_serving(
        dir: &Path,
        store: &Store,
    ) -> Result<(std::sync::Arc<SearchIndex>, Indexer), SearchError> {
        match Self::open_existing(dir) {
            Ok((index, writer, cursor)) => {
                let search = std::sync::Arc::new(Self::with_reader(index, cursor)?);
                let indexer = Indexer::new(std::sync::Arc::clone(&search), writer, store.clone(), cursor);
                Ok((search, indexer))
            }
            Err(SearchError::InUse) => Err(SearchError::InUse),
            Err(reason) => {
                tracing::warn!(index = %dir.display(), %reason, "rebuilding the search index from the database while serving");
                let (index, writer) = Self::create_fresh(dir)?;
                crate::metrics::metrics().index_rebuilds.inc();
                let search = Self::with_reader(index, 0)?;
                search.ready.store(false, Ordering::Release);
                let total = store.count_live_incidents().await.map_err(|e| SearchError::Other(e.into()))?;
                search.rebuild_total.store(total as usize, Ordering::Release);
                let search = std::sync::Arc::new(search);
                let indexer = Indexer::new(std::sync::Arc::clone(&search), writer, store.clone(), 0).rebuilding_first();
                Ok((search, indexer))
            }
        }
    }

    fn with_reader(index: Index, cursor: i64) -> Result<SearchIndex, SearchError> {
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let (_, fields) = schema::build();
        Ok(SearchIndex {
            index,
            reader,
            fields,
            applied: AtomicI64::new(cursor),
            ready: AtomicBool::new(true),
            rebuilt: AtomicUsize::new(0),
            rebuild_total: AtomicUsize::new(0),
            memo: query::Answers::default(),
            facet_labels: facets::FacetLabels::for_field("facets"),
        })
    }

    /// False while the index is being built from the database.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Refuses a search while the index is being built.
    pub fn check_ready(&self) -> Result<(), SearchError> {
        if self.is_ready() {
            return Ok(());
        }
        Err(SearchError::Rebuilding {
            done: self.rebuilt.load(Ordering::Acquire),
            total: self.rebuild_total.load(Ordering::Acquire),
        })
    }

    /// An index that opens, holds our schema version and a cursor, and whose
    /// writer lock is free.
    fn open_existing(dir: &Path) -> Result<(Index, IndexWriter, i64), SearchError> {
        if !dir.join("meta.json").exists() {
            return Err(SearchError::Other(anyhow::anyhow!("there is no index yet")));
        }
        let index = Index::open_in_dir(dir)?;
        register_analyzer(&index);
        let payload: Payload = index
            .load_metas()?
            .payload
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .ok_or_else(|| SearchError::Other(anyhow::anyhow!("the index records no change-log position")))?;
        if payload.schema_version != SCHEMA_VERSION {
            return Err(SearchError::Other(anyhow::anyhow!(
                "the index has schema version {}, this build uses {SCHEMA_VERSION}",
                payload.schema_version
            )));
        }
        // Reading every segment's metadata catches missing or damaged files.
        for segment in index.reader()?.searcher().segment_readers() {
            segment.get_store_reader(0).map_err(|e| SearchError::Other(e.into()))?;
        }
        let writer = writer_for(&index)?;
        Ok((index, writer, payload.change_id))
    }

    /// Builds a fresh index in `dir` from every live incident in `store`.
    /// `progress` is told (done, total) as incidents are added.
    pub async fn rebuild(
        dir: &Path,
        store: &Store,
        progress: impl FnMut(usize, usize),
    ) -> Result<(Index, IndexWriter, i64), SearchError> {
        let (index, mut writer) = Self::create_fresh(dir)?;
        crate::metrics::metrics().index_rebuilds.inc();
        let (_, fields) = schema::build();
        let cursor = fill(&mut writer, &fields, store, progress).await?;
        Ok((index, writer, cursor))
    }

    /// Holds the index's writer lock in `dir` until the lock is dropped: a
    /// running server holds it for its whole life, so this fails with
    /// `InUse` while one serves from this data dir. A restore holds it while
    /// it swaps the database underneath.
    pub fn lock_while_stopped(dir: &Path) -> Result<tantivy::directory::DirectoryLock, SearchError> {
        std::fs::create_dir_all(dir).map_err(|e| SearchError::Other(e.into()))?;
        let directory = MmapDirectory::open(dir).map_err(|e| SearchError::Other(e.into()))?;
        directory.acquire_lock(&INDEX_WRITER_LOCK).map_err(|_| SearchError::InUse)
    }

    /// An empty index in `dir`, anything there before removed.
    fn create_fresh(dir: &Path) -> Result<(Index, IndexWriter), SearchError> {
        std::fs::create_dir_all(dir).map_err(|e| SearchError::Other(e.into()))?;
        {
            // Never wipe an index another process is writing to.
            let directory = MmapDirectory::open(dir).map_err(|e| SearchError::Other(e.into()))?;
            let _lock = directory.acquire_lock(&INDEX_WRITER_LOCK).map_err(|_| SearchError::InUse)?;
            for entry in std::fs::read_dir(dir).map_err(|e| SearchError::Other(e.into()))? {
                let path = entry.map_err(|e| SearchError::Other(e.into()))?.path();
                if path.file_name().is_some_and(|name| name == ".tantivy-writer.lock") {
                    continue;
                }
                let removed = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
                removed.map_err(|e| SearchError::Other(e.into()))?;
            }
        }
        let (schema, _) = schema::build();
        let index = Index::create_in_dir(dir, schema)?;
        register_analyzer(&index);
        let writer = writer_for(&index)?;
        Ok((index, writer))
    }

    /// The last change-log id whose effect can be searched.
    pub fn applied_change(&self) -> i64 {
        self.applied.load(Ordering::Acquire)
    }

    fn fields(&self) -> &Fields {
        &self.fields
    }
}

fn register_analyzer(index: &Index) {
    index.tokenizers().register(tokenizer::ANALYZER, tokenizer::analyzer());
}

fn writer_for(index: &Index) -> Result<IndexWriter, SearchError> {
    index.writer_with_num_threads(WRITER_THREADS, WRITER_HEAP_BYTES).map_err(|error| match error {
        TantivyError::LockFailure(..) => SearchError::InUse,
        other => SearchError::Index(other),
    })
}

/// Commits everything the writer holds, recording `change_id` with it.
fn commit(writer: &mut IndexWriter, change_id: i64) -> Result<(), SearchError> {
    let payload = serde_json::to_string(&Payload { schema_version: SCHEMA_VERSION, change_id })
        .map_err(|e| SearchError::Other(e.into()))?;
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(&payload);
    prepared.commit()?;
    Ok(())
}

/// Adds every live incident in `store` to `writer` and commits, recording
/// the change-log position it started from; returns that position.
/// `progress` is told (done, total) as incidents are added.
async fn fill(
    writer: &mut IndexWriter,
    fields: &Fields,
    store: &Store,
    mut progress: impl FnMut(usize, usize),
) -> Result<i64, SearchError> {
    // Changes after this point are applied again by the indexer; applying
    // a change twice is harmless.
    let cursor = store.last_change_id().await.map_err(|e| SearchError::Other(e.into()))?;
    let total = store.count_live_incidents().await.map_err(|e| SearchError::Other(e.into()))? as usize;
    progress(0, total);
    // Reading the next page from the database overlaps with turning this
    // one into documents, and tantivy's threads index as they come.
    let (pages, mut received) = tokio::sync::mpsc::channel(2);
    let reader = {
        let store = store.clone();
        tokio::spawn(async move {
            let all = IncidentFilter::default();
            let mut after = None;
            loop {
                let page = store.list_incidents(&all, after, REBUILD_PAGE).await?;
                let next = page.next_cursor;
                if pages.send(page.items).await.is_err() {
                    return Ok(());
                }
                match next {
                    Some(next) => after = Some(next),
                    None => return Ok::<(), crate::store::StoreError>(()),
                }
            }
        })
    };
    let mut done = 0;
    while let Some(incidents) = received.recv().await {
        for incident in &incidents {
            writer.add_document(schema::document(fields, incident))?;
        }
        done += incidents.len();
        progress(done, total.max(done));
    }
    reader.await.map_err(|e| SearchError::Other(e.into()))?.map_err(|e| SearchError::Other(e.into()))?;
    // A commit of a large index takes seconds: keep the other requests moving.
    tokio::task::block_in_place(|| commit(writer, cursor))?;
    Ok(cursor)
}
