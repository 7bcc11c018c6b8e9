//! Stopping: cancel, watchdogs, hangs after the result, signals from outside, and the sweep of
//! processes the CLI left behind. Every check polls `/proc` with a deadline. Which watchdog
//! stopped a run shows in its outcome and log, not in how long it took.

use std::time::Duration;

use claude_exec::{ExecConfig, ExecOutcome};
use tokio_util::sync::CancellationToken;

use crate::harness::*;

/// Knobs for a hanging fake that leaves a `setsid` orphan and logs its pids.
fn hang_knobs(t: &TestJob, scenario: &'static str) -> Vec<(String, String)> {
    vec![
        ("FAKE_CLAUDE_SCENARIO".into(), scenario.into()),
        ("FAKE_CLAUDE_SPAWN_CHILD".into(), "1".into()),
        (
            "FAKE_CLAUDE_CHILD_PID_FILE".into(),
            t.path("child.pid").display().to_string(),
        ),
        (
            "FAKE_CLAUDE_ARGV_LOG".into(),
            t.path("argv.jsonl").display().to_string(),
        ),
    ]
}

/// How long anything that should happen promptly may take before the test fails: a guard
/// against hanging, not a measured property (the machine may be busy).
const GUARD: Duration = Duration::from_secs(30);

fn with_env(mut config: ExecConfig, env: Vec<(String, String)>) -> ExecConfig {
    config.env.extend(env);
    config
}

/// (fake pid, orphan pid) once the fake has started its child.
async fn pids(t: &TestJob) -> (i32, i32) {
    let log = t.path("argv.jsonl");
    assert!(
        wait_for(GUARD, || !argv_records(&log).is_empty()).await,
        "fake started"
    );
    let record = &argv_records(&log)[0];
    (
        record["pid"].as_i64().unwrap() as i32,
        record["child_pid"].as_i64().unwrap() as i32,
    )
}

async fn assert_gone(pids: &[i32]) {
    let left = || {
        pids.iter()
            .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/stat")).ok())
            .collect::<Vec<_>>()
    };
    assert!(
        wait_for(GUARD, || pids.iter().all(|p| gone(*p))).await,
        "still in /proc: {:?} (test pid {})",
        left(),
        std::process::id()
    );
}

#[tokio::test]
async fn cancel_kills_the_group_and_the_setsid_orphan() {
    subreaper();
    let t = TestJob::new("hi", &["output.md"]);
    let config = with_env(config(&[]), hang_knobs(&t, "hang"));
    let cancel = CancellationToken::new();
    let job = t.job.clone();
    let token = cancel.clone();
    let handle = tokio::spawn(async move { run_with_cancel(&config, &job, token).await });
    let (fake, orphan) = pids(&t).await;
    assert!(!gone(fake) && !gone(orphan));
    cancel.cancel();
    let ran = tokio::time::timeout(GUARD, handle)
        .await
        .expect("run ends once cancelled")
        .unwrap();
    assert!(
        matches!(ran.outcome, ExecOutcome::Cancelled { usage: None }),
        "{:?}",
        ran.outcome
    );
    assert_gone(&[fake, orphan]).await;
    assert!(
        ran.logs()
            .iter()
            .any(|l| l.text.starts_with("killed 1 leftover process")),
        "the sweep is logged"
    );
}

#[tokio::test]
async fn idle_watchdog_stops_a_silent_cli() {
    subreaper();
    let t = TestJob::new("hi", &["output.md"]);
    let config = ExecConfig {
        idle_timeout: Duration::from_millis(700),
        ..with_env(config(&[]), hang_knobs(&t, "hang"))
    };
    let ran = run(&config, &t.job).await;
    assert_eq!(ran.failure(), "no output for 700 ms (idle watchdog)");
    let (fake, orphan) = pids(&t).await;
    assert_gone(&[fake, orphan]).await;
}

