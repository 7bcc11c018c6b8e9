//! A test app: the real request handler over a `MemoryStore`, with a settable clock.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use api_component::http::{ApiRequest, ApiResponse};
use api_component::serving::ClaimWait;
use api_component::serving::{Chunk, EventPump};
use api_component::settings::Settings;
use api_component::store::{Backend, MemoryStore, Store, StoreError, StoreResult};
use api_component::webhooks::sender::{self, Outcome, Trigger};
use api_component::{Ctx, Reply, handle};
use serde_json::Value;

pub const RUNNER_TOKEN: &str = "test-runner-token";
/// The `admin_token` of every test app; requests without a credential of their own send it.
pub const ADMIN_TOKEN: &str = "test-admin-token";

pub struct App {
    pub store: MemoryStore,
    pub settings: Settings,
    clock: AtomicI64,
    faults: Faults,
    /// Every request [`App::send`] answered, with its answer, when the app records them.
    recorded: Option<Mutex<Vec<(ApiRequest, ApiResponse)>>>,
}

impl App {
    pub fn new() -> Self {
        Self::with_settings(Settings::default())
    }

    pub fn with_settings(settings: Settings) -> Self {
        let settings = Settings {
            runner_token: RUNNER_TOKEN.into(),
            admin_token: ADMIN_TOKEN.into(),
            ..settings
        };
        App {
            store: MemoryStore::new(),
            settings,
            clock: AtomicI64::new(1_767_225_600_000),
            faults: Faults::default(),
            recorded: None,
        }
    }

    /// An app that keeps every request it answers, and the answer (see [`App::recorded`]).
    pub fn recording(settings: Settings) -> Self {
        App {
            recorded: Some(Mutex::default()),
            ..Self::with_settings(settings)
        }
    }

    /// What a [`App::recording`] app answered so far, in order.
    pub fn recorded(&self) -> Vec<(ApiRequest, ApiResponse)> {
        let recorded = self.recorded.as_ref().expect("this app does not record");
        recorded.lock().unwrap().clone()
    }

    /// Makes the `n`-th store write from now fail (1 = the next one), once.
    pub fn fail_write(&self, n: i64) {
        self.faults.countdown.store(n, Ordering::SeqCst);
    }

    /// Store writes made so far (sets, deletes, increments that change a value, batches).
    pub fn writes(&self) -> i64 {
        self.faults.writes.load(Ordering::SeqCst)
    }

    /// The clock's time for the next request (epoch ms).
    pub fn now_ms(&self) -> i64 {
        self.clock.load(Ordering::SeqCst)
    }

    /// Moves the clock forward (leases expire on this clock).
    pub fn advance(&self, ms: i64) {
        self.clock.fetch_add(ms, Ordering::SeqCst);
    }

    /// Each request happens 10 ms after the previous one. Claims that would wait are asked once
    /// more; event streams are polled until done (or 3 times) and returned as one body.
    /// Requests that carry no credential (no `Authorization`, no cookie) are sent as the admin;
    /// use [`App::send_as_is`] to send one without.
    pub fn send(&self, req: ApiRequest) -> ApiResponse {
        let has_credential =
            req.header("authorization").is_some() || req.header("cookie").is_some();
        let req = if has_credential {
            req
        } else {
            req.with_header("Authorization", &format!("Bearer {ADMIN_TOKEN}"))
        };
        self.send_as_is(req)
    }

    /// Sends `req` exactly as given.
    pub fn send_as_is(&self, req: ApiRequest) -> ApiResponse {
        let resp = self.with_ctx(|ctx| self.answer(ctx, &req));
        if let Some(recorded) = &self.recorded {
            recorded.lock().unwrap().push((req, resp.clone()));
        }
        resp
    }

    /// One webhook round as a host runs it, every send answered with `outcome`; how many were
    /// sent.
    pub fn webhook_round(&self, outcome: Outcome) -> usize {
        let round = self
            .with_ctx(|ctx| sender::start(ctx, Trigger::Now))
            .expect("a webhook round");
        for send in &round.sends {
            self.with_ctx(|ctx| sender::record(ctx, send, outcome.clone()))
                .expect("recording an attempt");
        }
        round.sends.len()
    }

