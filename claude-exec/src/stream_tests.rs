//! stream-json → log lines, on real 2.1.332 transcripts (`tests/fixtures/`).

use super::*;

/// Feeds a fixture through a transcript rooted at `/srv/job` (the samples' cwd).
pub(crate) fn replay(jsonl: &str) -> (Transcript, Vec<LogLine>) {
    let mut t = Transcript::new(PathBuf::from("/srv/job"));
    let logs = jsonl
        .lines()
        .flat_map(|l| t.stdout_line(l.as_bytes()))
        .collect();
    (t, logs)
}

pub(crate) const WRITE_SUCCESS: &str = include_str!("../tests/fixtures/write-success.stream.jsonl");
pub(crate) const DEFAULT_PERM: &str = include_str!("../tests/fixtures/default-perm.stream.jsonl");
pub(crate) const ERR529: &str = include_str!("../tests/fixtures/err529.stream.jsonl");
pub(crate) const ERR401: &str = include_str!("../tests/fixtures/err401.stream.jsonl");
pub(crate) const SUBLIMIT: &str = include_str!("../tests/fixtures/sublimit.stream.jsonl");
pub(crate) const MAXTURNS: &str = include_str!("../tests/fixtures/maxturns.stream.jsonl");
pub(crate) const SIGINT: &str = include_str!("../tests/fixtures/sigint.stream.jsonl");
const PARTIAL: &str = include_str!("../tests/fixtures/partial.stream.jsonl");
const THINKING: &str = include_str!("../tests/fixtures/thinking.stream.jsonl");

fn pairs(logs: &[LogLine]) -> Vec<(LogKind, &str)> {
    logs.iter().map(|l| (l.kind, l.text.as_str())).collect()
}

#[test]
fn successful_write() {
    let (t, logs) = replay(WRITE_SUCCESS);
    assert!(logs.iter().all(|l| l.stream == LogStream::Stdout));
    assert_eq!(
        pairs(&logs),
        [
            (
                LogKind::Info,
                "claude 2.1.332 started: model claude-sonnet-4-5, permission mode bypassPermissions, cwd /srv/job"
            ),
            (LogKind::Text, "I'll write the file now."),
            (LogKind::ToolCall, "Write out.md"),
            (LogKind::ToolOk, "✓ Write out.md"),
            (LogKind::Text, "Created out.md with a heading and one line."),
            (
                LogKind::Result,
                "finished: success · 2 turns · $0.0085 · 2400 in / 84 out tokens · 553 ms"
            ),
        ]
    );
    assert_eq!(t.result.as_ref().unwrap()["subtype"], "success");
    assert!(t.denials.is_empty() && t.api_error.is_none());
}

