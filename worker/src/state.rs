//! What the worker's tasks share: the config, the API client, the running jobs, the free slots,
//! the heartbeat interval the server announced, the claim pause after a usage limit, and the
//! fatal error that stops everything.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::api::Api;
use crate::config::WorkerConfig;
use crate::error::Fatal;
use crate::jobs::Registry;
use crate::pause::Pause;

/// The worker's state, shared by the claim loop, the heartbeat and every job.
pub struct Worker {
    pub config: WorkerConfig,
    pub api: Api,
    pub jobs: Registry,
    pub slots: Arc<Slots>,
    pub fatal: Arc<Fatal>,
    /// No claims until a usage limit resets.
    pub pause: Pause,
    /// Why jobs run without the OS sandbox, if they do: the first lines of every job's log.
    pub unconfined: Option<String>,
    heartbeat_ms: AtomicU64,
    lease_ms: AtomicU64,
    max_output_bytes: AtomicU64,
}

impl Worker {
    pub fn new(config: WorkerConfig, api: Api, unconfined: Option<String>) -> Worker {
        let fatal = Arc::new(Fatal::new(config.api.to_string()));
        Worker {
            unconfined,
            lease_ms: AtomicU64::new(0),
            max_output_bytes: AtomicU64::new(crate::config::DEFAULT_MAX_OUTPUT_BYTES),
            jobs: Registry::new(fatal.clone()),
            pause: Pause::default(),
            slots: Arc::new(Slots::new(config.slots as usize)),
            heartbeat_ms: AtomicU64::new(config.heartbeat.as_millis() as u64),
            fatal,
            api,
            config,
        }
    }

    /// How often to heartbeat (the server's `heartbeat_ms` once it said).
    pub fn heartbeat_interval(&self) -> Duration {
        Duration::from_millis(self.heartbeat_ms.load(Ordering::Relaxed).max(100))
    }

    /// Adopts the server's heartbeat interval (0 = not announced).
    pub fn set_heartbeat_ms(&self, ms: u64) {
        if ms > 0 {
            self.heartbeat_ms.store(ms, Ordering::Relaxed);
        }
    }

    /// The lease the server announced (`None` before the first claim answer said).
    pub fn lease(&self) -> Option<Duration> {
        match self.lease_ms.load(Ordering::Relaxed) {
            0 => None,
            ms => Some(Duration::from_millis(ms)),
        }
    }

    /// Largest output file to stage (the server's `max_output_bytes`).
    pub fn max_output_bytes(&self) -> u64 {
        self.max_output_bytes.load(Ordering::Relaxed)
    }

    /// Adopts what a claim answer announced (0 = not said).
    pub fn adopt_claim_terms(&self, heartbeat_ms: u64, lease_ms: u64, max_output_bytes: u64) {
        self.set_heartbeat_ms(heartbeat_ms);
        if lease_ms > 0 {
            self.lease_ms.store(lease_ms, Ordering::Relaxed);
        }
        if max_output_bytes > 0 {
            self.max_output_bytes
                .store(max_output_bytes, Ordering::Relaxed);
        }
    }
}

/// The worker's slots (0-based); each running job holds one, which picks its CLI config dir.
pub struct Slots {
    free: Mutex<BTreeSet<usize>>,
    returned: Notify,
}

impl Slots {
    pub fn new(n: usize) -> Slots {
        Slots {
            free: Mutex::new((0..n).collect()),
            returned: Notify::new(),
        }
    }

    /// Waits until at least one slot is free; how many are.
    pub async fn wait_free(&self) -> usize {
        loop {
            let notified = self.returned.notified();
            let n = self.free.lock().expect("slots").len();
            if n > 0 {
                return n;
            }
            notified.await;
        }
    }

    /// Takes the lowest free slot; it is given back when the guard is dropped.
    pub fn take(self: &Arc<Self>) -> Option<SlotGuard> {
        let n = self.free.lock().expect("slots").pop_first()?;
        Some(SlotGuard {
            slots: self.clone(),
            n,
        })
    }
}

/// A slot held by a job.
pub struct SlotGuard {
    slots: Arc<Slots>,
    pub n: usize,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        self.slots.free.lock().expect("slots").insert(self.n);
        self.slots.returned.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn slots_are_taken_lowest_first_and_given_back_on_drop() {
        let slots = Arc::new(Slots::new(2));
        assert_eq!(slots.wait_free().await, 2);
        let a = slots.take().unwrap();
        let b = slots.take().unwrap();
        assert_eq!((a.n, b.n), (0, 1));
        assert!(slots.take().is_none());
        let waiter = tokio::spawn({
            let slots = slots.clone();
            async move { slots.wait_free().await }
        });
        tokio::task::yield_now().await;
        drop(b);
        assert_eq!(waiter.await.unwrap(), 1);
        assert_eq!(slots.take().unwrap().n, 1);
    }
}
