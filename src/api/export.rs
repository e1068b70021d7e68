//! `GET /api/v1/export`: every incident the caller may see, streamed as
//! JSON Lines in the format of `hindsight export`'s dump (a header line,
//! then one incident a line), so `hindsight import` reads it back. It is
//! read a page at a time as the client takes it, so neither side holds the
//! base in memory.

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::reported_time::format_rfc3339;
use crate::domain::Status;
use crate::error::AppError;
use crate::import::dump;
use crate::store::{IncidentFilter, PageCursor, Store};

/// Incidents read and sent at a time.
const PAGE: u32 = 100;
pub const MEDIA_TYPE: &str = "application/x-ndjson";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export))
}

/// Where the stream is.
enum Next {
    Header,
    Page(Option<PageCursor>),
    Done,
}

/// Every incident the caller may see (drafts and reports in review only
/// for writers), newest first as the list is, as JSON Lines: first a header
/// (`{"format": "hindsight-export", "format_version": 2, …}`), then one
/// incident a line in the shape `GET /incidents/{slug}` sends.
#[utoipa::path(
    get,
    path = "/export",
    tag = "incidents",
    responses((
        status = 200,
        description = "A header line, then one incident a line",
        content_type = "application/x-ndjson",
        body = String
    ))
)]
async fn export(State(state): State<AppState>, caller: Caller) -> Result<Response, AppError> {
    let mut filter = IncidentFilter::default();
    if !caller.sees_drafts() {
        filter.status = Some(Status::Published);
    }
    let store = state.store.clone();
    let chunks = futures_util::stream::unfold(Next::Header, move |next| {
        let store = store.clone();
        let filter = filter.clone();
        async move {
            match next {
                Next::Header => {
                    let mut line = Vec::new();
                    let written = dump::write_header(&mut line, format_rfc3339(time::OffsetDateTime::now_utc()));
                    Some((written.map(|()| Bytes::from(line)), Next::Page(None)))
                }
                Next::Page(cursor) => Some(match page(&store, &filter, cursor).await {
                    Ok((chunk, Some(next))) => (Ok(chunk), Next::Page(Some(next))),
                    Ok((chunk, None)) => (Ok(chunk), Next::Done),
                    Err(error) => {
                        // The status has gone out: all that is left is to
                        // cut the stream short, which the client sees.
                        tracing::error!(error = format!("{error:#}"), "the export stopped");
                        (Err(std::io::Error::other(error)), Next::Done)
                    }
                }),
                Next::Done => None,
            }
        }
    });
    // Fused: the compression layer may poll once more after the end.
    let chunks = futures_util::StreamExt::fuse(chunks);
    let headers = [
        (header::CONTENT_TYPE, MEDIA_TYPE),
        (header::CONTENT_DISPOSITION, "attachment; filename=\"hindsight-export.jsonl\""),
    ];
    Ok((headers, Body::from_stream(chunks)).into_response())
}

/// One page of incidents as lines, and where the next page starts.
async fn page(
    store: &Store,
    filter: &IncidentFilter,
    cursor: Option<PageCursor>,
) -> anyhow::Result<(Bytes, Option<PageCursor>)> {
    let page = store.list_incidents(filter, cursor, PAGE).await?;
    let mut lines = Vec::new();
    for incident in &page.items {
        dump::write_incident(&mut lines, incident)?;
    }
    Ok((Bytes::from(lines), page.next_cursor))
}
