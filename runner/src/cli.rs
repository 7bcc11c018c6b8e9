//! Command-line interface: `runner serve`, `runner work` and `runner up`, with flags that fall
//! back to environment variables, turned into [`Mode`].

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::host::serve::{InstanceMode, Limits};
use crate::settings::{Role, Settings};

/// Self-contained host for the Claude Workflow Manager.
#[derive(Debug, Parser)]
#[command(name = "runner", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API and web UI over HTTP.
    Serve(ServeArgs),
    /// Claim jobs from an API and run them with the Claude CLI.
    Work(WorkArgs),
    /// Everything in one process: the HTTP server and a job worker using it.
    Up(UpArgs),
}

#[derive(Debug, Args)]
struct UpArgs {
    #[command(flatten)]
    serve: ServeArgs,
    #[command(flatten)]
    worker: WorkerArgs,
}

#[derive(Debug, Args)]
struct WorkArgs {
    /// Base URL of the API, e.g. https://cwm.example.com [env: CWM_API]
    #[arg(long)]
    api: Option<String>,
    /// The server's runner_token. Prefer CWM_RUNNER_TOKEN or --token-file: a flag's value is
    /// visible to every user of the host in /proc/<pid>/cmdline [env: CWM_RUNNER_TOKEN]
    #[arg(long)]
    token: Option<String>,
    /// A file holding the runner token (mode 0600) [env: CWM_RUNNER_TOKEN_FILE]
    #[arg(long)]
    token_file: Option<PathBuf>,
    #[command(flatten)]
    worker: WorkerArgs,
}

/// Worker flags. Each falls back to its `CWM_*` variable, then to the worker's default
/// (see the `worker` crate's `config::env`).
#[derive(Debug, Args)]
struct WorkerArgs {
    /// Jobs run at once by this runner [env: CWM_SLOTS] [default: 3]
    #[arg(long)]
    slots: Option<u32>,
    /// The Claude CLI to run [env: CWM_CLAUDE] [default: claude on PATH]
    #[arg(long)]
    claude: Option<PathBuf>,
    /// Directory for job workspaces and per-slot CLI config [env: CWM_WORKDIR]
    #[arg(long)]
    workdir: Option<PathBuf>,
    /// This runner's name in the API [env: CWM_RUNNER_NAME] [default: host name]
    #[arg(long)]
    name: Option<String>,
    /// OS sandbox around each job: bwrap when it works here (auto), always (bwrap), or none
    /// [env: CWM_SANDBOX] [default: auto]
    #[arg(long, value_parser = ["auto", "bwrap", "none"])]
    sandbox: Option<String>,
}

impl WorkerArgs {
    /// Flag values keyed by the worker's environment variable names.
    fn overrides(&self) -> BTreeMap<String, String> {
        use worker::env;
        let mut map = BTreeMap::new();
        let mut put = |key: &str, value: Option<String>| {
            if let Some(v) = value {
                map.insert(key.to_owned(), v);
            }
        };
        put(env::SLOTS, self.slots.map(|s| s.to_string()));
        put(
            env::CLAUDE,
            self.claude.as_ref().map(|p| p.display().to_string()),
        );
        put(
            env::WORKDIR,
            self.workdir.as_ref().map(|p| p.display().to_string()),
        );
        put(env::RUNNER_NAME, self.name.clone());
        put(env::SANDBOX, self.sandbox.clone());
        map
    }
}

