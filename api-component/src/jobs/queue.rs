//! The queue's transitions: taking a queued attempt, cancelling one, and the end of an attempt
//! (requeued, finished, or waiting for a usage limit to reset).
//!
//! Each attempt of a job holds one ticket (`queue/t/{n}` = `{id}:{attempt}`); a requeued job
//! gets a new ticket. [`super::scan`] finds the queued attempts at the head and the running
//! ones; Spin has no cron, so reaping happens inside the runners' claim and heartbeat calls.
//!
//! Concurrency: the `stats/running` counter is a semaphore (increment, and undo if over the cap),
//! and the attempt's claim latch picks exactly one taker. Both are atomic on every backend.
//!
//! The queue speaks of jobs, not of HTTP: its calls fail only when the store does, and a race
//! lost to another caller is an answer ([`Latch::Lost`], [`Take::Lost`]), not an error. The
//! endpoints decide what each answer means to their client.

use super::model::{DocRef, JobRecord, JobType, Status, Usage, keys};
use super::{cancel_requested, save};
use crate::Ctx;
use crate::blob;
use crate::documents::{DocSources, Documents, Source, Write};
use crate::names::DocName;
use crate::quality::Summary;
use crate::store::StoreResult;

/// What an atomic latch decided for this call.
#[must_use]
#[derive(Debug)]
pub enum Latch<T> {
    /// This call won and did its work; here is the result.
    Won(T),
    /// Someone else won first; nothing was changed.
    Lost,
}

/// What [`take`] did with a queued attempt.
#[must_use]
#[derive(Debug)]
pub enum Take {
    /// Taken for the runner: now running under its lease.
    Taken(Box<JobRecord>),
    /// No slot is free under the concurrency cap; nothing was changed.
    AtCap,
    /// Another runner or a cancel took it first.
    Lost,
}

/// How long an attempt may look half-done (a latch taken, its record not moved on) before a
/// pass repairs it: far longer than a live taker or ender needs between its store calls.
pub const STUCK_MS: i64 = 10_000;

/// Called when `record`'s attempt lost a latch its record says nobody holds (the claim latch
/// of a `queued` record, the end latch of a `running` one whose lease expired): that is a live
/// race, or a taker, canceller or ender that died half-way. Once it has looked so for
/// [`STUCK_MS`], the winner of the attempt's repair latch settles it as lost: requeued as the
/// next attempt, cancelled if a cancel was asked, failed after the last attempt. The counters
/// it may have left off are recounted by [`super::scan`].
pub fn repair_if_stuck(ctx: &Ctx, record: JobRecord) -> StoreResult<Latch<JobRecord>> {
    let key = keys::stuck_since(&record.id, record.attempt);
    let since = ctx
        .store
        .get(&key)?
        .and_then(|b| String::from_utf8(b).ok()?.parse::<i64>().ok());
    let Some(since) = since else {
        ctx.store.set(&key, ctx.now_ms.to_string().as_bytes())?;
        return Ok(Latch::Lost);
    };
    if ctx.now_ms - since < STUCK_MS
        || ctx
            .store
            .increment(&keys::repair_latch(&record.id, record.attempt), 1)?
            != 1
    {
        return Ok(Latch::Lost);
    }
    let record = settle(ctx, record, Ending::Lost)?;
    super::usage::count_end(ctx, &record)?;
    Ok(Latch::Won(record))
}

