//! The scripted model: what to answer to one `POST /v1/messages` body.
//!
//! A conversation goes:
//! 1. The job prompt (a user message naming `output/<name>.md|json`) with the `Write` tool
//!    offered: answer a text block ("I'll write the file.") and a `tool_use` block calling
//!    `Write` with `{"file_path": "<cwd>/output/<name>", "content": …}`, `stop_reason: tool_use`.
//! 2. The CLI runs the tool and sends its `tool_result`: answer "Created output/<name>." with
//!    `stop_reason: end_turn`.
//!
//! Anything else (a side request without the `Write` tool, a prompt naming no output file)
//! gets a short text answer with `end_turn`, so the CLI always finishes.
//!
//! The CLI's working directory is read from its system context ("Primary working directory:
//! <cwd>", which 2.1.332 sends in a `system`-role message of `messages`), so the mock needs no
//! configuration per job.
//!
//! The scenario is the server's (`--scenario`) unless the prompt names one with
//! `mock-anthropic:scenario=<name>` (see [`SCENARIO_MARK`]).

use serde_json::{Value, json};

/// How the mock behaves for every `POST /v1/messages`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scenario {
    /// Write the output file named in the prompt, then finish (the default).
    #[default]
    Write,
    /// Answer with text only, never calling a tool: the CLI succeeds but writes nothing.
    TextOnly,
    /// 529 `overloaded_error` with `x-should-retry: false`: the CLI gives up at once.
    Overloaded,
    /// 401 `authentication_error` with `x-should-retry: false`.
    Unauthorized,
}

impl Scenario {
    pub const NAMES: [&'static str; 4] = ["write", "text-only", "overloaded", "unauthorized"];

    pub fn parse(name: &str) -> Option<Scenario> {
        Some(match name {
            "write" => Scenario::Write,
            "text-only" | "text_only" => Scenario::TextOnly,
            "overloaded" => Scenario::Overloaded,
            "unauthorized" => Scenario::Unauthorized,
            _ => return None,
        })
    }
}

/// One content block of a scripted answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    Text(String),
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
}

impl Block {
    /// The block as it appears in a non-streamed message.
    pub fn to_json(&self) -> Value {
        match self {
            Block::Text(text) => json!({ "type": "text", "text": text }),
            Block::ToolUse { id, name, input } => {
                json!({ "type": "tool_use", "id": id, "name": name, "input": input })
            }
        }
    }
}

/// A scripted assistant message.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    pub blocks: Vec<Block>,
    pub stop_reason: &'static str,
    /// A short label for the request log.
    pub label: String,
}

/// An API error answer.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub kind: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn body(&self) -> Value {
        json!({ "type": "error", "error": { "type": self.kind, "message": self.message } })
    }
}

/// The answer to one Messages request.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    Message(Reply),
    Error(ApiError),
}

