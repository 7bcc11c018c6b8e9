//! The API without the `.wasm`: the component's request handler ([`api_component::handle`]),
//! compiled natively, over a [`MemoryStore`], behind hyper on a loopback port.
//!
//! For tests of job flows (the worker against a real HTTP API, the UI against real job
//! semantics) that do not test the component's packaging: it starts in milliseconds instead of
//! compiling a component, and every test gets a store of its own. It drives long-poll claims and
//! event streams with [`api_component::serving`], as the `.wasm` entry point does, and sets the
//! client-address header as a host must. It runs the webhook pass beside the answers that call
//! for one ([`serving::deliver_webhooks`]), sending with hyper's client ([`outbound`]). What it
//! leaves out is what the black-box tests against
//! `runner serve` keep covering: the component's imports, the SQLite store, admission limits,
//! timeouts, and surviving a killed process.
//!
//! ```no_run
//! let api = native_api::NativeApi::start(Default::default());
//! println!("{}", api.url("/health"));
//! ```

use std::collections::hash_map::RandomState;
use std::convert::Infallible;
use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;

mod outbound;

use api_component::http::{ApiRequest, ApiResponse};
use api_component::serving::{self, EVENT_STREAM_HEADERS, EventPump, POLL_INTERVAL, WebhookHost};
use api_component::settings::Settings;
use api_component::store::MemoryStore;
use api_component::webhooks::sender::{Outbound, Outcome, OutgoingRequest};
use api_component::{Ctx, Reply, handle};
use bytes::Bytes;
use http_body_util::channel::Channel;
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use protocol::host::CLIENT_ADDR_HEADER;
use tokio::sync::oneshot;

type Body = Either<Full<Bytes>, Channel<Bytes, Infallible>>;

/// A running API. Dropping it stops the server and closes every open connection.
pub struct NativeApi {
    addr: SocketAddr,
    store: Arc<MemoryStore>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl NativeApi {
    /// Serves `settings` over a new, empty store on a free loopback port.
    ///
    /// # Panics
    /// If no loopback port can be bound or no thread started (the machine is unusable for tests).
    pub fn start(settings: Settings) -> NativeApi {
        let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
        Self::start_on(any_port, settings, Arc::new(MemoryStore::new()))
            .expect("start the native API on a loopback port")
    }

    /// Serves `settings` over `store` on `listen` (for example the address of a server stopped
    /// before, to bring it back with its data).
    pub fn start_on(
        listen: SocketAddr,
        settings: Settings,
        store: Arc<MemoryStore>,
    ) -> std::io::Result<NativeApi> {
        let listener = std::net::TcpListener::bind(listen)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("native-api")
            .enable_all()
            .build()?;
        let shared = Arc::new(Shared {
            store: store.clone(),
            settings,
            seed: RandomState::new(),
            draws: AtomicU64::new(0),
        });
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("native-api".into())
            .spawn(move || runtime.block_on(accept(listener, shared, stopped)))?;
        Ok(NativeApi {
            addr,
            store,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The store behind the API, for assertions on what it holds.
    pub fn store(&self) -> &Arc<MemoryStore> {
        &self.store
    }
}

impl Drop for NativeApi {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // The runtime, and with it every connection task, ends with the thread.
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What every request shares.
struct Shared {
    store: Arc<MemoryStore>,
    settings: Settings,
    seed: RandomState,
    draws: AtomicU64,
}

impl WebhookHost for Shared {
    /// Runs `f` with a context of this moment.
    fn with_ctx<T>(&self, f: impl FnOnce(&Ctx) -> T) -> T {
        let random = || {
            self.seed
                .hash_one(self.draws.fetch_add(1, Ordering::Relaxed))
        };
        let ctx = Ctx {
            store: self.store.as_ref(),
            settings: &self.settings,
            now_ms: now_ms(),
            random: &random,
        };
        f(&ctx)
    }

    async fn pause(&self, duration: std::time::Duration) {
        tokio::time::sleep(duration).await;
    }
}

impl Outbound for Shared {
    fn send(&self, request: &OutgoingRequest) -> impl Future<Output = Outcome> {
        outbound::send(request)
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

async fn accept(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    mut stopped: oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: try again shortly.
                Err(_) => {
                    tokio::time::sleep(POLL_INTERVAL).await;
                    continue;
                }
            },
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| answer(shared.clone(), peer, req));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn answer(
    shared: Arc<Shared>,
    peer: SocketAddr,
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Body>, Infallible> {
    let api_req = match read_request(req, peer, serving::body_limit(&shared.settings)).await {
        Ok(r) => r,
        Err(refused) => return Ok(full(refused)),
    };
    let reply = shared.with_ctx(|ctx| handle(ctx, &api_req));
    if let Some(trigger) = serving::webhook_trigger(&shared.settings, &api_req, &reply) {
        let shared = shared.clone();
        tokio::spawn(async move { serving::deliver_webhooks(&*shared, trigger).await });
    }
    Ok(match reply {
        Reply::Full(resp) => full(resp),
        Reply::Claim(wait) => loop {
            tokio::time::sleep(POLL_INTERVAL).await;
            if let Some(resp) = shared.with_ctx(|ctx| wait.step(ctx)) {
                break full(resp);
            }
        },
        Reply::Events(pump) => event_stream(shared, pump),
    })
}

/// The request as the component sees it (see [`serving::read_request`]), with the client's
/// address the host saw in place of any the client sent.
async fn read_request(
    req: hyper::Request<Incoming>,
    peer: SocketAddr,
    limit: u64,
) -> Result<ApiRequest, ApiResponse> {
    let mut api = serving::read_request(req, limit).await?;
    api.headers.retain(|(name, _)| name != CLIENT_ADDR_HEADER);
    api.headers
        .push((CLIENT_ADDR_HEADER.to_owned(), peer.to_string()));
    Ok(api)
}

fn full(resp: ApiResponse) -> hyper::Response<Body> {
    let mut builder = hyper::Response::builder().status(resp.status);
    for (name, value) in &resp.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder
        .body(Either::Left(Full::new(Bytes::from(resp.body))))
        .unwrap_or_else(|_| {
            let mut fallback = hyper::Response::new(Either::Left(Full::default()));
            *fallback.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
            fallback
        })
}

/// Sends an event stream from a task of its own until it is done or the client goes away.
fn event_stream(shared: Arc<Shared>, mut pump: EventPump) -> hyper::Response<Body> {
    let (mut tx, body) = Channel::<Bytes, Infallible>::new(16);
    tokio::spawn(async move {
        if tx
            .send_data(Bytes::from_static(EventPump::PREAMBLE))
            .await
            .is_err()
        {
            return;
        }
        loop {
            let chunk = shared.with_ctx(|ctx| pump.step(ctx));
            if !chunk.bytes.is_empty() && tx.send_data(Bytes::from(chunk.bytes)).await.is_err() {
                return;
            }
            if chunk.done {
                return;
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    });
    let mut builder = hyper::Response::builder().status(200);
    for (name, value) in EVENT_STREAM_HEADERS {
        builder = builder.header(name, value);
    }
    builder
        .body(Either::Right(body))
        .unwrap_or_else(|_| full(ApiResponse::empty(500)))
}
