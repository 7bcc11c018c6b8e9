//! Each scenario and knob: the lines, their order, the files written, the exit code.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::*;

fn stream_args(extra: &[&str]) -> Vec<String> {
    STREAM.iter().chain(extra).map(|s| s.to_string()).collect()
}

fn scenario(dir: &std::path::Path, name: &str, extra: &[&str]) -> std::process::Command {
    let mut cmd = fake(dir, &stream_args(extra));
    cmd.env("FAKE_CLAUDE_SCENARIO", name);
    cmd
}

fn result_of(lines: &[Value]) -> &Value {
    let results: Vec<&Value> = lines.iter().filter(|l| l["type"] == "result").collect();
    assert_eq!(results.len(), 1, "exactly one result");
    results[0]
}

#[test]
fn success_writes_the_file_and_emits_l1_to_l6() {
    let dir = workdir();
    let mut cmd = scenario(
        dir.path(),
        "success",
        &["--permission-mode", "acceptEdits", "--model", "opus"],
    );
    cmd.env("FAKE_CLAUDE_OUTPUT_FILE", "drafts/brief.md")
        .env("FAKE_CLAUDE_OUTPUT_CONTENT", "# Brief — ok\n");
    let out = run(cmd, Some("Write the brief"));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stderr(&out), "");
    let lines = json_lines(&out);
    assert_eq!(
        kinds(&lines),
        [
            "system/init",
            "assistant",
            "assistant",
            "user",
            "assistant",
            "result/success"
        ]
    );
    assert_stream_invariants(&lines);
    let abs = dir.path().join("drafts/brief.md");
    assert_eq!(std::fs::read_to_string(&abs).unwrap(), "# Brief — ok\n");
    assert_eq!(lines[0]["model"], "opus");
    assert_eq!(lines[0]["permissionMode"], "acceptEdits");
    assert_eq!(lines[0]["cwd"], dir.path().to_str().unwrap());
    assert_eq!(
        lines[1]["message"]["id"], lines[2]["message"]["id"],
        "one API response"
    );
    assert_ne!(lines[1]["message"]["id"], lines[4]["message"]["id"]);
    let tool = &lines[2]["message"]["content"][0];
    assert_eq!(tool["name"], "Write");
    assert_eq!(tool["input"]["file_path"], abs.to_str().unwrap());
    assert_eq!(lines[3]["message"]["content"][0]["tool_use_id"], tool["id"]);
    assert_eq!(lines[3]["tool_use_result"]["type"], "create");
    let result = &lines[5];
    assert_eq!(result["is_error"], false);
    assert_eq!(result["result"], "Created drafts/brief.md.");
    assert_eq!(result["modelUsage"]["opus"]["inputTokens"], 2400);
    // Raw UTF-8 on the wire, not \u escapes.
    assert!(stdout(&out).contains("— no need to Read it back"));
}

#[test]
fn session_id_flag_is_used_on_every_line() {
    let dir = workdir();
    let id = "11111111-2222-4333-8444-555555555555";
    let out = run(
        scenario(dir.path(), "success", &["--session-id", id]),
        Some("hi"),
    );
    let lines = json_lines(&out);
    assert!(lines.iter().all(|l| l["session_id"] == id));
}

#[test]
fn denied_write_exits_zero_without_the_file() {
    let dir = workdir();
    let out = run(
        scenario(dir.path(), "success", &["--permission-mode", "default"]),
        Some("hi"),
    );
    assert_eq!(out.status.code(), Some(0));
    let lines = json_lines(&out);
    assert_eq!(
        kinds(&lines),
        [
            "system/init",
            "assistant",
            "assistant",
            "system/permission_denied",
            "user",
            "assistant",
            "result/success"
        ]
    );
    assert!(!dir.path().join("output.md").exists());
    let denied = &lines[3];
    let abs = dir.path().join("output.md");
    assert_eq!(
        denied["message"],
        format!(
            "Claude requested permissions to write to {}, but you haven't granted it yet.",
            abs.display()
        )
    );
    assert_eq!(lines[4]["message"]["content"][0]["is_error"], true);
    assert!(
        lines[4]["tool_use_result"]
            .as_str()
            .unwrap()
            .starts_with("Error: Claude requested permissions")
    );
    let result = result_of(&lines);
    assert_eq!(result["is_error"], false);
    assert_eq!(result["permission_denials"][0]["tool_name"], "Write");
}

