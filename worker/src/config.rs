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
/// Log bytes one attempt may send before its log is cut.
pub const DEFAULT_MAX_LOG_BYTES: usize = 50 * 1024 * 1024;
/// Largest output file staged when the server does not say (`max_output_bytes` of a claim).
pub const DEFAULT_MAX_OUTPUT_BYTES: u64 = 1024 * 1024;

/// Whether jobs run inside an OS sandbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SandboxMode {
    /// bubblewrap when it works on this host, else no sandbox and a warning.
    Auto,
    /// bubblewrap, or the worker does not start.
    Bwrap,
    /// No OS sandbox: only the CLI's own permission rules confine a job.
    None,
}

impl SandboxMode {
    pub fn parse(raw: &str) -> Option<SandboxMode> {
        match raw.trim() {
            "auto" => Some(SandboxMode::Auto),
            "bwrap" => Some(SandboxMode::Bwrap),
            "none" => Some(SandboxMode::None),
            _ => None,
        }
    }
}

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
    /// The OS sandbox asked for; [`crate::run`] resolves it into `claude.sandbox`.
    pub sandbox: SandboxMode,
    /// Host paths hidden from sandboxed jobs besides the work dir (e.g. `runner up`'s data dir).
    pub sandbox_hide: Vec<PathBuf>,
    /// Most log bytes one attempt sends.
    pub max_log_bytes: usize,
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
            .field("sandbox", &self.sandbox)
            .field("sandbox_hide", &self.sandbox_hide)
            .field("max_log_bytes", &self.max_log_bytes)
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
            sandbox: SandboxMode::Auto,
            sandbox_hide: Vec::new(),
            max_log_bytes: DEFAULT_MAX_LOG_BYTES,
        }
    }

    /// A config from the [`env`] variables of this process (`CWM_API` and `CWM_RUNNER_TOKEN`
    /// or `CWM_RUNNER_TOKEN_FILE` are required).
    pub fn from_env() -> Result<WorkerConfig, WorkerError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// A config from variables looked up by `var` (see [`env`]).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<WorkerConfig, WorkerError> {
        let required =
            |name: &str| var(name).ok_or_else(|| config_error(format!("{name} is not set")));
        let api = parse_api(&required(env::API)?)?;
        let token = match (var(env::RUNNER_TOKEN), var(env::RUNNER_TOKEN_FILE)) {
            (Some(token), _) => token,
            (None, Some(file)) => read_token_file(Path::new(&file))?,
            (None, None) => {
                return Err(config_error(format!(
                    "{} or {} is not set",
                    env::RUNNER_TOKEN,
                    env::RUNNER_TOKEN_FILE
                )));
            }
        };
        let mut c = WorkerConfig::new(api, token);
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
        if let Some(v) = var(env::MAX_LOG_BYTES) {
            c.max_log_bytes = v.parse().map_err(|_| {
                config_error(format!("{}={v:?} is not a number", env::MAX_LOG_BYTES))
            })?;
        }
        if let Some(v) = var(env::SANDBOX) {
            c.sandbox = SandboxMode::parse(&v).ok_or_else(|| {
                config_error(format!(
                    "{}={v:?} must be auto, bwrap or none",
                    env::SANDBOX
                ))
            })?;
        }
        if let Some(v) = var(env::PASS_ENV) {
            c.claude.pass_env = v
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(String::from)
                .collect();
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
        claude_exec::child_env::check_pass_env(&self.claude.pass_env).map_err(config_error)?;
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

    /// The directory of slot `n` (`HOME` of its jobs): `<workdir>/slots/<n>`.
    pub fn slot_dir(&self, n: usize) -> PathBuf {
        self.workdir.join("slots").join(n.to_string())
    }

    /// The CLI config dir of slot `n`: `<workdir>/slots/<n>/claude-config`.
    pub fn slot_config_dir(&self, n: usize) -> PathBuf {
        self.slot_dir(n).join("claude-config")
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

/// The token in `path`: its content without surrounding whitespace. The file should be
/// readable by the runner's user only.
fn read_token_file(path: &Path) -> Result<String, WorkerError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        config_error(format!(
            "cannot read the runner token file {}: {e}",
            path.display()
        ))
    })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(config_error(format!(
            "the runner token file {} is empty",
            path.display()
        )));
    }
    Ok(token.to_owned())
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
        assert!(err.to_string().contains("CWM_RUNNER_TOKEN_FILE"), "{err}");
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
    fn the_token_can_come_from_a_file_and_sandbox_and_pass_env_are_read() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("token");
        std::fs::write(&file, "  from-file\n").unwrap();
        let path = file.to_str().unwrap();
        let c = WorkerConfig::from_lookup(lookup(&[
            (env::API, "http://x"),
            (env::RUNNER_TOKEN_FILE, path),
            (env::SANDBOX, "none"),
            (env::PASS_ENV, "FAKE_CLAUDE_*, AWS_REGION"),
        ]))
        .unwrap();
        assert_eq!(c.token, "from-file");
        assert_eq!(c.sandbox, SandboxMode::None);
        assert_eq!(c.claude.pass_env, ["FAKE_CLAUDE_*", "AWS_REGION"]);
        c.validate().unwrap();
        let err = WorkerConfig::from_lookup(lookup(&[
            (env::API, "http://x"),
            (env::RUNNER_TOKEN_FILE, "/nonexistent/token"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/token"), "{err}");
        let err = WorkerConfig::from_lookup(lookup(&[
            (env::API, "http://x"),
            (env::RUNNER_TOKEN, "t"),
            (env::SANDBOX, "docker"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("auto, bwrap or none"), "{err}");
        let c = WorkerConfig::from_lookup(lookup(&[
            (env::API, "http://x"),
            (env::RUNNER_TOKEN, "t"),
            (env::PASS_ENV, "CWM_RUNNER_TOKEN"),
        ]))
        .unwrap();
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("CWM_PASS_ENV")
        );
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
