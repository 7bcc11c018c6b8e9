//! How a host drives the replies that wait ([`Reply::Claim`], [`Reply::Events`]): how often it
//! looks at the store again, when an event stream ends or sends a keepalive, and how large a
//! request body it reads; and the webhook pass it runs beside some answers
//! ([`webhook_trigger`], [`deliver_webhooks`]). The `.wasm` entry point and the native test
//! host both follow it, so they cannot differ in anything but their transport.
//!
//! [`Reply::Claim`]: crate::Reply::Claim
//! [`Reply::Events`]: crate::Reply::Events

use std::time::Duration;

use crate::error::ApiError;
use crate::http::{ApiRequest, ApiResponse};
use crate::jobs::events::EventStream;
use crate::jobs::runner_api::WaitingClaim;
use crate::routes::{self, Resolved};
use crate::settings::Settings;
use crate::webhooks::drain::{DRAIN_PAUSE, Drain};
use crate::webhooks::sender::{self, Outbound, Trigger};
use crate::webhooks::target::Config;
use crate::{Ctx, Reply};

/// How often waiting claims and event streams look at the store again (there is no watch).
/// A submitted job waits for at most one interval before a waiting claim sees it, and a stored
/// log chunk for at most one before its stream does. A look costs a waiting claim two counter
/// reads and an idle event stream one key (see [`crate::jobs::events`] and `bench/RESULTS.md`
/// for the reads per second this makes).
pub const POLL_INTERVAL: Duration = Duration::from_millis(25);
/// Event streams end after this long; browsers reconnect with `Last-Event-ID`.
pub const STREAM_MAX: Duration = Duration::from_secs(300);
/// After this long with nothing sent, a comment line keeps an idle stream open through proxies.
const KEEPALIVE_AFTER: Duration = Duration::from_secs(15);
/// Room for multipart framing on top of the largest document or upload.
const BODY_SLACK_BYTES: u64 = 64 * 1024;

/// The most request-body bytes a host reads before answering 413 (see
/// [`crate::error::ApiError::TooLarge`]).
pub fn body_limit(settings: &Settings) -> u64 {
    settings.max_body_bytes() + BODY_SLACK_BYTES
}

