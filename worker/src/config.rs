//! What a worker needs to know ([`WorkerConfig`]), its defaults, its settings as flags that
//! fall back to environment variables ([`WorkerArgs`], [`ApiArgs`]: each flag and its variable
//! declared once, in one place), and the checks made before anything starts.

use std::path::{Path, PathBuf};
use std::time::Duration;

use claude_exec::ExecConfig;
use reqwest::Url;

use crate::error::WorkerError;

/// Environment variables, one per setting (the flags of [`WorkerArgs`] and [`ApiArgs`] fall
/// back to them).
pub mod env;

/// `command` with the worker variables that are set but empty left out, so they count as unset
/// (clap would read them as an empty value). Apply to every command [`WorkerArgs`] or
/// [`ApiArgs`] is flattened into.
pub fn unset_empty_vars(command: clap::Command) -> clap::Command {
    let empty: Vec<clap::Id> = command
        .get_arguments()
        .filter(|a| {
            a.get_env().is_some_and(|name| {
                env::ALL.iter().any(|v| name == *v)
                    && std::env::var_os(name).is_some_and(|value| value.is_empty())
            })
        })
        .map(|a| a.get_id().clone())
        .collect();
    empty.into_iter().fold(command, |command, id| {
        command.mut_arg(id, |a| a.env(None::<&'static str>))
    })
}

/// Default number of jobs run at once.
pub const DEFAULT_SLOTS: u32 = 3;
pub use protocol::limits::MAX_SLOTS;
/// Default wait of one claim request (the API caps it with `claim_wait_ms`).
pub const DEFAULT_CLAIM_WAIT: Duration = Duration::from_secs(20);
/// How long lines collect before they are sent as one chunk.
pub const DEFAULT_LOG_FLUSH: Duration = Duration::from_millis(25);
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SandboxMode {
    /// bubblewrap when it works on this host, else no sandbox and a warning.
    #[default]
    Auto,
    /// bubblewrap, or the worker does not start.
    Bwrap,
    /// No OS sandbox: only the CLI's own permission rules confine a job.
    None,
}

/// Everything [`crate::run`] needs. Build it with [`WorkerConfig::new`] (or from flags and
/// variables with [`WorkerArgs::config`]) and change the fields that differ.
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

/// How `runner work` reaches the API. Each flag falls back to its variable.
#[derive(Clone, Default, clap::Args)]
pub struct ApiArgs {
    /// Base URL of the API, e.g. https://cwm.example.com [required]
    #[arg(long, env = env::API)]
    pub api: Option<String>,
    /// The server's runner_token. Prefer CWM_RUNNER_TOKEN or --token-file: a flag's value is
    /// visible to every user of the host in /proc/<pid>/cmdline
    #[arg(long, env = env::RUNNER_TOKEN, hide_env_values = true)]
    pub token: Option<String>,
    /// A file holding the runner token (mode 0600), read at start-up
    #[arg(long, env = env::RUNNER_TOKEN_FILE)]
    pub token_file: Option<PathBuf>,
}

impl std::fmt::Debug for ApiArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiArgs")
            .field("api", &self.api)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("token_file", &self.token_file)
            .finish()
    }
}

impl ApiArgs {
    /// The API's URL and the runner token (`--token` before `--token-file`).
    pub fn resolve(&self) -> Result<(Url, String), WorkerError> {
        let api = self
            .api
            .as_deref()
            .ok_or_else(|| config_error(format!("--api or {} is not set", env::API)))?;
        let api = parse_api(api)?;
        let token = match (&self.token, &self.token_file) {
            (Some(token), _) => token.clone(),
            (None, Some(file)) => read_token_file(file)?,
            (None, None) => {
                return Err(config_error(format!(
                    "{} or {} (--token-file) is not set",
                    env::RUNNER_TOKEN,
                    env::RUNNER_TOKEN_FILE
                )));
            }
        };
        Ok((api, token))
    }
}

