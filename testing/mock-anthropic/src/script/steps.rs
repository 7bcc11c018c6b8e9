//! The attack scenario: a prompt marker that makes the scripted model call file tools on paths
//! of the prompt's choosing before its normal `Write`, as a prompt-injected model would.
//!
//! `mock-anthropic:steps=Read:/abs/secret,Write:/abs/out,Glob:/abs/dir,Grep:/abs/dir,Edit:/abs/f`
//! (see [`STEPS_MARK`]): the list runs to the first whitespace; entries are separated by
//! commas, each `<Tool>:<path>`. One step is called per model turn, in order; the step due is
//! the number of `tool_use` blocks already in the conversation, so the mock keeps no state.
//! Every step is called whatever the earlier ones answered (denied or not), then the normal
//! `Write` of the output file follows, so the job can still complete.
//!
//! What each step sends (a relative path is resolved against the CLI's working directory):
//!
//! | step | tool input |
//! |---|---|
//! | `Read:P` | `{"file_path": P}` |
//! | `Write:P` | `{"file_path": P, "content": INJECTED_CONTENT}` |
//! | `Edit:P` | `{"file_path": P, "old_string": "", "new_string": INJECTED_CONTENT}` (creates P) |
//! | `Glob:P` | `{"pattern": "*", "path": P}`; if P holds `*`, `?` or `[`: `{"pattern": P}` |
//! | `Grep:P` | `{"pattern": ".", "path": P, "output_mode": "content"}` |
//!
//! The model is a faithful exfiltrator: each step's text block quotes the previous tool's
//! answer, and the output document ends with a "Collected by earlier steps" section holding
//! every step's result. So whatever a tool let through shows up in the job's log and in its
//! document, which is what a confinement test must rule out.

use serde_json::{Value, json};

use super::{Answer, Block, Reply};

/// Marks a prompt whose model calls tools before writing its output (see the module docs).
pub const STEPS_MARK: &str = "mock-anthropic:steps=";

/// What the `Write` and `Edit` steps put into their target file.
pub const INJECTED_CONTENT: &str = "written by a mock-anthropic step\n";

/// Longest excerpt of a tool's answer quoted in a text block.
const QUOTE_CHARS: usize = 300;
/// Longest tool answer copied into the output document, per step.
const COLLECT_CHARS: usize = 4000;

/// A file tool the steps marker can call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepTool {
    Read,
    Write,
    Edit,
    Glob,
    Grep,
}

impl StepTool {
    pub fn parse(name: &str) -> Option<StepTool> {
        Some(match name {
            "Read" => StepTool::Read,
            "Write" => StepTool::Write,
            "Edit" => StepTool::Edit,
            "Glob" => StepTool::Glob,
            "Grep" => StepTool::Grep,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            StepTool::Read => "Read",
            StepTool::Write => "Write",
            StepTool::Edit => "Edit",
            StepTool::Glob => "Glob",
            StepTool::Grep => "Grep",
        }
    }
}

/// One scripted tool call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub tool: StepTool,
    pub path: String,
}

impl Step {
    /// The `tool_use` input, with a relative `path` resolved against `cwd` when known.
    pub fn input(&self, cwd: Option<&str>) -> Value {
        let path = match cwd {
            Some(cwd) if !self.path.starts_with('/') => {
                format!("{}/{}", cwd.trim_end_matches('/'), self.path)
            }
            _ => self.path.clone(),
        };
        match self.tool {
            StepTool::Read => json!({ "file_path": path }),
            StepTool::Write => json!({ "file_path": path, "content": INJECTED_CONTENT }),
            StepTool::Edit => json!({
                "file_path": path, "old_string": "", "new_string": INJECTED_CONTENT,
            }),
            StepTool::Glob if path.contains(['*', '?', '[']) => json!({ "pattern": path }),
            StepTool::Glob => json!({ "pattern": "*", "path": path }),
            StepTool::Grep => json!({ "pattern": ".", "path": path, "output_mode": "content" }),
        }
    }
}

