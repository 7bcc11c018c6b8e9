//! The jobs running on this worker ([`Registry`]) and how each is stopped ([`JobControl`]):
//! heartbeats, upload answers, failed calls and shutdown all end a job through its control, which
//! remembers the first reason and decides whether anything may still be reported.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::api::{Action, AttemptRef, CallError};

/// Why a job was stopped before its process ended by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// A user cancelled the job: finish as `cancelled` (it stays cancelled).
    UserCancel,
    /// The worker is shutting down: finish as `cancelled`, which gives the job back to the
    /// queue since no user asked for it.
    Shutdown,
    /// The server answered 409: the attempt is not ours any more. Report nothing.
    Fenced,
    /// A heartbeat said `abandon`. Report nothing.
    Abandoned,
    /// The worker stops on a fatal error (401). Nothing can be reported.
    Fatal,
    /// No heartbeat was answered for almost a lease: the server may already have given the
    /// job to another runner, so this one stops it and reports nothing (no double run after
    /// a long outage).
    LeaseLost,
}

impl StopReason {
    /// Whether the attempt must not be reported after this.
    fn silences(self) -> bool {
        matches!(
            self,
            StopReason::Fenced | StopReason::Abandoned | StopReason::Fatal | StopReason::LeaseLost
        )
    }
}

/// The switches of one running attempt.
pub struct JobControl {
    pub attempt: AttemptRef,
    /// Stops the CLI (handed to `claude_exec::run`).
    pub cancel: CancellationToken,
    /// Stops every upload and the finish call of this attempt. A child of the worker's fatal
    /// token.
    pub quiet: CancellationToken,
    reason: OnceLock<StopReason>,
    fatal: Arc<crate::error::Fatal>,
    /// When the lease was last known to be extended: the claim, then each answered heartbeat
    /// (the time it was sent).
    confirmed: Mutex<Instant>,
}

impl JobControl {
    /// The server extended the lease at `at` (or later).
    pub fn confirm(&self, at: Instant) {
        let mut confirmed = self.confirmed.lock().expect("lease time");
        *confirmed = (*confirmed).max(at);
    }

    /// How long ago the lease was last known to be extended.
    pub fn unconfirmed_for(&self) -> std::time::Duration {
        self.confirmed.lock().expect("lease time").elapsed()
    }

    /// Stops the job's process for `reason` (the first reason given is the one reported).
    pub fn stop(&self, reason: StopReason) {
        if self.reason.set(reason).is_ok() {
            tracing::info!(job = %self.attempt.id, attempt = self.attempt.attempt, ?reason, "stopping the job");
        }
        self.cancel.cancel();
        if reason.silences() {
            self.quiet.cancel();
        }
    }

    /// The reason the job was stopped, if it was.
    pub fn reason(&self) -> Option<StopReason> {
        self.reason.get().copied()
    }

    /// Whether nothing more may be reported for this attempt.
    pub fn is_silenced(&self) -> bool {
        self.quiet.is_cancelled()
    }

    /// Applies the server's answer about this attempt.
    pub fn on_action(&self, action: Action) {
        match action {
            Action::Cancel => self.stop(StopReason::UserCancel),
            Action::Abandon => self.stop(StopReason::Abandoned),
            Action::Continue | Action::Unknown => {}
        }
    }

    /// Applies a failed call about this attempt: 409 or 404 fences it off, 401 stops the
    /// worker.
    pub fn on_error(&self, error: &CallError) {
        match error {
            CallError::Fenced(message) => {
                tracing::warn!(job = %self.attempt.id, attempt = self.attempt.attempt, "the server no longer accepts this attempt: {message}");
                self.stop(StopReason::Fenced);
            }
            CallError::Unauthorized(message) => self.fatal.unauthorized(message),
            _ => {}
        }
    }
}

/// The attempts running on this worker.
pub struct Registry {
    inner: Mutex<Inner>,
    fatal: Arc<crate::error::Fatal>,
}

