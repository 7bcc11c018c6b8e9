//! What runners call (all behind the bearer token, see `crate::authorize`): claim jobs, keep
//! their leases alive, upload log chunks and outputs, and report the end of an attempt.
//!
//! Fencing: every write names `(job, attempt)`; it is accepted only while that attempt is the
//! job's current one, running, and not yet ended. Otherwise 409, and the runner kills the
//! process. Cancel requests reach runners in the `action` of heartbeat and upload answers.

use protocol::limits::{
    MAX_CHUNKS, MAX_ERROR_CHARS, MAX_LINES_PER_CHUNK, MAX_LOG_CHUNK_BYTES, MAX_SLOTS,
    RUNNER_NAME_RULE, valid_runner_name,
};
use protocol::{
    Action, ActionResponse, AttemptAction, ClaimRequest, ClaimResponse, ClaimedJob, FinalStatus,
    FinishRequest, HeartbeatRequest, HeartbeatResponse, InputFile, LogChunk, OutputFile,
    StopRequest,
};

use super::model::{DocRef, JobRecord, Status, keys};
use super::queue::{self, Ending};
use super::{cancel_requested, counter, json_body, load};
use crate::Ctx;
use crate::blob;
use crate::documents::Documents;
use crate::error::{ApiError, ApiResult};
use crate::http::ApiResponse;
use crate::names::DocName;

/// How often runners should heartbeat while they run jobs.
pub const HEARTBEAT_MS: i64 = protocol::limits::HEARTBEAT_MS as i64;
/// A runner seen within this long counts as online.
pub const RUNNER_ONLINE_MS: i64 = 45_000;
/// Registered runners counted by `/health` at most.
const MAX_RUNNERS_LISTED: i64 = 1_000;

/// A claim as it waits: the request and what the long poll keeps between its looks.
pub struct WaitingClaim {
    pub req: ClaimRequest,
    /// The runner's claim-stop counter when the claim began to wait.
    stop_mark: i64,
    /// Looks this claim made since its last full pass.
    looks: std::cell::Cell<u32>,
}

/// A waiting claim makes a full pass at least this often (every 10th look, about once a
/// second) even when the counters say there is nothing to take: counters are hints (a
/// submitter that died between its writes leaves the queued count one short), and the full
/// pass also reaps expired leases.
const LOOKS_PER_FULL_PASS: u32 = 10;

/// Validates a claim request (runner name, slots).
pub fn parse_claim(ctx: &Ctx, body: &[u8]) -> ApiResult<WaitingClaim> {
    let mut req: ClaimRequest = json_body(body)?;
    check_runner_name(&req.runner)?;
    if req.slots == 0 || req.slots > MAX_SLOTS {
        return Err(ApiError::BadRequest(format!(
            "slots must be from 1 to {MAX_SLOTS}"
        )));
    }
    req.wait_ms = req.wait_ms.min(ctx.settings.claim_wait_ms);
    Ok(WaitingClaim {
        req,
        stop_mark: 0,
        looks: std::cell::Cell::new(0),
    })
}

/// Makes the claims of `runner` that are waiting now answer at once, with the jobs they took
/// (usually none). A draining runner calls it so that it need not wait out its long poll; a
/// claim is never cut short between taking a job and answering, so nothing is stranded.
pub fn stop_claims(ctx: &Ctx, body: &[u8]) -> ApiResult<ApiResponse> {
    let req: StopRequest = json_body(body)?;
    check_runner_name(&req.runner)?;
    ctx.store
        .increment(&keys::runner_claim_stop(&req.runner), 1)?;
    Ok(ApiResponse::empty(204))
}

/// Marks a claim that is about to wait, so that [`claim_stopped`] can tell a later stop.
pub fn mark_waiting(ctx: &Ctx, claim: &mut WaitingClaim) -> ApiResult<()> {
    claim.stop_mark = counter(ctx.store, &keys::runner_claim_stop(&claim.req.runner))?;
    Ok(())
}

/// Whether the runner asked its waiting claims to stop since [`mark_waiting`].
fn claim_stopped(ctx: &Ctx, claim: &WaitingClaim) -> ApiResult<bool> {
    Ok(counter(ctx.store, &keys::runner_claim_stop(&claim.req.runner))? != claim.stop_mark)
}

