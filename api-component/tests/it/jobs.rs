//! Jobs: submission, the runner protocol (claims, leases, fencing, logs, outputs), cancel, retry.

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
    let resp = app.get(&format!("/api/jobs/{id}"));
    assert_eq!(resp.status, 200);
    resp.json_body()
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

#[test]
fn generate_validates_and_names_missing_documents() {
    let app = app();
    let cases = [
        (
            "/api/briefs/generate",
            json!({"primary_keyword": "k", "brand_data": "acme.json"}),
            400,
            "title is required",
        ),
        (
            "/api/briefs/generate",
            json!({"title": " ", "primary_keyword": "k", "brand_data": "acme.json"}),
            400,
            "title is required",
        ),
        (
            "/api/briefs/generate",
            json!({"title": "x".repeat(301), "primary_keyword": "k", "brand_data": "acme.json"}),
            400,
            "longer than",
        ),
        (
            "/api/briefs/generate",
            json!({"title": "t", "primary_keyword": "k", "brand_data": "nope.json"}),
            422,
            "brand-data/nope.json",
        ),
        (
            "/api/briefs/generate",
            json!({"title": "t", "primary_keyword": "k", "brand_data": "../x.json"}),
            400,
            "brand_data",
        ),
        (
            "/api/drafts/generate",
            json!({"brief": "missing.md", "brand_data": "acme.json"}),
            422,
            "briefs/missing.md",
        ),
        (
            "/api/drafts/generate",
            json!({"brief": "b.md", "brand_data": "acme.json", "target_word_count": 5}),
            400,
            "target_word_count",
        ),
        (
            "/api/brand-data/generate",
            json!({"brand_name": "Acme", "urls": []}),
            400,
            "urls",
        ),
        (
            "/api/brand-data/generate",
            json!({"brand_name": "Acme", "urls": ["javascript:alert(1)"]}),
            400,
            "web address",
        ),
        (
            "/api/brand-data/generate",
            json!({"urls": ["https://acme.example"]}),
            400,
            "brand_name is required",
        ),
        ("/api/brand-data/generate", json!([1]), 400, "JSON object"),
    ];
    for (target, body, status, needle) in cases {
        assert_error(&app.post_json(target, &body), status, needle);
    }
    assert_error(
        &app.send(ApiRequest::new("POST", "/api/briefs/generate").with_body("{oops")),
        400,
        "invalid JSON",
    );
    assert_eq!(
        app.get("/api/jobs").json_body()["items"],
        json!([]),
        "nothing was queued"
    );
}

#[test]
fn a_submitted_job_is_queued_with_its_rendered_prompt() {
    let app = app();
    let id = submit_brief(&app, "Bread for Beginners");
    let view = job(&app, &id);
    assert_eq!(view["status"], "queued");
    assert_eq!(view["type"], "brief");
    assert_eq!(view["queue_position"], 1);
    assert_eq!(view["attempt"], 1);
    assert_eq!(view["params"]["secondary_keywords"], json!(["sourdough"]));
    assert_eq!(app.get("/health").json_body()["queued_jobs"], 1);

    let jobs = claim(&app, "r1", 1);
    let j = &jobs[0];
    assert_eq!(j["id"], id.as_str());
    assert_eq!(j["inputs"][0]["path"], "inputs/brand-data/acme.json");
    assert_eq!(j["inputs"][0]["content"], BRAND);
    assert_eq!(j["outputs"][0]["path"], "output/bread-for-beginners.md");
    let prompt = j["prompt"].as_str().unwrap();
    assert!(prompt.contains("output/bread-for-beginners.md"), "{prompt}");
    assert!(!prompt.contains("{{output_path}}"), "{prompt}");
}

#[test]
fn runner_endpoints_need_the_token() {
    let app = app();
    let body = json!({"runner": "r1"}).to_string();
    assert_error(
        &app.send(ApiRequest::new("POST", "/api/runner/claim").with_body(body.clone())),
        401,
        "runner token",
    );
    let wrong = ApiRequest::new("POST", "/api/runner/claim")
        .with_header("Authorization", "Bearer nope")
        .with_body(body.clone());
    assert_error(&app.send(wrong), 401, "runner token");
    let mut unset = App::new();
    unset.settings.runner_token.clear();
    assert_error(
        &unset.runner("POST", "/api/runner/claim", body),
        401,
        "not configured",
    );
}

