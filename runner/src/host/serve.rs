//! Serving HTTP: accept connections, hand each request to a component instance, shut down
//! gracefully.
//!
//! Requests go through `wasmtime_wasi_http::handler::ProxyHandler` (the dispatcher `wasmtime
//! serve` uses), configured by [`InstanceMode`]: a fresh instance per request, or instances
//! reused for many requests at once. Either way every request runs as its own task, so a
//! long-lived response (an SSE stream) never holds up others.
//!
//! Slow clients are bounded ([`Limits`]): a request head must arrive within
//! [`Limits::header_timeout`], a request body must keep arriving ([`timed_body`]), and
//! [`admission`] lets requests in from two pools (one reserved for runners, so claims and
//! heartbeats get through however full the other is) and caps open event streams.
//!
//! Shutdown: when the token is cancelled the listener closes, each connection finishes the
//! request it is serving (idle keep-alive connections close at once), and after
//! [`Limits::grace`] whatever is still running (a stream that never ends) is dropped.

mod admission;
mod instances;
mod timed_body;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use wasmtime::component::Component;
use wasmtime_wasi_http::WasiBody;
use wasmtime_wasi_http::handler::{ProxyHandler, ProxyPre};
use wasmtime_wasi_http::p3::bindings::ServicePre;

use self::admission::{Admission, Refused};
use self::instances::Instances;
use self::timed_body::{BodyTimeouts, TimedBody};
use super::SharedState;

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

/// Bounds on the server. A request holds its slot until its response body is finished.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Requests handled at once, runners' aside; more wait for a slot.
    pub max_concurrent_requests: usize,
    /// Slots reserved for runner-protocol requests (`/api/runner/*` with the runner token),
    /// which take no others; more wait.
    pub runner_requests: usize,
    /// Longest a connection may take to send a request head (an idle keep-alive connection
    /// included); then it is closed.
    pub header_timeout: Duration,
    /// Longest wait for the next part of a request body; then the body fails.
    pub body_idle_timeout: Duration,
    /// Longest a whole request body may take; then it fails.
    pub body_timeout: Duration,
    /// Event streams (`GET /api/jobs/{id}/events`) open at once; more get 429.
    pub max_event_streams: usize,
    /// Event streams open at once from one client address (IPv6: one /64); more get 429.
    pub max_event_streams_per_client: usize,
    /// How long in-flight requests may run after shutdown begins.
    pub grace: Duration,
}

/// Seconds a client refused for too many event streams is asked to wait.
const RETRY_STREAMS_SECS: u32 = 5;

/// The component variable holding the runners' bearer token.
const RUNNER_TOKEN_VARIABLE: &str = "runner_token";
use protocol::host::CLIENT_ADDR_HEADER;

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
    gate: Gate,
    limits: Limits,
}

/// What every connection shares: the dispatcher and who gets in.
#[derive(Clone)]
struct Gate {
    handler: ProxyHandler<Instances>,
    admission: Arc<Admission>,
    body_timeouts: BodyTimeouts,
    header_timeout: Duration,
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
        let admission = Admission::new(&limits, runner_token(&shared));
        let handler = ProxyHandler::new(Instances {
            engine,
            pre: ProxyPre::P3(pre),
            shared,
            mode,
            next_request: AtomicU64::new(0),
            stopped: Arc::new(AtomicBool::new(false)),
        });
        let gate = Gate {
            handler,
            admission: Arc::new(admission),
            body_timeouts: BodyTimeouts {
                idle: limits.body_idle_timeout,
                total: limits.body_timeout,
            },
            header_timeout: limits.header_timeout,
        };
        Ok(Server { gate, limits })
    }

    /// Serves connections from `listener` until `shutdown` is cancelled, then drains.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        let connections = TaskTracker::new();
        loop {
            let (stream, peer) = tokio::select! {
                _ = shutdown.cancelled() => break,
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
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
                peer,
                self.gate.clone(),
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
        self.gate.admission.close();
        self.gate
            .handler
            .state()
            .stopped
            .store(true, Ordering::SeqCst);
        Ok(())
    }
}