/// A claim's first pass: records that the runner was seen, then [`claim_pass`].
pub fn claim_first(ctx: &Ctx, claim: &WaitingClaim) -> ApiResult<Option<ApiResponse>> {
    touch_runner(ctx, &claim.req.runner)?;
    claim_pass(ctx, &claim.req)
}

/// A waiting claim's next look (every ~100 ms): answers at once if the runner asked to stop;
/// reads two counters and makes a full [`claim_pass`] only when a job is queued and a slot is
/// free, or every [`LOOKS_PER_FULL_PASS`] looks.
pub fn claim_again(ctx: &Ctx, claim: &WaitingClaim) -> ApiResult<Option<ApiResponse>> {
    if claim_stopped(ctx, claim)? {
        return Ok(Some(claim_response(ctx, Vec::new())));
    }
    let looks = claim.looks.get() + 1;
    let due = looks >= LOOKS_PER_FULL_PASS;
    if !due
        && (counter(ctx.store, keys::QUEUED_COUNT)? <= 0
            || counter(ctx.store, keys::RUNNING_COUNT)? >= ctx.settings.max_concurrent_jobs as i64)
    {
        claim.looks.set(looks);
        return Ok(None);
    }
    claim.looks.set(0);
    claim_pass(ctx, &claim.req)
}

/// One full pass: reaps expired attempts, then takes up to `slots` queued jobs in FIFO order.
/// `None` when nothing was taken (the caller may wait and try again).
fn claim_pass(ctx: &Ctx, req: &ClaimRequest) -> ApiResult<Option<ApiResponse>> {
    let open = queue::reap(ctx, queue::scan(ctx)?)?;
    let mut jobs = Vec::new();
    for o in open {
        if jobs.len() == req.slots as usize {
            break;
        }
        if o.record.status != Status::Queued {
            continue;
        }
        match queue::take(ctx, o.record, &req.runner)? {
            Some(record) => {
                if let Some(job) = handout(ctx, record)? {
                    jobs.push(job);
                }
            }
            // At the cap (or lost a race): later tickets must not overtake this one.
            None if counter(ctx.store, keys::RUNNING_COUNT)?
                >= ctx.settings.max_concurrent_jobs as i64 =>
            {
                break;
            }
            None => continue,
        }
    }
    if jobs.is_empty() {
        return Ok(None);
    }
    Ok(Some(claim_response(ctx, jobs)))
}

/// The answer to a claim, with or without jobs.
pub fn claim_response(ctx: &Ctx, jobs: Vec<ClaimedJob>) -> ApiResponse {
    ApiResponse::json(
        200,
        &ClaimResponse {
            jobs,
            lease_ms: ctx.settings.lease_ms().max(0) as u64,
            heartbeat_ms: HEARTBEAT_MS as u64,
            max_output_bytes: ctx.settings.max_document_bytes,
        },
    )
}

/// Reads the inputs of a freshly taken attempt; a deleted input fails the job at once.
fn handout(ctx: &Ctx, record: JobRecord) -> ApiResult<Option<ClaimedJob>> {
    let mut inputs = Vec::new();
    for input in &record.inputs {
        match read_input(ctx, input)? {
            Some(content) => inputs.push(InputFile {
                collection: input.collection.clone(),
                name: input.name.clone(),
                path: input.input_path(),
                content,
            }),
            None => {
                let error = Some(format!(
                    "input {}/{} no longer exists",
                    input.collection, input.name
                ));
                let ending = Ending::Finished {
                    status: Status::Failed,
                    error,
                    usage: None,
                    log_chunks: 0,
                };
                queue::end_attempt(ctx, record, ending)?;
                return Ok(None);
            }
        }
    }
    let outputs = record
        .outputs
        .iter()
        .map(|o| OutputFile {
            collection: o.collection.clone(),
            name: o.name.clone(),
            path: o.output_path(),
        })
        .collect();
    Ok(Some(ClaimedJob {
        id: record.id.clone(),
        attempt: record.attempt,
        kind: record.kind,
        prompt: record.prompt.clone(),
        inputs,
        outputs,
    }))
}

