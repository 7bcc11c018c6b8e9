//! Serving HTTP: accept connections, hand each request to a component instance, shut down
//! gracefully.
//!
//! Requests go through `wasmtime_wasi_http::handler::ProxyHandler` (the dispatcher `wasmtime
//! serve` uses), configured by [`InstanceMode`]: a fresh instance per request, or instances
//! reused for many requests at once. Either way every request runs as its own task, so a
//! long-lived response (an SSE stream) never holds up others.
//!
//! Shutdown: when the token is cancelled the listener closes, each connection finishes the
//! request it is serving (idle keep-alive connections close at once), and after
//! [`Limits::grace`] whatever is still running (a stream that never ends) is dropped.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use wasmtime::component::{Component, GuestTaskId};
use wasmtime::{Engine, Store, StoreContextMut};
use wasmtime_wasi_http::WasiBody;
use wasmtime_wasi_http::handler::{
    HandlerState, Instance, ProxyHandler, ProxyPre, ShouldAccept, WorkerExpiration, WorkerState,
    WorkerStatus,
};
use wasmtime_wasi_http::p3::bindings::ServicePre;

use super::{HostState, SharedState};

/// How component instances are used for requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceMode {
    /// Each request gets a new instance, dropped when its response is done.
    PerRequest,
    /// An instance serves up to `concurrent` requests at once and `total` in its lifetime, and
    /// is dropped after `idle` without requests.
    Reuse {
        total: usize,
        concurrent: usize,
        idle: Duration,
    },
}

impl InstanceMode {
    /// The defaults `wasmtime serve` uses for WASIp3 components.
    pub const REUSE_DEFAULT: InstanceMode = InstanceMode::Reuse {
        total: 128,
        concurrent: 16,
        idle: Duration::from_secs(1),
    };
}

/// Bounds on the server.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Requests handled at once; more wait for a slot.
    pub max_concurrent_requests: usize,
    /// How long in-flight requests may run after shutdown begins.
    pub grace: Duration,
}

/// Binds `addr`, with a readable error when that fails (typically: the port is in use).
pub fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    let listener = std::net::TcpListener::bind(addr).map_err(|e| {
        let hint = match e.kind() {
            std::io::ErrorKind::AddrInUse => {
                " (is another runner or `spin up` using it? pick another with --listen)"
            }
            _ => "",
        };
        anyhow::anyhow!("cannot listen on {addr}: {e}{hint}")
    })?;
    listener.set_nonblocking(true)?;
    Ok(TcpListener::from_std(listener)?)
}

/// Everything needed to serve: the compiled component and the state its instances share.
pub struct Server {
    handler: ProxyHandler<Instances>,
    limits: Limits,
}

impl Server {
    /// Pre-links the component; fails if the linker lacks any of its imports.
    pub fn new(
        component: &Component,
        shared: SharedState,
        mode: InstanceMode,
        limits: Limits,
    ) -> anyhow::Result<Server> {
        let engine = component.engine().clone();
        let linker = super::linker(&engine)?;
        let pre = linker
            .instantiate_pre(component)
            .map_err(|e| anyhow::anyhow!("cannot link the component: {}", crate::one_line(&e)))?;
        let pre = ServicePre::new(pre).map_err(|e| {
            anyhow::anyhow!("the component does not export wasi:http/handler@0.3: {e}")
        })?;
        let handler = ProxyHandler::new(Instances {
            engine,
            pre: ProxyPre::P3(pre),
            shared,
            mode,
            requests: Semaphore::new(limits.max_concurrent_requests),
            next_request: AtomicU64::new(0),
            stopped: Arc::new(AtomicBool::new(false)),
        });
        Ok(Server { handler, limits })
    }

    /// Serves connections from `listener` until `shutdown` is cancelled, then drains.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        let connections = TaskTracker::new();
        loop {
            let stream = tokio::select! {
                _ = shutdown.cancelled() => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(error) => {
                        // Usually running out of file descriptors: back off instead of spinning.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            connections.spawn(serve_connection(
                stream,
                self.handler.clone(),
                shutdown.clone(),
            ));
        }
        drop(listener);
        connections.close();
        tracing::info!(
            connections = connections.len(),
            "shutting down: no longer accepting connections"
        );
        if tokio::time::timeout(self.limits.grace, connections.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                connections = connections.len(),
                grace = ?self.limits.grace,
                "grace period over; dropping unfinished responses"
            );
        }
        let state = self.handler.state();
        state.requests.close();
        state.stopped.store(true, Ordering::SeqCst);
        Ok(())
    }
}

async fn serve_connection(
    stream: TcpStream,
    handler: ProxyHandler<Instances>,
    shutdown: CancellationToken,
) {
    // Small SSE writes must not wait for Nagle's algorithm.
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |request| {
        let handler = handler.clone();
        async move { Ok::<_, Infallible>(handle(&handler, request).await) }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        _ = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = result {
        tracing::debug!(%error, "connection ended with an error");
    }
}

async fn handle(
    handler: &ProxyHandler<Instances>,
    request: hyper::Request<Incoming>,
) -> hyper::Response<WasiBody> {
    let started = Instant::now();
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let state = handler.state();
    let Ok(_permit) = state.requests.acquire().await else {
        return error_response(
            http::StatusCode::SERVICE_UNAVAILABLE,
            "the server is shutting down",
        );
    };
    let id = state.next_request.fetch_add(1, Ordering::Relaxed);
    tracing::trace!(id, %method, path, "request received");
    let request = request.map(|body| body.map_err(wasmtime_wasi_http::Error::from).boxed_unsync());
    let response = match handler.handle(id, request).await {
        Ok(response) => response,
        Err(error) => {
            tracing::error!(id, %method, path, error = %crate::one_line(&error), "component failed");
            error_response(http::StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    };
    tracing::debug!(id, %method, path, status = response.status().as_u16(), elapsed = ?started.elapsed(), "request");
    response
}

/// A JSON error body shaped like the API's own (`{"error": "..."}`).
fn error_response(status: http::StatusCode, message: &str) -> hyper::Response<WasiBody> {
    let body = format!("{{\"error\":\"{message}\"}}");
    let mut response = hyper::Response::new(
        Full::new(bytes::Bytes::from(body))
            .map_err(|e| match e {})
            .boxed_unsync(),
    );
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

/// Creates instances for the [`ProxyHandler`] and decides how long each lives.
struct Instances {
    engine: Engine,
    pre: ProxyPre<HostState>,
    shared: SharedState,
    mode: InstanceMode,
    requests: Semaphore,
    next_request: AtomicU64,
    /// Set once serving ended: instances still alive are then dropped with the runtime.
    stopped: Arc<AtomicBool>,
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
struct InstanceLimits {
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
struct IdleExpiry {
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

/// Address a listener is bound to, for the start-up message.
pub fn local_addr(listener: &TcpListener) -> anyhow::Result<SocketAddr> {
    listener
        .local_addr()
        .context("listener has no local address")
}