/// The token the component expects from runners, read as the component reads it.
fn runner_token(shared: &SharedState) -> String {
    use super::bindings::config_store::Host as _;
    match (&shared.config).get(RUNNER_TOKEN_VARIABLE.to_owned()) {
        Ok(Ok(Some(token))) => token,
        _ => String::new(),
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    gate: Gate,
    shutdown: CancellationToken,
) {
    // Small SSE writes must not wait for Nagle's algorithm.
    let _ = stream.set_nodelay(true);
    let header_timeout = gate.header_timeout;
    let service = hyper::service::service_fn(move |request| {
        let gate = gate.clone();
        async move { Ok::<_, Infallible>(handle(&gate, peer, request).await) }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
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

/// Lets `request` in (or refuses it), hands it to the component with a timed body, and
/// returns the response holding its admission ticket.
async fn handle(
    gate: &Gate,
    peer: SocketAddr,
    mut request: hyper::Request<Incoming>,
) -> hyper::Response<WasiBody> {
    let started = Instant::now();
    let client = peer.ip();
    // The component tells a loopback client (the user's own browser) by it, as under Spin,
    // which sets the same header; a value the client sent itself is replaced.
    if let Ok(value) = http::HeaderValue::from_str(&peer.to_string()) {
        request.headers_mut().insert(CLIENT_ADDR_HEADER, value);
    }
    with_authority(&mut request);
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let lane = gate.admission.lane(&request);
    let ticket = match gate.admission.admit(lane, client).await {
        Ok(ticket) => ticket,
        Err(refused) => {
            tracing::debug!(%client, %method, path, ?refused, "request refused");
            return refused_response(refused);
        }
    };
    let handler = &gate.handler;
    let id = handler.state().next_request.fetch_add(1, Ordering::Relaxed);
    tracing::trace!(id, %method, path, ?lane, "request received");
    let timeouts = gate.body_timeouts;
    let request = request.map(|body| TimedBody::new(body, timeouts).boxed_unsync());
    let response = match handler.handle(id, request).await {
        Ok(response) => response,
        Err(error) => {
            tracing::error!(id, %method, path, error = %crate::one_line(&error), "component failed");
            error_response(http::StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    };
    tracing::debug!(id, %method, path, status = response.status().as_u16(), elapsed = ?started.elapsed(), "request");
    response.map(|body| ticket.hold(body))
}

/// Puts the `Host` header into the request's URI: wasi:http keeps `Host` from the guest and
/// passes the authority instead, and the component checks it (see its `guard` module).
fn with_authority<B>(request: &mut hyper::Request<B>) {
    if request.uri().authority().is_some() {
        return;
    }
    let Some(authority) = request
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.parse::<http::uri::Authority>().ok())
    else {
        return;
    };
    let mut parts = request.uri().clone().into_parts();
    parts.scheme = Some(http::uri::Scheme::HTTP);
    parts.authority = Some(authority);
    if parts.path_and_query.is_none() {
        parts.path_and_query = Some(http::uri::PathAndQuery::from_static("/"));
    }
    if let Ok(uri) = http::Uri::from_parts(parts) {
        *request.uri_mut() = uri;
    }
}

/// The host's own answer to a request it did not let in.
fn refused_response(refused: Refused) -> hyper::Response<WasiBody> {
    let message = match refused {
        Refused::ShuttingDown => {
            return error_response(
                http::StatusCode::SERVICE_UNAVAILABLE,
                "the server is shutting down",
            );
        }
        Refused::StreamsPerClient { limit } => {
            format!("too many event streams from this client (at most {limit} at once)")
        }
        Refused::StreamsTotal { limit } => {
            format!("too many event streams on this server (at most {limit} at once)")
        }
    };
    let mut response = error_response(http::StatusCode::TOO_MANY_REQUESTS, &message);
    response
        .headers_mut()
        .insert(http::header::RETRY_AFTER, RETRY_STREAMS_SECS.into());
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

/// Address a listener is bound to, for the start-up message.
pub fn local_addr(listener: &TcpListener) -> anyhow::Result<SocketAddr> {
    listener
        .local_addr()
        .context("listener has no local address")
}
