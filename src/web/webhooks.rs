//! `/admin/webhooks`: an admin registers the addresses told when a report
//! is published, changed while published, unpublished or deleted, sees each
//! new one's signing secret once, removes them, and reads the delivery log:
//! what was sent where, how many attempts it took, and why one failed.

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::extract::{check_form, unreadable, AdminSession};
use super::page::{page_with_status, Layout, WebError, WebPage};
use crate::app::AppState;
use crate::error::AppError;
use crate::format;
use crate::store::{Delivery, SessionRecord, Webhook};

/// Deliveries the log shows, newest first.
const LOG_ROWS: u32 = 100;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/webhooks", get(show).post(add)).route("/admin/webhooks/{id}/remove", post(remove))
}

#[derive(askama::Template)]
#[template(path = "admin/webhooks.html")]
struct WebhooksPage {
    layout: Layout,
    csrf: String,
    hooks: Vec<HookRow>,
    log: Vec<LogRow>,
    /// The address typed, kept when it was refused.
    typed: String,
    url_error: Option<String>,
    /// A hook just added, and its secret, shown this once.
    added: Option<(String, String)>,
}

impl WebPage for WebhooksPage {}

struct HookRow {
    id: i64,
    url: String,
    added: String,
    /// How its deliveries stand: all sent, or how many wait and why.
    standing: String,
}

struct LogRow {
    when: String,
    hook: i64,
    event: String,
    slug: String,
    /// `delivered`, `pending` or `failed`.
    state: String,
    attempts: i64,
    detail: String,
}

fn row(hook: Webhook, waiting: i64, head: Option<Delivery>) -> HookRow {
    let standing = match head {
        None => "up to date".to_string(),
        Some(head) if head.attempts == 0 => format!("{waiting} waiting to be sent"),
        Some(head) => format!(
            "{waiting} waiting: {} after {} attempt(s); next attempt {}",
            head.last_error.unwrap_or_default(),
            head.attempts,
            at(head.next_attempt_at)
        ),
    };
    HookRow { id: hook.id, url: hook.url, added: format!("{} by {}", at(hook.created_at), hook.created_by), standing }
}

fn at(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds).map(format::date_time).unwrap_or_default()
}

fn log_row(delivery: Delivery) -> LogRow {
    let detail = match (delivery.state.as_str(), delivery.last_status, delivery.last_error) {
        ("delivered", Some(status), _) => {
            format!("answered {status} at {}", delivery.delivered_at.map(at).unwrap_or_default())
        }
        ("pending", _, Some(error)) => format!("{error}; next attempt {}", at(delivery.next_attempt_at)),
        ("pending", _, None) => "waiting to be sent".to_string(),
        (_, _, Some(error)) => format!("given up: {error}"),
        _ => String::new(),
    };
    LogRow {
        when: at(delivery.created_at),
        hook: delivery.webhook_id,
        event: delivery.event,
        slug: delivery.incident_slug,
        state: delivery.state,
        attempts: delivery.attempts,
        detail,
    }
}

async fn render(
    state: &AppState,
    current: &SessionRecord,
    typed: String,
    url_error: Option<String>,
    added: Option<(String, String)>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let mut rows = Vec::new();
    for hook in state.store.webhooks().await? {
        let (waiting, head) = state.store.waiting(hook.id).await?;
        rows.push(row(hook, waiting, head));
    }
    let log = state.store.deliveries(None, LOG_ROWS).await?;
    page_with_status(
        &WebhooksPage {
            layout: Layout::new("Webhooks", "account"),
            csrf: current.csrf_token.clone(),
            hooks: rows,
            log: log.into_iter().map(log_row).collect(),
            typed,
            url_error,
            added,
        },
        status,
    )
}

async fn show(State(state): State<AppState>, AdminSession(current): AdminSession) -> Result<Response, WebError> {
    render(&state, &current, String::new(), None, None, StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize)]
struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    url: String,
}

async fn add(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminSession(current): AdminSession,
    form: Result<Form<AddForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    let Form(form) = form.map_err(unreadable)?;
    check_form(&headers, &current, &form.csrf)?;
    let url = match crate::webhooks::check_url(&form.url) {
        Ok(url) => url,
        Err(reason) => {
            let error = Some(format!("The address {reason}."));
            return render(&state, &current, form.url, error, None, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let secret = crate::webhooks::new_secret().map_err(AppError::Internal)?;
    let hook = state.store.add_webhook(&url, &secret, &current.user.name).await?;
    render(&state, &current, String::new(), None, Some((hook.url, secret)), StatusCode::CREATED).await
}

#[derive(Debug, Default, Deserialize)]
struct RemoveForm {
    #[serde(default)]
    csrf: String,
}

async fn remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminSession(current): AdminSession,
    Path(id): Path<i64>,
    form: Result<Form<RemoveForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, WebError> {
    let Form(form) = form.map_err(unreadable)?;
    check_form(&headers, &current, &form.csrf)?;
    if !state.store.remove_webhook(id, &current.user.name).await? {
        return Err(AppError::not_found("webhook").into());
    }
    Ok(Redirect::to("/admin/webhooks").into_response())
}