/// An HTTP request as the component sees it: path and query apart, header names in lower case
/// (values that are not text left out), the host from the URI when no `Host` header came (as
/// wasi:http reports it), and the body, refused with 413 beyond `limit` bytes without reading
/// more than that.
pub async fn read_request<B>(req: ::http::Request<B>, limit: u64) -> Result<ApiRequest, ApiResponse>
where
    B: http_body::Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    use http_body_util::BodyExt as _;

    let (parts, body) = req.into_parts();
    let mut api = ApiRequest::new(parts.method.as_str(), "");
    api.path = parts.uri.path().to_owned();
    api.query = parts.uri.query().unwrap_or_default().to_owned();
    api.headers = parts
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    if let (None, Some(authority)) = (api.header("host"), parts.uri.authority()) {
        api.headers.push(("host".into(), authority.to_string()));
    }
    let too_large = |size| ApiError::TooLarge { size, limit }.into_response();
    let declared = api
        .header("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(declared) = declared.filter(|&d| d > limit) {
        return Err(too_large(declared));
    }
    match http_body_util::Limited::new(body, limit as usize)
        .collect()
        .await
    {
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

/// A claim that found no job yet, with the time it gives up.
pub struct ClaimWait {
    request: WaitingClaim,
    deadline_ms: i64,
}

impl ClaimWait {
    pub fn new(request: WaitingClaim, deadline_ms: i64) -> Self {
        ClaimWait {
            request,
            deadline_ms,
        }
    }

    /// One more look, [`POLL_INTERVAL`] after the previous one: the answer, or `None` to wait
    /// again.
    pub fn step(&self, ctx: &Ctx) -> Option<ApiResponse> {
        crate::claim_again(ctx, &self.request)
            .or_else(|| (ctx.now_ms >= self.deadline_ms).then(|| self.give_up(ctx)))
    }

    /// The answer when the host stops waiting early (or the deadline passed): no jobs.
    pub fn give_up(&self, ctx: &Ctx) -> ApiResponse {
        crate::claim_empty(ctx)
    }
}

/// An open event stream as a host sends it: [`EventPump::PREAMBLE`] first, then whatever each
/// [`EventPump::step`] returns.
pub struct EventPump {
    events: EventStream,
    started_ms: Option<i64>,
    /// When the stream last sent something (the preamble counts).
    sent_ms: Option<i64>,
}

/// What to send next and whether the stream ends after it.
pub struct Chunk {
    pub bytes: Vec<u8>,
    pub done: bool,
}

impl EventPump {
    pub const PREAMBLE: &'static [u8] = EventStream::preamble();

    pub fn new(events: EventStream) -> Self {
        EventPump {
            events,
            started_ms: None,
            sent_ms: None,
        }
    }

    /// Polls the store once. An empty `bytes` means there is nothing to send this time.
    pub fn step(&mut self, ctx: &Ctx) -> Chunk {
        let started = *self.started_ms.get_or_insert(ctx.now_ms);
        let (bytes, done) = match self.events.poll(ctx) {
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
        let sent = *self.sent_ms.get_or_insert(ctx.now_ms);
        let bytes = if bytes.is_empty() && ctx.now_ms - sent >= KEEPALIVE_AFTER.as_millis() as i64 {
            b": keepalive\n\n".to_vec()
        } else {
            bytes
        };
        if !bytes.is_empty() {
            self.sent_ms = Some(ctx.now_ms);
        }
        let expired = ctx.now_ms - started > STREAM_MAX.as_millis() as i64;
        Chunk {
            bytes,
            done: done || expired,
        }
    }
}

/// The headers of an event-stream response.
pub const EVENT_STREAM_HEADERS: [(&str, &str); 4] = [
    ("content-type", "text/event-stream"),
    ("cache-control", "no-cache"),
    ("x-accel-buffering", "no"),
    ("x-content-type-options", "nosniff"),
];

/// The webhook pass a host runs beside its answer to `req`, if any: after a successful runner
/// call, end of a job, test delivery, resend or deliveries listing, as [`sender::trigger`] says
/// for the webhook settings. The host starts it without waiting for it: the answer never waits
/// for a receiver.
pub fn webhook_trigger(settings: &Settings, req: &ApiRequest, reply: &Reply) -> Option<Trigger> {
    let status = match reply {
        Reply::Full(resp) => resp.status,
        Reply::Claim(_) => 200,
        Reply::Events(_) => return None,
    };
    if status >= 400 {
        return None;
    }
    match routes::resolve(&req.method, &req.path) {
        Ok(Resolved::Api(matched)) => {
            sender::trigger(matched.endpoint, &Config::from_settings(settings))
        }
        _ => None,
    }
}

/// What a host gives a webhook pass: a context of the moment (as for a request), its way out
/// ([`Outbound`]) and a timer.
pub trait WebhookHost: Outbound {
    fn with_ctx<T>(&self, f: impl FnOnce(&Ctx) -> T) -> T;
    /// Resolves after `duration`.
    fn pause(&self, duration: Duration) -> impl Future<Output = ()>;
}

/// One webhook pass: rounds that each take the due deliveries, send them all at once through
/// the host and record what came of each, for as long as [`Drain`] says to go on,
/// [`DRAIN_PAUSE`] apart. A
/// store failure is logged; what it left undone is picked up by a later pass.
pub async fn deliver_webhooks(host: &impl WebhookHost, trigger: Trigger) {
    let mut trigger = trigger;
    let mut drain = Drain::default();
    loop {
        let round = match host.with_ctx(|ctx| sender::start(ctx, trigger)) {
            Ok(round) => round,
            Err(e) => {
                eprintln!("error: webhook pass: {e}");
                return;
            }
        };
        if round.sends.is_empty() {
            return;
        }
        let outcomes =
            futures::future::join_all(round.sends.iter().map(|s| host.send(&s.request))).await;
        for (send, outcome) in round.sends.iter().zip(&outcomes) {
            if let Err(e) = host.with_ctx(|ctx| sender::record(ctx, send, outcome.clone())) {
                eprintln!("error: webhook pass: recording an attempt: {e}");
            }
        }
        match host.with_ctx(|ctx| drain.go_on(ctx, round.more, &outcomes)) {
            Ok(true) => {
                trigger = Trigger::Now;
                host.pause(DRAIN_PAUSE).await;
            }
            Ok(false) => return,
            Err(e) => {
                eprintln!("error: webhook pass: {e}");
                return;
            }
        }
    }
}
