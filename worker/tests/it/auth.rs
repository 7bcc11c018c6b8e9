//! A worker with the wrong runner token stops at once and says why.

use std::time::Duration;

use worker::WorkerError;

use crate::harness::{Client, InProcess, Server, WorkerProcess, serial, worker_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_stops_the_worker_with_a_clear_error() {
    let _serial = serial().await;
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::native(&[]);

    let mut config = worker_config(&server, "box-1", &tmp.path().join("w1"), &[]);
    config.token = "not-the-token".into();
    let worker = InProcess::start(config);
    let error = worker.join().await.unwrap_err();
    assert!(
        matches!(error, WorkerError::Unauthorized { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("refused the runner token") && message.contains("CWM_RUNNER_TOKEN"),
        "{message}"
    );

    // The same as a process: exit status 1 and the message on stderr.
    let mut process =
        WorkerProcess::with_token(&server, "nope", "box-2", &tmp.path().join("w2"), 1, &[]);
    let status = process
        .wait_exit(Duration::from_secs(30))
        .expect("worker exits");
    assert_eq!(status.code(), Some(1), "{}", process.stderr());
    assert!(
        process.stderr().contains("refused the runner token"),
        "{}",
        process.stderr()
    );
}

/// A runner token an admin made for `box-1` runs jobs as `box-1`, and only as `box-1`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_per_runner_token_runs_jobs_under_its_own_name_only() {
    let _serial = serial().await;
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::native(&[]);
    let client = Client::new(&server);
    let made = client
        .post(
            "/api/runners/tokens",
            &serde_json::json!({"runner": "box-1"}),
        )
        .await;
    let token = made["token"].as_str().unwrap().to_owned();
    client.put_brand("acme.json").await;
    let knobs = [
        ("FAKE_CLAUDE_OUTPUT_FILE", "output/bound.md"),
        ("FAKE_CLAUDE_OUTPUT_CONTENT", "# Bound\n\nText.\n"),
    ];

    // Under another name the API refuses the claim, and the worker stops saying why.
    let mut config = worker_config(&server, "box-2", &tmp.path().join("w2"), &knobs);
    config.token = token.clone();
    let error = InProcess::start(config).join().await.unwrap_err();
    assert!(
        matches!(&error, WorkerError::Unauthorized { message, .. } if message.contains("belongs to the runner box-1")),
        "{error:?}"
    );

    let mut config = worker_config(&server, "box-1", &tmp.path().join("w1"), &knobs);
    config.token = token;
    let worker = InProcess::start(config);
    let id = client.submit_brief("Bound", "acme.json").await;
    let job = client
        .wait_status(&id, "completed", Duration::from_secs(60))
        .await;
    assert_eq!(job["runner"], "box-1");
    worker.stop().await.unwrap();
}
