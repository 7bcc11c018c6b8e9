//! The runner protocol through the contract: one job claimed, heartbeats, log chunks in order,
//! an output staged, the finish, and a claim stopped.

use super::*;

/// The runner protocol: a runner takes the oldest job, `brand_job`, and runs it to the end.
pub(super) fn runner_flows(app: &App, brand_job: &str) {
    expect(
        app.send_as_is(
            ApiRequest::new("POST", "/api/runner/claim")
                .with_header("content-type", "application/json")
                .with_body(r#"{"runner":"r1"}"#),
        ),
        401,
    );
    expect(
        app.send(runner_call(
            "POST",
            "/api/runner/claim",
            &json!({"runner": "r1", "slots": 0}),
        )),
        400,
    );
    let claim = expect(
        app.send(runner_call(
            "POST",
            "/api/runner/claim",
            &json!({"runner": "r1", "slots": 1}),
        )),
        200,
    )
    .json_body();
    let job = &claim["jobs"][0];
    assert_eq!(job["id"], json!(brand_job), "{claim}");
    let base = format!("/api/runner/jobs/{brand_job}/1");
    expect(
        app.send(runner_call(
            "POST",
            "/api/runner/heartbeat",
            &json!({"runner": "r1", "jobs": [{"id": brand_job, "attempt": 1}, {"id": "0-0", "attempt": 1}]}),
        )),
        200,
    );
    let line = |text: &str| json!({"ts": "2026-01-01T00:00:00Z", "stream": "stdout", "kind": "text", "text": text});
    expect(
        app.send(runner_call(
            "PUT",
            &format!("{base}/logs/0"),
            &json!({"lines": [line("reading")]}),
        )),
        200,
    );
    expect(
        app.send(runner_call(
            "PUT",
            &format!("{base}/logs/1"),
            &json!({"lines": [{"ts": 1_767_225_600_000_i64, "stream": "system", "text": "no kind"}]}),
        )),
        200,
    );
    expect(
        app.send(runner_call(
            "PUT",
            &format!("{base}/logs/3"),
            &json!({"lines": [line("gap")]}),
        )),
        409,
    );
    expect(
        app.send(runner_call(
            "PUT",
            &format!("{base}/logs/2"),
            &json!({"lines": []}),
        )),
        400,
    );
    expect(app.runner("PUT", &format!("{base}/outputs/0"), BRAND), 200);
    expect(app.runner("PUT", &format!("{base}/outputs/5"), BRAND), 400);
    expect(
        app.send(runner_call(
            "POST",
            &format!("{base}/finish"),
            &json!({"status": "completed", "log_chunks": 2, "usage": {"cost_usd": 0.01, "num_turns": 2}}),
        )),
        200,
    );
    expect(
        app.send(runner_call(
            "POST",
            &format!("{base}/finish"),
            &json!({"status": "completed"}),
        )),
        409,
    );
    expect(
        app.send(runner_call(
            "PUT",
            &format!("{base}/logs/2"),
            &json!({"lines": [line("late")]}),
        )),
        409,
    );
    expect(
        app.send(runner_call(
            "POST",
            &format!("{base}/finish"),
            &json!({"status": "done"}),
        )),
        400,
    );
    expect(app.get(&format!("/api/jobs/{brand_job}/logs?limit=1")), 200);
    expect(app.get(&format!("/api/jobs/{brand_job}/logs?after=x")), 400);
    let events = expect(app.get(&format!("/api/jobs/{brand_job}/events")), 200);
    assert!(
        body_text(&events).contains("event: done"),
        "{}",
        body_text(&events)
    );
    expect(app.get("/api/jobs/0-0/events"), 404);
    expect(
        app.send(runner_call(
            "POST",
            "/api/runner/claim/stop",
            &json!({"runner": "r1"}),
        )),
        204,
    );
    expect(
        app.send(runner_call(
            "POST",
            "/api/runner/claim/stop",
            &json!({"runner": "r/1"}),
        )),
        400,
    );
    expect(app.get("/api/jobs"), 200);
}
