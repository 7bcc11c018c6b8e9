//! Failures around a running job: a runner that dies or stalls loses its job to another one
//! and is fenced off; an API that goes away for a while loses and repeats no log line.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::harness::{
    Client, InProcess, Server, WorkerProcess, alive, argv_records, kill_pid, poll_until, serial,
    worker_config,
};

/// A log line's attempt (its `seq` packs it, see docs/runner-protocol.md).
fn attempt_of(line: &Value) -> i64 {
    line["seq"].as_i64().unwrap() / 1_000_000_000_000
}

fn texts_of(lines: &[Value], attempt: i64) -> Vec<String> {
    lines
        .iter()
        .filter(|l| attempt_of(l) == attempt)
        .map(|l| l["text"].as_str().unwrap().to_owned())
        .collect()
}

/// Knobs for a job that takes a while: `lines` progress lines, `delay_ms` apart.
fn slow(output: &str, lines: &str, delay_ms: &str, argv_log: &str) -> Vec<(String, String)> {
    [
        ("FAKE_CLAUDE_OUTPUT_FILE", output),
        ("FAKE_CLAUDE_LINES", lines),
        ("FAKE_CLAUDE_DELAY_MS", delay_ms),
        ("FAKE_CLAUDE_ARGV_LOG", argv_log),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn borrowed(knobs: &[(String, String)]) -> Vec<(&str, &str)> {
    knobs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runner_killed_mid_job_loses_it_to_another_and_is_fenced_off() {
    let _serial = serial().await;
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::native(&[("LEASE_SECONDS", "3")]);
    let client = Client::new(&server);
    client.put_brand("acme.json").await;
    let argv_a = tmp.path().join("argv-a.jsonl");
    let knobs_a = slow("output/failover.md", "50", "300", argv_a.to_str().unwrap());
    let mut a = WorkerProcess::start(
        &server,
        "box-a",
        &tmp.path().join("wa"),
        1,
        &borrowed(&knobs_a),
    );

    let id = client.submit_brief("Failover", "acme.json").await;
    client
        .wait_log(&id, "Progress line 2 of 50.", Duration::from_secs(60))
        .await;
    assert_eq!(client.job(&id).await["runner"], "box-a");
    a.kill9();
    // Its CLI is in its own process group and outlives it; not part of the scenario.
    let orphan = argv_records(&argv_a)[0]["pid"].as_u64().unwrap() as u32;
    kill_pid(orphan);

    let knobs_b = [
        ("FAKE_CLAUDE_OUTPUT_FILE", "output/failover.md"),
        ("FAKE_CLAUDE_LINES", "2"),
    ];
    let b = InProcess::start(worker_config(
        &server,
        "box-b",
        &tmp.path().join("wb"),
        &knobs_b,
    ));
    let job = client
        .wait_status(&id, "completed", Duration::from_secs(60))
        .await;
    assert_eq!(
        (job["attempt"].as_u64(), job["runner"].as_str()),
        (Some(2), Some("box-b"))
    );

    let lines = client.logs(&id).await;
    assert!(texts_of(&lines, 1).contains(&"Progress line 2 of 50.".to_owned()));
    assert!(!texts_of(&lines, 1).contains(&"Progress line 50 of 50.".to_owned()));
    assert!(texts_of(&lines, 2).contains(&"Progress line 2 of 2.".to_owned()));

    // Attempt 1 is over: a late write in its name is refused.
    let late = br#"{"lines":[{"ts":"2026-01-01T00:00:00.000Z","stream":"stdout","kind":"text","text":"late"}]}"#;
    assert_eq!(
        client
            .runner_put(&format!("/jobs/{id}/1/logs/0"), late.to_vec())
            .await,
        409
    );
    assert_eq!(
        client
            .runner_put(&format!("/jobs/{id}/1/outputs/0"), b"# late".to_vec())
            .await,
        409
    );
    assert!(!client.log_texts(&id).await.contains(&"late".to_owned()));

    b.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_runner_that_comes_back_kills_its_cli_and_reports_nothing() {
    let _serial = serial().await;
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::native(&[("LEASE_SECONDS", "3")]);
    let client = Client::new(&server);
    client.put_brand("acme.json").await;
    let argv_a = tmp.path().join("argv-a.jsonl");
    let knobs_a = slow("output/stall.md", "100", "200", argv_a.to_str().unwrap());
    let mut a = WorkerProcess::start(
        &server,
        "box-a",
        &tmp.path().join("wa"),
        1,
        &borrowed(&knobs_a),
    );
    let id = client.submit_brief("Stall", "acme.json").await;
    client
        .wait_log(&id, "Progress line 2 of 100.", Duration::from_secs(60))
        .await;
    let cli_a = argv_records(&argv_a)[0]["pid"].as_u64().unwrap() as u32;

    // SIGSTOP: no heartbeats, no uploads, while its CLI goes on.
    // SAFETY: signals the worker process this test started.
    unsafe { libc::kill(a.pid() as i32, libc::SIGSTOP) };
    let knobs_b = [("FAKE_CLAUDE_OUTPUT_FILE", "output/stall.md")];
    let b = InProcess::start(worker_config(
        &server,
        "box-b",
        &tmp.path().join("wb"),
        &knobs_b,
    ));
    let job = client
        .wait_status(&id, "completed", Duration::from_secs(60))
        .await;
    assert_eq!(job["attempt"], 2);
    let attempt_1_lines = texts_of(&client.logs(&id).await, 1).len();

    // SAFETY: as above.
    unsafe { libc::kill(a.pid() as i32, libc::SIGCONT) };
    let killed = poll_until(Duration::from_secs(10), || (!alive(cli_a)).then_some(()));
    assert!(
        killed.is_some(),
        "the fenced-off runner kept its CLI running:\n{}",
        a.stderr()
    );
    let job = client.job(&id).await;
    assert_eq!(
        (job["status"].as_str(), job["attempt"].as_u64()),
        (Some("completed"), Some(2))
    );
    assert_eq!(
        texts_of(&client.logs(&id).await, 1).len(),
        attempt_1_lines,
        "no late lines for attempt 1"
    );

    a.sigterm();
    assert_eq!(
        a.wait_exit(Duration::from_secs(30)).and_then(|s| s.code()),
        Some(0),
        "{}",
        a.stderr()
    );
    b.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_outage_mid_job_loses_and_repeats_no_log_line() {
    let _serial = serial().await;
    let tmp = tempfile::tempdir().unwrap();
    let mut server = Server::start(tmp.path(), &[]);
    let client = Client::new(&server);
    client.put_brand("acme.json").await;
    let argv = tmp.path().join("argv.jsonl");
    let knobs = slow("output/outage.md", "60", "500", argv.to_str().unwrap());
    let worker = InProcess::start(worker_config(
        &server,
        "box-1",
        &tmp.path().join("w"),
        &borrowed(&knobs),
    ));
    let id = client.submit_brief("Outage", "acme.json").await;
    client
        .wait_log(&id, "Progress line 3 of 60.", Duration::from_secs(60))
        .await;

    server.kill();
    let down = SystemTime::now();
    // The one deliberate wait: the API stays away for 20 s while the CLI keeps printing.
    tokio::time::sleep(Duration::from_secs(20)).await;
    let up = SystemTime::now();
    server.restart();

    client
        .wait_status(&id, "completed", Duration::from_secs(90))
        .await;
    let lines = client.logs(&id).await;
    let texts: Vec<&str> = lines.iter().map(|l| l["text"].as_str().unwrap()).collect();
    let progress: Vec<&str> = texts
        .iter()
        .copied()
        .filter(|t| t.starts_with("Progress line"))
        .collect();
    let expected: Vec<String> = (1..=60)
        .map(|i| format!("Progress line {i} of 60."))
        .collect();
    assert_eq!(progress, expected, "every line once, in order");
    let unique: HashSet<&str> = texts.iter().copied().collect();
    assert_eq!(unique.len(), texts.len(), "no line twice: {texts:?}");

    // Lines the CLI printed while the API was away were among them.
    let rfc = |t: SystemTime| humantime::format_rfc3339_millis(t).to_string();
    let (down, up) = (rfc(down), rfc(up));
    let during = lines
        .iter()
        .filter(|l| (down.as_str()..up.as_str()).contains(&l["ts"].as_str().unwrap()))
        .count();
    assert!(
        during >= 20,
        "only {during} lines were printed during the outage"
    );

    worker.stop().await.unwrap();
}
