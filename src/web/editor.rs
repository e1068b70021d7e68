//! Filing and editing reports in the browser: `/incidents/new` and
//! `/incidents/{slug}/edit`. Every button posts the whole form back: saving
//! and the workflow steps write through the store as the signed-in writer;
//! adding, removing and moving rows, reading pasted lines and previewing
//! Markdown only show the form again, with nothing typed lost. A save from a
//! stale version shows both versions side by side instead of overwriting.

use axum::extract::{Form, FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::extract::{check_form, may_write, unreadable, WriterSession};
use super::page::{missing, page, page_with_status, Layout, WebError, WebPage};
use super::report_form::{
    posted_value, template_leftovers, ActionRow, EventRow, FactorRow, FormErrors, RelatedRow, ReportForm, RowEdit,
    TimeField,
};
use super::views::HappenedBefore;
use crate::app::AppState;
use crate::auth::session::{self, constant_time_eq, same_origin};
use crate::domain::list_filter::query_encode;
use crate::domain::revision_diff::{keep_both, side_by_side, SideBySide};
use crate::domain::workflow::{status_words, Step};
use crate::domain::zones;
use crate::domain::{ActionStatus, EachLearning, EachMoment, FactorCategory, Learning};
use crate::domain::{Incident, IncidentFields, Status, ValidationErrors};
use crate::error::AppError;
use crate::format;
use crate::insights::IncidentFacts;
use crate::markdown;
use crate::search::query::plain_words;
use crate::search::{SearchHit, SearchRequest};
use crate::store::{SessionRecord, StoreError};

const NEW_REPORT: &str = "/incidents/new";
const EDIT_REPORT: &str = "/incidents/{slug}/edit";

/// The routes whose posts check the session themselves (`PostedReport`):
/// when it has ended they hold on to the writer's text rather than drop it,
/// so the sign-in gate in `app.rs` lets them through.
pub const CHECKS_ITS_OWN_SESSION: [&str; 2] = [NEW_REPORT, EDIT_REPORT];

pub fn router() -> Router<AppState> {
    Router::new()
        .route(NEW_REPORT, get(new_form).post(new_posted))
        .route(EDIT_REPORT, get(edit_form).post(edit_posted))
        .route("/incidents/{slug}/delete", get(delete_form).post(delete_posted))
        .route("/incidents/happened-before", post(happened_before))
}

/// `/incidents/{slug}/delete`: what deleting this report means, and the
/// button that does it, for the version the writer saw.
#[derive(askama::Template)]
#[template(path = "incidents/delete.html")]
struct DeletePage {
    layout: Layout,
    slug: String,
    title: String,
    status_label: &'static str,
    version: i64,
    csrf: String,
}

impl WebPage for DeletePage {}

async fn delete_form(
    State(state): State<AppState>,
    WriterSession(current): WriterSession,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    let incident = state.store.get_incident(&slug).await?.ok_or_else(|| missing("incident"))?;
    page(&DeletePage {
        layout: Layout::new(format!("Delete: {}", incident.fields.title), "write"),
        status_label: status_words(incident.fields.status),
        slug: incident.fields.slug,
        title: incident.fields.title,
        version: incident.meta.version,
        csrf: current.csrf_token,
    })
}

#[derive(Debug, Default, Deserialize)]
struct DeleteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: String,
}

async fn delete_posted(
    State(state): State<AppState>,
    headers: HeaderMap,
    WriterSession(current): WriterSession,
    Path(slug): Path<String>,
    form: Result<Form<DeleteForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    let Form(form) = form.map_err(unreadable)?;
    check_form(&headers, &current, &form.csrf)?;
    let version: i64 =
        form.version.trim().parse().map_err(|_| AppError::BadRequest("the form does not say which version".into()))?;
    match state.store.delete_incident(&slug, Some(version), &current.user.name).await {
        Ok(()) => Ok(Redirect::to(&format!("/drafts?deleted={}", query_encode(&slug))).into_response()),
        Err(StoreError::StaleVersion { current }) => Err(AppError::Conflict(format!(
            "the report changed after you opened this page (it is now at version {current}), so it was not \
             deleted: read it again, then delete it if you still mean to"
        ))
        .into()),
        Err(error) => Err(error.into()),
    }
}

