//! Each fake scenario → the outcome and the log a person would read.

use claude_exec::{ExecOutcome, LogKind, LogStream, Usage};

use crate::harness::*;

#[tokio::test]
async fn success_keeps_usage_files_and_log_order() {
    let t = TestJob::new("Write the brief", &["brief.md"]);
    let ran = run(&config(&[("FAKE_CLAUDE_OUTPUT_FILE", "brief.md")]), &t.job).await;
    let ExecOutcome::Succeeded {
        usage,
        outputs,
        result_text,
    } = &ran.outcome
    else {
        panic!("{:?}", ran.outcome)
    };
    assert_eq!(
        usage,
        &Usage {
            cost_usd: 0.00846,
            input_tokens: 2400,
            output_tokens: 84,
            cache_read_input_tokens: 0,
            cache_creation_input_tokens: 0,
            web_search_requests: 0,
            web_fetch_requests: 0,
            duration_ms: 1234,
            duration_api_ms: 1000,
            num_turns: 2,
            permission_denials: 0
        }
    );
    assert_eq!(outputs, &["brief.md"]);
    assert_eq!(result_text, "Created brief.md.");
    let workdir = t.job.workdir.display().to_string();
    assert_eq!(ran.stdout_logs(), [
        (LogKind::Info, format!("claude 2.1.332 started: model claude-sonnet-4-5, permission mode acceptEdits, cwd {workdir}").as_str()),
        (LogKind::Text, "I'll write brief.md now."),
        (LogKind::ToolCall, "Write brief.md"),
        (LogKind::ToolOk, "✓ Write brief.md"),
        (LogKind::Text, "Created brief.md."),
        (LogKind::Result, "finished: success · 2 turns · $0.0085 · 2400 in / 84 out tokens · 1.2 s"),
    ]);
    let logs = ran.logs();
    assert_eq!(logs[0].stream, LogStream::System);
    assert!(logs[0].text.starts_with("started "));
    assert_eq!(
        logs.last().unwrap().text,
        "job succeeded; outputs: brief.md"
    );
    assert_eq!(ran.output_files(), ["brief.md"]);
}

#[tokio::test]
async fn api_error() {
    let t = TestJob::new("hi", &["output.md"]);
    let ran = run(&config(&[("FAKE_CLAUDE_SCENARIO", "api_error")]), &t.job).await;
    assert_eq!(
        ran.failure(),
        "Claude API error 529 (overloaded) after 2 retries"
    );
    assert!(
        ran.stdout_logs()
            .contains(&(LogKind::Retry, "API retry 1/2 in 0.6 s: overloaded (529)"))
    );
    assert_eq!(ran.outcome.usage().unwrap().cost_usd, 0.0);
}

#[tokio::test]
async fn auth_error() {
    let t = TestJob::new("hi", &[]);
    let ran = run(&config(&[("FAKE_CLAUDE_SCENARIO", "auth_error")]), &t.job).await;
    assert_eq!(
        ran.failure(),
        "Claude CLI is not logged in (authentication_failed): Not logged in · Please run /login"
    );
}

#[tokio::test]
async fn usage_limit_is_an_outcome_of_its_own_with_the_reset_time() {
    let t = TestJob::new("hi", &[]);
    let resets_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3_600;
    let knobs = [
        ("FAKE_CLAUDE_SCENARIO", "usage_limit"),
        ("FAKE_CLAUDE_RESETS_AT", &resets_at.to_string()),
    ];
    let ran = run(&config(&knobs), &t.job).await;
    let ExecOutcome::UsageLimited {
        message,
        resets_at_ms,
        usage,
    } = &ran.outcome
    else {
        panic!("{:?}", ran.outcome)
    };
    assert_eq!(*resets_at_ms, resets_at as i64 * 1000);
    assert!(
        message.starts_with("usage limit reached, resets at 20") && message.ends_with(" UTC"),
        "{message}"
    );
    assert_eq!(usage.as_ref().unwrap().cost_usd, 0.0);
    assert!(ran.stdout_logs().iter().any(
        |(k, text)| *k == LogKind::Error && text.starts_with("rate limit reached (five_hour)")
    ));
    assert_eq!(
        ran.logs().last().unwrap().text,
        format!("job stopped: {message}")
    );
}

#[tokio::test]
async fn max_turns() {
    let t = TestJob::new("hi", &["output.md"]);
    let ran = run(&config(&[("FAKE_CLAUDE_SCENARIO", "max_turns")]), &t.job).await;
    assert_eq!(ran.failure(), "stopped after max turns (1)");
}