/// The worker's settings, for `runner work` and `runner up` alike. Each flag falls back to its
/// variable, then to the default [`WorkerConfig::new`] gives.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct WorkerArgs {
    /// Jobs run at once by this runner (1-64) [default: 3]
    #[arg(long, env = env::SLOTS)]
    pub slots: Option<u32>,
    /// The Claude CLI to run [default: claude on PATH]
    #[arg(long, env = env::CLAUDE)]
    pub claude: Option<PathBuf>,
    /// Directory for job workspaces and per-slot CLI config [default: `work`: a data directory
    /// of the user; `up`: DATA_DIR/worker]
    #[arg(long, env = env::WORKDIR)]
    pub workdir: Option<PathBuf>,
    /// This runner's name in the API [default: host name]
    #[arg(long, env = env::RUNNER_NAME)]
    pub name: Option<String>,
    /// OS sandbox around each job: bwrap when it works here (auto), always (bwrap), or none
    #[arg(long, env = env::SANDBOX, value_enum, default_value_t = SandboxMode::Auto)]
    pub sandbox: SandboxMode,
    /// Tools the CLI may use (--allowedTools), comma separated [default: file tools inside the
    /// job's directory and web tools, no shell]
    #[arg(long, env = env::ALLOWED_TOOLS)]
    pub allowed_tools: Option<String>,
    /// Extra variables passed to the CLI, comma separated names or PREFIX* patterns
    #[arg(long, env = env::PASS_ENV)]
    pub pass_env: Option<String>,
    /// The CLI's --permission-mode [default: acceptEdits]
    #[arg(long, env = env::PERMISSION_MODE)]
    pub permission_mode: Option<String>,
    /// The CLI's --model [default: the CLI's own]
    #[arg(long, env = env::MODEL)]
    pub model: Option<String>,
    /// Hard limit per job, e.g. 30m [default: 30m]
    #[arg(long, env = env::JOB_TIMEOUT, value_parser = parse_duration)]
    pub job_timeout: Option<Duration>,
    /// Longest silence of the CLI before a job is stopped, e.g. 5m [default: 5m]
    #[arg(long, env = env::IDLE_TIMEOUT, value_parser = parse_duration)]
    pub idle_timeout: Option<Duration>,
    /// How long one claim request waits for a job [default: 20s]
    #[arg(long, env = env::CLAIM_WAIT, value_parser = parse_duration)]
    pub claim_wait: Option<Duration>,
    /// Log bytes kept in memory per job before the rest goes to a file [default: 4 MiB]
    #[arg(long, env = env::LOG_BUFFER_BYTES)]
    pub log_buffer_bytes: Option<usize>,
    /// Most log bytes one attempt may send; later lines are dropped after one notice
    /// [default: 50 MiB]
    #[arg(long, env = env::MAX_LOG_BYTES)]
    pub max_log_bytes: Option<usize>,
    /// Keep job workspaces after the job was reported, for debugging (any value but 0)
    #[arg(long, env = env::KEEP_WORKSPACES, num_args = 0..=1, default_missing_value = "1",
          value_parser = not_zero)]
    pub keep_workspaces: Option<bool>,
    /// Where the operator logged the CLI in; its .credentials.json is copied to each slot
    /// [default: ~/.claude]
    #[arg(long, env = env::CLAUDE_CONFIG_DIR)]
    pub claude_config_dir: Option<PathBuf>,
}

impl WorkerArgs {
    /// The config these settings give for `api` and `token`, defaults filling the rest.
    pub fn config(&self, api: Url, token: impl Into<String>) -> WorkerConfig {
        let list = |raw: &str| -> Vec<String> {
            raw.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(String::from)
                .collect()
        };
        fn set<T>(field: &mut T, value: Option<T>) {
            if let Some(v) = value {
                *field = v;
            }
        }
        let mut c = WorkerConfig::new(api, token);
        set(&mut c.name, self.name.clone());
        set(&mut c.slots, self.slots);
        set(&mut c.claude.claude_path, self.claude.clone());
        set(&mut c.workdir, self.workdir.clone());
        set(&mut c.claude.permission_mode, self.permission_mode.clone());
        set(
            &mut c.claude.allowed_tools,
            self.allowed_tools.as_deref().map(list),
        );
        c.claude.model = self.model.clone();
        set(&mut c.claude.timeout, self.job_timeout);
        set(&mut c.claude.idle_timeout, self.idle_timeout);
        set(&mut c.claim_wait, self.claim_wait);
        set(&mut c.log_buffer_bytes, self.log_buffer_bytes);
        set(&mut c.max_log_bytes, self.max_log_bytes);
        c.sandbox = self.sandbox;
        set(&mut c.claude.pass_env, self.pass_env.as_deref().map(list));
        c.keep_workspaces = self.keep_workspaces.unwrap_or(false);
        if let Some(dir) = &self.claude_config_dir {
            c.credentials_dir = Some(dir.clone());
        }
        c
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

fn parse_duration(raw: &str) -> Result<Duration, String> {
    humantime::parse_duration(raw.trim()).map_err(|e| format!("{e} (e.g. 30s, 5m)"))
}

/// `CWM_KEEP_WORKSPACES`: anything but `0` means yes.
fn not_zero(raw: &str) -> Result<bool, String> {
    Ok(raw.trim() != "0")
}

fn config_error(message: String) -> WorkerError {
    WorkerError::Config(message)
}

/// Runner names the API accepts.
pub use protocol::limits::valid_runner_name as valid_name;

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
mod tests;