/// Takes a queued attempt (or a waiting one whose usage limit has reset) for `runner`, if a
/// slot is free and nobody took it first.
pub fn take(ctx: &Ctx, mut record: JobRecord, runner: &str) -> StoreResult<Take> {
    let store = ctx.store;
    let running = store.increment(keys::RUNNING_COUNT, 1)?;
    if running > ctx.settings.max_concurrent_jobs as i64 {
        store.increment(keys::RUNNING_COUNT, -1)?;
        return Ok(Take::AtCap);
    }
    if store.increment(&keys::claim_latch(&record.id, record.attempt), 1)? != 1 {
        store.increment(keys::RUNNING_COUNT, -1)?;
        return Ok(Take::Lost);
    }
    store.increment(left_count(record.status), -1)?;
    record.resume_at_ms = None;
    store.set(
        &keys::lease(&record.id, record.attempt),
        (ctx.now_ms + ctx.settings.lease_ms())
            .to_string()
            .as_bytes(),
    )?;
    // Indexed before the record says `running`, so the reaper can always find a running attempt.
    record.run_slot = Some(super::scan::index_running(
        store,
        &record.id,
        record.attempt,
    )?);
    record.status = Status::Running;
    record.runner = Some(runner.to_owned());
    record.started_ms = Some(ctx.now_ms);
    save(store, &record)?;
    Ok(Take::Taken(Box::new(record)))
}

/// The counter of the jobs in `status` (queued or waiting) that a taken or cancelled job leaves.
fn left_count(status: Status) -> &'static str {
    match status {
        Status::Waiting => keys::WAITING_COUNT,
        _ => keys::QUEUED_COUNT,
    }
}

/// Cancels a queued or waiting attempt if the cancel wins its claim latch (`Lost`: a runner
/// took it).
pub fn cancel_queued(ctx: &Ctx, mut record: JobRecord) -> StoreResult<Latch<JobRecord>> {
    if ctx
        .store
        .increment(&keys::claim_latch(&record.id, record.attempt), 1)?
        != 1
    {
        return Ok(Latch::Lost);
    }
    let queued = record.status == Status::Queued;
    ctx.store.increment(left_count(record.status), -1)?;
    record.error = Some(if queued {
        "cancelled before it started".into()
    } else {
        "cancelled while waiting for the usage limit to reset".into()
    });
    record.status = Status::Cancelled;
    record.finished_ms = Some(ctx.now_ms);
    record.resume_at_ms = None;
    save(ctx.store, &record)?;
    announce(ctx, &record);
    // The first in line leaving: the jobs behind move up now, not at the next claim.
    if queued && super::scan::head(ctx)? == record.ticket {
        ctx.store
            .set(keys::QUEUE_HEAD, (record.ticket + 1).to_string().as_bytes())?;
    }
    super::usage::count_end(ctx, &record)?;
    Ok(Latch::Won(record))
}

/// How an attempt ended.
pub enum Ending {
    /// Its runner stopped heartbeating (or gave the job back).
    Lost,
    /// Its runner reported the end.
    Finished {
        status: Status,
        error: Option<String>,
        usage: Option<Usage>,
        log_chunks: u32,
    },
    /// Its runner reported a usage limit that resets at `resume_at_ms`: the job waits for it
    /// (unless a cancel was asked for).
    UsageLimit {
        resume_at_ms: i64,
        usage: Option<Usage>,
        log_chunks: u32,
    },
}

/// Ends the running attempt of `record`, if this call wins the attempt's end latch (`Lost`: it
/// has already ended): frees its concurrency slot, then requeues, fails, cancels, completes or
/// sets aside (waiting for a usage limit) the job.
pub fn end_attempt(ctx: &Ctx, record: JobRecord, ending: Ending) -> StoreResult<Latch<JobRecord>> {
    let store = ctx.store;
    if store.increment(&keys::end_latch(&record.id, record.attempt), 1)? != 1 {
        return Ok(Latch::Lost);
    }
    let record = settle(ctx, record, ending)?;
    // Only now free the slot: a job never shows `running` beyond the cap, even while ending.
    store.increment(keys::RUNNING_COUNT, -1)?;
    // Counted here, by the one call that ended it (a requeued job is not counted yet).
    super::usage::count_end(ctx, &record)?;
    Ok(Latch::Won(record))
}

