//! `runner up`: the host and a job worker in one process, stopped with Ctrl-C.

use std::time::{Duration, Instant};

use crate::harness::{EXIT_TIMEOUT, Host, STARTUP_TIMEOUT};

/// Ctrl-C while the worker's claim waits at the server (20 s by default): the worker asks the
/// API to end that claim, then host and worker stop well before the claim would have, and the
/// log has no error in it.
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
    host.wait_for_stderr("worker started", STARTUP_TIMEOUT);
    // Past the worker's first claim pass, so its claim is waiting at the server.
    std::thread::sleep(Duration::from_millis(1000));

    host.signal(libc::SIGINT);
    let signalled = Instant::now();
    let status = host.wait_exit(EXIT_TIMEOUT);
    let took = signalled.elapsed();
    let stderr = host.stderr();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("asked the API to answer the pending claim now"),
        "{stderr}"
    );
    assert!(
        took < Duration::from_secs(10),
        "took {took:?}: the claim was waited out\n{stderr}"
    );
    assert!(
        !stderr.contains("ERROR") && !stderr.contains("WARN"),
        "shutdown logged a problem:\n{stderr}"
    );
}
