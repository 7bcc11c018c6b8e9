//! The HTTP client for `/api/runner/*` (see docs/runner-protocol.md): claim, heartbeat, log
//! chunk, output and finish calls with the bearer token, and how failures are classified and
//! retried.
//!
//! Network errors, timeouts, 408, 429 and 5xx are transient: [`retrying`] tries again after an
//! exponential back-off with jitter, capped (5 s by default), until it works or its stop token
//! fires. Any other 4xx is final: 401 means the token is wrong (the worker stops); 409 or 404
//! means the attempt is no longer this runner's (the job's process is killed).

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use reqwest::{Client, RequestBuilder, StatusCode, Url};
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use crate::error::WorkerError;

/// Limit for a request that does not wait on purpose.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Extra time a claim gets beyond the wait it asks for.
const CLAIM_SLACK: Duration = Duration::from_secs(15);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// First pause after a failure; it doubles up to the cap.
const FIRST_RETRY: Duration = Duration::from_millis(200);

/// How a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// Network error, timeout, 408, 429 or 5xx: worth another try.
    Transient(String),
    /// 401 or 403: the runner token is wrong, or is not this runner's.
    Unauthorized(String),
    /// 409 or 404: the attempt (or its job) is no longer this runner's. The text names which.
    Fenced(String),
    /// Any other 4xx.
    Rejected { status: u16, message: String },
    /// The stop token fired before the call succeeded.
    Stopped,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Transient(m) => write!(f, "{m}"),
            CallError::Unauthorized(m) => write!(f, "refused: {m}"),
            CallError::Fenced(m) => write!(f, "{m}"),
            CallError::Rejected { status, message } => write!(f, "{status}: {message}"),
            CallError::Stopped => write!(f, "stopped"),
        }
    }
}

pub use protocol::{
    Action, AttemptAction, AttemptRef, ClaimResponse, ClaimedJob, FinalStatus, FinishRequest,
};
use protocol::{
    ActionResponse, ClaimRequest, HeartbeatRequest, HeartbeatResponse, StopRequest, routes,
};
#[cfg(test)]
pub use protocol::{InputFile, OutputFile};

/// One kind of upload: what it is called in logs, its route and its content type.
#[derive(Clone, Copy)]
struct Upload {
    what: &'static str,
    route: &'static str,
    content_type: &'static str,
}

/// The runner endpoints of one API, for one runner name.
#[derive(Clone)]
pub struct Api {
    http: Client,
    base: Url,
    runner: String,
    retry_cap: Duration,
}

impl Api {
    pub fn new(
        base: &Url,
        token: &str,
        runner: &str,
        retry_cap: Duration,
    ) -> Result<Api, WorkerError> {
        let mut auth = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            WorkerError::Config("the runner token contains characters a header cannot carry".into())
        })?;
        auth.set_sensitive(true);
        let headers = HeaderMap::from_iter([(AUTHORIZATION, auth)]);
        let http = Client::builder()
            .default_headers(headers)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("cwm-worker/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| WorkerError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Api {
            http,
            base: base.clone(),
            runner: runner.to_owned(),
            retry_cap,
        })
    }

    pub fn retry_cap(&self) -> Duration {
        self.retry_cap
    }

    /// The URL of route `pattern` (see [`protocol::routes`]) with `params` filled in.
    fn url(&self, pattern: &str, params: &[&str]) -> Url {
        let segments = routes::fill(pattern, params).expect("a parameter for every placeholder");
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// One claim for up to `slots` jobs, waiting up to `wait` for one (no retry).
    pub async fn claim(&self, slots: u32, wait: Duration) -> Result<ClaimResponse, CallError> {
        let body = ClaimRequest {
            runner: self.runner.clone(),
            slots,
            wait_ms: wait.as_millis() as u64,
        };
        let req = self
            .http
            .post(self.url(routes::CLAIM, &[]))
            .json(&body)
            .timeout(wait + CLAIM_SLACK);
        parse(&send(req).await?)
    }

    /// Asks the server to answer this runner's waiting claim now (no retry: without it the
    /// claim still ends at its deadline).
    pub async fn stop_claims(&self) -> Result<(), CallError> {
        let body = StopRequest {
            runner: self.runner.clone(),
        };
        let req = self
            .http
            .post(self.url(routes::CLAIM_STOP, &[]))
            .json(&body)
            .timeout(CONNECT_TIMEOUT);
        send(req).await.map(drop)
    }

    /// One heartbeat for `jobs` (no retry: the next beat is the retry).
    pub async fn heartbeat(
        &self,
        jobs: &[AttemptRef],
        timeout: Duration,
    ) -> Result<Vec<AttemptAction>, CallError> {
        let body = HeartbeatRequest {
            runner: self.runner.clone(),
            jobs: jobs.to_vec(),
        };
        let req = self
            .http
            .post(self.url(routes::HEARTBEAT, &[]))
            .json(&body)
            .timeout(timeout);
        Ok(parse::<HeartbeatResponse>(&send(req).await?)?.jobs)
    }

    /// Stores log chunk `chunk` (a serialized `{"lines": [...]}`), retrying until it is
    /// accepted, refused, or `stop` fires. The same bytes go out on every try.
    pub async fn put_log(
        &self,
        job: &AttemptRef,
        chunk: u32,
        body: Bytes,
        stop: &CancellationToken,
    ) -> Result<Action, CallError> {
        let upload = Upload {
            what: "log upload",
            route: routes::LOG_CHUNK,
            content_type: "application/json",
        };
        self.upload(upload, job, chunk as usize, body, stop).await
    }

    /// Stages output `index`, retrying like [`Api::put_log`].
    pub async fn put_output(
        &self,
        job: &AttemptRef,
        index: usize,
        bytes: Bytes,
        stop: &CancellationToken,
    ) -> Result<Action, CallError> {
        let upload = Upload {
            what: "output upload",
            route: routes::OUTPUT,
            content_type: "application/octet-stream",
        };
        self.upload(upload, job, index, bytes, stop).await
    }

    /// `PUT /api/runner/jobs/{id}/{attempt}/{kind}/{index}` until it is accepted, refused or
    /// `stop` fires; the action in the answer.
    async fn upload(
        &self,
        upload: Upload,
        job: &AttemptRef,
        index: usize,
        body: Bytes,
        stop: &CancellationToken,
    ) -> Result<Action, CallError> {
        let attempt = job.attempt.to_string();
        let index = index.to_string();
        let url = self.url(upload.route, &[&job.id, &attempt, &index]);
        retrying(upload.what, self.retry_cap, stop, || {
            let req = self
                .http
                .put(url.clone())
                .header("content-type", upload.content_type)
                .body(body.clone())
                .timeout(REQUEST_TIMEOUT);
            async move { Ok(parse::<ActionResponse>(&send(req).await?)?.action) }
        })
        .await
    }

    /// Reports the end of the attempt, retrying like [`Api::put_log`].
    pub async fn finish(
        &self,
        job: &AttemptRef,
        report: &FinishRequest,
        stop: &CancellationToken,
    ) -> Result<(), CallError> {
        let url = self.url(routes::FINISH, &[&job.id, &job.attempt.to_string()]);
        retrying("finish", self.retry_cap, stop, || {
            let req = self
                .http
                .post(url.clone())
                .json(report)
                .timeout(REQUEST_TIMEOUT);
            async move { send(req).await.map(drop) }
        })
        .await
    }
}

