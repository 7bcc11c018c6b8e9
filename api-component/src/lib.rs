//! The Claude Workflow Manager API as a WebAssembly HTTP component.
//!
//! # Layout
//! - [`handle`]: the one function every request passes through: authorization, then the route
//!   table ([`routes`]), then a handler. Pure: it takes a [`Ctx`] and an [`http::ApiRequest`].
//! - [`routes`]: the route table and path matching.
//! - [`handlers`]: document endpoints; [`multipart`]: browser uploads.
//! - [`documents`]: how documents, their metadata and the listing index sit in the store.
//! - [`names`]: collections and document-name validation; [`render`]: titles, word counts and
//!   HTML previews; [`assets`]: the embedded UI and the OpenAPI document.
//! - [`store`]: the key-value trait and its in-memory implementation; [`settings`]; [`error`].
//! - `spin` (wasm32 only): the `#[http_service]` entry point and the `wasi:keyvalue` adapter.
//!
//! Everything but `spin` compiles natively and is tested against [`store::MemoryStore`].

pub mod assets;
pub mod blob;
pub mod documents;
pub mod error;
pub mod handlers;
pub mod http;
pub mod multipart;
pub mod names;
pub mod render;
pub mod routes;
pub mod settings;
pub mod store;

#[cfg(target_arch = "wasm32")]
mod spin;

use error::{ApiError, ApiResult};
use http::{ApiRequest, ApiResponse};
use routes::{Endpoint, Matched, Resolved};
use settings::Settings;
use store::Store;

/// The component's version, reported by `/health`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Everything a request may use: the store, the settings and the time it arrived.
pub struct Ctx<'a> {
    pub store: &'a dyn Store,
    pub settings: &'a Settings,
    /// Milliseconds since the Unix epoch.
    pub now_ms: i64,
}

/// Answers one request. Never panics on client input; every error becomes `{"error": ...}`.
pub fn handle(ctx: &Ctx, req: &ApiRequest) -> ApiResponse {
    // HEAD is GET without the body.
    let head = req.method == "HEAD";
    let method = if head { "GET" } else { req.method.as_str() };
    let mut resp = authorize(ctx, req)
        .and_then(|()| routes::resolve(method, &req.path))
        .and_then(|resolved| match resolved {
            Resolved::Api(matched) => dispatch(ctx, req, matched),
            Resolved::Static if method == "GET" => assets::static_file(&req.path)
                .ok_or_else(|| ApiError::NotFound(format!("nothing at {}", req.path))),
            Resolved::Static => Err(ApiError::MethodNotAllowed {
                method: req.method.clone(),
                allowed: "GET",
            }),
        })
        .unwrap_or_else(ApiError::into_response);
    resp.headers.push(("x-content-type-options".into(), "nosniff".into()));
    if head {
        resp.body.clear();
    }
    resp
}

/// The single place where every request is checked before routing. The documents API is open;
/// runner endpoints and user authentication are enforced here as they are added.
fn authorize(_ctx: &Ctx, _req: &ApiRequest) -> ApiResult<()> {
    Ok(())
}

fn dispatch(ctx: &Ctx, req: &ApiRequest, matched: Matched) -> ApiResult<ApiResponse> {
    let Matched { endpoint, collection, name } = matched;
    // The route table guarantees the parameters each endpoint's pattern names.
    let c = || collection.ok_or_else(|| ApiError::NotFound("no collection".into()));
    let n = || name.as_deref().ok_or_else(|| ApiError::NotFound("no document name".into()));
    match endpoint {
        Endpoint::Health => Ok(health(ctx)),
        Endpoint::OpenApi => Ok(ApiResponse::new(200, "application/json", assets::OPENAPI_JSON)),
        Endpoint::DocsList => handlers::docs_list(ctx, req, c()?),
        Endpoint::DocsUpload => handlers::docs_upload(ctx, req, c()?),
        Endpoint::DocGet => handlers::doc_get(ctx, req, c()?, n()?),
        Endpoint::DocPut => handlers::doc_put(ctx, req, c()?, n()?),
        Endpoint::DocDelete => handlers::doc_delete(ctx, c()?, n()?),
        Endpoint::DocPreview => handlers::doc_preview(ctx, c()?, n()?),
    }
}

fn health(ctx: &Ctx) -> ApiResponse {
    ApiResponse::json(
        200,
        &serde_json::json!({
            "status": "healthy",
            "timestamp": documents::rfc3339(ctx.now_ms),
            "active_jobs": 0,
            "queued_jobs": 0,
            "max_concurrent_jobs": ctx.settings.max_concurrent_jobs,
            "version": VERSION,
        }),
    )
}
