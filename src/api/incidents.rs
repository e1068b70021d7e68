//! `/api/v1/incidents`: list, read, create, replace, patch and delete
//! incidents, and read their revisions.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{from_value, ApiJson, ApiQuery, IfMatch};
use crate::app::AppState;
use crate::auth::{Caller, Writer};
use crate::domain::list_filter::ListQuery;
use crate::domain::workflow;
use crate::domain::{Incident, IncidentFields, IncidentInput, Status};
use crate::error::{AppError, Problem};
use crate::page_cache::CachePolicy;
use crate::store::{PageCursor, Revision};

pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 100;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, replace, patch, delete))
        .routes(routes!(list_revisions))
        .routes(routes!(read_revision))
        .routes(routes!(restore_revision))
}

/// The slug in an incident's address.
#[derive(utoipa::IntoParams)]
#[into_params(names("slug"), parameter_in = Path)]
pub struct SlugPath(#[allow(dead_code)] String);

/// The version a write expects to change.
#[derive(utoipa::IntoParams)]
#[into_params(names("If-Match"), parameter_in = Header)]
pub struct IfMatchHeader(
    /// The `ETag` read (`"3"`), or `*` for whichever version is current.
    #[allow(dead_code)]
    Option<String>,
);

/// A page of a list of incidents.
#[derive(Serialize, utoipa::ToSchema)]
pub struct IncidentPage {
    pub items: Vec<Incident>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// The page of a list a query asks for: where it resumes, and how many.
fn page_of(params: &ListQuery) -> Result<(Option<PageCursor>, u32), AppError> {
    let cursor = match params.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(text) => Some(PageCursor::decode(text).ok_or_else(|| {
            AppError::BadRequest("cursor is not one this server handed out: pass `next_cursor` unchanged".into())
        })?),
    };
    let limit = match params.limit.as_deref().filter(|l| !l.is_empty()) {
        None => DEFAULT_PAGE_SIZE,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|limit| (1..=MAX_PAGE_SIZE).contains(limit))
            .ok_or_else(|| bad_param("limit", text, &format!("a number from 1 to {MAX_PAGE_SIZE}")))?,
    };
    Ok((cursor, limit))
}

fn bad_param(name: &str, value: &str, expected: &str) -> AppError {
    AppError::BadRequest(format!(
        "`{name}` must be {expected}, not `{}`",
        crate::domain::reported_time::truncate_for_message(value)
    ))
}

/// List incidents, newest first, with filters. Without a token that may
/// read drafts, only published reports are listed.
#[utoipa::path(
    get,
    path = "/incidents",
    tag = "incidents",
    params(ListQuery),
    responses((status = 200, description = "A page of incidents", body = IncidentPage))
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListQuery>,
) -> Result<Response, AppError> {
    let mut filter = params.filter().map_err(|errors| AppError::BadRequest(errors.to_string()))?;
    let (cursor, limit) = page_of(&params)?;
    if !caller.sees_drafts() {
        if filter.status.is_some_and(|status| status != Status::Published) {
            return Ok(Json(IncidentPage { items: Vec::new(), next_cursor: None }).into_response());
        }
        filter.status = Some(Status::Published);
    }
    let page = state.store.list_incidents(&filter, cursor, limit).await?;
    Ok(Json(IncidentPage { items: page.items, next_cursor: page.next_cursor.map(|cursor| cursor.encode()) })
        .into_response())
}

/// Read one incident. Its version is sent as the `ETag`.
#[utoipa::path(
    get,
    path = "/incidents/{slug}",
    tag = "incidents",
    params(SlugPath),
    responses((status = 200, description = "The incident", body = Incident, headers(("ETag" = String, description = "The version, quoted"))))
)]
async fn read(State(state): State<AppState>, caller: Caller, Path(slug): Path<String>) -> Result<Response, AppError> {
    let incident = visible_incident(&state, &caller, &slug).await?;
    Ok(with_etag(StatusCode::OK, &incident))
}

/// The incident at `slug` if this caller may see it: drafts and reports in
/// review only for writers, and as missing to anyone else.
pub(super) async fn visible_incident(state: &AppState, caller: &Caller, slug: &str) -> Result<Incident, AppError> {
    state
        .store
        .get_incident(slug)
        .await?
        .filter(|incident| incident.fields.status == Status::Published || caller.sees_drafts())
        .ok_or_else(not_found)
}

