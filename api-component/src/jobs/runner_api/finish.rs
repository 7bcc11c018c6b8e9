//! `POST /api/runner/jobs/{id}/{attempt}/finish`: the runner reports how an attempt ended.

use protocol::limits::MAX_ERROR_CHARS;
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
    let status = match req.status {
        FinalStatus::Completed => Status::Completed,
        FinalStatus::Failed => Status::Failed,
        FinalStatus::Cancelled => Status::Cancelled,
    };
    let error = req.error.map(|e| e.chars().take(MAX_ERROR_CHARS).collect());
    let record = live_attempt(ctx, bound, id, attempt)?;
    let ending = Ending::Finished {
        status,
        error,
        usage: req.usage,
        log_chunks: req.log_chunks,
    };
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
