//! Document endpoints: list, get, preview, put, upload, delete, versions and the trash. Each
//! takes the request context and returns a response or an [`ApiError`]; none touches host
//! types.

use serde::Serialize;

use crate::Ctx;
use crate::documents::{DocItem, DocMeta, Documents, Precondition, Source, Write, trash};
use crate::error::{ApiError, ApiResult};
use crate::http::{ApiRequest, ApiResponse};
use crate::names::{Collection, DocName, Format};
use crate::render;

/// Default and largest page sizes of a listing.
pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 500;

/// `GET /api/{collection}?limit=&cursor=`, or with `q` the search in this collection.
pub fn docs_list(ctx: &Ctx, req: &ApiRequest, collection: Collection) -> ApiResult<ApiResponse> {
    if crate::search_endpoints::wants_search(req) {
        return crate::search_endpoints::collection_search(ctx, req, collection);
    }
    let limit = req.limit_param("limit", DEFAULT_LIMIT, MAX_LIMIT)?;
    let cursor = req.cursor_param()?;
    let page = Documents::new(ctx.store, collection).list(limit, cursor)?;
    Ok(ApiResponse::json(200, &page))
}

pub fn doc_get(
    ctx: &Ctx,
    req: &ApiRequest,
    collection: Collection,
    name: &str,
) -> ApiResult<ApiResponse> {
    let name = DocName::parse(collection, name).map_err(ApiError::BadRequest)?;
    let docs = Documents::new(ctx.store, collection);
    let cached = req.if_none_match();
    if cached != Precondition::None {
        // Answer a revalidation without reading the content.
        if let Some(meta) = docs.meta(&name)?
            && cached.names(meta.generation)
        {
            return Ok(ApiResponse::empty(304).with_header("etag", meta.etag()));
        }
    }
    let (meta, content) = docs.get(&name)?;
    Ok(ApiResponse::new(200, collection.content_type(), content)
        .with_header("etag", meta.etag())
        .with_header("cache-control", "no-cache"))
}

pub fn doc_preview(ctx: &Ctx, collection: Collection, name: &str) -> ApiResult<ApiResponse> {
    let name = DocName::parse(collection, name).map_err(ApiError::BadRequest)?;
    let (meta, content) = Documents::new(ctx.store, collection).get(&name)?;
    // Stored content was validated as UTF-8 (and JSON for brand data) on the way in.
    let text = String::from_utf8_lossy(&content);
    let html = match collection.format() {
        Format::Markdown => render::markdown_preview(&text),
        Format::Json => match serde_json::from_str(&text) {
            Ok(value) => render::json_preview(&value),
            Err(_) => format!("<pre>{}</pre>", render::escape_html(&text)),
        },
    };
    Ok(preview_response(html).with_header("etag", meta.etag()))
}

/// `POST /api/render`: unsaved Markdown rendered exactly as [`doc_preview`] renders a stored
/// document, for the editor's live preview. Stores nothing. The body may be as large as a
/// document may be.
pub fn render_markdown(ctx: &Ctx, req: &ApiRequest) -> ApiResult<ApiResponse> {
    check_format_type(
        Format::Markdown,
        "Markdown to render",
        req.header("content-type"),
    )?;
    let limit = ctx.settings.max_document_bytes;
    let size = req.body.len() as u64;
    if size > limit {
        return Err(ApiError::TooLarge { size, limit });
    }
    let text = std::str::from_utf8(&req.body)
        .map_err(|e| ApiError::BadRequest(format!("body is not valid UTF-8 ({e})")))?;
    Ok(preview_response(render::markdown_preview(text)).with_header("cache-control", "no-store"))
}

/// An HTML preview fragment with the policy that keeps it inert if opened on its own.
fn preview_response(html: String) -> ApiResponse {
    ApiResponse::new(200, "text/html; charset=utf-8", html).with_header(
        "content-security-policy",
        "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'",
    )
}

pub fn doc_put(
    ctx: &Ctx,
    req: &ApiRequest,
    collection: Collection,
    name: &str,
    by: &str,
) -> ApiResult<ApiResponse> {
    let name = DocName::parse(collection, name).map_err(ApiError::BadRequest)?;
    check_content_type(collection, req.header("content-type"))?;
    let precondition = req.if_match();
    let (created, meta) = Documents::new(ctx.store, collection).put(
        &name,
        &req.body,
        ctx.settings.max_document_bytes,
        &precondition,
        &Write::new(ctx, by, Source::Edit),
    )?;
    Ok(item_response(
        if created { 201 } else { 200 },
        collection,
        &meta,
    ))
}