/// Decides the answer to a Messages request body. `fallback_cwd` is used when the request
/// carries no "Primary working directory"; `tool_id` names a new `tool_use` block.
pub fn answer(
    scenario: Scenario,
    request: &Value,
    fallback_cwd: Option<&str>,
    tool_id: impl FnOnce() -> String,
) -> Answer {
    let messages = request["messages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let prompt = prompt_text(messages);
    let scenario = prompt_scenario(&prompt).unwrap_or(scenario);
    match scenario {
        Scenario::Overloaded => {
            return Answer::Error(ApiError {
                status: 529,
                kind: "overloaded_error",
                message: "Overloaded".into(),
            });
        }
        Scenario::Unauthorized => {
            return Answer::Error(ApiError {
                status: 401,
                kind: "authentication_error",
                message: "invalid x-api-key".into(),
            });
        }
        Scenario::Write | Scenario::TextOnly => {}
    }

    // Turn 2: the CLI reports the Write's result.
    let last_user = messages.last().filter(|m| m["role"] == "user");
    if let Some(result) =
        last_user.and_then(|last| blocks(&last["content"]).find(|b| b["type"] == "tool_result"))
    {
        let text = if result["is_error"].as_bool() == Some(true) {
            format!(
                "The Write tool failed: {}",
                flatten_text(&result["content"]).trim()
            )
        } else {
            match written_path(messages, result["tool_use_id"].as_str()) {
                Some(path) => format!("Created {path}."),
                None => "Done.".to_owned(),
            }
        };
        return Answer::Message(Reply {
            label: format!("final text ({text})"),
            blocks: vec![Block::Text(text)],
            stop_reason: "end_turn",
        });
    }

    let offers_write = request["tools"]
        .as_array()
        .is_some_and(|tools| tools.iter().any(|t| t["name"] == "Write"));
    if !offers_write {
        return text_reply("OK.", "side request without the Write tool");
    }
    let Some(output) = find_output_path(&prompt) else {
        return text_reply(
            "The prompt names no output/<name>.md or output/<name>.json file, so I wrote nothing.",
            "no output path in the prompt",
        );
    };
    if scenario == Scenario::TextOnly {
        return text_reply(
            &format!("I would write {output}, but I was told to answer in text only."),
            "text-only scenario",
        );
    }
    let Some(cwd) = working_directory(request).or_else(|| fallback_cwd.map(str::to_owned)) else {
        return text_reply(
            "I can't tell the working directory (no \"Primary working directory\" in the request).",
            "no working directory",
        );
    };
    let file_path = format!("{}/{output}", cwd.trim_end_matches('/'));
    let content = file_content(&output, &prompt);
    Answer::Message(Reply {
        label: format!("Write {file_path}"),
        blocks: vec![
            Block::Text("I'll write the file.".to_owned()),
            Block::ToolUse {
                id: tool_id(),
                name: "Write".to_owned(),
                input: json!({ "file_path": file_path, "content": content }),
            },
        ],
        stop_reason: "tool_use",
    })
}

fn text_reply(text: &str, label: &str) -> Answer {
    Answer::Message(Reply {
        blocks: vec![Block::Text(text.to_owned())],
        stop_reason: "end_turn",
        label: label.to_owned(),
    })
}

/// Marks a prompt that picks its own scenario, e.g. `mock-anthropic:scenario=overloaded`
/// in a job's title: one mock can then serve jobs with different outcomes.
pub const SCENARIO_MARK: &str = "mock-anthropic:scenario=";

/// The scenario a prompt asks for with [`SCENARIO_MARK`], if any.
pub fn prompt_scenario(prompt: &str) -> Option<Scenario> {
    let start = prompt.find(SCENARIO_MARK)? + SCENARIO_MARK.len();
    let rest = &prompt[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_lowercase() || c == '-' || c == '_'))
        .unwrap_or(rest.len());
    Scenario::parse(&rest[..end])
}

/// The content blocks of a message (`content` is a string or an array of blocks).
fn blocks(content: &Value) -> impl Iterator<Item = &Value> {
    content.as_array().into_iter().flatten()
}

/// All text of a `content` value, blocks joined by newlines.
fn flatten_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .filter_map(|b| b["text"].as_str().or_else(|| b.as_str()))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// What the user asked: the text of the user messages, without the `<system-reminder>` blocks
/// the CLI adds (git status and the like, which may name other files).
pub fn prompt_text(messages: &[Value]) -> String {
    let mut out = String::new();
    for message in messages.iter().filter(|m| m["role"] == "user") {
        let texts: Vec<&str> = match &message["content"] {
            Value::String(s) => vec![s.as_str()],
            content => blocks(content)
                .filter(|b| b["type"] == "text")
                .filter_map(|b| b["text"].as_str())
                .collect(),
        };
        for text in texts {
            if !text.trim_start().starts_with("<system-reminder>") {
                out.push_str(text);
                out.push('\n');
            }
        }
    }
    out
}