#[test]
fn claims_are_fifo_and_capped_across_runners() {
    let app = app();
    let ids: Vec<String> = (0..5)
        .map(|i| submit_brief(&app, &format!("Topic {i}")))
        .collect();
    let first = claim(&app, "r1", 2);
    let second = claim(&app, "r2", 3);
    let got: Vec<&str> = first
        .iter()
        .chain(&second)
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        got,
        [&ids[0], &ids[1], &ids[2]],
        "FIFO, and never more than 3 running"
    );
    assert!(claim(&app, "r3", 3).is_empty());
    let health = app.get("/health").json_body();
    assert_eq!(
        (
            health["active_jobs"].as_i64(),
            health["queued_jobs"].as_i64()
        ),
        (Some(3), Some(2))
    );
    assert_eq!(health["runners_online"], 3);
    assert_eq!(job(&app, &ids[3])["queue_position"], 1);
    assert_eq!(job(&app, &ids[4])["queue_position"], 2);
    assert_eq!(job(&app, &ids[0])["runner"], "r1");

    // Ending one frees exactly one slot, for the next in line.
    assert_eq!(
        finish(
            &app,
            &ids[0],
            1,
            json!({"status": "failed", "error": "boom"})
        )
        .status,
        200
    );
    let next = claim(&app, "r3", 3);
    assert_eq!(next.len(), 1);
    assert_eq!(next[0]["id"], ids[3].as_str());
}

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
    let texts: Vec<&str> = logs["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["one", "two", "three"]);
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
    app.runner(
        "PUT",
        &format!("/api/runner/jobs/{id}/1/outputs/0"),
        "# Streams",
    );
    finish(&app, &id, 1, completed());
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
    let view = job(&app, &id);
    assert_eq!(view["status"], "failed");
    assert!(
        view["error"]
            .as_str()
            .unwrap()
            .contains("output/globex.json"),
        "{view}"
    );
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
fn a_lost_runner_loses_its_job_and_is_fenced_off() {
    let app = app();
    let id = submit_brief(&app, "Leases");
    claim(&app, "dead", 1);
    chunk(&app, &id, 1, 0, &["from the first runner"]);
    app.advance(31_000);
    let taken = claim(&app, "alive", 1);
    assert_eq!(
        (taken[0]["id"].as_str(), taken[0]["attempt"].as_u64()),
        (Some(id.as_str()), Some(2))
    );
    assert_error(
        &chunk(&app, &id, 1, 1, &["late write"]),
        409,
        "no longer running",
    );
    let hb = app.runner(
        "POST",
        "/api/runner/heartbeat",
        json!({"runner": "dead", "jobs": [{"id": id, "attempt": 1}]}).to_string(),
    );
    assert_eq!(hb.json_body()["jobs"][0]["action"], "abandon");
    chunk(&app, &id, 2, 0, &["from the second runner"]);
    app.runner(
        "PUT",
        &format!("/api/runner/jobs/{id}/2/outputs/0"),
        "# Leases",
    );
    assert_eq!(finish(&app, &id, 2, completed()).status, 200);
    let view = job(&app, &id);
    assert_eq!(
        (view["status"].as_str(), view["attempt"].as_u64()),
        (Some("completed"), Some(2))
    );
    let logs = app.get(&format!("/api/jobs/{id}/logs")).json_body();
    let texts: Vec<&str> = logs["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["from the first runner", "from the second runner"]);

    // Heartbeats keep a lease alive; three losses fail the job.
    let id = submit_brief(&app, "Lost Thrice");
    for attempt in 1..=3 {
        let got = claim(&app, "flaky", 1);
        assert_eq!(got[0]["attempt"], attempt);
        if attempt == 1 {
            app.advance(20_000);
            let hb = app.runner(
                "POST",
                "/api/runner/heartbeat",
                json!({"runner": "flaky", "jobs": [{"id": id, "attempt": 1}]}).to_string(),
            );
            assert_eq!(hb.json_body()["jobs"][0]["action"], "continue");
            app.advance(20_000);
            assert!(
                claim(&app, "other", 1).is_empty(),
                "the heartbeat extended the lease"
            );
        }
        app.advance(31_000);
    }
    claim(&app, "other", 1);
    let view = job(&app, &id);
    assert_eq!(view["status"], "failed");
    assert!(
        view["error"].as_str().unwrap().contains("runner lost"),
        "{view}"
    );
    assert_eq!(app.get("/health").json_body()["active_jobs"], 0);
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
fn retry_makes_a_new_job_with_the_same_params() {
    let app = app();
    let id = submit_brief(&app, "Retry Me");
    assert_error(
        &app.send(ApiRequest::new("POST", &format!("/api/jobs/{id}/retry"))),
        409,
        "only failed or cancelled",
    );
    claim(&app, "r1", 1);
    finish(
        &app,
        &id,
        1,
        json!({"status": "failed", "error": "Claude API error 529"}),
    );
    let resp = app.send(ApiRequest::new("POST", &format!("/api/jobs/{id}/retry")));
    assert_eq!(resp.status, 202);
    let new_id = resp.json_body()["job_id"].as_str().unwrap().to_owned();
    assert_ne!(new_id, id);
    assert_eq!(job(&app, &new_id)["params"], job(&app, &id)["params"]);
    assert_eq!(job(&app, &id)["error"], "Claude API error 529");
}

#[test]
fn a_deleted_input_fails_the_job_when_claimed() {
    let app = app();
    let id = submit_brief(&app, "Orphan");
    app.delete("/api/brand-data/acme.json");
    assert!(claim(&app, "r1", 1).is_empty());
    let view = job(&app, &id);
    assert_eq!(view["status"], "failed");
    assert!(
        view["error"]
            .as_str()
            .unwrap()
            .contains("brand-data/acme.json"),
        "{view}"
    );
}

#[test]
fn job_listing_is_newest_first_filtered_and_paged() {
    let app = app();
    let ids: Vec<String> = (0..7)
        .map(|i| submit_brief(&app, &format!("List {i}")))
        .collect();
    claim(&app, "r1", 2);
    let all = app.get("/api/jobs?limit=3").json_body();
    let first: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(first, [&ids[6], &ids[5], &ids[4]]);
    let cursor = all["next_cursor"].as_str().unwrap();
    let more = app
        .get(&format!("/api/jobs?limit=10&cursor={cursor}"))
        .json_body();
    assert_eq!(more["items"].as_array().unwrap().len(), 4);
    let running = app.get("/api/jobs?status=running").json_body();
    assert_eq!(running["items"].as_array().unwrap().len(), 2);
    assert_error(&app.get("/api/jobs?status=bogus"), 400, "bogus");
    assert_error(&app.get("/api/jobs?limit=0"), 400, "limit");
}

#[test]
fn concurrent_claims_never_exceed_the_cap_and_run_each_job_once() {
    let app = app();
    let ids: Vec<String> = (0..30)
        .map(|i| submit_brief(&app, &format!("Race {i}")))
        .collect();
    let claimed = std::sync::Mutex::new(Vec::<String>::new());
    let max_running = std::sync::atomic::AtomicI64::new(0);
    std::thread::scope(|s| {
        for r in 0..4 {
            let (app, claimed, max_running) = (&app, &claimed, &max_running);
            s.spawn(move || {
                for _ in 0..200 {
                    for j in claim(app, &format!("runner-{r}"), 3) {
                        let id = j["id"].as_str().unwrap().to_owned();
                        let running = app.get("/api/jobs?status=running").json_body()["items"]
                            .as_array()
                            .unwrap()
                            .len();
                        max_running.fetch_max(running as i64, std::sync::atomic::Ordering::SeqCst);
                        claimed.lock().unwrap().push(id.clone());
                        app.runner(
                            "PUT",
                            &format!("/api/runner/jobs/{id}/1/outputs/0"),
                            "# done",
                        );
                        assert_eq!(finish(app, &id, 1, completed()).status, 200);
                    }
                }
            });
        }
    });
    let mut claimed = claimed.into_inner().unwrap();
    claimed.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(claimed, expected, "each job claimed exactly once");
    assert!(max_running.into_inner() <= 3);
}
