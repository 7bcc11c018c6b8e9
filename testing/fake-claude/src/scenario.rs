//! The scenarios: which lines are emitted, in which order, and the exit code.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::cli::Options;
use crate::emit::Emitter;
use crate::files;
use crate::knobs::{Knobs, Scenario};
use crate::lines::{self, ApiFailure, Ctx, ResultFields};

/// Everything a scenario needs.
pub struct Run<'a> {
    pub opts: &'a Options,
    pub knobs: &'a Knobs,
    pub ctx: &'a Ctx,
    pub out: &'a Emitter,
    pub cwd: PathBuf,
}

/// Plays the configured scenario and returns its exit code.
pub fn play(run: &Run) -> i32 {
    run.out.emit(lines::init(run.ctx));
    match run.knobs.scenario {
        Scenario::ApiError => api_error(run),
        Scenario::AuthError => auth_error(run),
        Scenario::UsageLimit if limited_until(run.knobs).is_some() => usage_limit(run),
        Scenario::Crash => {
            first_message(run);
            eprintln!("Error: fake-claude crashed (FAKE_CLAUDE_SCENARIO=crash)");
            3
        }
        Scenario::Hang => {
            first_message(run);
            sleep_forever()
        }
        // A usage limit that has reset: the run goes through.
        Scenario::UsageLimit
        | Scenario::Success
        | Scenario::MaxTurns
        | Scenario::HugeLine
        | Scenario::HangAfterResult => write_flow(run),
    }
}

fn sleep_forever() -> ! {
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}

fn first_message(run: &Run) {
    let names = run.knobs.output_files.join(", ");
    emit_message(
        run,
        &[lines::text_block(&format!("I'll write {names} now."))],
        "end_turn",
    );
}

/// One planned Write tool call.
struct Planned {
    tool_id: String,
    relative: String,
    abs: String,
    content: String,
}

fn plan_writes(run: &Run) -> Vec<Planned> {
    run.knobs
        .output_files
        .iter()
        .map(|relative| {
            let content = match (&run.knobs.output_content, run.knobs.scenario) {
                (_, Scenario::HugeLine) => files::huge_content(run.knobs.output_bytes),
                (Some(c), _) => c.clone(),
                (None, _) => files::default_content(relative),
            };
            Planned {
                tool_id: lines::new_tool_id(),
                relative: relative.clone(),
                abs: files::absolute(&run.cwd, relative),
                content,
            }
        })
        .collect()
}

/// L2 (+ extra lines) and L3, the tool results (L4), then L5 and L6 or a max-turns result.
fn write_flow(run: &Run) -> i32 {
    let names = run.knobs.output_files.join(", ");
    let writes = plan_writes(run);
    let mut blocks = vec![lines::text_block(&format!("I'll write {names} now."))];
    let n = run.knobs.extra_lines;
    blocks.extend((1..=n).map(|i| lines::text_block(&format!("Progress line {i} of {n}."))));
    blocks.extend(
        writes
            .iter()
            .map(|w| lines::write_block(&w.tool_id, &w.abs, &w.content)),
    );
    emit_message(run, &blocks, "tool_use");
    let denials: Vec<Value> = writes.iter().filter_map(|w| tool_result(run, w)).collect();
    if let Some(limit) = max_turns_limit(run) {
        run.out.emit(lines::result(
            run.ctx,
            &max_turns_result(limit, denials).spending(&run.knobs.spend),
        ));
        return 1;
    }
    let done = format!("Created {names}.");
    emit_message(run, &[lines::text_block(&done)], "end_turn");
    let fields = ResultFields {
        permission_denials: denials,
        ..ResultFields::success(done)
    }
    .spending(&run.knobs.spend);
    run.out.emit(lines::result(run.ctx, &fields));
    if run.knobs.scenario == Scenario::HangAfterResult {
        run.out.finish();
        sleep_forever();
    }
    0
}

/// Runs one Write; returns the permission denial entry if it was refused.
fn tool_result(run: &Run, w: &Planned) -> Option<Value> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if let Err(denial) = files::write_permission(run.opts, &run.cwd, home.as_deref(), &w.relative) {
        run.out
            .emit(lines::permission_denied(run.ctx, &w.tool_id, &denial));
        run.out
            .emit(lines::write_denied(run.ctx, &w.tool_id, &denial));
        return Some(
            json!({"tool_name": "Write", "tool_use_id": w.tool_id, "tool_input": {"file_path": w.abs, "content": w.content}}),
        );
    }
    match files::write(&w.abs, &w.content) {
        Ok(original) => run.out.emit(lines::write_ok(
            run.ctx, &w.tool_id, &w.abs, &w.content, original,
        )),
        Err(e) => eprintln!("fake-claude: could not write {}: {e}", w.abs),
    }
    None
}

fn max_turns_limit(run: &Run) -> Option<u32> {
    let flag = run
        .opts
        .max_turns
        .as_deref()
        .and_then(|v| v.trim().parse::<u32>().ok());
    match (run.knobs.scenario, flag) {
        (Scenario::MaxTurns, f) => Some(f.unwrap_or(1)),
        (_, Some(n)) if n < 2 => Some(n),
        _ => None,
    }
}

fn max_turns_result(limit: u32, denials: Vec<Value>) -> ResultFields {
    ResultFields {
        subtype: "error_max_turns",
        is_error: true,
        num_turns: limit + 1,
        result: None,
        stop_reason: Some("tool_use"),
        terminal_reason: "max_turns",
        errors: Some(vec![format!("Reached maximum number of turns ({limit})")]),
        permission_denials: denials,
        ..ResultFields::success(String::new())
    }
}

