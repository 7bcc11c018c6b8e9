//! The generate endpoints: validate a request, check its input documents exist, pick the output
//! document's name, render the full prompt from `instructions/`, and enqueue the job.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::model::{DocRef, JobType, Status};
use super::templates::{self, TemplateVersion};
use crate::Ctx;
use crate::documents::Documents;
use crate::error::{ApiError, ApiResult};
use crate::http::{ApiResponse, json_body};
use crate::names::{Collection, DocName, slug};

/// Longest accepted text field, in characters.
const MAX_FIELD_CHARS: usize = 300;
const MAX_URL_CHARS: usize = 2_000;
const MAX_LIST_ITEMS: usize = 20;
pub const MIN_WORD_COUNT: u64 = 100;
pub const MAX_WORD_COUNT: u64 = 20_000;
pub const DEFAULT_WORD_COUNT: u64 = 2_000;

// The generate requests. Fields are read leniently (a missing one is `None`) so that
// [`prepare`] can say which one is wrong; their schemas state what it demands. Unknown fields are
// ignored. The limits in `#[schema]` repeat the constants above (a test sends requests at them).

/// `POST /api/brand-data/generate`: brand data gathered from the brand's web pages.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BrandRequest {
    #[cfg_attr(
        feature = "openapi",
        schema(required = true, value_type = String, min_length = 1, max_length = 300)
    )]
    brand_name: Option<String>,
    /// http(s) addresses to read.
    #[cfg_attr(
        feature = "openapi",
        schema(required = true, value_type = Vec<String>, min_items = 1, max_items = 20)
    )]
    urls: Option<Vec<String>>,
}

/// `POST /api/briefs/generate`: a content brief for a keyword, in the brand's voice.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BriefRequest {
    #[cfg_attr(
        feature = "openapi",
        schema(required = true, value_type = String, min_length = 1, max_length = 300)
    )]
    title: Option<String>,
    #[cfg_attr(
        feature = "openapi",
        schema(required = true, value_type = String, min_length = 1, max_length = 300)
    )]
    primary_keyword: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    #[serde(default)]
    secondary_keywords: Vec<String>,
    /// The name of an existing brand-data document.
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String))]
    brand_data: Option<String>,
    /// When the brief is done, queue a draft from it and the same brand data.
    #[serde(default)]
    then_draft: Option<ThenDraft>,
}

/// The draft a brief request asks for once the brief exists (see [`super::pipeline`]).
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ThenDraft {
    /// Words to aim for.
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<u64>, minimum = 100, maximum = 20000, default = 2000)
    )]
    target_word_count: Option<Value>,
}

/// `POST /api/drafts/generate`: an article written from a brief.
#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DraftRequest {
    /// The name of an existing brief.
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String))]
    brief: Option<String>,
    /// The name of an existing brand-data document.
    #[cfg_attr(feature = "openapi", schema(required = true, value_type = String))]
    brand_data: Option<String>,
    /// Words to aim for.
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<u64>, minimum = 100, maximum = 20000, default = 2000)
    )]
    target_word_count: Option<Value>,
}

/// The answer to a generate or retry request: the new job, queued.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Queued {
    pub job_id: String,
    /// Always `queued`.
    #[cfg_attr(feature = "openapi", schema(schema_with = queued_status))]
    pub status: Status,
    /// The job a retry repeats (retries only).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_of: Option<String>,
}

#[cfg(feature = "openapi")]
fn queued_status() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(["queued"]))
        .description(Some("Always `queued`."))
        .build()
}

/// A validated job, ready to enqueue.
pub struct Submission {
    pub kind: JobType,
    pub params: Value,
    pub inputs: Vec<DocRef>,
    pub outputs: Vec<DocRef>,
    pub prompt: String,
    /// The instruction file the prompt was rendered from.
    pub template: TemplateVersion,
    /// The batch it is queued in (see [`super::batches`]).
    pub batch_id: Option<String>,
    /// The job whose success queued it (see [`super::pipeline`]).
    pub parent_job_id: Option<String>,
    /// The failed or cancelled job it retries.
    pub retry_of: Option<String>,
}

