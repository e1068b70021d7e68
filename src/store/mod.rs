//! The only place that speaks SQL. Both backends go through `sqlx::Any` with
//! portable column types (integers for instants and flags, text for the
//! rest), so each query is written once and runs on SQLite and PostgreSQL;
//! the integration suite runs against both. The few real differences (how a
//! write transaction begins, which migrations apply) are decided here.

mod audit;
mod browse;
mod change_log;
mod counts;
mod feed_posts;
mod incidents;
mod insights;
#[cfg(test)]
mod query_plans;
mod revisions;
mod sessions;
mod tokens;
mod users;
mod webhooks;
mod workflow;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, ConnectOptions, Executor, Transaction};
use tokio::sync::Notify;

pub use audit::AuditEntry;
pub use browse::{ActionCursor, ActionFilter, ActionPlace, Backlink, Label, LabelCount, OpenAction, Stats};
pub use change_log::Change;
pub use incidents::{CardPage, IncidentFilter, IncidentPage, PageCursor};
pub use revisions::Revision;
pub use sessions::SessionRecord;
pub use tokens::{TokenGrant, TokenSummary};
pub use users::{Person, User};
pub use webhooks::{Attempt, Delivery, Payload, Webhook};
pub use workflow::WorkflowStep;

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Why a store call failed. Everything but `Database` is the client's doing.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no incident with that slug")]
    NotFound,
    #[error("an incident with the slug `{0}` already exists")]
    DuplicateSlug(String),
    #[error("a user named `{0}` already exists")]
    DuplicateName(String),
    #[error("there is no user named `{0}`")]
    NoSuchUser(String),
    /// A change to people that would leave nobody able to administer.
    #[error("{0}")]
    LastAdmin(String),
    #[error("the incident has changed: it is at version {current}")]
    StaleVersion { current: i64 },
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Connection pools for one database. SQLite gets a single-connection write
/// pool, so writers queue in-process, and `BEGIN IMMEDIATE` plus a busy
/// timeout for writers in other processes.
#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
    read: AnyPool,
    write: AnyPool,
    /// Woken after each committed write, so the indexer need not wait for
    /// its next poll.
    changes: Arc<Notify>,
    /// Writes this process committed, shared by every clone of the store.
    local_writes: Arc<std::sync::atomic::AtomicU64>,
    /// Reports an import just wrote, for this process's indexer.
    just_written: Arc<change_log::JustWritten>,
}

const SQLITE_BUSY_TIMEOUT_MS: u32 = 10_000;
/// Page cache of the one writing connection: a batch of imported reports
/// touches every index's B-tree, and SQLite's default 2 MiB re-reads pages.
const SQLITE_WRITER_CACHE_KIB: u32 = 32 * 1024;
/// Page cache of each of the eight reading connections (SQLite's default).
const SQLITE_READER_CACHE_KIB: u32 = 2 * 1024;
/// Serialises change-log inserts on PostgreSQL so their ids commit in order;
/// the number is this application's, chosen at random.
const CHANGE_LOG_LOCK: i64 = 0x4869_6e64_7369;

impl Store {
    /// Opens the database named by `database_url`, or the SQLite file in
    /// `data_dir` when there is none, and applies pending migrations.
    pub async fn open(database_url: Option<&str>, data_dir: &Path) -> anyhow::Result<Store> {
        let url = match database_url.filter(|url| !url.trim().is_empty()) {
            Some(url) => url.to_string(),
            None => {
                std::fs::create_dir_all(data_dir)?;
                let path = data_dir.canonicalize()?.join("hindsight.db");
                format!("sqlite://{}?mode=rwc", path.display())
            }
        };
        let store = Store::connect(&url).await?;
        if let Err(error) = store.migrate().await {
            store.close().await;
            return Err(match error {
                // A downgrade: the database is ahead of this build.
                sqlx::migrate::MigrateError::VersionMissing(version) => anyhow::anyhow!(
                    "this database was last used by a newer Hindsight: it has migration {version}, which this \
                     build does not know. Run that version or a newer one, or restore a backup taken before the \
                     upgrade (`hindsight restore`); nothing was changed"
                ),
                other => other.into(),
            });
        }
        Ok(store)
    }

