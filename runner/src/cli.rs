//! Command-line interface: `runner serve` and `runner up`, with flags that fall back to
//! environment variables, turned into [`Settings`].

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
    /// Everything in one process: the HTTP server (and, later, the job worker).
    Up(ServeArgs),
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
    /// The settings these arguments describe.
    pub fn into_config(self) -> Settings {
        let (role, args) = match self.command {
            Command::Serve(args) => (Role::Serve, args),
            Command::Up(args) => (Role::Up, args),
        };
        Settings {
            role,
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