/// The Markdown fields rendered as they will read.
pub struct Previews {
    pub summary: String,
    pub impact: String,
    pub body: String,
    /// The lessons learned, in the order of `Learning::ALL`.
    pub learnings: [String; 3],
}

/// A save that came too late: the version it started from, and what the
/// current version holds where the writer's text differs.
pub struct Conflict {
    /// The version the writer started from; `None` once they kept both
    /// texts and went on merging.
    pub based_on: Option<i64>,
    pub current_version: i64,
    pub updated_by: String,
    pub updated_at: String,
    pub differences: Vec<SideBySide>,
}

/// A lesson-learned field as the form shows it.
pub struct LearningView {
    pub field: &'static str,
    pub label: &'static str,
    pub prompt: &'static str,
    pub text: String,
    pub preview: Option<String>,
}

/// A workflow button.
pub struct StepButton {
    pub value: &'static str,
    pub label: &'static str,
}

#[derive(askama::Template)]
#[template(path = "incidents/edit.html")]
struct EditPage {
    layout: Layout,
    csrf: String,
    /// Where the form posts.
    action: String,
    /// The report being edited; `None` for a new one.
    slug: Option<String>,
    incident_id: Option<i64>,
    version: i64,
    status_label: &'static str,
    steps: Vec<StepButton>,
    form: ReportForm,
    /// The four key moments: field name, label, value.
    moments: Vec<(&'static str, &'static str, TimeField)>,
    learnings: Vec<LearningView>,
    timeline: Vec<RowView<EventRow>>,
    timeline_blank: RowView<EventRow>,
    factors: Vec<RowView<FactorRow>>,
    factors_blank: RowView<FactorRow>,
    actions: Vec<RowView<ActionRow>>,
    actions_blank: RowView<ActionRow>,
    related: Vec<RowView<RelatedRow>>,
    related_blank: RowView<RelatedRow>,
    /// Every zone name the zone field suggests.
    zone_names: &'static [String],
    /// What the zone is when the field is left empty.
    zone_placeholder: String,
    /// The timeline's rows are not in time order.
    out_of_order: bool,
    errors: FormErrors,
    /// A message about the whole form, for example a refused step.
    notice: Option<String>,
    /// Template text left in the narrative, before publishing.
    template_left: Vec<String>,
    previews: Option<Previews>,
    conflict: Option<Conflict>,
    /// "Has this happened before?" and similar incidents, rendered.
    panel: String,
}

impl WebPage for EditPage {}

/// The side panel of the editor: earlier incidents with the same kind of
/// factor on the same services, and similar ones, for what the form says
/// so far. Refreshed by its button without JavaScript, and as the writer
/// types with it (`POST /incidents/happened-before`).
#[derive(askama::Template)]
#[template(path = "incidents/before_panel.html")]
struct BeforePanel {
    before: Option<HappenedBefore>,
    similar: Vec<SearchHit>,
    /// Where the form posts, for the refresh button to come back to the
    /// panel; `None` in the panel the script fetches.
    action: Option<String>,
}

impl WebPage for BeforePanel {}

/// Incidents like this one shown beside the form.
const SIMILAR_BESIDE_FORM: usize = 5;

impl BeforePanel {
    async fn of(
        state: &AppState,
        form: &ReportForm,
        id: Option<i64>,
        action: Option<String>,
    ) -> Result<BeforePanel, WebError> {
        let Some(sketch) = form.sketch() else {
            return Ok(BeforePanel { before: None, similar: Vec::new(), action });
        };
        let id = id.unwrap_or(0);
        let facts = IncidentFacts::of(id, &sketch);
        let today = time::OffsetDateTime::now_utc().date();
        let before = match facts.may_have_happened_before() {
            true => Some(HappenedBefore::find(&state.insights, &state.store, &facts, today).await?),
            false => None,
        };
        let similar = match state.search.similar_to_draft(id, sketch, SIMILAR_BESIDE_FORM).await {
            Ok(hits) => hits,
            Err(error) => {
                tracing::warn!(%error, "incidents similar to a report being written could not be found");
                Vec::new()
            }
        };
        Ok(BeforePanel { before, similar, action })
    }
}