/// `POST /api/{collection}/generate`.
pub fn generate(
    ctx: &Ctx,
    collection: Collection,
    body: &[u8],
    by: &str,
) -> ApiResult<ApiResponse> {
    let request = GenerateRequest::from_body(collection, body)?;
    let submission = prepare(ctx, request)?;
    let id = super::enqueue::enqueue(ctx, submission, by)?;
    let location = format!("/api/jobs/{id}");
    let queued = Queued {
        job_id: id,
        status: Status::Queued,
        retry_of: None,
    };
    Ok(ApiResponse::json(202, &queued).with_header("location", location))
}

/// A generate request, read into its collection's type.
pub enum GenerateRequest {
    BrandData(BrandRequest),
    Brief(BriefRequest),
    Draft(DraftRequest),
}

impl GenerateRequest {
    /// A generate body, parsed straight into the request type of `collection` (no intermediate
    /// JSON value).
    pub fn from_body(collection: Collection, body: &[u8]) -> ApiResult<Self> {
        // serde would also read a JSON array into a struct, field by field.
        if !body.trim_ascii_start().starts_with(b"{") && !body.is_empty() {
            return Err(bad("request body must be a JSON object"));
        }
        Ok(match collection {
            Collection::BrandData => Self::BrandData(json_body(body)?),
            Collection::Briefs => Self::Brief(json_body(body)?),
            Collection::Drafts => Self::Draft(json_body(body)?),
        })
    }

    /// The parameters a job was queued with (for a retry), read without copying them.
    pub fn from_params(collection: Collection, params: &Value) -> ApiResult<Self> {
        fn read<'a, T: Deserialize<'a>>(params: &'a Value) -> ApiResult<T> {
            T::deserialize(params).map_err(|e| bad(&format!("invalid request: {e}")))
        }
        Ok(match collection {
            Collection::BrandData => Self::BrandData(read(params)?),
            Collection::Briefs => Self::Brief(read(params)?),
            Collection::Drafts => Self::Draft(read(params)?),
        })
    }
}

/// Validates a request, checks its input documents, and renders its prompt.
pub fn prepare(ctx: &Ctx, request: GenerateRequest) -> ApiResult<Submission> {
    prepare_among(ctx, request, &mut Vec::new())
}

