//! The wasm entry point: converts between wasi:http and [`ApiRequest`]/[`ApiResponse`], and
//! adapts the host's `wasi:keyvalue` bucket and `wasi:config` store. Nothing else lives here.

use http_body_util::{BodyExt, Limited};
use spin_sdk::experimental::wasi::config::store as config;
use spin_sdk::experimental::wasi::keyvalue::{atomics, batch, store};
use spin_sdk::http::Request;
use spin_sdk::http_service;

use std::time::Duration;

use futures::SinkExt;
use spin_sdk::http::body::stream;

use crate::error::ApiError;
use crate::http::{ApiRequest, ApiResponse};
use crate::jobs::events::EventStream;
use crate::settings::Settings;
use crate::store::{Store, StoreError, StoreResult};
use crate::{Ctx, Reply, claim_again, claim_empty, handle};

/// Room for multipart framing on top of the largest document or upload.
const BODY_SLACK_BYTES: u64 = 64 * 1024;
/// How often waiting claims and event streams look at the store again (there is no watch).
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// Event streams end after this long; browsers reconnect with `Last-Event-ID`.
const STREAM_MAX: Duration = Duration::from_secs(300);
/// A comment line this often keeps idle streams open through proxies.
const KEEPALIVE_EVERY: u32 = 150;

type Body = http_body_util::Either<
    http_body_util::Full<bytes::Bytes>,
    http_body_util::combinators::UnsyncBoxBody<bytes::Bytes, anyhow::Error>,
>;

#[http_service]
async fn serve(req: Request) -> spin_sdk::http::Response<Body> {
    let settings = Settings::from_lookup(|key| config::get(key).ok().flatten());
    let api_req = match read_request(req, settings.max_body_bytes() + BODY_SLACK_BYTES).await {
        Ok(r) => r,
        Err(resp) => return into_http(resp),
    };
    let kv = match open_store() {
        Ok(kv) => kv,
        Err(resp) => return into_http(resp),
    };
    let reply = handle(&ctx(&kv, &settings), &api_req);
    match reply {
        Reply::Full(resp) => into_http(resp),
        Reply::Claim {
            request,
            deadline_ms,
        } => loop {
            spin_sdk::time::sleep(POLL_INTERVAL).await;
            let c = ctx(&kv, &settings);
            if let Some(resp) = claim_again(&c, &request) {
                break into_http(resp);
            }
            if c.now_ms >= deadline_ms {
                break into_http(claim_empty(&c));
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

fn ctx<'a>(kv: &'a KvStore, settings: &'a Settings) -> Ctx<'a> {
    Ctx {
        store: kv,
        settings,
        now_ms: now_ms(),
        random: &random,
    }
}

fn open_store() -> Result<KvStore, ApiResponse> {
    store::open("default").map(KvStore).map_err(|e| {
        ApiError::Store(StoreError(format!("open default store: {e:?}"))).into_response()
    })
}

/// Streams a job's events: polls the store and sends whatever is new, until the job's log is
/// complete, the client goes away, or [`STREAM_MAX`] passes.
fn event_stream(mut events: EventStream, settings: Settings) -> spin_sdk::http::Response<Body> {
    let (mut tx, body) = stream::<bytes::Bytes>();
    spin_sdk::wasip3::spawn(async move {
        let Ok(kv) = open_store() else { return };
        if tx
            .send(bytes::Bytes::from_static(EventStream::preamble()))
            .await
            .is_err()
        {
            return;
        }
        let started = now_ms();
        let mut idle_polls = 0u32;
        loop {
            let c = ctx(&kv, &settings);
            let (bytes, done) = match events.poll(&c) {
                Ok(r) => r,
                Err(e) => (
                    format!(
                        "event: error\ndata: {}\n\n",
                        serde_json::json!({"error": e.to_string()})
                    )
                    .into_bytes(),
                    true,
                ),
            };
            idle_polls = if bytes.is_empty() { idle_polls + 1 } else { 0 };
            let chunk = if idle_polls >= KEEPALIVE_EVERY {
                idle_polls = 0;
                b": keepalive\n\n".to_vec()
            } else {
                bytes
            };
            if !chunk.is_empty() && tx.send(bytes::Bytes::from(chunk)).await.is_err() {
                return;
            }
            if done || now_ms() - started > STREAM_MAX.as_millis() as i64 {
                return;
            }
            spin_sdk::time::sleep(POLL_INTERVAL).await;
        }
    });
    let body = http_body_util::BodyExt::boxed_unsync(body);
    spin_sdk::http::Response::builder()
        .status(200)
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .header("x-accel-buffering", "no")
        .body(http_body_util::Either::Right(body))
        .unwrap_or_else(|_| into_http(ApiResponse::empty(500)))
}

/// Reads the request, refusing bodies over `limit` bytes before buffering them.
async fn read_request(req: Request, limit: u64) -> Result<ApiRequest, ApiResponse> {
    let (parts, body) = req.into_parts();
    let mut api = ApiRequest::new(parts.method.as_str(), "");
    api.path = parts.uri.path().to_owned();
    api.query = parts.uri.query().unwrap_or_default().to_owned();
    api.headers = parts
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    // wasi:http hands the guest the host as the URI's authority, never as a header; Spin also
    // reports the whole URL.
    if api.header("host").is_none() {
        let authority = parts.uri.authority().map(ToString::to_string).or_else(|| {
            let url = api
                .header("spin-full-url")?
                .parse::<spin_sdk::http::Uri>()
                .ok()?;
            url.authority().map(ToString::to_string)
        });
        if let Some(authority) = authority {
            api.headers.push(("host".into(), authority));
        }
    }
    let too_large = |size| ApiError::TooLarge { size, limit }.into_response();
    if let Some(len) = api
        .header("content-length")
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > limit {
            return Err(too_large(len));
        }
    }
    match Limited::new(body, limit as usize).collect().await {
        Ok(collected) => api.body = collected.to_bytes().to_vec(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => return Err(too_large(limit + 1)),
        Err(e) => {
            return Err(
                ApiError::BadRequest(format!("could not read the request body: {e}"))
                    .into_response(),
            );
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
