//! A webhook receiver for tests: a hyper server on a loopback port, on a thread and runtime of
//! its own (so sync and async tests alike can use it), that keeps every request it is sent and
//! answers each with the next status of its script (the last one repeating).
//!
//! ```no_run
//! let receiver = webhook_receiver::Receiver::start(vec![500, 200]);
//! let url = receiver.url("/hook");
//! let both = receiver.wait_for(2, std::time::Duration::from_secs(60));
//! ```
//!
//! [`api::WebhookApi`] makes the calls to the API under test that webhook tests share: a
//! finished job, and the deliveries listed until the newest reaches a state.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::sync::oneshot;

pub mod api;

/// One request as it arrived, and what it was answered.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub answered: u16,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct State {
    script: Vec<u16>,
    received: Mutex<Vec<Received>>,
}

/// A running receiver; dropping it stops it.
pub struct Receiver {
    addr: SocketAddr,
    state: Arc<State>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Receiver {
    /// Listens on a free loopback port and answers the `n`-th request with `script[n]` (the
    /// last status once the script is used up; 200 for an empty script).
    ///
    /// # Panics
    /// If no loopback port can be bound or no thread started.
    pub fn start(script: Vec<u16>) -> Receiver {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(State {
            script,
            received: Mutex::default(),
        });
        let (stop, stopped) = oneshot::channel();
        let shared = state.clone();
        let thread = std::thread::Builder::new()
            .name("webhook-receiver".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime");
                runtime.block_on(serve(listener, shared, stopped));
            })
            .expect("start the receiver thread");
        Receiver {
            addr,
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Every request so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// Waits until `n` requests arrived and returns them all.
    ///
    /// # Panics
    /// If fewer arrive within `timeout`.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let received = self.received();
            if received.len() >= n {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "the receiver got {} of {n} requests within {timeout:?}",
                received.len()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// What a receiver got after an outage that refused the first attempt of each of `backlog`
/// deliveries, once a new job (`newest`) ended: the new job's delivery is among the first
/// `round` requests after the backlog's first attempts (a round's sends go out at once, so in
/// any order), and after them come exactly its first attempt and each backlog delivery's
/// second (`X-CWM-Attempt`).
///
/// # Panics
/// When it is not so.
pub fn assert_new_first_then_backlog(got: &[Received], backlog: usize, round: usize, newest: &str) {
    let job_of = |hit: &Received| {
        serde_json::from_slice::<serde_json::Value>(&hit.body).expect("a JSON body")["job"]["id"]
            .as_str()
            .map(str::to_owned)
    };
    let first_round: Vec<Option<String>> =
        got[backlog..backlog + round].iter().map(job_of).collect();
    assert!(
        first_round.contains(&Some(newest.to_owned())),
        "the new job's delivery goes in the first round: {first_round:?}"
    );
    let mut attempts: Vec<&str> = got[backlog..]
        .iter()
        .map(|hit| hit.header("x-cwm-attempt").expect("an attempt header"))
        .collect();
    attempts.sort_unstable();
    let mut expected = vec!["2"; backlog];
    expected.insert(0, "1");
    assert_eq!(
        attempts, expected,
        "the new one's first attempt and each of the backlog's second"
    );
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(
    listener: std::net::TcpListener,
    state: Arc<State>,
    mut stopped: oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        let stream = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        let state = state.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| answer(state.clone(), req));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn answer(
    state: Arc<State>,
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    let mut received = state.received.lock().unwrap();
    let status = state
        .script
        .get(received.len())
        .or(state.script.last())
        .copied()
        .unwrap_or(200);
    received.push(Received {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        headers: parts
            .headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect(),
        body,
        answered: status,
    });
    drop(received);
    let mut response = hyper::Response::new(Full::new(Bytes::from_static(b"{}")));
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or_default();
    Ok(response)
}
