//! Each scenario: the lines, their order, the files written, the exit code.

use crate::harness::*;

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

/// The runner's path-scoped rules (observed on the real 2.1.332): a write outside the cwd is
/// refused with reason `workingDir`, even though the list names `Write(./**)`; inside, it works.
#[test]
fn path_scoped_rules_keep_writes_inside_the_cwd() {
    const SCOPED: &str =
        "--allowedTools=WebSearch,WebFetch,Read(./**),Write(./**),Edit(./**),Glob(./**),Grep(./**)";
    let root = workdir();
    let job = root.path().join("job");
    std::fs::create_dir(&job).unwrap();
    let mut cmd = scenario(
        &job,
        "success",
        &["--permission-mode", "acceptEdits", SCOPED],
    );
    cmd.env("FAKE_CLAUDE_OUTPUT_FILE", "../escaped.md");
    let out = run(cmd, Some("hi"));
    assert_eq!(out.status.code(), Some(0));
    assert!(!root.path().join("escaped.md").exists());
    let lines = json_lines(&out);
    let denied = lines
        .iter()
        .find(|l| kind(l) == "system/permission_denied")
        .expect("a permission_denied line");
    let abs = root.path().join("escaped.md");
    assert_eq!(denied["tool_name"], "Write");
    assert_eq!(denied["decision_reason_type"], "workingDir");
    assert_eq!(
        denied["decision_reason"],
        "Path is outside allowed working directories"
    );
    assert_eq!(
        denied["message"],
        format!(
            "Claude requested permissions to write to {}, but you haven't granted it yet.",
            abs.display()
        )
    );
    let entry = &result_of(&lines)["permission_denials"][0];
    assert_eq!(entry["tool_use_id"], denied["tool_use_id"]);
    assert_eq!(entry["tool_input"]["file_path"], abs.display().to_string());

    let mut cmd = scenario(
        &job,
        "success",
        &["--permission-mode", "acceptEdits", SCOPED],
    );
    cmd.env("FAKE_CLAUDE_OUTPUT_FILE", "output/inside.md");
    let out = run(cmd, Some("hi"));
    assert_eq!(out.status.code(), Some(0));
    assert!(job.join("output/inside.md").exists());
    assert_eq!(
        result_of(&json_lines(&out))["permission_denials"],
        serde_json::json!([])
    );
}

/// A bare `Write` grants the tool on every path, as on the real CLI.
#[test]
fn bare_write_writes_outside_the_cwd() {
    let root = workdir();
    let job = root.path().join("job");
    std::fs::create_dir(&job).unwrap();
    let mut cmd = scenario(&job, "success", &["--allowedTools=Read,Write"]);
    cmd.env("FAKE_CLAUDE_OUTPUT_FILE", "../escaped.md");
    let out = run(cmd, Some("hi"));
    assert_eq!(out.status.code(), Some(0));
    assert!(root.path().join("escaped.md").exists());
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
fn usage_limit_resets_when_told_and_then_runs_go_through() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let dir = workdir();
    // The next 13:05 UTC: the text names it on a 12-hour clock, as the real CLI does.
    let resets_at = (now / 86_400) * 86_400 + 13 * 3600 + 300;
    let resets_at = if resets_at > now {
        resets_at
    } else {
        resets_at + 86_400
    };
    let mut cmd = scenario(dir.path(), "usage_limit", &[]);
    cmd.env("FAKE_CLAUDE_RESETS_AT", resets_at.to_string());
    let out = run(cmd, Some("hi"));
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    assert_eq!(lines[1]["rate_limit_info"]["resetsAt"], resets_at);
    assert_eq!(
        lines[2]["api_error_params"]["rate_limit_info"]["resetsAt"],
        resets_at
    );
    assert_eq!(
        result_of(&lines)["result"],
        "You've hit your 5-hour limit · resets 1:05pm (UTC)"
    );

    // Once the reset has passed, the account works again.
    let mut cmd = scenario(
        dir.path(),
        "usage_limit",
        &["--permission-mode", "acceptEdits"],
    );
    cmd.env("FAKE_CLAUDE_RESETS_AT", (now - 1).to_string());
    let out = run(cmd, Some("hi"));
    assert_eq!(out.status.code(), Some(0));
    let lines = json_lines(&out);
    assert!(lines.iter().all(|l| l["type"] != "rate_limit_event"));
    assert_eq!(result_of(&lines)["subtype"], "success");
    assert_eq!(result_of(&lines)["is_error"], false);
    assert!(dir.path().join("output.md").exists());
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
