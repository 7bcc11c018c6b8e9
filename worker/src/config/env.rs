//! Environment variables, one per setting (the flags of [`super::WorkerArgs`] and
//! [`super::ApiArgs`] fall back to them).

/// Base URL of the API, e.g. `https://cwm.example.com` (`--api`).
pub const API: &str = "CWM_API";
/// The server's `runner_token` (`--token`; prefer this variable or `--token-file`: a flag
/// is visible to every user of the host in `/proc/<pid>/cmdline`).
pub const RUNNER_TOKEN: &str = "CWM_RUNNER_TOKEN";
/// A file holding the runner token (`--token-file`), read at start-up.
pub const RUNNER_TOKEN_FILE: &str = "CWM_RUNNER_TOKEN_FILE";
/// `auto` (default), `bwrap` or `none`: the OS sandbox around each job (`--sandbox`).
pub const SANDBOX: &str = "CWM_SANDBOX";
/// Extra variables passed to the CLI, comma separated names or `PREFIX*` patterns.
pub const PASS_ENV: &str = "CWM_PASS_ENV";
/// Most log bytes one attempt may send; later lines are dropped after one notice.
pub const MAX_LOG_BYTES: &str = "CWM_MAX_LOG_BYTES";
/// Name shown for this runner (`--name`, default: the host name).
pub const RUNNER_NAME: &str = "CWM_RUNNER_NAME";
/// Jobs run at once (`--slots`, default 3).
pub const SLOTS: &str = "CWM_SLOTS";
/// The `claude` executable (`--claude`, default `claude` from `PATH`).
pub const CLAUDE: &str = "CWM_CLAUDE";
/// Job workspaces and per-slot CLI config (`--workdir`).
pub const WORKDIR: &str = "CWM_WORKDIR";
/// `--permission-mode` for the CLI (default `acceptEdits`).
pub const PERMISSION_MODE: &str = "CWM_PERMISSION_MODE";
/// `--allowedTools` for the CLI, comma separated.
pub const ALLOWED_TOOLS: &str = "CWM_ALLOWED_TOOLS";
/// `--model` for the CLI (default: the CLI's own).
pub const MODEL: &str = "CWM_MODEL";
/// Hard limit per job, e.g. `30m`.
pub const JOB_TIMEOUT: &str = "CWM_JOB_TIMEOUT";
/// Longest silence of the CLI before a job is stopped, e.g. `5m`.
pub const IDLE_TIMEOUT: &str = "CWM_IDLE_TIMEOUT";
/// How long one claim request waits for a job, e.g. `20s`.
pub const CLAIM_WAIT: &str = "CWM_CLAIM_WAIT";
/// Log bytes kept in memory per job before the rest goes to a file.
pub const LOG_BUFFER_BYTES: &str = "CWM_LOG_BUFFER_BYTES";
/// `1` keeps job workspaces after the job was reported (for debugging).
pub const KEEP_WORKSPACES: &str = "CWM_KEEP_WORKSPACES";
/// Where the operator logged the CLI in; its `.credentials.json` is copied to each slot.
pub const CLAUDE_CONFIG_DIR: &str = "CLAUDE_CONFIG_DIR";

/// Every variable above. One set to the empty string counts as unset.
pub const ALL: &[&str] = &[
    API,
    RUNNER_TOKEN,
    RUNNER_TOKEN_FILE,
    SANDBOX,
    PASS_ENV,
    MAX_LOG_BYTES,
    RUNNER_NAME,
    SLOTS,
    CLAUDE,
    WORKDIR,
    PERMISSION_MODE,
    ALLOWED_TOOLS,
    MODEL,
    JOB_TIMEOUT,
    IDLE_TIMEOUT,
    CLAIM_WAIT,
    LOG_BUFFER_BYTES,
    KEEP_WORKSPACES,
    CLAUDE_CONFIG_DIR,
];
