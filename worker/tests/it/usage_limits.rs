//! A job's CLI stops at a usage limit that resets a few seconds later: the job waits, its
//! runner claims nothing until the reset (the next queued job is not taken meanwhile), then the
//! job runs again, first, and completes; a runner paused so shuts down at once; an API from
//! before usage limits is told the job failed, and the runner still pauses.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::harness::scripted::{ScriptedApi, claimed};
use crate::harness::{
    Client, InProcess, Server, WorkerProcess, bins, cli_runs, poll_until, serial, wait_for,
    worker_config, worker_config_for,
};

/// Unix seconds, `ahead` from now.
fn unix_secs_ahead(ahead: u64) -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + ahead
}

/// `2026-01-01T00:00:00.000Z`, as the API writes times.
fn api_time(unix_secs: u64) -> String {
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_secs(unix_secs)).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_job_waits_the_runner_pauses_and_the_job_runs_again_after_the_reset() {
    let _serial = serial().await;
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::native(&[]);
    let client = Client::new(&server);
    client.put_brand("acme.json").await;
    // Both queued before the runner starts: both are named output/limit.md.
    let first = client.submit_brief("Limit", "acme.json").await;
    let second = client.submit_brief("Limit", "acme.json").await;

    // Built (if need be) before the clock starts: the reset is a few seconds ahead.
    bins();
    let resets_at = unix_secs_ahead(4);
    let argv = tmp.path().join("argv.jsonl");
    let knobs = [
        ("FAKE_CLAUDE_SCENARIO", "usage_limit"),
        ("FAKE_CLAUDE_RESETS_AT", &resets_at.to_string()),
        ("FAKE_CLAUDE_OUTPUT_FILE", "output/limit.md"),
        ("FAKE_CLAUDE_ARGV_LOG", argv.to_str().unwrap()),
    ];
    let mut config = worker_config(&server, "box-1", &tmp.path().join("w"), &knobs);
    config.slots = 1;
    let worker = InProcess::start(config);

    let waiting = client
        .wait_status(&first, "waiting", Duration::from_secs(60))
        .await;
    assert_eq!(waiting["resume_at"], api_time(resets_at), "{waiting}");
    assert_eq!(waiting["runner"], "box-1");
    assert_eq!(client.job(&second).await["status"], "queued");

    let first_done = client
        .wait_status(&first, "completed", Duration::from_secs(60))
        .await;
    let second_done = client
        .wait_status(&second, "completed", Duration::from_secs(60))
        .await;
    assert_eq!(
        (
            first_done["attempt"].as_u64(),
            first_done["runner"].as_str()
        ),
        (Some(2), Some("box-1"))
    );
    assert_eq!(second_done["attempt"], 1, "{second_done}");
    // The runner took nothing while paused; after the reset the waiting job went first.
    let runs = cli_runs(&argv);
    assert_eq!(
        runs,
        [
            format!("{first}-a1"),
            format!("{first}-a2"),
            format!("{second}-a1")
        ]
    );
    let started = second_done["started_at"].as_str().unwrap();
    assert!(started >= api_time(resets_at).as_str(), "{second_done}");

    // The first attempt's log says why it stopped; the second one's ends in success.
    let texts = client.log_texts(&first).await;
    let limit = texts
        .iter()
        .position(|t| t.starts_with("job stopped: usage limit reached, resets at "))
        .unwrap_or_else(|| panic!("{texts:?}"));
    let success = texts
        .iter()
        .position(|t| t.starts_with("job succeeded"))
        .unwrap_or_else(|| panic!("{texts:?}"));
    assert!(limit < success, "{texts:?}");
    worker.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runner_paused_by_a_usage_limit_says_so_once_and_shuts_down_at_once() {
    let _serial = serial().await;
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::native(&[]);
    let client = Client::new(&server);
    client.put_brand("acme.json").await;
    let resets_at = unix_secs_ahead(3_600).to_string();
    let knobs = [
        ("FAKE_CLAUDE_SCENARIO", "usage_limit"),
        ("FAKE_CLAUDE_RESETS_AT", resets_at.as_str()),
    ];
    let mut worker = WorkerProcess::start(&server, "box-1", &tmp.path().join("w"), 2, &knobs);
    let first = client.submit_brief("Paused", "acme.json").await;
    client
        .wait_status(&first, "waiting", Duration::from_secs(60))
        .await;
    // A job queued during the pause stays queued, though a slot is free.
    let second = client.submit_brief("Not Now", "acme.json").await;
    let said = poll_until(Duration::from_secs(30), || {
        worker
            .stderr()
            .contains("usage limit reached: claiming no jobs until it resets")
            .then_some(())
    });
    assert!(said.is_some(), "{}", worker.stderr());

    worker.sigterm();
    let status = worker
        .wait_exit(Duration::from_secs(30))
        .expect("a paused worker exits without waiting for the reset");
    assert_eq!(status.code(), Some(0), "{}", worker.stderr());
    let log = worker.stderr();
    assert_eq!(
        log.matches("usage limit reached: claiming no jobs").count(),
        1,
        "{log}"
    );
    assert!(!log.contains("claiming jobs again"), "{log}");
    assert_eq!(client.job(&second).await["status"], "queued");
    assert_eq!(client.job(&first).await["status"], "waiting");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_that_knows_no_usage_limits_is_told_the_job_failed_and_the_runner_still_pauses() {
    let _serial = serial().await;
    let tmp = tempfile::tempdir().unwrap();
    // An older API refuses the status it does not know, as its request types refuse unknown
    // variants and fields.
    let api = ScriptedApi::refusing(
        json!([claimed(
            "00ef-1",
            json!([]),
            json!([{"path": "output/limit.md"}])
        )]),
        |req| {
            let body: Value = serde_json::from_slice(&req.body).ok()?;
            (req.path.ends_with("/finish") && body["status"] == "usage_limit").then(|| {
                let error = "invalid request body: unknown variant `usage_limit`";
                (400, json!({ "error": error }))
            })
        },
    )
    .await;
    bins();
    let resets_at = unix_secs_ahead(30).to_string();
    let knobs = [
        ("FAKE_CLAUDE_SCENARIO", "usage_limit"),
        ("FAKE_CLAUDE_RESETS_AT", resets_at.as_str()),
    ];
    let config = worker_config_for(api.base(), "box-1", &tmp.path().join("w"), &knobs);
    let worker = InProcess::start(config);

    let reported = wait_for(Duration::from_secs(30), || async {
        (api.finishes().len() >= 2).then_some(())
    })
    .await;
    assert!(reported.is_some(), "requests: {:?}", api.seen());
    let finishes = api.finishes();
    let (limited, failed) = (&finishes[0].1, &finishes[1].1);
    assert_eq!(limited["status"], "usage_limit", "{limited}");
    assert!(limited["resume_at_ms"].is_u64(), "{limited}");
    assert_eq!(failed["status"], "failed", "{failed}");
    assert!(failed["resume_at_ms"].is_null(), "{failed}");
    assert_eq!(failed["error"], limited["error"]);
    assert!(
        failed["error"]
            .as_str()
            .is_some_and(|e| e.contains("usage limit")),
        "{failed}"
    );
    // The CLI is limited whatever the API knows: no claim until the reset, though the scripted
    // API answers an empty claim within 200 ms (a request is recorded once answered, so one
    // sent before the pause began is let in first).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let claims_before = api
        .seen()
        .iter()
        .filter(|r| r.path.ends_with("/claim"))
        .count();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let claims_after = api
        .seen()
        .iter()
        .filter(|r| r.path.ends_with("/claim"))
        .count();
    assert_eq!(claims_after, claims_before, "requests: {:?}", api.seen());
    assert_eq!(api.finishes().len(), 2);
    worker.stop().await.unwrap();
}
