//! One heartbeat task per worker: every `heartbeat_ms` (1 s) while jobs run, one request names
//! them all; it extends their leases and brings back the server's action for each: `cancel`
//! stops the job's process (a user's cancel reaches it within about a second), `abandon` stops
//! it and silences the attempt.
//!
//! A failed heartbeat is not retried: the next tick is the retry, and the lease (60 s) covers
//! many missed beats. A job whose lease was not confirmed for the lease minus a margin (a
//! tenth, at least 500 ms) is stopped by the worker itself and not reported: by then the
//! server may have handed it to another runner, and two runs of one job must not overlap.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::api::CallError;
use crate::jobs::StopReason;
use crate::state::Worker;

/// Longest a heartbeat request may take.
const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often leases are checked while a heartbeat request is pending.
const EXPIRY_CHECK: Duration = Duration::from_millis(250);

/// Beats until `stop` is cancelled.
pub async fn run(worker: Arc<Worker>, stop: CancellationToken) {
    let mut period = worker.heartbeat_interval();
    let mut ticker = ticker(period);
    let mut failures = 0u32;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticker.tick() => {}
        }
        beat(&worker, &mut failures).await;
        if worker.heartbeat_interval() != period {
            period = worker.heartbeat_interval();
            ticker = ticker_after(period);
        }
    }
}

fn ticker(period: Duration) -> tokio::time::Interval {
    let mut t = tokio::time::interval(period);
    t.set_missed_tick_behavior(MissedTickBehavior::Delay);
    t
}

fn ticker_after(period: Duration) -> tokio::time::Interval {
    let mut t = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    t.set_missed_tick_behavior(MissedTickBehavior::Delay);
    t
}

/// The part of the lease a job may go unconfirmed before the worker stops it.
pub fn lease_limit(lease: Duration) -> Duration {
    lease.saturating_sub((lease / 10).max(Duration::from_millis(500)))
}

/// Stops the jobs whose lease was not confirmed for too long.
fn stop_expired(worker: &Worker) {
    let Some(lease) = worker.lease() else {
        return;
    };
    let limit = lease_limit(lease);
    for job in worker.jobs.controls() {
        if job.unconfirmed_for() > limit && job.reason().is_none() {
            tracing::warn!(
                job = %job.attempt.id,
                attempt = job.attempt.attempt,
                lease = ?lease,
                "no heartbeat answered for almost the whole lease; stopping the job (the server requeues it)"
            );
            job.stop(StopReason::LeaseLost);
        }
    }
}

/// One heartbeat for every running job, and the actions it brings back.
async fn beat(worker: &Worker, failures: &mut u32) {
    let attempts = worker.jobs.attempts();
    if attempts.is_empty() {
        return;
    }
    let sent = Instant::now();
    // A heartbeat hanging on a dead connection must not hide an expiring lease.
    let request = worker.api.heartbeat(&attempts, HEARTBEAT_TIMEOUT);
    tokio::pin!(request);
    let answer = loop {
        tokio::select! {
            answer = &mut request => break answer,
            _ = tokio::time::sleep(EXPIRY_CHECK) => stop_expired(worker),
        }
    };
    if answer.is_ok() {
        for attempt in &attempts {
            if let Some(job) = worker.jobs.get(attempt) {
                job.confirm(sent);
            }
        }
    }
    stop_expired(worker);
    match answer {
        Ok(answers) => {
            if *failures > 0 {
                tracing::info!(failures = *failures, "heartbeats go through again");
                *failures = 0;
            }
            for answer in answers {
                let attempt = crate::api::AttemptRef {
                    id: answer.id,
                    attempt: answer.attempt,
                };
                if let Some(job) = worker.jobs.get(&attempt) {
                    job.on_action(answer.action);
                }
            }
        }
        Err(CallError::Unauthorized(message)) => worker.fatal.unauthorized(&message),
        Err(e) => {
            *failures += 1;
            if *failures == 1 || (*failures).is_multiple_of(30) {
                tracing::warn!(
                    failures = *failures,
                    jobs = attempts.len(),
                    "heartbeat failed: {e}"
                );
            }
        }
    }
}
