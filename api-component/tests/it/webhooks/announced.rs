//! Every way a job ends records exactly one `job.finished` delivery; a requeue records none.

use super::*;

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
