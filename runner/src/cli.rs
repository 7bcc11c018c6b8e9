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
    /// The server's runner_token [env: CWM_RUNNER_TOKEN]
    #[arg(long)]
    token: Option<String>,
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
        map
    }
}

/// What the process is asked to do.
#[derive(Debug)]
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
    /// Requests handled at once; further requests wait.
    #[arg(long, env = "CWM_MAX_CONCURRENT_REQUESTS", default_value_t = 1000)]
    max_concurrent_requests: usize,
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
            Command::Work(WorkArgs { api, token, worker }) => {
                let mut vars = worker.overrides();
                if let Some(api) = api {
                    vars.insert(worker::env::API.to_owned(), api);
                }
                if let Some(token) = token {
                    vars.insert(worker::env::RUNNER_TOKEN.to_owned(), token);
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
            grace: Duration::from_secs(args.shutdown_grace_secs),
        },
    }
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
