//! In-flight requests: they do not block each other (slow uploads, SSE streams), SIGTERM lets
//! them finish, and one that never finishes cannot hold the process past the grace period.

use std::time::Duration;

use reqwest::StatusCode;
use tokio::sync::mpsc;

use crate::api::{Api, block_on};
use crate::harness::{EXIT_TIMEOUT, Host, poll_until};

type Chunk = Result<Vec<u8>, std::io::Error>;

/// Starts `PUT path` whose body is fed through the returned sender; the response arrives once
/// the sender is dropped.
fn start_streaming_put(
    host: &Host,
    path: &str,
) -> (
    mpsc::Sender<Chunk>,
    tokio::task::JoinHandle<reqwest::Result<reqwest::Response>>,
) {
    let (tx, rx) = mpsc::channel::<Chunk>(4);
    let body = futures::stream::unfold(rx, |mut rx| async { rx.recv().await.map(|c| (c, rx)) });
    let request = crate::harness::client()
        .put(host.url(path))
        .body(reqwest::Body::wrap_stream(body));
    (tx, tokio::spawn(request.send()))
}

/// SIGTERM while a request is half-sent: the server stops accepting connections, finishes that
/// request, and exits 0.
#[test]
fn sigterm_finishes_the_in_flight_request_and_exits_zero() {
    let data = tempfile::tempdir().unwrap();
    let mut host = Host::serve(data.path());
    block_on(async {
        let (tx, response) = start_streaming_put(&host, "/api/briefs/slow.md");
        tx.send(Ok(b"# Slow upload\n\n".to_vec())).await.unwrap();
        host.wait_for_stderr("request received", Duration::from_secs(30));

        host.terminate();
        host.wait_for_stderr("no longer accepting connections", Duration::from_secs(30));
        let refused = std::net::TcpStream::connect_timeout(&host.addr, Duration::from_secs(5));
        assert!(
            refused.is_err(),
            "a new connection was accepted during shutdown"
        );

        tx.send(Ok(b"The rest of the body.\n".to_vec()))
            .await
            .unwrap();
        drop(tx);
        let response = response
            .await
            .unwrap()
            .expect("in-flight request completed");
        assert!(response.status().is_success(), "{}", response.status());
    });
    let status = host.wait_exit(EXIT_TIMEOUT);
    assert_eq!(status.code(), Some(0), "{}", host.stderr());
}

/// Requests whose bodies never end occupy instances but nothing else: the host keeps serving,
/// and on SIGTERM it waits only for the grace period before exiting 0.
#[test]
fn stuck_requests_block_neither_others_nor_shutdown() {
    const STUCK: usize = 40;
    let data = tempfile::tempdir().unwrap();
    let mut host = Host::serve_with_env(data.path(), &[("CWM_SHUTDOWN_GRACE_SECS", "1")]);
    let api = Api::new(&host);
    block_on(async {
        let mut senders = Vec::new();
        for i in 0..STUCK {
            let (tx, _response) = start_streaming_put(&host, &format!("/api/drafts/stuck-{i}.md"));
            tx.send(Ok(b"# never finished\n".to_vec())).await.unwrap();
            senders.push(tx);
        }
        let received = || host.stderr().matches("request received").count() >= STUCK;
        poll_until(Duration::from_secs(60), received).expect("all stuck requests reached the host");

        let (status, body) = api.get_path("/health").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let put = api.put("briefs", "meanwhile.md", "# Meanwhile\n").await;
        assert!(put.is_success(), "{put}");

        host.terminate();
        let status = tokio::task::spawn_blocking(move || {
            let status = host.wait_exit(EXIT_TIMEOUT);
            (status, host.stderr())
        });
        let (status, stderr) = status.await.unwrap();
        assert_eq!(status.code(), Some(0), "{stderr}");
        assert!(stderr.contains("grace period over"), "{stderr}");
        drop(senders);
    });
}

/// Server-sent event streams (a queued job's `/events`, which stay open while the job waits)
/// run beside other requests, and shutdown ends them after the grace period.
#[test]
fn sse_streams_stay_open_beside_other_requests_until_shutdown() {
    const STREAMS: usize = 20;
    let data = tempfile::tempdir().unwrap();
    let mut host = Host::serve_with_env(
        data.path(),
        &[
            ("CWM_SHUTDOWN_GRACE_SECS", "1"),
            // All from one address: above the default per-client cap (16, see limits.rs).
            ("CWM_MAX_EVENT_STREAMS_PER_CLIENT", "32"),
        ],
    );
    let api = Api::new(&host);
    let client = crate::harness::client();
    block_on(async {
        let submit = serde_json::json!({"brand_name": "Acme", "urls": ["https://acme.example"]});
        let response = client
            .post(host.url("/api/brand-data/generate"))
            .json(&submit)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let job: serde_json::Value = response.json().await.unwrap();
        let id = job["job_id"]
            .as_str()
            .map_or_else(|| job["job_id"].to_string(), str::to_owned);

        let mut streams = Vec::new();
        for _ in 0..STREAMS {
            let url = host.url(&format!("/api/jobs/{id}/events"));
            let mut stream = client.get(url).send().await.unwrap();
            assert_eq!(stream.status(), StatusCode::OK);
            let kind = stream.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(kind.starts_with("text/event-stream"), "{kind}");
            let first = stream.chunk().await.unwrap().expect("first event bytes");
            assert!(!first.is_empty());
            streams.push(stream);
        }

        let (status, body) = api.get_path("/health").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let put = api
            .put("briefs", "during-streams.md", "# During streams\n")
            .await;
        assert!(put.is_success(), "{put}");

        host.terminate();
        let (status, stderr) = tokio::task::spawn_blocking(move || {
            let status = host.wait_exit(EXIT_TIMEOUT);
            (status, host.stderr())
        })
        .await
        .unwrap();
        assert_eq!(status.code(), Some(0), "{stderr}");
        assert!(stderr.contains("grace period over"), "{stderr}");
        drop(streams);
    });
}
