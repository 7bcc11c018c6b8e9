//! The fake's field sets compared with the real 2.1.332 transcripts: no invented keys, and the
//! keys a runner relies on are all there.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::harness::*;

/// The result keys that stayed stable from 2.1.197 to 2.1.332 (claude-cli.md §2.1 item 7).
const RESULT_CORE: &[&str] = &[
    "type",
    "subtype",
    "is_error",
    "duration_ms",
    "duration_api_ms",
    "num_turns",
    "result",
    "stop_reason",
    "session_id",
    "total_cost_usd",
    "usage",
    "modelUsage",
    "permission_denials",
    "terminal_reason",
    "uuid",
];

const FIXTURES: &[&str] = &[
    "write-success.stream.jsonl",
    "default-perm.stream.jsonl",
    "err529.stream.jsonl",
    "sublimit.stream.jsonl",
    "maxturns.stream.jsonl",
    "sigint.stream.jsonl",
    "partial.stream.jsonl",
];

/// Real keys per line kind, over all fixtures.
fn real_keys() -> HashMap<String, HashSet<String>> {
    let mut map: HashMap<String, HashSet<String>> = HashMap::new();
    for name in FIXTURES {
        for line in fixture(name) {
            map.entry(kind(&line)).or_default().extend(keys(&line));
        }
    }
    map
}

fn fake_lines(scenario: &str, args: &[&str]) -> Vec<Value> {
    let dir = workdir();
    let all: Vec<&str> = STREAM.iter().chain(args).copied().collect();
    let mut cmd = fake(dir.path(), &all);
    cmd.env("FAKE_CLAUDE_SCENARIO", scenario);
    json_lines(&run(cmd, Some("hi")))
}

#[test]
fn success_result_has_every_stable_core_key() {
    let lines = fake_lines("success", &["--permission-mode", "acceptEdits"]);
    let result = keys(lines.last().unwrap());
    for key in RESULT_CORE {
        assert!(result.contains(*key), "result lacks {key}");
    }
}

#[test]
fn error_results_have_the_core_keys_but_result_and_add_errors() {
    let lines = fake_lines("max_turns", &[]);
    let result = keys(lines.last().unwrap());
    for key in RESULT_CORE.iter().filter(|k| **k != "result") {
        assert!(result.contains(*key), "result lacks {key}");
    }
    assert!(result.contains("errors") && !result.contains("result"));
}

#[test]
fn every_fake_key_exists_on_the_same_kind_of_real_line() {
    let real = real_keys();
    let runs = [
        (
            "success",
            vec![
                "--permission-mode",
                "acceptEdits",
                "--include-partial-messages",
            ],
        ),
        ("success", vec![]),
        ("api_error", vec![]),
        ("usage_limit", vec![]),
        ("max_turns", vec![]),
    ];
    for (scenario, args) in runs {
        for line in fake_lines(scenario, &args) {
            let k = kind(&line);
            let known = real
                .get(&k)
                .unwrap_or_else(|| panic!("no real line of kind {k}"));
            let invented: Vec<String> = keys(&line).difference(known).cloned().collect();
            assert!(
                invented.is_empty(),
                "{scenario}: {k} has keys the real CLI never wrote: {invented:?}"
            );
        }
    }
}

#[test]
fn fake_init_has_every_key_the_spec_lists() {
    let init = keys(&fake_lines("success", &[])[0]);
    for key in [
        "type",
        "subtype",
        "cwd",
        "session_id",
        "tools",
        "mcp_servers",
        "model",
        "permissionMode",
        "slash_commands",
        "apiKeySource",
        "claude_code_version",
        "output_style",
        "agents",
        "skills",
        "plugins",
        "uuid",
    ] {
        assert!(init.contains(key), "init lacks {key}");
    }
}

#[test]
fn assistant_and_user_lines_match_the_real_nested_shapes() {
    let real = fixture("write-success.stream.jsonl");
    let fake = fake_lines("success", &["--permission-mode", "acceptEdits"]);
    for index in 1..=4 {
        assert_eq!(kind(&real[index]), kind(&fake[index]));
        assert_eq!(
            keys(&real[index]["message"]),
            keys(&fake[index]["message"]),
            "message keys of line {index}"
        );
    }
    assert_eq!(
        keys(&real[3]["tool_use_result"]),
        keys(&fake[3]["tool_use_result"])
    );
    assert_eq!(
        keys(&real[2]["message"]["content"][0]["input"]),
        keys(&fake[2]["message"]["content"][0]["input"])
    );
}

#[test]
fn a_usage_limit_reads_like_the_real_subscription_limit() {
    let real = fixture("sublimit.stream.jsonl");
    let fake = fake_lines("usage_limit", &[]);
    assert_eq!(fake.len(), real.len());
    // The event and the synthetic error: the same keys in the same order, and the same shape
    // of the limit they name.
    for index in [1, 2] {
        let names =
            |line: &Value| -> Vec<String> { line.as_object().unwrap().keys().cloned().collect() };
        assert_eq!(names(&fake[index]), names(&real[index]), "line {index}");
    }
    let info = |line: &Value| line["rate_limit_info"].clone();
    assert_eq!(keys(&info(&fake[1])), keys(&info(&real[1])));
    assert_eq!(
        fake[2]["api_error_params"]["rate_limit_info"],
        info(&fake[1]),
        "the error names the limit the event announced"
    );
    let result = fake.last().unwrap();
    for key in [
        "api_error",
        "api_error_status",
        "api_error_type",
        "terminal_reason",
    ] {
        assert_eq!(result[key], real.last().unwrap()[key], "{key}");
    }
}
