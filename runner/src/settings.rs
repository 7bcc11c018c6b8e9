//! The host's settings, independent of how they were given (flags, environment, tests).

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::host::serve::{InstanceMode, Limits};

/// What a `runner` process does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Serve HTTP only.
    Serve,
    /// Serve HTTP and run everything else the application needs in-process.
    Up,
}

/// Everything [`crate::run`] needs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub role: Role,
    /// Under `up`: the worker's settings (its API and token are this host's).
    pub worker: Option<worker::WorkerArgs>,
    /// Address to listen on (port 0: any free port).
    pub listen: SocketAddr,
    /// State directory: `sqlite_key_value.db` and the compiled-code cache.
    pub data_dir: PathBuf,
    /// Where compiled code is cached; `None`: `<data_dir>/cache`.
    pub cache_dir: Option<PathBuf>,
    /// A .wasm to serve instead of the embedded component.
    pub component: Option<PathBuf>,
    /// A Spin manifest to read variables from; `None`: `./spin.toml` if present, else the
    /// embedded copy.
    pub manifest: Option<PathBuf>,
    /// Spin's runtime-config file: where the key-value store lives (SQLite in the data dir
    /// when `None`).
    pub runtime_config: Option<PathBuf>,
    pub instances: InstanceMode,
    pub limits: Limits,
}

impl Settings {
    /// The compiled-code cache directory in effect.
    pub fn cache_dir(&self) -> PathBuf {
        self.cache_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join(crate::host::component::CACHE_DIR))
    }
}
