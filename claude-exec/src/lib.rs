//! Runs the Claude Code CLI (`claude -p`) headless for ONE job, independent of any HTTP API.
//!
//! ```no_run
//! # async fn demo() {
//! use claude_exec::{ExecConfig, ExecEvent, JobRun, run};
//! let (tx, mut rx) = tokio::sync::mpsc::channel(256);
//! let job = JobRun {
//!     workdir: "/srv/jobs/42".into(),
//!     prompt: "Write brief.md".into(),
//!     config_dir: "/srv/slots/0/claude".into(),
//!     home_dir: "/srv/slots/0".into(),
//!     output_dir: "/srv/jobs/42".into(),
//!     expected_outputs: vec!["brief.md".into()],
//! };
//! let cancel = tokio_util::sync::CancellationToken::new();
//! let printer = tokio::spawn(async move {
//!     while let Some(ExecEvent::Log(line)) = rx.recv().await { println!("{}", line.text) }
//! });
//! let outcome = run(&ExecConfig::default(), &job, tx, cancel).await;
//! # let _ = (outcome, printer);
//! # }
//! ```
//!
//! # Layout
//! - `config`: `ExecConfig` (how to call the CLI) and `JobRun` (one job).
//! - `spawn`: command line, process group, stdin, pipe readers.
//! - [`child_env`]: the child's environment: an allowlist, never the runner's secrets.
//! - [`sandbox`]: the bubblewrap wrapper (workspace and slot writable, system read-only, the
//!   rest of the host hidden, own PID namespace) and its availability probe.
//! - [`files`]: opening output files without following symbolic links, with a size cap.
//! - `stream`: stream-json lines → `LogLine`s and the facts the outcome needs.
//! - `describe`: short texts for tool calls, results, durations.
//! - `watch`: the output directory watch (`ExecEvent::OutputFile`).
//! - `kill`: process-group signals, the child subreaper, and the sweep of leftover processes.
//! - `outcome`: success/failure rules and messages, `Usage`.
//! - `run`: the steps of one run and the supervision loop (watchdogs, cancel).
//!
//! The caller should call [`set_child_subreaper`] once at start so orphaned tool processes
//! can be reaped.

pub mod child_env;
mod config;
mod describe;
pub mod files;
mod kill;
mod outcome;
mod run;
pub mod sandbox;
mod spawn;
mod stream;
mod watch;

pub use config::{DEFAULT_ALLOWED_TOOLS, DEFAULT_PERMISSION_MODE, ExecConfig, JobRun};
pub use kill::set_child_subreaper;
pub use outcome::{ExecOutcome, Usage};
pub use run::run;
pub use spawn::command_args;
pub use stream::{LogKind, LogLine, LogStream};

/// What a run reports while it goes.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ExecEvent {
    /// A readable log line.
    Log(LogLine),
    /// A file in the output directory appeared or changed (and has been quiet for the debounce
    /// time). The path is relative to `JobRun::output_dir`.
    OutputFile { relative_path: String },
}