#[test]
fn partial_messages_give_the_same_log_as_without() {
    let (_, with) = replay(PARTIAL);
    let (_, without) = replay(WRITE_SUCCESS);
    let texts = |logs: &[LogLine]| {
        logs.iter()
            .skip(1)
            .map(|l| l.text.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(texts(&with)[..4], texts(&without)[..4]);
}

#[test]
fn denied_write() {
    let (t, logs) = replay(DEFAULT_PERM);
    let denial = "Write out.md: Claude requested permissions to write to /srv/job/out.md, but you haven't granted it yet.";
    assert!(pairs(&logs).contains(&(LogKind::Denied, &format!("permission denied: {denial}"))));
    assert!(pairs(&logs).contains(&(LogKind::ToolError,
        "✗ Write out.md: Claude requested permissions to write to /srv/job/out.md, but you haven't granted it yet.")));
    // The result lists the same denial: it is not logged or counted twice.
    assert_eq!(t.denials, [denial]);
    assert_eq!(logs.iter().filter(|l| l.kind == LogKind::Denied).count(), 1);
}

#[test]
fn denials_only_in_the_result_are_logged_and_counted() {
    let mut t = Transcript::new(PathBuf::from("/srv/job"));
    let result = serde_json::json!({
        "type": "result", "subtype": "success", "is_error": false, "num_turns": 2,
        "permission_denials": [
            {"tool_name": "Read", "tool_use_id": "toolu_1", "tool_input": {"file_path": "/etc/shadow"}},
            {"tool_name": "Write", "tool_use_id": "toolu_2", "tool_input": {"file_path": "/root/.bashrc", "content": "x"}}
        ]
    });
    let logs = t.stdout_line(result.to_string().as_bytes());
    let denied: Vec<&str> = logs
        .iter()
        .filter(|l| l.kind == LogKind::Denied)
        .map(|l| l.text.as_str())
        .collect();
    assert_eq!(denied.len(), 2, "{logs:?}");
    assert!(
        denied[0].contains("Read") && denied[0].contains("/etc/shadow"),
        "{denied:?}"
    );
    assert!(
        denied[1].contains("Write") && denied[1].contains("/root/.bashrc"),
        "{denied:?}"
    );
    assert_eq!(logs.last().unwrap().kind, LogKind::Result);
    assert_eq!(t.denials.len(), 2);
}

#[test]
fn api_error_with_retries() {
    let (t, logs) = replay(ERR529);
    assert_eq!(
        pairs(&logs)[1..3],
        [
            (LogKind::Retry, "API retry 1/2 in 0.6 s: overloaded (529)"),
            (LogKind::Retry, "API retry 2/2 in 1.1 s: overloaded (529)"),
        ]
    );
    assert_eq!(logs[3].kind, LogKind::Error);
    assert!(logs[3].text.starts_with("API Error: 529 Overloaded."));
    assert_eq!(
        logs[4].text,
        "finished: error (api_error, success) · 1 turn · $0.0000 · 0 in / 0 out tokens · 1.9 s"
    );
    assert_eq!(t.retries, 2);
    assert_eq!(t.api_error.as_ref().unwrap().error, "server_error");
}

#[test]
fn usage_limit_rejection() {
    let (t, logs) = replay(SUBLIMIT);
    assert_eq!(
        pairs(&logs)[1],
        (
            LogKind::Error,
            "rate limit reached (five_hour), resets at 2026-11-29 05:50 UTC"
        )
    );
    assert_eq!(
        t.rate_limit.as_ref().unwrap().resets_at,
        Some(1_795_931_458)
    );
}

#[test]
fn bash_tool_calls_and_results() {
    let (_, logs) = replay(MAXTURNS);
    assert_eq!(
        pairs(&logs)[1..3],
        [
            (LogKind::ToolCall, "Bash: echo hi"),
            (LogKind::ToolOk, "✓ Bash: echo hi")
        ]
    );
}

#[test]
fn interrupted_run() {
    let (t, logs) = replay(SIGINT);
    assert!(pairs(&logs).contains(&(LogKind::Info, "[Request interrupted by user]")));
    assert_eq!(
        t.result.as_ref().unwrap()["subtype"],
        "error_during_execution"
    );
}

#[test]
fn thinking_is_shown_briefly() {
    let (_, logs) = replay(THINKING);
    assert!(pairs(&logs).contains(&(LogKind::Info, "thinking: Let me think about this.")));
}

#[test]
fn unknown_and_non_json_lines() {
    let mut t = Transcript::new(PathBuf::from("/w"));
    assert!(
        t.stdout_line(br#"{"type":"brand_new_kind","x":1}"#)
            .is_empty()
    );
    assert!(
        t.stdout_line(br#"{"type":"system","subtype":"status","status":"requesting"}"#)
            .is_empty()
    );
    assert_eq!(
        t.stdout_line(b"[SandboxDebug] hello"),
        [LogLine::new(
            LogStream::Stdout,
            LogKind::Info,
            "[SandboxDebug] hello"
        )]
    );
    assert!(
        t.stdout_line(b"[1,2]").len() == 1,
        "JSON that is not an object is shown as text"
    );
}

#[test]
fn long_text_is_clipped_but_facts_are_kept() {
    let mut t = Transcript::new(PathBuf::from("/w"));
    let text = "x".repeat(20_000);
    let line = serde_json::json!({"type": "assistant", "message": {"content": [{"type": "text", "text": text}]}});
    let logs = t.stdout_line(line.to_string().as_bytes());
    assert!(logs[0].text.len() < 8 * 1024 + 100);
    assert!(logs[0].text.ends_with("[truncated, 20000 bytes in total]"));
}

#[test]
fn stderr_lines() {
    let mut t = Transcript::new(PathBuf::from("/w"));
    assert_eq!(t.stderr_line(b"Error: boom").kind, LogKind::Error);
    let warn = t.stderr_line("⚠ Claude Sonnet 4.5 will be retired".as_bytes());
    assert_eq!(
        (warn.stream, warn.kind),
        (LogStream::Stderr, LogKind::Stderr)
    );
    assert_eq!(
        t.stderr_tail.back().unwrap(),
        "⚠ Claude Sonnet 4.5 will be retired"
    );
}
