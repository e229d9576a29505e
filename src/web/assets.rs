//! The pages' static files (style sheet, scripts), kept in the repository under
//! `src/web/assets/`, compiled into the binary and served from `/assets/{name}`. Pages link
//! them with a content hash in the query (`/assets/site.css?v=…`), so a browser may keep
//! them for a year and still picks up a new build at once.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest as _, Sha256};

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

/// Every file the pages may load.
const ASSETS: &[Asset] = &[
    Asset {
        name: "site.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("assets/site.css"),
    },
    Asset {
        name: "charts.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("assets/charts.js"),
    },
    Asset {
        name: "progress.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("assets/progress.js"),
    },
    // Apache ECharts, vendored with its licence (assets/vendor/README.md).
    Asset {
        name: "echarts.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("assets/vendor/echarts.min.js"),
    },
];

fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// The first 16 hex digits of each asset's SHA-256, computed once.
fn versions() -> &'static Vec<String> {
    static VERSIONS: OnceLock<Vec<String>> = OnceLock::new();
    VERSIONS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| hex::encode(&Sha256::digest(a.bytes)[..8]))
            .collect()
    })
}

fn version(name: &str) -> &'static str {
    ASSETS
        .iter()
        .position(|a| a.name == name)
        .and_then(|i| versions().get(i))
        .map_or("", String::as_str)
}

/// The URL a page links `name` with: `/assets/{name}?v={hash}`.
pub fn url(name: &str) -> String {
    format!("/assets/{name}?v={}", version(name))
}

/// `GET /assets/{name}`: the file, cacheable for a year, with an `ETag`; a request that
/// already holds this version gets `304 Not Modified`.
pub async fn serve(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some(asset) = find(&name) else {
        return crate::edge::ApiError::NotFound("没有这个文件".to_owned()).into_response();
    };
    let etag = format!("\"{}\"", version(asset.name));
    let cache = [
        (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        (header::ETAG, etag.as_str()),
    ];
    let held = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    if held {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    (
        cache,
        [(header::CONTENT_TYPE, asset.content_type)],
        asset.bytes,
    )
        .into_response()
}
