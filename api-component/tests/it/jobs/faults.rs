//! Self-repair: a store write that fails half-way through submit, take, finish, reap or cancel,
//! or through a usage limit's stop, its resumed take or the cancel of a waiting job (every
//! write position of each) leaves nothing stuck. After the next passes of a healthy
//! runner, every job is final and the running, queued and waiting counters are exact again.

use api_component::jobs::model::keys;
use api_component::store::Store;

use super::*;

const LEASE_S: u64 = 5;

fn fault_app() -> App {
    let app = App::with_settings(Settings {
        lease_seconds: LEASE_S,
        ..Settings::default()
    });
    app.put("/api/brand-data/acme.json", BRAND);
    app
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Submit,
    Take,
    Finish,
    Reap,
    Cancel,
    /// The finish of an attempt stopped by a usage limit.
    UsageLimit,
    /// The claim that takes a waiting job once its limit has reset.
    TakeWaiting,
    /// The cancel of a waiting job.
    CancelWaiting,
}

/// When the usage limit of [`Op::UsageLimit`] resets: within the healing passes.
const RESET_AFTER_MS: i64 = 10_000;

/// The state just before `op`: the job it acts on, if any.
fn setup(app: &App, op: Op) -> Option<String> {
    if let Op::Submit = op {
        return None;
    }
    let id = submit_brief(app, "Faulty");
    if let Op::Finish | Op::Reap | Op::UsageLimit | Op::TakeWaiting | Op::CancelWaiting = op {
        assert_eq!(claim(app, "r1", 1).len(), 1);
        assert_eq!(chunk(app, &id, 1, 0, &["working"]).status, 200);
        let out = app.runner(
            "PUT",
            &format!("/api/runner/jobs/{id}/1/outputs/0"),
            "# Faulty\n\nText.",
        );
        assert_eq!(out.status, 200);
    }
    if let Op::Reap = op {
        app.advance(LEASE_S as i64 * 1000 + 1_000);
    }
    if let Op::TakeWaiting | Op::CancelWaiting = op {
        assert_eq!(perform(app, Op::UsageLimit, Some(&id)).status, 200);
    }
    if let Op::TakeWaiting = op {
        app.advance(RESET_AFTER_MS + 1_000);
    }
    Some(id)
}

fn perform(app: &App, op: Op, id: Option<&str>) -> ApiResponse {
    match op {
        Op::Submit => app.post_json(
            "/api/briefs/generate",
            &json!({"title": "Faulty", "primary_keyword": "k", "brand_data": "acme.json"}),
        ),
        Op::Take | Op::TakeWaiting => app.runner(
            "POST",
            "/api/runner/claim",
            json!({"runner": "r1", "slots": 1}).to_string(),
        ),
        Op::UsageLimit => finish(
            app,
            id.unwrap(),
            1,
            json!({"status": "usage_limit", "log_chunks": 1,
                   "resume_at_ms": app.now_ms() + RESET_AFTER_MS}),
        ),
        Op::Finish => finish(
            app,
            id.unwrap(),
            1,
            json!({"status": "completed", "log_chunks": 1}),
        ),
        Op::Reap => app.runner(
            "POST",
            "/api/runner/heartbeat",
            json!({"runner": "r2", "jobs": []}).to_string(),
        ),
        Op::Cancel | Op::CancelWaiting => app.send(ApiRequest::new(
            "POST",
            &format!("/api/jobs/{}/cancel", id.unwrap()),
        )),
    }
}

fn counter(app: &App, key: &str) -> i64 {
    app.store.increment(key, 0).unwrap()
}

/// What is not yet as it should be, or `None` when every job is final and the counters match.
fn unsettled(app: &App) -> Option<String> {
    let items = app.get("/api/jobs?limit=100").json_body()["items"].clone();
    let open: Vec<&Value> = items
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| {
            !matches!(
                j["status"].as_str(),
                Some("completed" | "failed" | "cancelled")
            )
        })
        .collect();
    let running = counter(app, keys::RUNNING_COUNT);
    let queued = counter(app, keys::QUEUED_COUNT);
    let waiting = counter(app, keys::WAITING_COUNT);
    (!open.is_empty() || running != 0 || queued != 0 || waiting != 0).then(|| {
        format!(
            "open jobs {open:?}, stats/running {running}, stats/queued {queued}, \
             stats/waiting {waiting}"
        )
    })
}

/// A healthy runner's passes: claims, runs each job to completion, heartbeats, as time passes.
fn heal(app: &App) -> Result<usize, String> {
    for round in 1..=30 {
        app.advance(6_000);
        for job in claim(app, "healer", 3) {
            let (id, attempt) = (
                job["id"].as_str().unwrap(),
                job["attempt"].as_u64().unwrap(),
            );
            let url = format!("/api/runner/jobs/{id}/{attempt}/outputs/0");
            assert_eq!(app.runner("PUT", &url, "# Healed\n\nText.").status, 200);
            let done = finish(
                app,
                id,
                attempt,
                json!({"status": "completed", "log_chunks": 0}),
            );
            assert_eq!(done.status, 200, "{}", String::from_utf8_lossy(&done.body));
        }
        let beat = json!({"runner": "healer", "jobs": []}).to_string();
        assert_eq!(
            app.runner("POST", "/api/runner/heartbeat", beat).status,
            200
        );
        if unsettled(app).is_none() {
            return Ok(round);
        }
    }
    Err(unsettled(app).unwrap())
}

#[test]
fn a_write_failing_at_any_point_of_any_operation_is_repaired_by_the_next_passes() {
    let mut checked = 0;
    for op in [
        Op::Submit,
        Op::Take,
        Op::Finish,
        Op::Reap,
        Op::Cancel,
        Op::UsageLimit,
        Op::TakeWaiting,
        Op::CancelWaiting,
    ] {
        // How many writes the operation makes when nothing fails.
        let app = fault_app();
        let id = setup(&app, op);
        let before = app.writes();
        let resp = perform(&app, op, id.as_deref());
        assert!(resp.status < 300, "{op:?} without a fault: {}", resp.status);
        let writes = app.writes() - before;
        assert!(writes >= 2, "{op:?} makes {writes} writes");
        let status = id.as_deref().map(|id| job(&app, id)["status"].clone());
        match op {
            Op::UsageLimit => assert_eq!(status, Some(json!("waiting"))),
            Op::TakeWaiting => assert_eq!(resp.json_body()["jobs"][0]["attempt"], 2),
            Op::CancelWaiting => assert_eq!(status, Some(json!("cancelled"))),
            _ => {}
        }
        heal(&app).unwrap_or_else(|e| panic!("{op:?} without a fault: {e}"));

        for n in 1..=writes {
            let app = fault_app();
            let id = setup(&app, op);
            app.fail_write(n);
            let resp = perform(&app, op, id.as_deref());
            assert!(
                resp.status == 500 || resp.status < 300,
                "{op:?}, write {n} failing: {}",
                resp.status
            );
            app.fail_write(0);
            if let Err(state) = heal(&app) {
                panic!("{op:?} with write {n} of {writes} failing: {state}");
            }
            checked += 1;
        }
    }
    eprintln!("{checked} fault positions repaired");
    assert!(checked > 20, "{checked} fault positions");
}
