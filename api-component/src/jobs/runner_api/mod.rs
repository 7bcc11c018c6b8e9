//! What runners call (all behind the bearer token, see `crate::authorize`), one module per verb:
//! [`claim`] (take jobs, long-poll, stop waiting claims), [`heartbeat`] (keep leases alive),
//! [`uploads`] (log chunks and outputs), [`finish`] (the end of an attempt), and [`runners`]
//! (the registry of runners seen). What they share, the fencing check, lives here.
//!
//! Fencing: every write names `(job, attempt)`; it is accepted only while that attempt is the
//! job's current one, running, and not yet ended. Otherwise 409, and the runner kills the
//! process. Cancel requests reach runners in the `action` of heartbeat and upload answers.

mod claim;
mod finish;
mod heartbeat;
mod runners;
mod uploads;

pub use claim::{
    WaitingClaim, claim_again, claim_first, claim_response, mark_waiting, parse_claim, stop_claims,
};
pub use finish::finish;
pub use heartbeat::heartbeat;
pub use runners::{RUNNER_ONLINE_MS, RunnerSeen, runners_online, runners_seen};
pub use uploads::{log_chunk, output};

use protocol::Action;
use protocol::limits::{RUNNER_NAME_RULE, valid_runner_name};

use super::model::{JobRecord, Status, keys};
use super::{cancel_requested, counter, load};
use crate::Ctx;
use crate::error::{ApiError, ApiResult};

/// How often runners should heartbeat while they run jobs.
pub const HEARTBEAT_MS: i64 = protocol::limits::HEARTBEAT_MS as i64;

/// The record if `(id, attempt)` is still running and unended; 409 otherwise. A runner whose
/// token is bound to a name (`bound`) touches only the attempts it holds: 403 for others'.
pub(super) fn live_attempt(
    ctx: &Ctx,
    bound: Option<&str>,
    id: &str,
    attempt: u32,
) -> ApiResult<JobRecord> {
    let record = load(ctx.store, id)?;
    if let Some(name) = bound
        && record.runner.as_deref() != Some(name)
    {
        return Err(ApiError::Forbidden(format!(
            "job {id} is not held by the runner {name}"
        )));
    }
    let ended = counter(ctx.store, &keys::end_latch(id, attempt))? != 0;
    if record.attempt != attempt || record.status != Status::Running || ended {
        return Err(ApiError::Conflict(format!(
            "attempt {attempt} of job {id} is no longer running here (job is {:?}, attempt {}); stop it",
            record.status, record.attempt
        )));
    }
    Ok(record)
}

pub(super) fn action(ctx: &Ctx, id: &str) -> ApiResult<Action> {
    Ok(if cancel_requested(ctx.store, id)? {
        Action::Cancel
    } else {
        Action::Continue
    })
}

/// 400 for a name that breaks the rule; 403 for a runner whose token is bound to another name.
pub(super) fn check_runner_name(name: &str, bound: Option<&str>) -> ApiResult<()> {
    if !valid_runner_name(name) {
        return Err(ApiError::BadRequest(RUNNER_NAME_RULE.into()));
    }
    match bound {
        Some(b) if b != name => Err(ApiError::Forbidden(format!(
            "this token belongs to the runner {b}, not {name}"
        ))),
        _ => Ok(()),
    }
}

pub(super) fn parse_number(raw: &str, what: &str) -> ApiResult<u32> {
    raw.parse()
        .map_err(|_| ApiError::BadRequest(format!("{what} must be a whole number")))
}
