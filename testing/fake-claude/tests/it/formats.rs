//! Output formats: json, json with --verbose, text, and partial messages.

use serde_json::Value;

use crate::harness::*;

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
