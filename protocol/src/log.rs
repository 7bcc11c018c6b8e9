//! A job's log line, as a runner uploads it and as clients read it back.

use serde::{Deserialize, Serialize};

/// Where a line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LogStream {
    /// The CLI's stdout (stream-json).
    Stdout,
    /// The CLI's stderr.
    Stderr,
    /// The runner itself (start, watchdogs, kills, outcome).
    System,
}

impl LogStream {
    /// `"stdout"`, `"stderr"` or `"system"`.
    pub fn as_str(self) -> &'static str {
        match self {
            LogStream::Stdout => "stdout",
            LogStream::Stderr => "stderr",
            LogStream::System => "system",
        }
    }
}

/// What a line is about: the one vocabulary of the runner, the server and the UI.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LogKind {
    /// Assistant text.
    Text,
    /// A tool call with its key argument.
    ToolCall,
    /// A tool result that succeeded.
    ToolOk,
    /// A tool result that failed, with the error text.
    ToolError,
    /// An API retry announcement.
    Retry,
    /// The final summary.
    Result,
    /// An error: API error, rate limit rejection, stderr error line.
    Error,
    /// A tool call the CLI refused under the run's permission rules (a read or write outside
    /// the workspace, for instance).
    Denied,
    /// Anything else worth showing.
    #[default]
    Info,
    /// The CLI's stderr chatter that is not an error.
    Stderr,
}

impl LogKind {
    /// Every kind, in declaration order.
    pub const ALL: [LogKind; 10] = [
        LogKind::Text,
        LogKind::ToolCall,
        LogKind::ToolOk,
        LogKind::ToolError,
        LogKind::Retry,
        LogKind::Result,
        LogKind::Error,
        LogKind::Denied,
        LogKind::Info,
        LogKind::Stderr,
    ];

    /// The kind's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            LogKind::Text => "text",
            LogKind::ToolCall => "tool_call",
            LogKind::ToolOk => "tool_ok",
            LogKind::ToolError => "tool_error",
            LogKind::Retry => "retry",
            LogKind::Result => "result",
            LogKind::Error => "error",
            LogKind::Denied => "denied",
            LogKind::Info => "info",
            LogKind::Stderr => "stderr",
        }
    }
}

/// When the runner saw a line: RFC 3339 text (what runners send) or epoch milliseconds. Kept as
/// sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Timestamp {
    Text(String),
    Millis(i64),
}

/// One log line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LogLine {
    pub ts: Timestamp,
    pub stream: LogStream,
    #[cfg_attr(feature = "openapi", schema(default = "info"))]
    #[serde(default)]
    pub kind: LogKind,
    pub text: String,
}

/// A log chunk's body: `PUT` [`crate::routes::LOG_CHUNK`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(description = "A log chunk's body."))]
#[serde(deny_unknown_fields)]
pub struct LogChunk {
    pub lines: Vec<LogLine>,
}

/// Bytes a chunk's JSON framing adds around its lines: `{"lines":[` and `]}`.
pub const CHUNK_FRAME_BYTES: usize = 12;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_named_as_serde_names_them() {
        for kind in LogKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<LogKind>(&json).unwrap(), kind);
        }
    }

    #[test]
    fn chunks_round_trip_and_refuse_what_they_do_not_know() {
        let chunk = LogChunk {
            lines: vec![LogLine {
                ts: Timestamp::Text("2026-12-02T05:00:00.000Z".into()),
                stream: LogStream::Stdout,
                kind: LogKind::ToolOk,
                text: "✓ Read".into(),
            }],
        };
        let json = serde_json::to_string(&chunk).unwrap();
        assert_eq!(serde_json::from_str::<LogChunk>(&json).unwrap(), chunk);
        assert_eq!(
            serde_json::to_string(&LogChunk { lines: vec![] })
                .unwrap()
                .len(),
            CHUNK_FRAME_BYTES
        );
        let millis: LogLine =
            serde_json::from_str(r#"{"ts":17,"stream":"system","text":"x"}"#).unwrap();
        assert_eq!(
            (millis.ts, millis.kind),
            (Timestamp::Millis(17), LogKind::Info)
        );
        for bad in [
            r#"{"ts":1,"stream":"stdout","kind":"tool_result_ok","text":"x"}"#,
            r#"{"ts":1,"stream":"pipe","text":"x"}"#,
            r#"{"ts":1,"stream":"stdout","text":"x","extra":1}"#,
        ] {
            assert!(serde_json::from_str::<LogLine>(bad).is_err(), "{bad}");
        }
    }
}
