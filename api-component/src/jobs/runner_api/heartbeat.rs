//! `POST /api/runner/heartbeat`: the runner's attempts stay leased while it reports them.

use protocol::limits::MAX_SLOTS;
use protocol::{Action, AttemptAction, HeartbeatRequest, HeartbeatResponse};

use super::runners::touch_runner;
use super::{action, check_runner_name, live_attempt};
use crate::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{ApiResponse, json_body};
use crate::jobs::model::keys;
use crate::jobs::{retention, scan};

/// `POST /api/runner/heartbeat`: extends the leases of the runner's live attempts and tells it
/// what to do with each: `continue`, `cancel` (kill it and finish as cancelled) or `abandon`
/// (the attempt is no longer yours: kill it, report nothing).
pub fn heartbeat(ctx: &Ctx, body: &[u8], bound: Option<&str>) -> ApiResult<ApiResponse> {
    let req: HeartbeatRequest = json_body(body)?;
    check_runner_name(&req.runner, bound)?;
    touch_runner(ctx, &req.runner)?;
    let mut answers = Vec::new();
    for a in req.jobs.iter().take(MAX_SLOTS as usize) {
        let action = match live_attempt(ctx, bound, &a.id, a.attempt) {
            Ok(_) => {
                let until = ctx.now_ms + ctx.settings.lease_ms();
                ctx.store
                    .set(&keys::lease(&a.id, a.attempt), until.to_string().as_bytes())?;
                action(ctx, &a.id)?
            }
            // Another runner's attempt is not this one's to keep alive either.
            Err(ApiError::Conflict(_) | ApiError::NotFound(_) | ApiError::Forbidden(_)) => {
                Action::Abandon
            }
            Err(e) => return Err(e),
        };
        answers.push(AttemptAction {
            id: a.id.clone(),
            attempt: a.attempt,
            action,
        });
    }
    scan::reap_if_due(ctx)?;
    retention::sweep_if_due(ctx)?;
    Ok(ApiResponse::json(
        200,
        &HeartbeatResponse {
            jobs: answers,
            lease_ms: ctx.settings.lease_ms().max(0) as u64,
        },
    ))
}