/// `POST /incidents/happened-before`: the side panel for the form as
/// posted, for the editor's script to put in place as the writer types.
/// It reads and writes nothing of the writer's.
async fn happened_before(
    State(state): State<AppState>,
    WriterSession(_current): WriterSession,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let form = ReportForm::from_pairs(&pairs);
    let id = pairs.iter().find(|(name, _)| name == "incident_id").and_then(|(_, id)| id.parse().ok());
    page(&BeforePanel::of(&state, &form, id, None).await?)
}

/// What the page shows besides the form itself.
#[derive(Default)]
struct Extras {
    /// Template text the narrative still holds, when publishing waits for
    /// the writer to confirm.
    template_left: Vec<String>,
    /// Reports found for a related row's "Find", and the row.
    found: Option<(usize, Found)>,
    errors: FormErrors,
    notice: Option<String>,
    previews: Option<Previews>,
    conflict: Option<Conflict>,
}

async fn render(
    state: &AppState,
    current: &SessionRecord,
    editing: Option<&Incident>,
    form: ReportForm,
    extras: Extras,
    status: StatusCode,
) -> Result<Response, WebError> {
    let (title, action, slug, version, report_status) = match editing {
        None => ("New report".to_string(), "/incidents/new".to_string(), None, 0, Status::Draft),
        Some(incident) => (
            format!("Edit: {}", incident.fields.title),
            format!("/incidents/{}/edit", incident.fields.slug),
            Some(incident.fields.slug.clone()),
            form.version.unwrap_or(incident.meta.version),
            incident.fields.status,
        ),
    };
    let steps = match editing {
        None => vec![Step::Submit],
        Some(_) => Step::available(report_status),
    };
    let errors = &extras.errors;
    let (timeline, timeline_blank) =
        row_views(&form.timeline, "timeline", &["at", "kind", "text"], errors, EventRow::default());
    let (factors, factors_blank) =
        row_views(&form.factors, "factors", &["category", "text"], errors, FactorRow::default());
    let blank_action = ActionRow { status: ActionStatus::Open.as_str().into(), ..Default::default() };
    let action_fields = ["text", "owner", "status", "priority", "due_on", "tracker_url", "completed_at", "addresses"];
    let (mut actions, mut actions_blank) = row_views(&form.actions, "actions", &action_fields, errors, blank_action);
    for (index, view) in actions.iter_mut().enumerate() {
        view.check = form.check(&format!("actions[{index}].completed_at")).cloned();
        view.factor_choices = FactorChoice::all(&form.factors, &view.row.addresses);
    }
    actions_blank.factor_choices = FactorChoice::all(&form.factors, &[]);
    let (mut related, related_blank) =
        row_views(&form.related, "related", &["slug", "kind"], errors, RelatedRow::default());
    // Each link names the report it leads to, when that report is published.
    let slugs: Vec<String> = form.related.iter().map(|row| row.slug.trim().to_string()).collect();
    let titles = state.store.published_titles(&slugs).await?;
    for (view, slug) in related.iter_mut().zip(&slugs) {
        view.linked_title = titles.get(slug).cloned();
    }
    if let Some((index, found)) = extras.found {
        if let Some(view) = related.get_mut(index) {
            view.found = Some(found);
        }
    }
    let panel = BeforePanel::of(state, &form, editing.map(|incident| incident.id), Some(action.clone())).await?;
    let panel = askama::Template::render(&panel).map_err(|error| AppError::Internal(error.into()))?;
    page_with_status(
        &EditPage {
            panel,
            layout: Layout::new(title, "write"),
            csrf: current.csrf_token.clone(),
            action,
            slug,
            incident_id: editing.map(|incident| incident.id),
            version,
            status_label: status_words(report_status),
            steps: steps.into_iter().map(|step| StepButton { value: step.as_str(), label: step.label() }).collect(),
            zone_names: zones::home_zone_names(),
            zone_placeholder: format!("{} (from the times; choose another)", form.home_zone()),
            out_of_order: form.timeline_out_of_order(),
            moments: form.moments().map(|(moment, field)| (moment.field(), moment.label(), field.clone())).collect(),
            learnings: form
                .learnings()
                .zip(0..)
                .map(|((learning, text), place)| LearningView {
                    field: learning.field(),
                    label: learning.label(),
                    prompt: learning.prompt(),
                    text: text.clone(),
                    preview: extras.previews.as_ref().map(|previews| previews.learnings[place].clone()),
                })
                .collect(),
            form,
            timeline,
            timeline_blank,
            factors,
            factors_blank,
            actions,
            actions_blank,
            related,
            related_blank,
            errors: extras.errors,
            notice: extras.notice,
            template_left: extras.template_left,
            previews: extras.previews,
            conflict: extras.conflict,
        },
        status,
    )
}

