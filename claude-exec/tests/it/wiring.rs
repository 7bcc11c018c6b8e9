//! How the CLI is called: argv, stdin prompt, environment, config dir, stderr, missing binary.

use claude_exec::{ExecConfig, ExecOutcome, LogStream};

use crate::harness::*;

#[tokio::test]
async fn argv_stdin_and_environment_are_as_expected() {
    let t = TestJob::new("Write the brief.\nUse the brand voice.", &["output.md"]);
    let log = t.path("argv.jsonl");
    let mut config = config(&[("FAKE_CLAUDE_ARGV_LOG", log.to_str().unwrap())]);
    config
        .env
        .push(("NODE_OPTIONS".into(), "--max-old-space-size=1".into()));
    config
        .env
        .push(("CLAUDE_CONFIG_DIR".into(), "/must/not/win".into()));
    let ran = run(&config, &t.job).await;
    assert!(
        matches!(ran.outcome, ExecOutcome::Succeeded { .. }),
        "{:?}",
        ran.outcome
    );
    let record = &argv_records(&log)[0];
    assert_eq!(
        record["argv"],
        serde_json::json!([
            "-p",
            "--output-format",
            "stream-json",
            "--verbose",
            "--permission-mode",
            "acceptEdits",
            "--allowedTools=WebSearch,WebFetch,Read(./**),Edit(./**),Glob(./**),Grep(./**)"
        ])
    );
    assert_eq!(
        record["prompt"], "Write the brief.\nUse the brand voice.",
        "prompt comes from stdin only"
    );
    assert_eq!(record["cwd"], t.job.workdir.to_str().unwrap());
    let env = &record["env"];
    assert_eq!(env["CLAUDE_CONFIG_DIR"], t.job.config_dir.to_str().unwrap());
    assert_eq!(env["DISABLE_AUTOUPDATER"], "1");
    assert_eq!(env["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"], "1");
    assert!(env.get("NODE_OPTIONS").is_none());
    assert!(t.job.config_dir.is_dir(), "config dir is created");
    // stdin was closed: with no prompt argument the fake reads stdin to its end, so the run
    // could only succeed with the whole prompt once stdin was closed; and no stdin warning.
    assert!(ran.logs().iter().all(|l| l.stream != LogStream::Stderr));
}

#[tokio::test]
async fn model_is_passed() {
    let t = TestJob::new("hi", &[]);
    let log = t.path("argv.jsonl");
    let config = ExecConfig {
        model: Some("claude-opus-4".into()),
        ..config(&[("FAKE_CLAUDE_ARGV_LOG", log.to_str().unwrap())])
    };
    run(&config, &t.job).await;
    let argv = argv_records(&log)[0]["argv"].clone();
    assert_eq!(argv[7], "--model");
    assert_eq!(argv[8], "claude-opus-4");
}

#[tokio::test]
async fn two_runs_use_their_own_config_dirs() {
    let (a, b) = (TestJob::new("a", &[]), TestJob::new("b", &[]));
    let (log_a, log_b) = (a.path("argv.jsonl"), b.path("argv.jsonl"));
    let (ca, cb) = (
        config(&[("FAKE_CLAUDE_ARGV_LOG", log_a.to_str().unwrap())]),
        config(&[("FAKE_CLAUDE_ARGV_LOG", log_b.to_str().unwrap())]),
    );
    tokio::join!(run(&ca, &a.job), run(&cb, &b.job));
    let dir_a = argv_records(&log_a)[0]["env"]["CLAUDE_CONFIG_DIR"].clone();
    let dir_b = argv_records(&log_b)[0]["env"]["CLAUDE_CONFIG_DIR"].clone();
    assert_eq!(dir_a, a.job.config_dir.to_str().unwrap());
    assert_eq!(dir_b, b.job.config_dir.to_str().unwrap());
    assert_ne!(dir_a, dir_b);
}

#[tokio::test]
async fn stderr_is_captured() {
    let t = TestJob::new("hi", &["output.md"]);
    let ran = run(
        &config(&[("FAKE_CLAUDE_STDERR", "⚠ Claude Sonnet 4.5 will be retired")]),
        &t.job,
    )
    .await;
    assert!(matches!(ran.outcome, ExecOutcome::Succeeded { .. }));
    let stderr: Vec<&str> = ran
        .logs()
        .into_iter()
        .filter(|l| l.stream == LogStream::Stderr)
        .map(|l| l.text.as_str())
        .collect();
    assert_eq!(stderr, ["⚠ Claude Sonnet 4.5 will be retired"]);
}

#[tokio::test]
async fn missing_binary() {
    let t = TestJob::new("hi", &[]);
    let config = ExecConfig {
        claude_path: "/nonexistent/claude".into(),
        ..ExecConfig::default()
    };
    let ran = run(&config, &t.job).await;
    assert_eq!(ran.failure(), "claude not found at /nonexistent/claude");
}

#[tokio::test]
async fn missing_workdir() {
    let t = TestJob::new("hi", &[]);
    let mut job = t.job.clone();
    job.workdir = t.path("nope");
    let ran = run(&config(&[]), &job).await;
    assert!(
        ran.failure().starts_with("working directory "),
        "{}",
        ran.failure()
    );
}

#[tokio::test]
async fn exit_code_after_success_is_a_failure() {
    let t = TestJob::new("hi", &["output.md"]);
    let ran = run(&config(&[("FAKE_CLAUDE_EXIT_CODE", "2")]), &t.job).await;
    assert_eq!(
        ran.failure(),
        "claude exited with code 2 after reporting success"
    );
}
