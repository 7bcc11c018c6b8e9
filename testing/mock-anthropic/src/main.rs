//! `mock-anthropic [--listen ADDR] [--scenario NAME] [--log FILE] [--event-delay-ms N] [--cwd DIR]`
//!
//! Prints `listening on http://ADDR` on stdout once it accepts connections, one line per
//! request on stderr, and runs until SIGINT or SIGTERM.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use mock_anthropic::{Config, Scenario};
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};

/// Scripted mock of the Anthropic Messages API (for running the real Claude Code CLI offline).
#[derive(Debug, Parser)]
#[command(name = "mock-anthropic", version, about)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "MOCK_ANTHROPIC_LISTEN", default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// write: call Write on the output file the prompt names, then finish; text-only: answer in
    /// text, never write; overloaded: 529; unauthorized: 401 (both with x-should-retry: false).
    /// A prompt containing `mock-anthropic:scenario=<name>` picks its own.
    #[arg(long, env = "MOCK_ANTHROPIC_SCENARIO", default_value = "write",
          value_parser = clap::builder::PossibleValuesParser::new(Scenario::NAMES))]
    scenario: String,
    /// Append every request (method, path, headers without credentials, JSON body) and the
    /// answer given, one JSON object a line.
    #[arg(long, env = "MOCK_ANTHROPIC_LOG")]
    log: Option<PathBuf>,
    /// Pause between the server-sent events of a streamed answer.
    #[arg(long, env = "MOCK_ANTHROPIC_EVENT_DELAY_MS", default_value_t = 0)]
    event_delay_ms: u64,
    /// Working directory to write under when a request names none ("Primary working
    /// directory: …" is normally in the request).
    #[arg(long, env = "MOCK_ANTHROPIC_CWD")]
    cwd: Option<String>,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let config = Config {
        scenario: Scenario::parse(&args.scenario).expect("clap checked the scenario"),
        event_delay: Duration::from_millis(args.event_delay_ms),
        fallback_cwd: args.cwd,
        log: args.log,
    };
    let listener = TcpListener::bind(args.listen).await?;
    let addr = listener.local_addr()?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{addr}")?;
        out.flush()?;
    }
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        result = mock_anthropic::serve(listener, config) => result,
        _ = tokio::signal::ctrl_c() => Ok(()),
        _ = term.recv() => Ok(()),
    }
}
