//! Job notifications: every way a job can end records exactly one `job.finished` delivery (and
//! nothing else does), admins list them newest first, nobody else may, and bad input is refused.
//! Sending them is tested through the real `.wasm` (runner/tests/it/webhooks.rs) and the native
//! host (testing/native-api/tests); their state machine in `webhooks::sender`'s unit tests.
//!
//! `announced`: how jobs end; `settings`: off, misconfigured, secret URLs, a test delivery;
//! `deliveries`: listing, filtering and resending.

use api_component::http::ApiRequest;
use api_component::settings::Settings;
use api_component::webhooks::backoff::GIVE_UP_AFTER_MS;
use serde_json::{Value, json};

use crate::support::{App, assert_error};

const HOOK: &str = "http://127.0.0.1:9/cwm/notify";

/// An app with webhooks on, unless `settings` names other webhook settings.
fn hooked(settings: Settings) -> App {
    let or = |given: String, default: &str| {
        if given.is_empty() {
            default.to_owned()
        } else {
            given
        }
    };
    let app = App::with_settings(Settings {
        webhook_url: or(settings.webhook_url.clone(), HOOK),
        webhook_secret: or(settings.webhook_secret.clone(), "whsec"),
        webhook_outbound_host: or(settings.webhook_outbound_host.clone(), "http://127.0.0.1:9"),
        lease_seconds: 30,
        ..settings
    });
    app.put(
        "/api/brand-data/acme.json",
        r#"{"brandInfo": {"companyName": "Acme"}}"#,
    );
    app
}

fn submit(app: &App, title: &str) -> String {
    let resp = app.post_json(
        "/api/briefs/generate",
        &json!({"title": title, "primary_keyword": "bread", "brand_data": "acme.json"}),
    );
    assert_eq!(resp.status, 202, "{}", String::from_utf8_lossy(&resp.body));
    resp.json_body()["job_id"].as_str().unwrap().to_owned()
}

fn claim(app: &App) -> Vec<Value> {
    let resp = app.runner(
        "POST",
        "/api/runner/claim",
        json!({"runner": "r1", "slots": 3}).to_string(),
    );
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    resp.json_body()["jobs"].as_array().unwrap().clone()
}

fn finish(app: &App, id: &str, attempt: u64, body: Value) {
    let resp = app.runner(
        "POST",
        &format!("/api/runner/jobs/{id}/{attempt}/finish"),
        body.to_string(),
    );
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
}

fn cancel(app: &App, id: &str) {
    let resp = app.send(ApiRequest::new("POST", &format!("/api/jobs/{id}/cancel")));
    assert_eq!(resp.status, 202, "{}", String::from_utf8_lossy(&resp.body));
}

/// Every delivery, newest first.
fn deliveries(app: &App) -> Vec<Value> {
    let resp = app.get("/api/webhooks/deliveries?limit=200");
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    resp.json_body()["items"].as_array().unwrap().clone()
}

/// The deliveries about `id`.
fn about(app: &App, id: &str) -> Vec<Value> {
    deliveries(app)
        .into_iter()
        .filter(|d| d["job_id"] == id)
        .collect()
}

#[track_caller]
fn one_finished(app: &App, id: &str, status: &str) -> Value {
    let found = about(app, id);
    assert_eq!(found.len(), 1, "one delivery for job {id}: {found:#?}");
    let d = &found[0];
    assert_eq!(d["event"], "job.finished");
    assert_eq!(d["state"], "pending");
    assert_eq!(d["attempts"], json!([]));
    assert!(d["next_attempt_at"].is_string());
    assert!(d["id"].as_str().unwrap().starts_with("dlv_"));
    assert_eq!(d["payload"]["event"], "job.finished");
    assert_eq!(d["payload"]["job"]["status"], status);
    assert_eq!(d["payload"]["job"]["id"], id);
    d.clone()
}

mod announced;
mod deliveries;
mod settings;
