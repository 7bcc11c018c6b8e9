//! What a worker needs to know ([`WorkerConfig`]), its defaults, the environment variables the
//! `runner work` flags fall back to ([`env`]), and the checks made before anything starts.

use std::path::{Path, PathBuf};
use std::time::Duration;

use claude_exec::ExecConfig;
use reqwest::Url;

use crate::error::WorkerError;

/// Environment variables, one per setting (the `runner work` flags fall back to them).
pub mod env {
    /// Base URL of the API, e.g. `https://cwm.example.com` (`--api`).
    pub const API: &str = "CWM_API";
    /// The server's `runner_token` (`--token`).
    pub const RUNNER_TOKEN: &str = "CWM_RUNNER_TOKEN";
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
}

/// Default number of jobs run at once.
pub const DEFAULT_SLOTS: u32 = 3;
/// Most slots a claim may ask for (the API's limit).
pub const MAX_SLOTS: u32 = 64;
/// Default wait of one claim request (the API caps it with `claim_wait_ms`).
pub const DEFAULT_CLAIM_WAIT: Duration = Duration::from_secs(20);
/// How long lines collect before they are sent as one chunk.
pub const DEFAULT_LOG_FLUSH: Duration = Duration::from_millis(100);
/// Log bytes per job held in memory; beyond it lines wait in a file in the job's directory.
pub const DEFAULT_LOG_BUFFER_BYTES: usize = 4 * 1024 * 1024;
/// Heartbeat interval until the server announces its own (`heartbeat_ms`).
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(1);
/// Longest pause between two tries of a failed request.
pub const DEFAULT_RETRY_CAP: Duration = Duration::from_secs(5);

/// Everything [`crate::run`] needs. Build it with [`WorkerConfig::new`] (or
/// [`WorkerConfig::from_env`]) and change the fields that differ.
#[derive(Clone)]
pub struct WorkerConfig {
    /// Base URL of the API; `/api/runner/...` is appended.
    pub api: Url,
    /// Bearer token for the runner endpoints (never logged).
    pub token: String,
    /// Runner name: 1–64 of `[A-Za-z0-9._-]`.
    pub name: String,
    /// Jobs run at once, 1–64.
    pub slots: u32,
    /// How the CLI is run: path, permission mode, allowed tools, model, job and idle timeouts.
    pub claude: ExecConfig,
    /// Holds `jobs/<id>-a<attempt>/` workspaces, `slots/<n>/claude-config/` and a lock file.
    pub workdir: PathBuf,
    /// Where the operator's CLI login lives (`.credentials.json`), copied into each slot's
    /// config dir. `None`: nothing is copied (API key or OAuth token in the environment).
    pub credentials_dir: Option<PathBuf>,
    /// How long one claim request waits for a job.
    pub claim_wait: Duration,
    /// Heartbeat interval until the server announces `heartbeat_ms`.
    pub heartbeat: Duration,
    /// How long log lines collect before they are sent.
    pub log_flush: Duration,
    /// Log bytes per job kept in memory while the API is slow or away.
    pub log_buffer_bytes: usize,
    /// Longest pause between two tries of a failed request.
    pub retry_cap: Duration,
    /// Keep job workspaces after the job was reported.
    pub keep_workspaces: bool,
}

impl std::fmt::Debug for WorkerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerConfig")
            .field("api", &self.api.as_str())
            .field("token", &"<redacted>")
            .field("name", &self.name)
            .field("slots", &self.slots)
            .field("claude", &self.claude)
            .field("workdir", &self.workdir)
            .field("credentials_dir", &self.credentials_dir)
            .field("claim_wait", &self.claim_wait)
            .field("heartbeat", &self.heartbeat)
            .field("log_flush", &self.log_flush)
            .field("log_buffer_bytes", &self.log_buffer_bytes)
            .field("retry_cap", &self.retry_cap)
            .field("keep_workspaces", &self.keep_workspaces)
            .finish()
    }
}