/// `DELETE /api/{collection}/{name}`: into the trash.
pub fn doc_delete(
    ctx: &Ctx,
    collection: Collection,
    name: &str,
    by: &str,
) -> ApiResult<ApiResponse> {
    let name = DocName::parse(collection, name).map_err(ApiError::BadRequest)?;
    Documents::new(ctx.store, collection).delete(&name, (ctx.now_ms, by))?;
    trash::sweep_if_due(ctx)?;
    Ok(ApiResponse::empty(204))
}

/// `GET /api/{collection}/{name}/versions`.
pub fn doc_versions(ctx: &Ctx, collection: Collection, name: &str) -> ApiResult<ApiResponse> {
    let name = DocName::parse(collection, name).map_err(ApiError::BadRequest)?;
    let list =
        Documents::new(ctx.store, collection).versions(&name, ctx.settings.version_retention)?;
    Ok(ApiResponse::json(200, &list).with_header("cache-control", "no-cache"))
}

fn version_param(raw: &str) -> ApiResult<u64> {
    raw.parse::<u64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| ApiError::BadRequest(format!("version {raw:?} is not a positive number")))
}

/// `GET /api/{collection}/{name}/versions/{version}`: that version's content.
pub fn doc_version_get(
    ctx: &Ctx,
    collection: Collection,
    name: &str,
    version: &str,
) -> ApiResult<ApiResponse> {
    let name = DocName::parse(collection, name).map_err(ApiError::BadRequest)?;
    let version = version_param(version)?;
    let (item, content) = Documents::new(ctx.store, collection).version(&name, version)?;
    Ok(ApiResponse::new(200, collection.content_type(), content)
        .with_header("etag", item.etag)
        .with_header("cache-control", "no-cache"))
}

/// `POST /api/{collection}/{name}/versions/{version}/restore`: that version's content written
/// again as the newest version (`If-Match` honoured).
pub fn doc_version_restore(
    ctx: &Ctx,
    req: &ApiRequest,
    collection: Collection,
    (name, version): (&str, &str),
    by: &str,
) -> ApiResult<ApiResponse> {
    let name = DocName::parse(collection, name).map_err(ApiError::BadRequest)?;
    let version = version_param(version)?;
    let docs = Documents::new(ctx.store, collection);
    let (_, content) = docs.version(&name, version)?;
    // A version was valid when written; the size limit may have shrunk since.
    let max = ctx.settings.max_document_bytes.max(content.len() as u64);
    let (_, meta) = docs.put(
        &name,
        &content,
        max,
        &req.if_match(),
        &Write::new(ctx, by, Source::Restore(version)),
    )?;
    Ok(item_response(200, collection, &meta))
}

/// `GET /api/trash?limit=&cursor=`.
pub fn trash_list(ctx: &Ctx, req: &ApiRequest) -> ApiResult<ApiResponse> {
    let limit = req.limit_param("limit", DEFAULT_LIMIT, MAX_LIMIT)?;
    let cursor = req.cursor_param()?;
    Ok(ApiResponse::json(200, &trash::list(ctx, limit, cursor)?))
}

/// `POST /api/trash/{collection}/{name}/restore`: the document back in its collection.
pub fn trash_restore(
    ctx: &Ctx,
    collection: Collection,
    name: &str,
    by: &str,
) -> ApiResult<ApiResponse> {
    let name = DocName::parse(collection, name).map_err(ApiError::BadRequest)?;
    let meta = Documents::new(ctx.store, collection).restore_from_trash(ctx, &name, by)?;
    Ok(item_response(201, collection, &meta))
}

/// The answer to an upload: the stored documents, and what became of each file.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Uploaded {
    /// The documents stored, in the order of their parts.
    pub items: Vec<DocItem>,
    /// One entry per file part, in order.
    pub files: Vec<UploadedFile>,
}

/// What became of one uploaded file: stored under `name`, or refused with `error`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadedFile {
    /// The file name as sent.
    pub file: String,
    /// The document it was stored as (derived from the file name when that is not a valid
    /// name); `null` if it was refused.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub name: Option<String>,
    /// Why it was refused; `null` if it was stored.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub error: Option<String>,
}

