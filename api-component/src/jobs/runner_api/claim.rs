//! `POST /api/runner/claim` and `/claim/stop`: a runner takes up to its free slots' worth of
//! queued jobs in FIFO order, waiting (long poll) when there are none.

use protocol::limits::MAX_SLOTS;
use protocol::{ClaimRequest, ClaimResponse, ClaimedJob, InputFile, OutputFile, StopRequest};

use super::runners::touch_runner;
use super::{HEARTBEAT_MS, check_runner_name};
use crate::Ctx;
use crate::documents::{DocError, Documents};
use crate::error::{ApiError, ApiResult};
use crate::http::{ApiResponse, json_body};
use crate::jobs::counter;
use crate::jobs::model::{DocRef, JobRecord, JobType, Status, keys};
use crate::jobs::queue::{self, Ending, Take};
use crate::jobs::{retention, scan};
use crate::names::DocName;

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
pub fn parse_claim(ctx: &Ctx, body: &[u8], bound: Option<&str>) -> ApiResult<WaitingClaim> {
    let mut req: ClaimRequest = json_body(body)?;
    check_runner_name(&req.runner, bound)?;
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
pub fn stop_claims(ctx: &Ctx, body: &[u8], bound: Option<&str>) -> ApiResult<ApiResponse> {
    let req: StopRequest = json_body(body)?;
    check_runner_name(&req.runner, bound)?;
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

/// A waiting claim's next look (every `serving::POLL_INTERVAL`): answers at once if the runner asked to stop;
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

/// Rounds of [`claim_pass`]: a round that lost its jobs to other runners or cancels looks again
/// (the head has moved past them), this many times at most.
const CLAIM_ROUNDS: usize = 4;

/// One full pass: reaps expired attempts (if due), then takes up to `slots` jobs: first those
/// whose usage limit has reset (they had reached the front of the line before), then queued
/// jobs from the head of the queue, in FIFO order. `None` when nothing was taken (the caller may
/// wait and try again).
fn claim_pass(ctx: &Ctx, req: &ClaimRequest) -> ApiResult<Option<ApiResponse>> {
    scan::reap_if_due(ctx)?;
    retention::sweep_if_due(ctx)?;
    crate::documents::trash::sweep_if_due(ctx)?;
    let mut taking = Taking {
        runner: &req.runner,
        slots: req.slots as usize,
        jobs: Vec::new(),
    };
    let resumed = scan::waiting_ready(ctx)?;
    let resumed_count = resumed.len();
    let (handled, mut at_cap) = taking.offer(ctx, resumed)?;
    if handled < resumed_count {
        scan::recheck_waiting(ctx)?;
    }
    for _ in 0..CLAIM_ROUNDS {
        if at_cap || taking.is_full() {
            break;
        }
        let head = scan::queued_head(ctx, taking.slots - taking.jobs.len())?;
        if head.is_empty() {
            break;
        }
        at_cap = taking.offer(ctx, head)?.1;
    }
    if taking.jobs.is_empty() {
        return Ok(None);
    }
    Ok(Some(claim_response(ctx, taking.jobs)))
}

/// The jobs one claim pass takes for its runner.
struct Taking<'a> {
    runner: &'a str,
    slots: usize,
    jobs: Vec<ClaimedJob>,
}

impl Taking<'_> {
    fn is_full(&self) -> bool {
        self.jobs.len() >= self.slots
    }

    /// Takes `candidates` in order while slots are free (cancelling those with a pending
    /// cancel). Returns how many it dealt with, and whether it stopped at the concurrency cap
    /// (later candidates must not overtake the one that found no slot).
    fn offer(&mut self, ctx: &Ctx, candidates: Vec<scan::Open>) -> ApiResult<(usize, bool)> {
        let mut handled = 0;
        for o in candidates {
            if o.cancel_requested {
                let record = o.record.clone();
                if let queue::Latch::Lost = queue::cancel_queued(ctx, o.record)? {
                    // A runner took it (the cancel reaches it through its heartbeat), or a
                    // taker died half-way.
                    let _ = queue::repair_if_stuck(ctx, record)?;
                }
                handled += 1;
                continue;
            }
            if self.is_full() {
                break;
            }
            let record = o.record.clone();
            match queue::take(ctx, o.record, self.runner)? {
                Take::Taken(record) => {
                    if let Some(job) = handout(ctx, *record)? {
                        self.jobs.push(job);
                    }
                }
                Take::AtCap => return Ok((handled, true)),
                // Another runner or a cancel is taking it, or one died half-way.
                Take::Lost => {
                    let _ = queue::repair_if_stuck(ctx, record)?;
                }
            }
            handled += 1;
        }
        Ok((handled, false))
    }
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
        // A revision works on the text it was asked for, whatever the document holds now.
        let content = if record.kind == JobType::Revision {
            crate::jobs::proposals::base(ctx, &record)?
        } else {
            read_input(ctx, input)?
        };
        match content {
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
                // Lost: the attempt already ended some other way; either way it is not handed out.
                let _ = queue::end_attempt(ctx, record, ending)?;
                return Ok(None);
            }
        }
    }
    let prompt = if record.prompt.is_empty() {
        let stored = ctx.store.get(&keys::job_prompt(&record.id))?;
        String::from_utf8_lossy(&stored.unwrap_or_default()).into_owned()
    } else {
        record.prompt.clone()
    };
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
        prompt,
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
        Err(DocError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