/// A create or replace body: the incident, plus the version the writer read
/// and a note for the revision.
pub struct IncidentRequest {
    incident: IncidentInput,
    version: Option<i64>,
    revision_note: Option<String>,
}

/// In the API's document: the incident's fields, and beside them the two
/// that are about the write (read apart by `take_write_meta`).
impl utoipa::PartialSchema for IncidentRequest {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::{AllOfBuilder, ObjectBuilder, Ref, Type};
        let write = ObjectBuilder::new()
            .property(
                "version",
                ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::SchemaType::from_iter([Type::Integer, Type::Null]))
                    .description(Some("The version this write changes, when `If-Match` does not say it")),
            )
            .property(
                "revision_note",
                ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::SchemaType::from_iter([Type::String, Type::Null]))
                    .description(Some("Why, kept with the revision")),
            );
        AllOfBuilder::new().item(Ref::from_schema_name("IncidentInput")).item(write).into()
    }
}

impl utoipa::ToSchema for IncidentRequest {
    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        schemas.push(("IncidentInput".into(), <IncidentInput as utoipa::PartialSchema>::schema()));
        <IncidentInput as utoipa::ToSchema>::schemas(schemas);
    }
}

impl IncidentRequest {
    fn from_json(mut body: serde_json::Value) -> Result<IncidentRequest, AppError> {
        let (version, revision_note) = take_write_meta(&mut body)?;
        Ok(IncidentRequest { incident: from_value(body)?, version, revision_note })
    }
}

/// Removes `version` and `revision_note` from a write body: they are about
/// the write, not fields of the incident.
fn take_write_meta(body: &mut serde_json::Value) -> Result<(Option<i64>, Option<String>), AppError> {
    let Some(object) = body.as_object_mut() else {
        return Err(AppError::validation("body", "send a JSON object of incident fields"));
    };
    let version = match object.remove("version") {
        None | Some(serde_json::Value::Null) => None,
        Some(value) => Some(value.as_i64().ok_or_else(|| AppError::validation("version", "must be an integer"))?),
    };
    let note = match object.remove("revision_note") {
        Some(serde_json::Value::String(note)) if !note.trim().is_empty() => Some(note.trim().to_string()),
        _ => None,
    };
    Ok((version, note))
}

