//! Host limits against slow or greedy clients: a stalled request head or body ends its request,
//! event streams are capped per client, and runners are served however many slow uploads fill
//! the general request pool.

use std::io::{ErrorKind, Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::{Api, block_on};
use crate::harness::{Host, poll_until};

/// Upper bound for anything that should happen "soon" (timeouts are set to 1 s in these tests).
const GENEROUS: Duration = Duration::from_secs(20);
const RUNNER_TOKEN: &str = "limits-test-token";

/// A raw connection to `host` that has sent `bytes` and nothing more.
fn send_partial(host: &Host, bytes: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(host.addr).expect("connect");
    stream.write_all(bytes).expect("write");
    stream
}

/// Reads until the server closes the connection (EOF, or a reset after it dropped it) and
/// returns what it sent; panics if it is still open after `timeout`.
fn read_until_closed(stream: &mut TcpStream, timeout: Duration) -> Vec<u8> {
    let deadline = Instant::now() + timeout;
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "the server kept the connection open; it sent {:?}",
            String::from_utf8_lossy(&received)
        );
        stream.set_read_timeout(Some(left)).unwrap();
        match stream.read(&mut buf) {
            Ok(0) => return received,
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return received,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!("reading from the server: {e}"),
        }
    }
}

/// `GET /health` answers 200.
async fn assert_healthy(api: &Api) {
    let (status, body) = api.get_path("/health").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Raises this process's open-file limit (inherited by hosts started afterwards) to at least
/// `wanted`, or as far as the hard limit allows.
fn raise_fd_limit(wanted: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read or write the struct passed to them.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        let target = limit.rlim_max.min(wanted.max(limit.rlim_cur));
        if target > limit.rlim_cur {
            limit.rlim_cur = target;
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
        }
    }
}

/// A request head cut off mid-header, never finished: the connection is closed once the header
/// timeout (1 s here) passes, and the host keeps serving.
#[test]
fn a_stalled_request_head_is_closed_after_the_header_timeout() {
    let data = tempfile::tempdir().unwrap();
    let host = Host::serve_with_env(data.path(), &[("CWM_HEADER_TIMEOUT_SECS", "1")]);
    let mut stalled = send_partial(
        &host,
        b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ",
    );
    let received = read_until_closed(&mut stalled, GENEROUS);
    // hyper closes without an answer.
    assert!(
        received.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&received)
    );
    block_on(assert_healthy(&Api::new(&host)));
}

/// A request body that stops arriving ends its request once the body idle timeout (1 s here)
/// passes: the host answers an error or closes, stores nothing, and keeps serving.
#[test]
fn a_stalled_request_body_ends_its_request() {
    let data = tempfile::tempdir().unwrap();
    let host = Host::serve_with_env(data.path(), &[("CWM_BODY_IDLE_TIMEOUT_SECS", "1")]);
    let head = "PUT /api/briefs/stalled.md HTTP/1.1\r\nHost: localhost\r\n\
                Content-Type: text/markdown\r\nContent-Length: 1000\r\n\r\n# Stalled\n";
    let mut stalled = send_partial(&host, head.as_bytes());
    let received = read_until_closed(&mut stalled, GENEROUS);
    let text = String::from_utf8_lossy(&received);
    // The component answers 400 ("could not read the request body") and the host closes.
    assert!(
        received.is_empty() || text.starts_with("HTTP/1.1 4") || text.starts_with("HTTP/1.1 5"),
        "{text}"
    );
    assert!(!host.stderr().contains("panicked"), "{}", host.stderr());
    let api = Api::new(&host);
    block_on(async {
        assert_healthy(&api).await;
        let (status, body) = api.get("briefs", "stalled.md").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        let put = api.put("briefs", "afterwards.md", "# Afterwards\n").await;
        assert!(put.is_success(), "{put}");
    });
}

