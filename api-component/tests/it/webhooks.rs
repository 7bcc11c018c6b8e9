//! Job notifications: every way a job can end records exactly one `job.finished` delivery (and
//! nothing else does), admins list them newest first, nobody else may, and bad input is refused.
//! Sending them is tested through the real `.wasm` (runner/tests/it/webhooks.rs) and the native
//! host (testing/native-api/tests); their state machine in `webhooks::sender`'s unit tests.

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

#[test]
fn a_completed_job_is_announced_once_as_the_job_api_shows_it() {
    let app = hooked(Settings::default());
    let id = submit(&app, "Rye");
    assert!(deliveries(&app).is_empty(), "nothing while queued");
    claim(&app);
    assert!(deliveries(&app).is_empty(), "nothing while running");
    let out = app.runner(
        "PUT",
        &format!("/api/runner/jobs/{id}/1/outputs/0"),
        "# Rye\n\nText.",
    );
    assert_eq!(out.status, 200);
    finish(
        &app,
        &id,
        1,
        json!({"status": "completed", "log_chunks": 0}),
    );
    let d = one_finished(&app, &id, "completed");
    let job = app.get(&format!("/api/jobs/{id}")).json_body();
    assert_eq!(
        d["payload"]["job"], job,
        "the job as GET /api/jobs/{{id}} returns it"
    );

    let page = app.get("/api/webhooks/deliveries").json_body();
    assert_eq!(page["enabled"], true);
    assert_eq!(page["target"], "http://127.0.0.1:9");
    assert_eq!(page["problem"], Value::Null);
    assert!(
        !page.to_string().contains("/cwm/notify"),
        "the URL's path (which may hold a secret) is not shown"
    );
}

#[test]
fn failed_and_runner_cancelled_jobs_are_announced_once() {
    let app = hooked(Settings::default());
    let failed = submit(&app, "Fails");
    let stopped = submit(&app, "Stopped");
    claim(&app);
    finish(
        &app,
        &failed,
        1,
        json!({"status": "failed", "error": "the CLI exited with 1", "log_chunks": 0}),
    );
    one_finished(&app, &failed, "failed");

    cancel(&app, &stopped);
    assert!(
        about(&app, &stopped).is_empty(),
        "running: only flagged so far"
    );
    finish(
        &app,
        &stopped,
        1,
        json!({"status": "cancelled", "log_chunks": 0}),
    );
    one_finished(&app, &stopped, "cancelled");
    assert_eq!(deliveries(&app).len(), 2);
}

#[test]
fn a_queued_job_cancelled_is_announced_once() {
    let app = hooked(Settings::default());
    let id = submit(&app, "Never ran");
    cancel(&app, &id);
    let d = one_finished(&app, &id, "cancelled");
    assert_eq!(d["payload"]["job"]["error"], "cancelled before it started");
    // A second cancel is refused and records nothing.
    assert_error(
        &app.send(ApiRequest::new("POST", &format!("/api/jobs/{id}/cancel"))),
        409,
        "already",
    );
    assert_eq!(about(&app, &id).len(), 1);
}

#[test]
fn a_batch_cancel_announces_each_job_once() {
    let app = hooked(Settings::default());
    app.put("/api/briefs/intro.md", "# Intro\n\nText.");
    let item = json!({"brief": "intro.md", "brand_data": "acme.json", "target_word_count": 900});
    let batch = app
        .post_json(
            "/api/drafts/generate/batch",
            &json!({"items": [item, item]}),
        )
        .json_body();
    let resp = app.send(ApiRequest::new(
        "POST",
        &format!(
            "/api/batches/{}/cancel",
            batch["batch_id"].as_str().unwrap()
        ),
    ));
    assert_eq!(resp.status, 202);
    for id in batch["job_ids"].as_array().unwrap() {
        one_finished(&app, id.as_str().unwrap(), "cancelled");
    }
}