/// File a report. It starts as a draft unless `status` says `in_review`,
/// or `published` where the server lets its writer publish.
#[utoipa::path(
    post,
    path = "/incidents",
    tag = "incidents",
    request_body = IncidentRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Filed", body = Incident, headers(("ETag" = String, description = "The version, quoted"), ("Location" = String, description = "Its address"))),
        (status = 409, description = "The slug is taken, or the status is not a first step", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn create(
    State(state): State<AppState>,
    Writer(caller): Writer,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Response, AppError> {
    let request = IncidentRequest::from_json(body)?;
    let fields = request.incident.validate().map_err(AppError::Validation)?;
    workflow::move_to(None, fields.status)?;
    let incident = state.store.create_incident(&fields, caller.actor(), request.revision_note.as_deref()).await?;
    let mut response = with_etag(StatusCode::CREATED, &incident);
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/incidents/{}", incident.fields.slug)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Replace a report's fields. The write names the version it read, in
/// `If-Match` or as `version`; a stale one is refused with 412.
#[utoipa::path(
    put,
    path = "/incidents/{slug}",
    tag = "incidents",
    params(SlugPath, IfMatchHeader),
    request_body = IncidentRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved as a new version", body = Incident, headers(("ETag" = String, description = "The version, quoted"))),
        (status = 409, description = "The new slug is taken, or the status is not the next step", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn replace(
    State(state): State<AppState>,
    Writer(caller): Writer,
    Path(slug): Path<String>,
    if_match: IfMatch,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Response, AppError> {
    let mut request = IncidentRequest::from_json(body)?;
    let expected = expected_version(if_match.version(), request.version)?;
    // A replacement without a slug keeps the current one rather than
    // deriving a new one from the title.
    if request.incident.slug.as_deref().is_none_or(|s| s.trim().is_empty()) {
        request.incident.slug = Some(slug.clone());
    }
    let fields = request.incident.validate().map_err(AppError::Validation)?;
    let current = state.store.get_incident(&slug).await?.ok_or_else(not_found)?;
    if current.meta.version == expected {
        may_move(&state, &caller, &current, &fields)?;
    }
    let note = request.revision_note.as_deref();
    let incident = state.store.replace_incident(&slug, expected, &fields, caller.actor(), note).await?;
    Ok(with_etag(StatusCode::OK, &incident))
}

/// Change some fields: a JSON merge patch (RFC 7396) on the current
/// fields, validated like a replacement.
#[utoipa::path(
    patch,
    path = "/incidents/{slug}",
    tag = "incidents",
    params(SlugPath, IfMatchHeader),
    request_body(content = IncidentRequest, content_type = "application/merge-patch+json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved as a new version", body = Incident, headers(("ETag" = String, description = "The version, quoted"))),
        (status = 409, description = "The new slug is taken, or the status is not the next step", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn patch(
    State(state): State<AppState>,
    Writer(caller): Writer,
    Path(slug): Path<String>,
    if_match: IfMatch,
    ApiJson(mut patch): ApiJson<serde_json::Value>,
) -> Result<Response, AppError> {
    let (body_version, note) = take_write_meta(&mut patch)?;
    let expected = expected_version(if_match.version(), body_version)?;

    let current = state.store.get_incident(&slug).await?.ok_or_else(not_found)?;
    if current.meta.version != expected {
        return Err(AppError::StaleVersion { current: current.meta.version });
    }
    let mut merged = serde_json::to_value(current.fields.to_input()).map_err(anyhow::Error::from)?;
    merge_patch(&mut merged, patch);
    let input: IncidentInput = from_value(merged)?;
    let fields = input.validate().map_err(AppError::Validation)?;
    may_move(&state, &caller, &current, &fields)?;
    let incident = state.store.replace_incident(&slug, expected, &fields, caller.actor(), note.as_deref()).await?;
    Ok(with_etag(StatusCode::OK, &incident))
}

/// Whether the workflow lets this caller move `current` to the status the
/// new fields carry: one step at most, and publishing by whom the server's
/// setting allows.
pub(super) fn may_move(
    state: &AppState,
    caller: &Caller,
    current: &Incident,
    fields: &IncidentFields,
) -> Result<(), AppError> {
    if workflow::move_to(Some(current.fields.status), fields.status)? == Some(workflow::Step::Publish) {
        state.publisher.may_publish(&current.meta.created_by, caller.actor()).map_err(AppError::Forbidden)?;
    }
    Ok(())
}

/// RFC 7396: objects merge key by key, `null` removes, anything else replaces.
fn merge_patch(target: &mut serde_json::Value, patch: serde_json::Value) {
    let serde_json::Value::Object(patch) = patch else {
        *target = patch;
        return;
    };
    if !target.is_object() {
        *target = serde_json::Value::Object(serde_json::Map::new());
    }
    if let serde_json::Value::Object(target) = target {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(&key);
            } else {
                merge_patch(target.entry(key).or_insert(serde_json::Value::Null), value);
            }
        }
    }
}

/// Delete a report: `If-Match` names the version, or `*` for the current.
#[utoipa::path(
    delete,
    path = "/incidents/{slug}",
    tag = "incidents",
    params(SlugPath, IfMatchHeader),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
    )
)]
async fn delete(
    State(state): State<AppState>,
    Writer(caller): Writer,
    Path(slug): Path<String>,
    if_match: IfMatch,
) -> Result<StatusCode, AppError> {
    // A delete names the version it saw, or says `*` for whichever is
    // current; a bare DELETE is refused like any other write without one.
    let expected = match if_match {
        IfMatch::Version(version) => Some(version),
        IfMatch::Any => None,
        IfMatch::Absent => {
            return Err(AppError::PreconditionRequired(
                "say which version you are deleting: send `If-Match` with the ETag you read, or `If-Match: *` \
                 to delete whichever version is current"
                    .into(),
            ))
        }
    };
    state.store.delete_incident(&slug, expected, caller.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every revision of a report, newest first, without their contents.
#[utoipa::path(
    get,
    path = "/incidents/{slug}/revisions",
    tag = "incidents",
    params(SlugPath),
    responses(
        (status = 200, description = "The revisions", body = RevisionList),
        (status = 403, description = "The history is for writers", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_revisions(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let incident = visible_incident(&state, &caller, &slug).await?;
    caller.may_read_history()?;
    let revisions = state.store.list_revisions(incident.id).await?;
    Ok(Json(RevisionList { items: revisions }).into_response())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RevisionList {
    pub items: Vec<Revision>,
}

/// One revision, with the incident as it stood then (`snapshot`).
#[utoipa::path(
    get,
    path = "/incidents/{slug}/revisions/{version}",
    tag = "incidents",
    params(SlugPath, ("version" = i64, Path, description = "The revision's version number")),
    responses(
        (status = 200, description = "The revision", body = Revision),
        (status = 403, description = "The history is for writers", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn read_revision(
    State(state): State<AppState>,
    caller: Caller,
    Path((slug, version)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let incident = visible_incident(&state, &caller, &slug).await?;
    caller.may_read_history()?;
    let version: i64 =
        version.parse().map_err(|_| AppError::BadRequest(format!("`{version}` is not a version number")))?;
    let revision = state
        .store
        .get_revision(incident.id, version)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("incident `{slug}` has no version {version}")))?;
    Ok(Json(revision).into_response())
}

/// The version a write expects: from `If-Match`, else from the body. One of
/// them is required, so that no write overwrites a change it never saw.
pub(super) fn expected_version(if_match: Option<i64>, body_version: Option<i64>) -> Result<i64, AppError> {
    match (if_match, body_version) {
        (Some(header), Some(body)) if header != body => {
            Err(AppError::BadRequest(format!("If-Match names version {header} but the body says version {body}")))
        }
        (Some(version), _) | (None, Some(version)) => Ok(version),
        (None, None) => Err(AppError::PreconditionRequired(
            "say which version you are changing: send `If-Match` with the ETag you read, or `version` in the body"
                .into(),
        )),
    }
}

pub(super) fn not_found() -> AppError {
    AppError::not_found("incident")
}

pub(super) fn with_etag(status: StatusCode, incident: &Incident) -> Response {
    let mut response = (status, Json(incident)).into_response();
    // A published report reads the same for everyone who is not signed in.
    if incident.fields.status == Status::Published {
        response.extensions_mut().insert(CachePolicy::SharedUntilWrite);
    }
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", incident.meta.version)) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// Restore an old revision: its content is saved as a new version. A
/// published report goes back to review, as that text was not reviewed in
/// its place; elsewhere the report keeps its status and its slug.
#[utoipa::path(
    post,
    path = "/incidents/{slug}/revisions/{version}/restore",
    tag = "incidents",
    params(SlugPath, ("version" = i64, Path, description = "The revision to restore"), IfMatchHeader),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Restored as a new version", body = Incident, headers(("ETag" = String, description = "The version, quoted"))),
        (status = 409, description = "That version fails today's checks", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn restore_revision(
    State(state): State<AppState>,
    Writer(caller): Writer,
    Path((slug, version)): Path<(String, String)>,
    if_match: IfMatch,
) -> Result<Response, AppError> {
    let expected = expected_version(if_match.version(), None)?;
    let incident = state.store.get_incident(&slug).await?.ok_or_else(not_found)?;
    let version: i64 =
        version.parse().map_err(|_| AppError::BadRequest(format!("`{version}` is not a version number")))?;
    let revision = state
        .store
        .get_revision(incident.id, version)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("incident `{slug}` has no version {version}")))?;
    let mut input = revision
        .input()
        .unwrap_or_else(|| Ok(IncidentInput::default()))
        .map_err(|error| anyhow::anyhow!("revision {version} of {slug} is unreadable: {error}"))?;
    let (status, note) = workflow::restored(incident.fields.status, version);
    input.slug = Some(incident.fields.slug.clone());
    input.status = Some(status.as_str().to_string());
    let fields = input.validate().map_err(|errors| AppError::Conflict(workflow::no_longer_valid(version, &errors)))?;
    let saved = state.store.replace_incident(&slug, expected, &fields, caller.actor(), Some(&note)).await?;
    Ok(with_etag(StatusCode::OK, &saved))
}
