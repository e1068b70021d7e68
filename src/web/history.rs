//! A report's history: the workflow steps it went through, every revision
//! with who made it, when and why, a field-by-field diff of any two
//! revisions, and restoring an old revision as a new one.

use axum::extract::{Form, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::extract::{check_form, unreadable, WriterSession};
use super::page::{missing, page, Layout, WebError, WebPage};
use crate::app::AppState;
use crate::domain::revision_diff::{diff, Change, FieldChange};
use crate::domain::workflow::{no_longer_valid, restored, status_words};
use crate::domain::{Incident, IncidentInput, Status};
use crate::error::AppError;
use crate::format;
use crate::store::Revision;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/incidents/{slug}/history", get(history))
        .route("/incidents/{slug}/diff", get(compare))
        .route("/incidents/{slug}/history/{version}/restore", get(confirm_restore).post(restore))
}

/// The incident at `slug`, for a signed-in writer: the history holds
/// revisions from before publication (text a reviewer took out, who moved
/// the report along), so it is not for the public or for readers.
async fn visible(state: &AppState, slug: &str) -> Result<Incident, WebError> {
    state.store.get_incident(slug).await?.ok_or_else(|| missing("incident"))
}

pub struct StepView {
    pub status: &'static str,
    pub actor: String,
    pub when: String,
    pub version: i64,
}

pub struct RevisionView {
    pub version: i64,
    pub previous: Option<i64>,
    pub when: String,
    pub who: String,
    pub note: String,
    pub current: bool,
}

