//! `runner`: parse settings, start logging, run the host until SIGINT/SIGTERM.

use std::process::ExitCode;

use clap::Parser as _;

#[tokio::main]
async fn main() -> ExitCode {
    let config = runner::cli::Cli::parse().into_config();
    runner::logging::init();
    match runner::run(config, runner::shutdown::signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", runner::one_line(&error));
            ExitCode::FAILURE
        }
    }
}