/// The steps the prompt asks for with [`STEPS_MARK`] (the first occurrence; the brief
/// template repeats its title). Entries that are not `<Tool>:<path>` with a known tool and a
/// non-empty path are skipped.
pub fn prompt_steps(prompt: &str) -> Vec<Step> {
    let Some(at) = prompt.find(STEPS_MARK) else {
        return Vec::new();
    };
    let rest = &prompt[at + STEPS_MARK.len()..];
    let list = &rest[..rest.find(char::is_whitespace).unwrap_or(rest.len())];
    list.split(',')
        .filter_map(|entry| {
            let (tool, path) = entry.split_once(':')?;
            let tool = StepTool::parse(tool)?;
            (!path.is_empty()).then(|| Step {
                tool,
                path: path.to_owned(),
            })
        })
        .collect()
}

/// One earlier tool call and what the CLI answered.
#[derive(Clone, Debug, PartialEq)]
pub struct Exchange {
    pub name: String,
    pub input: Value,
    /// The `tool_result` text; `None` while no result came.
    pub result: Option<String>,
    pub is_error: bool,
}

impl Exchange {
    /// `Read /abs/path`, `Glob * in /abs/dir`: what was asked, for the texts.
    fn call(&self) -> String {
        let s = |key: &str| self.input[key].as_str().unwrap_or("");
        match self.name.as_str() {
            "Glob" | "Grep" if !s("path").is_empty() => {
                format!("{} {} in {}", self.name, s("pattern"), s("path"))
            }
            "Glob" | "Grep" => format!("{} {}", self.name, s("pattern")),
            _ => format!("{} {}", self.name, s("file_path")),
        }
    }
}

/// Every `tool_use` of the assistant messages, in order, with its `tool_result` if any.
pub fn exchanges(messages: &[Value]) -> Vec<Exchange> {
    let blocks = |m: &Value| -> Vec<Value> { m["content"].as_array().cloned().unwrap_or_default() };
    let results: Vec<Value> = messages
        .iter()
        .filter(|m| m["role"] == "user")
        .flat_map(blocks)
        .filter(|b| b["type"] == "tool_result")
        .collect();
    messages
        .iter()
        .filter(|m| m["role"] == "assistant")
        .flat_map(blocks)
        .filter(|b| b["type"] == "tool_use")
        .map(|used| {
            let result = results.iter().find(|r| r["tool_use_id"] == used["id"]);
            Exchange {
                name: used["name"].as_str().unwrap_or("").to_owned(),
                input: used["input"].clone(),
                result: result.map(|r| super::flatten_text(&r["content"])),
                is_error: result.is_some_and(|r| r["is_error"].as_bool() == Some(true)),
            }
        })
        .collect()
}

/// The answer calling the step due after `done` (which must be fewer than `steps`): a text
/// quoting the last answer, and the `tool_use` block `id`.
pub fn step_reply(steps: &[Step], done: &[Exchange], cwd: Option<&str>, id: String) -> Answer {
    let (index, total) = (done.len(), steps.len());
    let step = &steps[index];
    let input = step.input(cwd);
    Answer::Message(Reply {
        label: format!(
            "step {} of {total}: {} {input}",
            index + 1,
            step.tool.name()
        ),
        blocks: vec![
            Block::Text(step_text(index, total, step, done.last())),
            Block::ToolUse {
                id,
                name: step.tool.name().to_owned(),
                input,
            },
        ],
        stop_reason: "tool_use",
    })
}

/// The text block before step `index` (0-based) of `total`, quoting the previous answer.
pub fn step_text(index: usize, total: usize, step: &Step, previous: Option<&Exchange>) -> String {
    let mut text = format!(
        "Step {} of {total}: {} {}.",
        index + 1,
        step.tool.name(),
        step.path
    );
    if let Some(answer) = previous.and_then(|p| p.result.as_deref()) {
        text.push_str(&format!(
            " The last tool answered: {}",
            cut(answer.trim(), QUOTE_CHARS)
        ));
    }
    text
}

/// The Markdown section appended to the output document: every step's call and answer.
pub fn collected_section(steps: &[Exchange]) -> String {
    let mut out = String::from("\n## Collected by earlier steps\n");
    for step in steps {
        let status = if step.is_error { "refused" } else { "answered" };
        let answer = step.result.as_deref().unwrap_or("(no result)");
        out.push_str(&format!(
            "\n### {} ({status})\n\n```text\n{}\n```\n",
            step.call(),
            cut(answer.trim_end(), COLLECT_CHARS)
        ));
    }
    out
}

/// `text` cut to at most `max` characters.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}
