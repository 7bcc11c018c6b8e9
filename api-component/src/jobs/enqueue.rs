//! Putting a validated job in the queue: admission against `max_queued_jobs` (the place
//! reserved by one `increment` before anything is written), then the prompt, the record, the
//! listing index entry and the ticket, in an order that leaves nothing half-visible; a failed
//! submit gives its place back and marks the numbers it took as empty.

use super::model::{JobRecord, Status, keys};
use super::save;
use super::submit::Submission;
use crate::Ctx;
use crate::error::{ApiError, ApiResult};

/// Seconds a client refused for a full queue is asked to wait.
const RETRY_FULL_QUEUE_S: i64 = 30;

/// Stores a new queued job and its queue ticket; returns its id. Refused with 429 while
/// `max_queued_jobs` jobs wait: the place is reserved with one `increment` of the queued count
/// before anything is written, so concurrent submits cannot overshoot it.
pub fn enqueue(ctx: &Ctx, s: Submission, by: &str) -> ApiResult<String> {
    let store = ctx.store;
    let queued = store.increment(keys::QUEUED_COUNT, 1)?;
    if queued > ctx.settings.max_queued_jobs as i64 {
        store.increment(keys::QUEUED_COUNT, -1)?;
        return Err(queue_full(queued - 1, 1));
    }
    let mut taken = Taken::default();
    write_queued(ctx, s, by, &mut taken).inspect_err(|_| {
        // Give the place back, and mark the numbers this job took as empty so that scans pass
        // them at once instead of waiting for them to be written. If the store fails even
        // that, the counter census and the scans' lag repair it later.
        let _ = store.increment(keys::QUEUED_COUNT, -1);
        if let Some(number) = taken.number {
            let _ = store.set(&keys::job_index(number), b"");
        }
        if let Some(ticket) = taken.ticket {
            let _ = store.set(&keys::ticket(ticket), keys::TICKET_TOMBSTONE);
        }
    })
}

/// The refusal of `wanted` more jobs while `waiting` wait.
pub fn queue_full(waiting: i64, wanted: usize) -> ApiError {
    let what = if wanted == 1 {
        "try again later".to_owned()
    } else {
        format!("{wanted} more do not fit; try again later or send fewer")
    };
    ApiError::TooManyRequests {
        message: format!("the queue is full ({waiting} jobs wait; max_queued_jobs); {what}"),
        retry_after_s: RETRY_FULL_QUEUE_S,
    }
}

/// The numbers a submit took so far.
#[derive(Default)]
struct Taken {
    number: Option<i64>,
    ticket: Option<i64>,
}

fn write_queued(ctx: &Ctx, s: Submission, by: &str, taken: &mut Taken) -> ApiResult<String> {
    let store = ctx.store;
    let number = store.increment(keys::JOB_COUNTER, 1)?;
    taken.number = Some(number);
    let ticket = store.increment(keys::TICKET_COUNTER, 1)?;
    taken.ticket = Some(ticket);
    let id = new_id(ctx, number);
    let record = JobRecord {
        id: id.clone(),
        kind: s.kind,
        status: Status::Queued,
        attempt: 1,
        ticket,
        number,
        runner: None,
        created_ms: ctx.now_ms,
        started_ms: None,
        finished_ms: None,
        params: s.params,
        prompt: String::new(),
        run_slot: None,
        resume_at_ms: None,
        usage_limited: 0,
        inputs: s.inputs,
        outputs: s.outputs,
        output_documents: vec![],
        error: None,
        usage: None,
        log_chunks: vec![],
        submitted_by: by.to_owned(),
        batch_id: s.batch_id,
        parent_job_id: s.parent_job_id,
        child_job_ids: Vec::new(),
        retry_of: s.retry_of,
        retried_as: None,
        template: Some(s.template),
        quality: None,
    };
    // The prompt and the record first: whoever finds the ticket or index entry must find them.
    store.set(&keys::job_prompt(&id), s.prompt.as_bytes())?;
    save(store, &record)?;
    store.set_many(&[
        (keys::job_index(number), id.as_bytes().to_vec()),
        (keys::ticket(ticket), format!("{id}:1").into_bytes()),
    ])?;
    Ok(id)
}

/// Ids are unguessable (random) and sort by creation (the job number leads).
fn new_id(ctx: &Ctx, number: i64) -> String {
    format!("{number:x}-{:016x}", (ctx.random)())
}
