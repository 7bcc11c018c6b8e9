//! Component instances for the [`ProxyHandler`](wasmtime_wasi_http::handler::ProxyHandler):
//! how they are created, how many requests each takes ([`InstanceMode`]) and when an idle one
//! is dropped.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use wasmtime::component::GuestTaskId;
use wasmtime::{Engine, Store, StoreContextMut};
use wasmtime_wasi_http::handler::{
    HandlerState, Instance, ProxyPre, ShouldAccept, WorkerExpiration, WorkerState, WorkerStatus,
};

use super::InstanceMode;
use crate::host::{HostState, SharedState};

/// Creates instances for the [`ProxyHandler`] and decides how long each lives.
pub(super) struct Instances {
    pub engine: Engine,
    pub pre: ProxyPre<HostState>,
    pub shared: SharedState,
    pub mode: InstanceMode,
    /// Numbers requests, for the logs.
    pub next_request: AtomicU64,
    /// Set once serving ended: instances still alive are then dropped with the runtime.
    pub stopped: Arc<AtomicBool>,
}

impl HandlerState for Instances {
    type StoreData = HostState;
    type WorkerExpiration = IdleExpiry;
    type WorkerState = InstanceLimits;

    async fn instantiate(
        &self,
    ) -> wasmtime::Result<Instance<HostState, IdleExpiry, InstanceLimits>> {
        let mut store = HostState::new_store(&self.engine, &self.shared);
        let proxy = self.pre.instantiate_async(&mut store).await?;
        let (total, concurrent, idle) = match self.mode {
            InstanceMode::PerRequest => (1, 1, Duration::ZERO),
            InstanceMode::Reuse {
                total,
                concurrent,
                idle,
            } => (total, concurrent, idle),
        };
        Ok(Instance {
            store,
            proxy,
            view: wasmtime_wasi_http::WasiHttpView::http,
            expiration: IdleExpiry::new(idle),
            state: InstanceLimits {
                total,
                concurrent,
                stopped: self.stopped.clone(),
            },
        })
    }
}

/// How many requests one instance takes.
pub(super) struct InstanceLimits {
    total: usize,
    concurrent: usize,
    stopped: Arc<AtomicBool>,
}

impl WorkerState for InstanceLimits {
    type StoreData = HostState;
    type RequestData = u64;

    fn should_accept_request(&self, concurrent: usize, total: usize) -> ShouldAccept {
        if total >= self.total {
            ShouldAccept::Never
        } else if concurrent >= self.concurrent {
            ShouldAccept::No
        } else {
            ShouldAccept::Yes
        }
    }

    fn on_request_start(
        &self,
        _store: StoreContextMut<'_, HostState>,
        _request: u64,
        _task: GuestTaskId,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + Sync>> {
        // No request timeout, as in Spin: streams may stay open as long as the client wants.
        Box::pin(std::future::pending())
    }

    fn drop(&self, store: Store<HostState>, result: wasmtime::Result<()>) {
        if let Err(error) = result {
            // The dispatcher reports an instance whose task was dropped as "worker panicked";
            // after serving ended that is the runtime going away, not a failure.
            if self.stopped.load(Ordering::SeqCst) && !std::thread::panicking() {
                tracing::debug!(error = %crate::one_line(&error), "instance dropped at shutdown");
            } else {
                tracing::error!(error = %crate::one_line(&error), "component instance failed");
            }
        }
        drop(store);
    }
}

/// Expires an instance once it has been idle for a while; busy instances never expire.
pub(super) struct IdleExpiry {
    idle: Duration,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl IdleExpiry {
    fn new(idle: Duration) -> Self {
        Self {
            idle,
            sleep: Box::pin(tokio::time::sleep(Duration::ZERO)),
        }
    }
}

impl WorkerExpiration for IdleExpiry {
    fn poll(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        status: WorkerStatus,
        since: Instant,
    ) -> Poll<()> {
        let this = self.get_mut();
        if status != WorkerStatus::Idle {
            return Poll::Pending;
        }
        let deadline = tokio::time::Instant::from_std(since + this.idle);
        if this.sleep.deadline() != deadline {
            this.sleep.as_mut().reset(deadline);
        }
        this.sleep.as_mut().poll(cx)
    }
}
