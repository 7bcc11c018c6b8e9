//! Deciding how a run ended and saying it in words a person understands.
//!
//! Success = the CLI exited 0 (or was stopped by us after a clean `result`, G4) AND its
//! `result` line has `is_error:false` AND every expected output exists (`.json` ones holding a
//! JSON object). Failure is decided from the result line first (`is_error`, `subtype`,
//! `terminal_reason`, `api_error*`), not from the exit code alone.

use std::path::Path;
use std::process::ExitStatus;
use std::time::Duration;

use serde_json::Value;

use crate::describe::{human_duration, utc_time};
use crate::files::{OutputError, open_output};
use crate::stream::Transcript;
use std::io::Read as _;

pub use protocol::Usage;

/// The figures of a `result` line.
pub fn usage_from_result(result: &Value) -> Usage {
    let usage = &result["usage"];
    let tools = &usage["server_tool_use"];
    let n = |v: &Value| v.as_u64().unwrap_or(0);
    Usage {
        cost_usd: result["total_cost_usd"].as_f64().unwrap_or(0.0),
        input_tokens: n(&usage["input_tokens"]),
        output_tokens: n(&usage["output_tokens"]),
        cache_read_input_tokens: n(&usage["cache_read_input_tokens"]),
        cache_creation_input_tokens: n(&usage["cache_creation_input_tokens"]),
        web_search_requests: n(&tools["web_search_requests"]),
        web_fetch_requests: n(&tools["web_fetch_requests"]),
        duration_ms: n(&result["duration_ms"]),
        duration_api_ms: n(&result["duration_api_ms"]),
        num_turns: n(&result["num_turns"]),
        permission_denials: result["permission_denials"]
            .as_array()
            .map_or(0, |d| d.len() as u64),
    }
}

/// How one run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum ExecOutcome {
    /// The job did what it should; `outputs` are every file in the output dir (relative paths).
    Succeeded {
        usage: Usage,
        outputs: Vec<String>,
        result_text: String,
    },
    /// It did not; `message` says why. `usage` is there when the CLI reported a result.
    Failed {
        message: String,
        usage: Option<Usage>,
    },
    /// The caller cancelled it.
    Cancelled { usage: Option<Usage> },
    /// The CLI stopped at a usage or rate limit that names when it resets: the job did not
    /// fail, it has to wait. `message` says so in words (`usage limit reached, resets at …`).
    /// A limit that names no reset time is a [`ExecOutcome::Failed`].
    UsageLimited {
        message: String,
        /// When the limit resets, in milliseconds since the Unix epoch.
        resets_at_ms: i64,
        usage: Option<Usage>,
    },
}

impl ExecOutcome {
    /// The usage figures, if the CLI got as far as a result.
    pub fn usage(&self) -> Option<&Usage> {
        match self {
            ExecOutcome::Succeeded { usage, .. } => Some(usage),
            ExecOutcome::Failed { usage, .. }
            | ExecOutcome::Cancelled { usage }
            | ExecOutcome::UsageLimited { usage, .. } => usage.as_ref(),
        }
    }

    pub(crate) fn failed(message: impl Into<String>) -> Self {
        ExecOutcome::Failed {
            message: message.into(),
            usage: None,
        }
    }
}

/// Why the supervision loop stopped.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Ending {
    /// The process exited by itself.
    Exited(ExitStatus),
    /// A clean result was seen, but the process did not exit in time and was killed.
    KilledAfterResult,
    /// Waiting for the process failed; it was stopped and the result line decides.
    WaitFailed,
    Cancelled,
    TimedOut(Duration),
    Idle(Duration),
}

/// Turns what happened into the outcome. `outputs` is the list of files found in the output dir.
pub(crate) fn decide(
    ending: Ending,
    t: &Transcript,
    output_dir: &Path,
    expected: &[String],
    outputs: Vec<String>,
) -> ExecOutcome {
    let usage = t.result.as_ref().map(|result| {
        let mut usage = usage_from_result(result);
        // Denials the stream announced that the result's list does not hold still count.
        usage.permission_denials = usage.permission_denials.max(t.denials.len() as u64);
        usage
    });
    let status = match ending {
        Ending::Cancelled => return ExecOutcome::Cancelled { usage },
        Ending::TimedOut(limit) => {
            return fail(format!("timed out after {}", human_duration(limit)), usage);
        }
        Ending::Idle(limit) => {
            return fail(
                format!("no output for {} (idle watchdog)", human_duration(limit)),
                usage,
            );
        }
        Ending::Exited(status) => Some(status),
        Ending::KilledAfterResult | Ending::WaitFailed => None,
    };
    let Some(result) = &t.result else {
        return fail(no_result_message(status, t), None);
    };
    if result["is_error"] == true {
        let message = result_error_message(result, t);
        return match limit_reset(result, t) {
            Some(resets_at) => ExecOutcome::UsageLimited {
                message,
                resets_at_ms: resets_at.saturating_mul(1000),
                usage,
            },
            None => fail(message, usage),
        };
    }
    if let Some(code) = status.and_then(|s| s.code()).filter(|c| *c != 0) {
        return fail(
            format!("claude exited with code {code} after reporting success"),
            usage,
        );
    }
    if let Err(message) = check_outputs(output_dir, expected, t) {
        return fail(message, usage);
    }
    let result_text = result["result"].as_str().unwrap_or("").to_string();
    ExecOutcome::Succeeded {
        usage: usage.unwrap_or_default(),
        outputs,
        result_text,
    }
}