#[tokio::test]
async fn crash_without_result_mentions_stderr() {
    let t = TestJob::new("hi", &["output.md"]);
    let ran = run(&config(&[("FAKE_CLAUDE_SCENARIO", "crash")]), &t.job).await;
    assert_eq!(
        ran.failure(),
        "claude exited with code 3 without a result: Error: fake-claude crashed (FAKE_CLAUDE_SCENARIO=crash)"
    );
    assert!(ran.logs().iter().any(|l| l.stream == LogStream::Stderr
        && l.kind == LogKind::Error
        && l.text.contains("crashed")));
}

#[tokio::test]
async fn denied_write_fails_with_the_reason() {
    let t = TestJob::new("hi", &["output.md"]);
    let config = claude_exec::ExecConfig {
        permission_mode: "default".into(),
        allowed_tools: vec!["Read".into()],
        ..config(&[])
    };
    let ran = run(&config, &t.job).await;
    let abs = t.job.workdir.join("output.md");
    assert_eq!(
        ran.failure(),
        format!(
            "Claude wrote no output.md (permission denied for Write output.md: Claude requested permissions to write to {}, but you haven't granted it yet.)",
            abs.display()
        )
    );
    assert!(ran.outcome.usage().is_some(), "the spend is still reported");
}

#[tokio::test]
async fn huge_line_is_read_whole_and_logged_short() {
    let t = TestJob::new("hi", &["output.md"]);
    let ran = run(
        &config(&[
            ("FAKE_CLAUDE_SCENARIO", "huge_line"),
            ("FAKE_CLAUDE_OUTPUT_BYTES", "1200000"),
        ]),
        &t.job,
    )
    .await;
    assert!(
        matches!(ran.outcome, ExecOutcome::Succeeded { .. }),
        "{:?}",
        ran.outcome
    );
    assert_eq!(
        std::fs::metadata(t.job.workdir.join("output.md"))
            .unwrap()
            .len(),
        1_200_000
    );
    assert!(
        ran.stdout_logs()
            .contains(&(LogKind::ToolCall, "Write output.md"))
    );
    assert!(ran.logs().iter().all(|l| l.text.len() <= 8 * 1024 + 100));
}

#[tokio::test]
async fn many_lines_arrive_in_order() {
    let t = TestJob::new("hi", &[]);
    let ran = run(&config(&[("FAKE_CLAUDE_LINES", "2000")]), &t.job).await;
    let progress: Vec<&str> = ran
        .stdout_logs()
        .into_iter()
        .filter(|(_, text)| text.starts_with("Progress line"))
        .map(|(_, t)| t)
        .collect();
    assert_eq!(progress.len(), 2000);
    assert_eq!(progress[0], "Progress line 1 of 2000.");
    assert_eq!(progress[1999], "Progress line 2000 of 2000.");
}

#[tokio::test]
async fn several_outputs_and_json_check() {
    let t = TestJob::new("hi", &["brief.md", "data/brand.json"]);
    let ran = run(
        &config(&[("FAKE_CLAUDE_OUTPUT_FILES", "brief.md,data/brand.json")]),
        &t.job,
    )
    .await;
    let ExecOutcome::Succeeded { outputs, .. } = &ran.outcome else {
        panic!("{:?}", ran.outcome)
    };
    assert_eq!(outputs, &["brief.md", "data/brand.json"]);
    let mut reported = ran.output_files();
    reported.sort();
    assert_eq!(reported, ["brief.md", "data/brand.json"]);

    let t = TestJob::new("hi", &["brand.json"]);
    let ran = run(
        &config(&[
            ("FAKE_CLAUDE_OUTPUT_FILE", "brand.json"),
            ("FAKE_CLAUDE_OUTPUT_CONTENT", "not json"),
        ]),
        &t.job,
    )
    .await;
    assert!(
        ran.failure().starts_with("brand.json is not valid JSON"),
        "{}",
        ran.failure()
    );
}

#[tokio::test]
async fn output_files_are_reported_while_the_job_runs() {
    let t = TestJob::new("hi", &["output.md"]);
    // The file is written early; the run then keeps going for ~1.5 s of extra lines.
    let config = config(&[("FAKE_CLAUDE_DELAY_MS", "300")]);
    let ran = run(&config, &t.job).await;
    let events = &ran.events;
    let file_at = events
        .iter()
        .position(|e| matches!(e, claude_exec::ExecEvent::OutputFile { .. }))
        .expect("reported");
    let result_at = events
        .iter()
        .position(|e| matches!(e, claude_exec::ExecEvent::Log(l) if l.kind == LogKind::Result))
        .unwrap();
    assert!(
        file_at < result_at,
        "reported before the result line (debounce 100 ms, lines 300 ms apart)"
    );
}
