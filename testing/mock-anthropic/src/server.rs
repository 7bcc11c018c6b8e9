//! The HTTP side: routes, the request log, and streamed bodies.
//!
//! Routes: `POST /v1/messages` (the scripted model; SSE when `"stream": true`),
//! `POST /v1/messages/count_tokens`, `GET /v1/models[/<id>]`, and `GET|HEAD` of `/`, `/health`
//! and `/api/hello` (the connectivity probe the CLI sends at start-up unless
//! `CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1`).
//! Anything else is a 404 in the API's error shape with `x-should-retry: false`.

use std::convert::Infallible;
use std::fs::File;
use std::io::Write as _;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::script::{self, Answer, Scenario};
use crate::wire::{self, Usage};

/// How the mock behaves.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub scenario: Scenario,
    /// Pause between SSE events of a streamed answer.
    pub event_delay: Duration,
    /// Working directory for `Write` when a request names none.
    pub fallback_cwd: Option<String>,
    /// Append one JSON line per request (method, path, headers, body, answer) to this file.
    pub log: Option<PathBuf>,
}

type ResBody = BoxBody<Bytes, Infallible>;

struct State {
    config: Config,
    log: Option<Mutex<File>>,
    counter: AtomicU64,
    seed: u64,
}

impl State {
    /// A fresh id with `prefix`, unique within the process and unlikely to repeat across runs.
    fn id(&self, prefix: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        let mixed = (self.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15)).rotate_left(17);
        format!("{prefix}{mixed:016x}")
    }
}

/// Serves connections from `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, config: Config) -> std::io::Result<()> {
    let log = match &config.log {
        Some(path) => Some(Mutex::new(
            File::options().create(true).append(true).open(path)?,
        )),
        None => None,
    };
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let state = Arc::new(State {
        config,
        log,
        counter: AtomicU64::new(0),
        seed,
    });
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                eprintln!("mock-anthropic: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let state = state.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(handle(&state, req).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = conn.await {
                // Clients hanging up mid-stream is normal (a killed CLI); keep it to one line.
                eprintln!("mock-anthropic: connection ended: {e}");
            }
        });
    }
}

async fn handle(state: &State, req: Request<Incoming>) -> Response<ResBody> {
    let method = req.method().clone();
    let target = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |pq| pq.as_str().to_owned());
    let path = req.uri().path().to_owned();
    let headers: serde_json::Map<String, Value> = req
        .headers()
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "x-api-key" | "authorization"))
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned()),
            )
        })
        .collect();
    let body = match req.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            eprintln!("mock-anthropic: {method} {target}: reading the body failed: {e}");
            Bytes::new()
        }
    };
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();

    let (response, label) = route(state, &method, &path, &body, parsed.as_ref());
    let status = response.status().as_u16();
    eprintln!("mock-anthropic: {method} {target} -> {status} {label}");
    if let Some(log) = &state.log {
        let entry = json!({
            "at_ms": SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64),
            "method": method.as_str(),
            "path": target,
            "headers": headers,
            "body": parsed.unwrap_or_else(|| Value::String(String::from_utf8_lossy(&body).into_owned())),
            "status": status,
            "answer": label,
        });
        if let Ok(mut file) = log.lock() {
            let _ = writeln!(file, "{entry}");
            let _ = file.flush();
        }
    }
    response
}

