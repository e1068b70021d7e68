//! The JSON API under `/api/v1`: one file per resource, all on the same
//! domain types and store as the pages.

pub mod audit;
pub mod extract;
pub mod incidents;
pub mod labels;
pub mod preview;
pub mod search;
pub mod stats;
pub mod timeline;

use axum::Router;

use crate::app::AppState;
use crate::error::AppError;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(audit::router())
        .merge(incidents::router())
        .merge(labels::router())
        .merge(preview::router())
        .merge(search::router())
        .merge(stats::router())
        .merge(timeline::router())
        .fallback(|| async { AppError::not_found("API endpoint") })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
}