#[tokio::test]
async fn overall_timeout_stops_a_chatty_cli() {
    let t = TestJob::new("hi", &[]);
    let config = ExecConfig {
        timeout: Duration::from_millis(1500),
        idle_timeout: Duration::from_secs(5),
        ..config(&[
            ("FAKE_CLAUDE_DELAY_MS", "200"),
            ("FAKE_CLAUDE_LINES", "100"),
        ])
    };
    let ran = run(&config, &t.job).await;
    assert_eq!(ran.failure(), "timed out after 1.5 s");
    assert!(
        ran.logs()
            .iter()
            .any(|l| l.text.starts_with("Progress line 3 of 100")),
        "lines before the timeout were logged"
    );
}

#[tokio::test]
async fn hang_after_result_counts_as_done() {
    subreaper();
    let t = TestJob::new("hi", &["output.md"]);
    let config = ExecConfig {
        result_exit_grace: Duration::from_millis(500),
        ..with_env(config(&[]), hang_knobs(&t, "hang_after_result"))
    };
    let ran = run(&config, &t.job).await;
    assert!(
        matches!(ran.outcome, ExecOutcome::Succeeded { .. }),
        "{:?}",
        ran.outcome
    );
    assert!(
        ran.logs()
            .iter()
            .any(|l| l.text == "claude did not exit within 500 ms of its result; stopping it")
    );
    let (fake, orphan) = pids(&t).await;
    assert_gone(&[fake, orphan]).await;
}

#[tokio::test]
async fn leftover_processes_are_killed_after_a_normal_exit() {
    subreaper();
    let t = TestJob::new("hi", &["output.md"]);
    let config = with_env(config(&[]), hang_knobs(&t, "success"));
    let ran = run(&config, &t.job).await;
    assert!(
        matches!(ran.outcome, ExecOutcome::Succeeded { .. }),
        "{:?}",
        ran.outcome
    );
    let (fake, orphan) = pids(&t).await;
    assert_gone(&[fake, orphan]).await;
}

/// Starts a hanging run, sends `signal` to the fake from outside, returns the run.
async fn signalled_from_outside(signal: i32) -> Ran {
    let t = TestJob::new("hi", &["output.md"]);
    let config = with_env(config(&[]), hang_knobs(&t, "hang"));
    let job = t.job.clone();
    let handle = tokio::spawn(async move { run(&config, &job).await });
    let (fake, _) = pids(&t).await;
    // SAFETY: signalling the fake this test started.
    unsafe { libc::kill(fake, signal) };
    tokio::time::timeout(GUARD, handle)
        .await
        .expect("run ends")
        .unwrap()
}

#[tokio::test]
async fn sigterm_from_outside_is_a_failure_without_result() {
    subreaper();
    let ran = signalled_from_outside(libc::SIGTERM).await;
    assert_eq!(
        ran.failure(),
        "claude exited with code 143 without a result"
    );
}

#[tokio::test]
async fn sigint_from_outside_reads_as_interrupted() {
    subreaper();
    let ran = signalled_from_outside(libc::SIGINT).await;
    assert_eq!(
        ran.failure(),
        "claude stopped during execution (aborted_streaming)"
    );
    assert!(
        ran.logs()
            .iter()
            .any(|l| l.text == "[Request interrupted by user]")
    );
}

#[tokio::test]
async fn announced_retry_back_off_does_not_trip_the_idle_watchdog() {
    let t = TestJob::new("hi", &[]);
    // Each retry line is followed by 900 ms of silence, longer than the 600 ms idle limit.
    let config = ExecConfig {
        idle_timeout: Duration::from_millis(600),
        ..config(&[
            ("FAKE_CLAUDE_SCENARIO", "api_error"),
            ("FAKE_CLAUDE_RETRY_DELAY_MS", "900"),
        ])
    };
    let ran = run(&config, &t.job).await;
    assert_eq!(
        ran.failure(),
        "Claude API error 529 (overloaded) after 2 retries"
    );
}
