//! The runner protocol: the token, claims in FIFO order under the cap, leases and fencing.

use super::*;

#[test]
fn runner_endpoints_need_the_token() {
    let app = app();
    let body = json!({"runner": "r1"}).to_string();
    let claim = || {
        ApiRequest::new("POST", "/api/runner/claim")
            .with_header("content-type", "application/json")
            .with_body(body.clone())
    };
    assert_error(&app.send_as_is(claim()), 401, "bearer token");
    let wrong = claim().with_header("Authorization", "Bearer nope");
    assert_error(&app.send(wrong), 401, "unknown or revoked");
    // People, the admin included, do not speak the runner protocol.
    assert_error(&app.send(claim()), 403, "runner token");
    let mut unset = App::new();
    unset.settings.runner_token.clear();
    assert_error(
        &unset.runner("POST", "/api/runner/claim", body.clone()),
        401,
        "unknown or revoked",
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
                // Until every job is claimed, not a fixed number of tries: on a loaded machine a
                // thread can spend many empty claims while the others hold all three slots.
                // The bound only stops a broken queue from spinning forever.
                for _ in 0..1_000_000 {
                    if claimed.lock().unwrap().len() >= 30 {
                        break;
                    }
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
    assert_eq!(
        texts(&logs),
        ["from the first runner", "from the second runner"]
    );

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
    assert_failed_because(&app, &id, "runner lost");
    assert_eq!(app.get("/health").json_body()["active_jobs"], 0);
}

#[test]
fn a_stopped_claim_answers_at_once_and_takes_nothing_more() {
    let app = app();
    let waiting = |runner: &str| {
        app.start_claim(&json!({"runner": runner, "slots": 2, "wait_ms": 20_000}))
            .unwrap_or_else(|resp| panic!("claim did not wait: {:?}", resp.json_body()))
    };
    let draining = waiting("draining");
    let other = waiting("other");
    assert!(app.claim_again(&draining).is_none(), "nothing queued yet");

    let stop = app.runner(
        "POST",
        "/api/runner/claim/stop",
        json!({"runner": "draining"}).to_string(),
    );
    assert_eq!(stop.status, 204, "{}", String::from_utf8_lossy(&stop.body));
    let id = submit_brief(&app, "After the stop");

    let answer = app.claim_again(&draining).expect("a stopped claim answers");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json_body()["jobs"], json!([]));
    assert_eq!(job(&app, &id)["status"], "queued");

    // Another runner's claim is not affected and gets the job.
    let answer = app.claim_again(&other).expect("the job is handed out");
    assert_eq!(answer.json_body()["jobs"][0]["id"], id.as_str());
    // The stop is used up: the draining runner's next claim waits as usual.
    assert!(app.claim_again(&waiting("draining")).is_none());

    for bad in [
        json!({}),
        json!({"runner": "no spaces"}),
        json!({"runner": 7}),
    ] {
        let resp = app.runner("POST", "/api/runner/claim/stop", bad.to_string());
        assert_eq!(resp.status, 400, "{bad}");
    }
    let resp = app.send_as_is(
        ApiRequest::new("POST", "/api/runner/claim/stop")
            .with_header("content-type", "application/json")
            .with_body(json!({"runner": "draining"}).to_string()),
    );
    assert_eq!(resp.status, 401);
}

#[test]
fn a_waiting_claim_finds_a_job_the_queued_counter_missed() {
    use api_component::store::Store;
    let app = app();
    let waiting = app
        .start_claim(&json!({"runner": "r1", "slots": 1, "wait_ms": 20_000}))
        .unwrap_or_else(|resp| panic!("claim did not wait: {:?}", resp.json_body()));
    let id = submit_brief(&app, "Missed by the counter");
    // As if the submitter died before raising the count.
    app.store.increment("stats/queued", -1).unwrap();

    let found = (1..=10).find_map(|look| app.claim_again(&waiting).map(|resp| (look, resp)));
    let (look, resp) = found.expect("a full pass within ten looks");
    assert!(look > 1, "the counters were skipped: found on look {look}");
    assert_eq!(resp.json_body()["jobs"][0]["id"], id.as_str());
}

/// `/health` is degraded exactly while jobs wait and no runner is there to take them.
#[test]
fn health_is_degraded_while_queued_jobs_have_no_runner() {
    let app = app();
    let health = || app.get("/health").json_body();
    assert_eq!(health()["status"], "healthy", "nothing queued");
    assert!(health().get("reason").is_none());

    submit_brief(&app, "One");
    let h = health();
    assert_eq!(
        (h["status"].as_str(), h["runners_online"].as_u64()),
        (Some("degraded"), Some(0))
    );
    assert_eq!(h["reason"], "1 job is queued and no runner is online");
    submit_brief(&app, "Two");
    assert_eq!(
        health()["reason"],
        "2 jobs are queued and no runner is online"
    );

    // A runner that claims one of the two is online: the other waits for a free slot, fine.
    assert_eq!(claim(&app, "r1", 1).len(), 1);
    let h = health();
    assert_eq!(
        (h["status"].as_str(), h["queued_jobs"].as_u64()),
        (Some("healthy"), Some(1))
    );
    assert!(h.get("reason").is_none(), "{h}");

    // Once it has not been heard from for too long, the queued job has nobody again.
    app.advance(api_component::jobs::runner_api::RUNNER_ONLINE_MS + 1_000);
    let h = health();
    assert_eq!(
        (h["status"].as_str(), h["runners_online"].as_u64()),
        (Some("degraded"), Some(0))
    );
}