#[derive(Debug, Default, Deserialize)]
struct NewParams {
    #[serde(default)]
    template: String,
}

async fn new_form(
    State(state): State<AppState>,
    WriterSession(current): WriterSession,
    Query(params): Query<NewParams>,
) -> Result<Response, WebError> {
    let form = ReportForm::from_template(params.template == "blank");
    render(&state, &current, None, form, Extras::default(), StatusCode::OK).await
}

async fn edit_form(
    State(state): State<AppState>,
    WriterSession(current): WriterSession,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    let incident = state.store.get_incident(&slug).await?.ok_or_else(|| missing("incident"))?;
    let form = ReportForm::from_fields(&incident.fields);
    render(&state, &current, Some(&incident), form, Extras::default(), StatusCode::OK).await
}

async fn new_posted(State(state): State<AppState>, posted: PostedReport) -> Result<Response, WebError> {
    let PostedReport { current, pairs, stale } = posted;
    if stale {
        let extras = Extras { notice: Some(STALE_FORM.into()), ..Extras::default() };
        return render(&state, &current, None, ReportForm::from_pairs(&pairs), extras, StatusCode::FORBIDDEN).await;
    }
    handle(&state, &current, None, &pairs).await
}

async fn edit_posted(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    posted: PostedReport,
) -> Result<Response, WebError> {
    let PostedReport { current, pairs, stale } = posted;
    // The form names its report by id: if someone renamed it meanwhile, the
    // save still finds it (and meets a conflict, not a 404), and a slug
    // taken over by another report never receives this one's edit.
    let incident = match posted_value(&pairs, "incident_id").trim().parse::<i64>() {
        Ok(id) => state.store.get_incident_by_id(id).await?,
        Err(_) => state.store.get_incident(&slug).await?,
    };
    match incident {
        Some(incident) if stale => {
            let extras = Extras { notice: Some(STALE_FORM.into()), ..Extras::default() };
            render(&state, &current, Some(&incident), ReportForm::from_pairs(&pairs), extras, StatusCode::FORBIDDEN)
                .await
        }
        Some(incident) => handle(&state, &current, Some(&incident), &pairs).await,
        None if !posted_value(&pairs, "incident_id").is_empty() => {
            // Deleted while being edited: the text is not lost; saving it
            // files it as a new report.
            let notice = "This report was deleted while you were editing it. Nothing you typed is lost: \
                          saving now files it as a new report.";
            let extras = Extras { notice: Some(notice.into()), ..Extras::default() };
            render(&state, &current, None, ReportForm::from_pairs(&pairs), extras, StatusCode::CONFLICT).await
        }
        None => Err(missing("incident")),
    }
}

const STALE_FORM: &str = "Nothing was saved: this form was older than your sign-in. Everything you typed is \
                          below; check it and press the button again.";

/// A posted report form from a signed-in writer: the editor's own
/// extractor, since a refusal here must not lose what was typed. A post
/// from another site is refused. When the session has ended, the answer is
/// a page that holds everything typed and posts it back once the writer
/// has signed in again in another tab; a reader is told they may not write.
struct PostedReport {
    current: SessionRecord,
    pairs: Vec<(String, String)>,
    /// The form's token is from an earlier session (the writer signed in
    /// again in another tab): show the form again with the current token.
    stale: bool,
}