/// What the process is asked to do.
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "made once per process and consumed at once"
)]
pub enum Mode {
    /// `serve` or `up` (with `Settings::worker`).
    Host(Settings),
    /// `work`: the worker's variables from flags (the environment fills the rest).
    Work(BTreeMap<String, String>),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the address is printed at start-up).
    #[arg(long, env = "CWM_LISTEN", default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// Directory for state: holds sqlite_key_value.db (as Spin's `.spin/` does) and cache/.
    #[arg(long, env = "CWM_DATA_DIR", default_value = ".spin")]
    data_dir: PathBuf,
    /// Directory for compiled machine code [default: DATA_DIR/cache].
    #[arg(long, env = "CWM_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Serve this .wasm instead of the component embedded in the binary.
    #[arg(long, env = "CWM_COMPONENT")]
    component: Option<PathBuf>,
    /// Spin manifest with the variables' defaults [default: spin.toml if present, else the
    /// copy embedded in the binary].
    #[arg(long, env = "CWM_MANIFEST")]
    manifest: Option<PathBuf>,
    /// How component instances serve requests.
    #[arg(long, env = "CWM_INSTANCES", value_enum, default_value_t = Instances::Reuse)]
    instances: Instances,
    /// Requests handled at once, runners' aside; further requests wait.
    #[arg(long, env = "CWM_MAX_CONCURRENT_REQUESTS", default_value_t = 1000)]
    max_concurrent_requests: usize,
    /// Requests reserved for runners (`/api/runner/*` with the runner token), beside the others.
    #[arg(long, env = "CWM_RUNNER_REQUESTS", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    runner_requests: u32,
    /// Seconds a connection gets to send a request head (idle keep-alive included).
    #[arg(long, env = "CWM_HEADER_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout_secs: u64,
    /// Seconds a request body may pause before it fails.
    #[arg(long, env = "CWM_BODY_IDLE_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    body_idle_timeout_secs: u64,
    /// Seconds a whole request body may take.
    #[arg(long, env = "CWM_BODY_TIMEOUT_SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    body_timeout_secs: u64,
    /// Event streams (`/api/jobs/{id}/events`) open at once; more get 429.
    #[arg(long, env = "CWM_MAX_EVENT_STREAMS", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..))]
    max_event_streams: u32,
    /// Event streams open at once from one client address (IPv6: one /64); more get 429.
    #[arg(long, env = "CWM_MAX_EVENT_STREAMS_PER_CLIENT", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..))]
    max_event_streams_per_client: u32,
    /// Seconds in-flight requests get to finish after SIGINT/SIGTERM.
    #[arg(long, env = "CWM_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    shutdown_grace_secs: u64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Instances {
    /// A new instance for every request.
    PerRequest,
    /// Instances serve up to 16 requests at once and 128 in total (as `wasmtime serve`).
    Reuse,
}

impl Cli {
    /// What these arguments ask for.
    pub fn into_mode(self) -> Mode {
        match self.command {
            Command::Serve(args) => Mode::Host(host_settings(Role::Serve, args, None)),
            Command::Up(UpArgs { serve, worker }) => {
                Mode::Host(host_settings(Role::Up, serve, Some(worker.overrides())))
            }
            Command::Work(WorkArgs {
                api,
                token,
                token_file,
                worker,
            }) => {
                let mut vars = worker.overrides();
                if let Some(api) = api {
                    vars.insert(worker::env::API.to_owned(), api);
                }
                if let Some(token) = token {
                    vars.insert(worker::env::RUNNER_TOKEN.to_owned(), token);
                }
                if let Some(file) = token_file {
                    vars.insert(
                        worker::env::RUNNER_TOKEN_FILE.to_owned(),
                        file.display().to_string(),
                    );
                }
                Mode::Work(vars)
            }
        }
    }

    /// The host settings of `serve` or `up` (tests).
    pub fn into_config(self) -> Settings {
        match self.into_mode() {
            Mode::Host(settings) => settings,
            Mode::Work(_) => panic!("`work` has no host settings"),
        }
    }
}

fn host_settings(
    role: Role,
    args: ServeArgs,
    worker: Option<BTreeMap<String, String>>,
) -> Settings {
    Settings {
        role,
        worker,
        listen: args.listen,
        data_dir: args.data_dir,
        cache_dir: args.cache_dir,
        component: args.component,
        manifest: args.manifest,
        instances: match args.instances {
            Instances::PerRequest => InstanceMode::PerRequest,
            Instances::Reuse => InstanceMode::REUSE_DEFAULT,
        },
        limits: Limits {
            max_concurrent_requests: args.max_concurrent_requests.max(1),
            runner_requests: count(args.runner_requests),
            header_timeout: Duration::from_secs(args.header_timeout_secs),
            body_idle_timeout: Duration::from_secs(args.body_idle_timeout_secs),
            body_timeout: Duration::from_secs(args.body_timeout_secs),
            max_event_streams: count(args.max_event_streams),
            max_event_streams_per_client: count(args.max_event_streams_per_client),
            grace: Duration::from_secs(args.shutdown_grace_secs),
        },
    }
}