/// Sends a request; the body of a 2xx answer, or the classified failure.
async fn send(req: RequestBuilder) -> Result<Bytes, CallError> {
    let response = req
        .send()
        .await
        .map_err(|e| CallError::Transient(describe(&e)))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|e| CallError::Transient(describe(&e)))?;
    if status.is_success() {
        return Ok(body);
    }
    Err(classify(status, &body))
}

fn classify(status: StatusCode, body: &[u8]) -> CallError {
    let message = error_message(body);
    match status.as_u16() {
        // 403: the token is valid but not this runner's (bound to another name, or not a
        // runner token at all); as final as a wrong token.
        401 | 403 => CallError::Unauthorized(message),
        404 | 409 => CallError::Fenced(format!("{status}: {message}")),
        408 | 429 => CallError::Transient(format!("{status}: {message}")),
        s if status.is_server_error() => CallError::Transient(format!("{s}: {message}")),
        s => CallError::Rejected { status: s, message },
    }
}

/// The `error` field of a JSON error body, else the start of the body.
fn error_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct ErrorBody {
        error: String,
    }
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(e) => e.error,
        Err(_) => String::from_utf8_lossy(body).chars().take(200).collect(),
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, CallError> {
    // A 2xx that is not what the protocol says is a proxy or version problem; maybe transient.
    serde_json::from_slice(body)
        .map_err(|e| CallError::Transient(format!("unexpected answer from the API: {e}")))
}

/// A reqwest error with its causes, on one line.
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Calls `call` until it returns anything but a transient failure, pausing with [`Backoff`]
/// between tries. `stop` ends the wait (and abandons a call in flight) with
/// [`CallError::Stopped`].
pub async fn retrying<T, F, Fut>(
    what: &str,
    cap: Duration,
    stop: &CancellationToken,
    mut call: F,
) -> Result<T, CallError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, CallError>>,
{
    let mut backoff = Backoff::new(cap);
    let mut failures = 0u32;
    loop {
        let result = tokio::select! {
            biased;
            _ = stop.cancelled() => return Err(CallError::Stopped),
            result = call() => result,
        };
        let why = match result {
            Err(CallError::Transient(why)) => why,
            other => {
                if failures > 0 && other.is_ok() {
                    tracing::info!(failures, "{what} went through after the API came back");
                }
                return other;
            }
        };
        failures += 1;
        let delay = backoff.delay();
        if failures == 1 || failures.is_multiple_of(10) {
            tracing::warn!(failures, retry_in = ?delay, "{what} failed: {why}");
        } else {
            tracing::debug!(failures, retry_in = ?delay, "{what} failed: {why}");
        }
        tokio::select! {
            _ = stop.cancelled() => return Err(CallError::Stopped),
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

/// Exponential back-off with jitter: 200 ms, 400 ms, … up to `cap`, each pause drawn from the
/// upper half of its step so that many runners do not retry in step.
#[derive(Debug)]
pub struct Backoff {
    step: Duration,
    cap: Duration,
}

impl Backoff {
    pub fn new(cap: Duration) -> Backoff {
        Backoff {
            step: FIRST_RETRY.min(cap),
            cap,
        }
    }

    /// The next pause.
    pub fn delay(&mut self) -> Duration {
        let step = self.step;
        self.step = (self.step * 2).min(self.cap);
        let half = step / 2;
        half + half.mul_f64(fastrand::f64())
    }

    /// Back to the first step (after a success).
    pub fn reset(&mut self) {
        self.step = FIRST_RETRY.min(self.cap);
    }
}

#[cfg(test)]
mod tests;
