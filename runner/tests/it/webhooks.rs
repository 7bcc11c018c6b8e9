//! Job notifications through the real `.wasm` in `runner serve`: a finished job is POSTed to a
//! receiver on loopback, signed; a 500 is retried after the backoff and the retry is delivered.
//! And the host refuses outgoing requests to anything but `allowed_outbound_hosts`, even when
//! the component asks, logging where to by origin only; after an outage, the pass a job's end
//! starts sends that job's delivery first and drains the backlog, beside the answer; a
//! `webhook_outbound_host` that is not a destination leaves webhooks off with a warning naming
//! it, and the server serves.

use std::path::Path;
use std::time::Duration;

use api_component::webhooks::sender::MAX_SENDS;
use api_component::webhooks::signing;
use serde_json::{Value, json};
use webhook_receiver::Receiver;
use webhook_receiver::api::WebhookApi;

use crate::api::block_on;
use crate::harness::{ADMIN_TOKEN, Host, client};

const SECRET: &str = "runner-webhook-secret";
/// The first retry comes 30 s after a failed attempt (see `webhooks::backoff`), then a pass.
const RETRY_WAIT: Duration = Duration::from_secs(120);

fn serve(data_dir: &Path, env: &[(&str, &str)]) -> Host {
    Host::serve_with_env(data_dir, env)
}

/// The API `host` serves, as the webhook tests call it (with the admin token).
fn api(host: &Host) -> WebhookApi {
    WebhookApi::new(&host.url(""), ADMIN_TOKEN)
}

/// Lists deliveries (each listing also runs a pass when one is due) until the newest one
/// satisfies `done`; returns it.
async fn wait_for_delivery(host: &Host, timeout: Duration, done: impl Fn(&Value) -> bool) -> Value {
    api(host)
        .wait_for_delivery(timeout, Duration::from_millis(250), done)
        .await
        .unwrap_or_else(|page| {
            panic!(
                "never happened; last page: {page:#}\nstderr:\n{}",
                host.stderr()
            )
        })
}

