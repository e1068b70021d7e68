//! `/admin/audit`: the audit log for signed-in admins, newest first,
//! filtered by who, what, which subject and when, a page at a time.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::extract::AdminSession;
use super::page::{page_with_status, sentence, Layout, WebError, WebPage};
use crate::app::AppState;
use crate::domain::audit::{AuditFilter, AuditFilterText, ACTION_KINDS};
use crate::domain::list_filter::query_encode;
use crate::store::AuditEntry;

const PER_PAGE: u32 = 100;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/audit", get(audit))
}

#[derive(askama::Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    layout: Layout,
    typed: AuditFilterText,
    kinds: &'static [&'static str],
    errors: HashMap<String, String>,
    filtered: bool,
    entries: Vec<AuditEntry>,
    older_href: Option<String>,
}

impl WebPage for AuditPage {}

impl AuditPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }

    fn action_is(&self, kind: &str) -> bool {
        self.typed.action.trim() == kind
    }

    /// An action typed in full (`user.disable`) rather than chosen.
    fn other_action(&self) -> Option<&str> {
        let action = self.typed.action.trim();
        (!action.is_empty() && !self.kinds.contains(&action)).then_some(action)
    }
}

#[derive(Debug, Default, Deserialize)]
struct Params {
    #[serde(flatten)]
    filter: AuditFilterText,
    before: Option<i64>,
}

async fn audit(
    State(state): State<AppState>,
    _admin: AdminSession,
    params: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    let params = params.map(|Query(params)| params).unwrap_or_default();
    let typed = params.filter;
    let (entries, errors) = match typed.read() {
        Ok(filter) => {
            let filter = AuditFilter { before: params.before, ..filter };
            (state.store.audit_log(&filter, PER_PAGE).await?, HashMap::new())
        }
        Err(errors) => {
            (Vec::new(), errors.0.into_iter().map(|error| (error.field, sentence(&error.message))).collect())
        }
    };
    let older_href = (entries.len() == PER_PAGE as usize)
        .then(|| entries.last().map(|entry| format!("/admin/audit?{}before={}", filter_query(&typed), entry.id)))
        .flatten();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let filtered = [&typed.actor, &typed.action, &typed.subject, &typed.since, &typed.until]
        .iter()
        .any(|value| !value.trim().is_empty());
    page_with_status(
        &AuditPage {
            layout: Layout::new("Audit log", "account"),
            typed,
            kinds: ACTION_KINDS,
            errors,
            filtered,
            entries,
            older_href,
        },
        status,
    )
}

/// The filter's fields as a query string's start, each followed by `&`.
fn filter_query(typed: &AuditFilterText) -> String {
    [
        ("actor", &typed.actor),
        ("action", &typed.action),
        ("subject", &typed.subject),
        ("since", &typed.since),
        ("until", &typed.until),
    ]
    .into_iter()
    .filter(|(_, value)| !value.trim().is_empty())
    .map(|(name, value)| format!("{name}={}&", query_encode(value.trim())))
    .collect()
}
