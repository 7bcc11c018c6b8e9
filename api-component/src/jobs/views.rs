//! Client endpoints over jobs: list newest first (filtered, see [`super::filter`]), get one,
//! its prompt, cancel, retry.

use serde::Serialize;

use super::filter::JobFilter;
use super::model::{JobRecord, JobView, Status, keys};
use super::queue::{self, Latch};
use super::scan;
use super::submit;
use super::templates::TemplateVersion;
use super::{cancel_requested, counter, load};
use crate::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{ApiRequest, ApiResponse};
use crate::names::Collection;

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 200;
/// Jobs one listing request examines at most. A filter that few jobs match ends its page there,
/// short (even empty), with a `next_cursor` to go on from: a rare filter never walks the whole
/// history in one request. Without filters a page of [`MAX_LIMIT`] examines one job more.
pub const MAX_EXAMINED: i64 = 500;
/// Index entries read per store round trip once the first page-sized read is done.
const WALK_BATCH: i64 = 64;

/// One page of the job listing, newest first.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobPage {
    pub items: Vec<JobView>,
    /// Pass back as `cursor` for the next page; `null` at the end. A filtered page may be
    /// short, even empty, and still have one: it examined as many jobs as one request may.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next_cursor: Option<String>,
}

/// `GET /api/jobs?status=&type=&q=&submitted_by=&from=&to=&limit=&cursor=`.
pub fn jobs_list(ctx: &Ctx, req: &ApiRequest) -> ApiResult<ApiResponse> {
    let filter = JobFilter::from_request(req)?;
    let limit = req.limit_param("limit", DEFAULT_LIMIT, MAX_LIMIT)?;
    let top = req.cursor_at_most(|| counter(ctx.store, keys::JOB_COUNTER))?;
    let (records, next) = walk(ctx, &filter, top, limit)?;
    let page = JobPage {
        items: views_of(ctx, &records)?,
        next_cursor: (next > 0).then(|| next.to_string()),
    };
    Ok(ApiResponse::json(200, &page))
}

/// Walks the jobs index down from `top` (newest first), keeping up to `limit` records that
/// match, and examining at most [`MAX_EXAMINED`]. Returns them with the number to go on from
/// (0: nothing older is left, or nothing older can match).
fn walk(ctx: &Ctx, filter: &JobFilter, top: i64, limit: usize) -> ApiResult<(Vec<JobRecord>, i64)> {
    let floor = (top - MAX_EXAMINED).max(0);
    let mut records: Vec<JobRecord> = Vec::new();
    let mut next = top;
    // A page and one more (to know whether another page follows), then wider steps while a
    // filter skips jobs.
    let mut batch = (limit as i64 + 1).min(WALK_BATCH);
    while next > floor && records.len() < limit {
        let numbers: Vec<i64> = ((next - batch + 1).max(floor + 1)..=next).rev().collect();
        batch = WALK_BATCH;
        for (n, record) in load_numbered(ctx, &numbers)? {
            if let Some(record) = record {
                if filter.is_past(&record) {
                    return Ok((records, 0));
                }
                if filter.matches(&record) {
                    if records.len() == limit {
                        return Ok((records, n));
                    }
                    records.push(record);
                }
            }
            next = n - 1;
        }
    }
    Ok((records, next))
}

/// The records the index entries `numbers` name (`None` where the job is gone).
fn load_numbered(ctx: &Ctx, numbers: &[i64]) -> ApiResult<Vec<(i64, Option<JobRecord>)>> {
    let ids = ctx.store.get_many(
        &numbers
            .iter()
            .map(|n| keys::job_index(*n))
            .collect::<Vec<_>>(),
    )?;
    let job_keys: Vec<String> = ids
        .iter()
        .map(|id| keys::job(&String::from_utf8_lossy(id.as_deref().unwrap_or_default())))
        .collect();
    Ok(numbers
        .iter()
        .zip(ctx.store.get_many(&job_keys)?)
        .map(|(n, raw)| (*n, raw.and_then(|b| serde_json::from_slice(&b).ok())))
        .collect())
}

/// Public views, with queue positions when any job is queued.
fn views_of(ctx: &Ctx, records: &[JobRecord]) -> ApiResult<Vec<JobView>> {
    let queued = records.iter().any(|r| r.status == Status::Queued);
    let head = if queued { scan::head(ctx)? } else { 0 };
    let flags = ctx.store.get_many(
        &records
            .iter()
            .map(|r| keys::cancel_flag(&r.id))
            .collect::<Vec<_>>(),
    )?;
    Ok(records
        .iter()
        .zip(flags)
        .map(|(r, flag)| r.view(scan::position(head, r), flag.is_some()))
        .collect())
}

/// `GET /api/jobs/{id}`.
pub fn job_get(ctx: &Ctx, id: &str) -> ApiResult<ApiResponse> {
    let record = load(ctx.store, id)?;
    let view = views_of(ctx, std::slice::from_ref(&record))?.pop();
    Ok(ApiResponse::json(200, &view))
}