#[test]
fn allowed_tools_write_permits_the_write() {
    let dir = workdir();
    let out = run(
        fake(dir.path(), &["-p", "--allowedTools=Read,Write", "write it"]),
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(dir.path().join("output.md").exists());
}

#[test]
fn api_error() {
    let dir = workdir();
    let out = run(scenario(dir.path(), "api_error", &[]), Some("hi"));
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    assert_eq!(
        kinds(&lines),
        [
            "system/init",
            "system/api_retry",
            "system/api_retry",
            "assistant",
            "result/success"
        ]
    );
    assert_eq!(lines[1]["attempt"], 1);
    assert_eq!(lines[2]["max_retries"], 2);
    assert_eq!(lines[1]["error"], "overloaded");
    assert_eq!(lines[3]["message"]["model"], "<synthetic>");
    assert_eq!(lines[3]["error"], "server_error");
    assert_eq!(lines[3]["is_api_error_message"], true);
    let result = result_of(&lines);
    assert_eq!(result["is_error"], true);
    assert_eq!(result["terminal_reason"], "api_error");
    assert_eq!(result["api_error_status"], 529);
    assert!(
        result["result"]
            .as_str()
            .unwrap()
            .starts_with("API Error: 529 Overloaded.")
    );
}

#[test]
fn auth_error() {
    let dir = workdir();
    let out = run(scenario(dir.path(), "auth_error", &[]), Some("hi"));
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    assert_eq!(
        kinds(&lines),
        ["system/init", "assistant", "result/success"]
    );
    assert_eq!(lines[1]["error"], "authentication_failed");
    assert_eq!(
        result_of(&lines)["result"],
        "Not logged in · Please run /login"
    );
    assert_eq!(result_of(&lines)["is_error"], true);
}

#[test]
fn usage_limit() {
    let dir = workdir();
    let out = run(scenario(dir.path(), "usage_limit", &[]), Some("hi"));
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    assert_eq!(
        kinds(&lines),
        [
            "system/init",
            "rate_limit_event",
            "assistant",
            "result/success"
        ]
    );
    assert_eq!(lines[1]["rate_limit_info"]["status"], "rejected");
    assert!(lines[1]["rate_limit_info"]["resetsAt"].as_u64().unwrap() > 1_700_000_000);
    let result = result_of(&lines);
    assert_eq!(result["api_error"], "usage_limit_reached");
    assert_eq!(result["api_error_status"], 429);
    assert!(
        result["result"]
            .as_str()
            .unwrap()
            .starts_with("You've hit your 5-hour limit · resets ")
    );
}

#[test]
fn max_turns_scenario_and_flag() {
    for (name, extra) in [
        ("max_turns", vec!["--permission-mode", "acceptEdits"]),
        (
            "success",
            vec!["--max-turns", "1", "--permission-mode", "acceptEdits"],
        ),
    ] {
        let dir = workdir();
        let out = run(scenario(dir.path(), name, &extra), Some("hi"));
        assert_eq!(out.status.code(), Some(1), "{name}");
        let lines = json_lines(&out);
        assert_eq!(
            kinds(&lines),
            [
                "system/init",
                "assistant",
                "assistant",
                "user",
                "result/error_max_turns"
            ],
            "{name}"
        );
        let result = result_of(&lines);
        assert!(
            result.get("result").is_none(),
            "error subtypes carry no result key"
        );
        assert_eq!(result["errors"][0], "Reached maximum number of turns (1)");
        assert_eq!(result["terminal_reason"], "max_turns");
    }
}

#[test]
fn max_turns_in_text_mode() {
    let dir = workdir();
    let mut cmd = fake(dir.path(), &["-p", "--max-turns", "1"]);
    cmd.env("FAKE_CLAUDE_SCENARIO", "max_turns");
    let out = run(cmd, Some("hi"));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "Error: Reached max turns (1)");
}

