//! Signals to a worker process: the first drains (no new jobs, the running one finishes with
//! heartbeats going on), the second cancels the running job and gives it back to the queue.
//! Each test waits for what it means (a log line, a job's state); deadlines only guard against
//! hanging.

use std::time::Duration;

use crate::harness::{
    Client, Server, WorkerProcess, alive, argv_records, poll_until, serial, wait_for,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_claiming_and_lets_the_running_job_finish() {
    let _serial = serial().await;
    let tmp = tempfile::tempdir().unwrap();
    // A 3 s lease: the job outlives it after the signal only if heartbeats go on.
    let server = Server::native(&[("LEASE_SECONDS", "3")]);
    let client = Client::new(&server);
    client.put_brand("acme.json").await;
    let knobs = [
        ("FAKE_CLAUDE_OUTPUT_FILE", "output/drain.md"),
        ("FAKE_CLAUDE_LINES", "20"),
        ("FAKE_CLAUDE_DELAY_MS", "400"),
    ];
    let mut worker = WorkerProcess::start(&server, "box-1", &tmp.path().join("w"), 1, &knobs);
    let first = client.submit_brief("Drain", "acme.json").await;
    client
        .wait_log(&first, "Progress line 2 of 20.", Duration::from_secs(60))
        .await;

    worker.sigterm();
    let second = client.submit_brief("Second", "acme.json").await;
    let status = worker
        .wait_exit(Duration::from_secs(60))
        .expect("worker exits after its job");
    assert_eq!(status.code(), Some(0), "{}", worker.stderr());

    // Completed by its first attempt, every line there: the job ran to its end before the
    // worker exited, and its lease (3 s, shorter than the ~7 s of lines left at the signal)
    // was kept alive by heartbeats, or the server would have taken the attempt back.
    let job = client.job(&first).await;
    assert_eq!(
        (job["status"].as_str(), job["attempt"].as_u64()),
        (Some("completed"), Some(1)),
        "{job}"
    );
    assert!(
        client
            .log_texts(&first)
            .await
            .iter()
            .any(|t| t == "Progress line 20 of 20."),
        "{:?}",
        client.log_texts(&first).await
    );
    let waiting = client.job(&second).await;
    assert_eq!(
        (waiting["status"].as_str(), waiting["runner"].as_str()),
        (Some("queued"), None),
        "{waiting}"
    );
    assert!(worker.stderr().contains("draining"), "{}", worker.stderr());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_cancels_the_running_job_and_gives_it_back() {
    let _serial = serial().await;
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::native(&[]);
    let client = Client::new(&server);
    client.put_brand("acme.json").await;
    let argv = tmp.path().join("argv.jsonl");
    let knobs = [
        ("FAKE_CLAUDE_SCENARIO", "hang"),
        ("FAKE_CLAUDE_ARGV_LOG", argv.to_str().unwrap()),
    ];
    let mut worker = WorkerProcess::start(&server, "box-1", &tmp.path().join("w"), 1, &knobs);
    let id = client.submit_brief("Forever", "acme.json").await;
    client
        .wait_log(&id, "I'll write", Duration::from_secs(60))
        .await;
    let cli = argv_records(&argv)[0]["pid"].as_u64().unwrap() as u32;

    worker.sigterm();
    let draining = poll_until(Duration::from_secs(30), || {
        worker.stderr().contains("draining").then_some(())
    });
    assert!(draining.is_some(), "{}", worker.stderr());
    assert!(
        worker.try_exit().is_none() && alive(cli),
        "the first signal must not stop the job"
    );
    assert_eq!(client.job(&id).await["status"], "running");

    worker.sigterm();
    let status = worker
        .wait_exit(Duration::from_secs(60))
        .expect("worker exits after the second signal");
    assert_eq!(status.code(), Some(0), "{}", worker.stderr());
    assert!(!alive(cli), "the CLI outlived its worker");
    let job = client.job(&id).await;
    assert_eq!(
        (job["status"].as_str(), job["attempt"].as_u64()),
        (Some("queued"), Some(2)),
        "{job}"
    );
    assert!(
        client
            .log_texts(&id)
            .await
            .iter()
            .any(|t| t.contains("shut down"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_worker_drains_without_waiting_out_its_claim() {
    let _serial = serial().await;
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::native(&[]);
    let client = Client::new(&server);
    client.put_brand("acme.json").await;
    // A claim that would wait 20 s: the drain must cut it short through the API.
    let knobs = [("CWM_CLAIM_WAIT", "20s")];
    let mut worker = WorkerProcess::start(&server, "box-1", &tmp.path().join("w"), 3, &knobs);
    // The claim's first pass marks the runner online, after it noted where the runner's stop
    // requests stood: from here on a stop ends it.
    let online = wait_for(Duration::from_secs(60), || async {
        let health = client.get("/health").await;
        (health["runners_online"].as_u64() == Some(1)).then_some(())
    })
    .await;
    assert!(online.is_some(), "{}", worker.stderr());

    worker.sigterm();
    let asked = poll_until(Duration::from_secs(30), || {
        worker
            .stderr()
            .contains("asked the API to answer the pending claim now")
            .then_some(())
    });
    assert!(asked.is_some(), "{}", worker.stderr());
    // A job queued now would be handed out by a claim still waiting at the server: it stays
    // queued only if the stop ended the claim.
    let late = client.submit_brief("After the stop", "acme.json").await;
    let status = worker
        .wait_exit(Duration::from_secs(60))
        .unwrap_or_else(|| panic!("still waiting for its claim: {}", worker.stderr()));
    assert_eq!(status.code(), Some(0), "{}", worker.stderr());
    let job = client.job(&late).await;
    assert_eq!(
        (job["status"].as_str(), job["runner"].as_str()),
        (Some("queued"), None),
        "the claim took a job after the stop: {job}\n{}",
        worker.stderr()
    );
}