impl FromRequest<AppState> for PostedReport {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (headers, path) = (request.headers().clone(), request.uri().path().to_string());
        let Form(pairs) = Form::<Vec<(String, String)>>::from_request(request, state)
            .await
            .map_err(|rejection| unreadable(rejection).into_response())?;
        same_origin(&headers).map_err(|refusal| WebError(refusal).into_response())?;
        let current =
            session::current(&state.store, &headers).await.map_err(|error| WebError(error).into_response())?;
        let Some(current) = current else {
            let kept = pairs.into_iter().filter(|(name, _)| name != "op").collect();
            let held = ResubmitPage { layout: Layout::new("Sign in to save", "write"), action: path, pairs: kept };
            return Err(page_with_status(&held, StatusCode::UNAUTHORIZED).into_response());
        };
        may_write(&current).map_err(IntoResponse::into_response)?;
        let stale = !constant_time_eq(posted_value(&pairs, "csrf"), &current.csrf_token);
        Ok(PostedReport { current, pairs, stale })
    }
}

#[derive(askama::Template)]
#[template(path = "incidents/resubmit.html")]
struct ResubmitPage {
    layout: Layout,
    action: String,
    pairs: Vec<(String, String)>,
}

impl WebPage for ResubmitPage {}

/// Does what the pressed button asked: a row edit, a paste, a preview, a
/// save, or a workflow step (which saves too).
async fn handle(
    state: &AppState,
    current: &SessionRecord,
    editing: Option<&Incident>,
    pairs: &[(String, String)],
) -> Result<Response, WebError> {
    let mut form = ReportForm::from_pairs(pairs);
    let op = posted_value(pairs, "op");
    if let Some(edit) = RowEdit::parse(op) {
        form.edit_rows(edit);
        return render(state, current, editing, form, Extras::default(), StatusCode::OK).await;
    }
    if let Some(index) = op.strip_prefix("find:related:").and_then(|index| index.parse::<usize>().ok()) {
        let extras = find_related(state, &form, index).await?;
        return render(state, current, editing, form, extras, StatusCode::OK).await;
    }
    if let Some((index, slug)) = op.strip_prefix("choose:related:").and_then(|rest| rest.split_once(':')) {
        if let Some(row) = index.parse::<usize>().ok().and_then(|index| form.related.get_mut(index)) {
            row.slug = slug.to_string();
        }
        return render(state, current, editing, form, Extras::default(), StatusCode::OK).await;
    }
    if op == "merge" {
        return merge(state, current, editing, form).await;
    }
    match op {
        "paste" => {
            let mut extras = Extras::default();
            match form.read_paste() {
                Ok(0) => extras.notice = Some("There were no lines to read.".into()),
                Ok(count) => {
                    let flagged = form.timeline.iter().rev().take(count).filter(|row| !row.flag.is_empty()).count();
                    let mut notice = format!("Read {count} pasted line{} into the timeline.", plural(count));
                    if flagged > 0 {
                        notice.push_str(&format!(
                            " {flagged} could not be read completely and {} flagged below: check {}.",
                            if flagged == 1 { "is" } else { "are" },
                            if flagged == 1 { "it" } else { "them" }
                        ));
                    }
                    extras.notice = Some(notice);
                }
                Err(message) => extras.errors = FormErrors::new(ValidationErrors::single("paste", message)),
            }
            render(state, current, editing, form, extras, StatusCode::OK).await
        }
        // The side panel, for what the form says now.
        "recall" => render(state, current, editing, form, Extras::default(), StatusCode::OK).await,
        "preview" => {
            let [went_well, went_wrong, got_lucky] = Learning::ALL.map(|learning| form.learning(learning).clone());
            let texts =
                [form.summary.clone(), form.impact.clone(), form.body.clone(), went_well, went_wrong, got_lucky];
            let mut extras = Extras::default();
            match state.heavy_work.run(move || texts.map(|text| markdown::preview(&text))).await {
                Ok([summary, impact, body, went_well, went_wrong, got_lucky]) => {
                    // A field nested too deeply is not previewed; its
                    // message stands beside it, as a save would put it.
                    let mut errors = ValidationErrors::default();
                    let mut shown = |field: &str, rendered: Result<String, String>| {
                        rendered.unwrap_or_else(|message| {
                            errors.add(field, message);
                            String::new()
                        })
                    };
                    let previews = Previews {
                        summary: shown("summary", summary),
                        impact: shown("impact", impact),
                        body: shown("body", body),
                        learnings: [
                            shown(Learning::WentWell.field(), went_well),
                            shown(Learning::WentWrong.field(), went_wrong),
                            shown(Learning::GotLucky.field(), got_lucky),
                        ],
                    };
                    if !errors.is_empty() {
                        extras.errors = FormErrors::new(errors);
                    }
                    extras.previews = Some(previews);
                }
                Err(busy) => extras.notice = Some(format!("No preview this time ({busy}). Your text is kept below.")),
            }
            render(state, current, editing, form, extras, StatusCode::OK).await
        }
        _ => save(state, current, editing, form, op).await,
    }
}

