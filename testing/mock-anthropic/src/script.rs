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
//!
//! A prompt carrying `mock-anthropic:steps=<Tool>:<path>,…` (see [`STEPS_MARK`] and the
//! `steps` module) first calls those tools, one per turn, as a prompt-injected model would;
//! which step is due is the number of `tool_use` blocks already in the conversation. The
//! `Write` of step 1 above comes after them, its document ending with what the steps got.

use serde_json::{Value, json};

mod steps;
pub use steps::{
    Exchange, INJECTED_CONTENT, STEPS_MARK, Step, StepTool, collected_section, exchanges,
    prompt_steps, step_reply, step_text,
};

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
    if let Some(error) = scenario_error(scenario) {
        return Answer::Error(error);
    }
    let steps = prompt_steps(&prompt);
    let done = exchanges(messages);
    // The output Write (the turn after the steps) has been answered: finish.
    if let Some(last) = done.last().filter(|_| done.len() > steps.len()) {
        let text = final_text(last);
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
    let cwd = working_directory(request).or_else(|| fallback_cwd.map(str::to_owned));
    if scenario != Scenario::TextOnly && done.len() < steps.len() {
        return step_reply(&steps, &done, cwd.as_deref(), tool_id());
    }
    output_write(scenario, &prompt, cwd, &done, tool_id)
}

/// The error answer of the scenarios that fail every request.
fn scenario_error(scenario: Scenario) -> Option<ApiError> {
    match scenario {
        Scenario::Overloaded => Some(ApiError {
            status: 529,
            kind: "overloaded_error",
            message: "Overloaded".into(),
        }),
        Scenario::Unauthorized => Some(ApiError {
            status: 401,
            kind: "authentication_error",
            message: "invalid x-api-key".into(),
        }),
        Scenario::Write | Scenario::TextOnly => None,
    }
}

/// The `Write` of the output file the prompt names into `cwd` (with what earlier steps got),
/// or the text saying why not.
fn output_write(
    scenario: Scenario,
    prompt: &str,
    cwd: Option<String>,
    done: &[Exchange],
    tool_id: impl FnOnce() -> String,
) -> Answer {
    let Some(output) = find_output_path(prompt) else {
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
    let Some(cwd) = cwd else {
        return text_reply(
            "I can't tell the working directory (no \"Primary working directory\" in the request).",
            "no working directory",
        );
    };
    let file_path = format!("{}/{output}", cwd.trim_end_matches('/'));
    let mut content = file_content(&output, prompt);
    if !done.is_empty() {
        content.push_str(&collected_section(done));
    }
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

/// The last answer: "Created output/<name>." after the output Write, or what failed.
fn final_text(last: &Exchange) -> String {
    if last.is_error {
        let why = last.result.as_deref().unwrap_or("").trim();
        return format!("The {} tool failed: {why}", last.name);
    }
    match last.input["file_path"]
        .as_str()
        .filter(|_| last.name == "Write")
    {
        Some(path) => match path.rfind("/output/") {
            Some(at) => format!("Created {}.", &path[at + 1..]),
            None => format!("Created {path}."),
        },
        None => "Done.".to_owned(),
    }
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