/// 500 uploads that never finish, with room for 50 requests: the general pool is full, yet a
/// runner's heartbeat and claim are answered at once from the pool reserved for runners.
#[test]
fn runners_are_served_while_slow_uploads_fill_the_general_pool() {
    const UPLOADS: usize = 500;
    const GENERAL: usize = 50;
    raise_fd_limit(4096);
    let data = tempfile::tempdir().unwrap();
    let host = Host::serve_with_env(
        data.path(),
        &[
            ("CWM_MAX_CONCURRENT_REQUESTS", "50"),
            // The uploads must stay in flight for the whole test.
            ("CWM_BODY_IDLE_TIMEOUT_SECS", "600"),
            ("SPIN_VARIABLE_RUNNER_TOKEN", RUNNER_TOKEN),
        ],
    );
    let mut uploads = Vec::with_capacity(UPLOADS);
    for i in 0..UPLOADS {
        let head = format!(
            "POST /api/briefs/upload HTTP/1.1\r\nHost: localhost\r\n\
             Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 100000\r\n\r\n\
             --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow-{i}.md\"\r\n\
             Content-Type: text/markdown\r\n\r\n# Slow {i}\n"
        );
        uploads.push(send_partial(&host, head.as_bytes()));
    }
    let admitted = || {
        host.stderr()
            .lines()
            .filter(|l| l.contains("request received") && l.contains("/api/briefs/upload"))
            .count()
    };
    poll_until(Duration::from_secs(120), || admitted() >= GENERAL)
        .unwrap_or_else(|| panic!("the uploads did not fill the pool:\n{}", host.stderr()));

    let client = crate::harness::client_builder()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    let runner_call = |path: &str, body: Value| {
        client
            .post(host.url(path))
            .bearer_auth(RUNNER_TOKEN)
            .json(&body)
            .send()
    };
    block_on(async {
        let heartbeat = runner_call("/api/runner/heartbeat", json!({"runner": "r1", "jobs": []}))
            .await
            .expect("heartbeat answered");
        assert_eq!(heartbeat.status(), StatusCode::OK);
        let claim = runner_call(
            "/api/runner/claim",
            json!({"runner": "r1", "slots": 1, "wait_ms": 0}),
        )
        .await
        .expect("claim answered");
        assert_eq!(claim.status(), StatusCode::OK);
        let claimed: Value = claim.json().await.unwrap();
        assert_eq!(claimed["jobs"], json!([]), "{claimed}");
    });
    assert_eq!(
        admitted(),
        GENERAL,
        "the general pool was full the whole time, and only it holds uploads"
    );

    // Closed uploads fail their bodies and give their slots back (a request waits for one).
    drop(uploads);
    let api = Api::new(&host);
    block_on(async {
        let health = tokio::time::timeout(Duration::from_secs(60), api.get_path("/health"))
            .await
            .expect("the host serves again once the uploads are gone");
        assert_eq!(health.0, StatusCode::OK, "{}", health.1);
    });
}

/// With at most 3 event streams per client, a 4th from the same address gets 429 with
/// `Retry-After` while the 3 stay open; once one is closed, a new one is accepted.
#[test]
fn event_streams_over_the_per_client_cap_get_429_until_one_closes() {
    let data = tempfile::tempdir().unwrap();
    let host = Host::serve_with_env(data.path(), &[("CWM_MAX_EVENT_STREAMS_PER_CLIENT", "3")]);
    let api = Api::new(&host);
    let client = crate::harness::client();
    block_on(async {
        let brand = r#"{"brandInfo": {"companyName": "Acme"}}"#;
        assert!(api.put("brand-data", "acme.json", brand).await.is_success());
        let submit = json!({"title": "Limits", "primary_keyword": "bread",
            "secondary_keywords": ["sourdough"], "brand_data": "acme.json"});
        let response = client
            .post(host.url("/api/briefs/generate"))
            .json(&submit)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let job: Value = response.json().await.unwrap();
        let events = host.url(&format!(
            "/api/jobs/{}/events",
            job["job_id"].as_str().unwrap()
        ));
        let open = || async {
            let mut stream = client.get(&events).send().await.unwrap();
            if stream.status() == StatusCode::OK {
                let first = stream.chunk().await.unwrap().expect("first event bytes");
                assert!(!first.is_empty());
            }
            stream
        };

        let mut streams = Vec::new();
        for _ in 0..3 {
            let stream = open().await;
            assert_eq!(stream.status(), StatusCode::OK);
            streams.push(stream);
        }
        let refused = open().await;
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused.headers()["retry-after"], "5");
        let body: Value = refused.json().await.unwrap();
        let message = body["error"].as_str().unwrap();
        assert!(message.starts_with("too many event streams"), "{message}");
        assert_healthy(&api).await;

        drop(streams.pop());
        let accepted = async {
            loop {
                let stream = open().await;
                if stream.status() == StatusCode::OK {
                    return stream;
                }
                assert_eq!(stream.status(), StatusCode::TOO_MANY_REQUESTS);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        };
        let replacement = tokio::time::timeout(Duration::from_secs(60), accepted)
            .await
            .expect("a stream is accepted once one was closed");
        streams.push(replacement);
        // The two that stayed open still count: the cap is full again.
        assert_eq!(open().await.status(), StatusCode::TOO_MANY_REQUESTS);
        drop(streams);
    });
}