/// A count clap has checked to be at least 1.
fn count(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_spin_layout_and_port() {
        let settings = Cli::try_parse_from(["runner", "serve"])
            .unwrap()
            .into_config();
        assert_eq!(settings.role, Role::Serve);
        assert_eq!(settings.listen, "127.0.0.1:3000".parse().unwrap());
        assert_eq!(settings.data_dir, PathBuf::from(".spin"));
        assert_eq!(settings.component, None);
        assert_eq!(settings.limits.grace, Duration::from_secs(10));
        let limits = settings.limits;
        assert_eq!(
            (limits.max_concurrent_requests, limits.runner_requests),
            (1000, 64)
        );
        assert_eq!(limits.header_timeout, Duration::from_secs(10));
        assert_eq!(limits.body_idle_timeout, Duration::from_secs(30));
        assert_eq!(limits.body_timeout, Duration::from_secs(300));
        assert_eq!(
            (
                limits.max_event_streams,
                limits.max_event_streams_per_client
            ),
            (256, 16)
        );
    }

    #[test]
    fn work_flags_become_worker_variables() {
        let mode = Cli::try_parse_from([
            "runner",
            "work",
            "--api",
            "http://h:1",
            "--token",
            "t",
            "--slots",
            "2",
            "--name",
            "r7",
        ])
        .unwrap()
        .into_mode();
        let Mode::Work(vars) = mode else {
            panic!("not work")
        };
        assert_eq!(vars.get("CWM_API").map(String::as_str), Some("http://h:1"));
        assert_eq!(vars.get("CWM_RUNNER_TOKEN").map(String::as_str), Some("t"));
        assert_eq!(vars.get("CWM_SLOTS").map(String::as_str), Some("2"));
        assert_eq!(vars.get("CWM_RUNNER_NAME").map(String::as_str), Some("r7"));
        let Mode::Work(vars) = Cli::try_parse_from([
            "runner",
            "work",
            "--token-file",
            "/run/secrets/cwm",
            "--sandbox",
            "none",
        ])
        .unwrap()
        .into_mode() else {
            panic!("not work")
        };
        assert_eq!(
            vars.get("CWM_RUNNER_TOKEN_FILE").map(String::as_str),
            Some("/run/secrets/cwm")
        );
        assert_eq!(vars.get("CWM_SANDBOX").map(String::as_str), Some("none"));
        assert!(Cli::try_parse_from(["runner", "work", "--sandbox", "docker"]).is_err());
    }

    #[test]
    fn limits_come_from_flags_and_zero_is_refused() {
        let settings = Cli::try_parse_from([
            "runner",
            "up",
            "--header-timeout-secs",
            "1",
            "--max-event-streams-per-client",
            "3",
            "--runner-requests",
            "8",
        ])
        .unwrap()
        .into_config();
        assert_eq!(settings.limits.header_timeout, Duration::from_secs(1));
        assert_eq!(settings.limits.max_event_streams_per_client, 3);
        assert_eq!(settings.limits.runner_requests, 8);
        for flag in ["--body-idle-timeout-secs", "--max-event-streams"] {
            let zero = Cli::try_parse_from(["runner", "serve", flag, "0"]);
            assert!(zero.is_err(), "{flag} 0 was accepted");
        }
    }

    #[test]
    fn up_takes_the_same_flags() {
        let cli = Cli::try_parse_from([
            "runner",
            "up",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            "/tmp/d",
            "--instances",
            "per-request",
        ]);
        let settings = cli.unwrap().into_config();
        assert_eq!(settings.role, Role::Up);
        assert_eq!(settings.data_dir, PathBuf::from("/tmp/d"));
        assert_eq!(settings.instances, InstanceMode::PerRequest);
    }
}
