//! A worker with the wrong runner token stops at once and says why.

use std::time::Duration;

use worker::WorkerError;

use crate::harness::{InProcess, Server, WorkerProcess, serial, worker_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_stops_the_worker_with_a_clear_error() {
    let _serial = serial().await;
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(tmp.path(), &[]);

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