/// The published reports whose words match what a related row holds, best
/// first, for the writer to choose one: a link is made by a report's title,
/// not by remembering its address.
async fn find_related(state: &AppState, form: &ReportForm, index: usize) -> Result<Extras, WebError> {
    let Some(row) = form.related.get(index) else { return Ok(Extras::default()) };
    let looked_for = row.slug.trim().to_string();
    if plain_words(&looked_for).is_empty() {
        let notice = format!("Type words from the other report's title in link {}, then press Find.", index + 1);
        return Ok(Extras { notice: Some(notice), ..Extras::default() });
    }
    let request = SearchRequest { q: plain_words(&looked_for), limit: 6, ..SearchRequest::default() };
    let own = form.slug.trim();
    let matches = match state.search.answer(request).await {
        Ok(results) => results
            .hits
            .iter()
            .filter(|hit| hit.slug != own)
            .take(5)
            .map(|hit| (hit.slug.clone(), hit.title.clone()))
            .collect(),
        Err(error) => {
            let notice = format!("Reports could not be searched just now ({error}). Your text is kept below.");
            return Ok(Extras { notice: Some(notice), ..Extras::default() });
        }
    };
    Ok(Extras { found: Some((index, Found { looked_for, matches })), ..Extras::default() })
}

/// "Keep both texts" on the conflict page: each Markdown field becomes the
/// writer's lines and the current version's together, for the writer to
/// read through and save. Nothing is saved here.
async fn merge(
    state: &AppState,
    current: &SessionRecord,
    editing: Option<&Incident>,
    mut form: ReportForm,
) -> Result<Response, WebError> {
    let Some(latest) = editing else {
        return render(state, current, editing, form, Extras::default(), StatusCode::OK).await;
    };
    let theirs = &latest.fields;
    let mut merged = Vec::new();
    for (label, mine, theirs) in [
        ("summary", &mut form.summary, &theirs.summary),
        ("impact", &mut form.impact, &theirs.impact),
        ("narrative", &mut form.body, &theirs.body),
        ("what went well", &mut form.went_well, &theirs.went_well),
        ("what went wrong", &mut form.went_wrong, &theirs.went_wrong),
        ("where we got lucky", &mut form.got_lucky, &theirs.got_lucky),
    ] {
        let both = keep_both(mine, theirs);
        if both != *mine {
            *mine = both;
            merged.push(label);
        }
    }
    let notice = if merged.is_empty() {
        "Their summary, impact, narrative and lessons are already in your text: nothing to add.".to_string()
    } else {
        format!(
            "Both texts are now in the {}: the lines only they wrote come before the lines only you wrote. Read \
             them through, keep what is right, and save. Nothing is saved yet.",
            merged.join(", ")
        )
    };
    form.version = Some(latest.meta.version);
    // What still differs stays in view: the other fields are not merged,
    // and a save must not undo their changes unseen.
    let mut mine = form.to_input(latest.fields.status.as_str()).0;
    let mut theirs_input = theirs.to_input();
    mine.status = None;
    theirs_input.status = None;
    let conflict = Conflict {
        based_on: None,
        current_version: latest.meta.version,
        updated_by: latest.meta.updated_by.clone(),
        updated_at: format::date_time(latest.meta.updated_at),
        differences: side_by_side(&mine, &theirs_input),
    };
    let extras = Extras { notice: Some(notice), conflict: Some(conflict), ..Extras::default() };
    render(state, current, editing, form, extras, StatusCode::OK).await
}

fn plural(count: usize) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}