fn read_input(ctx: &Ctx, input: &DocRef) -> ApiResult<Option<String>> {
    let Some(collection) = input.collection() else {
        return Ok(None);
    };
    let Ok(name) = DocName::parse(collection, &input.name) else {
        return Ok(None);
    };
    match Documents::new(ctx.store, collection).get(&name) {
        Ok((_, bytes)) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(ApiError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `POST /api/runner/heartbeat`: extends the leases of the runner's live attempts and tells it
/// what to do with each: `continue`, `cancel` (kill it and finish as cancelled) or `abandon`
/// (the attempt is no longer yours: kill it, report nothing).
pub fn heartbeat(ctx: &Ctx, body: &[u8]) -> ApiResult<ApiResponse> {
    let req: HeartbeatRequest = json_body(body)?;
    check_runner_name(&req.runner)?;
    touch_runner(ctx, &req.runner)?;
    let mut answers = Vec::new();
    for a in req.jobs.iter().take(MAX_SLOTS as usize) {
        let action = match live_attempt(ctx, &a.id, a.attempt) {
            Ok(_) => {
                let until = ctx.now_ms + ctx.settings.lease_ms();
                ctx.store
                    .set(&keys::lease(&a.id, a.attempt), until.to_string().as_bytes())?;
                action(ctx, &a.id)?
            }
            Err(ApiError::Conflict(_) | ApiError::NotFound(_)) => Action::Abandon,
            Err(e) => return Err(e),
        };
        answers.push(AttemptAction {
            id: a.id.clone(),
            attempt: a.attempt,
            action,
        });
    }
    queue::reap(ctx, queue::scan(ctx)?)?;
    Ok(ApiResponse::json(
        200,
        &HeartbeatResponse {
            jobs: answers,
            lease_ms: ctx.settings.lease_ms().max(0) as u64,
        },
    ))
}

/// `PUT /api/runner/jobs/{id}/{attempt}/logs/{chunk}`: stores one chunk of log lines. Chunks
/// are numbered from 0 and must arrive in order; sending a chunk again rewrites the same key.
pub fn log_chunk(
    ctx: &Ctx,
    id: &str,
    attempt: &str,
    chunk: &str,
    body: &[u8],
) -> ApiResult<ApiResponse> {
    let attempt = parse_number(attempt, "attempt")?;
    let chunk = parse_number(chunk, "chunk")?;
    if chunk > MAX_CHUNKS {
        return Err(ApiError::BadRequest(format!(
            "chunk numbers stop at {MAX_CHUNKS}"
        )));
    }
    if body.len() > MAX_LOG_CHUNK_BYTES {
        return Err(ApiError::TooLarge {
            size: body.len() as u64,
            limit: MAX_LOG_CHUNK_BYTES as u64,
        });
    }
    let parsed: LogChunk = json_body(body)?;
    if parsed.lines.is_empty() || parsed.lines.len() > MAX_LINES_PER_CHUNK {
        return Err(ApiError::BadRequest(format!(
            "a chunk holds 1 to {MAX_LINES_PER_CHUNK} lines"
        )));
    }
    live_attempt(ctx, id, attempt)?;
    if chunk > 0
        && ctx
            .store
            .get(&keys::log_chunk(id, attempt, chunk - 1))?
            .is_none()
    {
        return Err(ApiError::Conflict(format!(
            "log chunk {} is missing; send chunks in order",
            chunk - 1
        )));
    }
    let stored = serde_json::to_vec(&parsed).unwrap_or_default();
    ctx.store
        .set(&keys::log_chunk(id, attempt, chunk), &stored)?;
    Ok(ApiResponse::json(
        200,
        &ActionResponse {
            action: action(ctx, id)?,
        },
    ))
}

/// `PUT /api/runner/jobs/{id}/{attempt}/outputs/{index}`: stages output file `index`.
pub fn output(
    ctx: &Ctx,
    id: &str,
    attempt: &str,
    index: &str,
    body: &[u8],
) -> ApiResult<ApiResponse> {
    let attempt = parse_number(attempt, "attempt")?;
    let index = parse_number(index, "output index")? as usize;
    let max = ctx.settings.max_document_bytes;
    if body.len() as u64 > max {
        return Err(ApiError::TooLarge {
            size: body.len() as u64,
            limit: max,
        });
    }
    let record = live_attempt(ctx, id, attempt)?;
    if index >= record.outputs.len() {
        return Err(ApiError::BadRequest(format!(
            "job {id} has {} output(s)",
            record.outputs.len()
        )));
    }
    let key = keys::staged_output(id, attempt, index);
    let (entries, count) = blob::chunk_entries(&format!("{key}/c"), body);
    if !entries.is_empty() {
        ctx.store.set_many(&entries)?;
    }
    ctx.store.set(&key, count.to_string().as_bytes())?;
    Ok(ApiResponse::json(
        200,
        &ActionResponse {
            action: action(ctx, id)?,
        },
    ))
}

/// `POST /api/runner/jobs/{id}/{attempt}/finish`: the attempt's end as its runner saw it.
pub fn finish(ctx: &Ctx, id: &str, attempt: &str, body: &[u8]) -> ApiResult<ApiResponse> {
    let attempt = parse_number(attempt, "attempt")?;
    let req: FinishRequest = json_body(body)?;
    let status = match req.status {
        FinalStatus::Completed => Status::Completed,
        FinalStatus::Failed => Status::Failed,
        FinalStatus::Cancelled => Status::Cancelled,
    };
    let error = req.error.map(|e| e.chars().take(MAX_ERROR_CHARS).collect());
    let record = live_attempt(ctx, id, attempt)?;
    let ending = Ending::Finished {
        status,
        error,
        usage: req.usage,
        log_chunks: req.log_chunks,
    };
    let record = queue::end_attempt(ctx, record, ending)?;
    Ok(ApiResponse::json(
        200,
        &record.view(None, cancel_requested(ctx.store, id)?),
    ))
}

/// The record if `(id, attempt)` is still running and unended; 409 otherwise.
fn live_attempt(ctx: &Ctx, id: &str, attempt: u32) -> ApiResult<JobRecord> {
    let record = load(ctx.store, id)?;
    let ended = counter(ctx.store, &keys::end_latch(id, attempt))? != 0;
    if record.attempt != attempt || record.status != Status::Running || ended {
        return Err(ApiError::Conflict(format!(
            "attempt {attempt} of job {id} is no longer running here (job is {:?}, attempt {}); stop it",
            record.status, record.attempt
        )));
    }
    Ok(record)
}

fn action(ctx: &Ctx, id: &str) -> ApiResult<Action> {
    Ok(if cancel_requested(ctx.store, id)? {
        Action::Cancel
    } else {
        Action::Continue
    })
}

/// Registers a runner the first time it is seen, and records when it was last seen.
fn touch_runner(ctx: &Ctx, name: &str) -> ApiResult<()> {
    let store = ctx.store;
    if store.increment(&keys::runner_registered(name), 1)? == 1 {
        let slot = store.increment(keys::RUNNER_COUNTER, 1)?;
        store.set(&keys::runner_slot(slot), name.as_bytes())?;
    }
    store.set(&keys::runner_seen(name), ctx.now_ms.to_string().as_bytes())?;
    Ok(())
}

/// Runners seen within [`RUNNER_ONLINE_MS`].
pub fn runners_online(ctx: &Ctx) -> ApiResult<u64> {
    let n = counter(ctx.store, keys::RUNNER_COUNTER)?.min(MAX_RUNNERS_LISTED);
    if n <= 0 {
        return Ok(0);
    }
    let names = ctx
        .store
        .get_many(&(1..=n).map(keys::runner_slot).collect::<Vec<_>>())?;
    let seen_keys: Vec<String> = names
        .into_iter()
        .flatten()
        .filter_map(|b| String::from_utf8(b).ok())
        .map(|name| keys::runner_seen(&name))
        .collect();
    let seen = ctx.store.get_many(&seen_keys)?;
    let online = seen
        .into_iter()
        .flatten()
        .filter_map(|b| std::str::from_utf8(&b).ok()?.parse::<i64>().ok())
        .filter(|ms| ctx.now_ms - ms <= RUNNER_ONLINE_MS)
        .count();
    Ok(online as u64)
}

fn check_runner_name(name: &str) -> ApiResult<()> {
    if valid_runner_name(name) {
        Ok(())
    } else {
        Err(ApiError::BadRequest(RUNNER_NAME_RULE.into()))
    }
}

fn parse_number(raw: &str, what: &str) -> ApiResult<u32> {
    raw.parse()
        .map_err(|_| ApiError::BadRequest(format!("{what} must be a whole number")))
}
