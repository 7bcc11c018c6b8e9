//! Usage totals: every ended job counted once, on the day it ended, whatever ended it (its
//! runner's finish, a cancel while queued, the reaper), and the totals equal the jobs' own
//! figures.

use super::*;

fn usage(app: &App, query: &str) -> Value {
    app.get_json(&format!("/api/usage?{query}"))
}

fn row<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("no row {key:?} in {report}"))
}

fn finished_with(status: &str, cost: f64, input: u64, output: u64, cached: u64, ms: u64) -> Value {
    json!({"status": status, "log_chunks": 0, "error": if status == "failed" { "boom" } else { "" },
           "usage": {"cost_usd": cost, "input_tokens": input, "output_tokens": output,
                     "cache_read_input_tokens": cached, "cache_creation_input_tokens": cached / 2,
                     "duration_ms": ms, "num_turns": 2}})
}

#[test]
fn usage_totals_equal_the_sum_over_the_jobs_however_they_ended() {
    let app = App::with_settings(Settings {
        lease_seconds: 5,
        max_attempts: 1,
        ..Settings::default()
    });
    app.put("/api/brand-data/acme.json", BRAND);
    app.put(
        "/api/brand-data/zest.json",
        r#"{"brandInfo": {"companyName": "Zest"}}"#,
    );
    app.put("/api/briefs/intro.md", "# Intro\n\nA brief.");

    // Completed, with its output.
    let a = submit_brief(&app, "Alpha");
    claim(&app, "r1", 1);
    let out = app.runner(
        "PUT",
        &format!("/api/runner/jobs/{a}/1/outputs/0"),
        "# Alpha\n\nText.",
    );
    assert_eq!(out.status, 200);
    assert_eq!(
        finish(
            &app,
            &a,
            1,
            finished_with("completed", 0.012345, 2400, 84, 1000, 1234)
        )
        .status,
        200
    );
    // A second finish of the same attempt is refused and counts nothing.
    assert_eq!(
        finish(&app, &a, 1, finished_with("completed", 9.0, 9, 9, 9, 9)).status,
        409
    );

    // Failed by its runner, with what it spent.
    let b = app.post_json(
        "/api/drafts/generate",
        &json!({"brief": "intro.md", "brand_data": "zest.json", "target_word_count": 800}),
    );
    let b = b.json_body()["job_id"].as_str().unwrap().to_owned();
    claim(&app, "r1", 1);
    assert_eq!(
        finish(&app, &b, 1, finished_with("failed", 0.5, 100, 7, 0, 99)).status,
        200
    );

    // Cancelled while queued.
    let c = submit_brief(&app, "Gamma");
    assert_eq!(
        app.send(ApiRequest::new("POST", &format!("/api/jobs/{c}/cancel")))
            .status,
        202
    );
    assert_eq!(
        app.send(ApiRequest::new("POST", &format!("/api/jobs/{c}/cancel")))
            .status,
        409
    );

    // Lost by its runner: the reaper fails it after the lease (one attempt allowed).
    let d = submit_brief(&app, "Delta");
    claim(&app, "r2", 1);
    app.advance(6_000);
    app.runner(
        "POST",
        "/api/runner/heartbeat",
        json!({"runner": "r1", "jobs": []}).to_string(),
    );
    assert_eq!(job(&app, &d)["status"], "failed");

    // Still queued: not counted.
    submit_brief(&app, "Epsilon");

    let jobs = app.get("/api/jobs?limit=200").json_body();
    let ended: Vec<&Value> = jobs["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["status"] != "queued")
        .collect();
    assert_eq!(ended.len(), 4);
    let sum = |field: &str| -> i64 {
        ended
            .iter()
            .map(|j| j["usage"][field].as_i64().unwrap_or(0))
            .sum()
    };
    let micro: i64 = ended
        .iter()
        .map(|j| (j["usage"]["cost_usd"].as_f64().unwrap_or(0.0) * 1e6).round() as i64)
        .sum();

    let by_day = usage(&app, "group_by=day");
    let totals = &by_day["totals"];
    assert_eq!(
        by_day["rows"].as_array().unwrap().len(),
        30,
        "the last 30 days, zeros included"
    );
    assert_eq!(
        (
            totals["jobs"].as_i64(),
            totals["completed"].as_i64(),
            totals["failed"].as_i64(),
            totals["cancelled"].as_i64()
        ),
        (Some(4), Some(1), Some(2), Some(1))
    );
    assert_eq!(totals["cost_micro_usd"].as_i64(), Some(micro));
    assert_eq!(micro, 512_345);
    assert_eq!(totals["cost_usd"].as_f64(), Some(0.512345));
    for field in [
        "input_tokens",
        "output_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
        "duration_ms",
    ] {
        assert_eq!(totals[field].as_i64(), Some(sum(field)), "{field}");
    }
    assert_eq!(totals["input_tokens"].as_i64(), Some(2500));
    let today = by_day["to"].as_str().unwrap().to_owned();
    assert_eq!(row(&by_day, &today)["jobs"], 4);

    let by_type = usage(&app, "group_by=type");
    assert_eq!(row(&by_type, "brief")["jobs"], 3);
    assert_eq!(row(&by_type, "draft")["cost_usd"], 0.5);
    // Costliest first.
    assert_eq!(by_type["rows"][0]["key"], "draft");
    let by_brand = usage(&app, "group_by=brand");
    assert_eq!(row(&by_brand, "acme.json")["jobs"], 3);
    assert_eq!(row(&by_brand, "zest.json")["failed"], 1);
    let by_user = usage(&app, "group_by=user");
    assert_eq!(row(&by_user, "admin")["jobs"], 4);
    assert_eq!(by_user["totals"], by_day["totals"]);

    // Another range: nothing there.
    let before = usage(&app, "group_by=user&from=2025-01-01&to=2025-01-31");
    assert_eq!(before["rows"], json!([]));
    assert_eq!(before["totals"]["jobs"], 0);
    let one_day = usage(&app, &format!("group_by=day&from={today}&to={today}"));
    assert_eq!(one_day["rows"].as_array().unwrap().len(), 1);
}

#[test]
fn bad_usage_parameters_are_refused_with_400() {
    let app = app();
    assert_error(&app.get("/api/usage?group_by=week"), 400, "group_by");
    assert_error(&app.get("/api/usage?from=2026-02-30"), 400, "from");
    assert_error(&app.get("/api/usage?to=yesterday"), 400, "to");
    assert_error(
        &app.get("/api/usage?from=2026-03-02&to=2026-03-01"),
        400,
        "after",
    );
    assert_error(
        &app.get("/api/usage?from=2024-01-01&to=2026-01-01"),
        400,
        "at most 366",
    );
    assert_eq!(app.get("/api/usage").json_body()["group_by"], "day");
}

/// A job set aside by a usage limit has not ended: it is counted once, when it finally does
/// (completed after the reset, or cancelled while it waits).
#[test]
fn a_job_waiting_for_a_usage_limit_is_counted_once_when_it_ends() {
    let app = app();
    let hour = 3_600_000;
    let limited = |resume_at_ms: i64| json!({"status": "usage_limit", "error": "usage limit reached", "resume_at_ms": resume_at_ms, "log_chunks": 0});
    let a = submit_brief(&app, "Resumed");
    claim(&app, "r1", 1);
    assert_eq!(
        finish(&app, &a, 1, limited(app.now_ms() + hour)).status,
        200
    );
    let b = submit_brief(&app, "Given up");
    claim(&app, "r1", 1);
    assert_eq!(
        finish(&app, &b, 1, limited(app.now_ms() + hour)).status,
        200
    );
    assert_eq!(
        (
            job(&app, &a)["status"].as_str(),
            job(&app, &b)["status"].as_str()
        ),
        (Some("waiting"), Some("waiting"))
    );
    assert_eq!(
        usage(&app, "group_by=type")["totals"]["jobs"],
        0,
        "waiting is not an end"
    );

    assert_eq!(
        app.send(ApiRequest::new("POST", &format!("/api/jobs/{b}/cancel")))
            .status,
        202
    );
    app.advance(hour + 1_000);
    let taken = claim(&app, "r1", 1);
    assert_eq!(taken[0]["id"], a.as_str());
    let attempt = taken[0]["attempt"].as_u64().unwrap();
    let out = app.runner(
        "PUT",
        &format!("/api/runner/jobs/{a}/{attempt}/outputs/0"),
        "# Resumed\n\nText.",
    );
    assert_eq!(out.status, 200);
    assert_eq!(
        finish(
            &app,
            &a,
            attempt,
            finished_with("completed", 0.25, 10, 1, 0, 5)
        )
        .status,
        200
    );

    let totals = usage(&app, "group_by=type")["totals"].clone();
    assert_eq!(
        (
            totals["jobs"].as_i64(),
            totals["completed"].as_i64(),
            totals["cancelled"].as_i64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(totals["cost_micro_usd"], 250_000);
}
