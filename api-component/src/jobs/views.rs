//! Client endpoints over jobs: list newest first, get one, cancel, retry.

use serde::Serialize;

use super::model::{JobRecord, JobView, Status, keys};
use super::queue::{self, Latch};
use super::scan;
use super::submit;
use super::{cancel_requested, counter, load};
use crate::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{ApiRequest, ApiResponse};
use crate::names::Collection;

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 200;
/// Index entries one listing reads at most (a status filter may skip many).
const MAX_SCANNED: i64 = 2_000;

/// One page of the job listing, newest first.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobPage {
    pub items: Vec<JobView>,
    /// Pass back as `cursor` for the next page; `null` at the end.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next_cursor: Option<String>,
}

/// `GET /api/jobs?status=&limit=&cursor=`.
pub fn jobs_list(ctx: &Ctx, req: &ApiRequest) -> ApiResult<ApiResponse> {
    let status = match req.query_param("status").filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(Status::parse(&s).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "status {s:?} is not one of queued, running, completed, failed, cancelled"
            ))
        })?),
    };
    let limit = req.limit_param("limit", DEFAULT_LIMIT, MAX_LIMIT)?;
    let top = match req.cursor_param()? {
        Some(cursor) => cursor,
        None => counter(ctx.store, keys::JOB_COUNTER)?,
    };
    let floor = (top - MAX_SCANNED).max(0);
    let mut records: Vec<JobRecord> = Vec::new();
    let mut next = top;
    // A page and one more (to know whether another page follows), then wider steps while a
    // status filter skips jobs.
    let mut batch = (limit as i64 + 1).min(64);
    'scan: while next > floor && records.len() < limit {
        let numbers: Vec<i64> = (next.saturating_sub(batch - 1).max(floor + 1)..=next)
            .rev()
            .collect();
        batch = 64;
        next = numbers.last().copied().unwrap_or(1) - 1;
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
        for (n, raw) in numbers.iter().zip(ctx.store.get_many(&job_keys)?) {
            let Some(record) = raw.and_then(|b| serde_json::from_slice::<JobRecord>(&b).ok())
            else {
                continue;
            };
            if status.is_none_or(|s| s == record.status) {
                if records.len() == limit {
                    next = *n;
                    break 'scan;
                }
                records.push(record);
            }
        }
    }
    let page = JobPage {
        items: views_of(ctx, &records)?,
        next_cursor: (next > 0).then(|| next.to_string()),
    };
    Ok(ApiResponse::json(200, &page))
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

/// `DELETE /api/jobs/{id}`: removes a finished job with its logs and staged outputs (409
/// while it is queued or running: cancel it first).
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

/// `POST /api/jobs/{id}/cancel`: a queued job is cancelled now; a running one is flagged and
/// its runner stops it (the job turns `cancelled` once the process is gone).
pub fn job_cancel(ctx: &Ctx, id: &str) -> ApiResult<ApiResponse> {
    let record = load(ctx.store, id)?;
    if record.status.is_final() {
        return Err(ApiError::Conflict(
            format!("job {id} already {:?}", record.status).to_lowercase(),
        ));
    }
    ctx.store.set(&keys::cancel_flag(id), b"1")?;
    let record = if record.status == Status::Queued {
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