    /// A runner's claim as the host sees it: `Ok` with the request if it waits (to be passed to
    /// [`App::claim_again`]), else the answer it got at once.
    pub fn start_claim(&self, body: &Value) -> Result<ClaimWait, ApiResponse> {
        let req = ApiRequest::new("POST", "/api/runner/claim")
            .with_header("Authorization", &format!("Bearer {RUNNER_TOKEN}"))
            .with_header("content-type", "application/json")
            .with_body(body.to_string());
        self.with_ctx(|ctx| match handle(ctx, &req) {
            Reply::Claim(wait) => Ok(wait),
            Reply::Full(resp) => Err(resp),
            Reply::Events(_) => panic!("a claim answered with an event stream"),
        })
    }

    /// One more look by a waiting claim: its answer, or `None` if it keeps waiting.
    pub fn claim_again(&self, wait: &ClaimWait) -> Option<ApiResponse> {
        self.with_ctx(|ctx| wait.step(ctx))
    }

    /// An event stream as the host holds it (sent with the admin's credential), to be polled
    /// with [`App::poll_events`].
    pub fn open_events(&self, target: &str) -> EventPump {
        let req = ApiRequest::new("GET", target)
            .with_header("Authorization", &format!("Bearer {ADMIN_TOKEN}"));
        self.with_ctx(|ctx| match handle(ctx, &req) {
            Reply::Events(events) => events,
            Reply::Full(resp) => panic!("{target}: {} instead of a stream", resp.status),
            Reply::Claim(_) => panic!("{target}: a waiting claim instead of a stream"),
        })
    }

    /// One poll of an open event stream, as the host makes it every interval.
    pub fn poll_events(&self, events: &mut EventPump) -> Chunk {
        self.with_ctx(|ctx| events.step(ctx))
    }

    /// Runs `f` with a context 10 ms after the previous one.
    fn with_ctx<T>(&self, f: impl FnOnce(&Ctx) -> T) -> T {
        let random = || {
            std::hash::BuildHasher::hash_one(&std::collections::hash_map::RandomState::new(), 0u8)
        };
        let now_ms = self.clock.fetch_add(10, Ordering::SeqCst);
        // As the wasm entry point wraps the host's bucket; without batch reads the backend is
        // one whose `get-many` traps, as Spin's Redis backend does.
        let store = Backend {
            store: FaultyStore {
                inner: &self.store,
                faults: &self.faults,
                traps_on_get_many: !self.settings.kv_batch_reads,
            },
            batch_reads: self.settings.kv_batch_reads,
        };
        let ctx = Ctx {
            store: &store,
            settings: &self.settings,
            now_ms,
            random: &random,
        };
        f(&ctx)
    }

    fn answer(&self, ctx: &Ctx, req: &ApiRequest) -> ApiResponse {
        match handle(ctx, req) {
            Reply::Full(resp) => resp,
            Reply::Claim(wait) => wait.step(ctx).unwrap_or_else(|| wait.give_up(ctx)),
            Reply::Events(mut events) => {
                let mut body = EventPump::PREAMBLE.to_vec();
                for _ in 0..3 {
                    let chunk = events.step(ctx);
                    body.extend(chunk.bytes);
                    if chunk.done {
                        break;
                    }
                }
                ApiResponse::new(200, "text/event-stream", body)
            }
        }
    }

    pub fn post_json(&self, target: &str, body: &Value) -> ApiResponse {
        self.send(
            ApiRequest::new("POST", target)
                .with_header("content-type", "application/json")
                .with_body(body.to_string()),
        )
    }

    /// A runner call with the right bearer token, typed as the worker types it (outputs are
    /// raw bytes, everything else JSON).
    pub fn runner(&self, method: &str, target: &str, body: impl Into<Vec<u8>>) -> ApiResponse {
        let content_type = if target.contains("/outputs/") {
            "application/octet-stream"
        } else {
            "application/json"
        };
        self.send(
            ApiRequest::new(method, target)
                .with_header("Authorization", &format!("Bearer {RUNNER_TOKEN}"))
                .with_header("content-type", content_type)
                .with_body(body),
        )
    }

