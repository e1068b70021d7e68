//! Backups of a knowledge base kept in SQLite, taken while the server goes
//! on writing, and restoring one into a stopped data dir.
//!
//! A backup is `VACUUM INTO` a new file beside the one asked for: one read
//! snapshot, so it holds every write acknowledged before it began. The
//! copy is then opened on its own and must pass `PRAGMA integrity_check`
//! before it takes its name; a backup that fails leaves no file behind that
//! could be mistaken for a good one.
//!
//! PostgreSQL has its own tools for this (`pg_dump`, `pg_restore`), which
//! `POSTGRES_ADVICE` explains.
//!
//! The server can take backups on a schedule (`--backup-every 6h --keep
//! 14`) into a folder, keeping the newest; the last one's time and result
//! are on `/admin/backups` and in `/metrics`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::{Connection, Row};
use time::OffsetDateTime;

use crate::metrics::metrics;
use crate::store::{Backend, Store};

/// The database's file in a data dir.
pub const DB_FILE: &str = "hindsight.db";

/// What a backup's file is called while it is written and checked, before
/// the process id and a random suffix.
const PARTIAL: &str = ".partial-";

/// What to do instead on PostgreSQL.
pub const POSTGRES_ADVICE: &str = "This knowledge base is kept in PostgreSQL, whose own tools back it up while it \
runs: `pg_dump --format=custom --file=hindsight.dump \"$DATABASE_URL\"`, and `pg_restore --clean --dbname=\"$DATABASE_URL\" \
hindsight.dump` into a database no server is using (then start the server: it rebuilds its search index). To keep a \
copy in Hindsight's own format instead, `hindsight export DIR` writes every report, or `GET /api/v1/export` streams \
them as JSON Lines; `hindsight import` reads either back.";

