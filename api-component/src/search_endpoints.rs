//! The search endpoints: `GET /api/search`, the same search in one collection
//! (`GET /api/{collection}?q=`, see [`crate::handlers::docs_list`]), and the admin's
//! `POST /api/search/rebuild`. The work is `documents::search` and `documents::reindex`.

use crate::Ctx;
use crate::documents::reindex::{self as rebuild, RebuildCursor};
use crate::documents::search::{self as query, Cursor, Query};
use crate::error::{ApiError, ApiResult};
use crate::http::{ApiRequest, ApiResponse};
use crate::names::Collection;

/// Default and largest page sizes of a search.
pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;

/// `GET /api/search?q=&collection=&limit=&cursor=`.
pub fn search(ctx: &Ctx, req: &ApiRequest) -> ApiResult<ApiResponse> {
    let collection = match req.query_param("collection").filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(Collection::from_segment(&c).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "collection {c:?} is not one of brand-data, briefs, drafts"
            ))
        })?),
    };
    answer(ctx, req, collection)
}

/// Whether a collection listing asks for a search instead (`q` with something in it).
pub fn wants_search(req: &ApiRequest) -> bool {
    req.query_param("q").is_some_and(|q| !q.trim().is_empty())
}

/// `GET /api/{collection}?q=`: the search in one collection.
pub fn collection_search(
    ctx: &Ctx,
    req: &ApiRequest,
    collection: Collection,
) -> ApiResult<ApiResponse> {
    answer(ctx, req, Some(collection))
}

fn answer(ctx: &Ctx, req: &ApiRequest, collection: Option<Collection>) -> ApiResult<ApiResponse> {
    let q = req.query_param("q").unwrap_or_default();
    let terms = query::terms_of(&q).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let limit = req.limit_param("limit", DEFAULT_LIMIT, MAX_LIMIT)?;
    let cursor = match req.query_param("cursor").filter(|c| !c.is_empty()) {
        None => None,
        Some(raw) => Some(Cursor::parse(&raw, terms.len()).ok_or_else(|| {
            ApiError::BadRequest("cursor is not one this API returned for this q".into())
        })?),
    };
    let query = Query {
        terms,
        collection,
        limit,
        cursor,
    };
    let page = query::search(ctx.store, &query)?;
    Ok(ApiResponse::json(200, &page).with_header("cache-control", "no-store"))
}

/// `POST /api/search/rebuild?cursor=`: one bounded step of recreating the index.
pub fn rebuild(ctx: &Ctx, req: &ApiRequest) -> ApiResult<ApiResponse> {
    let cursor = match req.query_param("cursor").filter(|c| !c.is_empty()) {
        None => RebuildCursor::START,
        Some(raw) => RebuildCursor::parse(&raw)
            .ok_or_else(|| ApiError::BadRequest("cursor is not one this API returned".into()))?,
    };
    Ok(ApiResponse::json(200, &rebuild::step(ctx.store, cursor)?))
}