#[test]
fn a_job_the_reaper_ends_is_announced_once_and_a_requeue_is_not() {
    let app = hooked(Settings {
        max_attempts: 2,
        ..Settings::default()
    });
    let id = submit(&app, "Lost twice");
    claim(&app);
    // The runner goes silent: the reaper requeues the job (not an end), then fails it.
    app.advance(31_000);
    assert_eq!(claim(&app).len(), 1, "requeued and claimed again");
    assert!(about(&app, &id).is_empty(), "a requeue is not the end");
    app.advance(31_000);
    claim(&app);
    let d = one_finished(&app, &id, "failed");
    assert!(
        d["payload"]["job"]["error"]
            .as_str()
            .unwrap()
            .contains("runner lost")
    );
    // A give-back (cancelled without a cancel asked for) requeues without a delivery either.
    let back = submit(&app, "Given back");
    claim(&app);
    finish(
        &app,
        &back,
        1,
        json!({"status": "cancelled", "log_chunks": 0}),
    );
    assert!(about(&app, &back).is_empty());
    claim(&app);
    finish(&app, &back, 2, json!({"status": "failed", "log_chunks": 0}));
    one_finished(&app, &back, "failed");
}

#[test]
fn a_job_whose_input_vanished_is_announced_once() {
    let app = hooked(Settings::default());
    app.put("/api/briefs/gone.md", "# Gone\n\nText.");
    let resp = app.post_json(
        "/api/drafts/generate",
        &json!({"brief": "gone.md", "brand_data": "acme.json", "target_word_count": 500}),
    );
    let id = resp.json_body()["job_id"].as_str().unwrap().to_owned();
    assert_eq!(app.delete("/api/briefs/gone.md").status, 204);
    assert!(claim(&app).is_empty(), "failed at handout");
    one_finished(&app, &id, "failed");
}