#[derive(askama::Template)]
#[template(path = "incidents/history.html")]
struct HistoryPage {
    layout: Layout,
    slug: String,
    title: String,
    steps: Vec<StepView>,
    revisions: Vec<RevisionView>,
    /// What a restore just did, right after it.
    restored: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct HistoryParams {
    /// Set by a restore: the version it made.
    #[serde(default)]
    restored: String,
}

impl WebPage for HistoryPage {}

async fn history(
    State(state): State<AppState>,
    WriterSession(_current): WriterSession,
    Path(slug): Path<String>,
    params: Result<Query<HistoryParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    let incident = visible(&state, &slug).await?;
    let restored_as = params.ok().and_then(|Query(params)| params.restored.trim().parse::<i64>().ok());
    let revisions = state.store.list_revisions(incident.id).await?;
    let steps = state.store.workflow_steps(incident.id).await?;
    let views = revisions
        .iter()
        .enumerate()
        .map(|(index, revision)| RevisionView {
            version: revision.version,
            previous: revisions.get(index + 1).map(|older| older.version),
            when: format::date_time(revision.created_at),
            who: revision.created_by.clone(),
            note: revision.note.clone().unwrap_or_default(),
            current: revision.version == incident.meta.version,
        })
        .collect();
    page(&HistoryPage {
        layout: Layout::new(format!("History: {}", incident.fields.title), "incidents"),
        slug: incident.fields.slug.clone(),
        title: incident.fields.title.clone(),
        restored: restored_as.filter(|version| *version == incident.meta.version).map(|version| {
            let note = revisions.first().and_then(|revision| revision.note.clone()).unwrap_or_default();
            format!("Saved as version {version} ({note}). The report is {}.", status_words(incident.fields.status))
        }),
        steps: steps
            .into_iter()
            .map(|step| StepView {
                status: step.status.label(),
                actor: step.actor,
                when: format::date_time(step.at),
                version: step.version,
            })
            .collect(),
        revisions: views,
    })
}

#[derive(Debug, Default, Deserialize)]
struct CompareParams {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// One side of a comparison.
pub struct RevisionHead {
    pub version: i64,
    pub when: String,
    pub who: String,
    pub note: String,
}

impl RevisionHead {
    fn new(revision: &Revision) -> RevisionHead {
        RevisionHead {
            version: revision.version,
            when: format::date_time(revision.created_at),
            who: revision.created_by.clone(),
            note: revision.note.clone().unwrap_or_default(),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "incidents/diff.html")]
struct DiffPage {
    layout: Layout,
    slug: String,
    title: String,
    version: i64,
    csrf: String,
    from: RevisionHead,
    to: RevisionHead,
    changes: Vec<FieldChange>,
}

impl WebPage for DiffPage {}

async fn load_revision(
    state: &AppState,
    incident: &Incident,
    version: &str,
) -> Result<(Revision, IncidentInput), WebError> {
    let number: i64 = version
        .trim()
        .parse()
        .map_err(|_| AppError::BadRequest(format!("`{}` is not a version number", version.trim())))?;
    let revision =
        state.store.get_revision(incident.id, number).await?.ok_or_else(|| missing(&format!("version {number}")))?;
    let input = revision.input().unwrap_or_else(|| Ok(IncidentInput::default())).map_err(|error| {
        AppError::Internal(anyhow::anyhow!("revision {number} of {} is unreadable: {error}", incident.fields.slug))
    })?;
    Ok((revision, input))
}

async fn compare(
    State(state): State<AppState>,
    WriterSession(current): WriterSession,
    Path(slug): Path<String>,
    params: Result<Query<CompareParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    let incident = visible(&state, &slug).await?;
    let csrf = current.csrf_token;
    let Query(params) = params.map_err(|rejection| AppError::BadRequest(rejection.body_text()))?;
    let (from, before) = load_revision(&state, &incident, &params.from).await?;
    let (to, after) = load_revision(&state, &incident, &params.to).await?;
    let changes = state.heavy_work.run(move || diff(&before, &after)).await?;
    page(&DiffPage {
        layout: Layout::new(format!("Changes: {}", incident.fields.title), "incidents"),
        slug: incident.fields.slug.clone(),
        title: incident.fields.title.clone(),
        version: incident.meta.version,
        csrf,
        from: RevisionHead::new(&from),
        to: RevisionHead::new(&to),
        changes,
    })
}

#[derive(Debug, Default, Deserialize)]
struct RestoreForm {
    #[serde(default)]
    csrf: String,
    /// The version the writer saw as current.
    #[serde(default)]
    current: String,
}

/// `/incidents/{slug}/history/{version}/restore`, asked first: what
/// restoring that version does, and the button that does it.
#[derive(askama::Template)]
#[template(path = "incidents/restore.html")]
struct RestorePage {
    layout: Layout,
    slug: String,
    title: String,
    /// The version to restore, and who saved it when.
    version: i64,
    who: String,
    when: String,
    /// The version the writer sees as current.
    current: i64,
    /// The report is published, and goes back to review.
    back_to_review: bool,
    status_label: &'static str,
    csrf: String,
}

impl WebPage for RestorePage {}

async fn confirm_restore(
    State(state): State<AppState>,
    WriterSession(current): WriterSession,
    Path((slug, version)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let incident = visible(&state, &slug).await?;
    let (revision, _) = load_revision(&state, &incident, &version).await?;
    page(&RestorePage {
        layout: Layout::new(format!("Restore version {}: {}", revision.version, incident.fields.title), "incidents"),
        version: revision.version,
        who: revision.created_by.clone(),
        when: format::date_time(revision.created_at),
        current: incident.meta.version,
        back_to_review: incident.fields.status == Status::Published,
        status_label: status_words(incident.fields.status),
        slug: incident.fields.slug,
        title: incident.fields.title,
        csrf: current.csrf_token,
    })
}

/// Saves an old revision's content as a new revision, after the writer
/// confirmed. The report keeps its address. Restored text onto a published
/// report has not been reviewed in its place: the report goes back to
/// review, and is published again by a reviewer. Elsewhere the report keeps
/// its place in the workflow.
async fn restore(
    State(state): State<AppState>,
    headers: HeaderMap,
    WriterSession(current): WriterSession,
    Path((slug, version)): Path<(String, String)>,
    form: Result<Form<RestoreForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    let Form(form) = form.map_err(unreadable)?;
    check_form(&headers, &current, &form.csrf)?;
    let incident = state.store.get_incident(&slug).await?.ok_or_else(|| missing("incident"))?;
    let expected: i64 =
        form.current.trim().parse().map_err(|_| AppError::BadRequest("the form does not say which version".into()))?;
    let (revision, mut input) = load_revision(&state, &incident, &version).await?;
    input.slug = Some(incident.fields.slug.clone());
    let (status, note) = restored(incident.fields.status, revision.version);
    input.status = Some(status.as_str().to_string());
    let fields = input.validate().map_err(|errors| AppError::Conflict(no_longer_valid(revision.version, &errors)))?;
    let saved = match state.store.replace_incident(&slug, expected, &fields, &current.user.name, Some(&note)).await {
        Ok(saved) => saved,
        Err(crate::store::StoreError::StaleVersion { current }) => {
            return Err(AppError::Conflict(format!(
                "the report changed after you opened its history (it is now at version {current}), so nothing was \
                 restored: look at the history again and choose once more"
            ))
            .into())
        }
        Err(error) => return Err(error.into()),
    };
    Ok(Redirect::to(&format!("/incidents/{slug}/history?restored={}", saved.meta.version)).into_response())
}

impl DiffPage {
    /// Whether a change is a one-line value (else a line diff).
    fn value(change: &Change) -> Option<(&String, &String)> {
        match change {
            Change::Value { before, after } => Some((before, after)),
            Change::Lines(_) => None,
        }
    }

    fn hunks(change: &Change) -> &[Vec<crate::domain::revision_diff::DiffLine>] {
        match change {
            Change::Lines(hunks) => hunks,
            Change::Value { .. } => &[],
        }
    }
}
