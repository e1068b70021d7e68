//! The JSON API under `/api/v1`: one file per resource, all on the same
//! domain types and store as the pages. Every route is added with its
//! `#[utoipa::path]` description (`routes!`), so the router and the OpenAPI
//! document (`openapi.rs`) are built from one list and cannot drift apart.

pub mod actions;
pub mod audit;
pub mod export;
pub mod extract;
pub mod incidents;
pub mod labels;
pub mod openapi;
pub mod preview;
pub mod search;
pub mod stats;
pub mod timeline;
pub mod workflow;

use axum::Router;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;
use crate::error::AppError;

/// Where the API is served.
pub const PREFIX: &str = "/api/v1";

/// Every route of the API with its description, relative to `PREFIX`.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(actions::router())
        .merge(audit::router())
        .merge(export::router())
        .merge(incidents::router())
        .merge(labels::router())
        .merge(openapi::router())
        .merge(preview::router())
        .merge(search::router())
        .merge(stats::router())
        .merge(timeline::router())
        .merge(workflow::router())
}

/// The API's router, to be nested at `PREFIX`.
pub fn router() -> Router<AppState> {
    let (router, _) = routes().split_for_parts();
    router
        .fallback(|| async { AppError::not_found("API endpoint") })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// The paths the router serves, read from its description: axum has no
    /// other way to list them.
    fn router_paths() -> BTreeSet<String> {
        let (router, _) = super::routes().split_for_parts();
        let router: axum::Router<crate::app::AppState> = router;
        let described = format!("{router:?}");
        let table = described.split("node: Node { paths: {").nth(1).expect("the router's path table");
        let table = &table[..table.find("\"}").expect("the end of the table") + 1];
        // Entries read `RouteId(7): "/incidents/{slug}"`; paths hold no quotes.
        table.split("RouteId(").filter_map(|entry| entry.split('"').nth(1)).map(str::to_string).collect()
    }

    #[test]
    fn the_router_serves_exactly_the_documented_paths() {
        let documented: BTreeSet<String> = super::openapi::document()
            .paths
            .paths
            .keys()
            .map(|path| path.strip_prefix(super::PREFIX).expect("every path under the prefix").to_string())
            .collect();
        let served = router_paths();
        assert!(served.len() > 10, "the router's paths were read: {served:?}");
        assert_eq!(served, documented);
    }
}
