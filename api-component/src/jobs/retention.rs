//! What is removed, and when: a finished job with everything stored under it (prompt, log
//! chunks, staged outputs, latches, lease, cancel flag, its ticket and index entry), on request
//! (`DELETE /api/jobs/{id}`) or by the janitor once it is `job_retention_days` old.
//!
//! The janitor walks the job index from the oldest entry (`jobs/oldest`, a hint like the queue
//! head), at most [`SWEEP_BATCH`] entries per pass and a pass at most every [`SWEEP_EVERY_MS`],
//! inside the runners' claim and heartbeat calls (there is no cron on Spin). It stops at the
//! first job it must keep, so a job still queued, running or waiting for a usage limit holds
//! back the removal of younger finished ones until it ends.
//!
//! Tickets of earlier attempts, running-index and waiting-index entries stay: they are a few
//! bytes each and the scans never read them again once past them.

use super::model::{JobRecord, keys};
use super::{counter, try_load};
use crate::Ctx;
use crate::blob;
use crate::store::StoreResult;

/// Job index entries looked at per janitor pass.
pub const SWEEP_BATCH: i64 = 16;
/// Janitor passes happen at most this often.
pub const SWEEP_EVERY_MS: i64 = 10_000;
/// A job index entry allocated but never written this far behind the newest is abandoned.
const ABANDONED_LAG: i64 = 1_000;

/// Removes a finished job and everything stored under it. The record goes last but one and
/// the index entry last, so a removal cut short is found and finished by the janitor.
pub fn purge(ctx: &Ctx, record: &JobRecord) -> StoreResult<()> {
    let store = ctx.store;
    let id = &record.id;
    let mut doomed = vec![
        keys::job_prompt(id),
        keys::cancel_flag(id),
        keys::retry_latch(id),
        keys::ticket(record.ticket),
    ];
    if record.kind == super::model::JobType::Revision {
        doomed.extend(super::proposals::keys_of(ctx, record)?);
    }
    for attempt in 1..=record.attempt {
        doomed.push(keys::claim_latch(id, attempt));
        doomed.push(keys::end_latch(id, attempt));
        doomed.push(keys::lease(id, attempt));
        for index in 0..record.outputs.len() {
            doomed.extend(staged_keys(ctx, id, attempt, index));
        }
        let chunks = match record.log_chunks.get(attempt as usize - 1) {
            Some(&n) if n > 0 => n,
            // An attempt that was lost never reported its count: look for where its log ends.
            _ => stored_chunks(ctx, id, attempt)?,
        };
        doomed.extend((0..chunks).map(|c| keys::log_chunk(id, attempt, c)));
    }
    for batch in doomed.chunks(256) {
        store.delete_many(batch)?;
    }
    store.delete(&keys::job(id))?;
    store.delete(&keys::job_index(record.number))
}

/// The keys of staged output `index` of an attempt: its chunk count and every chunk an output
/// within `max_document_bytes` can have had.
pub fn staged_keys(ctx: &Ctx, id: &str, attempt: u32, index: usize) -> Vec<String> {
    let key = keys::staged_output(id, attempt, index);
    let most = ctx
        .settings
        .max_document_bytes
        .div_ceil(blob::CHUNK_BYTES as u64) as u32;
    let mut all = blob::chunk_keys(&format!("{key}/c"), most.max(1));
    all.push(key);
    all
}

/// How many log chunks an attempt stored, found by reading until one is missing.
fn stored_chunks(ctx: &Ctx, id: &str, attempt: u32) -> StoreResult<u32> {
    let mut n = 0u32;
    loop {
        let batch: Vec<String> = (n..n + 32)
            .map(|c| keys::log_chunk(id, attempt, c))
            .collect();
        let found = ctx.store.get_many(&batch)?;
        match found.iter().position(Option::is_none) {
            Some(missing) => return Ok(n + missing as u32),
            None => n += 32,
        }
    }
}

/// One janitor pass if none ran within [`SWEEP_EVERY_MS`]; returns how many jobs it removed.
pub fn sweep_if_due(ctx: &Ctx) -> StoreResult<usize> {
    if !crate::store::due(ctx.store, keys::SWEPT_AT, ctx.now_ms, SWEEP_EVERY_MS)? {
        return Ok(0);
    }
    sweep(ctx)
}

/// Removes, oldest first, up to [`SWEEP_BATCH`] jobs that finished more than
/// `job_retention_days` ago, stopping at the first job that must stay.
pub fn sweep(ctx: &Ctx) -> StoreResult<usize> {
    let store = ctx.store;
    let newest = counter(store, keys::JOB_COUNTER)?;
    let oldest = crate::store::read_number(store, keys::OLDEST_JOB)?
        .unwrap_or(1)
        .clamp(1, newest + 1);
    let cutoff = ctx.now_ms - ctx.settings.job_retention_ms();
    let last = newest.min(oldest + SWEEP_BATCH - 1);
    let numbers: Vec<i64> = (oldest..=last).collect();
    let ids = store.get_many(
        &numbers
            .iter()
            .map(|n| keys::job_index(*n))
            .collect::<Vec<_>>(),
    )?;
    let mut removed = 0;
    let mut next = oldest;
    for (n, id) in numbers.into_iter().zip(ids) {
        match id.map(|b| String::from_utf8_lossy(&b).into_owned()) {
            // Not written yet, unless long abandoned: stop here.
            None if newest - n < ABANDONED_LAG => break,
            None => {}
            Some(id) => match try_load(store, &id)? {
                Some(record)
                    if record.status.is_final()
                        && record.finished_ms.is_some_and(|f| f < cutoff) =>
                {
                    purge(ctx, &record)?;
                    removed += 1;
                }
                Some(_) => break,
                // Removed already (on request, or by a pass cut short): drop the entry.
                None => store.delete(&keys::job_index(n))?,
            },
        }
        next = n + 1;
    }
    if next != oldest {
        store.set(keys::OLDEST_JOB, next.to_string().as_bytes())?;
    }
    Ok(removed)
}
