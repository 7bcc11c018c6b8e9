//! A worker configured from `CWM_*` environment variables only (see `worker::env`): what
//! `runner work` does, minus the command-line flags. The integration tests run it as a separate
//! process to kill and signal it.
//!
//! ```text
//! CWM_API=http://127.0.0.1:3000 CWM_RUNNER_TOKEN=secret cargo run -p worker --example env_worker
//! ```

use std::process::ExitCode;

use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = match worker::WorkerConfig::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let shutdown = match worker::Shutdown::on_signals() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot listen for signals: {e}");
            return ExitCode::FAILURE;
        }
    };
    match worker::run(config, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
