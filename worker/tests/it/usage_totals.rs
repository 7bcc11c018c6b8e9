//! Usage totals from real runs: the fake CLI reports different figures per worker (its
//! `FAKE_CLAUDE_*` spend knobs), and `GET /api/usage` must equal the sum over the jobs, however
//! they ended (completed, failed for a missing output, failed by an API error, cancelled while
//! queued).

use std::time::Duration;

use serde_json::Value;

use crate::harness::{Client, InProcess, Server, serial, worker_config};

const WAIT: Duration = Duration::from_secs(60);

fn spend(
    cost: &'static str,
    input: &'static str,
    cached: &'static str,
) -> Vec<(&'static str, &'static str)> {
    vec![
        ("FAKE_CLAUDE_COST_USD", cost),
        ("FAKE_CLAUDE_INPUT_TOKENS", input),
        ("FAKE_CLAUDE_OUTPUT_TOKENS", "50"),
        ("FAKE_CLAUDE_CACHE_READ_TOKENS", cached),
        ("FAKE_CLAUDE_CACHE_CREATION_TOKENS", "7"),
        ("FAKE_CLAUDE_DURATION_MS", "1500"),
    ]
}

/// Runs `titles` (brief titles, brand) on one worker with `knobs`, each to `status`.
async fn run_jobs(
    server: &Server,
    client: &Client,
    dir: &std::path::Path,
    knobs: &[(&str, &str)],
    jobs: &[(&str, &str, &str)],
) {
    let worker = InProcess::start(worker_config(server, "box-1", dir, knobs));
    for (title, brand, status) in jobs {
        let id = client.submit_brief(title, brand).await;
        client.wait_status(&id, status, WAIT).await;
    }
    worker.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_totals_equal_the_sum_of_the_runs_figures() {
    let _serial = serial().await;
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::native(&[]);
    let client = Client::new(&server);
    client.put_brand("acme.json").await;
    client.put_brand("zest.json").await;

    // Worker 1 writes alpha.md: "Alpha" completes, "Beta" fails (no beta.md), both spend A.
    let mut knobs = spend("0.25", "1000", "300");
    knobs.push(("FAKE_CLAUDE_OUTPUT_FILE", "output/alpha.md"));
    let jobs = [
        ("Alpha", "acme.json", "completed"),
        ("Beta", "zest.json", "failed"),
    ];
    run_jobs(&server, &client, &tmp.path().join("w1"), &knobs, &jobs).await;
    // Worker 2 spends B.
    let mut knobs = spend("0.125", "64", "0");
    knobs.push(("FAKE_CLAUDE_OUTPUT_FILE", "output/gamma.md"));
    let jobs = [("Gamma", "acme.json", "completed")];
    run_jobs(&server, &client, &tmp.path().join("w2"), &knobs, &jobs).await;
    // An API error: failed, nothing spent.
    let knobs = [
        ("FAKE_CLAUDE_SCENARIO", "api_error"),
        ("FAKE_CLAUDE_RETRY_DELAY_MS", "10"),
    ];
    let jobs = [("Delta", "zest.json", "failed")];
    run_jobs(&server, &client, &tmp.path().join("w3"), &knobs, &jobs).await;
    // Cancelled while queued (no worker runs now).
    let queued = client.submit_brief("Epsilon", "acme.json").await;
    client.cancel(&queued).await;
    client.wait_status(&queued, "cancelled", WAIT).await;

    let jobs = client.get("/api/jobs?limit=50").await;
    let jobs = jobs["items"].as_array().unwrap();
    assert_eq!(jobs.len(), 5);
    let sum = |field: &str| -> i64 {
        jobs.iter()
            .map(|j| j["usage"][field].as_i64().unwrap_or(0))
            .sum()
    };
    let micro: i64 = jobs
        .iter()
        .map(|j| (j["usage"]["cost_usd"].as_f64().unwrap_or(0.0) * 1e6).round() as i64)
        .sum();

    let report = client.get("/api/usage?group_by=day").await;
    let totals = &report["totals"];
    assert_eq!(totals["jobs"], 5, "{report}");
    assert_eq!(
        (
            totals["completed"].as_i64(),
            totals["failed"].as_i64(),
            totals["cancelled"].as_i64()
        ),
        (Some(2), Some(2), Some(1))
    );
    // The knobs' arithmetic, and the jobs' own figures.
    assert_eq!(totals["cost_micro_usd"].as_i64(), Some(625_000));
    assert_eq!(totals["cost_micro_usd"].as_i64(), Some(micro));
    assert_eq!(totals["input_tokens"].as_i64(), Some(2064));
    assert_eq!(totals["cache_read_input_tokens"].as_i64(), Some(600));
    for field in [
        "input_tokens",
        "output_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
        "duration_ms",
    ] {
        assert_eq!(totals[field].as_i64(), Some(sum(field)), "{field}");
    }

    let by_brand = client.get("/api/usage?group_by=brand").await;
    let row = |report: &Value, key: &str| -> Value {
        report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == key)
            .cloned()
            .unwrap_or_else(|| panic!("no {key} in {report}"))
    };
    assert_eq!(row(&by_brand, "acme.json")["cost_micro_usd"], 375_000);
    assert_eq!(row(&by_brand, "acme.json")["jobs"], 3);
    assert_eq!(row(&by_brand, "zest.json")["failed"], 2);
    let by_user = client.get("/api/usage?group_by=user").await;
    assert_eq!(by_user["totals"], report["totals"]);
    let by_type = client.get("/api/usage?group_by=type").await;
    assert_eq!(row(&by_type, "brief")["jobs"], 5);
}
