//! The claim loop: one long-poll claim per worker for all of its free slots, each job handed
//! out started in its own task. Network trouble and 5xx are retried with back-off; a 401 or
//! another 4xx stops the worker.

use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use crate::api::{Backoff, CallError, Claim};
use crate::error::WorkerError;
use crate::shutdown::Shutdown;
use crate::state::Worker;
use crate::supervise;

/// How often a draining worker repeats its request to end the pending claim.
const STOP_AGAIN: Duration = Duration::from_secs(1);

/// Claims and starts jobs until the worker drains or hits a fatal error.
pub async fn run(worker: &Arc<Worker>, shutdown: &Shutdown, jobs: &mut JoinSet<()>) {
    let mut backoff = Backoff::new(worker.api.retry_cap());
    let fatal = worker.fatal.token.clone();
    loop {
        let free = tokio::select! {
            biased;
            _ = shutdown.drained() => return,
            _ = fatal.cancelled() => return,
            free = worker.slots.wait_free() => free as u32,
        };
        let Some(result) = claim(worker, shutdown, free).await else {
            return;
        };
        match result {
            Ok(claim) => {
                backoff.reset();
                start(worker, claim, jobs);
            }
            Err(CallError::Transient(why)) => {
                let delay = backoff.delay();
                tracing::warn!(retry_in = ?delay, "claim failed: {why}");
                tokio::select! {
                    _ = shutdown.drained() => return,
                    _ = fatal.cancelled() => return,
                    _ = tokio::time::sleep(delay) => {}
                }
            }
            Err(CallError::Unauthorized(message)) => return worker.fatal.unauthorized(&message),
            Err(CallError::Stopped) => return,
            Err(other) => return worker.fatal.raise(WorkerError::Refused(other.to_string())),
        }
    }
}

/// One claim request. A drain does not drop it (a job it brings is run, not stranded): it asks
/// the server to answer now and waits for that answer. An abort or a fatal error drops it
/// (`None`).
async fn claim(
    worker: &Worker,
    shutdown: &Shutdown,
    free: u32,
) -> Option<Result<Claim, CallError>> {
    let wait = worker.config.claim_wait;
    let mut request = pin!(worker.api.claim(free, wait));
    let mut stop = pin!(stop_claim(worker, shutdown));
    loop {
        tokio::select! {
            result = &mut request => return Some(result),
            _ = shutdown.aborted() => return None,
            _ = worker.fatal.token.cancelled() => return None,
            () = &mut stop => {}
        }
    }
}

/// Once draining starts, asks the server to end the pending claim, again every second in case
/// the claim reached the server after the request; never resolves.
async fn stop_claim(worker: &Worker, shutdown: &Shutdown) {
    shutdown.drained().await;
    let wait = worker.config.claim_wait;
    for tries in 0u32.. {
        if let Err(e) = worker.api.stop_claims().await {
            tracing::info!(up_to = ?wait, "waiting for the pending claim to answer ({e})");
            break;
        }
        if tries == 0 {
            tracing::info!("asked the API to answer the pending claim now");
        }
        tokio::time::sleep(STOP_AGAIN).await;
    }
    std::future::pending().await
}

/// Starts a task for each claimed job.
fn start(worker: &Arc<Worker>, claim: Claim, jobs: &mut JoinSet<()>) {
    worker.set_heartbeat_ms(claim.heartbeat_ms);
    for job in claim.jobs {
        match worker.slots.take() {
            Some(slot) => jobs.spawn(supervise::run(worker.clone(), job, slot)),
            None => jobs.spawn(supervise::give_back(worker.clone(), job)),
        };
    }
}
