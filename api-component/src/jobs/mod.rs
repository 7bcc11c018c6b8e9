//! Jobs: generation requests queued FIFO, claimed by runners under a concurrency cap, with
//! leases, live logs and staged outputs. All state sits in the key-value store; every decision
//! taken under concurrency is an `increment` latch or counter (see [`model`] for who writes what).
//!
//! - [`model`]: the record, its public view, the store keys.
//! - [`submit`]: the generate endpoints, prompt rendering, retry.
//! - [`queue`]: the ticket scan shared by claiming and reaping, the claim, attempt endings.
//! - [`runner_api`]: what runners call: claim, heartbeat, log chunks, outputs, finish.
//! - [`logs`]: log chunks in the store, reading them back, the SSE event stream.
//! - [`views`]: list, get, cancel.

pub mod logs;
pub mod model;
pub mod queue;
pub mod runner_api;
pub mod submit;
pub mod views;

use crate::error::{ApiError, ApiResult};
use crate::store::Store;
use model::{JobRecord, keys};

/// Loads a job record, 404 if there is none.
pub fn load(store: &dyn Store, id: &str) -> ApiResult<JobRecord> {
    try_load(store, id)?.ok_or_else(|| ApiError::NotFound(format!("no job with id {id:?}")))
}

pub fn try_load(store: &dyn Store, id: &str) -> ApiResult<Option<JobRecord>> {
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Ok(None);
    }
    Ok(store
        .get(&keys::job(id))?
        .and_then(|b| serde_json::from_slice(&b).ok()))
}

/// Writes a record. Only latch winners call this (see [`model`]).
pub fn save(store: &dyn Store, record: &JobRecord) -> ApiResult<()> {
    let bytes = serde_json::to_vec(record).unwrap_or_default();
    store.set(&keys::job(&record.id), &bytes)?;
    Ok(())
}

/// Reads a counter without changing it (`get` would see backend-specific encodings).
pub fn counter(store: &dyn Store, key: &str) -> ApiResult<i64> {
    Ok(store.increment(key, 0)?)
}

/// Whether a cancel was requested for the job.
pub fn cancel_requested(store: &dyn Store, id: &str) -> ApiResult<bool> {
    Ok(store.get(&keys::cancel_flag(id))?.is_some())
}

/// Reads a JSON request body into `T`, with a 400 that says what is wrong.
pub fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    if body.is_empty() {
        return Err(ApiError::BadRequest(
            "request body is empty; send a JSON object".into(),
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))
}
