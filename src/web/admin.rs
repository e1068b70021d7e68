//! `/admin/audit`: the audit log for signed-in admins, newest first.

use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::extract::AdminSession;
use super::page::{page, Layout, WebError, WebPage};
use crate::app::AppState;
use crate::store::AuditEntry;

const PER_PAGE: u32 = 100;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/audit", get(audit))
}

#[derive(askama::Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    layout: Layout,
    entries: Vec<AuditEntry>,
    older_href: Option<String>,
}

impl WebPage for AuditPage {}

#[derive(Debug, Default, Deserialize)]
struct Params {
    before: Option<i64>,
}

async fn audit(
    State(state): State<AppState>,
    _admin: AdminSession,
    params: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    let before = params.ok().and_then(|Query(p)| p.before);
    let entries = state.store.audit_log(before, PER_PAGE).await?;
    let older_href = (entries.len() == PER_PAGE as usize)
        .then(|| entries.last().map(|entry| format!("/admin/audit?before={}", entry.id)))
        .flatten();
    page(&AuditPage { layout: Layout::new("Audit log", "account"), entries, older_href })
}