#[test]
fn crash_exits_3_without_result() {
    let dir = workdir();
    let out = run(scenario(dir.path(), "crash", &[]), Some("hi"));
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(kinds(&json_lines(&out)), ["system/init", "assistant"]);
    assert_eq!(
        stderr(&out),
        "Error: fake-claude crashed (FAKE_CLAUDE_SCENARIO=crash)\n"
    );
}

#[test]
fn huge_line() {
    let dir = workdir();
    let mut cmd = scenario(
        dir.path(),
        "huge_line",
        &["--permission-mode", "acceptEdits"],
    );
    cmd.env("FAKE_CLAUDE_OUTPUT_BYTES", "1100000");
    let out = run(cmd, Some("hi"));
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    let longest = text.lines().map(str::len).max().unwrap();
    assert!(longest > 1_100_000, "{longest}");
    assert_eq!(json_lines(&out).len(), 6);
    assert_eq!(
        std::fs::metadata(dir.path().join("output.md"))
            .unwrap()
            .len(),
        1_100_000
    );
}

#[test]
fn json_format_prints_only_the_result() {
    let dir = workdir();
    let out = run(
        fake(
            dir.path(),
            &[
                "-p",
                "--output-format",
                "json",
                "--permission-mode",
                "acceptEdits",
            ],
        ),
        Some("hi"),
    );
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1);
    assert!(text.ends_with('\n'));
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(kind(&v), "result/success");
}

#[test]
fn json_verbose_prints_an_array_of_every_message() {
    let dir = workdir();
    let out = run(
        fake(dir.path(), &["-p", "--output-format", "json", "--verbose"]),
        Some("hi"),
    );
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let kinds = kinds(v.as_array().unwrap());
    assert_eq!(kinds.first().unwrap(), "system/init");
    assert_eq!(kinds.last().unwrap(), "result/success");
}

#[test]
fn text_format_prints_the_result_text() {
    let dir = workdir();
    let out = run(
        fake(dir.path(), &["-p", "--permission-mode", "acceptEdits"]),
        Some("hi"),
    );
    assert_eq!(stdout(&out), "Created output.md.\n");
    let mut cmd = fake(dir.path(), &["-p"]);
    cmd.env("FAKE_CLAUDE_SCENARIO", "api_error");
    let out = run(cmd, Some("hi"));
    assert!(stdout(&out).starts_with("API Error: 529 Overloaded."));
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn partial_messages_wrap_each_assistant_block() {
    let dir = workdir();
    let out = run(
        fake(
            dir.path(),
            &stream_args(&[
                "--include-partial-messages",
                "--permission-mode",
                "acceptEdits",
            ]),
        ),
        Some("hi"),
    );
    assert_eq!(out.status.code(), Some(0));
    let lines = json_lines(&out);
    assert_stream_invariants(&lines);
    let events: Vec<String> = lines
        .iter()
        .map(|l| match l["type"].as_str().unwrap() {
            "stream_event" => l["event"]["type"].as_str().unwrap().to_string(),
            _ => kind(l),
        })
        .collect();
    let first_assistant = events.iter().position(|e| e == "assistant").unwrap();
    assert_eq!(
        &events[..4],
        [
            "system/init",
            "system/status",
            "message_start",
            "content_block_start"
        ]
    );
    assert_eq!(events[first_assistant - 1], "content_block_delta");
    assert_eq!(events[first_assistant + 1], "content_block_stop");
    assert_eq!(events.iter().filter(|e| *e == "message_stop").count(), 2);
    let user = events.iter().position(|e| e == "user").unwrap();
    assert_eq!(
        events[user - 1],
        "message_stop",
        "tool result comes after message_stop"
    );
    assert_eq!(events.last().unwrap(), "result/success");
}

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