/// The first `output/<name>.md` or `output/<name>.json` in `text` (name: `[A-Za-z0-9._-]+`),
/// not preceded by a path character (so `inputs/output/x.md` does not count).
pub fn find_output_path(text: &str) -> Option<String> {
    const MARK: &str = "output/";
    let is_name = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    let mut from = 0;
    while let Some(at) = text[from..].find(MARK).map(|i| i + from) {
        from = at + MARK.len();
        let preceded = text[..at]
            .chars()
            .next_back()
            .is_some_and(|c| is_name(c) || c == '/');
        if preceded {
            continue;
        }
        let name_len = text[from..]
            .find(|c: char| !is_name(c))
            .unwrap_or(text.len() - from);
        // A sentence may end right after the name: "… to output/x.md."
        let name = text[from..from + name_len].trim_end_matches('.');
        if (name.ends_with(".md") || name.ends_with(".json"))
            && !name.starts_with('.')
            && name.len() > ".md".len()
        {
            return Some(format!("{MARK}{name}"));
        }
    }
    None
}

/// The CLI's working directory, from "Primary working directory: <cwd>" anywhere in the
/// system prompt or the messages.
pub fn working_directory(request: &Value) -> Option<String> {
    const MARK: &str = "Primary working directory: ";
    let mut texts = vec![flatten_text(&request["system"])];
    for message in request["messages"].as_array().into_iter().flatten() {
        texts.push(flatten_text(&message["content"]));
    }
    texts.iter().find_map(|text| {
        let start = text.find(MARK)? + MARK.len();
        let line = text[start..].lines().next()?.trim();
        line.starts_with('/').then(|| line.to_owned())
    })
}

/// The relative path the earlier `tool_use` (id `tool_use_id`) wrote, for the final answer.
fn written_path(messages: &[Value], tool_use_id: Option<&str>) -> Option<String> {
    let input = messages
        .iter()
        .rev()
        .filter(|m| m["role"] == "assistant")
        .flat_map(|m| blocks(&m["content"]))
        .find(|b| b["type"] == "tool_use" && b["id"].as_str() == tool_use_id)
        .map(|b| &b["input"])?;
    let path = input["file_path"].as_str()?;
    Some(match path.rfind("/output/") {
        Some(at) => path[at + 1..].to_owned(),
        None => path.to_owned(),
    })
}

/// The scripted file: a Markdown document starting with `# <title>`, or a brand-data JSON
/// object, depending on the extension.
pub fn file_content(output: &str, prompt: &str) -> String {
    let title = title(output, prompt);
    if output.ends_with(".json") {
        let value = json!({
            "brandInfo": {
                "companyName": title,
                "tagline": "Baked fresh every morning.",
                "industry": "Food and drink",
            },
            "targetAudience": {
                "primary": "Home bakers",
                "painPoints": ["Dense loaves", "No time"],
            },
            "writingGuidelines": {
                "tone": "Warm and practical",
                "avoid": ["Jargon"],
            },
            "generatedBy": "mock-anthropic",
        });
        let mut text = serde_json::to_string_pretty(&value).expect("a JSON value serializes");
        text.push('\n');
        text
    } else {
        format!(
            "# {title}\n\n\
             Generated by mock-anthropic for `{output}`.\n\n\
             ## Outline\n\n\
             1. Why it matters\n\
             2. How to do it, step by step\n\
             3. Common mistakes\n\n\
             ## Notes\n\n\
             - Keep paragraphs short.\n"
        )
    }
}

/// The document's title: the prompt's first `# ` heading after any "…: " or "… for "
/// lead-in ("# Content brief: Bread 101" → "Bread 101", "# Brand data for Acme" → "Acme");
/// without a usable heading, the file name in title case ("bread-101.md" → "Bread 101").
pub fn title(output: &str, prompt: &str) -> String {
    let heading = prompt
        .lines()
        .find_map(|l| l.trim().strip_prefix("# "))
        .map(str::trim);
    let from_heading = heading.and_then(|h| {
        h.split_once(": ")
            .map(|(_, rest)| rest)
            .or_else(|| h.split_once(" for ").map(|(_, rest)| rest))
            .map(str::trim)
            .filter(|t| !t.is_empty())
    });
    if let Some(t) = from_heading {
        return t.to_owned();
    }
    let stem = output
        .rsplit('/')
        .next()
        .unwrap_or(output)
        .rsplit_once('.')
        .map_or(output, |(stem, _)| stem);
    stem.split(['-', '_', '.'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_uppercase().chain(chars).collect::<String>()
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests;
