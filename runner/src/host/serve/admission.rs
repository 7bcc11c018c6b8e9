//! Which requests are let in, and what they hold while their response is alive.
//!
//! Every request takes a permit from one of two pools before the component sees it: runner
//! requests that present the runner token (`/api/runner/*`: claims, heartbeats, log chunks,
//! finish calls) from their own reserved pool, everything else from the general one. So
//! however many slow uploads or event streams fill the general pool, runners keep their leases.
//! Event streams (`GET /api/jobs/{id}/events`) are also counted per client and in total, and
//! refused at once above either cap. A [`Ticket`] holds the permit (and the stream slot) and
//! travels with the response body, so both are released only when the response is finished or
//! dropped, not when its headers are sent.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use http_body_util::BodyExt as _;
use hyper::body::{Body, Frame, SizeHint};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime_wasi_http::WasiBody;

/// The prefix of the runner protocol's paths, as the component's own authorization check sees it.
const RUNNER_PREFIX: &str = "/api/runner/";

/// Which pool a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// A runner-protocol request with the right bearer token: the reserved pool.
    Runner,
    /// `GET /api/jobs/{id}/events`: the general pool, plus a stream slot.
    Events,
    /// Everything else (runner paths without the token included): the general pool.
    General,
}

/// Why a request was not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The server stopped serving.
    ShuttingDown,
    /// This client already has `limit` event streams open.
    StreamsPerClient { limit: usize },
    /// The server already has `limit` event streams open.
    StreamsTotal { limit: usize },
}

/// The pools and the event-stream counts.
pub struct Admission {
    general: Arc<Semaphore>,
    runner: Arc<Semaphore>,
    streams: Arc<Mutex<StreamCounts>>,
    max_streams: usize,
    max_streams_per_client: usize,
    /// The `runner_token` the component checks; empty: no request is a runner's.
    runner_token: String,
}

impl Admission {
    pub fn new(limits: &super::Limits, runner_token: String) -> Self {
        Self {
            general: Arc::new(Semaphore::new(limits.max_concurrent_requests)),
            runner: Arc::new(Semaphore::new(limits.runner_requests)),
            streams: Arc::default(),
            max_streams: limits.max_event_streams,
            max_streams_per_client: limits.max_event_streams_per_client,
            runner_token,
        }
    }

    /// The lane of a request.
    pub fn lane<B>(&self, request: &hyper::Request<B>) -> Lane {
        let path = request.uri().path();
        if path.starts_with(RUNNER_PREFIX) {
            let authorization = request.headers().get(http::header::AUTHORIZATION);
            // The shared token, or one the API issued (runner tokens; the component tells
            // them apart, so a person's token here only gets a runner-lane refusal).
            if bearer_matches(authorization, &self.runner_token) || issued_token(authorization) {
                return Lane::Runner;
            }
        } else if request.method() == http::Method::GET && is_events_path(path) {
            return Lane::Events;
        }
        Lane::General
    }

    /// Lets a request in: an event stream over a cap is refused at once; otherwise this waits
    /// for a permit from the lane's pool.
    pub async fn admit(&self, lane: Lane, client: IpAddr) -> Result<Ticket, Refused> {
        let stream = match lane {
            Lane::Events => Some(self.take_stream_slot(client)?),
            Lane::Runner | Lane::General => None,
        };
        let pool = match lane {
            Lane::Runner => &self.runner,
            Lane::Events | Lane::General => &self.general,
        };
        let permit = Arc::clone(pool)
            .acquire_owned()
            .await
            .map_err(|_| Refused::ShuttingDown)?;
        Ok(Ticket {
            _permit: permit,
            _stream: stream,
        })
    }

    /// Refuses every request from now on (requests waiting for a permit included).
    pub fn close(&self) {
        self.general.close();
        self.runner.close();
    }

    fn take_stream_slot(&self, client: IpAddr) -> Result<StreamSlot, Refused> {
        let client = client_key(client);
        let mut counts = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        let of_client = counts.per_client.get(&client).copied().unwrap_or(0);
        if of_client >= self.max_streams_per_client {
            return Err(Refused::StreamsPerClient {
                limit: self.max_streams_per_client,
            });
        }
        if counts.total >= self.max_streams {
            return Err(Refused::StreamsTotal {
                limit: self.max_streams,
            });
        }
        counts.total += 1;
        counts.per_client.insert(client, of_client + 1);
        Ok(StreamSlot {
            counts: Arc::clone(&self.streams),
            client,
        })
    }
}

/// What an admitted request holds until its response body is finished or dropped.
pub struct Ticket {
    _permit: OwnedSemaphorePermit,
    _stream: Option<StreamSlot>,
}

impl Ticket {
    /// `body`, holding this ticket until it is dropped.
    pub fn hold(self, body: WasiBody) -> WasiBody {
        Held {
            body,
            _ticket: self,
        }
        .boxed_unsync()
    }
}

/// A response body with the [`Ticket`] of its request.
struct Held {
    body: WasiBody,
    _ticket: Ticket,
}

impl Body for Held {
    type Data = bytes::Bytes;
    type Error = wasmtime_wasi_http::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[derive(Debug, Default)]
struct StreamCounts {
    total: usize,
    per_client: HashMap<IpAddr, usize>,
}

/// One open event stream, counted until dropped.
struct StreamSlot {
    counts: Arc<Mutex<StreamCounts>>,
    client: IpAddr,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.total -= 1;
        if let Some(n) = counts.per_client.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                counts.per_client.remove(&self.client);
            }
        }
    }
}

