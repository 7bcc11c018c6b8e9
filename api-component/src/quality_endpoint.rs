//! `GET /api/{briefs|drafts}/{name}/quality`: the current version graded with every check
//! ([`crate::quality`]), against its sources ([`crate::documents::grading`]) or what the query
//! names instead: `primary_keyword`, `secondary_keywords` (comma-separated), and for drafts
//! `brief`, `brand_data` and `target_word_count`.

use crate::Ctx;
use crate::documents::Documents;
use crate::documents::grading::Against;
use crate::error::{ApiError, ApiResult};
use crate::http::{ApiRequest, ApiResponse};
use crate::names::{Collection, DocName};

/// Longest keyword, most secondary keywords (as a generate request takes them).
const MAX_KEYWORD_CHARS: usize = 300;
const MAX_SECONDARY: usize = 20;
const WORD_TARGETS: std::ops::RangeInclusive<u64> = 100..=20_000;

pub fn doc_quality(
    ctx: &Ctx,
    req: &ApiRequest,
    collection: Collection,
    name: &str,
) -> ApiResult<ApiResponse> {
    if collection == Collection::BrandData {
        return Err(ApiError::NotFound(
            "quality checks are for briefs and drafts".into(),
        ));
    }
    let name = DocName::parse(collection, name).map_err(ApiError::BadRequest)?;
    let against = against(ctx, req, collection)?;
    let docs = Documents::new(ctx.store, collection);
    let (meta, content) = docs.get(&name)?;
    let text = String::from_utf8_lossy(&content);
    let report = docs
        .grade(&text, meta.sources.as_ref(), &against)?
        .ok_or_else(|| ApiError::NotFound("quality checks are for briefs and drafts".into()))?;
    Ok(ApiResponse::json(200, &report).with_header("cache-control", "no-cache"))
}

/// The query's inputs, each checked: 400 for a bad one, 422 for a document that does not exist.
fn against(ctx: &Ctx, req: &ApiRequest, collection: Collection) -> ApiResult<Against> {
    let param = |key: &str| {
        req.query_param(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let keyword = |field: &str, value: String| -> ApiResult<String> {
        if value.chars().count() > MAX_KEYWORD_CHARS || value.chars().any(char::is_control) {
            return Err(ApiError::BadRequest(format!(
                "{field} must be at most {MAX_KEYWORD_CHARS} characters, without control characters"
            )));
        }
        Ok(value)
    };
    let mut against = Against {
        primary_keyword: param("primary_keyword")
            .map(|k| keyword("primary_keyword", k))
            .transpose()?,
        ..Against::default()
    };
    if let Some(list) = param("secondary_keywords") {
        let list: Vec<String> = list
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| keyword("secondary_keywords", k.to_owned()))
            .collect::<ApiResult<_>>()?;
        if list.len() > MAX_SECONDARY {
            return Err(ApiError::BadRequest(format!(
                "secondary_keywords has more than {MAX_SECONDARY} entries"
            )));
        }
        against.secondary_keywords = Some(list);
    }
    let draft_only = ["brief", "brand_data", "target_word_count"];
    if collection == Collection::Briefs {
        if let Some(key) = draft_only.iter().find(|k| param(k).is_some()) {
            return Err(ApiError::BadRequest(format!(
                "{key} applies to drafts only; a brief is checked against its keywords"
            )));
        }
        return Ok(against);
    }
    against.brief = param("brief")
        .map(|n| existing(ctx, Collection::Briefs, "brief", &n))
        .transpose()?;
    against.brand_data = param("brand_data")
        .map(|n| existing(ctx, Collection::BrandData, "brand_data", &n))
        .transpose()?;
    against.target_word_count = param("target_word_count")
        .map(|raw| {
            raw.parse::<u64>()
                .ok()
                .filter(|n| WORD_TARGETS.contains(n))
                .ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "target_word_count must be a whole number from {} to {}",
                        WORD_TARGETS.start(),
                        WORD_TARGETS.end()
                    ))
                })
        })
        .transpose()?;
    Ok(against)
}

/// A document named in the query, which must exist (as a generate request's inputs must).
fn existing(ctx: &Ctx, collection: Collection, field: &str, name: &str) -> ApiResult<DocName> {
    let found = crate::jobs::submit::existing(ctx, collection, field, Some(name.to_owned()))?;
    DocName::parse(collection, &found.name).map_err(ApiError::BadRequest)
}
