//! The wasm entry point: converts between wasi:http and [`ApiRequest`]/[`ApiResponse`], and
//! adapts the host's `wasi:keyvalue` bucket, `wasi:config` store and `wasi:http/client` (the
//! webhook pass's way out). Nothing else lives here.

use spin_sdk::experimental::wasi::config::store as config;
use spin_sdk::experimental::wasi::keyvalue::{atomics, batch, store};
use spin_sdk::http::Request;
use spin_sdk::http_service;

use futures::SinkExt;
use spin_sdk::http::body::stream;

use crate::error::ApiError;
use crate::http::{ApiRequest, ApiResponse};
use crate::serving::{self, EVENT_STREAM_HEADERS, EventPump, POLL_INTERVAL, WebhookHost};
use crate::settings::Settings;
use crate::store::{Backend, Store, StoreError, StoreResult};
use crate::webhooks::sender::{Outbound, Outcome, OutgoingRequest};
use crate::{Ctx, Reply, handle};

type Body = http_body_util::Either<
    http_body_util::Full<bytes::Bytes>,
    http_body_util::combinators::UnsyncBoxBody<bytes::Bytes, anyhow::Error>,
>;

#[http_service]
async fn serve(req: Request) -> spin_sdk::http::Response<Body> {
    let settings = Settings::from_lookup(|key| config::get(key).ok().flatten());
    let api_req = match read_request(req, serving::body_limit(&settings)).await {
        Ok(r) => r,
        Err(resp) => return into_http(resp),
    };
    let kv = match open_store(&settings) {
        Ok(kv) => kv,
        Err(resp) => return into_http(resp),
    };
    let reply = handle(&ctx(&kv, &settings), &api_req);
    if let Some(trigger) = serving::webhook_trigger(&settings, &api_req, &reply)
        && let Ok(kv) = open_store(&settings)
    {
        // Runs beside the answer (and after it, until done): the answer never waits for it.
        let host = Host {
            kv,
            settings: settings.clone(),
        };
        spin_sdk::wasip3::spawn(async move { serving::deliver_webhooks(&host, trigger).await });
    }
    match reply {
        Reply::Full(resp) => into_http(resp),
        Reply::Claim(wait) => loop {
            spin_sdk::time::sleep(POLL_INTERVAL).await;
            if let Some(resp) = wait.step(&ctx(&kv, &settings)) {
                break into_http(resp);
            }
        },
        Reply::Events(events) => event_stream(events, settings),
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn random() -> u64 {
    spin_sdk::wasip3::random::random::get_random_u64()
}

fn ctx<'a>(kv: &'a Backend<KvStore>, settings: &'a Settings) -> Ctx<'a> {
    Ctx {
        store: kv,
        settings,
        now_ms: now_ms(),
        random: &random,
    }
}

/// The `default` bucket, its `get-many` used only if `kv_batch_reads` allows.
fn open_store(settings: &Settings) -> Result<Backend<KvStore>, ApiResponse> {
    let batch_reads = settings.kv_batch_reads;
    let backend = |bucket| Backend {
        store: KvStore(bucket),
        batch_reads,
    };
    store::open("default").map(backend).map_err(|e| {
        ApiError::Store(StoreError(format!("open default store: {e:?}"))).into_response()
    })
}

/// What a webhook pass runs on: its own store handle and the settings.
struct Host {
    kv: Backend<KvStore>,
    settings: Settings,
}

impl WebhookHost for Host {
    fn with_ctx<T>(&self, f: impl FnOnce(&Ctx) -> T) -> T {
        f(&ctx(&self.kv, &self.settings))
    }

    async fn pause(&self, duration: std::time::Duration) {
        spin_sdk::time::sleep(duration).await;
    }
}

impl Outbound for Host {
    /// `wasi:http/client.send`, given up after the request's timeout. The host decides whether
    /// the destination is allowed at all (Spin: `allowed_outbound_hosts`).
    async fn send(&self, request: &OutgoingRequest) -> Outcome {
        let mut builder = spin_sdk::http::Request::builder()
            .method("POST")
            .uri(request.url.as_str());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let body = http_body_util::Full::new(bytes::Bytes::from(request.body.clone()));
        let outgoing = builder
            .body(body)
            .map_err(|e| format!("invalid request: {e}"))?;
        let answer = std::pin::pin!(spin_sdk::http::send(outgoing));
        let timeout = std::pin::pin!(spin_sdk::time::sleep(request.timeout));
        match futures::future::select(answer, timeout).await {
            futures::future::Either::Left((Ok(response), _)) => Ok(response.status().as_u16()),
            futures::future::Either::Left((Err(e), _)) => Err(describe(&e)),
            futures::future::Either::Right(_) => {
                Err(format!("no answer within {} s", request.timeout.as_secs()))
            }
        }
    }
}

/// A `wasi:http` error in words, for the deliveries admins read.
fn describe(e: &spin_sdk::wasip3::http::types::ErrorCode) -> String {
    use spin_sdk::wasip3::http::types::ErrorCode as E;
    match e {
        E::HttpRequestDenied => {
            "refused by the server's host: not an allowed outbound destination".into()
        }
        E::ConnectionRefused => "connection refused".into(),
        E::ConnectionTimeout => "the connection timed out".into(),
        E::DnsError(_) | E::DnsTimeout | E::DestinationNotFound => {
            "the host name could not be resolved".into()
        }
        E::TlsCertificateError | E::TlsProtocolError | E::TlsAlertReceived(_) => {
            format!("TLS failed ({e:?})")
        }
        E::HttpResponseTimeout | E::ConnectionReadTimeout => "no answer in time".into(),
        other => format!("{other:?}"),
    }
}

/// Streams a job's events: polls the store and sends whatever is new, until the job's log is
/// complete, the client goes away, or the stream's time is up (see [`serving`]).
fn event_stream(mut events: EventPump, settings: Settings) -> spin_sdk::http::Response<Body> {
    let (mut tx, body) = stream::<bytes::Bytes>();
    spin_sdk::wasip3::spawn(async move {
        let Ok(kv) = open_store(&settings) else {
            return;
        };
        if tx
            .send(bytes::Bytes::from_static(EventPump::PREAMBLE))
            .await
            .is_err()
        {
            return;
        }
        loop {
            let chunk = events.step(&ctx(&kv, &settings));
            if !chunk.bytes.is_empty() && tx.send(bytes::Bytes::from(chunk.bytes)).await.is_err() {
                return;
            }
            if chunk.done {
                return;
            }
            spin_sdk::time::sleep(POLL_INTERVAL).await;
        }
    });
    let body = http_body_util::BodyExt::boxed_unsync(body);
    let mut builder = spin_sdk::http::Response::builder().status(200);
    for (name, value) in EVENT_STREAM_HEADERS {
        builder = builder.header(name, value);
    }
    builder
        .body(http_body_util::Either::Right(body))
        .unwrap_or_else(|_| into_http(ApiResponse::empty(500)))
}

/// Reads the request (see [`serving::read_request`]); Spin reports the host only in its full URL.
async fn read_request(req: Request, limit: u64) -> Result<ApiRequest, ApiResponse> {
    let mut api = serving::read_request(req, limit).await?;
    if api.header("host").is_none() {
        let authority = api
            .header("spin-full-url")
            .and_then(|url| url.parse::<spin_sdk::http::Uri>().ok())
            .and_then(|url| url.authority().map(ToString::to_string));
        if let Some(authority) = authority {
            api.headers.push(("host".into(), authority));
        }
    }
    Ok(api)
}

fn into_http(resp: ApiResponse) -> spin_sdk::http::Response<Body> {
    let mut builder = spin_sdk::http::Response::builder().status(resp.status);
    for (name, value) in &resp.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let full =
        |b: Vec<u8>| http_body_util::Either::Left(http_body_util::Full::new(bytes::Bytes::from(b)));
    builder.body(full(resp.body)).unwrap_or_else(|_| {
        let mut fallback = spin_sdk::http::Response::new(full(Vec::new()));
        *fallback.status_mut() = spin_sdk::http::StatusCode::INTERNAL_SERVER_ERROR;
        fallback
    })
}

/// The host's `wasi:keyvalue` bucket behind the crate's [`Store`] trait.
struct KvStore(store::Bucket);

fn kv_err(op: &str) -> impl Fn(store::Error) -> StoreError + '_ {
    move |e| StoreError(format!("{op}: {e:?}"))
}

impl Store for KvStore {
    fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.0.get(key).map_err(kv_err("get"))
    }

    fn set(&self, key: &str, value: &[u8]) -> StoreResult<()> {
        self.0.set(key, value).map_err(kv_err("set"))
    }

    fn delete(&self, key: &str) -> StoreResult<()> {
        self.0.delete(key).map_err(kv_err("delete"))
    }

    fn increment(&self, key: &str, delta: i64) -> StoreResult<i64> {
        atomics::increment(&self.0, key, delta).map_err(kv_err("increment"))
    }

    fn get_many(&self, keys: &[String]) -> StoreResult<Vec<Option<Vec<u8>>>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let found = batch::get_many(&self.0, keys).map_err(kv_err("get-many"))?;
        Ok(crate::store::in_asked_order(keys, found))
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> StoreResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        batch::set_many(&self.0, entries).map_err(kv_err("set-many"))
    }

    fn delete_many(&self, keys: &[String]) -> StoreResult<()> {
        if keys.is_empty() {
            return Ok(());
        }
        batch::delete_many(&self.0, keys).map_err(kv_err("delete-many"))
    }
}
