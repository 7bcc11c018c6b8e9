//! `runner`: parse the command, start logging, then serve (`serve`, `up`) or work (`work`)
//! until SIGINT/SIGTERM, or rebuild a running API's search index (`index rebuild`).

use std::process::ExitCode;

use runner::cli::{Cli, Mode};

#[tokio::main]
async fn main() -> ExitCode {
    let mode = Cli::from_process().into_mode();
    runner::logging::init();
    let outcome = match mode {
        Mode::Host(settings) => runner::run(*settings, runner::shutdown::signal()).await,
        Mode::Work(args) => runner::work(*args).await,
        Mode::IndexRebuild(args) => runner::index::rebuild(&args).await.map(drop),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", runner::one_line(&error));
            ExitCode::FAILURE
        }
    }
}
