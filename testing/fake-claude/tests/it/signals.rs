//! Signals while the fake hangs, and the orphan child it can leave behind.

use std::time::Duration;

use crate::harness::*;

fn hanging(dir: &std::path::Path, scenario: &str) -> Running {
    let mut cmd = fake(dir, STREAM);
    cmd.env("FAKE_CLAUDE_SCENARIO", scenario);
    Running::start(cmd, "hi")
}

#[test]
fn hang_emits_two_lines_then_waits() {
    let dir = workdir();
    let mut run = hanging(dir.path(), "hang");
    assert_eq!(kinds(&run.read_lines(2)), ["system/init", "assistant"]);
    assert!(run.still_running_after(Duration::from_millis(300)));
}

#[test]
fn sigterm_exits_143_without_result() {
    let dir = workdir();
    let mut run = hanging(dir.path(), "hang");
    run.read_lines(2);
    run.signal(libc::SIGTERM);
    assert_eq!(run.wait_code(), Some(143));
    assert!(run.rest().is_empty());
}

#[test]
fn sighup_exits_129() {
    let dir = workdir();
    let mut run = hanging(dir.path(), "hang");
    run.read_lines(2);
    run.signal(libc::SIGHUP);
    assert_eq!(run.wait_code(), Some(129));
}

#[test]
fn sigint_emits_interrupted_and_error_result_then_exits_0() {
    let dir = workdir();
    let mut run = hanging(dir.path(), "hang");
    run.read_lines(2);
    run.signal(libc::SIGINT);
    assert_eq!(run.wait_code(), Some(0));
    let rest = run.rest();
    assert_eq!(kinds(&rest), ["user", "result/error_during_execution"]);
    assert_eq!(
        rest[0]["message"]["content"][0]["text"],
        "[Request interrupted by user]"
    );
    assert_eq!(rest[1]["terminal_reason"], "aborted_streaming");
    assert_eq!(rest[1]["is_error"], true);
}

#[test]
fn sigint_can_omit_the_result() {
    let dir = workdir();
    let mut cmd = fake(dir.path(), STREAM);
    cmd.env("FAKE_CLAUDE_SCENARIO", "hang")
        .env("FAKE_CLAUDE_SIGINT_NO_RESULT", "1");
    let mut run = Running::start(cmd, "hi");
    run.read_lines(2);
    run.signal(libc::SIGINT);
    assert_eq!(run.wait_code(), Some(0));
    assert_eq!(kinds(&run.rest()), ["user"]);
}

#[test]
fn hang_after_result_keeps_running_and_sigint_adds_nothing() {
    let dir = workdir();
    let mut run = hanging(dir.path(), "hang_after_result");
    let lines = run.read_lines(7);
    assert_eq!(kind(&lines[6]), "result/success");
    assert!(run.still_running_after(Duration::from_millis(300)));
    run.signal(libc::SIGINT);
    assert_eq!(run.wait_code(), Some(0));
    assert!(run.rest().is_empty(), "no second result");
}

#[test]
fn spawn_child_leaves_a_setsid_orphan() {
    let dir = workdir();
    let pid_file = dir.path().join("child.pid");
    let mut cmd = fake(dir.path(), STREAM);
    cmd.env("FAKE_CLAUDE_SCENARIO", "hang")
        .env("FAKE_CLAUDE_SPAWN_CHILD", "1")
        .env("FAKE_CLAUDE_CHILD_PID_FILE", &pid_file);
    let mut run = Running::start(cmd, "hi");
    run.read_lines(2);
    let child: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // SAFETY: getsid only reads process attributes.
    let (child_sid, fake_sid) =
        unsafe { (libc::getsid(child), libc::getsid(run.child.id() as i32)) };
    assert_eq!(child_sid, child, "the child leads its own session");
    assert_ne!(child_sid, fake_sid);
    run.signal(libc::SIGTERM);
    assert_eq!(run.wait_code(), Some(143));
    assert!(
        std::path::Path::new(&format!("/proc/{child}")).exists(),
        "the orphan outlives the fake"
    );
    // SAFETY: killing the orphan this test created.
    unsafe { libc::kill(child, libc::SIGKILL) };
}
