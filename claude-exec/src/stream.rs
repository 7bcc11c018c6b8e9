//! stream-json → readable log lines, plus the facts the outcome needs (result, API error,
//! retries, permission denials, rate limit).
//!
//! Every stdout line is parsed into a `serde_json::Value` and dispatched on `type`/`subtype`;
//! unknown kinds are skipped silently, because the schema keeps growing (G9). Non-JSON stdout
//! lines are logged as they are.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::describe::{self, MAX_LOG_TEXT, clip};

pub use protocol::{LogKind, LogStream};

/// One human-readable log line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogLine {
    /// Source of the line.
    pub stream: LogStream,
    /// What it is about.
    pub kind: LogKind,
    /// The text, at most about 8 KiB.
    pub text: String,
}

impl LogLine {
    pub fn new(stream: LogStream, kind: LogKind, text: impl Into<String>) -> Self {
        LogLine {
            stream,
            kind,
            text: text.into(),
        }
    }
}

fn out(kind: LogKind, text: impl Into<String>) -> LogLine {
    let text = text.into();
    // Most lines are short: keep the string as it is rather than copy it.
    let text = if text.len() <= MAX_LOG_TEXT {
        text
    } else {
        clip(&text, MAX_LOG_TEXT)
    };
    LogLine::new(LogStream::Stdout, kind, text)
}

/// An API error the CLI reported through its synthetic assistant message.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApiError {
    /// `SDKAssistantMessageError`, e.g. `authentication_failed`, `server_error`.
    pub error: String,
    pub status: Option<u64>,
    pub text: String,
}

/// A rejected rate limit (`rate_limit_event` with `status:"rejected"`).
#[derive(Clone, Debug, PartialEq)]
pub struct RateLimit {
    pub limit_type: String,
    pub resets_at: Option<i64>,
}

/// State built from the stream of one run.
#[derive(Debug, Default)]
pub struct Transcript {
    workdir: PathBuf,
    /// tool_use_id → description of the call, to label its result.
    tools: HashMap<String, String>,
    /// The `result` line, once seen.
    pub result: Option<Value>,
    pub api_error: Option<ApiError>,
    /// Number of `api_retry` lines and the last one's `error` and status.
    pub retries: u32,
    pub last_retry: Option<(String, Option<u64>)>,
    /// Permission denials, as "Write brief.md: message".
    pub denials: Vec<String>,
    /// `tool_use_id`s of the denials already logged, so the result's `permission_denials` list
    /// adds only those the stream did not announce.
    denied_ids: std::collections::HashSet<String>,
    pub rate_limit: Option<RateLimit>,
    /// Delay announced by the last `api_retry` line, not yet consumed by the idle watchdog.
    pending_retry_delay: Option<Duration>,
    /// Last few stderr lines, for failure messages.
    pub stderr_tail: VecDeque<String>,
}

const STDERR_TAIL: usize = 5;

impl Transcript {
    pub fn new(workdir: PathBuf) -> Self {
        Transcript {
            workdir,
            ..Transcript::default()
        }
    }

    /// The retry delay just announced, if any (for the idle watchdog).
    pub fn take_retry_delay(&mut self) -> Option<Duration> {
        self.pending_retry_delay.take()
    }

    /// One stderr line → one log line.
    pub fn stderr_line(&mut self, bytes: &[u8]) -> LogLine {
        let text = String::from_utf8_lossy(bytes).into_owned();
        if self.stderr_tail.len() == STDERR_TAIL {
            self.stderr_tail.pop_front();
        }
        self.stderr_tail.push_back(clip(&text, 500));
        let lower = text.trim_start().to_ascii_lowercase();
        let kind = if lower.starts_with("error") {
            LogKind::Error
        } else {
            LogKind::Stderr
        };
        LogLine::new(LogStream::Stderr, kind, clip(&text, MAX_LOG_TEXT))
    }