/// [`prepare`] for one of several requests queued together: its output's name is none of
/// `reserved` (the outputs of the requests before it), and is added to it.
pub fn prepare_among(
    ctx: &Ctx,
    request: GenerateRequest,
    reserved: &mut Vec<DocRef>,
) -> ApiResult<Submission> {
    let mut unused_name = |ctx: &Ctx, collection, stem: &str| -> ApiResult<DocRef> {
        let name = unused_name(ctx, collection, stem, reserved)?;
        reserved.push(name.clone());
        Ok(name)
    };
    match request {
        GenerateRequest::BrandData(req) => {
            let brand = text_field("brand_name", req.brand_name)?;
            let urls = req.urls.unwrap_or_default();
            if urls.is_empty() || urls.len() > MAX_LIST_ITEMS {
                return Err(bad(&format!(
                    "urls must list 1 to {MAX_LIST_ITEMS} web addresses"
                )));
            }
            let urls: Vec<String> = urls.into_iter().map(check_url).collect::<ApiResult<_>>()?;
            let output = unused_name(ctx, Collection::BrandData, &slug(&brand))?;
            let url_list: String = urls.iter().map(|u| format!("- {u}\n")).collect();
            let prompt = templates::BRAND_DATA.render(&[
                ("brand_name", &brand),
                ("urls", url_list.trim_end()),
                ("output_path", &output.output_path()),
            ]);
            Ok(Submission {
                kind: JobType::BrandData,
                params: json!({ "brand_name": brand, "urls": urls }),
                inputs: vec![],
                outputs: vec![output],
                prompt,
                template: templates::BRAND_DATA.version(),
                batch_id: None,
                parent_job_id: None,
                retry_of: None,
            })
        }
        GenerateRequest::Brief(req) => {
            let title = text_field("title", req.title)?;
            let primary = text_field("primary_keyword", req.primary_keyword)?;
            if req.secondary_keywords.len() > MAX_LIST_ITEMS {
                return Err(bad(&format!(
                    "secondary_keywords has more than {MAX_LIST_ITEMS} entries"
                )));
            }
            let secondary: Vec<String> = req
                .secondary_keywords
                .into_iter()
                .map(|k| text_field("secondary_keywords entry", Some(k)))
                .collect::<ApiResult<_>>()?;
            let brand = existing(ctx, Collection::BrandData, "brand_data", req.brand_data)?;
            let output = unused_name(ctx, Collection::Briefs, &slug(&title))?;
            let prompt = templates::BRIEF.render(&[
                ("title", &title),
                ("primary_keyword", &primary),
                ("secondary_keywords", &secondary.join(", ")),
                ("brand_data_path", &brand.input_path()),
                ("output_path", &output.output_path()),
            ]);
            let mut params = json!({
                "title": title, "primary_keyword": primary,
                "secondary_keywords": secondary, "brand_data": brand.name,
            });
            if let Some(then) = req.then_draft {
                let words = word_count(then.target_word_count)
                    .map_err(|e| bad(&format!("then_draft: {e}")))?;
                params["then_draft"] = json!({ "target_word_count": words });
            }
            Ok(Submission {
                kind: JobType::Brief,
                params,
                inputs: vec![brand],
                outputs: vec![output],
                prompt,
                template: templates::BRIEF.version(),
                batch_id: None,
                parent_job_id: None,
                retry_of: None,
            })
        }
        GenerateRequest::Draft(req) => {
            let words = word_count(req.target_word_count)?;
            let brief = existing(ctx, Collection::Briefs, "brief", req.brief)?;
            let brand = existing(ctx, Collection::BrandData, "brand_data", req.brand_data)?;
            let stem = brief.name.trim_end_matches(".md").to_owned();
            let output = unused_name(ctx, Collection::Drafts, &stem)?;
            let prompt = templates::DRAFT.render(&[
                ("brief_path", &brief.input_path()),
                ("brand_data_path", &brand.input_path()),
                ("target_word_count", &words.to_string()),
                ("output_path", &output.output_path()),
            ]);
            Ok(Submission {
                kind: JobType::Draft,
                params: json!({ "brief": brief.name, "brand_data": brand.name, "target_word_count": words }),
                inputs: vec![brief, brand],
                outputs: vec![output],
                prompt,
                template: templates::DRAFT.version(),
                batch_id: None,
                parent_job_id: None,
                retry_of: None,
            })
        }
    }
}

/// A draft's `target_word_count`: the default when absent, else a whole number in range.
fn word_count(raw: Option<Value>) -> ApiResult<u64> {
    match raw {
        None | Some(Value::Null) => Ok(DEFAULT_WORD_COUNT),
        Some(v) => v
            .as_u64()
            .filter(|n| (MIN_WORD_COUNT..=MAX_WORD_COUNT).contains(n))
            .ok_or_else(|| {
                bad(&format!(
                    "target_word_count must be a whole number from {MIN_WORD_COUNT} to {MAX_WORD_COUNT}"
                ))
            }),
    }
}

/// Replaces each `{{key}}` in `template` with its value, in one pass (values are not rescanned).
pub fn render(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}").map(|end| (after[..end].trim(), end)) {
            Some((key, end)) if values.iter().any(|(k, _)| *k == key) => {
                let value = values
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map_or("", |(_, v)| *v);
                out.push_str(value);
                rest = &after[end + 2..];
            }
            _ => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `stem` + extension, or `stem-2`, `stem-3`, ... if a document of that name already exists
