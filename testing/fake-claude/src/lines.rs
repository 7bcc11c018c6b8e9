//! Builders for every stream-json line the fake emits, with the field sets of the real 2.1.332
//! transcripts (see `claude-cli.md` §2 and §6).

use serde_json::{Value, json};

use crate::files::Denial;
use crate::line::Line;

pub const VERSION: &str = "2.1.332";
pub const DEFAULT_MODEL: &str = "claude-sonnet-4-5";
pub const COST_USD: f64 = 0.00846;

/// What stays the same across all lines of one run.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub session_id: String,
    pub model: String,
    pub cwd: String,
    pub permission_mode: String,
    pub api_key_source: &'static str,
}

pub fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `msg_fake` plus 16 hex digits.
pub fn new_message_id() -> String {
    format!(
        "msg_fake{}",
        &uuid::Uuid::new_v4().simple().to_string()[..16]
    )
}

/// `toolu_fake` plus 14 hex digits.
pub fn new_tool_id() -> String {
    format!(
        "toolu_fake{}",
        &uuid::Uuid::new_v4().simple().to_string()[..14]
    )
}

/// Current time as `2026-11-29T04:23:39.618Z`.
pub fn timestamp() -> String {
    timestamp_at(std::time::SystemTime::now())
}

/// `at` as `2026-11-29T04:23:39.618Z` (UTC, milliseconds).
pub fn timestamp_at(at: std::time::SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(at)
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn message_usage() -> Value {
    json!({"input_tokens":1200,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1})
}

pub fn init(ctx: &Ctx) -> Line {
    Line::of_type("system")
        .with("subtype", "init")
        .with("cwd", ctx.cwd.clone())
        .with("session_id", ctx.session_id.clone())
        .with("tools", json!(["Task", "Bash", "Edit", "Read", "Write"]))
        .with("mcp_servers", json!([]))
        .with("model", ctx.model.clone())
        .with("permissionMode", ctx.permission_mode.clone())
        .with("slash_commands", json!([]))
        .with("apiKeySource", ctx.api_key_source)
        .with("claude_code_version", VERSION)
        .with("output_style", "default")
        .with("agents", json!([]))
        .with("skills", json!([]))
        .with("plugins", json!([]))
        .with("uuid", new_uuid())
}

/// An `assistant` line carrying one content block.
pub fn assistant(ctx: &Ctx, message_id: &str, block: Value) -> Line {
    let message = json!({
        "id": message_id, "type": "message", "role": "assistant", "model": ctx.model,
        "content": [block], "stop_reason": null, "stop_sequence": null,
        "usage": message_usage(), "context_management": null,
    });
    Line::of_type("assistant")
        .with("message", message)
        .with("parent_tool_use_id", Value::Null)
        .with("session_id", ctx.session_id.clone())
        .with("uuid", new_uuid())
        .with("timestamp", timestamp())
        .with("request_id", "req_fake")
}

pub fn text_block(text: &str) -> Value {
    json!({"type": "text", "text": text})
}

pub fn write_block(tool_id: &str, abs_path: &str, content: &str) -> Value {
    json!({"type": "tool_use", "id": tool_id, "name": "Write", "input": {"file_path": abs_path, "content": content}})
}

/// What an API failure looks like on the wire: the synthetic assistant message.
pub struct ApiFailure {
    pub text: String,
    /// `SDKAssistantMessageError`, e.g. `server_error`.
    pub error: &'static str,
    pub status: Option<u16>,
    pub error_type: Option<&'static str>,
    /// Extra `api_error` field, e.g. `usage_limit_reached`.
    pub api_error: Option<&'static str>,
    /// `api_error_params` of the synthetic message (a usage limit's `rate_limit_info`).
    pub params: Option<Value>,
}

pub fn synthetic_error(ctx: &Ctx, failure: &ApiFailure) -> Line {
    let message = json!({
        "id": new_uuid(), "model": "<synthetic>", "role": "assistant", "stop_reason": "stop_sequence",
        "stop_sequence": "", "type": "message",
        "usage": {"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
        "content": [text_block(&failure.text)], "context_management": null,
    });
    Line::of_type("assistant")
        .with("message", message)
        .with("parent_tool_use_id", Value::Null)
        .with("session_id", ctx.session_id.clone())
        .with("uuid", new_uuid())
        .with("timestamp", timestamp())
        .with("error", failure.error)
        .with("request_id", "req_fake")
        .with("is_api_error_message", true)
        .with_opt("api_error_status", failure.status)
        .with_opt("api_error", failure.api_error)
        .with_opt("api_error_params", failure.params.clone())
        .with_opt("api_error_type", failure.error_type)
}

pub fn write_ok(
    ctx: &Ctx,
    tool_id: &str,
    abs_path: &str,
    content: &str,
    original: Option<String>,
) -> Line {
    let (kind, text) = match original {
        None => (
            "create",
            format!(
                "File created successfully at: {abs_path} (file state is current in your context — no need to Read it back)"
            ),
        ),
        Some(_) => (
            "update",
            format!(
                "The file {abs_path} has been updated successfully. (file state is current in your context — no need to Read it back)"
            ),
        ),
    };
    let result = json!({"type": kind, "filePath": abs_path, "content": content, "structuredPatch": [], "originalFile": original, "userModified": false});
    user_tool_result(
        ctx,
        json!([{"tool_use_id": tool_id, "type": "tool_result", "content": text}]),
    )
    .with("tool_use_result", result)
}

/// `system/permission_denied`, keys in the real CLI's order (`decision_reason_type` and
/// `decision_reason` only when the CLI gives them).
pub fn permission_denied(ctx: &Ctx, tool_id: &str, denial: &Denial) -> Line {
    Line::of_type("system")
        .with("subtype", "permission_denied")
        .with("tool_name", "Write")
        .with("tool_use_id", tool_id)
        .with_opt("decision_reason_type", denial.reason_type)
        .with_opt("decision_reason", denial.reason)
        .with("message", denial.message.clone())
        .with("uuid", new_uuid())
        .with("session_id", ctx.session_id.clone())
}

pub fn write_denied(ctx: &Ctx, tool_id: &str, denial: &Denial) -> Line {
    let msg = &denial.message;
    let content =
        json!([{"type": "tool_result", "content": msg, "is_error": true, "tool_use_id": tool_id}]);
    user_tool_result(ctx, content).with("tool_use_result", format!("Error: {msg}"))
}

fn user_tool_result(ctx: &Ctx, content: Value) -> Line {
    Line::of_type("user")
        .with("message", json!({"role": "user", "content": content}))
        .with("parent_tool_use_id", Value::Null)
        .with("session_id", ctx.session_id.clone())
        .with("uuid", new_uuid())
        .with("timestamp", timestamp())
}

pub fn interrupted(ctx: &Ctx) -> Line {
    user_tool_result(
        ctx,
        json!([{"type": "text", "text": "[Request interrupted by user]"}]),
    )
}

pub fn api_retry(
    ctx: &Ctx,
    attempt: u32,
    max: u32,
    delay_ms: u64,
    status: u16,
    error: &str,
) -> Line {
    Line::of_type("system")
        .with("subtype", "api_retry")
        .with("attempt", attempt)
        .with("max_retries", max)
        .with("retry_delay_ms", delay_ms)
        .with("error_status", status)
        .with("error", error)
        .with("session_id", ctx.session_id.clone())
        .with("uuid", new_uuid())
}

/// The `rate_limit_info` object of the 5-hour limit, as the real CLI writes it.
pub fn rate_limit_info(status: &str, resets_at: u64) -> Value {
    json!({"status": status, "resetsAt": resets_at, "rateLimitType": "five_hour", "isUsingOverage": false})
}

pub fn rate_limit_event(ctx: &Ctx, status: &str, resets_at: u64) -> Line {
    Line::of_type("rate_limit_event")
        .with("rate_limit_info", rate_limit_info(status, resets_at))
        .with("uuid", new_uuid())
        .with("session_id", ctx.session_id.clone())
}

pub fn status_requesting(ctx: &Ctx) -> Line {
    Line::of_type("system")
        .with("subtype", "status")
        .with("status", "requesting")
        .with("session_id", ctx.session_id.clone())
        .with("uuid", new_uuid())
}

pub fn stream_event(ctx: &Ctx, message_id: &str, event: Value) -> Line {
    Line::of_type("stream_event")
        .with("event", event)
        .with("session_id", ctx.session_id.clone())
        .with("parent_tool_use_id", Value::Null)
        .with("uuid", new_uuid())
        .with("api_message_id", message_id)
}

/// The parts of a `result` line that differ between scenarios.
#[derive(Clone, Debug)]
pub struct ResultFields {
    pub subtype: &'static str,
    pub is_error: bool,
    pub num_turns: u32,
    /// The `result` text; `None` leaves the key out (error subtypes).
    pub result: Option<String>,
    pub stop_reason: Option<&'static str>,
    pub terminal_reason: &'static str,
    pub errors: Option<Vec<String>>,
    pub cost_usd: f64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_input_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub duration_ms: u64,
    pub api_error_status: Option<u16>,
    pub api_error_type: Option<&'static str>,
    pub api_error: Option<&'static str>,
    pub permission_denials: Vec<Value>,
}

impl ResultFields {
    /// A successful two-turn run.
    pub fn success(text: String) -> Self {
        ResultFields {
            subtype: "success",
            is_error: false,
            num_turns: 2,
            result: Some(text),
            stop_reason: Some("end_turn"),
            terminal_reason: "completed",
            errors: None,
            cost_usd: COST_USD,
            input_tokens: 2400,
            output_tokens: 84,
            cache_read_input_tokens: 0,
            cache_creation_input_tokens: 0,
            duration_ms: 1234,
            api_error_status: None,
            api_error_type: None,
            api_error: None,
            permission_denials: Vec::new(),
        }
    }

    /// These figures with the ones `spend` sets in their place.
    pub fn spending(self, spend: &crate::knobs::Spend) -> Self {
        ResultFields {
            cost_usd: spend.cost_usd.unwrap_or(self.cost_usd),
            input_tokens: spend.input_tokens.unwrap_or(self.input_tokens),
            output_tokens: spend.output_tokens.unwrap_or(self.output_tokens),
            cache_read_input_tokens: spend
                .cache_read_input_tokens
                .unwrap_or(self.cache_read_input_tokens),
            cache_creation_input_tokens: spend
                .cache_creation_input_tokens
                .unwrap_or(self.cache_creation_input_tokens),
            duration_ms: spend.duration_ms.unwrap_or(self.duration_ms),
            ..self
        }
    }

    /// An API failure reported as `subtype:"success"` with `is_error:true`, no spend.
    pub fn api_failure(failure: &ApiFailure) -> Self {
        ResultFields {
            is_error: true,
            num_turns: 1,
            stop_reason: Some("stop_sequence"),
            terminal_reason: "api_error",
            cost_usd: 0.0,
            input_tokens: 0,
            output_tokens: 0,
            api_error_status: failure.status,
            api_error_type: failure.error_type,
            api_error: failure.api_error,
            ..ResultFields::success(failure.text.clone())
        }
    }
}

/// The real CLI writes a zero cost as `0`, not `0.0`.
fn cost_value(cost: f64) -> Value {
    if cost == 0.0 {
        Value::from(0)
    } else {
        Value::from(cost)
    }
}

pub fn result(ctx: &Ctx, f: &ResultFields) -> Line {
    let usage = json!({"input_tokens": f.input_tokens, "cache_creation_input_tokens": f.cache_creation_input_tokens, "cache_read_input_tokens": f.cache_read_input_tokens, "output_tokens": f.output_tokens,
        "server_tool_use": {"web_search_requests": 0, "web_fetch_requests": 0}, "service_tier": "standard",
        "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": 0}});
    let mut model_usage = serde_json::Map::new();
    if f.input_tokens > 0 {
        model_usage.insert(ctx.model.clone(), json!({"inputTokens": f.input_tokens, "outputTokens": f.output_tokens, "cacheReadInputTokens": f.cache_read_input_tokens,
            "cacheCreationInputTokens": f.cache_creation_input_tokens, "webSearchRequests": 0, "costUSD": f.cost_usd, "contextWindow": 200000, "maxOutputTokens": 32000}));
    }
    Line::of_type("result")
        .with("subtype", f.subtype)
        .with("is_error", f.is_error)
        .with("duration_ms", f.duration_ms)
        .with("duration_api_ms", f.duration_ms.saturating_sub(234))
        .with("num_turns", f.num_turns)
        .with_opt("result", f.result.clone())
        .with("stop_reason", f.stop_reason)
        .with("session_id", ctx.session_id.clone())
        .with("total_cost_usd", cost_value(f.cost_usd))
        .with("usage", usage)
        .with("modelUsage", model_usage)
        .with("permission_denials", f.permission_denials.clone())
        .with("terminal_reason", f.terminal_reason)
        // The real CLI writes `api_error_status` (null when fine) on success-subtype results only.
        .with_opt(
            "api_error_status",
            (f.subtype == "success").then_some(f.api_error_status),
        )
        .with_opt("api_error_type", f.api_error_type)
        .with_opt("api_error", f.api_error)
        .with_opt("errors", f.errors.clone())
        .with("uuid", new_uuid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_with_milliseconds() {
        use std::time::{Duration, UNIX_EPOCH};
        assert_eq!(timestamp_at(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let day = Duration::from_secs(86_400);
        assert_eq!(
            timestamp_at(UNIX_EPOCH + day * 20_513 + Duration::from_millis(3_723_618)),
            "2026-03-01T01:02:03.618Z"
        );
        assert_eq!(timestamp_at(UNIX_EPOCH - day), "1969-12-31T00:00:00.000Z");
    }

    #[test]
    fn ids_have_the_real_shapes() {
        assert_eq!(new_message_id().len(), "msg_fake".len() + 16);
        assert!(crate::cli::is_uuid(&new_uuid()));
        assert!(timestamp().ends_with('Z'));
    }
}