/// `GET /api/jobs/{id}/prompt`: what the job was asked, and from which template.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobPrompt {
    pub job_id: String,
    /// The instruction file and its SHA-256, or `null` for jobs older than that.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub template: Option<TemplateVersion>,
    /// The prompt as rendered when the job was queued, given to the CLI on stdin.
    pub prompt: String,
}

/// `GET /api/jobs/{id}/prompt`.
pub fn job_prompt(ctx: &Ctx, id: &str) -> ApiResult<ApiResponse> {
    let record = load(ctx.store, id)?;
    let prompt = if record.prompt.is_empty() {
        ctx.store
            .get(&keys::job_prompt(id))?
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .ok_or_else(|| {
                ApiError::NotFound(format!("the prompt of job {id} is no longer stored"))
            })?
    } else {
        record.prompt.clone()
    };
    Ok(ApiResponse::json(
        200,
        &JobPrompt {
            job_id: record.id,
            template: record.template,
            prompt,
        },
    ))
}

/// `DELETE /api/jobs/{id}`: removes a finished job with its logs and staged outputs (409
/// while it is queued, running or waiting: cancel it first).
pub fn job_delete(ctx: &Ctx, id: &str) -> ApiResult<ApiResponse> {
    let record = load(ctx.store, id)?;
    if !record.status.is_final() {
        return Err(ApiError::Conflict(format!(
            "job {id} is {}; cancel it first",
            serde_json::to_value(record.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        )));
    }
    super::retention::purge(ctx, &record)?;
    Ok(ApiResponse::empty(204))
}

/// `POST /api/jobs/{id}/cancel`: a queued or waiting job is cancelled now; a running one is
/// flagged and its runner stops it (the job turns `cancelled` once the process is gone).
pub fn job_cancel(ctx: &Ctx, id: &str) -> ApiResult<ApiResponse> {
    let record = load(ctx.store, id)?;
    if record.status.is_final() {
        return Err(ApiError::Conflict(
            format!("job {id} already {:?}", record.status).to_lowercase(),
        ));
    }
    ctx.store.set(&keys::cancel_flag(id), b"1")?;
    let record = if matches!(record.status, Status::Queued | Status::Waiting) {
        match queue::cancel_queued(ctx, record)? {
            Latch::Won(record) => record,
            // A runner took it meanwhile: the flag reaches it with its next heartbeat.
            Latch::Lost => load(ctx.store, id)?,
        }
    } else {
        record
    };
    Ok(ApiResponse::json(
        202,
        &record.view(None, cancel_requested(ctx.store, id)?),
    ))
}

fn already_retried(id: &str, retry: &str) -> ApiError {
    ApiError::Conflict(format!(
        "job {id} was retried already, as job {retry}; retry that one if it failed too"
    ))
}

/// `POST /api/jobs/{id}/retry`: a new job with the same parameters, for failed or cancelled
/// jobs, once per job (the two are linked by `retry_of` and `retried_as`).
pub fn job_retry(ctx: &Ctx, id: &str, by: &str) -> ApiResult<ApiResponse> {
    let record = load(ctx.store, id)?;
    if !matches!(record.status, Status::Failed | Status::Cancelled) {
        return Err(ApiError::Conflict(
            format!(
                "only failed or cancelled jobs can be retried; job {id} is {:?}",
                record.status
            )
            .to_lowercase(),
        ));
    }
    let collection = match record.kind {
        super::model::JobType::BrandData => Collection::BrandData,
        super::model::JobType::Brief => Collection::Briefs,
        super::model::JobType::Draft => Collection::Drafts,
        super::model::JobType::Revision => {
            return Err(ApiError::Conflict(format!(
                "job {id} is a revision: ask for it again from the document (its text may have \
                 changed since)"
            )));
        }
        super::model::JobType::Unknown => {
            return Err(ApiError::Conflict(format!(
                "job {id} has a type this server does not know; it cannot be retried here"
            )));
        }
    };
    if let Some(retry) = &record.retried_as {
        return Err(already_retried(id, retry));
    }
    let request = submit::GenerateRequest::from_params(collection, &record.params)?;
    let mut submission = submit::prepare(ctx, request)?;
    submission.retry_of = Some(id.to_owned());
    // One retry per job: of two at once, the one whose increment returns 1 goes ahead.
    let latch = keys::retry_latch(id);
    if ctx.store.increment(&latch, 1)? != 1 {
        return Err(ApiError::Conflict(format!(
            "job {id} is being retried already"
        )));
    }
    let new_id = match super::enqueue::enqueue(ctx, submission, by) {
        Ok(new_id) => new_id,
        Err(e) => {
            // Nothing was queued: the job may be retried again.
            ctx.store.delete(&latch)?;
            return Err(e);
        }
    };
    let mut record = load(ctx.store, id)?;
    record.retried_as = Some(new_id.clone());
    super::save(ctx.store, &record)?;
    Ok(ApiResponse::json(
        202,
        &submit::Queued {
            job_id: new_id,
            status: Status::Queued,
            retry_of: Some(id.to_owned()),
        },
    ))
}
