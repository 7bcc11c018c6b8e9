//! Jobs: generation requests queued FIFO, claimed by runners under a concurrency cap, with
//! leases, live logs and staged outputs. All state sits in the key-value store; every decision
//! taken under concurrency is an `increment` latch or counter (see [`model`] for who writes what).
//!
//! - [`model`]: the record, its public view, the store keys.
//! - [`submit`]: the generate endpoints, validation, prompt rendering; [`enqueue`]: writing a
//!   queued job, under the `max_queued_jobs` cap.
//! - [`queue`]: taking, cancelling and ending attempts. Domain only: it fails only when the
//!   store does, and answers races with [`queue::Latch`] / [`queue::Take`].
//! - [`scan`]: the queued attempts at the head, the running index, reaping, queue positions;
//!   none of it reads more when more jobs wait.
//! - [`runner_api`]: what runners call, one module per verb: claim, heartbeat, uploads (log
//!   chunks, outputs), finish, and the registry of runners.
//! - [`logs`]: log chunks in the store and reading them back; [`events`]: the SSE event stream.
//! - [`views`]: list, get, cancel, delete; [`filter`]: what a listing keeps; [`retention`]:
//!   removing finished jobs, on request or after `job_retention_days`.
//! - [`usage`]: what ended jobs cost, counted once per job as it ends, and `GET /api/usage`.

pub mod batches;
pub mod enqueue;
pub mod events;
pub mod filter;
pub mod logs;
pub mod model;
pub mod pipeline;
pub mod proposals;
pub mod queue;
pub mod retention;
pub mod revise;
pub mod runner_api;
pub mod scan;
pub mod submit;
pub mod templates;
pub mod usage;
pub mod views;

use crate::error::{ApiError, ApiResult};
use crate::store::{Store, StoreResult};
use model::{JobRecord, keys};

/// Loads a job record, 404 if there is none.
pub fn load(store: &dyn Store, id: &str) -> ApiResult<JobRecord> {
    try_load(store, id)?.ok_or_else(|| ApiError::NotFound(format!("no job with id {id:?}")))
}

pub fn try_load(store: &dyn Store, id: &str) -> StoreResult<Option<JobRecord>> {
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Ok(None);
    }
    Ok(store
        .get(&keys::job(id))?
        .and_then(|b| serde_json::from_slice(&b).ok()))
}

/// Writes a record. Only latch winners call this (see [`model`]).
pub fn save(store: &dyn Store, record: &JobRecord) -> StoreResult<()> {
    let bytes = serde_json::to_vec(record).unwrap_or_default();
    store.set(&keys::job(&record.id), &bytes)
}

/// Reads a counter without changing it (`get` would see backend-specific encodings).
pub fn counter(store: &dyn Store, key: &str) -> StoreResult<i64> {
    store.increment(key, 0)
}

/// Whether a cancel was requested for the job.
pub fn cancel_requested(store: &dyn Store, id: &str) -> StoreResult<bool> {
    Ok(store.get(&keys::cancel_flag(id))?.is_some())
}