/// Decides and stores what becomes of a job whose attempt just ended.
fn settle(ctx: &Ctx, mut record: JobRecord, ending: Ending) -> StoreResult<JobRecord> {
    let attempt = record.attempt;
    let cancelled = cancel_requested(ctx.store, &record.id)?;
    record.finished_ms = Some(ctx.now_ms);
    match ending {
        Ending::Lost if cancelled => {
            finish(&mut record, Status::Cancelled, Some("cancelled".into()))
        }
        Ending::Lost if record.attempts_used() < ctx.settings.max_attempts => {
            return requeue(ctx, record);
        }
        Ending::Lost => {
            let used = record.attempts_used();
            finish(
                &mut record,
                Status::Failed,
                Some(format!(
                    "runner lost: no heartbeat within the lease, {used} attempts made"
                )),
            )
        }
        Ending::UsageLimit {
            resume_at_ms,
            usage,
            log_chunks,
        } => {
            set_chunks(&mut record, attempt, log_chunks);
            record.usage = usage;
            if !cancelled {
                return park(ctx, record, resume_at_ms);
            }
            finish(&mut record, Status::Cancelled, Some("cancelled".into()));
        }
        Ending::Finished {
            status,
            error,
            usage,
            log_chunks,
        } => {
            set_chunks(&mut record, attempt, log_chunks);
            record.usage = usage;
            match status {
                // A revision's output is a proposal to review, never a document write.
                Status::Completed if record.kind == JobType::Revision => {
                    match super::proposals::store(ctx, &record) {
                        Ok(()) => finish(&mut record, Status::Completed, None),
                        Err(why) => finish(&mut record, Status::Failed, Some(why)),
                    }
                }
                Status::Completed => match commit_outputs(ctx, &record) {
                    Ok((docs, quality)) => {
                        record.output_documents = docs;
                        record.quality = quality;
                        finish(&mut record, Status::Completed, None);
                    }
                    Err(why) => finish(&mut record, Status::Failed, Some(why)),
                },
                Status::Cancelled if !cancelled => return requeue(ctx, record),
                Status::Cancelled => finish(
                    &mut record,
                    Status::Cancelled,
                    error.or(Some("cancelled".into())),
                ),
                _ => finish(
                    &mut record,
                    Status::Failed,
                    error.or(Some("the job failed".into())),
                ),
            }
        }
    }
    save(ctx.store, &record)?;
    if record.status.is_final() {
        announce(ctx, &record);
    }
    if record.status == Status::Completed {
        // Stored as documents now (and the record says so): the staged copies go. Should that
        // fail, retention removes them with the job.
        let staged: Vec<String> = (0..record.outputs.len())
            .flat_map(|i| super::retention::staged_keys(ctx, &record.id, attempt, i))
            .collect();
        let _ = ctx.store.delete_many(&staged);
    }
    Ok(record)
}

/// Records the `job.finished` webhook of a job that just ended (see [`crate::webhooks`]): only
/// the winner of the latch that ended it gets here, so each job is announced once. The job is
/// shown as `GET /api/jobs/{id}` shows it now.
fn announce(ctx: &Ctx, record: &JobRecord) {
    if !crate::webhooks::records(ctx.settings) {
        return;
    }
    let cancel_requested = cancel_requested(ctx.store, &record.id).unwrap_or(false);
    crate::webhooks::job_finished(ctx, &record.id, &record.view(None, cancel_requested));
}

fn finish(record: &mut JobRecord, status: Status, error: Option<String>) {
    record.status = status;
    record.error = error;
}

fn set_chunks(record: &mut JobRecord, attempt: u32, chunks: u32) {
    let i = attempt as usize - 1;
    if record.log_chunks.len() <= i {
        record.log_chunks.resize(i + 1, 0);
    }
    record.log_chunks[i] = chunks;
}

/// Puts the job back in the queue as its next attempt, at the back of the line.
fn requeue(ctx: &Ctx, mut record: JobRecord) -> StoreResult<JobRecord> {
    let store = ctx.store;
    let ticket = store.increment(keys::TICKET_COUNTER, 1)?;
    record.attempt += 1;
    record.ticket = ticket;
    record.status = Status::Queued;
    record.runner = None;
    record.run_slot = None;
    record.started_ms = None;
    record.finished_ms = None;
    // The ticket before the record: a scan that meets the ticket first waits for the record
    // (see `scan::queued_head`); a record pointing at a ticket never written would be lost.
    store.set(
        &keys::ticket(ticket),
        format!("{}:{}", record.id, record.attempt).as_bytes(),
    )?;
    save(store, &record)?;
    store.increment(keys::QUEUED_COUNT, 1)?;
    Ok(record)
}

