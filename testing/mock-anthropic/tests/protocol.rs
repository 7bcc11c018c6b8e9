//! The mock over HTTP, without the CLI: the two wire forms of a Messages answer and the
//! auxiliary routes.

mod support;

use serde_json::{Value, json};
use support::Mock;

fn first_turn(stream: bool) -> Value {
    json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 1024,
        "stream": stream,
        "system": [{"type": "text", "text": "You are Claude Code."}],
        "tools": [{"name": "Write", "input_schema": {"type": "object"}}],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Write `output/notes.md`."}]},
            {"role": "system", "content": "# Environment\n - Primary working directory: /srv/job\n"},
        ],
    })
}

/// `data:` payloads of an SSE body, with their `event:` names checked against `type`.
fn sse_data(body: &str) -> Vec<Value> {
    body.split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|event| {
            let mut name = None;
            let mut data = None;
            for line in event.lines() {
                if let Some(v) = line.strip_prefix("event: ") {
                    name = Some(v.to_owned());
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data = Some(serde_json::from_str::<Value>(v).unwrap());
                }
            }
            let data = data.expect("every event has data");
            assert_eq!(Some(data["type"].as_str().unwrap().to_owned()), name);
            data
        })
        .collect()
}

#[tokio::test]
async fn streamed_first_turn_calls_write_with_the_absolute_path() {
    let tmp = tempfile::tempdir().unwrap();
    let mock = Mock::start(tmp.path(), &["--event-delay-ms", "5"]);
    let response = reqwest::Client::new()
        .post(format!("{}/v1/messages?beta=true", mock.url))
        .json(&first_turn(true))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let events = sse_data(&response.text().await.unwrap());
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds[0], "message_start");
    assert_eq!(events[0]["message"]["model"], "claude-sonnet-4-5");
    assert_eq!(&kinds[kinds.len() - 2..], ["message_delta", "message_stop"]);
    assert_eq!(events[events.len() - 2]["delta"]["stop_reason"], "tool_use");
    let starts: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "content_block_start")
        .collect();
    assert_eq!(starts[0]["content_block"]["type"], "text");
    assert_eq!(starts[1]["content_block"]["name"], "Write");
    let input: String = events
        .iter()
        .filter(|e| e["delta"]["type"] == "input_json_delta")
        .map(|e| e["delta"]["partial_json"].as_str().unwrap())
        .collect();
    let input: Value = serde_json::from_str(&input).unwrap();
    assert_eq!(input["file_path"], "/srv/job/output/notes.md");
    assert!(input["content"].as_str().unwrap().starts_with("# Notes\n"));

    let logged = mock.requests();
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0]["path"], "/v1/messages?beta=true");
    assert_eq!(logged[0]["body"]["model"], "claude-sonnet-4-5");
}

#[tokio::test]
async fn non_streamed_answer_and_auxiliary_routes() {
    let tmp = tempfile::tempdir().unwrap();
    let mock = Mock::start(tmp.path(), &[]);
    let client = reqwest::Client::new();

    let message: Value = client
        .post(format!("{}/v1/messages", mock.url))
        .json(&first_turn(false))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(message["type"], "message");
    assert_eq!(message["stop_reason"], "tool_use");
    assert_eq!(
        message["content"][1]["input"]["file_path"],
        "/srv/job/output/notes.md"
    );

    let count: Value = client
        .post(format!("{}/v1/messages/count_tokens", mock.url))
        .json(&first_turn(false))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(count["input_tokens"].as_u64().unwrap() > 0);

    let hello = client
        .head(format!("{}/api/hello", mock.url))
        .send()
        .await
        .unwrap();
    assert_eq!(hello.status(), 200);

    let unknown = client
        .get(format!("{}/v1/nope", mock.url))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(unknown.headers()["x-should-retry"], "false");
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["error"]["type"], "not_found_error");
}

#[tokio::test]
async fn overloaded_scenario_answers_529_without_retry() {
    let tmp = tempfile::tempdir().unwrap();
    let mock = Mock::start(tmp.path(), &["--scenario", "overloaded"]);
    let response = reqwest::Client::new()
        .post(format!("{}/v1/messages", mock.url))
        .json(&first_turn(true))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 529);
    assert_eq!(response.headers()["x-should-retry"], "false");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "overloaded_error");
}
