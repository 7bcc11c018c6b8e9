//! `runner up`: the host and a job worker in one process, stopped with Ctrl-C.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::api::{Api, block_on};
use crate::harness::{EXIT_TIMEOUT, Host, STARTUP_TIMEOUT, run_to_exit};

/// Ctrl-C while the worker's claim waits at the server (20 s by default): the worker asks the
/// API to end that claim, then host and worker stop without waiting it out, and the log has no
/// error in it. A job queued after the stop shows which: a claim still waiting would take it.
#[test]
fn ctrl_c_stops_runner_up_at_once_and_quietly() {
    let data = tempfile::tempdir().unwrap();
    let work = data.path().join("work");
    let mut host = Host::up(
        &[
            "--claude",
            "/bin/false",
            "--workdir",
            work.to_str().unwrap(),
        ],
        data.path(),
    );
    let api = Api::new(&host);
    let brand = r#"{"brandInfo": {"companyName": "Acme"}}"#;
    assert!(block_on(api.put("brand-data", "acme.json", brand)).is_success());
    // The claim's first pass marks the runner online, after it noted where the runner's stop
    // requests stood: from here on a stop ends it.
    runner_online(&host);

    host.signal(libc::SIGINT);
    host.wait_for_stderr(
        "asked the API to answer the pending claim now",
        EXIT_TIMEOUT,
    );
    let late = json!({"title": "After the stop", "primary_keyword": "bread",
        "brand_data": "acme.json"});
    // Queued, or refused by a host already stopping: either way no claim is left to take it.
    // A fresh client: no pooled connection from another runtime to trip over.
    let queued = block_on(Api::new(&host).post_json("/api/briefs/generate", &late));
    let status = host.wait_exit(EXIT_TIMEOUT);
    let stderr = host.stderr();
    assert_eq!(status.code(), Some(0), "{stderr}");
    if let Ok((code, body)) = &queued {
        assert!(code.is_success(), "{code} {body}\n{stderr}");
    }
    assert!(
        !stderr.contains("job claimed"),
        "the claim was still waiting after the stop: it took a job queued later\n{stderr}"
    );
    assert!(
        !stderr.contains("ERROR") && !stderr.contains("WARN"),
        "shutdown logged a problem:\n{stderr}"
    );
}

/// Two `runner up` in two folders, neither given a work dir: each worker gets its own under its
/// data dir, so both start (they used to share one default, and the second worker stopped).
#[test]
fn two_runner_up_in_two_folders_each_get_their_own_work_dir() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = Host::up(&["--claude", "/bin/false"], a.path());
    first.wait_for_stderr("worker started", STARTUP_TIMEOUT);
    let second = Host::up(&["--claude", "/bin/false"], b.path());
    second.wait_for_stderr("worker started", STARTUP_TIMEOUT);
    for (host, data) in [(&first, a.path()), (&second, b.path())] {
        let workdir = data.join(runner::UP_WORKDIR);
        assert!(
            host.stderr()
                .contains(&format!("workdir={}", workdir.display())),
            "{}",
            host.stderr()
        );
        assert!(workdir.join("worker.lock").is_file());
        let health = runner_online(host);
        assert_eq!(health["status"], "healthy", "{health}");
    }
    assert!(!first.stderr().contains("ERROR") && !second.stderr().contains("ERROR"));
}

/// A worker that cannot start (its work dir is locked by another runner) stops `runner up`
/// before it serves: non-zero exit, one line on stderr saying why.
#[test]
fn runner_up_exits_with_one_line_when_its_worker_cannot_start() {
    let data = tempfile::tempdir().unwrap();
    let work = data.path().join("taken");
    std::fs::create_dir_all(&work).unwrap();
    let lock = std::fs::File::create(work.join("worker.lock")).unwrap();
    lock.try_lock()
        .expect("lock the work dir as another runner would");
    let (status, stderr) = run_to_exit(
        &[
            "up",
            "--listen",
            "127.0.0.1:0",
            "--claude",
            "/bin/false",
            "--workdir",
            work.to_str().unwrap(),
        ],
        data.path(),
    );
    assert!(!status.success(), "{status:?}\n{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with("error: the job worker cannot start")
            && lines[0].contains("used by another worker"),
        "{stderr}"
    );
}

/// `/health` once it counts this host's worker as online.
fn runner_online(host: &Host) -> serde_json::Value {
    let api = crate::api::Api::new(host);
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        let (status, body) = crate::api::block_on(api.get_path("/health"));
        assert!(status.is_success(), "{status} {body}");
        let health: serde_json::Value = serde_json::from_str(&body).unwrap();
        if health["runners_online"] == 1 {
            return health;
        }
        assert!(
            Instant::now() < deadline,
            "the worker never came online: {health}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
