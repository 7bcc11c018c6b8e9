//! The claim loop: one long-poll claim per worker for all of its free slots, each job handed
//! out started in its own task; no claim while a usage limit pauses the runner. Network trouble and 5xx are retried with back-off, and so are
//! other refusals (403, 413, …), logged as errors; only a 401 (a wrong token) stops the worker.

use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use crate::api::{Backoff, CallError, ClaimResponse, FinalStatus};
use crate::shutdown::Shutdown;
use crate::state::Worker;
use crate::{supervise, workspace};

/// How often a draining worker repeats its request to end the pending claim.
const STOP_AGAIN: Duration = Duration::from_secs(1);
/// Shortest pause after the API refused a claim (a 4xx other than 401).
const REFUSED_PAUSE: Duration = Duration::from_secs(5);

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
        if let Some(until) = worker.pause.until() {
            tokio::select! {
                biased;
                _ = shutdown.drained() => return,
                _ = fatal.cancelled() => return,
                _ = tokio::time::sleep_until(until) => {}
            }
            // The pause may have grown meanwhile; the slots may have changed too.
            continue;
        }
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
            Err(refused) => {
                // 403 (a token not allowed to claim), 413, 400 after an upgrade: the operator
                // has to act, and the runner keeps trying rather than going away silently.
                let delay = backoff.delay().max(REFUSED_PAUSE);
                tracing::error!(retry_in = ?delay, "the API refused the claim: {refused}");
                tokio::select! {
                    _ = shutdown.drained() => return,
                    _ = fatal.cancelled() => return,
                    _ = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
}

/// One claim request. A drain or a usage limit's pause does not drop it (a job it brings is
/// run or handed back, not stranded): it asks the server to answer now and waits for that
/// answer. An abort or a fatal error drops it (`None`).
async fn claim(
    worker: &Worker,
    shutdown: &Shutdown,
    free: u32,
) -> Option<Result<ClaimResponse, CallError>> {
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

/// Once draining starts (or a usage limit pauses claims), asks the server to end the pending
/// claim, again every second in case the claim reached the server after the request; never
/// resolves.
async fn stop_claim(worker: &Worker, shutdown: &Shutdown) {
    tokio::select! {
        _ = shutdown.drained() => {}
        _ = worker.pause.begun() => {}
    }
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

/// Starts a task for each claimed job. A job the claim describes in a way this runner will
/// not follow (an id or a path that could lead outside the work dir) is refused: reported
/// failed with the reason when its id is usable, else only logged.
fn start(worker: &Arc<Worker>, claim: ClaimResponse, jobs: &mut JoinSet<()>) {
    worker.adopt_claim_terms(claim.heartbeat_ms, claim.lease_ms, claim.max_output_bytes);
    for job in claim.jobs {
        if worker.pause.until().is_some() {
            // Handed out as the pause began: another runner may run it now.
            jobs.spawn(supervise::hand_back(
                worker.clone(),
                job,
                FinalStatus::Cancelled,
                format!(
                    "runner {} is paused by a usage limit; the job goes back to the queue",
                    worker.config.name
                ),
            ));
            continue;
        }
        if let Err(bad) = workspace::check_claimed(&job) {
            tracing::error!(job = ?bad.id, "refusing a claimed job: {}", bad.why);
            if bad.id.is_some() {
                jobs.spawn(supervise::hand_back(
                    worker.clone(),
                    job,
                    FinalStatus::Failed,
                    format!("runner refused the job: {}", bad.why),
                ));
            }
            continue;
        }
        match worker.slots.take() {
            Some(slot) => jobs.spawn(supervise::run(worker.clone(), job, slot)),
            None => jobs.spawn(supervise::hand_back(
                worker.clone(),
                job,
                FinalStatus::Cancelled,
                "runner had no free slot".to_owned(),
            )),
        };
    }
}