/// or is `reserved`.
fn unused_name(
    ctx: &Ctx,
    collection: Collection,
    stem: &str,
    reserved: &[DocRef],
) -> ApiResult<DocRef> {
    let docs = Documents::new(ctx.store, collection);
    for n in 1..=100 {
        let candidate = if n == 1 {
            stem.to_owned()
        } else {
            format!("{stem}-{n}")
        };
        let name = format!("{candidate}{}", collection.extension());
        let parsed = DocName::parse(collection, &name).map_err(ApiError::BadRequest)?;
        let candidate = DocRef::new(collection, &name);
        if !reserved.contains(&candidate) && docs.meta(&parsed)?.is_none() {
            return Ok(candidate);
        }
    }
    Err(ApiError::Conflict(format!(
        "too many {collection} documents named {stem}-N; rename some"
    )))
}

/// The named input document, which must exist (422 naming it otherwise).
pub(crate) fn existing(
    ctx: &Ctx,
    collection: Collection,
    field: &str,
    name: Option<String>,
) -> ApiResult<DocRef> {
    let name = text_field(field, name)?;
    let parsed =
        DocName::parse(collection, &name).map_err(|why| bad(&format!("{field}: {why}")))?;
    if Documents::new(ctx.store, collection)
        .meta(&parsed)?
        .is_none()
    {
        return Err(ApiError::Unprocessable(format!(
            "{field}: {collection}/{name} does not exist"
        )));
    }
    Ok(DocRef::new(collection, &name))
}

fn text_field(field: &str, value: Option<String>) -> ApiResult<String> {
    let value = value.unwrap_or_default();
    let value = value.trim();
    if value.is_empty() {
        return Err(bad(&format!("{field} is required")));
    }
    if value.chars().count() > MAX_FIELD_CHARS {
        return Err(bad(&format!(
            "{field} is longer than {MAX_FIELD_CHARS} characters"
        )));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(bad(&format!("{field} contains control characters")));
    }
    Ok(value.to_owned())
}

fn check_url(url: String) -> ApiResult<String> {
    let url = url.trim().to_owned();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let host_ok = rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty() && !host.contains(char::is_whitespace)
    });
    if !host_ok
        || url.len() > MAX_URL_CHARS
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(bad(&format!("{url:?} is not an http(s) web address")));
    }
    Ok(url)
}

fn bad(msg: &str) -> ApiError {
    ApiError::BadRequest(msg.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_replaces_known_keys_once() {
        let out = render(
            "A {{x}} B {{ y }} {{unknown}} {{x",
            &[("x", "{{y}}"), ("y", "2")],
        );
        assert_eq!(out, "A {{y}} B 2 {{unknown}} {{x");
    }

    /// The generate requests' schemas repeat the limits as literals (`#[schema]` takes no
    /// constants): they must agree.
    #[cfg(feature = "openapi")]
    #[test]
    fn request_schemas_state_the_limits() {
        use serde_json::json;
        use utoipa::PartialSchema;
        let props = |schema| serde_json::to_value(schema).unwrap()["properties"].clone();
        let brand = props(BrandRequest::schema());
        assert_eq!(brand["brand_name"]["maxLength"], json!(MAX_FIELD_CHARS));
        assert_eq!(brand["urls"]["maxItems"], json!(MAX_LIST_ITEMS));
        let brief = props(BriefRequest::schema());
        assert_eq!(brief["title"]["maxLength"], json!(MAX_FIELD_CHARS));
        assert_eq!(
            brief["primary_keyword"]["maxLength"],
            json!(MAX_FIELD_CHARS)
        );
        assert_eq!(
            brief["secondary_keywords"]["maxItems"],
            json!(MAX_LIST_ITEMS)
        );
        let words = &props(DraftRequest::schema())["target_word_count"];
        assert_eq!(words["minimum"], json!(MIN_WORD_COUNT));
        assert_eq!(words["maximum"], json!(MAX_WORD_COUNT));
        assert_eq!(words["default"], json!(DEFAULT_WORD_COUNT));
    }

    #[test]
    fn urls_must_be_http() {
        assert!(check_url("https://acme.example/about".into()).is_ok());
        for bad in [
            "ftp://x",
            "javascript:alert(1)",
            "https://",
            "http://a b",
            "acme.com",
        ] {
            assert!(check_url(bad.into()).is_err(), "{bad}");
        }
    }
}
