//! `/admin/backups`: the backups this server takes, for an admin: the
//! schedule, the last backup's time and result, the files kept, a button to
//! take one now, and how to restore one. On PostgreSQL, how to use its
//! own tools instead.

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::extract::{check_form, unreadable, AdminSession};
use super::page::{page_with_status, Layout, WebError, WebPage};
use crate::app::AppState;
use crate::backup::{BackupError, POSTGRES_ADVICE};
use crate::format;
use crate::store::SessionRecord;

/// How long "Back up now" waits for the backup before it answers that one
/// is being taken: well inside the request timeout.
const WAIT_FOR_BACKUP: std::time::Duration = std::time::Duration::from_secs(20);

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/backups", get(show).post(back_up_now))
}

#[derive(askama::Template)]
#[template(path = "admin/backups.html")]
struct BackupsPage {
    layout: Layout,
    csrf: String,
    /// The folder, when this server takes backups (SQLite).
    folder: Option<String>,
    postgres_advice: &'static str,
    /// "Every 6 hour(s), keeping the newest 14.", when there is a schedule.
    schedule: Option<String>,
    last: Option<LastRow>,
    /// A backup is being taken now.
    running: bool,
    kept: Vec<KeptRow>,
    data_dir_hint: String,
}

impl WebPage for BackupsPage {}

struct LastRow {
    when: String,
    ok: bool,
    /// The file and its size, or why it failed.
    detail: String,
}

struct KeptRow {
    name: String,
    size: String,
}

fn kib(bytes: u64) -> String {
    format!("{} KiB", bytes.div_ceil(1024))
}

fn every(duration: std::time::Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        s if s % 86_400 == 0 => format!("{} day(s)", s / 86_400),
        s if s % 3600 == 0 => format!("{} hour(s)", s / 3600),
        s if s % 60 == 0 => format!("{} minute(s)", s / 60),
        s => format!("{s} second(s)"),
    }
}

fn render(state: &AppState, admin: &SessionRecord, status: StatusCode) -> Result<Response, WebError> {
    let backups = &state.backups;
    let schedule =
        backups.every.map(|interval| format!("Every {}, keeping the newest {}.", every(interval), backups.keep));
    let last = backups.last().map(|last| LastRow {
        when: format::date_time(last.at),
        ok: last.outcome.is_ok(),
        detail: match &last.outcome {
            Ok(backup) => format!(
                "{} ({}, {} incidents, checked by SQLite's integrity check)",
                backup.path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default(),
                kib(backup.bytes),
                backup.incidents
            ),
            Err(reason) => reason.clone(),
        },
    });
    page_with_status(
        &BackupsPage {
            layout: Layout::new("Backups", "account"),
            csrf: admin.csrf_token.clone(),
            folder: backups.folder.as_ref().map(|folder| folder.display().to_string()),
            postgres_advice: POSTGRES_ADVICE,
            schedule,
            last,
            running: backups.is_running(),
            kept: backups.kept().into_iter().map(|kept| KeptRow { size: kib(kept.bytes), name: kept.name }).collect(),
            data_dir_hint: backups
                .folder
                .as_ref()
                .and_then(|folder| folder.parent())
                .map_or_else(|| "DATA_DIR".to_string(), |dir| dir.display().to_string()),
        },
        status,
    )
}

async fn show(State(state): State<AppState>, AdminSession(admin): AdminSession) -> Result<Response, WebError> {
    render(&state, &admin, StatusCode::OK)
}

#[derive(Debug, Default, Deserialize)]
struct NowForm {
    #[serde(default)]
    csrf: String,
}

/// Takes a backup now; the page shows how it went as the last backup.
async fn back_up_now(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminSession(admin): AdminSession,
    form: Result<Form<NowForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    let Form(form) = form.map_err(unreadable)?;
    check_form(&headers, &admin, &form.csrf)?;
    state.store.audit(&admin.user.name, "backup.take", "database", "").await?;
    // A task of its own, so a backup that outlasts the request still ends
    // as it should: checked, named, and recorded.
    let (schedule, store) = (std::sync::Arc::clone(&state.backups), state.store.clone());
    let mut backup = tokio::spawn(async move { schedule.run(&store).await });
    let status = match tokio::time::timeout(WAIT_FOR_BACKUP, &mut backup).await {
        Ok(Ok(Ok(_))) => StatusCode::CREATED,
        Ok(Ok(Err(BackupError::Postgres))) => StatusCode::CONFLICT,
        Ok(Ok(Err(_)) | Err(_)) => StatusCode::INTERNAL_SERVER_ERROR,
        // Still copying: the page says so, and shows the outcome when
        // reloaded after.
        Err(_) => StatusCode::ACCEPTED,
    };
    render(&state, &admin, status)
}
