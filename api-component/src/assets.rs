//! Fixed responses: the embedded web UI from `static/` and the OpenAPI document.

use crate::http::ApiResponse;

include!(concat!(env!("OUT_DIR"), "/static_files.rs"));

/// The OpenAPI 3.1 description of every endpoint, as `api_doc` generates it (feature `openapi`;
/// a test fails when the committed file differs).
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

/// Policy for the UI's pages: only our own scripts, styles and API; nothing inline.
const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; \
connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/// The embedded file at `path` (`/` means `/index.html`), if any. Browsers keep a copy but ask
/// again each time (`no-cache`): a release is never served stale, and an unchanged file (the
/// editor bundle is the large one) costs a 304 to an `If-None-Match` that names its ETag.
pub fn static_file(path: &str, if_none_match: Option<&str>) -> Option<ApiResponse> {
    let path = if path == "/" { "/index.html" } else { path };
    let (_, etag, bytes) = STATIC_FILES.iter().find(|(p, _, _)| *p == path)?;
    let cached = if_none_match.is_some_and(|header| {
        header
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == *etag || t == "*")
    });
    let (status, body) = if cached {
        (304, Vec::new())
    } else {
        (200, bytes.to_vec())
    };
    let mut resp = ApiResponse::new(status, content_type(path), body)
        .with_header("cache-control", "no-cache")
        .with_header("etag", *etag);
    if path.ends_with(".html") {
        resp = resp
            .with_header("content-security-policy", PAGE_CSP)
            .with_header("referrer-policy", "no-referrer");
    }
    Some(resp)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