/// Whom a stream is counted against: an IPv4 address, or an IPv6 /64 (what one subscriber
/// usually gets, so rotating addresses within it does not multiply the per-client cap).
fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
    }
}

/// `/api/jobs/{id}/events` with a non-empty `{id}`, matched segment by segment as the
/// component's router does.
fn is_events_path(path: &str) -> bool {
    path.strip_prefix("/api/jobs/")
        .and_then(|rest| rest.strip_suffix("/events"))
        .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}

/// Whether `Authorization` carries `Bearer <token>`, parsed as the component parses it, and
/// compared in time independent of where the first difference is.
fn bearer_matches(authorization: Option<&http::HeaderValue>, token: &str) -> bool {
    let Some(value) = authorization.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let given = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .unwrap_or_default()
        .trim()
        .as_bytes();
    let expected = token.as_bytes();
    !expected.is_empty()
        && given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

/// Whether `authorization` carries a bearer token the API issued (`cwm_…`).
fn issued_token(authorization: Option<&http::HeaderValue>) -> bool {
    authorization
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| t.trim().starts_with(protocol::auth::TOKEN_PREFIX))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Room for `streams` in the general pool, plus one more request.
    fn limits(streams: usize, per_client: usize) -> super::super::Limits {
        super::super::Limits {
            max_concurrent_requests: streams + 1,
            runner_requests: 1,
            header_timeout: Duration::from_secs(1),
            body_idle_timeout: Duration::from_secs(1),
            body_timeout: Duration::from_secs(1),
            max_event_streams: streams,
            max_event_streams_per_client: per_client,
            grace: Duration::from_secs(1),
        }
    }

    fn request(method: &str, path: &str, authorization: Option<&str>) -> hyper::Request<()> {
        let mut builder = hyper::Request::builder().method(method).uri(path);
        if let Some(value) = authorization {
            builder = builder.header("authorization", value);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn lanes_follow_path_method_and_token() {
        let admission = Admission::new(&limits(4, 2), "secret".into());
        let lane = |m, p, a| admission.lane(&request(m, p, a));
        let token = Some("Bearer secret");
        assert_eq!(lane("POST", "/api/runner/heartbeat", token), Lane::Runner);
        assert_eq!(
            lane(
                "PUT",
                "/api/runner/jobs/j/1/logs/0",
                Some("bearer  secret ")
            ),
            Lane::Runner
        );
        assert_eq!(lane("POST", "/api/runner/claim", None), Lane::General);
        assert_eq!(
            lane("POST", "/api/runner/claim", Some("Bearer secreT")),
            Lane::General
        );
        assert_eq!(
            lane("POST", "/api/runner/claim", Some("secret")),
            Lane::General
        );
        assert_eq!(lane("GET", "/api/jobs/abc/events", None), Lane::Events);
        assert_eq!(lane("GET", "/api/jobs/abc/events?x=1", None), Lane::Events);
        assert_eq!(lane("GET", "/api/jobs//events", None), Lane::General);
        assert_eq!(lane("GET", "/api/jobs/abc/events/", None), Lane::General);
        assert_eq!(lane("POST", "/api/jobs/abc/events", None), Lane::General);
        assert_eq!(lane("GET", "/api/jobs/abc/logs", None), Lane::General);

        let no_token = Admission::new(&limits(4, 2), String::new());
        let runner = request("POST", "/api/runner/claim", Some("Bearer "));
        assert_eq!(no_token.lane(&runner), Lane::General);
    }

    #[test]
    fn ipv6_clients_are_grouped_by_64_and_mapped_v4_is_v4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(client_key(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }

    #[tokio::test]
    async fn stream_caps_count_until_the_ticket_is_dropped() {
        let admission = Admission::new(&limits(3, 2), String::new());
        let one: IpAddr = "192.0.2.1".parse().unwrap();
        let two: IpAddr = "192.0.2.2".parse().unwrap();
        let first = admission.admit(Lane::Events, one).await.unwrap();
        let _second = admission.admit(Lane::Events, one).await.unwrap();
        assert_eq!(
            admission.admit(Lane::Events, one).await.err(),
            Some(Refused::StreamsPerClient { limit: 2 })
        );
        let _third = admission.admit(Lane::Events, two).await.unwrap();
        assert_eq!(
            admission.admit(Lane::Events, two).await.err(),
            Some(Refused::StreamsTotal { limit: 3 })
        );
        drop(first);
        let _again = admission.admit(Lane::Events, one).await.unwrap();
    }

    #[tokio::test]
    async fn a_full_general_pool_leaves_the_runner_pool_alone_until_closed() {
        let admission = Admission::new(&limits(1, 1), String::new());
        let client: IpAddr = "192.0.2.1".parse().unwrap();
        let _held = [
            admission.admit(Lane::General, client).await.unwrap(),
            admission.admit(Lane::Events, client).await.unwrap(),
        ];
        let waiting = admission.admit(Lane::General, client);
        tokio::pin!(waiting);
        assert!(futures::poll!(waiting.as_mut()).is_pending());
        let runner = admission.admit(Lane::Runner, client).await.unwrap();
        drop(runner);
        admission.close();
        assert_eq!(waiting.await.err(), Some(Refused::ShuttingDown));
        assert_eq!(
            admission.admit(Lane::Runner, client).await.err(),
            Some(Refused::ShuttingDown)
        );
    }
}