struct Inner {
    jobs: HashMap<AttemptRef, Arc<JobControl>>,
    /// Set by [`Registry::stop_all`]: jobs registered later are stopped at once.
    stopped: Option<StopReason>,
}

impl Registry {
    pub fn new(fatal: Arc<crate::error::Fatal>) -> Registry {
        Registry {
            inner: Mutex::new(Inner {
                jobs: HashMap::new(),
                stopped: None,
            }),
            fatal,
        }
    }

    /// Registers a newly claimed attempt (heartbeats include it from now on); stopped at once
    /// if the worker already stopped its jobs.
    pub fn add(&self, attempt: AttemptRef) -> Arc<JobControl> {
        let control = Arc::new(JobControl {
            attempt: attempt.clone(),
            cancel: CancellationToken::new(),
            quiet: self.fatal.token.child_token(),
            reason: OnceLock::new(),
            fatal: self.fatal.clone(),
            confirmed: Mutex::new(Instant::now()),
        });
        let stopped = {
            let mut inner = self.lock();
            inner.jobs.insert(attempt, control.clone());
            inner.stopped
        };
        if let Some(reason) = stopped {
            control.stop(reason);
        }
        control
    }

    pub fn remove(&self, attempt: &AttemptRef) {
        self.lock().jobs.remove(attempt);
    }

    pub fn get(&self, attempt: &AttemptRef) -> Option<Arc<JobControl>> {
        self.lock().jobs.get(attempt).cloned()
    }

    /// The attempts to name in a heartbeat.
    pub fn attempts(&self) -> Vec<AttemptRef> {
        self.lock().jobs.keys().cloned().collect()
    }

    /// The running jobs' controls.
    pub fn controls(&self) -> Vec<Arc<JobControl>> {
        self.lock().jobs.values().cloned().collect()
    }

    /// Stops every running job, and every job registered from now on.
    pub fn stop_all(&self, reason: StopReason) {
        let jobs: Vec<Arc<JobControl>> = {
            let mut inner = self.lock();
            inner.stopped.get_or_insert(reason);
            inner.jobs.values().cloned().collect()
        };
        for job in jobs {
            job.stop(reason);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("job registry")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> Registry {
        Registry::new(Arc::new(crate::error::Fatal::new("http://x/".into())))
    }

    fn attempt(id: &str) -> AttemptRef {
        AttemptRef {
            id: id.into(),
            attempt: 1,
        }
    }

    #[test]
    fn the_first_reason_wins_but_fencing_always_silences() {
        let r = registry();
        let job = r.add(attempt("a"));
        job.on_action(Action::Continue);
        assert!(!job.cancel.is_cancelled());
        job.on_action(Action::Cancel);
        assert!(job.cancel.is_cancelled() && !job.is_silenced());
        job.on_error(&CallError::Fenced("gone".into()));
        assert_eq!(job.reason(), Some(StopReason::UserCancel));
        assert!(job.is_silenced());
    }

    #[test]
    fn a_401_silences_every_job_and_raises_the_fatal_error() {
        let r = registry();
        let (a, b) = (r.add(attempt("a")), r.add(attempt("b")));
        a.on_error(&CallError::Unauthorized("wrong token".into()));
        assert!(a.is_silenced() && b.is_silenced());
        assert!(r.fatal.error().unwrap().to_string().contains("wrong token"));
        assert_eq!(r.attempts().len(), 2);
        r.remove(&attempt("a"));
        assert_eq!(r.attempts(), vec![attempt("b")]);
    }

    #[test]
    fn jobs_registered_after_stop_all_are_stopped_at_once() {
        let r = registry();
        let a = r.add(attempt("a"));
        r.stop_all(StopReason::Shutdown);
        let b = r.add(attempt("b"));
        assert!(a.cancel.is_cancelled() && b.cancel.is_cancelled());
        assert_eq!(b.reason(), Some(StopReason::Shutdown));
        assert!(!b.is_silenced(), "a shutdown still reports the job");
    }
}