async fn save(
    state: &AppState,
    current: &SessionRecord,
    editing: Option<&Incident>,
    mut form: ReportForm,
    op: &str,
) -> Result<Response, WebError> {
    let status_now = editing.map_or(Status::Draft, |incident| incident.fields.status);
    // `publish:anyway` is the publish button on the page that warned.
    let (op, confirmed) = op.strip_suffix(":anyway").map_or((op, false), |op| (op, true));
    let step = Step::parse(op);
    if let Some(step) = step {
        if let Err(message) = step.check(status_now) {
            let extras = Extras { notice: Some(format!("Not saved: {message}.")), ..Extras::default() };
            return render(state, current, editing, form, extras, StatusCode::CONFLICT).await;
        }
    }
    if let (Some(Step::Publish), Some(incident)) = (step, editing) {
        if let Err(message) = state.publisher.may_publish(&incident.meta.created_by, &current.user.name) {
            let extras = Extras { notice: Some(format!("Not saved: {message}.")), ..Extras::default() };
            return render(state, current, editing, form, extras, StatusCode::FORBIDDEN).await;
        }
    }
    if !form.paste.trim().is_empty() {
        let errors = FormErrors::new(ValidationErrors::single(
            "paste",
            "there are lines in the paste box: read them into the timeline with the button below it, or empty \
             the box, then save",
        ));
        let extras =
            Extras { errors, notice: Some("Not saved: the paste box is not empty.".into()), ..Extras::default() };
        return render(state, current, editing, form, extras, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    if step == Some(Step::Publish) && !confirmed {
        let leftovers = template_leftovers(&form.body);
        if !leftovers.is_empty() {
            let notice = "Not published yet: the narrative still holds text from the template. Fill it in or \
                          remove it, or publish it as it is."
                .to_string();
            let extras = Extras { notice: Some(notice), template_left: leftovers, ..Extras::default() };
            return render(state, current, editing, form, extras, StatusCode::OK).await;
        }
    }
    let status = step.map_or(status_now, Step::to);
    form.drop_blank_rows();
    // Times read with an assumption are rewritten as read, to be confirmed
    // by saving again; they are shown with any other problem.
    let assumed = form.settle_times();
    let assumptions = match assumed {
        0 => String::new(),
        1 => " One time was read with an assumption: it is written as read, with the assumption beside it.".into(),
        n => format!(" {n} times were read with assumptions: each is written as read, with the assumption beside it."),
    };
    let fields = match form.validate(status.as_str()) {
        Ok(fields) if assumed == 0 => fields,
        Ok(_) => {
            let notice = format!("Not saved yet.{assumptions} Check and save again.");
            let extras = Extras { notice: Some(notice), ..Extras::default() };
            return render(state, current, editing, form, extras, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        Err(errors) => {
            let notice = format!(
                "Not saved: {} field{} need{} attention. Everything you typed is still here.{assumptions}",
                errors.count,
                plural(errors.count),
                if errors.count == 1 { "s" } else { "" }
            );
            let extras = Extras { errors, notice: Some(notice), ..Extras::default() };
            return render(state, current, editing, form, extras, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let actor = current.user.name.as_str();
    let note = Some(form.note.trim()).filter(|n| !n.is_empty()).or(step.map(Step::note));
    let saved = match editing {
        None => state.store.create_incident(&fields, actor, note).await,
        Some(incident) => {
            let Some(expected) = form.version else {
                return Err(AppError::BadRequest("the form does not say which version it edits".into()).into());
            };
            state.store.replace_incident(&incident.fields.slug, expected, &fields, actor, note.or(Some("edited"))).await
        }
    };
    match saved {
        Ok(incident) => {
            let (slug, version) = (&incident.fields.slug, incident.meta.version);
            Ok(Redirect::to(&format!("/incidents/{slug}?saved={version}")).into_response())
        }
        Err(StoreError::DuplicateSlug(slug)) => {
            let errors = FormErrors::new(ValidationErrors::single(
                "slug",
                format!("another report already uses `{slug}`: choose a different slug"),
            ));
            let extras = Extras { errors, notice: Some("Not saved: the slug is taken.".into()), ..Extras::default() };
            render(state, current, editing, form, extras, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(StoreError::StaleVersion { .. }) | Err(StoreError::NotFound) if editing.is_some() => {
            conflict(state, current, editing, form, &fields).await
        }
        Err(error) => Err(error.into()),
    }
}

/// Someone saved a newer version first. Nothing is written: the writer gets
/// their text back beside the current version, and a form that now edits
/// the current version, to merge by hand.
async fn conflict(
    state: &AppState,
    current: &SessionRecord,
    editing: Option<&Incident>,
    mut form: ReportForm,
    yours: &IncidentFields,
) -> Result<Response, WebError> {
    let slug = editing.map(|incident| incident.fields.slug.as_str()).unwrap_or_default();
    let Some(latest) = state.store.get_incident(slug).await? else {
        let message = "This report was deleted while you were editing it. Your text is below: copy what you need.";
        let extras = Extras { notice: Some(message.into()), ..Extras::default() };
        return render(state, current, editing, form, extras, StatusCode::CONFLICT).await;
    };
    let mut theirs = latest.fields.to_input();
    let mut mine = yours.to_input();
    // The workflow status is not the writer's to merge.
    theirs.status = None;
    mine.status = None;
    let conflict = Conflict {
        based_on: form.version,
        current_version: latest.meta.version,
        updated_by: latest.meta.updated_by.clone(),
        updated_at: format::date_time(latest.meta.updated_at),
        differences: side_by_side(&mine, &theirs),
    };
    form.version = Some(latest.meta.version);
    let extras = Extras { conflict: Some(conflict), ..Extras::default() };
    render(state, current, Some(&latest), form, extras, StatusCode::CONFLICT).await
}

/// A row of a repeating section, as the template fills it in: its index
/// (`__i__` in the blank row JavaScript copies), its number for people, and
/// the message beside each field.
pub struct RowView<T> {
    pub index: String,
    pub number: String,
    pub row: T,
    pub errors: std::collections::HashMap<&'static str, String>,
    /// What was assumed about the row's completion time, if anything.
    pub check: Option<String>,
    /// A related row: the title of the report it links to.
    pub linked_title: Option<String>,
    /// A related row: what "Find" looked for, and the reports it found.
    pub found: Option<Found>,
    /// An action row: the report's factors, to tick those it addresses.
    pub factor_choices: Vec<FactorChoice>,
}

/// A contributing factor an action item may address: its place (the value
/// posted), how the writer recognises it, and whether the action names it.
pub struct FactorChoice {
    pub place: usize,
    pub label: String,
    pub checked: bool,
}

impl FactorChoice {
    /// "2 · Software defect: the data was already corrupt when …"
    fn all(factors: &[FactorRow], addressed: &[usize]) -> Vec<FactorChoice> {
        factors
            .iter()
            .enumerate()
            .map(|(place, row)| {
                let category = FactorCategory::parse(row.category.trim()).map_or("No category yet", |c| c.label());
                let text = row.text.split_whitespace().collect::<Vec<_>>().join(" ");
                let text = match text.char_indices().nth(FACTOR_LABEL_CHARS) {
                    Some((cut, _)) => format!("{} …", &text[..cut]),
                    None if text.is_empty() => "no text yet".to_string(),
                    None => text,
                };
                FactorChoice {
                    place,
                    label: format!("{} · {category}: {text}", place + 1),
                    checked: addressed.contains(&place),
                }
            })
            .collect()
    }
}

/// How much of a factor's text names it beside an action item's tick box.
const FACTOR_LABEL_CHARS: usize = 70;

/// What a related row's "Find" looked for, and the published reports it
/// found, as address and title.
pub struct Found {
    pub looked_for: String,
    pub matches: Vec<(String, String)>,
}

impl<T> RowView<T> {
    /// The message for one of the row's fields, if any.
    pub fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

fn row_views<T: Clone>(
    rows: &[T],
    section: &str,
    fields: &[&'static str],
    errors: &FormErrors,
    blank: T,
) -> (Vec<RowView<T>>, RowView<T>) {
    let views = rows
        .iter()
        .enumerate()
        .map(|(index, row)| RowView {
            index: index.to_string(),
            number: (index + 1).to_string(),
            row: row.clone(),
            errors: fields.iter().filter_map(|f| errors.row(section, index, f).map(|message| (*f, message))).collect(),
            check: None,
            linked_title: None,
            found: None,
            factor_choices: Vec::new(),
        })
        .collect();
    let template = RowView {
        index: "__i__".into(),
        number: "__n__".into(),
        row: blank,
        errors: Default::default(),
        check: None,
        linked_title: None,
        found: None,
        factor_choices: Vec::new(),
    };
    (views, template)
}
