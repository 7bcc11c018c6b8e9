//! Command-line interface: `runner serve`, `runner work`, `runner up` and `runner index
//! rebuild`, with flags that fall back to environment variables, turned into [`Mode`]. The worker's flags are the `worker`
//! crate's own ([`WorkerArgs`], [`ApiArgs`]), flattened in.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand, ValueEnum};

use worker::{ApiArgs, WorkerArgs};

use crate::host::serve::{InstanceMode, Limits};
use crate::index::RebuildArgs;
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
    /// The search index of a running API.
    #[command(subcommand)]
    Index(IndexCommand),
}

#[derive(Debug, Subcommand)]
enum IndexCommand {
    /// Recreate the search index from the documents (for data written before it existed),
    /// step by step through POST /api/search/rebuild, with an admin credential.
    Rebuild(RebuildArgs),
}

#[derive(Debug, Args)]
struct UpArgs {
    #[command(flatten)]
    serve: ServeArgs,
    #[command(flatten)]
    worker: WorkerArgs,
}

/// `runner work`: where the API is, and the worker's settings.
#[derive(Debug, Args)]
pub struct WorkArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(flatten)]
    pub worker: WorkerArgs,
}

/// What the process is asked to do.
#[derive(Debug)]
pub enum Mode {
    /// `serve` or `up` (with `Settings::worker`).
    Host(Box<Settings>),
    /// `work`: the job worker alone.
    Work(Box<WorkArgs>),
    /// `index rebuild`: the search index of a running API recreated.
    IndexRebuild(RebuildArgs),
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
    /// Spin runtime-config file naming the key-value store: `[key_value_store.default]` with
    /// `type = "redis"` and `url`, or `type = "spin"` and `path` [default: SQLite in DATA_DIR].
    #[arg(long, env = "CWM_RUNTIME_CONFIG_FILE")]
    runtime_config_file: Option<PathBuf>,
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
    /// The process's arguments and variables; exits with clap's message if they are wrong. A
    /// worker variable set to the empty string counts as unset.
    pub fn from_process() -> Cli {
        let command = Cli::command()
            .mut_subcommand("work", worker::config::unset_empty_vars)
            .mut_subcommand("up", worker::config::unset_empty_vars);
        let mut matches = command.get_matches();
        Cli::from_arg_matches_mut(&mut matches).unwrap_or_else(|e| e.exit())
    }

    /// What these arguments ask for.
    pub fn into_mode(self) -> Mode {
        match self.command {
            Command::Serve(args) => Mode::Host(Box::new(host_settings(Role::Serve, args, None))),
            Command::Up(UpArgs { serve, worker }) => {
                Mode::Host(Box::new(host_settings(Role::Up, serve, Some(worker))))
            }
            Command::Work(args) => Mode::Work(Box::new(args)),
            Command::Index(IndexCommand::Rebuild(args)) => Mode::IndexRebuild(args),
        }
    }

    /// The host settings of `serve` or `up` (tests).
    pub fn into_config(self) -> Settings {
        match self.into_mode() {
            Mode::Host(settings) => *settings,
            Mode::Work(_) | Mode::IndexRebuild(_) => {
                panic!("only `serve` and `up` have host settings")
            }
        }
    }
}

fn host_settings(role: Role, args: ServeArgs, worker: Option<WorkerArgs>) -> Settings {
    Settings {
        role,
        worker,
        listen: args.listen,
        data_dir: args.data_dir,
        cache_dir: args.cache_dir,
        component: args.component,
        manifest: args.manifest,
        runtime_config: args.runtime_config_file,
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
    fn work_flags_become_worker_settings() {
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
        let Mode::Work(args) = mode else {
            panic!("not work")
        };
        let (api, token) = args.api.resolve().unwrap();
        let config = args.worker.config(api, token);
        assert_eq!(config.api.as_str(), "http://h:1/");
        assert_eq!(config.token, "t");
        assert_eq!((config.slots, config.name.as_str()), (2, "r7"));
        let Mode::Work(args) = Cli::try_parse_from([
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
        assert_eq!(args.api.token_file, Some(PathBuf::from("/run/secrets/cwm")));
        assert_eq!(args.worker.sandbox, worker::SandboxMode::None);
        assert!(Cli::try_parse_from(["runner", "work", "--sandbox", "docker"]).is_err());
    }

    #[test]
    fn up_takes_the_worker_flags_but_not_the_api_ones() {
        let settings = Cli::try_parse_from(["runner", "up", "--slots", "4", "--workdir", "/w"])
            .unwrap()
            .into_config();
        let worker = settings.worker.unwrap();
        assert_eq!(
            (worker.slots, worker.workdir),
            (Some(4), Some(PathBuf::from("/w")))
        );
        assert!(Cli::try_parse_from(["runner", "up", "--api", "http://h:1"]).is_err());
        assert!(Cli::try_parse_from(["runner", "serve", "--slots", "2"]).is_err());
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
    fn index_rebuild_takes_the_api_and_a_token_file() {
        let Mode::IndexRebuild(args) = Cli::try_parse_from([
            "runner",
            "index",
            "rebuild",
            "--api",
            "http://h:1",
            "--token-file",
            "/run/admin",
        ])
        .unwrap()
        .into_mode() else {
            panic!("not index rebuild")
        };
        assert_eq!(
            (args.api.as_str(), args.token_file),
            ("http://h:1", PathBuf::from("/run/admin"))
        );
        assert!(Cli::try_parse_from(["runner", "index"]).is_err());
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