fn api_error(run: &Run) -> i32 {
    for (attempt, default_delay) in [(1, 606), (2, 1114)] {
        let delay = run.knobs.retry_delay.unwrap_or(default_delay);
        run.out.emit(lines::api_retry(
            run.ctx,
            attempt,
            2,
            delay,
            529,
            "overloaded",
        ));
        // The real CLI is silent while it backs off; the fake only waits when asked to.
        if run.knobs.retry_delay.is_some() {
            std::thread::sleep(std::time::Duration::from_millis(delay));
        }
    }
    fail_with(run, ApiFailure {
        text: "API Error: 529 Overloaded. This is a server-side issue, usually temporary — try again in a moment.".into(),
        error: "server_error",
        status: Some(529),
        error_type: Some("overloaded_error"),
        api_error: None,
        params: None,
    })
}

fn auth_error(run: &Run) -> i32 {
    fail_with(
        run,
        ApiFailure {
            text: "Not logged in · Please run /login".into(),
            error: "authentication_failed",
            status: None,
            error_type: None,
            api_error: None,
            params: None,
        },
    )
}

/// When the account's usage limit resets (Unix seconds), while it still holds:
/// `FAKE_CLAUDE_RESETS_AT`, else the next full 10 minutes two hours from now.
fn limited_until(knobs: &Knobs) -> Option<u64> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let resets_at = knobs.resets_at.unwrap_or((now / 600 + 12) * 600);
    (resets_at > now).then_some(resets_at)
}

fn usage_limit(run: &Run) -> i32 {
    let resets_at = limited_until(run.knobs).unwrap_or_default();
    run.out
        .emit(lines::rate_limit_event(run.ctx, "rejected", resets_at));
    fail_with(
        run,
        ApiFailure {
            text: format!(
                "You've hit your 5-hour limit · resets {} (UTC)",
                clock_12h(resets_at)
            ),
            error: "rate_limit",
            status: Some(429),
            error_type: Some("rate_limit_error"),
            api_error: Some("usage_limit_reached"),
            params: Some(json!({"rate_limit_info": lines::rate_limit_info("rejected", resets_at)})),
        },
    )
}

/// `5:50am` for a Unix time, in UTC.
fn clock_12h(unix: u64) -> String {
    let s = unix % 86_400;
    let (h, m) = (s / 3600, s % 3600 / 60);
    let h12 = if h % 12 == 0 { 12 } else { h % 12 };
    format!("{h12}:{m:02}{}", if h < 12 { "am" } else { "pm" })
}

fn fail_with(run: &Run, failure: ApiFailure) -> i32 {
    run.out.emit(lines::synthetic_error(run.ctx, &failure));
    run.out
        .emit(lines::result(run.ctx, &ResultFields::api_failure(&failure)));
    1
}

/// Emits one API message: its assistant lines, wrapped in stream events with `--include-partial-messages`.
fn emit_message(run: &Run, blocks: &[Value], stop_reason: &str) {
    let id = lines::new_message_id();
    let partial = run.opts.include_partial_messages;
    let event = |e: Value| run.out.emit(lines::stream_event(run.ctx, &id, e));
    if partial {
        run.out.emit(lines::status_requesting(run.ctx));
        event(
            json!({"type": "message_start", "message": {"id": id, "type": "message", "role": "assistant", "model": run.ctx.model,
            "content": [], "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 1200, "output_tokens": 1}}}),
        );
    }
    for (index, block) in blocks.iter().enumerate() {
        if partial {
            event(
                json!({"type": "content_block_start", "index": index, "content_block": empty_block(block)}),
            );
            for delta in deltas(block) {
                event(json!({"type": "content_block_delta", "index": index, "delta": delta}));
            }
        }
        run.out.emit(lines::assistant(run.ctx, &id, block.clone()));
        if partial {
            event(json!({"type": "content_block_stop", "index": index}));
        }
    }
    if partial {
        event(
            json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": null}, "usage": {"output_tokens": 42}}),
        );
        event(json!({"type": "message_stop"}));
    }
}

fn empty_block(block: &Value) -> Value {
    match block["type"].as_str() {
        Some("tool_use") => {
            json!({"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}})
        }
        _ => json!({"type": "text", "text": ""}),
    }
}

/// Text split into words (`text_delta`), or tool input JSON in two pieces (`input_json_delta`).
fn deltas(block: &Value) -> Vec<Value> {
    if block["type"] == "tool_use" {
        let input = block["input"].to_string();
        let mut mid = input.len() / 2;
        while !input.is_char_boundary(mid) {
            mid += 1;
        }
        return [&input[..mid], &input[mid..]]
            .iter()
            .map(|p| json!({"type": "input_json_delta", "partial_json": p}))
            .collect();
    }
    let text = block["text"].as_str().unwrap_or("");
    text.split_inclusive(' ')
        .map(|w| json!({"type": "text_delta", "text": w}))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_hour_clock() {
        assert_eq!(clock_12h(5 * 3600 + 50 * 60), "5:50am");
        assert_eq!(clock_12h(0), "12:00am");
        assert_eq!(clock_12h(13 * 3600 + 5 * 60), "1:05pm");
    }

    #[test]
    fn deltas_rebuild_the_block() {
        let text = lines::text_block("I'll write out.md now.");
        let joined: String = deltas(&text)
            .iter()
            .map(|d| d["text"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(joined, "I'll write out.md now.");
        let tool = lines::write_block("t", "/a/b.md", "é—x");
        let joined: String = deltas(&tool)
            .iter()
            .map(|d| d["partial_json"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            serde_json::from_str::<Value>(&joined).unwrap(),
            tool["input"]
        );
    }
}