    pub fn get(&self, target: &str) -> ApiResponse {
        self.send(ApiRequest::new("GET", target))
    }

    /// `GET target`, which must answer 200: its JSON body.
    #[track_caller]
    pub fn get_json(&self, target: &str) -> Value {
        let resp = self.get(target);
        assert_eq!(
            resp.status,
            200,
            "{target}: {}",
            String::from_utf8_lossy(&resp.body)
        );
        resp.json_body()
    }

    pub fn put(&self, target: &str, body: impl Into<Vec<u8>>) -> ApiResponse {
        self.send(ApiRequest::new("PUT", target).with_body(body))
    }

    pub fn delete(&self, target: &str) -> ApiResponse {
        self.send(ApiRequest::new("DELETE", target))
    }

    /// Every item of a listing, following `next_cursor` to the end.
    pub fn list_all(&self, collection: &str, limit: usize) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..10_000 {
            let target = match &cursor {
                None => format!("/api/{collection}?limit={limit}"),
                Some(c) => format!("/api/{collection}?limit={limit}&cursor={c}"),
            };
            let resp = self.get(&target);
            assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
            let page = resp.json_body();
            let batch = page["items"].as_array().unwrap();
            assert!(batch.len() <= limit);
            items.extend(batch.iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return items,
            }
        }
        panic!("listing never ended");
    }
}

/// Asserts status and a JSON `{"error": ...}` body mentioning `needle`.
#[track_caller]
pub fn assert_error(resp: &ApiResponse, status: u16, needle: &str) {
    let body = resp.json_body();
    assert_eq!(resp.status, status, "body: {body}");
    assert_eq!(resp.header("content-type"), Some("application/json"));
    let msg = body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error field in {body}"));
    assert!(
        msg.contains(needle),
        "error {msg:?} does not mention {needle:?}"
    );
}

/// The code a one-time link carries after `#{key}=` (`invite`, `signin`).
#[track_caller]
pub fn link_code(url: &str, key: &str) -> String {
    let code = url.split(&format!("#{key}=")).nth(1);
    code.unwrap_or_else(|| panic!("no #{key}= in {url}"))
        .to_owned()
}

/// A multipart/form-data body with one `file` part per `(filename, content)`.
pub fn multipart(files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----cwm-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, content) in files {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A planned write failure (see [`App::fail_write`]) and the count of writes.
#[derive(Default)]
struct Faults {
    /// Writes left before the one that fails; 0: none planned.
    countdown: AtomicI64,
    writes: AtomicI64,
}

impl Faults {
    fn write(&self) -> StoreResult<()> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        let left = self.countdown.load(Ordering::SeqCst);
        if left > 0 {
            self.countdown.store(left - 1, Ordering::SeqCst);
            if left == 1 {
                return Err(StoreError("injected write failure".into()));
            }
        }
        Ok(())
    }
}

/// The app's store with [`Faults`] in front of its writes; a failed write changes nothing.
struct FaultyStore<'a> {
    inner: &'a MemoryStore,
    faults: &'a Faults,
    traps_on_get_many: bool,
}

impl Store for FaultyStore<'_> {
    fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> StoreResult<()> {
        self.faults.write()?;
        self.inner.set(key, value)
    }
    fn delete(&self, key: &str) -> StoreResult<()> {
        self.faults.write()?;
        self.inner.delete(key)
    }
    fn increment(&self, key: &str, delta: i64) -> StoreResult<i64> {
        if delta != 0 {
            self.faults.write()?;
        }
        self.inner.increment(key, delta)
    }
    fn get_many(&self, keys: &[String]) -> StoreResult<Vec<Option<Vec<u8>>>> {
        assert!(
            !self.traps_on_get_many,
            "get-many called with kv_batch_reads off: Spin's Redis host would trap here"
        );
        self.inner.get_many(keys)
    }
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> StoreResult<()> {
        self.faults.write()?;
        self.inner.set_many(entries)
    }
    fn delete_many(&self, keys: &[String]) -> StoreResult<()> {
        self.faults.write()?;
        self.inner.delete_many(keys)
    }
}