impl WorkerConfig {
    /// Production defaults for `api` and `token`: the host name, 3 slots, `claude` from `PATH`
    /// with claude-exec's defaults, the default data dir, credentials from `CLAUDE_CONFIG_DIR`
    /// or `~/.claude`.
    pub fn new(api: Url, token: impl Into<String>) -> WorkerConfig {
        WorkerConfig {
            api,
            token: token.into(),
            name: default_name(),
            slots: DEFAULT_SLOTS,
            claude: ExecConfig::default(),
            workdir: default_workdir(),
            credentials_dir: default_credentials_dir(),
            claim_wait: DEFAULT_CLAIM_WAIT,
            heartbeat: DEFAULT_HEARTBEAT,
            log_flush: DEFAULT_LOG_FLUSH,
            log_buffer_bytes: DEFAULT_LOG_BUFFER_BYTES,
            retry_cap: DEFAULT_RETRY_CAP,
            keep_workspaces: false,
        }
    }

    /// A config from the [`env`] variables of this process (`CWM_API` and `CWM_RUNNER_TOKEN`
    /// are required).
    pub fn from_env() -> Result<WorkerConfig, WorkerError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// A config from variables looked up by `var` (see [`env`]).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<WorkerConfig, WorkerError> {
        let required =
            |name: &str| var(name).ok_or_else(|| config_error(format!("{name} is not set")));
        let api = parse_api(&required(env::API)?)?;
        let mut c = WorkerConfig::new(api, required(env::RUNNER_TOKEN)?);
        if let Some(v) = var(env::RUNNER_NAME) {
            c.name = v;
        }
        if let Some(v) = var(env::SLOTS) {
            c.slots = v
                .parse()
                .map_err(|_| config_error(format!("{}={v:?} is not a number", env::SLOTS)))?;
        }
        if let Some(v) = var(env::CLAUDE) {
            c.claude.claude_path = v.into();
        }
        if let Some(v) = var(env::WORKDIR) {
            c.workdir = v.into();
        }
        if let Some(v) = var(env::PERMISSION_MODE) {
            c.claude.permission_mode = v;
        }
        if let Some(v) = var(env::ALLOWED_TOOLS) {
            c.claude.allowed_tools = v
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(String::from)
                .collect();
        }
        c.claude.model = var(env::MODEL);
        if let Some(v) = var(env::JOB_TIMEOUT) {
            c.claude.timeout = parse_duration(env::JOB_TIMEOUT, &v)?;
        }
        if let Some(v) = var(env::IDLE_TIMEOUT) {
            c.claude.idle_timeout = parse_duration(env::IDLE_TIMEOUT, &v)?;
        }
        if let Some(v) = var(env::CLAIM_WAIT) {
            c.claim_wait = parse_duration(env::CLAIM_WAIT, &v)?;
        }
        if let Some(v) = var(env::LOG_BUFFER_BYTES) {
            c.log_buffer_bytes = v.parse().map_err(|_| {
                config_error(format!("{}={v:?} is not a number", env::LOG_BUFFER_BYTES))
            })?;
        }
        c.keep_workspaces = var(env::KEEP_WORKSPACES).is_some_and(|v| v != "0");
        c.credentials_dir = var(env::CLAUDE_CONFIG_DIR)
            .map(PathBuf::from)
            .or(c.credentials_dir);
        Ok(c)
    }

    /// Checks what can be checked before connecting; the message names the setting.
    pub fn validate(&self) -> Result<(), WorkerError> {
        if !matches!(self.api.scheme(), "http" | "https") {
            return Err(config_error(format!(
                "api {} is not an http(s) URL",
                self.api
            )));
        }
        if self.token.is_empty() {
            return Err(config_error("the runner token is empty".into()));
        }
        if !valid_name(&self.name) {
            return Err(config_error(format!(
                "runner name {:?} must be 1-64 characters of [A-Za-z0-9._-]",
                self.name
            )));
        }
        if !(1..=MAX_SLOTS).contains(&self.slots) {
            return Err(config_error(format!(
                "slots must be from 1 to {MAX_SLOTS}, not {}",
                self.slots
            )));
        }
        Ok(())
    }

    /// The workspace of one attempt: `<workdir>/jobs/<id>-a<attempt>`.
    pub fn job_dir(&self, id: &str, attempt: u32) -> PathBuf {
        self.workdir.join("jobs").join(format!("{id}-a{attempt}"))
    }

    /// The CLI config dir of slot `n`: `<workdir>/slots/<n>/claude-config`.
    pub fn slot_config_dir(&self, n: usize) -> PathBuf {
        self.workdir
            .join("slots")
            .join(n.to_string())
            .join("claude-config")
    }
}

