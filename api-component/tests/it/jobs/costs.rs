//! What the hot paths read does not grow with the queue: the same requests against a queue of
//! 60 and of 2,060 queued jobs (more than a page either way), beside a job waiting for a usage
//! limit, read the same number of keys and about the same bytes.

use super::*;

/// What each hot-path request read: `(keys, bytes)` per request, in a fixed order.
fn costs(queued: usize) -> Vec<(&'static str, (u64, u64))> {
    let app = App::with_settings(Settings {
        lease_seconds: 30,
        max_concurrent_jobs: 2,
        ..Settings::default()
    });
    app.put("/api/brand-data/acme.json", BRAND);
    // One job runs (held by r1), one waits for a usage limit to reset (the claims below read
    // the waiting index); the rest are queued, the last one submitted is watched.
    let running = submit_brief(&app, "Running");
    let limited = submit_brief(&app, "Limited");
    let mut watched = String::new();
    for i in 0..queued {
        watched = submit_brief(&app, &format!("Waiting {i}"));
    }
    assert_eq!(claim(&app, "r1", 2).len(), 2);
    let stop = json!({"status": "usage_limit", "resume_at_ms": app.now_ms() + 3_600_000});
    assert_eq!(finish(&app, &limited, 1, stop).status, 200);
    assert_eq!(job(&app, &limited)["status"], "waiting");

    let mut out = Vec::new();
    let mut measure = |label, f: &dyn Fn() -> ApiResponse| {
        // Past the reaping interval: every heartbeat and claim below also reaps.
        app.advance(2_000);
        let before = app.store.reads();
        let resp = f();
        assert!(resp.status < 300, "{label}: {}", resp.status);
        let after = app.store.reads();
        out.push((label, (after.0 - before.0, after.1 - before.1)));
    };
    let heartbeat = json!({"runner": "r1", "jobs": [{"id": running, "attempt": 1}]});
    measure("heartbeat", &|| {
        app.runner("POST", "/api/runner/heartbeat", heartbeat.to_string())
    });
    measure("claim", &|| {
        app.runner(
            "POST",
            "/api/runner/claim",
            json!({"runner": "r2", "slots": 1, "wait_ms": 0}).to_string(),
        )
    });
    measure("jobs page", &|| app.get("/api/jobs?limit=50"));
    measure("watched job", &|| app.get(&format!("/api/jobs/{watched}")));
    measure("events", &|| {
        app.get(&format!("/api/jobs/{watched}/events"))
    });
    measure("health", &|| app.get("/health"));
    out
}

/// An open stream of a running job with nothing new reads one key per poll (the next log chunk)
/// and, every fourth poll, the record and the cancel flag; a stored chunk shows at the next poll.
#[test]
fn an_idle_event_stream_reads_one_key_a_poll() {
    let app = App::new();
    app.put("/api/brand-data/acme.json", BRAND);
    let id = submit_brief(&app, "Watched");
    assert_eq!(claim(&app, "r1", 1)[0]["id"], id.as_str());
    let mut events = app.open_events(&format!("/api/jobs/{id}/events"));
    let first = app.poll_events(&mut events);
    assert!(String::from_utf8_lossy(&first.bytes).contains("event: status"));

    let before = app.store.reads().0;
    for _ in 0..40 {
        let chunk = app.poll_events(&mut events);
        assert!(chunk.bytes.is_empty() && !chunk.done);
    }
    let keys = app.store.reads().0 - before;
    assert_eq!(keys, 40 + 2 * 10, "keys read by 40 idle polls");

    assert_eq!(chunk(&app, &id, 1, 0, &["first line"]).status, 200);
    let sent = String::from_utf8(app.poll_events(&mut events).bytes).unwrap();
    assert!(
        sent.contains("event: log") && sent.contains("first line"),
        "{sent}"
    );
    // Finishing shows within the polls between two loads of the record.
    assert_eq!(finish(&app, &id, 1, completed()).status, 200);
    let mut done = false;
    for _ in 0..4 {
        let chunk = app.poll_events(&mut events);
        if chunk.done {
            assert!(String::from_utf8_lossy(&chunk.bytes).contains("event: done"));
            done = true;
            break;
        }
    }
    assert!(done, "no done event within four polls of the finish");
}

#[test]
fn hot_paths_read_the_same_whatever_the_queue_length() {
    let short = costs(60);
    let long = costs(2_060);
    for ((label, (keys_short, bytes_short)), (_, (keys_long, bytes_long))) in
        short.iter().zip(&long)
    {
        eprintln!("{label}: {keys_long} keys, {bytes_short} / {bytes_long} bytes");
        assert_eq!(keys_short, keys_long, "{label}: keys read");
        // Ids and numbers grow by a few digits; nothing grows with the queue.
        assert!(
            *bytes_long <= bytes_short + bytes_short / 10 + 64,
            "{label}: {bytes_short} bytes with 60 queued, {bytes_long} with 2,060"
        );
    }
    // The watched job is the last in line, and says so without a scan.
    let app = App::new();
    app.put("/api/brand-data/acme.json", BRAND);
    let ids: Vec<String> = (0..5)
        .map(|i| submit_brief(&app, &format!("J{i}")))
        .collect();
    assert_eq!(job(&app, &ids[4])["queue_position"], 5);
    app.send(ApiRequest::new(
        "POST",
        &format!("/api/jobs/{}/cancel", ids[0]),
    ));
    assert_eq!(
        job(&app, &ids[4])["queue_position"],
        4,
        "the head left the line"
    );
}

#[test]
fn prompts_are_stored_apart_from_the_record() {
    let app = app();
    let id = submit_brief(&app, "Apart");
    let record = app
        .store
        .keys()
        .into_iter()
        .find(|k| *k == format!("job/{id}"));
    let record = api_component::store::Store::get(&app.store, &record.unwrap())
        .unwrap()
        .unwrap();
    let record = String::from_utf8(record).unwrap();
    assert!(!record.contains("prompt"), "{record}");
    // The runner still gets it.
    let jobs = claim(&app, "r1", 1);
    assert!(
        jobs[0]["prompt"]
            .as_str()
            .unwrap()
            .contains("output/apart.md"),
        "{}",
        jobs[0]
    );
}
