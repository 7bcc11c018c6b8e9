//! Logging to stderr with `tracing`. The filter comes from `RUST_LOG` (default `info`); each
//! request is logged at `debug` (`RUST_LOG=runner=debug`).

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

/// Quiets the compiler's own chatter unless asked for.
const DEFAULT_FILTER: &str = "info,cranelift_codegen=warn,wasmtime_cranelift=warn";

/// Installs the global subscriber; does nothing if one is already installed.
pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