/// A backup written and checked.
#[derive(Debug, Clone)]
pub struct Backup {
    pub path: PathBuf,
    pub bytes: u64,
    /// Incidents in the copy, drafts and all.
    pub incidents: i64,
    pub took: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{POSTGRES_ADVICE}")]
    Postgres,
    #[error("{0} exists already: name a new file, or a folder to write a dated file into")]
    Exists(PathBuf),
    #[error("{path} is not a sound backup: {reason}")]
    Unsound { path: PathBuf, reason: String },
    #[error("a server is using the data dir {0}: stop it first, so nothing writes while its database is replaced")]
    InUse(PathBuf),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// The name of a backup taken at `at`: `hindsight-20261203T061500Z.db`,
/// so that names sort as times do.
pub fn file_name(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "hindsight-{:04}{:02}{:02}T{:02}{:02}{:02}Z.db",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// The file a backup asked for at `path` goes to: a dated file inside it
/// when it is a folder, else `path` itself, which must not exist.
pub fn target_for(path: &Path, at: OffsetDateTime) -> Result<PathBuf, BackupError> {
    let target = if path.is_dir() { path.join(file_name(at)) } else { path.to_path_buf() };
    if target.exists() {
        return Err(BackupError::Exists(target));
    }
    Ok(target)
}

/// Copies the database behind `store` to `target` (a new file), checks the
/// copy, and only then gives it its name.
pub async fn take(store: &Store, target: &Path) -> Result<Backup, BackupError> {
    if store.backend() == Backend::Postgres {
        return Err(BackupError::Postgres);
    }
    if target.exists() {
        return Err(BackupError::Exists(target.to_path_buf()));
    }
    let started = Instant::now();
    // A name of this run's own: nothing another run or the user keeps is
    // touched, and a run cut off leaves only a file named as unfinished.
    let file_name = target.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let unique = crate::auth::password::random_text(8).map_err(BackupError::Failed)?;
    let partial = target.with_file_name(format!("{file_name}{PARTIAL}{}-{unique}", std::process::id()));
    let written = async {
        store.vacuum_into(&partial).await.map_err(|error| anyhow::anyhow!("copying the database: {error}"))?;
        let incidents = check(&partial).await?;
        std::fs::File::open(&partial).and_then(|file| file.sync_all()).map_err(anyhow::Error::from)?;
        // A link, not a rename: it fails rather than replace a file that
        // took the name meanwhile.
        std::fs::hard_link(&partial, target).map_err(|error| match error.kind() {
            std::io::ErrorKind::AlreadyExists => BackupError::Exists(target.to_path_buf()),
            _ => BackupError::Failed(error.into()),
        })?;
        sync_folder(target);
        Ok::<_, BackupError>(incidents)
    }
    .await;
    let _ = std::fs::remove_file(&partial);
    let incidents = written?;
    let bytes = std::fs::metadata(target).map(|meta| meta.len()).unwrap_or(0);
    Ok(Backup { path: target.to_path_buf(), bytes, incidents, took: started.elapsed() })
}

/// Makes a rename in `file`'s folder durable.
fn sync_folder(file: &Path) {
    if let Some(folder) = file.parent() {
        let _ = std::fs::File::open(folder).and_then(|folder| folder.sync_all());
    }
}

/// Opens a copy read-only and checks it: `PRAGMA integrity_check` says ok,
/// and it holds a knowledge base of a schema this build knows. Returns how
/// many incidents it holds.
pub async fn check(path: &Path) -> Result<i64, BackupError> {
    checked_copy(path, None).await
}

/// Checks the backup at `path` as `check` does and, when it is sound and
/// `copy_to` names a new file, writes a copy there from the same read
/// snapshot (so a `-wal` file beside the backup is copied with it).
async fn checked_copy(path: &Path, copy_to: Option<&Path>) -> Result<i64, BackupError> {
    let unsound = |reason: String| BackupError::Unsound { path: path.to_path_buf(), reason };
    if !path.is_file() {
        return Err(unsound("there is no such file".into()));
    }
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path).read_only(true);
    let mut connection = sqlx::SqliteConnection::connect_with(&options)
        .await
        .map_err(|error| unsound(format!("it does not open: {error}")))?;
    let checked = async {
        let verdicts: Vec<String> = sqlx::query("PRAGMA integrity_check")
            .fetch_all(&mut connection)
            .await
            .map_err(|error| unsound(format!("it cannot be read: {error}")))?
            .iter()
            .map(|row| row.try_get::<String, _>(0).unwrap_or_default())
            .collect();
        if verdicts != ["ok"] {
            return Err(unsound(format!("the integrity check found: {}", verdicts.join("; "))));
        }
        let newest: i64 = sqlx::query("SELECT MAX(version) AS v FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut connection)
            .await
            .and_then(|row| row.try_get::<Option<i64>, _>("v"))
            .map_err(|_| unsound("it is not a Hindsight database".into()))?
            .unwrap_or(0);
        let known = sqlx::migrate!("migrations/sqlite").iter().map(|migration| migration.version).max().unwrap_or(0);
        if newest > known {
            return Err(unsound(format!(
                "it was written by a newer Hindsight (schema {newest}; this build knows up to {known}): restore it with that version"
            )));
        }
        let incidents: i64 = sqlx::query("SELECT COUNT(*) AS n FROM incidents")
            .fetch_one(&mut connection)
            .await
            .and_then(|row| row.try_get("n"))
            .map_err(|_| unsound("it is not a Hindsight database".into()))?;
        if let Some(copy_to) = copy_to {
            sqlx::query("VACUUM INTO $1")
                .bind(copy_to.to_string_lossy().into_owned())
                .execute(&mut connection)
                .await
                .map_err(|error| BackupError::Failed(anyhow::anyhow!("copying the backup: {error}")))?;
        }
        Ok(incidents)
    }
    .await;
    let _ = connection.close().await;
    checked
}

/// A restore done: how many incidents the data dir now holds, and where the
/// database it had before was put.
#[derive(Debug)]
pub struct Restored {
    pub incidents: i64,
    pub previous: Option<PathBuf>,
}

/// Restores the backup at `backup` into `data_dir`, whose server must be
/// stopped: the backup is checked, the database there is kept aside under
/// a dated name (never deleted), the backup is copied into its place, and
/// migrations bring it up to this build. The caller rebuilds the index.
pub async fn restore(backup: &Path, data_dir: &Path) -> Result<Restored, BackupError> {
    std::fs::create_dir_all(data_dir).map_err(anyhow::Error::from)?;
    let database = data_dir.join(DB_FILE);
    let in_place = |suffix: &str| PathBuf::from(format!("{}{suffix}", database.display()));
    // The backup must not be one of the files the restore moves aside.
    if let Ok(backup) = backup.canonicalize() {
        for suffix in ["", "-wal", "-shm"] {
            if in_place(suffix).canonicalize().is_ok_and(|file| file == backup) {
                return Err(BackupError::Unsound {
                    path: backup,
                    reason: "it is the data dir's own database; restore a copy `hindsight backup` wrote".into(),
                });
            }
        }
    }
    // Held while the database is replaced: no server may start meanwhile.
    let _lock = crate::search::SearchIndex::lock_while_stopped(&crate::search::index_dir(data_dir))
        .map_err(|_| BackupError::InUse(data_dir.to_path_buf()))?;
    // Copied, from one read of the checked backup, before anything moves.
    let copying = data_dir.join(format!("{DB_FILE}.restoring-{}", std::process::id()));
    let _ = std::fs::remove_file(&copying);
    let copied = async {
        let incidents = checked_copy(backup, Some(&copying)).await?;
        std::fs::File::open(&copying).and_then(|file| file.sync_all()).map_err(anyhow::Error::from)?;
        Ok::<_, BackupError>(incidents)
    }
    .await;
    let incidents = match copied {
        Ok(incidents) => incidents,
        Err(error) => {
            let _ = std::fs::remove_file(&copying);
            return Err(error);
        }
    };
    // The database that was here, kept aside under a name nothing else has.
    let mut previous = None;
    if database.exists() {
        let stamp = file_name(OffsetDateTime::now_utc());
        let aside = (0..100)
            .map(|n| {
                data_dir.join(format!(
                    "{DB_FILE}.before-restore-{stamp}{}",
                    if n == 0 { String::new() } else { format!("-{n}") }
                ))
            })
            .find(|aside| !aside.exists())
            .ok_or_else(|| anyhow::anyhow!("too many databases kept aside in {}", data_dir.display()))?;
        let mut moved = Vec::new();
        for suffix in ["", "-wal", "-shm"] {
            let (from, to) = (in_place(suffix), PathBuf::from(format!("{}{suffix}", aside.display())));
            if !from.exists() {
                continue;
            }
            if let Err(error) = std::fs::rename(&from, &to) {
                put_back(&moved);
                let _ = std::fs::remove_file(&copying);
                return Err(BackupError::Failed(error.into()));
            }
            moved.push((from, to));
        }
        previous = Some((aside, moved));
    }
    let opened = async {
        std::fs::rename(&copying, &database).map_err(anyhow::Error::from)?;
        sync_folder(&database);
        let store = Store::open(None, data_dir).await?;
        store.close().await;
        Ok::<_, anyhow::Error>(())
    }
    .await;
    if let Err(error) = opened {
        // The restore did not take: the database that was here goes back.
        let _ = std::fs::remove_file(&copying);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(in_place(suffix));
        }
        if let Some((_, moved)) = &previous {
            put_back(moved);
        }
        return Err(BackupError::Failed(
            error.context("the restored database did not open; the one that was here is back"),
        ));
    }
    Ok(Restored { incidents, previous: previous.map(|(aside, _)| aside) })
}

/// Moves files back where they were.
fn put_back(moved: &[(PathBuf, PathBuf)]) {
    for (from, to) in moved {
        if let Err(error) = std::fs::rename(to, from) {
            tracing::error!(file = %to.display(), %error, "could not be put back; it is kept under that name");
        }
    }
}

/// Backups the server takes by itself, and the last one's outcome.
#[derive(Debug)]
pub struct Schedule {
    /// Where backups go; `None` on PostgreSQL, which has its own tools.
    pub folder: Option<PathBuf>,
    /// How often; `None`: only when an admin asks.
    pub every: Option<Duration>,
    /// How many to keep: older ones are removed after a good backup.
    pub keep: usize,
    last: Mutex<Option<LastBackup>>,
    /// One backup at a time.
    running: tokio::sync::Mutex<()>,
}

/// The outcome of the last backup this server took.
#[derive(Debug, Clone)]
pub struct LastBackup {
    pub at: OffsetDateTime,
    pub outcome: Result<Backup, String>,
}

/// A backup file kept in the folder.
#[derive(Debug, Clone)]
pub struct KeptBackup {
    pub name: String,
    pub bytes: u64,
}

impl Schedule {
    pub fn new(folder: Option<PathBuf>, every: Option<Duration>, keep: usize) -> Schedule {
        Schedule { folder, every, keep: keep.max(1), last: Mutex::new(None), running: tokio::sync::Mutex::new(()) }
    }

