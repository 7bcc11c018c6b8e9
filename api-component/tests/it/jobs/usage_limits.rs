//! A runner's CLI stopped at a usage limit that names its reset time: the job waits (its slot
//! freed, no attempt used up), goes ahead of the queue once the limit resets, can be cancelled
//! meanwhile, and fails instead when `resume_on_usage_limit` is off.

use api_component::documents::rfc3339;
use api_component::jobs::model::keys;
use api_component::store::Store;

use super::*;

const HOUR_MS: i64 = 3_600_000;

/// A finish report of a usage limit resetting at `resume_at_ms`.
fn limited(resume_at_ms: i64) -> Value {
    json!({"status": "usage_limit", "error": "usage limit reached, resets at 2026-01-01 01:00 UTC",
           "resume_at_ms": resume_at_ms, "log_chunks": 1})
}

fn app_with(settings: Settings) -> App {
    let app = App::with_settings(Settings {
        lease_seconds: 30,
        ..settings
    });
    app.put("/api/brand-data/acme.json", BRAND);
    app
}

fn counter(app: &App, key: &str) -> i64 {
    app.store.increment(key, 0).unwrap()
}

fn ids(jobs: &[Value]) -> Vec<&str> {
    jobs.iter().map(|j| j["id"].as_str().unwrap()).collect()
}

/// Submits a brief, lets `runner` take it and stop at a usage limit resetting in an hour;
/// returns the job's id and when it resumes.
fn stopped_by_the_limit(app: &App, runner: &str) -> (String, i64) {
    let id = submit_brief(app, &format!("Limited {}", app.now_ms()));
    assert_eq!(ids(&claim(app, runner, 1)), [id.as_str()]);
    assert_eq!(
        chunk(app, &id, 1, 0, &["You've hit your 5-hour limit"]).status,
        200
    );
    let resume_at = app.now_ms() + HOUR_MS;
    let done = finish(app, &id, 1, limited(resume_at));
    assert_eq!(done.status, 200, "{}", String::from_utf8_lossy(&done.body));
    (id, resume_at)
}

#[test]
fn a_usage_limit_sets_the_job_aside_until_the_reset_without_using_an_attempt() {
    let app = app_with(Settings {
        max_attempts: 2,
        ..Settings::default()
    });
    let (id, resume_at) = stopped_by_the_limit(&app, "r1");

    let view = job(&app, &id);
    assert_eq!(view["status"], "waiting");
    assert_eq!(view["resume_at"], rfc3339(resume_at));
    assert_eq!(
        (view["queue_position"].clone(), view["error"].clone()),
        (Value::Null, Value::Null)
    );
    assert_eq!(view["runner"], "r1", "the runner that hit the limit");
    assert_eq!(view["attempt"], 2, "it runs again as its next attempt");
    // Its slot is free and it is not counted as queued.
    assert_eq!(counter(&app, keys::RUNNING_COUNT), 0);
    assert_eq!(counter(&app, keys::QUEUED_COUNT), 0);
    assert_eq!(counter(&app, keys::WAITING_COUNT), 1);
    let health = app.get("/health").json_body();
    assert_eq!(
        (
            health["active_jobs"].as_i64(),
            health["queued_jobs"].as_i64(),
            health["waiting_jobs"].as_i64()
        ),
        (Some(0), Some(0), Some(1))
    );
    let waiting = app.get("/api/jobs?status=waiting").json_body();
    assert_eq!(ids(waiting["items"].as_array().unwrap()), [id.as_str()]);
    assert_eq!(
        app.get("/api/jobs?status=queued").json_body()["items"],
        json!([])
    );
    // The attempt's log stays readable.
    let logs = app.get(&format!("/api/jobs/{id}/logs")).json_body();
    assert_eq!(logs["lines"][0]["text"], "You've hit your 5-hour limit");
    assert_eq!(logs["done"], false);

    // Not before its reset, not even with a slot free and a runner asking.
    let other = submit_brief(&app, "Queued Meanwhile");
    assert_eq!(ids(&claim(&app, "r2", 3)), [other.as_str()]);
    let failed = json!({"status": "failed", "error": "not needed here"});
    assert_eq!(finish(&app, &other, 1, failed).status, 200);
    app.advance(HOUR_MS - 60_000);
    assert_eq!(claim(&app, "r2", 3), Vec::<Value>::new());
    assert_eq!(job(&app, &id)["status"], "waiting");

    app.advance(60_000);
    let taken = claim(&app, "r2", 3);
    assert_eq!(ids(&taken), [id.as_str()]);
    assert_eq!(taken[0]["attempt"], 2);
    let view = job(&app, &id);
    assert_eq!(
        (view["status"].as_str(), view["runner"].as_str()),
        (Some("running"), Some("r2"))
    );
    assert_eq!(view["resume_at"], Value::Null);
    assert_eq!(counter(&app, keys::RUNNING_COUNT), 1);
    assert_eq!(counter(&app, keys::WAITING_COUNT), 0);

    // `max_attempts` is 2 and the limited attempt does not count: a lost runner still leaves
    // the job one more attempt.
    app.advance(31_000);
    let beat = app.runner(
        "POST",
        "/api/runner/heartbeat",
        json!({"runner": "r3", "jobs": []}).to_string(),
    );
    assert_eq!(beat.status, 200);
    let view = job(&app, &id);
    assert_eq!(
        (view["status"].as_str(), view["attempt"].as_u64()),
        (Some("queued"), Some(3))
    );
    assert_eq!(ids(&claim(&app, "r3", 1)), [id.as_str()]);
    app.advance(31_000);
    app.runner(
        "POST",
        "/api/runner/heartbeat",
        json!({"runner": "r4", "jobs": []}).to_string(),
    );
    let view = job(&app, &id);
    assert_eq!(view["status"], "failed");
    assert_eq!(
        view["error"],
        "runner lost: no heartbeat within the lease, 2 attempts made"
    );
}