fn route(
    state: &State,
    method: &Method,
    path: &str,
    body: &Bytes,
    parsed: Option<&Value>,
) -> (Response<ResBody>, String) {
    let path = path.trim_end_matches('/');
    match (method, path) {
        (&Method::POST, "/v1/messages") => match parsed {
            Some(request) => messages(state, request, body.len()),
            None => (
                error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request_error",
                    "body is not JSON",
                ),
                "bad JSON".into(),
            ),
        },
        (&Method::POST, "/v1/messages/count_tokens") => (
            json_response(
                StatusCode::OK,
                &json!({ "input_tokens": (body.len() / 4).max(1) }),
            ),
            "count_tokens".into(),
        ),
        (&Method::GET, "/v1/models") => (
            json_response(
                StatusCode::OK,
                &json!({
                    "data": MODELS.iter().map(|m| model(m)).collect::<Vec<_>>(),
                    "has_more": false,
                    "first_id": MODELS[0],
                    "last_id": MODELS[MODELS.len() - 1],
                }),
            ),
            "models".into(),
        ),
        (&Method::GET, p) if p.starts_with("/v1/models/") => (
            json_response(StatusCode::OK, &model(&p["/v1/models/".len()..])),
            "model".into(),
        ),
        // The CLI's connectivity probe (skipped with CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1).
        (&Method::GET | &Method::HEAD, "" | "/health" | "/api/hello") => (
            json_response(
                StatusCode::OK,
                &json!({ "ok": true, "service": "mock-anthropic" }),
            ),
            "probe".into(),
        ),
        _ => (
            error(
                StatusCode::NOT_FOUND,
                "not_found_error",
                &format!("mock-anthropic does not implement {method} {path}"),
            ),
            "unknown path".into(),
        ),
    }
}

const MODELS: [&str; 3] = ["claude-opus-5-5", "claude-sonnet-4-5", "claude-haiku-4-5"];

fn model(id: &str) -> Value {
    json!({ "type": "model", "id": id, "display_name": id, "created_at": "2025-01-01T00:00:00Z" })
}

fn messages(state: &State, request: &Value, request_bytes: usize) -> (Response<ResBody>, String) {
    let answer = script::answer(
        state.config.scenario,
        request,
        state.config.fallback_cwd.as_deref(),
        || state.id("toolu_mock"),
    );
    let reply = match answer {
        Answer::Error(e) => {
            let status =
                StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let label = format!("error {} {}", e.status, e.kind);
            return (error(status, e.kind, &e.message), label);
        }
        Answer::Message(reply) => reply,
    };
    let model = request["model"].as_str().unwrap_or("claude-sonnet-4-5");
    let id = state.id("msg_mock");
    let usage = Usage::estimate(request_bytes, &reply);
    let label = reply.label.clone();
    if request["stream"].as_bool() != Some(true) {
        let message = wire::message_json(&id, model, &reply, usage);
        let mut response = json_response(StatusCode::OK, &message);
        add_request_id(state, &mut response);
        return (response, label);
    }
    let events = wire::sse_events(&id, model, &reply, usage);
    let delay = state.config.event_delay;
    let body: ResBody = if delay.is_zero() {
        Full::new(Bytes::from(events.concat())).boxed()
    } else {
        let (tx, rx) = mpsc::channel(4);
        tokio::spawn(async move {
            for event in events {
                if tx.send(Bytes::from(event)).await.is_err() {
                    return;
                }
                tokio::time::sleep(delay).await;
            }
        });
        ChannelBody(rx).boxed()
    };
    let mut response = Response::new(body);
    let h = response.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    add_request_id(state, &mut response);
    (response, label)
}

fn json_response(status: StatusCode, value: &Value) -> Response<ResBody> {
    let mut response = Response::new(Full::new(Bytes::from(value.to_string())).boxed());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// An error in the API's shape. `x-should-retry: false` makes the CLI give up at once instead
/// of retrying for minutes.
fn error(status: StatusCode, kind: &str, message: &str) -> Response<ResBody> {
    let body = json!({ "type": "error", "error": { "type": kind, "message": message } });
    let mut response = json_response(status, &body);
    response
        .headers_mut()
        .insert("x-should-retry", HeaderValue::from_static("false"));
    response
}

fn add_request_id(state: &State, response: &mut Response<ResBody>) {
    if let Ok(value) = HeaderValue::from_str(&state.id("req_mock")) {
        response.headers_mut().insert("request-id", value);
    }
}

/// A body fed chunk by chunk from a channel (SSE events with pauses between them).
struct ChannelBody(mpsc::Receiver<Bytes>);

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|b| Ok(Frame::data(b))))
    }
}