    /// No folder, no schedule: what a server on PostgreSQL has.
    pub fn none() -> Schedule {
        Schedule::new(None, None, 1)
    }

    pub fn last(&self) -> Option<LastBackup> {
        self.last.lock().ok().and_then(|last| last.clone())
    }

    /// The backups in the folder, newest first.
    pub fn kept(&self) -> Vec<KeptBackup> {
        let Some(folder) = &self.folder else { return Vec::new() };
        let mut kept: Vec<KeptBackup> = std::fs::read_dir(folder)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                let ours = name.starts_with("hindsight-") && name.ends_with("Z.db");
                let bytes = entry.metadata().ok().filter(|meta| meta.is_file())?.len();
                ours.then_some(KeptBackup { name, bytes })
            })
            .collect();
        kept.sort_by(|a, b| b.name.cmp(&a.name));
        kept
    }

    /// Takes a backup into the folder now, removes the oldest beyond
    /// `keep` once it is good, and records the outcome.
    pub async fn run(&self, store: &Store) -> Result<Backup, BackupError> {
        let Some(folder) = &self.folder else { return Err(BackupError::Postgres) };
        let _one_at_a_time = self.running.lock().await;
        self.remove_abandoned(folder);
        let taken = async {
            std::fs::create_dir_all(folder).map_err(anyhow::Error::from)?;
            // Names go by the second: one asked for in the same second as
            // the last waits for the next.
            let mut target = target_for(folder, OffsetDateTime::now_utc());
            if matches!(target, Err(BackupError::Exists(_))) {
                tokio::time::sleep(Duration::from_secs(1)).await;
                target = target_for(folder, OffsetDateTime::now_utc());
            }
            take(store, &target?).await
        }
        .await;
        let finished = OffsetDateTime::now_utc();
        metrics().backup_done(taken.is_ok(), finished);
        match &taken {
            Ok(backup) => {
                tracing::info!(path = %backup.path.display(), bytes = backup.bytes, incidents = backup.incidents, "backed up the database");
                for old in self.kept().iter().skip(self.keep) {
                    if let Err(error) = std::fs::remove_file(folder.join(&old.name)) {
                        tracing::warn!(name = %old.name, %error, "an old backup could not be removed");
                    }
                }
            }
            Err(error) => tracing::error!(%error, "the backup failed"),
        }
        if let Ok(mut last) = self.last.lock() {
            *last = Some(LastBackup {
                at: finished,
                outcome: taken.as_ref().map(Backup::clone).map_err(ToString::to_string),
            });
        }
        taken
    }

    /// Whether a backup is being taken now.
    pub fn is_running(&self) -> bool {
        self.running.try_lock().is_err()
    }

    /// Removes what backups cut off an hour ago or more left behind (a
    /// process that stopped mid-copy): files of this folder's own naming
    /// that were never finished.
    fn remove_abandoned(&self, folder: &Path) {
        let Ok(entries) = std::fs::read_dir(folder) else { return };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            let abandoned = name.starts_with("hindsight-") && name.contains(PARTIAL);
            let old = entry
                .metadata()
                .and_then(|meta| meta.modified())
                .ok()
                .and_then(|at| at.elapsed().ok())
                .is_some_and(|age| age > Duration::from_secs(3600));
            if abandoned && old {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    /// How long until the next scheduled backup: at once when the newest
    /// kept one is older than the interval (or there is none), else when it
    /// will be.
    fn first_wait(&self, every: Duration) -> Duration {
        let newest = self.kept().into_iter().next().and_then(|kept| {
            let folder = self.folder.as_ref()?;
            std::fs::metadata(folder.join(kept.name)).ok()?.modified().ok()
        });
        newest.and_then(|at| at.elapsed().ok()).map_or(Duration::ZERO, |age| every.saturating_sub(age))
    }
}

/// Takes backups every `schedule.every`, for as long as the process runs.
pub fn spawn(store: Store, schedule: Arc<Schedule>) {
    let Some(every) = schedule.every else { return };
    tokio::spawn(async move {
        tokio::time::sleep(schedule.first_wait(every)).await;
        loop {
            let _ = schedule.run(&store).await;
            tokio::time::sleep(every).await;
        }
    });
}

/// Reads an interval: a number and a unit, `s`, `m`, `h` or `d` (`6h`,
/// `90m`, `1d`).
pub fn parse_every(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| format!("`{text}`: write a number and a unit, like 6h or 30m"))?;
    let seconds = match unit.trim() {
        "s" => number,
        "m" => number * 60,
        "h" => number * 3600,
        "d" => number * 86_400,
        _ => return Err(format!("`{text}`: the unit is s, m, h or d, like 6h or 30m")),
    };
    if seconds == 0 || seconds > 366 * 86_400 {
        return Err(format!("`{text}`: choose from 1s to 366d"));
    }
    Ok(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_read_with_their_unit() {
        assert_eq!(parse_every("6h"), Ok(Duration::from_secs(6 * 3600)));
        assert_eq!(parse_every("90m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_every("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_every(" 30s "), Ok(Duration::from_secs(30)));
        for bad in ["", "6", "h", "0h", "6 hours", "-1h", "400d"] {
            assert!(parse_every(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn backup_names_sort_as_their_times() {
        let at = time::macros::datetime!(2026-12-03 06:15:00 UTC);
        assert_eq!(file_name(at), "hindsight-20261203T061500Z.db");
        assert!(file_name(at) < file_name(at + time::Duration::seconds(1)));
    }
}
