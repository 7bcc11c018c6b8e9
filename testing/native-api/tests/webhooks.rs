//! The native host sends webhook deliveries as the `.wasm` does: a finished job reaches a real
//! receiver on loopback, signed, and what came of each attempt is listed; a receiver that is
//! down leaves the delivery pending with the error; after an outage, a new delivery goes first
//! and the backlog drains in the same pass.

use std::time::Duration;

use api_component::settings::Settings;
use api_component::webhooks::sender::MAX_SENDS;
use api_component::webhooks::signing;
use native_api::NativeApi;
use serde_json::Value;
use webhook_receiver::Receiver;
use webhook_receiver::api::WebhookApi;

const ADMIN: &str = "native-admin";
const SECRET: &str = "native-webhook-secret";
const WAIT: Duration = Duration::from_secs(30);

fn api(url: &str, outbound_host: &str) -> NativeApi {
    NativeApi::start(Settings {
        admin_token: ADMIN.into(),
        webhook_url: url.into(),
        webhook_secret: SECRET.into(),
        webhook_outbound_host: outbound_host.into(),
        ..Settings::default()
    })
}

/// Lists deliveries until `done` holds for the first one (listing also nudges a pass).
async fn wait_for_delivery(api: &NativeApi, done: impl Fn(&Value) -> bool) -> Value {
    WebhookApi::new(&api.url(""), ADMIN)
        .wait_for_delivery(WAIT, Duration::from_millis(50), done)
        .await
        .unwrap_or_else(|page| panic!("never happened; last page: {page:#}"))
}

/// Queues a brand-data job and cancels it: a finished job.
async fn cancelled_job(api: &NativeApi) -> String {
    WebhookApi::new(&api.url(""), ADMIN).cancelled_job().await
}

#[tokio::test]
async fn a_finished_job_is_delivered_signed_to_the_receiver() {
    let receiver = Receiver::start(vec![204]);
    let origin = format!("http://{}", receiver.addr());
    let api = api(&receiver.url("/hooks/cwm"), &origin);
    let id = cancelled_job(&api).await;

    // Kept until the end: its answer must reach the API.
    let (_receiver, got) = tokio::task::spawn_blocking(move || {
        let got = receiver.wait_for(1, WAIT);
        (receiver, got)
    })
    .await
    .unwrap();
    let hit = &got[0];
    assert_eq!(
        (hit.method.as_str(), hit.path.as_str()),
        ("POST", "/hooks/cwm")
    );
    assert_eq!(hit.header("content-type"), Some("application/json"));
    assert_eq!(hit.header("x-cwm-event"), Some("job.finished"));
    let timestamp: i64 = hit.header("x-cwm-timestamp").unwrap().parse().unwrap();
    assert!(signing::verify(
        SECRET,
        timestamp,
        &hit.body,
        hit.header("x-cwm-signature").unwrap()
    ));
    let body: Value = serde_json::from_slice(&hit.body).unwrap();
    assert_eq!(body["event"], "job.finished");
    assert_eq!(body["job"]["id"], id.as_str());
    assert_eq!(body["job"]["status"], "cancelled");

    let d = wait_for_delivery(&api, |d| d["state"] == "delivered").await;
    assert_eq!(d["id"].as_str(), hit.header("x-cwm-delivery"));
    assert_eq!(d["attempts"].as_array().unwrap().len(), 1);
    assert_eq!(d["attempts"][0]["status_code"], 204);
}

#[tokio::test]
async fn a_receiver_that_is_down_leaves_the_delivery_pending_with_the_error() {
    // A port nothing listens on any more.
    let gone = Receiver::start(vec![]);
    let (url, origin) = (gone.url("/hook"), format!("http://{}", gone.addr()));
    drop(gone);
    let api = api(&url, &origin);
    cancelled_job(&api).await;
    let d = wait_for_delivery(&api, |d| !d["attempts"].as_array().unwrap().is_empty()).await;
    assert_eq!(d["state"], "pending");
    assert_eq!(d["attempts"][0]["status_code"], Value::Null);
    let error = d["attempts"][0]["error"].as_str().unwrap();
    assert!(error.contains("cannot connect"), "{error}");
    assert!(d["next_attempt_at"].is_string());
}

#[tokio::test]
async fn after_an_outage_a_new_delivery_goes_first_and_the_backlog_drains_in_the_same_pass() {
    const BACKLOG: usize = 40;
    // Refuses the first attempt of each of the backlog, then accepts everything.
    let receiver = Receiver::start([vec![503; BACKLOG], vec![200]].concat());
    let api = api(
        &receiver.url("/hook"),
        &format!("http://{}", receiver.addr()),
    );
    for _ in 0..BACKLOG {
        cancelled_job(&api).await;
    }
    let (receiver, _) = tokio::task::spawn_blocking(move || {
        let got = receiver.wait_for(BACKLOG, WAIT);
        (receiver, got)
    })
    .await
    .unwrap();
    // The retries come due 30 s later. No request meanwhile: nothing else starts a pass.
    let retry_due = api_component::webhooks::backoff::FIRST_DELAY_MS as u64 + 1_000;
    tokio::time::sleep(Duration::from_millis(retry_due)).await;
    let newest = cancelled_job(&api).await;

    // That job's end starts the one pass: its delivery in the first round, then the backlog.
    let (_receiver, got) = tokio::task::spawn_blocking(move || {
        let got = receiver.wait_for(2 * BACKLOG + 1, WAIT);
        (receiver, got)
    })
    .await
    .unwrap();
    webhook_receiver::assert_new_first_then_backlog(&got, BACKLOG, MAX_SENDS, &newest);
    let delivered = wait_for_delivery(&api, |_| true).await;
    assert_eq!(delivered["state"], "delivered");
}
