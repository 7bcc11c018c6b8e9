//! The native host answers as a host must: the handler's answers over HTTP, long-poll claims
//! that wait and then answer, event streams, oversized bodies refused before they are read.

use std::time::{Duration, Instant};

use api_component::settings::Settings;
use native_api::NativeApi;
use serde_json::{Value, json};

const ADMIN: &str = "native-admin";
const RUNNER: &str = "native-runner";

fn api() -> NativeApi {
    NativeApi::start(Settings {
        admin_token: ADMIN.into(),
        runner_token: RUNNER.into(),
        max_document_bytes: 1024,
        ..Settings::default()
    })
}

#[tokio::test]
async fn health_and_credentials_are_the_components() {
    let api = api();
    let http = reqwest::Client::new();
    let health = http.get(api.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let body: Value = health.json().await.unwrap();
    assert_eq!(body["status"], "healthy", "{body}");

    let anonymous = http.get(api.url("/api/briefs")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let admin = http
        .get(api.url("/api/briefs"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), 200);
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_and_nothing_is_stored() {
    let api = api();
    let before = api.store().len();
    let resp = reqwest::Client::new()
        .put(api.url("/api/briefs/big.md"))
        .bearer_auth(ADMIN)
        .body(vec![b'a'; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    assert_eq!(api.store().len(), before);
}

#[tokio::test]
async fn a_waiting_claim_answers_when_its_wait_ends() {
    let api = api();
    let started = Instant::now();
    let resp = reqwest::Client::new()
        .post(api.url(protocol::routes::CLAIM))
        .bearer_auth(RUNNER)
        .json(&json!({"runner": "box-1", "slots": 1, "wait_ms": 600}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["jobs"], json!([]), "{body}");
    // It waited rather than answering at once (a lower bound only: the upper one is noise).
    assert!(started.elapsed() >= Duration::from_millis(500));
}

#[tokio::test]
async fn an_unknown_jobs_event_stream_is_a_404_and_a_known_one_streams() {
    let api = api();
    let http = reqwest::Client::new();
    let missing = http
        .get(api.url("/api/jobs/nope/events"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let brand = http
        .put(api.url("/api/brand-data/acme.json"))
        .bearer_auth(ADMIN)
        .json(&json!({"brand": "Acme"}))
        .send()
        .await
        .unwrap();
    assert!(brand.status().is_success(), "{}", brand.status());
    let job: Value = http
        .post(api.url("/api/briefs/generate"))
        .bearer_auth(ADMIN)
        .json(&json!({"title": "Trail shoes", "primary_keyword": "trail shoes", "brand_data": "acme.json"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = job["job_id"].as_str().expect("a job id");
    let mut stream = http
        .get(api.url(&format!("/api/jobs/{id}/events")))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    let mut seen = String::new();
    while !seen.contains("event: status") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.chunk())
            .await
            .expect("the stream sends within seconds")
            .unwrap()
            .expect("the stream stays open while the job is queued");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.starts_with("retry: "), "{seen}");
    assert!(seen.contains("\"queued\""), "{seen}");
}
