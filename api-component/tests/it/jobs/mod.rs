//! Jobs: submission, the runner protocol (claims, leases, fencing, logs, outputs), cancel, retry.
//! Shared helpers here; the tests in the files below.

mod attempts;
mod batches;
mod costs;
mod faults;
mod listing;
mod pipeline;
mod protocol;
mod retention;
mod revise;
mod submission;
mod usage_limits;
mod usage_totals;

use api_component::http::{ApiRequest, ApiResponse};
use api_component::settings::Settings;
use serde_json::{Value, json};

use crate::support::{App, assert_error};

const BRAND: &str = r#"{"brandInfo": {"companyName": "Acme"}}"#;

fn app() -> App {
    let app = App::with_settings(Settings {
        lease_seconds: 30,
        ..Settings::default()
    });
    app.put("/api/brand-data/acme.json", BRAND);
    app
}

fn submit_brief(app: &App, title: &str) -> String {
    let resp = app.post_json(
        "/api/briefs/generate",
        &json!({"title": title, "primary_keyword": "bread", "secondary_keywords": ["sourdough"], "brand_data": "acme.json"}),
    );
    assert_eq!(resp.status, 202, "{}", String::from_utf8_lossy(&resp.body));
    assert_eq!(resp.json_body()["status"], "queued");
    resp.json_body()["job_id"].as_str().unwrap().to_owned()
}

fn claim(app: &App, runner: &str, slots: u32) -> Vec<Value> {
    let resp = app.runner(
        "POST",
        "/api/runner/claim",
        json!({"runner": runner, "slots": slots}).to_string(),
    );
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    resp.json_body()["jobs"].as_array().unwrap().clone()
}

fn job(app: &App, id: &str) -> Value {
    app.get_json(&format!("/api/jobs/{id}"))
}

fn chunk(app: &App, id: &str, attempt: u64, n: u32, texts: &[&str]) -> ApiResponse {
    let lines: Vec<Value> =
        texts.iter().map(|t| json!({"ts": "2026-01-01T00:00:00Z", "stream": "stdout", "kind": "text", "text": t})).collect();
    app.runner(
        "PUT",
        &format!("/api/runner/jobs/{id}/{attempt}/logs/{n}"),
        json!({"lines": lines}).to_string(),
    )
}

fn finish(app: &App, id: &str, attempt: u64, body: Value) -> ApiResponse {
    app.runner(
        "POST",
        &format!("/api/runner/jobs/{id}/{attempt}/finish"),
        body.to_string(),
    )
}

fn completed() -> Value {
    json!({"status": "completed", "log_chunks": 2,
           "usage": {"cost_usd": 0.0085, "input_tokens": 2400, "output_tokens": 84, "duration_ms": 1234, "num_turns": 2}})
}

/// Runs attempt 1 of `id` (claimed already) to the end: `output` staged as its only output,
/// then finished `completed`.
#[track_caller]
fn complete_with(app: &App, id: &str, output: &str) {
    let put = app.runner("PUT", &format!("/api/runner/jobs/{id}/1/outputs/0"), output);
    assert_eq!(put.status, 200, "{}", String::from_utf8_lossy(&put.body));
    let done = finish(app, id, 1, completed());
    assert_eq!(done.status, 200, "{}", String::from_utf8_lossy(&done.body));
}

/// The text of each line of a page of logs.
fn texts(logs: &Value) -> Vec<&str> {
    logs["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap())
        .collect()
}

/// Asserts that job `id` failed with an error that mentions `reason`.
#[track_caller]
fn assert_failed_because(app: &App, id: &str, reason: &str) {
    let view = job(app, id);
    assert_eq!(view["status"], "failed");
    assert!(view["error"].as_str().unwrap().contains(reason), "{view}");
}