fn fail(message: String, usage: Option<Usage>) -> ExecOutcome {
    ExecOutcome::Failed { message, usage }
}

fn no_result_message(status: Option<ExitStatus>, t: &Transcript) -> String {
    use std::os::unix::process::ExitStatusExt;
    if let Some(api) = &t.api_error {
        return format!("Claude API error: {}", api.text);
    }
    let base = match status {
        Some(s) if s.code() == Some(0) => "claude exited without a result".to_string(),
        Some(s) if s.code().is_some() => format!(
            "claude exited with code {} without a result",
            s.code().unwrap_or(0)
        ),
        Some(s) => format!(
            "claude was killed by signal {} without a result",
            s.signal().unwrap_or(0)
        ),
        None => "claude ended without a result".to_string(),
    };
    match t.stderr_tail.back() {
        Some(last) => format!("{base}: {last}"),
        None => base,
    }
}

/// The message for a result with `is_error:true`.
fn result_error_message(result: &Value, t: &Transcript) -> String {
    let first_error = result["errors"]
        .get(0)
        .and_then(Value::as_str)
        .unwrap_or("");
    let text = result["result"].as_str().unwrap_or(first_error);
    match result["subtype"].as_str().unwrap_or("") {
        "error_max_turns" => format!(
            "stopped after max turns ({})",
            max_turns(first_error, result)
        ),
        "error_max_budget_usd" => format!("stopped: budget exhausted ({first_error})"),
        "error_during_execution" => format!(
            "claude stopped during execution ({})",
            result["terminal_reason"].as_str().unwrap_or("unknown")
        ),
        "success" => api_error_message(result, t, text),
        other => format!("claude failed ({other}): {first_error}"),
    }
}

/// `N` from "Reached maximum number of turns (N)", else the turn count.
fn max_turns(error: &str, result: &Value) -> String {
    let inner = error
        .rsplit_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'));
    inner
        .map(str::to_string)
        .unwrap_or_else(|| result["num_turns"].as_u64().unwrap_or(0).to_string())
}

/// Whether an error result is a usage or rate limit (the result's `api_error`, or a rejected
/// `rate_limit_event` before it).
fn limit_reached(result: &Value, t: &Transcript) -> bool {
    result["subtype"] == "success"
        && (result["api_error"] == "usage_limit_reached" || t.rate_limit.is_some())
}

/// When the limit an error result reports resets (Unix seconds), if it is one and says.
fn limit_reset(result: &Value, t: &Transcript) -> Option<i64> {
    if !limit_reached(result, t) {
        return None;
    }
    t.rate_limit.as_ref().and_then(|r| r.resets_at)
}

fn api_error_message(result: &Value, t: &Transcript, text: &str) -> String {
    let status = result["api_error_status"]
        .as_u64()
        .or(t.api_error.as_ref().and_then(|a| a.status));
    let error = t.api_error.as_ref().map(|a| a.error.as_str()).unwrap_or("");
    if limit_reached(result, t) {
        return match limit_reset(result, t) {
            Some(at) => format!("usage limit reached, resets at {}", utc_time(at)),
            None => format!("usage limit reached: {text}"),
        };
    }
    if error == "authentication_failed" || status == Some(401) {
        return format!("Claude CLI is not logged in (authentication_failed): {text}");
    }
    if result["terminal_reason"] == "prompt_too_long" {
        return "prompt too long for the model (Claude API error 400)".to_string();
    }
    let Some(status) = status else {
        return format!("Claude reported an error: {text}");
    };
    let name = t
        .last_retry
        .as_ref()
        .map(|(e, _)| e.clone())
        .filter(|e| !e.is_empty())
        .or_else(|| {
            result["api_error_type"]
                .as_str()
                .map(|e| e.trim_end_matches("_error").to_string())
        })
        .unwrap_or_else(|| error.to_string());
    let retries = match t.retries {
        0 => String::new(),
        1 => " after 1 retry".to_string(),
        n => format!(" after {n} retries"),
    };
    format!("Claude API error {status} ({name}){retries}")
}

/// Every expected file exists; `.json` ones hold a JSON object.
fn check_outputs(output_dir: &Path, expected: &[String], t: &Transcript) -> Result<(), String> {
    // Opened as the worker will read them: no symbolic link followed, regular files only.
    let mut refused = Vec::new();
    let missing: Vec<&str> = expected
        .iter()
        .map(String::as_str)
        .filter(|rel| match open_output(output_dir, rel) {
            Ok(_) => false,
            Err(OutputError::Missing(_)) => true,
            Err(e) => {
                refused.push(e.to_string());
                false
            }
        })
        .collect();
    if let Some(why) = refused.first() {
        return Err(format!("output refused: {why}"));
    }
    if !missing.is_empty() {
        let why = t
            .denials
            .first()
            .map(|d| format!(" (permission denied for {d})"))
            .unwrap_or_default();
        return Err(format!("Claude wrote no {}{why}", missing.join(", ")));
    }
    for rel in expected.iter().filter(|r| r.ends_with(".json")) {
        let mut text = String::new();
        open_output(output_dir, rel)
            .map_err(|e| e.to_string())?
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read {rel}: {e}"))?;
        match serde_json::from_str::<Value>(&text) {
            Ok(v) if v.is_object() => {}
            Ok(_) => return Err(format!("{rel} is not a JSON object")),
            Err(e) => return Err(format!("{rel} is not valid JSON: {e}")),
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "outcome_tests.rs"]
mod tests;
