//! The `FAKE_CLAUDE_*` environment variables that steer the fake, read once at start.

use std::time::Duration;

/// What the fake pretends happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    Success,
    ApiError,
    AuthError,
    UsageLimit,
    MaxTurns,
    Hang,
    HangAfterResult,
    Crash,
    HugeLine,
}

impl Scenario {
    fn parse(name: &str) -> Option<Scenario> {
        Some(match name {
            "" | "success" => Scenario::Success,
            "api_error" => Scenario::ApiError,
            "auth_error" => Scenario::AuthError,
            "usage_limit" => Scenario::UsageLimit,
            "max_turns" => Scenario::MaxTurns,
            "hang" => Scenario::Hang,
            "hang_after_result" => Scenario::HangAfterResult,
            "crash" => Scenario::Crash,
            "huge_line" => Scenario::HugeLine,
            _ => return None,
        })
    }
}

/// All knobs. See the crate docs for the meaning of each variable.
#[derive(Clone, Debug)]
pub struct Knobs {
    pub scenario: Scenario,
    /// Files the fake writes, relative to its cwd (`FAKE_CLAUDE_OUTPUT_FILES` or `FAKE_CLAUDE_OUTPUT_FILE`).
    pub output_files: Vec<String>,
    pub output_content: Option<String>,
    pub output_bytes: usize,
    pub delay: Duration,
    pub argv_log: Option<String>,
    pub stderr: Option<String>,
    pub exit_code: Option<i32>,
    pub spawn_child: bool,
    pub child_pid_file: Option<String>,
    /// Extra assistant text lines (`FAKE_CLAUDE_LINES`).
    pub extra_lines: usize,
    /// How long to wait for stdin data before the warning (`FAKE_CLAUDE_STDIN_WAIT_MS`, default 3000).
    pub stdin_wait: Duration,
    /// On SIGINT, leave out the result line (`FAKE_CLAUDE_SIGINT_NO_RESULT=1`), as the real CLI sometimes does.
    pub sigint_no_result: bool,
    /// `api_error`: announce this retry delay and really wait it after each `api_retry` line
    /// (`FAKE_CLAUDE_RETRY_DELAY_MS`), to test idle watchdogs against back-off silence.
    pub retry_delay: Option<u64>,
    /// `usage_limit`: when the account's limit resets, in Unix seconds
    /// (`FAKE_CLAUDE_RESETS_AT`); from then on runs go through as `success` does.
    pub resets_at: Option<u64>,
    /// What a run that spends reports in its `result` line instead of the defaults
    /// (`FAKE_CLAUDE_COST_USD`, `FAKE_CLAUDE_INPUT_TOKENS`, `FAKE_CLAUDE_OUTPUT_TOKENS`,
    /// `FAKE_CLAUDE_CACHE_READ_TOKENS`, `FAKE_CLAUDE_CACHE_CREATION_TOKENS`,
    /// `FAKE_CLAUDE_DURATION_MS`), so that tests can tell runs apart by their figures.
    pub spend: Spend,
}

/// Usage figures set by knobs; `None` keeps the scenario's own.
#[derive(Clone, Debug, Default)]
pub struct Spend {
    pub cost_usd: Option<f64>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub cache_read_input_tokens: Option<u64>,
    pub cache_creation_input_tokens: Option<u64>,
    pub duration_ms: Option<u64>,
}

pub const DEFAULT_OUTPUT_FILE: &str = "output.md";
const DEFAULT_OUTPUT_BYTES: usize = 1024 * 1024;

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn number<T: std::str::FromStr>(name: &str) -> Option<T> {
    var(name).and_then(|v| v.trim().parse().ok())
}

impl Knobs {
    /// Reads the environment. An unknown scenario name is an error message.
    pub fn from_env() -> Result<Knobs, String> {
        let name = var("FAKE_CLAUDE_SCENARIO").unwrap_or_default();
        let scenario = Scenario::parse(&name)
            .ok_or_else(|| format!("fake-claude: unknown FAKE_CLAUDE_SCENARIO '{name}'"))?;
        let output_files = match var("FAKE_CLAUDE_OUTPUT_FILES") {
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            None => vec![
                var("FAKE_CLAUDE_OUTPUT_FILE").unwrap_or_else(|| DEFAULT_OUTPUT_FILE.to_string()),
            ],
        };
        Ok(Knobs {
            scenario,
            output_files,
            output_content: std::env::var("FAKE_CLAUDE_OUTPUT_CONTENT").ok(),
            output_bytes: number("FAKE_CLAUDE_OUTPUT_BYTES").unwrap_or(DEFAULT_OUTPUT_BYTES),
            delay: Duration::from_millis(number("FAKE_CLAUDE_DELAY_MS").unwrap_or(0)),
            argv_log: var("FAKE_CLAUDE_ARGV_LOG"),
            stderr: var("FAKE_CLAUDE_STDERR"),
            exit_code: number("FAKE_CLAUDE_EXIT_CODE"),
            spawn_child: var("FAKE_CLAUDE_SPAWN_CHILD").is_some_and(|v| v != "0"),
            child_pid_file: var("FAKE_CLAUDE_CHILD_PID_FILE"),
            extra_lines: number("FAKE_CLAUDE_LINES").unwrap_or(0),
            stdin_wait: Duration::from_millis(number("FAKE_CLAUDE_STDIN_WAIT_MS").unwrap_or(3000)),
            sigint_no_result: var("FAKE_CLAUDE_SIGINT_NO_RESULT").is_some_and(|v| v != "0"),
            retry_delay: number("FAKE_CLAUDE_RETRY_DELAY_MS"),
            resets_at: number("FAKE_CLAUDE_RESETS_AT"),
            spend: Spend {
                cost_usd: number("FAKE_CLAUDE_COST_USD"),
                input_tokens: number("FAKE_CLAUDE_INPUT_TOKENS"),
                output_tokens: number("FAKE_CLAUDE_OUTPUT_TOKENS"),
                cache_read_input_tokens: number("FAKE_CLAUDE_CACHE_READ_TOKENS"),
                cache_creation_input_tokens: number("FAKE_CLAUDE_CACHE_CREATION_TOKENS"),
                duration_ms: number("FAKE_CLAUDE_DURATION_MS"),
            },
        })
    }
}
