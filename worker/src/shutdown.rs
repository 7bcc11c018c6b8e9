//! Stopping a worker in two stages.
//!
//! 1. **Drain** (first SIGINT/SIGTERM): claim nothing more; running jobs finish and are reported
//!    normally, with heartbeats going on. A claim already waiting at the server is waited for,
//!    so a job it hands out is run rather than stranded until its lease runs out.
//! 2. **Abort** (second signal): running jobs are stopped and reported `cancelled`, which the
//!    server turns into a requeue (no user asked for it); then the worker exits.

use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// The shutdown switch handed to [`crate::run`]. Clones share the same state.
#[derive(Clone, Debug, Default)]
pub struct Shutdown {
    drain: CancellationToken,
    abort: CancellationToken,
}

impl Shutdown {
    /// A switch that only changes when told to (tests, `runner up`).
    pub fn new() -> Shutdown {
        Shutdown::default()
    }

    /// A switch driven by SIGINT and SIGTERM: the first drains, the second aborts. Installs
    /// the handlers at once, so must be called inside a tokio runtime.
    pub fn on_signals() -> std::io::Result<Shutdown> {
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        let shutdown = Shutdown::new();
        let handle = shutdown.clone();
        tokio::spawn(async move {
            loop {
                let name = tokio::select! {
                    Some(()) = interrupt.recv() => "SIGINT",
                    Some(()) = terminate.recv() => "SIGTERM",
                    else => return,
                };
                tracing::info!(signal = name, "shutdown signal");
                if handle.escalate() {
                    return;
                }
            }
        });
        Ok(shutdown)
    }

    /// Stage 1: stop claiming, let running jobs finish.
    pub fn drain(&self) {
        if !self.drain.is_cancelled() {
            tracing::info!(
                "draining: no new jobs; running jobs finish (signal again to cancel them)"
            );
        }
        self.drain.cancel();
    }

    /// Stage 2: also stop running jobs and give them back to the queue.
    pub fn abort(&self) {
        if !self.abort.is_cancelled() {
            tracing::info!("aborting: cancelling running jobs, they go back to the queue");
        }
        self.drain.cancel();
        self.abort.cancel();
    }

    /// The next stage: drain, or abort if already draining. True once aborted.
    pub fn escalate(&self) -> bool {
        if self.drain.is_cancelled() {
            self.abort();
            true
        } else {
            self.drain();
            false
        }
    }

    pub fn is_draining(&self) -> bool {
        self.drain.is_cancelled()
    }

    pub fn is_aborted(&self) -> bool {
        self.abort.is_cancelled()
    }

    /// Resolves once draining started.
    pub async fn drained(&self) {
        self.drain.cancelled().await
    }

    /// Resolves once aborted.
    pub async fn aborted(&self) {
        self.abort.cancelled().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escalation_goes_drain_then_abort() {
        let s = Shutdown::new();
        let seen = s.clone();
        assert!(!s.escalate());
        assert!(seen.is_draining() && !seen.is_aborted());
        assert!(s.escalate());
        assert!(seen.is_aborted());
    }
}