#[test]
fn a_resumed_job_goes_ahead_of_the_jobs_queued_meanwhile() {
    let app = app_with(Settings::default());
    let (first, _) = stopped_by_the_limit(&app, "r1");
    let (second, _) = stopped_by_the_limit(&app, "r1");
    let later = submit_brief(&app, "Later");
    app.advance(HOUR_MS + 1_000);
    // One slot at a time: both waiting jobs, in the order they were first queued, then the
    // queued one.
    let order: Vec<String> = (0..3)
        .map(|_| {
            app.advance(1_000);
            let taken = claim(&app, "r2", 1);
            assert_eq!(taken.len(), 1, "{taken:?}");
            taken[0]["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(order, [first, second, later]);
}

#[test]
fn a_waiting_job_can_be_cancelled_and_never_runs_again() {
    let app = app_with(Settings::default());
    let (id, _) = stopped_by_the_limit(&app, "r1");
    assert_error(
        &app.delete(&format!("/api/jobs/{id}")),
        409,
        "is waiting; cancel it first",
    );

    let resp = app.send(ApiRequest::new("POST", &format!("/api/jobs/{id}/cancel")));
    assert_eq!(resp.status, 202, "{}", String::from_utf8_lossy(&resp.body));
    let view = resp.json_body();
    assert_eq!(view["status"], "cancelled");
    assert_eq!(
        view["error"],
        "cancelled while waiting for the usage limit to reset"
    );
    assert_eq!(view["resume_at"], Value::Null);
    assert_eq!(counter(&app, keys::QUEUED_COUNT), 0);
    assert_eq!(app.get("/health").json_body()["waiting_jobs"], 0);

    app.advance(HOUR_MS + 1_000);
    assert_eq!(claim(&app, "r2", 3), Vec::<Value>::new());
    assert_eq!(job(&app, &id)["status"], "cancelled");
    assert_eq!(
        app.get("/api/jobs?status=waiting").json_body()["items"],
        json!([])
    );
    assert_error(
        &app.send(ApiRequest::new("POST", &format!("/api/jobs/{id}/cancel"))),
        409,
        "already cancelled",
    );
    assert_eq!(app.delete(&format!("/api/jobs/{id}")).status, 204);
}

#[test]
fn a_cancel_asked_while_running_wins_over_the_usage_limit() {
    let app = app_with(Settings::default());
    let id = submit_brief(&app, "Cancelled");
    claim(&app, "r1", 1);
    let asked = app.send(ApiRequest::new("POST", &format!("/api/jobs/{id}/cancel")));
    assert_eq!(asked.status, 202);
    let done = finish(&app, &id, 1, limited(app.now_ms() + HOUR_MS));
    assert_eq!(done.json_body()["status"], "cancelled");
    assert_eq!(counter(&app, keys::RUNNING_COUNT), 0);
}

#[test]
fn with_resume_on_usage_limit_off_the_job_fails_as_before() {
    let app = app_with(Settings {
        resume_on_usage_limit: false,
        ..Settings::default()
    });
    let id = submit_brief(&app, "Fails");
    claim(&app, "r1", 1);
    let done = finish(&app, &id, 1, limited(app.now_ms() + HOUR_MS));
    assert_eq!(done.status, 200);
    let view = job(&app, &id);
    assert_eq!(view["status"], "failed");
    assert_eq!(
        view["error"],
        "usage limit reached, resets at 2026-01-01 01:00 UTC"
    );
    assert_eq!(view["resume_at"], Value::Null);
    assert_eq!(counter(&app, keys::RUNNING_COUNT), 0);
    app.advance(HOUR_MS + 1_000);
    assert_eq!(claim(&app, "r2", 1), Vec::<Value>::new());
}

#[test]
fn a_reset_already_past_waits_a_minute_rather_than_running_at_once() {
    let app = app_with(Settings::default());
    let id = submit_brief(&app, "Skewed");
    claim(&app, "r1", 1);
    let reported = app.now_ms() - 5_000;
    let done = finish(&app, &id, 1, limited(reported));
    let resume_at = done.json_body()["resume_at"].as_str().unwrap().to_owned();
    assert!(resume_at > rfc3339(app.now_ms() + 59_000), "{resume_at}");
    app.advance(2_000);
    assert_eq!(claim(&app, "r2", 1), Vec::<Value>::new());
    app.advance(60_000);
    assert_eq!(ids(&claim(&app, "r2", 1)), [id.as_str()]);
}

#[test]
fn bad_usage_limit_reports_are_refused_and_change_nothing() {
    let app = app_with(Settings::default());
    let id = submit_brief(&app, "Bad Reports");
    claim(&app, "r1", 1);
    let now = app.now_ms();
    for (body, needle) in [
        (
            json!({"status": "usage_limit", "error": "limit"}),
            "needs resume_at_ms",
        ),
        (
            json!({"status": "completed", "resume_at_ms": now + HOUR_MS}),
            "only with the status usage_limit",
        ),
        (
            json!({"status": "usage_limit", "resume_at_ms": now + 9 * 24 * HOUR_MS}),
            "more than 8 days ahead",
        ),
        (
            json!({"status": "usage_limit", "resume_at_ms": "soon"}),
            "expected u64",
        ),
        (
            json!({"status": "usage_limit", "resume_at_ms": -1}),
            "expected u64",
        ),
        (
            json!({"status": "waiting", "resume_at_ms": now}),
            "unknown variant `waiting`",
        ),
    ] {
        let before = app.writes();
        assert_error(&finish(&app, &id, 1, body.clone()), 400, needle);
        assert_eq!(app.writes(), before, "{body} wrote something");
    }
    let view = job(&app, &id);
    assert_eq!(
        (view["status"].as_str(), view["attempt"].as_u64()),
        (Some("running"), Some(1))
    );
    assert_eq!(finish(&app, &id, 1, limited(now + HOUR_MS)).status, 200);
    assert_eq!(job(&app, &id)["status"], "waiting");
}

#[test]
fn the_janitor_keeps_a_waiting_job_and_removes_one_cancelled_while_waiting_whole() {
    const DAY_MS: i64 = 24 * HOUR_MS;
    let app = app_with(Settings {
        job_retention_days: 1,
        ..Settings::default()
    });
    let (cancelled, _) = stopped_by_the_limit(&app, "r1");
    let resume_at = app.now_ms() + 3 * DAY_MS;
    let waiting = submit_brief(&app, "Waits Long");
    assert_eq!(ids(&claim(&app, "r1", 1)), [waiting.as_str()]);
    assert_eq!(finish(&app, &waiting, 1, limited(resume_at)).status, 200);
    let cancel = app.send(ApiRequest::new(
        "POST",
        &format!("/api/jobs/{cancelled}/cancel"),
    ));
    assert_eq!(cancel.status, 202);

    let keys_of = |id: &str| -> Vec<String> {
        app.store
            .keys()
            .into_iter()
            .filter(|k| k.contains(id))
            .collect()
    };
    app.advance(DAY_MS + 60_000);
    let beat = json!({"runner": "r2", "jobs": []}).to_string();
    assert_eq!(
        app.runner("POST", "/api/runner/heartbeat", beat.clone())
            .status,
        200
    );
    assert_eq!(
        keys_of(&cancelled),
        Vec::<String>::new(),
        "gone, its next attempt's latch too"
    );
    assert_eq!(
        job(&app, &waiting)["status"],
        "waiting",
        "a waiting job is no finished job"
    );

    app.advance(2 * DAY_MS);
    let taken = claim(&app, "r2", 1);
    assert_eq!(ids(&taken), [waiting.as_str()]);
}
