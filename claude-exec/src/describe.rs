//! Short human descriptions of pieces of stream-json: tool calls, tool results, the final
//! summary, sizes, durations and times. Pure functions over `serde_json::Value`.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

/// Longest text kept in one log line.
pub const MAX_LOG_TEXT: usize = 8 * 1024;
/// Longest key argument shown for a tool call.
const MAX_ARG: usize = 160;

/// Cuts `text` to `max` bytes (on a char boundary) and says so.
pub fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}… [truncated, {} bytes in total]",
        &text[..end],
        text.len()
    )
}

/// First line of `text`, clipped to `max` bytes.
fn first_line(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or("");
    let clipped = clip(line, max);
    if clipped.len() < text.trim_end().len() && !clipped.ends_with(']') {
        format!("{clipped} …")
    } else {
        clipped
    }
}

/// `path` relative to `workdir` when inside it, else unchanged.
pub fn relative_to(path: &str, workdir: &Path) -> String {
    match Path::new(path).strip_prefix(workdir) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.to_string_lossy().into_owned(),
        _ => path.to_string(),
    }
}

/// `Write brief.md`, `WebSearch "coffee trends"`, `Bash: ls -la`, …
pub fn tool_call(name: &str, input: &Value, workdir: &Path) -> String {
    let s = |key: &str| input.get(key).and_then(Value::as_str).unwrap_or("");
    let arg = match name {
        "Write" | "Edit" | "MultiEdit" | "Read" => relative_to(s("file_path"), workdir),
        "NotebookEdit" => relative_to(s("notebook_path"), workdir),
        "WebSearch" => format!("\"{}\"", first_line(s("query"), MAX_ARG)),
        "WebFetch" => first_line(s("url"), MAX_ARG),
        "Glob" | "Grep" => first_line(s("pattern"), MAX_ARG),
        "Bash" => return format!("Bash: {}", first_line(s("command"), MAX_ARG)),
        "Task" | "Agent" => first_line(s("description"), MAX_ARG),
        _ => first_line(&input.to_string(), MAX_ARG),
    };
    format!("{name} {arg}")
}

/// The text of a tool result's `content`: a string, or text blocks.
pub fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `0.6 s`, `1.2 s`, `42 s`, `5 min`, `2 min 30 s`, `250 ms`.
pub fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms} ms");
    }
    let secs = d.as_secs();
    match secs {
        0..=9 => format!("{:.1} s", d.as_secs_f64()),
        10..=59 => format!("{secs} s"),
        _ if secs.is_multiple_of(60) => format!("{} min", secs / 60),
        _ => format!("{} min {} s", secs / 60, secs % 60),
    }
}

/// A Unix time as `2026-11-29 05:50 UTC` (the number itself if chrono cannot represent it).
pub fn utc_time(unix: i64) -> String {
    match chrono::DateTime::from_timestamp(unix, 0) {
        Some(at) => at.format("%Y-%m-%d %H:%M UTC").to_string(),
        None => format!("{unix} (Unix time)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn clip_marks_truncation_on_a_char_boundary() {
        assert_eq!(clip("short", 10), "short");
        let long = "é".repeat(10);
        let clipped = clip(&long, 5);
        assert!(clipped.starts_with("éé…"), "{clipped}");
        assert!(clipped.ends_with("[truncated, 20 bytes in total]"));
    }

    #[test]
    fn tool_calls_show_their_key_argument() {
        let wd = Path::new("/srv/job");
        assert_eq!(
            tool_call("Write", &json!({"file_path": "/srv/job/out/brief.md"}), wd),
            "Write out/brief.md"
        );
        assert_eq!(
            tool_call("Read", &json!({"file_path": "/etc/hosts"}), wd),
            "Read /etc/hosts"
        );
        assert_eq!(
            tool_call("WebSearch", &json!({"query": "coffee trends"}), wd),
            "WebSearch \"coffee trends\""
        );
        assert_eq!(
            tool_call(
                "WebFetch",
                &json!({"url": "https://x.test/a", "prompt": "p"}),
                wd
            ),
            "WebFetch https://x.test/a"
        );
        assert_eq!(
            tool_call("Bash", &json!({"command": "echo hi\necho there"}), wd),
            "Bash: echo hi …"
        );
        assert_eq!(
            tool_call("Grep", &json!({"pattern": "TODO"}), wd),
            "Grep TODO"
        );
        assert_eq!(
            tool_call("Mystery", &json!({"a": 1}), wd),
            "Mystery {\"a\":1}"
        );
    }

    #[test]
    fn durations_and_times_read_well() {
        assert_eq!(human_duration(Duration::from_millis(606)), "606 ms");
        assert_eq!(human_duration(Duration::from_millis(1114)), "1.1 s");
        assert_eq!(human_duration(Duration::from_secs(300)), "5 min");
        assert_eq!(human_duration(Duration::from_secs(150)), "2 min 30 s");
        assert_eq!(utc_time(1_795_931_458), "2026-11-29 05:50 UTC");
        assert_eq!(utc_time(-60), "1969-12-31 23:59 UTC");
        assert_eq!(utc_time(i64::MAX), format!("{} (Unix time)", i64::MAX));
    }

    #[test]
    fn content_text_reads_strings_and_blocks() {
        assert_eq!(content_text(&json!("x")), "x");
        assert_eq!(
            content_text(&json!([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}])),
            "a\nb"
        );
    }
}
