//! Removing finished jobs: on request, and by the janitor once they are old enough; nothing of
//! a removed job stays behind, and the documents it made do.

use super::*;

const DAY_MS: i64 = 86_400_000;

/// Keys that belong to job `id` (its record, prompt, latches, leases, logs, staged outputs).
fn keys_of(app: &App, id: &str) -> Vec<String> {
    app.store
        .keys()
        .into_iter()
        .filter(|k| k.contains(id))
        .collect()
}

/// Runs job `id` as a runner would: two log chunks, its output, completed.
fn run_to_completion(app: &App, id: &str, attempt: u64) {
    assert_eq!(chunk(app, id, attempt, 0, &["one"]).status, 200);
    assert_eq!(chunk(app, id, attempt, 1, &["two"]).status, 200);
    let out = app.runner(
        "PUT",
        &format!("/api/runner/jobs/{id}/{attempt}/outputs/0"),
        "# Done\n\nText.",
    );
    assert_eq!(out.status, 200);
    assert_eq!(finish(app, id, attempt, completed()).status, 200);
}

#[test]
fn a_finished_job_can_be_deleted_with_everything_under_it() {
    let app = app();
    let id = submit_brief(&app, "Delete Me");
    claim(&app, "r1", 1);
    assert_error(
        &app.delete(&format!("/api/jobs/{id}")),
        409,
        "cancel it first",
    );
    run_to_completion(&app, &id, 1);
    assert!(
        !keys_of(&app, &id).iter().any(|k| k.contains("/out/")),
        "staged outputs go once committed: {:?}",
        keys_of(&app, &id)
    );

    let resp = app.delete(&format!("/api/jobs/{id}"));
    assert_eq!(resp.status, 204, "{}", String::from_utf8_lossy(&resp.body));
    assert_eq!(keys_of(&app, &id), Vec::<String>::new());
    assert_eq!(app.get(&format!("/api/jobs/{id}")).status, 404);
    assert_eq!(app.get("/api/jobs").json_body()["items"], json!([]));
    assert_eq!(
        app.get("/api/briefs/delete-me.md").status,
        200,
        "its document stays"
    );
    assert_eq!(app.delete(&format!("/api/jobs/{id}")).status, 404);
}

#[test]
fn the_janitor_removes_old_finished_jobs_oldest_first_and_keeps_the_rest() {
    let app = App::with_settings(Settings {
        lease_seconds: 30,
        job_retention_days: 1,
        max_concurrent_jobs: 3,
        ..Settings::default()
    });
    app.put("/api/brand-data/acme.json", BRAND);
    // Oldest first: a job lost once and then completed, one still running, one completed.
    let lost_then_done = submit_brief(&app, "Lost Then Done");
    claim(&app, "r1", 1);
    assert_eq!(
        chunk(&app, &lost_then_done, 1, 0, &["first try"]).status,
        200
    );
    app.advance(31_000);
    claim(&app, "r2", 1);
    run_to_completion(&app, &lost_then_done, 2);
    let running = submit_brief(&app, "Still Running");
    let done = submit_brief(&app, "Done Later");
    claim(&app, "r3", 2);
    run_to_completion(&app, &done, 1);

    let heartbeat = |runner: &str, jobs: Value| {
        let body = json!({"runner": runner, "jobs": jobs}).to_string();
        assert_eq!(
            app.runner("POST", "/api/runner/heartbeat", body).status,
            200
        );
    };
    heartbeat("r3", json!([{"id": running, "attempt": 1}]));
    assert!(
        !keys_of(&app, &lost_then_done).is_empty(),
        "too young to go"
    );

    app.advance(DAY_MS + 60_000);
    heartbeat("r3", json!([{"id": running, "attempt": 1}]));
    assert_eq!(
        keys_of(&app, &lost_then_done),
        Vec::<String>::new(),
        "gone with the logs of both attempts"
    );
    assert!(!keys_of(&app, &running).is_empty());
    assert!(
        !keys_of(&app, &done).is_empty(),
        "behind a running job, a finished one waits its turn"
    );

    run_to_completion(&app, &running, 1);
    app.advance(DAY_MS + 60_000);
    heartbeat("r3", json!([]));
    assert_eq!(keys_of(&app, &running), Vec::<String>::new());
    assert_eq!(keys_of(&app, &done), Vec::<String>::new());
    assert_eq!(app.get("/api/jobs").json_body()["items"], json!([]));
}