/// Sets the job aside as its next attempt until `resume_at_ms`, when its usage limit resets: it
/// does not count against `max_attempts`, and a claim takes it then ahead of the queued jobs
/// (see [`super::scan::waiting_ready`]).
fn park(ctx: &Ctx, mut record: JobRecord, resume_at_ms: i64) -> StoreResult<JobRecord> {
    record.attempt += 1;
    record.usage_limited += 1;
    record.status = Status::Waiting;
    record.resume_at_ms = Some(resume_at_ms);
    record.run_slot = None;
    record.started_ms = None;
    record.finished_ms = None;
    record.error = None;
    // Indexed before the record says `waiting`, so that claims always find a waiting job.
    keys::WAITING_INDEX.push(
        ctx.store,
        format!("{}:{}", record.id, record.attempt).as_bytes(),
    )?;
    save(ctx.store, &record)?;
    ctx.store.increment(keys::WAITING_COUNT, 1)?;
    Ok(record)
}

/// Moves the attempt's staged outputs into their collections; every expected output must be
/// there and valid, else nothing is stored and the reason is returned. With them, the quality
/// of the first (graded as it was written).
fn commit_outputs(ctx: &Ctx, record: &JobRecord) -> Result<(Vec<DocRef>, Option<Summary>), String> {
    let mut ready = Vec::new();
    for (i, out) in record.outputs.iter().enumerate() {
        let content = staged_output(ctx, record, i)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("the job did not produce {}", out.output_path()))?;
        let collection = out.collection().ok_or("unknown output collection")?;
        let name = DocName::parse(collection, &out.name)?;
        Documents::new(ctx.store, collection)
            .check(&name, &content, ctx.settings.max_document_bytes)
            .map_err(|e| {
                format!(
                    "{} is not a valid {} document: {e}",
                    out.output_path(),
                    collection
                )
            })?;
        ready.push((collection, name, content));
    }
    let mut stored = Vec::new();
    let mut quality = None;
    for (collection, name, content) in ready {
        let (_, meta) = Documents::new(ctx.store, collection)
            .put(
                &name,
                &content,
                ctx.settings.max_document_bytes,
                &Default::default(),
                &Write::new(
                    ctx,
                    &format!("job {}", record.id),
                    Source::Job(record.id.clone()),
                )
                .with_sources(sources_of(record)),
            )
            .map_err(|e| e.to_string())?;
        quality = quality.or(meta.quality);
        stored.push(DocRef::new(collection, name.as_str()));
    }
    Ok((stored, quality))
}

/// What a job's outputs are made from, as its parameters say.
fn sources_of(record: &JobRecord) -> DocSources {
    let text = |key: &str| record.params[key].as_str().map(str::to_owned);
    DocSources {
        job_id: record.id.clone(),
        brief: text("brief"),
        brand_data: text("brand_data"),
        target_word_count: record.params["target_word_count"].as_u64(),
        primary_keyword: text("primary_keyword"),
        secondary_keywords: record.params["secondary_keywords"]
            .as_array()
            .map(|k| {
                k.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// The staged content of output `index` of the record's current attempt.
pub fn staged_output(ctx: &Ctx, record: &JobRecord, index: usize) -> StoreResult<Option<Vec<u8>>> {
    let key = keys::staged_output(&record.id, record.attempt, index);
    let Some(count) = ctx
        .store
        .get(&key)?
        .and_then(|b| String::from_utf8(b).ok()?.parse::<u32>().ok())
    else {
        return Ok(None);
    };
    blob::read(ctx.store, &format!("{key}/c"), count)
}
