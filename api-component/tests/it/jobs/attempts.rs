//! One attempt from claim to end: logs, events, outputs, cancel, give-back.

use super::*;

#[test]
fn a_job_runs_logs_and_produces_its_document() {
    let app = app();
    let id = submit_brief(&app, "Sourdough Basics");
    claim(&app, "r1", 1);
    assert_eq!(
        chunk(&app, &id, 1, 0, &["one", "two"]).json_body()["action"],
        "continue"
    );
    assert_error(
        &chunk(&app, &id, 1, 2, &["skipped ahead"]),
        409,
        "chunk 1 is missing",
    );
    assert_eq!(chunk(&app, &id, 1, 1, &["three"]).status, 200);
    assert_eq!(
        chunk(&app, &id, 1, 1, &["three"]).status,
        200,
        "a retried chunk is accepted again"
    );
    let out = app.runner(
        "PUT",
        &format!("/api/runner/jobs/{id}/1/outputs/0"),
        "# Sourdough Basics\n\nBrief body.",
    );
    assert_eq!(out.status, 200, "{}", String::from_utf8_lossy(&out.body));
    assert_error(
        &app.runner("PUT", &format!("/api/runner/jobs/{id}/1/outputs/1"), "x"),
        400,
        "1 output",
    );

    let partial = app.get(&format!("/api/jobs/{id}/logs")).json_body();
    assert_eq!(partial["done"], false);
    let done = finish(&app, &id, 1, completed());
    assert_eq!(done.status, 200, "{}", String::from_utf8_lossy(&done.body));
    let view = job(&app, &id);
    assert_eq!(view["status"], "completed");
    assert_eq!(
        view["output_documents"],
        json!([{"collection": "briefs", "name": "sourdough-basics.md"}])
    );
    assert_eq!(view["usage"]["output_tokens"], 84);
    assert!(view["finished_at"].is_string() && view["started_at"].is_string());
    assert_eq!(
        app.get("/api/briefs/sourdough-basics.md").body,
        b"# Sourdough Basics\n\nBrief body."
    );
    assert_eq!(app.get("/health").json_body()["active_jobs"], 0);

    let logs = app.get(&format!("/api/jobs/{id}/logs")).json_body();
    assert_eq!(texts(&logs), ["one", "two", "three"]);
    assert_eq!(logs["done"], true);
    let seqs: Vec<i64> = logs["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["seq"].as_i64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    let rest = app
        .get(&format!("/api/jobs/{id}/logs?after={}&limit=1", seqs[0]))
        .json_body();
    assert_eq!(rest["lines"][0]["text"], "two");
    assert_eq!(rest["next"], seqs[1]);

    // Late writes after the end are refused.
    assert_error(&chunk(&app, &id, 1, 2, &["late"]), 409, "no longer running");
    assert_error(&finish(&app, &id, 1, completed()), 409, "no longer running");
}

#[test]
fn event_stream_sends_logs_status_and_done_and_resumes() {
    let app = app();
    let id = submit_brief(&app, "Streams");
    claim(&app, "r1", 1);
    chunk(&app, &id, 1, 0, &["alpha", "beta"]);
    complete_with(&app, &id, "# Streams");
    let body = String::from_utf8(app.get(&format!("/api/jobs/{id}/events")).body).unwrap();
    assert!(body.starts_with("retry: "), "{body}");
    let logs: Vec<&str> = body.lines().filter(|l| l.starts_with("id: ")).collect();
    assert_eq!(logs.len(), 2, "{body}");
    assert!(
        body.contains("event: status") && body.contains("event: done"),
        "{body}"
    );
    let first_id = logs[0].trim_start_matches("id: ");
    let resumed = app.send(
        ApiRequest::new("GET", &format!("/api/jobs/{id}/events"))
            .with_header("Last-Event-ID", first_id),
    );
    let resumed = String::from_utf8(resumed.body).unwrap();
    assert_eq!(resumed.matches("event: log").count(), 1, "{resumed}");
    assert!(
        resumed.contains("beta") && !resumed.contains("alpha"),
        "{resumed}"
    );
    assert_eq!(app.get("/api/jobs/nope/events").status, 404);
}

#[test]
fn invalid_or_missing_outputs_fail_the_job_with_a_reason() {
    let app = app();
    let resp = app.post_json(
        "/api/brand-data/generate",
        &json!({"brand_name": "Globex", "urls": ["https://globex.example"]}),
    );
    let id = resp.json_body()["job_id"].as_str().unwrap().to_owned();
    let j = &claim(&app, "r1", 1)[0];
    assert_eq!(j["outputs"][0]["path"], "output/globex.json");
    app.runner(
        "PUT",
        &format!("/api/runner/jobs/{id}/1/outputs/0"),
        "[\"not an object\"]",
    );
    finish(&app, &id, 1, completed());
    assert_failed_because(&app, &id, "output/globex.json");
    assert_eq!(
        app.get("/api/brand-data/globex.json").status,
        404,
        "nothing stored"
    );

    let id2 = submit_brief(&app, "No Output");
    claim(&app, "r1", 1);
    finish(&app, &id2, 1, completed());
    assert!(
        job(&app, &id2)["error"]
            .as_str()
            .unwrap()
            .contains("did not produce")
    );
}

#[test]
fn cancel_stops_queued_jobs_at_once_and_running_ones_through_their_runner() {
    let app = app();
    let running = submit_brief(&app, "Running");
    let queued = submit_brief(&app, "Queued");
    claim(&app, "r1", 1);
    let resp = app.send(ApiRequest::new(
        "POST",
        &format!("/api/jobs/{queued}/cancel"),
    ));
    assert_eq!(resp.status, 202);
    assert_eq!(job(&app, &queued)["status"], "cancelled");
    assert!(
        claim(&app, "r2", 1).is_empty(),
        "a cancelled job is never claimed"
    );

    assert_eq!(
        app.send(ApiRequest::new(
            "POST",
            &format!("/api/jobs/{running}/cancel")
        ))
        .status,
        202
    );
    let view = job(&app, &running);
    assert_eq!(
        (view["status"].as_str(), view["cancel_requested"].as_bool()),
        (Some("running"), Some(true))
    );
    let hb = app.runner(
        "POST",
        "/api/runner/heartbeat",
        json!({"runner": "r1", "jobs": [{"id": running, "attempt": 1}]}).to_string(),
    );
    assert_eq!(hb.json_body()["jobs"][0]["action"], "cancel");
    assert_eq!(
        chunk(&app, &running, 1, 0, &["stopping"]).json_body()["action"],
        "cancel"
    );
    finish(
        &app,
        &running,
        1,
        json!({"status": "cancelled", "error": "cancelled by request"}),
    );
    assert_eq!(job(&app, &running)["status"], "cancelled");
    assert_error(
        &app.send(ApiRequest::new(
            "POST",
            &format!("/api/jobs/{running}/cancel"),
        )),
        409,
        "already",
    );
    assert_error(
        &app.send(ApiRequest::new("POST", "/api/jobs/missing/cancel")),
        404,
        "no job",
    );
}

#[test]
fn a_runner_giving_a_job_back_requeues_it() {
    let app = app();
    let id = submit_brief(&app, "Given Back");
    claim(&app, "r1", 1);
    finish(
        &app,
        &id,
        1,
        json!({"status": "cancelled", "error": "runner shutting down"}),
    );
    let view = job(&app, &id);
    assert_eq!(
        (view["status"].as_str(), view["attempt"].as_u64()),
        (Some("queued"), Some(2))
    );
    assert_eq!(claim(&app, "r2", 1)[0]["attempt"], 2);
}

#[test]
fn a_deleted_input_fails_the_job_when_claimed() {
    let app = app();
    let id = submit_brief(&app, "Orphan");
    app.delete("/api/brand-data/acme.json");
    assert!(claim(&app, "r1", 1).is_empty());
    assert_failed_because(&app, &id, "brand-data/acme.json");
}