#[test]
fn a_finished_job_is_delivered_signed_and_a_failed_attempt_is_retried() {
    let receiver = Receiver::start(vec![500, 200]);
    let origin = format!("http://{}", receiver.addr());
    let url = receiver.url("/hooks/cwm?team=content");
    let data = tempfile::tempdir().unwrap();
    let host = serve(
        data.path(),
        &[
            ("SPIN_VARIABLE_WEBHOOK_URL", &url),
            ("SPIN_VARIABLE_WEBHOOK_SECRET", SECRET),
            ("SPIN_VARIABLE_WEBHOOK_OUTBOUND_HOST", &origin),
        ],
    );
    block_on(async {
        let id = api(&host).cancelled_job().await;
        let first = wait_for_delivery(&host, RETRY_WAIT, |d| {
            d["attempts"].as_array().is_some_and(|a| !a.is_empty())
        })
        .await;
        assert_eq!(first["state"], "pending");
        assert_eq!(first["attempts"][0]["status_code"], 500);
        assert!(first["next_attempt_at"].is_string());

        let done = wait_for_delivery(&host, RETRY_WAIT, |d| d["state"] == "delivered").await;
        let codes: Vec<&Value> = done["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| &a["status_code"])
            .collect();
        assert_eq!(codes, [&json!(500), &json!(200)]);
        assert_eq!(done["next_attempt_at"], Value::Null);

        let got = receiver.received();
        assert_eq!(got.len(), 2, "one failed attempt and one retry, no more");
        for (n, hit) in got.iter().enumerate() {
            assert_eq!(hit.method, "POST");
            assert_eq!(hit.path, "/hooks/cwm");
            assert_eq!(hit.header("content-type"), Some("application/json"));
            assert_eq!(
                hit.header("content-length"),
                Some(hit.body.len().to_string().as_str()),
                "a sized body, not a chunked one"
            );
            assert_eq!(hit.header("x-cwm-event"), Some("job.finished"));
            assert_eq!(hit.header("x-cwm-delivery"), done["id"].as_str());
            assert_eq!(
                hit.header("x-cwm-attempt"),
                Some((n + 1).to_string().as_str())
            );
            let timestamp: i64 = hit.header("x-cwm-timestamp").unwrap().parse().unwrap();
            let signature = hit.header("x-cwm-signature").unwrap();
            assert!(
                signing::verify(SECRET, timestamp, &hit.body, signature),
                "attempt {} is signed with webhook_secret",
                n + 1
            );
            assert!(!signing::verify(
                "another secret",
                timestamp,
                &hit.body,
                signature
            ));
        }
        assert_eq!(got[0].body, got[1].body, "the retry sends the same bytes");
        let body: Value = serde_json::from_slice(&got[1].body).unwrap();
        assert_eq!(body["event"], "job.finished");
        let job = api(&host).get(&format!("/api/jobs/{id}")).await;
        assert_eq!(
            body["job"], job,
            "the job as GET /api/jobs/{{id}} returns it"
        );
        assert_eq!(done["payload"], body);
    });
}

/// The repository's spin.toml with `allowed_outbound_hosts` pinned to `allowed`, whatever the
/// variables say.
fn manifest_allowing(dir: &Path, allowed: &str) -> String {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spin.toml")).unwrap();
    let line = "allowed_outbound_hosts = [\"{{ webhook_outbound_host }}\"]";
    assert!(
        text.contains(line),
        "spin.toml templates allowed_outbound_hosts"
    );
    let text = text.replace(line, &format!("allowed_outbound_hosts = [\"{allowed}\"]"));
    let path = dir.join("spin.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn the_host_refuses_requests_to_any_other_destination() {
    let receiver = Receiver::start(vec![200]);
    let origin = format!("http://{}", receiver.addr());
    let data = tempfile::tempdir().unwrap();
    // The component is told the receiver is allowed; the host allows only another port.
    let manifest = manifest_allowing(data.path(), "http://127.0.0.1:9");
    let host = serve(
        data.path(),
        &[
            ("CWM_MANIFEST", &manifest),
            (
                "SPIN_VARIABLE_WEBHOOK_URL",
                &receiver.url("/hook/path-secret-4711"),
            ),
            ("SPIN_VARIABLE_WEBHOOK_SECRET", SECRET),
            ("SPIN_VARIABLE_WEBHOOK_OUTBOUND_HOST", &origin),
        ],
    );
    block_on(async {
        api(&host).cancelled_job().await;
        let d = wait_for_delivery(&host, RETRY_WAIT, |d| {
            d["attempts"].as_array().is_some_and(|a| !a.is_empty())
        })
        .await;
        assert_eq!(d["state"], "pending");
        assert_eq!(d["attempts"][0]["status_code"], Value::Null);
        let error = d["attempts"][0]["error"].as_str().unwrap();
        assert!(
            error.contains("not an allowed outbound destination"),
            "{error}"
        );
    });
    assert!(
        receiver.received().is_empty(),
        "nothing reached the receiver"
    );
    host.wait_for_stderr("outgoing request refused", Duration::from_secs(10));
    let log = host.stderr();
    assert!(
        log.contains(&format!("destination={origin}")),
        "the refused destination is logged as scheme://host:port: {log}"
    );
    assert!(
        !log.contains("path-secret-4711"),
        "the URL's path is not logged: {log}"
    );
}

#[test]
fn a_webhook_outbound_host_that_is_no_destination_leaves_webhooks_off_and_says_so() {
    for bad in [
        "https://hooks.example.com/services/T0/path-secret-4711",
        "hooks.example.com",
    ] {
        let data = tempfile::tempdir().unwrap();
        let host = serve(
            data.path(),
            &[
                (
                    "SPIN_VARIABLE_WEBHOOK_URL",
                    "https://hooks.example.com/services/T0/path-secret-4711",
                ),
                ("SPIN_VARIABLE_WEBHOOK_SECRET", SECRET),
                ("SPIN_VARIABLE_WEBHOOK_OUTBOUND_HOST", bad),
            ],
        );
        host.wait_for_stderr("webhook_outbound_host", Duration::from_secs(10));
        let log = host.stderr();
        let warning = log
            .lines()
            .find(|l| l.contains("webhook_outbound_host"))
            .unwrap();
        assert!(warning.contains(" WARN "), "a warning, not an error: {log}");
        assert!(
            warning.contains(": it must be scheme://host[:port] alone, e.g. https://hooks.example.com or https://hooks.example.com:8443"),
            "says what a valid value looks like: {warning}"
        );
        assert!(warning.contains("webhooks are off"), "{warning}");
        assert!(
            !warning.contains("spin.toml"),
            "names the variable, not the manifest: {warning}"
        );
        assert!(!log.contains("path-secret-4711"), "{log}");
        block_on(async {
            let page = api(&host).get("/api/webhooks/deliveries").await;
            assert_eq!(page["enabled"], false, "{bad}: {page}");
            let problem = page["problem"].as_str().unwrap();
            assert!(problem.starts_with("webhook_outbound_host"), "{problem}");
            assert!(!page.to_string().contains("path-secret-4711"), "{page}");
            // The rest of the server serves.
            let health = client().get(host.url("/health")).send().await.unwrap();
            assert_eq!(health.status(), 200);
        });
    }
}

#[test]
fn after_an_outage_one_pass_sends_the_new_delivery_first_and_drains_the_backlog() {
    const BACKLOG: usize = 20;
    let receiver = Receiver::start([vec![503; BACKLOG], vec![200]].concat());
    let origin = format!("http://{}", receiver.addr());
    let data = tempfile::tempdir().unwrap();
    let host = serve(
        data.path(),
        &[
            ("SPIN_VARIABLE_WEBHOOK_URL", &receiver.url("/hook")),
            ("SPIN_VARIABLE_WEBHOOK_SECRET", SECRET),
            ("SPIN_VARIABLE_WEBHOOK_OUTBOUND_HOST", &origin),
        ],
    );
    block_on(async {
        for _ in 0..BACKLOG {
            api(&host).cancelled_job().await;
        }
    });
    receiver.wait_for(BACKLOG, RETRY_WAIT);
    // No runner and no request: nothing starts a pass until the retries are due.
    std::thread::sleep(Duration::from_millis(
        api_component::webhooks::backoff::FIRST_DELAY_MS as u64 + 1_000,
    ));
    let newest = block_on(api(&host).cancelled_job());
    let got = receiver.wait_for(2 * BACKLOG + 1, RETRY_WAIT);
    webhook_receiver::assert_new_first_then_backlog(&got, BACKLOG, MAX_SENDS, &newest);
}
