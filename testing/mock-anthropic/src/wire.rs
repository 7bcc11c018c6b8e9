//! A scripted reply in the Messages API's two wire forms: one JSON message, or the
//! server-sent events of a streamed one.

use serde_json::{Value, json};

use crate::script::{Block, Reply};

/// Token figures reported for a reply (rough: four bytes a token).
#[derive(Clone, Copy, Debug)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

impl Usage {
    pub fn estimate(request_bytes: usize, reply: &Reply) -> Usage {
        let out: usize = reply
            .blocks
            .iter()
            .map(|b| b.to_json().to_string().len())
            .sum();
        Usage {
            input_tokens: (request_bytes / 4).max(1) as u64,
            output_tokens: (out / 4).max(1) as u64,
        }
    }

    fn to_json(self, output_tokens: u64) -> Value {
        json!({
            "input_tokens": self.input_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": output_tokens,
        })
    }
}

/// The non-streamed answer.
pub fn message_json(id: &str, model: &str, reply: &Reply, usage: Usage) -> Value {
    json!({
        "id": id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": reply.blocks.iter().map(Block::to_json).collect::<Vec<_>>(),
        "stop_reason": reply.stop_reason,
        "stop_sequence": null,
        "usage": usage.to_json(usage.output_tokens),
    })
}

/// The streamed answer as SSE events, each a complete `event: …\ndata: …\n\n` string:
/// message_start, ping, then per block content_block_start, deltas (`text_delta` /
/// `input_json_delta`, split into a few pieces as the real API does), content_block_stop,
/// and finally message_delta (stop_reason, usage) and message_stop.
pub fn sse_events(id: &str, model: &str, reply: &Reply, usage: Usage) -> Vec<String> {
    let mut events = vec![
        event(
            "message_start",
            json!({
                "type": "message_start",
                "message": {
                    "id": id,
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": null,
                    "stop_sequence": null,
                    "usage": usage.to_json(1),
                },
            }),
        ),
        event("ping", json!({ "type": "ping" })),
    ];
    for (index, block) in reply.blocks.iter().enumerate() {
        let (start, deltas) = match block {
            Block::Text(text) => (
                json!({ "type": "text", "text": "" }),
                pieces(text, 3)
                    .into_iter()
                    .map(|p| json!({ "type": "text_delta", "text": p }))
                    .collect::<Vec<_>>(),
            ),
            Block::ToolUse { id, name, input } => (
                json!({ "type": "tool_use", "id": id, "name": name, "input": {} }),
                pieces(&input.to_string(), 4)
                    .into_iter()
                    .map(|p| json!({ "type": "input_json_delta", "partial_json": p }))
                    .collect(),
            ),
        };
        events.push(event(
            "content_block_start",
            json!({ "type": "content_block_start", "index": index, "content_block": start }),
        ));
        for delta in deltas {
            events.push(event(
                "content_block_delta",
                json!({ "type": "content_block_delta", "index": index, "delta": delta }),
            ));
        }
        events.push(event(
            "content_block_stop",
            json!({ "type": "content_block_stop", "index": index }),
        ));
    }
    events.push(event(
        "message_delta",
        json!({
            "type": "message_delta",
            "delta": { "stop_reason": reply.stop_reason, "stop_sequence": null },
            "usage": { "output_tokens": usage.output_tokens },
        }),
    ));
    events.push(event("message_stop", json!({ "type": "message_stop" })));
    events
}

fn event(name: &str, data: Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

/// `text` cut into at most `n` non-empty pieces on character boundaries.
fn pieces(text: &str, n: usize) -> Vec<&str> {
    if text.is_empty() {
        return vec![""];
    }
    let size = text.len().div_ceil(n).max(1);
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut cut = size.min(rest.len());
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let (head, tail) = rest.split_at(cut);
        out.push(head);
        rest = tail;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply() -> Reply {
        Reply {
            blocks: vec![
                Block::Text("I'll write the file — now.".into()),
                Block::ToolUse {
                    id: "toolu_1".into(),
                    name: "Write".into(),
                    input: json!({"file_path": "/w/output/a.md", "content": "# A\n"}),
                },
            ],
            stop_reason: "tool_use",
            label: String::new(),
        }
    }

    #[test]
    fn deltas_reassemble_the_blocks() {
        let usage = Usage {
            input_tokens: 10,
            output_tokens: 5,
        };
        let events = sse_events("msg_1", "m", &reply(), usage);
        let data: Vec<Value> = events
            .iter()
            .map(|e| {
                let line = e.lines().nth(1).unwrap();
                serde_json::from_str(line.strip_prefix("data: ").unwrap()).unwrap()
            })
            .collect();
        let kinds: Vec<&str> = data.iter().map(|d| d["type"].as_str().unwrap()).collect();
        assert_eq!(kinds.first(), Some(&"message_start"));
        assert_eq!(&kinds[kinds.len() - 2..], ["message_delta", "message_stop"]);
        let text: String = data
            .iter()
            .filter(|d| d["index"] == 0 && d["delta"]["type"] == "text_delta")
            .map(|d| d["delta"]["text"].as_str().unwrap())
            .collect();
        assert_eq!(text, "I'll write the file — now.");
        let json_text: String = data
            .iter()
            .filter(|d| d["index"] == 1 && d["delta"]["type"] == "input_json_delta")
            .map(|d| d["delta"]["partial_json"].as_str().unwrap())
            .collect();
        let input: Value = serde_json::from_str(&json_text).unwrap();
        assert_eq!(input["file_path"], "/w/output/a.md");
        let last = &data[data.len() - 2];
        assert_eq!(last["delta"]["stop_reason"], "tool_use");
    }

    #[test]
    fn message_json_has_the_blocks() {
        let usage = Usage {
            input_tokens: 10,
            output_tokens: 5,
        };
        let m = message_json("msg_1", "m", &reply(), usage);
        assert_eq!(m["content"][1]["name"], "Write");
        assert_eq!(m["stop_reason"], "tool_use");
        assert_eq!(m["usage"]["output_tokens"], 5);
    }

    #[test]
    fn pieces_keep_utf8() {
        assert_eq!(pieces("ab—cd", 3).concat(), "ab—cd");
        assert_eq!(pieces("", 3), vec![""]);
    }
}
