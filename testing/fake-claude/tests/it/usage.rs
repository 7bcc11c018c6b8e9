//! Usage errors: exact stderr text, exit code, nothing on stdout.

use std::time::{Duration, Instant};

use crate::harness::*;

/// Runs with the prompt on stdin and checks a usage error.
fn assert_usage_error(args: &[&str], stdin: Option<&str>, code: i32, message: &str) {
    let dir = workdir();
    let out = run(fake(dir.path(), args), stdin);
    assert_eq!(
        out.status.code(),
        Some(code),
        "args {args:?}, stderr {}",
        stderr(&out)
    );
    assert_eq!(stderr(&out), format!("{message}\n"), "args {args:?}");
    assert_eq!(stdout(&out), "", "args {args:?}");
}

#[test]
fn version() {
    let dir = workdir();
    let out = run(fake(dir.path(), &["--version"]), None);
    assert_eq!(stdout(&out), "2.1.332 (Claude Code)\n");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn unknown_option() {
    assert_usage_error(
        &["-p", "--frobnicate"],
        Some("hi"),
        1,
        "error: unknown option '--frobnicate'",
    );
    // A prompt starting with a dash is an option (G7).
    assert_usage_error(
        &["-p", "-x make a list"],
        Some(""),
        1,
        "error: unknown option '-x make a list'",
    );
}

#[test]
fn bad_output_format() {
    assert_usage_error(
        &["-p", "--output-format=xml"],
        Some("hi"),
        1,
        "error: option '--output-format <format>' argument 'xml' is invalid. Allowed choices are text, json, stream-json.",
    );
}

#[test]
fn bad_format_is_checked_before_print() {
    assert_usage_error(
        &["--output-format", "yaml"],
        Some("hi"),
        1,
        "error: option '--output-format <format>' argument 'yaml' is invalid. Allowed choices are text, json, stream-json.",
    );
}

#[test]
fn missing_print_is_refused() {
    assert_usage_error(
        &["--output-format", "stream-json"],
        Some("hi"),
        64,
        "fake-claude: interactive mode is not supported",
    );
}

#[test]
fn stream_json_requires_verbose() {
    assert_usage_error(
        &["-p", "--output-format", "stream-json"],
        Some("hi"),
        1,
        "Error: When using --print, --output-format=stream-json requires --verbose",
    );
}

/// Bypassing permissions is refused to root outside a sandbox (the real CLI's guard) and
/// allowed to anyone else. The test checks whichever side the user running it is on.
#[test]
fn bypass_is_refused_to_root_without_a_sandbox() {
    let bypass: [&[&str]; 2] = [
        &["-p", "--dangerously-skip-permissions"],
        &["-p", "--permission-mode", "bypassPermissions"],
    ];
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let msg = "--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons";
        for args in bypass {
            assert_usage_error(args, Some("hi"), 1, msg);
        }
    } else {
        for args in bypass {
            let dir = workdir();
            let out = run(fake(dir.path(), args), Some("hi"));
            assert_eq!(
                out.status.code(),
                Some(0),
                "args {args:?}: {}",
                stderr(&out)
            );
            assert_eq!(stderr(&out), "", "args {args:?}");
            assert_eq!(stdout(&out), "Created output.md.\n", "args {args:?}");
            assert!(dir.path().join("output.md").is_file(), "args {args:?}");
        }
        let dir = workdir();
        let out = run(
            fake(
                dir.path(),
                &stream_args(&["--dangerously-skip-permissions"]),
            ),
            Some("hi"),
        );
        let lines = json_lines(&out);
        assert_eq!(lines[0]["permissionMode"], "bypassPermissions");
        assert_eq!(
            result_of(&lines)["permission_denials"],
            serde_json::json!([])
        );
    }
    // In a sandbox the guard does not apply, root or not.
    let dir = workdir();
    let mut cmd = fake(dir.path(), &["-p", "--dangerously-skip-permissions"]);
    cmd.env("IS_SANDBOX", "1");
    assert_eq!(run(cmd, Some("hi")).status.code(), Some(0));
}

#[test]
fn invalid_session_id() {
    assert_usage_error(
        &["-p", "--session-id", "nope"],
        Some("hi"),
        1,
        "Error: Invalid session ID. Must be a valid UUID.",
    );
}

#[test]
fn no_prompt_at_all() {
    assert_usage_error(
        &["-p"],
        None,
        1,
        "Error: Input must be provided either through stdin or as a prompt argument when using --print",
    );
}

#[test]
fn variadic_option_swallows_the_prompt() {
    assert_usage_error(
        &["-p", "--allowedTools", "Write", "write a file"],
        None,
        1,
        "Error: Input must be provided either through stdin or as a prompt argument when using --print",
    );
}

#[test]
fn missing_option_value() {
    assert_usage_error(
        &["-p", "--model"],
        Some("hi"),
        1,
        "error: option '--model <model>' argument missing",
    );
}

#[test]
fn partial_messages_need_stream_json() {
    assert_usage_error(
        &["-p", "--include-partial-messages"],
        Some("hi"),
        1,
        "Error: --include-partial-messages requires --print and --output-format=stream-json.",
    );
}

#[test]
fn open_stdin_with_a_prompt_argument_warns_and_continues() {
    let dir = workdir();
    let mut cmd = fake(dir.path(), &["-p", "hello"]);
    cmd.env("FAKE_CLAUDE_STDIN_WAIT_MS", "300");
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let _keep_open = child.stdin.take();
    let out = wait_output(child);
    // It waited for stdin before giving up on it (a busy machine only makes this longer).
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stderr(&out),
        "Warning: no stdin data received in 3s, proceeding without it. If piping from a slow command, redirect stdin explicitly: < /dev/null to skip, or wait longer.\n"
    );
    assert_eq!(stdout(&out), "Created output.md.\n");
}

#[test]
fn default_stdin_wait_is_three_seconds() {
    let dir = workdir();
    let mut cmd = fake(dir.path(), &["-p", "hello"]);
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let _keep_open = child.stdin.take();
    let out = wait_output(child);
    // It waited the real CLI's 3 s (no upper bound: a busy machine only makes this longer).
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(2900), "{waited:?}");
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).starts_with("Warning: no stdin data received in 3s"));
}
