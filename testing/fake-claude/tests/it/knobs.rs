//! The knobs tests set: extra lines, output files, exit code, delays, the argv log, the key source.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::*;

#[test]
fn extra_lines_and_several_output_files() {
    let dir = workdir();
    let mut cmd = fake(
        dir.path(),
        &stream_args(&["--permission-mode", "acceptEdits"]),
    );
    cmd.env("FAKE_CLAUDE_LINES", "3")
        .env("FAKE_CLAUDE_OUTPUT_FILES", "brief.md, data/brand.json");
    let out = run(cmd, Some("hi"));
    let lines = json_lines(&out);
    let texts: Vec<&str> = lines
        .iter()
        .filter_map(|l| l["message"]["content"][0]["text"].as_str())
        .collect();
    assert_eq!(
        texts,
        [
            "I'll write brief.md, data/brand.json now.",
            "Progress line 1 of 3.",
            "Progress line 2 of 3.",
            "Progress line 3 of 3.",
            "Created brief.md, data/brand.json."
        ]
    );
    assert_eq!(lines.iter().filter(|l| l["type"] == "user").count(), 2);
    let brand: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("data/brand.json")).unwrap())
            .unwrap();
    assert!(brand.is_object());
    assert!(dir.path().join("brief.md").exists());
}

#[test]
fn exit_code_and_stderr_knobs() {
    let dir = workdir();
    let mut cmd = fake(dir.path(), &stream_args(&[]));
    cmd.env("FAKE_CLAUDE_EXIT_CODE", "7")
        .env("FAKE_CLAUDE_STDERR", "warning one\nwarning two");
    let out = run(cmd, Some("hi"));
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(stderr(&out), "warning one\nwarning two\n");
}

#[test]
fn delay_between_lines() {
    let dir = workdir();
    let mut cmd = fake(dir.path(), &stream_args(&[]));
    cmd.env("FAKE_CLAUDE_DELAY_MS", "60");
    let started = Instant::now();
    let out = run(cmd, Some("hi"));
    assert_eq!(json_lines(&out).len(), 7); // the write is denied in default mode
    assert!(started.elapsed() >= Duration::from_millis(6 * 60));
}

#[test]
fn argv_log_records_the_invocation() {
    let dir = workdir();
    let log = dir.path().join("argv.jsonl");
    let mut cmd = fake(dir.path(), &["-p", "--allowedTools=Write", "from args"]);
    cmd.env("FAKE_CLAUDE_ARGV_LOG", &log)
        .env("CLAUDE_CONFIG_DIR", "/tmp/cfg")
        .env("ANTHROPIC_API_KEY", "k")
        .env("HOME_X", "no");
    run(cmd, Some("from stdin"));
    let record: Value = serde_json::from_str(
        std::fs::read_to_string(&log)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        record["argv"],
        serde_json::json!(["-p", "--allowedTools=Write", "from args"])
    );
    assert_eq!(record["prompt"], "from args\nfrom stdin");
    assert_eq!(record["cwd"], dir.path().to_str().unwrap());
    assert_eq!(record["env"]["CLAUDE_CONFIG_DIR"], "/tmp/cfg");
    assert_eq!(record["env"]["ANTHROPIC_API_KEY"], "k");
    assert!(record["env"].get("HOME_X").is_none());
}

#[test]
fn api_key_source_follows_the_environment() {
    let dir = workdir();
    let mut cmd = fake(dir.path(), STREAM);
    cmd.env("ANTHROPIC_API_KEY", "k");
    assert_eq!(
        json_lines(&run(cmd, Some("hi")))[0]["apiKeySource"],
        "ANTHROPIC_API_KEY"
    );
    let mut cmd = fake(dir.path(), STREAM);
    cmd.env_remove("ANTHROPIC_API_KEY");
    assert_eq!(json_lines(&run(cmd, Some("hi")))[0]["apiKeySource"], "none");
}

#[test]
fn retry_delay_knob_is_announced_and_waited() {
    let dir = workdir();
    let mut cmd = scenario(dir.path(), "api_error", &[]);
    cmd.env("FAKE_CLAUDE_RETRY_DELAY_MS", "250");
    let started = Instant::now();
    let lines = json_lines(&run(cmd, Some("hi")));
    assert!(started.elapsed() >= Duration::from_millis(500));
    assert_eq!(lines[1]["retry_delay_ms"], 250);
}
