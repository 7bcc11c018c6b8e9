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
}

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

    use clap::Parser as _;

    /// The settings as `runner work` takes them.
    #[derive(clap::Parser)]
    struct Work {
        #[command(flatten)]
        api: ApiArgs,
        #[command(flatten)]
        worker: WorkerArgs,
    }

    fn parse(args: &[&str]) -> Result<(ApiArgs, WorkerArgs), clap::Error> {
        let cli = Work::try_parse_from(std::iter::once("work").chain(args.iter().copied()))?;
        Ok((cli.api, cli.worker))
    }

    fn config(args: &[&str]) -> Result<WorkerConfig, WorkerError> {
        let (api, worker) = parse(args).map_err(|e| config_error(e.to_string()))?;
        let (url, token) = api.resolve()?;
        Ok(worker.config(url, token))
    }

    #[test]
    fn flags_fill_every_setting() {
        let c = config(&[
            "--api=http://127.0.0.1:3000/",
            "--token=t0k",
            "--name=box-1",
            "--slots=5",
            "--claude=/opt/claude",
            "--workdir=/srv/cwm",
            "--allowed-tools=Read, Write",
            "--job-timeout=10m",
            "--idle-timeout=90s",
            "--claim-wait=2s",
            "--claude-config-dir=/home/op/.claude-login",
            "--permission-mode=default",
            "--model=opus",
            "--log-buffer-bytes=1000",
            "--max-log-bytes=2000",
            "--keep-workspaces",
        ])
        .unwrap();
        assert_eq!(c.api.as_str(), "http://127.0.0.1:3000/");
        assert_eq!(
            (c.token.as_str(), c.name.as_str(), c.slots),
            ("t0k", "box-1", 5)
        );
        assert_eq!(c.claude.claude_path, PathBuf::from("/opt/claude"));
        assert_eq!(c.claude.allowed_tools, ["Read", "Write"]);
        assert_eq!(c.claude.timeout, Duration::from_secs(600));
        assert_eq!(c.claude.idle_timeout, Duration::from_secs(90));
        assert_eq!(c.claim_wait, Duration::from_secs(2));
        assert_eq!(
            (c.claude.permission_mode.as_str(), c.claude.model.as_deref()),
            ("default", Some("opus"))
        );
        assert_eq!((c.log_buffer_bytes, c.max_log_bytes), (1000, 2000));
        assert!(c.keep_workspaces);
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
        assert!(
            !config(&["--api=http://x", "--token=t", "--keep-workspaces=0"])
                .unwrap()
                .keep_workspaces
        );
    }

    #[test]
    fn unset_flags_give_the_defaults() {
        let c = config(&["--api=http://x", "--token=t"]).unwrap();
        let d = WorkerConfig::new(parse_api("http://x").unwrap(), "t");
        assert_eq!(format!("{c:?}"), format!("{d:?}"));
        assert_eq!(c.sandbox, SandboxMode::Auto);
        assert_eq!(c.slots, DEFAULT_SLOTS);
    }

    /// Each flag has its variable, named after it, and every variable of [`env`] has a flag:
    /// a flag and its variable cannot drift apart.
    #[test]
    fn every_flag_is_its_variable() {
        use clap::CommandFactory as _;
        let command = Work::command();
        let vars: Vec<(String, String)> = command
            .get_arguments()
            .filter(|a| a.get_id() != "help")
            .map(|a| {
                let var = a.get_env().expect("a flag without a variable");
                (
                    a.get_long().unwrap().to_owned(),
                    var.to_str().unwrap().to_owned(),
                )
            })
            .collect();
        for (flag, var) in &vars {
            let named = match flag.as_str() {
                "token" | "token-file" => {
                    format!("CWM_RUNNER_{}", flag.to_uppercase().replace('-', "_"))
                }
                "name" => "CWM_RUNNER_NAME".to_owned(),
                "workdir" => "CWM_WORKDIR".to_owned(),
                "claude-config-dir" => "CLAUDE_CONFIG_DIR".to_owned(),
                _ => format!("CWM_{}", flag.to_uppercase().replace('-', "_")),
            };
            assert_eq!(var, &named, "--{flag}");
        }
        for var in [
            env::API,
            env::RUNNER_TOKEN,
            env::RUNNER_TOKEN_FILE,
            env::SANDBOX,
            env::PASS_ENV,
            env::MAX_LOG_BYTES,
            env::RUNNER_NAME,
            env::SLOTS,
            env::CLAUDE,
            env::WORKDIR,
            env::PERMISSION_MODE,
            env::ALLOWED_TOOLS,
            env::MODEL,
            env::JOB_TIMEOUT,
            env::IDLE_TIMEOUT,
            env::CLAIM_WAIT,
            env::LOG_BUFFER_BYTES,
            env::KEEP_WORKSPACES,
            env::CLAUDE_CONFIG_DIR,
        ] {
            assert!(vars.iter().any(|(_, v)| v == var), "{var} has no flag");
        }
    }

    #[test]
    fn missing_and_bad_settings_are_named() {
        let err = config(&["--api=http://x"]).unwrap_err();
        assert!(err.to_string().contains("CWM_RUNNER_TOKEN"), "{err}");
        assert!(err.to_string().contains("CWM_RUNNER_TOKEN_FILE"), "{err}");
        let err = config(&["--token=t"]).unwrap_err();
        assert!(err.to_string().contains("CWM_API"), "{err}");
        let err = config(&["--api=ftp://x", "--token=t"]).unwrap_err();
        assert!(err.to_string().contains("http(s)"), "{err}");
        for bad in ["--slots=many", "--job-timeout=soon", "--max-log-bytes=-1"] {
            let err = parse(&["--api=http://x", "--token=t", bad]).unwrap_err();
            assert!(
                err.to_string().contains(bad.split('=').next().unwrap()),
                "{err}"
            );
        }
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
        let c = config(&[
            "--api=http://x",
            "--token-file",
            path,
            "--sandbox=none",
            "--pass-env=FAKE_CLAUDE_*, AWS_REGION",
        ])
        .unwrap();
        assert_eq!(c.token, "from-file");
        assert_eq!(c.sandbox, SandboxMode::None);
        assert_eq!(c.claude.pass_env, ["FAKE_CLAUDE_*", "AWS_REGION"]);
        c.validate().unwrap();
        let c = config(&["--api=http://x", "--token=flag", "--token-file", path]).unwrap();
        assert_eq!(c.token, "flag", "the token itself wins over a file");
        let err = config(&["--api=http://x", "--token-file=/nonexistent/token"]).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/token"), "{err}");
        std::fs::write(&file, " \n").unwrap();
        let err = config(&["--api=http://x", "--token-file", path]).unwrap_err();
        assert!(err.to_string().contains("is empty"), "{err}");
        let err = parse(&["--api=http://x", "--token=t", "--sandbox=docker"]).unwrap_err();
        assert!(err.to_string().contains("auto, bwrap, none"), "{err}");
        let c = config(&["--api=http://x", "--token=t", "--pass-env=CWM_RUNNER_TOKEN"]).unwrap();
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
        let (api, _) = parse(&["--api=http://x", "--token=s3cret"]).unwrap();
        assert!(!format!("{api:?}").contains("s3cret"));
    }

    #[test]
    fn default_name_is_valid() {
        assert!(valid_name(&default_name()));
    }
}
