//! Static files, embedded in the binary. Pages link them with a content
//! hash in the query, so they can be cached for a year and still change
//! the moment a new build ships.

use std::hash::{Hash, Hasher};
use std::sync::LazyLock;

use axum::extract::{Path, Query};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use crate::app::AppState;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset { name: "app.css", content_type: "text/css; charset=utf-8", bytes: include_bytes!("../../static/app.css") },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/app.js"),
    },
    Asset { name: "favicon.svg", content_type: "image/svg+xml", bytes: include_bytes!("../../static/favicon.svg") },
];

/// A short hash of every asset, changed by any edit to any of them.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for asset in ASSETS {
        asset.name.hash(&mut hasher);
        asset.bytes.hash(&mut hasher);
    }
    format!("{:012x}", hasher.finish() & 0xffff_ffff_ffff)
});

pub fn router() -> Router<AppState> {
    Router::new().route("/static/{name}", get(serve))
}

/// The address of an asset, with the version that makes it cacheable.
pub fn href(name: &str) -> String {
    format!("/static/{name}?v={}", *VERSION)
}

#[derive(Deserialize)]
struct Version {
    v: Option<String>,
}

async fn serve(
    Path(name): Path<String>,
    version: Result<Query<Version>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let version = version.map(|Query(v)| v).unwrap_or(Version { v: None });
    let Some(asset) = ASSETS.iter().find(|asset| asset.name == name) else {
        return super::not_found().await.into_response();
    };
    // Only an address with the current version is immutable; any other
    // may change with the next build.
    let cache = if version.v.as_deref() == Some(VERSION.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    let mut response = (StatusCode::OK, asset.bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", *VERSION)) {
        headers.insert(header::ETAG, etag);
    }
    response
}