    /// One stdout line → zero or more log lines.
    pub fn stdout_line(&mut self, bytes: &[u8]) -> Vec<LogLine> {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(v) if v.is_object() => self.event(&v),
            _ => {
                let text = String::from_utf8_lossy(bytes);
                if text.trim().is_empty() {
                    Vec::new()
                } else {
                    vec![out(LogKind::Info, text)]
                }
            }
        }
    }

    fn event(&mut self, v: &Value) -> Vec<LogLine> {
        let subtype = v["subtype"].as_str().unwrap_or("");
        match (v["type"].as_str().unwrap_or(""), subtype) {
            ("system", "init") => vec![init_line(v)],
            ("system", "api_retry") => vec![self.api_retry(v)],
            ("system", "permission_denied") => vec![self.permission_denied(v)],
            ("system", "task_started") => vec![out(
                LogKind::Info,
                format!("task started: {}", str_of(v, "description")),
            )],
            ("system", "task_notification") => {
                vec![out(
                    LogKind::Info,
                    format!("task {}: {}", str_of(v, "status"), str_of(v, "description")),
                )]
            }
            ("assistant", _) => self.assistant(v),
            ("user", _) => self.user(v),
            ("rate_limit_event", _) => self.rate_limit(v).into_iter().collect(),
            ("result", _) => {
                self.result = Some(v.clone());
                let mut lines = self.result_denials(v);
                lines.push(out(LogKind::Result, result_summary(v)));
                lines
            }
            _ => Vec::new(),
        }
    }

    fn api_retry(&mut self, v: &Value) -> LogLine {
        self.retries += 1;
        let delay_ms = v["retry_delay_ms"].as_u64().unwrap_or(0);
        self.pending_retry_delay = Some(Duration::from_millis(delay_ms));
        let error = str_of(v, "error").to_string();
        let status = v["error_status"].as_u64();
        self.last_retry = Some((error.clone(), status));
        let status_text = status.map(|s| format!(" ({s})")).unwrap_or_default();
        let attempt = v["attempt"].as_u64().unwrap_or(0);
        let max = v["max_retries"].as_u64().unwrap_or(0);
        out(
            LogKind::Retry,
            format!(
                "API retry {attempt}/{max} in {:.1} s: {error}{status_text}",
                delay_ms as f64 / 1000.0
            ),
        )
    }

    fn permission_denied(&mut self, v: &Value) -> LogLine {
        let call = self
            .tools
            .get(str_of(v, "tool_use_id"))
            .cloned()
            .unwrap_or_else(|| str_of(v, "tool_name").to_string());
        let entry = format!("{call}: {}", str_of(v, "message"));
        self.denials.push(entry.clone());
        self.denied_ids.insert(str_of(v, "tool_use_id").to_string());
        out(LogKind::Denied, format!("permission denied: {entry}"))
    }

    /// Lines for the result's `permission_denials` that no `permission_denied` line announced.
    fn result_denials(&mut self, result: &Value) -> Vec<LogLine> {
        let entries = result["permission_denials"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut lines = Vec::new();
        for entry in entries {
            let id = str_of(entry, "tool_use_id");
            if !id.is_empty() && !self.denied_ids.insert(id.to_string()) {
                continue;
            }
            let call = describe::tool_call(
                str_of(entry, "tool_name"),
                &entry["tool_input"],
                &self.workdir,
            );
            self.denials.push(call.clone());
            lines.push(out(LogKind::Denied, format!("permission denied: {call}")));
        }
        lines
    }

    fn rate_limit(&mut self, v: &Value) -> Option<LogLine> {
        let info = &v["rate_limit_info"];
        let limit_type = str_of(info, "rateLimitType").to_string();
        let resets_at = info["resetsAt"].as_i64();
        let resets = resets_at
            .map(|t| format!(", resets at {}", describe::utc_time(t)))
            .unwrap_or_default();
        match str_of(info, "status") {
            "rejected" => {
                self.rate_limit = Some(RateLimit {
                    limit_type: limit_type.clone(),
                    resets_at,
                });
                Some(out(
                    LogKind::Error,
                    format!("rate limit reached ({limit_type}){resets}"),
                ))
            }
            "allowed_warning" => Some(out(
                LogKind::Info,
                format!("rate limit warning ({limit_type}){resets}"),
            )),
            _ => None,
        }
    }

    fn assistant(&mut self, v: &Value) -> Vec<LogLine> {
        // Borrowed: a Write's input holds the whole file.
        let blocks = v["message"]["content"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let synthetic = v["is_api_error_message"] == true || v["message"]["model"] == "<synthetic>";
        if synthetic {
            let text = blocks
                .iter()
                .map(|b| str_of(b, "text"))
                .collect::<Vec<_>>()
                .join("\n");
            self.api_error = Some(ApiError {
                error: str_of(v, "error").to_string(),
                status: v["api_error_status"].as_u64(),
                text: text.clone(),
            });
            // The limit travels with the error too: a stream that lost its
            // `rate_limit_event` still knows when the limit resets.
            let info = &v["api_error_params"]["rate_limit_info"];
            if self.rate_limit.is_none() && str_of(info, "status") == "rejected" {
                self.rate_limit = Some(RateLimit {
                    limit_type: str_of(info, "rateLimitType").to_string(),
                    resets_at: info["resetsAt"].as_i64(),
                });
            }
            return vec![out(LogKind::Error, text)];
        }
        blocks
            .iter()
            .filter_map(|b| self.assistant_block(b))
            .collect()
    }

    fn assistant_block(&mut self, block: &Value) -> Option<LogLine> {
        match str_of(block, "type") {
            "text" => Some(out(LogKind::Text, str_of(block, "text"))),
            "thinking" => Some(out(
                LogKind::Info,
                format!("thinking: {}", clip(str_of(block, "thinking"), 300)),
            )),
            "tool_use" => {
                let call =
                    describe::tool_call(str_of(block, "name"), &block["input"], &self.workdir);
                self.tools
                    .insert(str_of(block, "id").to_string(), call.clone());
                Some(out(LogKind::ToolCall, call))
            }
            _ => None,
        }
    }

    fn user(&mut self, v: &Value) -> Vec<LogLine> {
        // Borrowed: a tool result holds a whole Read output.
        let blocks = match &v["message"]["content"] {
            Value::Array(blocks) => blocks.as_slice(),
            Value::String(s) => return vec![out(LogKind::Info, s.as_str())],
            _ => &[],
        };
        blocks
            .iter()
            .filter_map(|b| match str_of(b, "type") {
                "tool_result" => Some(self.tool_result(b)),
                "text" => Some(out(LogKind::Info, str_of(b, "text"))),
                _ => None,
            })
            .collect()
    }

    fn tool_result(&self, block: &Value) -> LogLine {
        let call = self
            .tools
            .get(str_of(block, "tool_use_id"))
            .map(String::as_str)
            .unwrap_or("tool");
        if block["is_error"] == true {
            let error = describe::content_text(&block["content"]);
            out(
                LogKind::ToolError,
                format!("✗ {call}: {}", clip(&error, 1000)),
            )
        } else {
            out(LogKind::ToolOk, format!("✓ {call}"))
        }
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn init_line(v: &Value) -> LogLine {
    out(
        LogKind::Info,
        format!(
            "claude {} started: model {}, permission mode {}, cwd {}",
            str_of(v, "claude_code_version"),
            str_of(v, "model"),
            str_of(v, "permissionMode"),
            str_of(v, "cwd")
        ),
    )
}

/// `finished: success · 2 turns · $0.0085 · 2400 in / 84 out tokens · 0.6 s`.
fn result_summary(v: &Value) -> String {
    let status = if v["is_error"] == true {
        let reason = v["terminal_reason"]
            .as_str()
            .unwrap_or_else(|| str_of(v, "subtype"));
        format!("error ({reason}, {})", str_of(v, "subtype"))
    } else {
        str_of(v, "subtype").to_string()
    };
    let turns = v["num_turns"].as_u64().unwrap_or(0);
    format!(
        "finished: {status} · {turns} turn{} · ${:.4} · {} in / {} out tokens · {}",
        if turns == 1 { "" } else { "s" },
        v["total_cost_usd"].as_f64().unwrap_or(0.0),
        v["usage"]["input_tokens"].as_u64().unwrap_or(0),
        v["usage"]["output_tokens"].as_u64().unwrap_or(0),
        describe::human_duration(Duration::from_millis(
            v["duration_ms"].as_u64().unwrap_or(0)
        )),
    )
}

#[cfg(test)]
#[path = "stream_tests.rs"]
pub(crate) mod tests;