#[test]
fn nothing_is_recorded_while_webhooks_are_off() {
    let app = App::new();
    app.put("/api/brand-data/acme.json", r#"{"brandInfo": {}}"#);
    let id = submit(&app, "Quiet");
    cancel(&app, &id);
    let page = app.get("/api/webhooks/deliveries").json_body();
    assert_eq!(page["items"], json!([]));
    assert_eq!(page["enabled"], false);
    assert_eq!(page["target"], Value::Null);
    // Reading the (empty) outbox's counter is all that happened.
    let hooks: Vec<String> = app
        .store
        .keys()
        .into_iter()
        .filter(|k| k.starts_with("hooks/"))
        .collect();
    assert_eq!(hooks, ["hooks/out/n"]);
    assert_error(
        &app.send(ApiRequest::new("POST", "/api/webhooks/test")),
        409,
        "webhooks are off",
    );
}

#[test]
fn misconfigured_webhooks_record_and_say_what_to_fix() {
    let app = hooked(Settings {
        webhook_outbound_host: "https://elsewhere.example".into(),
        ..Settings::default()
    });
    let id = submit(&app, "Waits");
    cancel(&app, &id);
    one_finished(&app, &id, "cancelled");
    let page = app.get("/api/webhooks/deliveries").json_body();
    assert_eq!(page["enabled"], false);
    let problem = page["problem"].as_str().unwrap();
    assert!(
        problem.contains("allows only https://elsewhere.example"),
        "{problem}"
    );
    assert_error(
        &app.send(ApiRequest::new("POST", "/api/webhooks/test")),
        409,
        "webhook_outbound_host",
    );
}

#[test]
fn a_webhook_url_with_a_secret_path_is_never_shown() {
    let secret = "T0AAA/B0BBB/xoxo-9f8e7d";
    for (url, outbound_host) in [
        // No scheme: unusable, and the problem names it without its path.
        (
            format!("hooks.example.com/services/{secret}"),
            "https://hooks.example.com".to_owned(),
        ),
        // The whole URL pasted into webhook_outbound_host too.
        (
            format!("https://hooks.example.com/services/{secret}"),
            format!("https://hooks.example.com/services/{secret}"),
        ),
        // On another host than the one allowed.
        (
            format!("https://hooks.example.com/services/{secret}?x=1"),
            "https://elsewhere.example".to_owned(),
        ),
    ] {
        let app = hooked(Settings {
            webhook_url: url.clone(),
            webhook_outbound_host: outbound_host,
            ..Settings::default()
        });
        let page = app.get("/api/webhooks/deliveries").json_body();
        let problem = page["problem"]
            .as_str()
            .unwrap_or_else(|| panic!("{url}: {page}"));
        let test = app.send(ApiRequest::new("POST", "/api/webhooks/test"));
        assert_eq!(test.status, 409, "{url}");
        let refusal = String::from_utf8_lossy(&test.body).into_owned();
        for shown in [problem, refusal.as_str(), &page.to_string()] {
            assert!(!shown.contains("xoxo"), "{url}: {shown}");
            assert!(!shown.contains("/services"), "{url}: {shown}");
        }
        assert!(problem.contains("hooks.example.com"), "{problem}");
    }
}

#[test]
fn a_test_delivery_is_queued_and_audited() {
    let app = hooked(Settings::default());
    let resp = app.send(ApiRequest::new("POST", "/api/webhooks/test"));
    assert_eq!(resp.status, 202, "{}", String::from_utf8_lossy(&resp.body));
    let d = resp.json_body();
    assert_eq!(d["event"], "webhook.test");
    assert_eq!(d["job_id"], Value::Null);
    assert_eq!(d["payload"], json!({"event": "webhook.test", "job": null}));
    assert_eq!(deliveries(&app)[0]["id"], d["id"]);
    let audit = app.get("/api/audit").json_body();
    assert_eq!(audit["entries"][0]["action"], "webhook_tested");
}

#[test]
fn deliveries_are_listed_newest_first_a_page_at_a_time() {
    let app = hooked(Settings::default());
    let ids: Vec<String> = (0..5)
        .map(|i| {
            let id = submit(&app, &format!("Job {i}"));
            cancel(&app, &id);
            id
        })
        .collect();
    let mut seen = Vec::new();
    let mut target = "/api/webhooks/deliveries?limit=2".to_owned();
    loop {
        let page = app.get(&target).json_body();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(
            items
                .iter()
                .map(|d| d["job_id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => target = format!("/api/webhooks/deliveries?limit=2&cursor={c}"),
            None => break,
        }
    }
    let newest_first: Vec<String> = ids.into_iter().rev().collect();
    assert_eq!(seen, newest_first);
    // A cursor beyond the newest delivery was never handed out: refused, not an endless walk.
    for forged in ["9223372036854775807", "6"] {
        assert_error(
            &app.get(&format!("/api/webhooks/deliveries?cursor={forged}")),
            400,
            "cursor is not one this API returned",
        );
    }
    let page = app.get("/api/webhooks/deliveries?cursor=5").json_body();
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
}

#[test]
fn only_admins_see_or_test_deliveries_and_bad_input_is_refused() {
    let app = hooked(Settings::default());
    for role in ["viewer", "editor"] {
        let token = app
            .post_json("/api/tokens", &json!({"name": role, "role": role}))
            .json_body()["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let bearer = format!("Bearer {token}");
        for req in [
            ApiRequest::new("GET", "/api/webhooks/deliveries"),
            ApiRequest::new("POST", "/api/webhooks/test"),
        ] {
            assert_error(
                &app.send(req.with_header("Authorization", &bearer)),
                403,
                "admin",
            );
        }
    }
    let runner = ApiRequest::new("GET", "/api/webhooks/deliveries")
        .with_header("Authorization", "Bearer test-runner-token");
    assert_eq!(app.send(runner).status, 403);
    assert_eq!(
        app.send_as_is(ApiRequest::new("GET", "/api/webhooks/deliveries"))
            .status,
        401
    );
    let writes = app.writes();
    for bad in ["limit=0", "limit=201", "limit=x", "cursor=-1", "cursor=abc"] {
        assert_eq!(
            app.get(&format!("/api/webhooks/deliveries?{bad}")).status,
            400,
            "{bad}"
        );
    }
    assert_eq!(
        app.send(ApiRequest::new("GET", "/api/webhooks/test"))
            .status,
        405
    );
    assert_eq!(app.writes(), writes, "refused requests change nothing");
}

/// Three finished jobs' deliveries: delivered, failed (refused, then a day without an answer)
/// and pending (refused once); their ids in that order.
fn one_of_each(app: &App) -> [String; 3] {
    let job = |title: &str| {
        let id = submit(app, title);
        cancel(app, &id);
        about(app, &id)[0]["id"].as_str().unwrap().to_owned()
    };
    let delivered = job("Delivered");
    assert_eq!(app.webhook_round(Ok(204)), 1);
    let failed = job("Failed");
    assert_eq!(app.webhook_round(Err("connection refused".into())), 1);
    app.advance(GIVE_UP_AFTER_MS);
    let pending = job("Pending");
    app.webhook_round(Err("connection refused".into()));
    [delivered, failed, pending]
}

fn states(app: &App, query: &str) -> Vec<(String, String)> {
    let resp = app.get(&format!("/api/webhooks/deliveries?{query}"));
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    resp.json_body()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap().to_owned(),
                d["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn deliveries_are_filtered_by_state() {
    let app = hooked(Settings::default());
    let [delivered, failed, pending] = one_of_each(&app);
    assert_eq!(
        states(&app, "state=delivered"),
        [(delivered, "delivered".to_owned())]
    );
    assert_eq!(
        states(&app, "state=failed"),
        [(failed, "failed".to_owned())]
    );
    assert_eq!(
        states(&app, "state=pending"),
        [(pending, "pending".to_owned())]
    );
    assert_eq!(
        states(&app, "state=").len(),
        3,
        "an empty value is no filter"
    );
    let writes = app.writes();
    for bad in ["state=lost", "state=Failed", "state=failed,pending"] {
        assert_error(
            &app.get(&format!("/api/webhooks/deliveries?{bad}")),
            400,
            "is not one of pending, delivered, failed",
        );
    }
    assert_eq!(app.writes(), writes);
}

#[test]
fn an_admin_sends_a_failed_delivery_again_and_it_is_audited() {
    let app = hooked(Settings::default());
    let [delivered, failed, pending] = one_of_each(&app);
    let retry = |id: &str| {
        app.send(ApiRequest::new(
            "POST",
            &format!("/api/webhooks/deliveries/{id}/retry"),
        ))
    };
    let writes = app.writes();
    assert_error(
        &retry(&delivered),
        409,
        "is delivered: only a failed delivery",
    );
    assert_error(&retry(&pending), 409, "is pending");
    assert_error(
        &retry("dlv_0123456789abcdef0123456789abcdef"),
        404,
        "no delivery",
    );
    assert_error(&retry("hooks%2Fn"), 404, "no delivery");
    assert_eq!(app.writes(), writes, "refused requests change nothing");

    let resp = retry(&failed);
    assert_eq!(resp.status, 202, "{}", String::from_utf8_lossy(&resp.body));
    let again = resp.json_body();
    assert_eq!(
        (again["id"].as_str(), again["state"].as_str()),
        (Some(failed.as_str()), Some("pending"))
    );
    assert_eq!(
        again["attempts"].as_array().unwrap().len(),
        1,
        "its attempts are kept"
    );
    assert!(again["next_attempt_at"].is_string());
    // Listed first, once; sent at the next round with the same id.
    let listed = states(&app, "");
    assert_eq!(listed[0], (failed.clone(), "pending".to_owned()));
    assert_eq!(listed.iter().filter(|(id, _)| *id == failed).count(), 1);
    assert_eq!(app.webhook_round(Ok(200)), 1);
    assert_eq!(states(&app, "state=delivered").len(), 2);
    assert_error(&retry(&failed), 409, "is delivered");
    let audit = app.get("/api/audit").json_body();
    assert_eq!(audit["entries"][0]["action"], "webhook_retried");
    assert_eq!(audit["entries"][0]["target"], failed.as_str());
}

#[test]
fn nothing_is_sent_again_while_the_settings_cannot_be_used() {
    let app = hooked(Settings::default());
    let [_, failed, _] = one_of_each(&app);
    let broken = App::with_settings(Settings {
        webhook_outbound_host: "https://elsewhere.example".into(),
        ..app.settings.clone()
    });
    // The same store under other settings: move the deliveries over.
    for key in app.store.keys() {
        use api_component::store::Store as _;
        let value = app.store.get(&key).unwrap().unwrap();
        broken.store.set(&key, &value).unwrap();
    }
    let writes = broken.writes();
    assert_error(
        &broken.send(ApiRequest::new(
            "POST",
            &format!("/api/webhooks/deliveries/{failed}/retry"),
        )),
        409,
        "webhook_outbound_host allows only",
    );
    assert_eq!(broken.writes(), writes);
}