    pub async fn connect(url: &str) -> Result<Store, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(sqlx::Error::Configuration("DATABASE_URL must start with postgres:// or sqlite:".into()));
        };
        let options = AnyConnectOptions::from_str(url)?.disable_statement_logging();
        let store = match backend {
            Backend::Sqlite => {
                let pool = |connections: u32, cache_kib: u32| {
                    AnyPoolOptions::new()
                        .max_connections(connections)
                        .acquire_timeout(Duration::from_secs(30))
                        .after_connect(move |conn, _| {
                            Box::pin(async move {
                                conn.execute("PRAGMA journal_mode = WAL").await?;
                                conn.execute(format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}").as_str())
                                    .await?;
                                conn.execute("PRAGMA foreign_keys = ON").await?;
                                conn.execute("PRAGMA synchronous = NORMAL").await?;
                                conn.execute(format!("PRAGMA cache_size = -{cache_kib}").as_str()).await?;
                                Ok(())
                            })
                        })
                };
                let write = pool(1, SQLITE_WRITER_CACHE_KIB).connect_with(options.clone()).await?;
                let read = pool(8, SQLITE_READER_CACHE_KIB).connect_with(options).await?;
                Store {
                    backend,
                    read,
                    write,
                    changes: Arc::default(),
                    local_writes: Arc::default(),
                    just_written: Arc::default(),
                }
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(options)
                    .await?;
                Store {
                    backend,
                    read: pool.clone(),
                    write: pool,
                    changes: Arc::default(),
                    local_writes: Arc::default(),
                    just_written: Arc::default(),
                }
            }
        };
        Ok(store)
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&self.write).await,
            Backend::Postgres => sqlx::migrate!("migrations/postgres").run(&self.write).await,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Answers when the database does: used by `/readyz`.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.read).await.map(|_| ())
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }

    /// Writes a consistent copy of the SQLite database to the new file
    /// `path` while writers go on: `VACUUM INTO` reads one snapshot, so the
    /// copy holds every write committed before it began and none after.
    pub async fn vacuum_into(&self, path: &Path) -> Result<(), StoreError> {
        sqlx::query("VACUUM INTO $1").bind(path.to_string_lossy().into_owned()).execute(&self.read).await?;
        Ok(())
    }

    /// Each pool's name, open connections, idle ones among them, and most
    /// it may open, for the metrics.
    pub fn pool_use(&self) -> [(&'static str, u32, u32, u32); 2] {
        let of = |name, pool: &AnyPool| {
            let idle = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX).min(pool.size());
            (name, pool.size(), idle, pool.options().get_max_connections())
        };
        [of("read", &self.read), of("write", &self.write)]
    }

    /// Starts a write transaction that holds the write lock from its first
    /// statement, so no two writers interleave a read-check-write.
    async fn begin_write(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => {
                let mut tx = self.write.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(CHANGE_LOG_LOCK).execute(&mut *tx).await?;
                Ok(tx)
            }
        }
    }
}

/// A value bound into a query built at run time.
#[derive(Debug, Clone)]
enum Param {
    Int(i64),
    Text(String),
    OptInt(Option<i64>),
    OptText(Option<String>),
    Bytes(Vec<u8>),
}

/// Builds SQL with numbered placeholders (`$1`), which both backends accept,
/// or, for long inserts into SQLite, plain `?` placeholders.
#[derive(Debug, Default)]
struct QueryBuilder {
    sql: String,
    params: Vec<Param>,
    positional: bool,
}

impl QueryBuilder {
    fn new(sql: &str) -> Self {
        Self { sql: sql.to_string(), params: Vec::new(), positional: false }
    }

    /// A builder for a statement run on `connection`: on SQLite it writes
    /// `?` placeholders, because sqlx looks up each numbered one by walking
    /// the statement's list of names, which costs the square of the count
    /// (measured: 60% of an import when a statement bound 7,600).
    fn for_connection(sql: &str, connection: &mut sqlx::AnyConnection) -> Self {
        Self { positional: connection.backend_name() == "SQLite", ..Self::new(sql) }
    }

    fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends a placeholder for `param`.
    fn bind(&mut self, param: Param) -> &mut Self {
        self.params.push(param);
        if self.positional {
            self.sql.push('?');
        } else {
            let placeholder = format!("${}", self.params.len());
            self.sql.push_str(&placeholder);
        }
        self
    }

    /// Appends `(… , …)` with one placeholder per id.
    fn bind_list(&mut self, ids: &[i64]) -> &mut Self {
        self.bind_values(ids.iter().map(|id| Param::Int(*id)))
    }

    /// Binds `values` as a parenthesised list, for `IN`.
    fn bind_values(&mut self, values: impl IntoIterator<Item = Param>) -> &mut Self {
        self.sql.push('(');
        for (index, value) in values.into_iter().enumerate() {
            if index > 0 {
                self.sql.push_str(", ");
            }
            self.bind(value);
        }
        self.sql.push(')');
        self
    }

    fn build(&self) -> sqlx::query::Query<'_, Any, sqlx::any::AnyArguments<'_>> {
        let mut query = sqlx::query(&self.sql);
        for param in &self.params {
            query = match param {
                Param::Int(value) => query.bind(*value),
                Param::Text(value) => query.bind(value.as_str()),
                Param::OptInt(value) => query.bind(*value),
                Param::OptText(value) => query.bind(value.as_deref()),
                Param::Bytes(value) => query.bind(value.as_slice()),
            };
        }
        query
    }
}

/// True when `error` is a unique-constraint violation.
fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::UniqueViolation)
}