/// Parses the API base URL (a trailing `/` or not).
pub fn parse_api(raw: &str) -> Result<Url, WorkerError> {
    let url = Url::parse(raw.trim())
        .map_err(|e| config_error(format!("api {raw:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(config_error(format!("api {raw:?} is not an http(s) URL")));
    }
    Ok(url)
}

fn parse_duration(name: &str, raw: &str) -> Result<Duration, WorkerError> {
    humantime::parse_duration(raw)
        .map_err(|e| config_error(format!("{name}={raw:?}: {e} (e.g. 30s, 5m)")))
}

fn config_error(message: String) -> WorkerError {
    WorkerError::Config(message)
}

/// Runner names the API accepts.
pub fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The host name, made into a valid runner name (`runner` if there is none).
pub fn default_name() -> String {
    let raw = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    let name: String = raw
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    if name.is_empty() {
        "runner".to_owned()
    } else {
        name
    }
}

/// `$XDG_DATA_HOME/cwm-runner`, else `~/.local/share/cwm-runner`, else `./cwm-runner`.
pub fn default_workdir() -> PathBuf {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    match (var("XDG_DATA_HOME"), var("HOME")) {
        (Some(data), _) => data.join("cwm-runner"),
        (None, Some(home)) => home.join(".local/share/cwm-runner"),
        (None, None) => PathBuf::from("cwm-runner"),
    }
}

/// `$CLAUDE_CONFIG_DIR`, else `~/.claude` (where `claude /login` keeps `.credentials.json`).
pub fn default_credentials_dir() -> Option<PathBuf> {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var(env::CLAUDE_CONFIG_DIR).or_else(|| var("HOME").map(|h| Path::new(&h).join(".claude")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn env_fills_every_setting() {
        let c = WorkerConfig::from_lookup(lookup(&[
            (env::API, "http://127.0.0.1:3000/"),
            (env::RUNNER_TOKEN, "t0k"),
            (env::RUNNER_NAME, "box-1"),
            (env::SLOTS, "5"),
            (env::CLAUDE, "/opt/claude"),
            (env::WORKDIR, "/srv/cwm"),
            (env::ALLOWED_TOOLS, "Read, Write"),
            (env::JOB_TIMEOUT, "10m"),
            (env::CLAIM_WAIT, "2s"),
            (env::CLAUDE_CONFIG_DIR, "/home/op/.claude-login"),
        ]))
        .unwrap();
        assert_eq!(c.api.as_str(), "http://127.0.0.1:3000/");
        assert_eq!(
            (c.token.as_str(), c.name.as_str(), c.slots),
            ("t0k", "box-1", 5)
        );
        assert_eq!(c.claude.claude_path, PathBuf::from("/opt/claude"));
        assert_eq!(c.claude.allowed_tools, ["Read", "Write"]);
        assert_eq!(c.claude.timeout, Duration::from_secs(600));
        assert_eq!(c.claim_wait, Duration::from_secs(2));
        assert_eq!(
            c.credentials_dir,
            Some(PathBuf::from("/home/op/.claude-login"))
        );
        assert_eq!(c.job_dir("7-ab", 2), PathBuf::from("/srv/cwm/jobs/7-ab-a2"));
        assert_eq!(
            c.slot_config_dir(1),
            PathBuf::from("/srv/cwm/slots/1/claude-config")
        );
        c.validate().unwrap();
    }

    #[test]
    fn missing_and_bad_settings_are_named() {
        let err = WorkerConfig::from_lookup(lookup(&[(env::API, "http://x")])).unwrap_err();
        assert!(err.to_string().contains("CWM_RUNNER_TOKEN"), "{err}");
        let err =
            WorkerConfig::from_lookup(lookup(&[(env::API, "ftp://x"), (env::RUNNER_TOKEN, "t")]))
                .unwrap_err();
        assert!(err.to_string().contains("http(s)"), "{err}");
        let mut c = WorkerConfig::new(parse_api("http://x").unwrap(), "t");
        c.name = "bad name".into();
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("runner name")
        );
        c.name = "ok".into();
        c.slots = 0;
        assert!(c.validate().unwrap_err().to_string().contains("slots"));
    }

    #[test]
    fn debug_hides_the_token() {
        let c = WorkerConfig::new(parse_api("http://x").unwrap(), "s3cret");
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    #[test]
    fn default_name_is_valid() {
        assert!(valid_name(&default_name()));
    }
}
