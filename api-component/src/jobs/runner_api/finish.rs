//! `POST /api/runner/jobs/{id}/{attempt}/finish`: the runner reports how an attempt ended,
//! including a usage limit that sets the job aside until the limit resets.

use protocol::limits::{self, MAX_ERROR_CHARS};
use protocol::{FinalStatus, FinishRequest};

use super::{live_attempt, parse_number};
use crate::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{ApiResponse, json_body};
use crate::jobs::cancel_requested;
use crate::jobs::model::Status;
use crate::jobs::queue::{self, Ending, Latch};

/// `POST /api/runner/jobs/{id}/{attempt}/finish`: the attempt's end as its runner saw it.
pub fn finish(
    ctx: &Ctx,
    bound: Option<&str>,
    id: &str,
    attempt: &str,
    body: &[u8],
) -> ApiResult<ApiResponse> {
    let attempt = parse_number(attempt, "attempt")?;
    let req: FinishRequest = json_body(body)?;
    let error = req
        .error
        .as_ref()
        .map(|e| e.chars().take(MAX_ERROR_CHARS).collect());
    let ending = ending(ctx, &req, error)?;
    let record = live_attempt(ctx, bound, id, attempt)?;
    let Latch::Won(record) = queue::end_attempt(ctx, record, ending)? else {
        return Err(ApiError::Conflict(format!(
            "attempt {attempt} of job {id} has already ended"
        )));
    };
    let record = crate::jobs::pipeline::follow_up(ctx, record)?;
    Ok(ApiResponse::json(
        200,
        &record.view(None, cancel_requested(ctx.store, id)?),
    ))
}

/// What the report means for the job; 400 for a usage limit without its reset time (or with
/// one further ahead than any limit lasts), or a reset time with another status.
fn ending(ctx: &Ctx, req: &FinishRequest, error: Option<String>) -> ApiResult<Ending> {
    let status = match (req.status, req.resume_at_ms) {
        (FinalStatus::UsageLimit, Some(resets_at)) => {
            let now = ctx.now_ms.max(0) as u64;
            let Some(resume_at) = limits::resume_at(resets_at, now) else {
                return Err(ApiError::BadRequest(format!(
                    "resume_at_ms is more than {} days ahead; no usage limit lasts that long",
                    limits::MAX_USAGE_LIMIT_WAIT_MS / 86_400_000
                )));
            };
            if ctx.settings.resume_on_usage_limit {
                return Ok(Ending::UsageLimit {
                    resume_at_ms: resume_at as i64,
                    usage: req.usage.clone(),
                    log_chunks: req.log_chunks,
                });
            }
            // `resume_on_usage_limit` off: the job fails, as any other error ends it.
            Status::Failed
        }
        (FinalStatus::UsageLimit, None) => {
            return Err(ApiError::BadRequest(
                "a usage_limit finish needs resume_at_ms (when the limit resets)".into(),
            ));
        }
        (_, Some(_)) => {
            return Err(ApiError::BadRequest(
                "resume_at_ms goes only with the status usage_limit".into(),
            ));
        }
        (FinalStatus::Completed, None) => Status::Completed,
        (FinalStatus::Failed, None) => Status::Failed,
        (FinalStatus::Cancelled, None) => Status::Cancelled,
    };
    Ok(Ending::Finished {
        status,
        error,
        usage: req.usage.clone(),
        log_chunks: req.log_chunks,
    })
}