/// `multipart/form-data` with one or more `file` parts. Each file is stored under its name, or
/// one derived from it ([`DocName::from_file_name`]); a file that cannot be stored (wrong
/// extension, invalid content, a name another part of the upload took) is reported in `files`
/// without keeping the others from being stored. 201 if any was stored, else the refusal of
/// the first (with every file's reason).
pub fn docs_upload(
    ctx: &Ctx,
    req: &ApiRequest,
    collection: Collection,
    by: &str,
) -> ApiResult<ApiResponse> {
    if req.body.len() as u64 > ctx.settings.max_upload_bytes {
        return Err(ApiError::TooLarge {
            size: req.body.len() as u64,
            limit: ctx.settings.max_upload_bytes,
        });
    }
    let content_type = req.header("content-type").unwrap_or_default();
    let files = crate::multipart::files(content_type, &req.body)?;
    if files.is_empty() {
        return Err(ApiError::BadRequest("upload has no `file` parts".into()));
    }
    let docs = Documents::new(ctx.store, collection);
    let max = ctx.settings.max_document_bytes;
    let mut checked: Vec<Result<(DocName, &[u8]), ApiError>> = Vec::with_capacity(files.len());
    for (file_name, body) in &files {
        let outcome = DocName::from_file_name(collection, file_name)
            .map_err(ApiError::BadRequest)
            .and_then(|name| {
                if checked.iter().flatten().any(|(n, _)| n == &name) {
                    return Err(ApiError::BadRequest(format!(
                        "another file of this upload is stored as {name}"
                    )));
                }
                docs.check(&name, body, max)?;
                Ok((name, body.as_slice()))
            });
        checked.push(outcome);
    }
    if checked.iter().all(Result::is_err) {
        let reasons: Vec<String> = files
            .iter()
            .zip(&checked)
            .filter_map(|((file, _), r)| r.as_ref().err().map(|e| format!("file {file:?}: {e}")))
            .collect();
        let first = checked.into_iter().find_map(Result::err);
        return Err(match first {
            Some(ApiError::TooLarge { size, limit }) if files.len() == 1 => {
                ApiError::TooLarge { size, limit }
            }
            Some(ApiError::Unprocessable(_)) => ApiError::Unprocessable(reasons.join("; ")),
            _ => ApiError::BadRequest(reasons.join("; ")),
        });
    }
    let mut items = Vec::new();
    let mut results = Vec::with_capacity(files.len());
    for ((file, _), outcome) in files.iter().zip(checked) {
        let result = match outcome {
            Ok((name, body)) => {
                let write = Write::new(ctx, by, Source::Upload);
                let (_, meta) = docs.put(&name, body, max, &Precondition::None, &write)?;
                items.push(meta.item());
                UploadedFile {
                    file: file.clone(),
                    name: Some(meta.name),
                    error: None,
                }
            }
            Err(e) => UploadedFile {
                file: file.clone(),
                name: None,
                error: Some(e.to_string()),
            },
        };
        results.push(result);
    }
    Ok(ApiResponse::json(
        201,
        &Uploaded {
            items,
            files: results,
        },
    ))
}

fn item_response(status: u16, collection: Collection, meta: &DocMeta) -> ApiResponse {
    ApiResponse::json(status, &meta.item())
        .with_header("etag", meta.etag())
        .with_header("location", format!("/api/{collection}/{}", meta.name))
}

/// PUT bodies may be labelled loosely (browsers and curl differ), but not as something else.
fn check_content_type(collection: Collection, header: Option<&str>) -> ApiResult<()> {
    check_format_type(
        collection.format(),
        &format!("{collection} documents"),
        header,
    )
}

/// Refuses a body labelled as something other than `format` (unlabelled bodies pass); `what`
/// names the body in the message.
fn check_format_type(format: Format, what: &str, header: Option<&str>) -> ApiResult<()> {
    let Some(header) = header else { return Ok(()) };
    let mime = header
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let accepted: &[&str] = match format {
        Format::Json => &[
            "application/json",
            "text/json",
            "text/plain",
            "application/octet-stream",
        ],
        Format::Markdown => &[
            "text/markdown",
            "text/x-markdown",
            "text/plain",
            "application/octet-stream",
        ],
    };
    // `curl -d` labels every body as a form; the bytes are what count.
    let generic = ["application/x-www-form-urlencoded"];
    if mime.is_empty() || accepted.contains(&mime.as_str()) || generic.contains(&mime.as_str()) {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(format!(
            "{what} cannot be sent as {mime}; use {}",
            accepted[0]
        )))
    }
}
