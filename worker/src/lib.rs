//! The runner's worker: claims jobs from the API's runner protocol (docs/runner-protocol.md),
//! runs the Claude CLI for each through `claude_exec`, streams the logs, stages the outputs and
//! reports the end, until shut down.
//!
//! ```no_run
//! # async fn demo() -> Result<(), worker::WorkerError> {
//! let api = worker::parse_api("https://cwm.example.com")?;
//! let mut config = worker::WorkerConfig::new(api, "runner-token");
//! config.slots = 2;
//! worker::run(config, worker::Shutdown::on_signals().expect("signal handlers")).await
//! # }
//! ```
//!
//! # Layout
//! - [`config`]: `WorkerConfig`, defaults, the settings as flags with `CWM_*` variables
//!   (`WorkerArgs`, `ApiArgs`), validation.
//! - `api`: the HTTP client of `/api/runner/*`: calls, failure classes, retry with back-off.
//! - `poll`: the claim loop (one long-poll claim for all free slots).
//! - `pause`: no claims while a usage limit this runner met has not reset.
//! - `supervise`: one attempt from claim to finish: workspace, claude run, outputs, report.
//! - `heartbeat`: one task extending the leases of all running jobs, applying cancel/abandon.
//! - `logs`: protocol lines, chunking, the ordered exactly-once uploader; `spill`: the
//!   memory-bounded line queue that spills to disk.
//! - `outputs`: staging output files as they appear and at the end.
//! - `jobs`: the running jobs and how each is stopped (`JobControl`, `StopReason`).
//! - `workspace`: the work dir lock, per-slot CLI config dirs, per-attempt workspaces.
//! - `state`: what the tasks share (`Worker`, slots, the fatal error).
//! - [`shutdown`]: the two-stage shutdown switch (drain, then abort).
//!
//! [`run`] (or [`prepare`], then [`Prepared::run`]) checks the settings and the work dir before
//! it claims anything; afterwards only a
//! 401 or another refusal of the claim stops it early. An unreachable API never does: jobs
//! keep running, logs wait (in memory, then on disk) and every call is retried.

mod api;
pub mod config;
mod error;
mod heartbeat;
mod jobs;
mod logs;
mod outputs;
mod pause;
mod poll;
pub mod shutdown;
mod spill;
mod state;
mod supervise;
mod workspace;

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub use crate::config::{ApiArgs, SandboxMode, WorkerArgs, WorkerConfig, env, parse_api};
pub use crate::error::WorkerError;
pub use crate::shutdown::Shutdown;
pub use claude_exec::ExecConfig;
pub use reqwest::Url;

use crate::api::Api;
use crate::jobs::StopReason;
use crate::state::Worker;

/// After an abort (or a fatal error), how long jobs get to report beyond the CLI's kill grace.
const REPORT_GRACE: Duration = Duration::from_secs(10);

/// Runs the worker until `shutdown` drains it (running jobs finish first) or aborts it (running
/// jobs are cancelled and given back), or until a fatal error: a wrong token (401), a refused
/// claim, an unusable work dir.
pub async fn run(config: WorkerConfig, shutdown: Shutdown) -> Result<(), WorkerError> {
    prepare(config)?.run(shutdown).await
}

/// Everything checked before the first claim: the settings, the work dir (locked for this
/// process until the [`Prepared`] worker is dropped), the slots and the sandbox. A host that
/// runs the worker beside other work (`runner up`) calls this first, so a worker that cannot
/// start stops the host before it serves.
pub fn prepare(mut config: WorkerConfig) -> Result<Prepared, WorkerError> {
    config.validate()?;
    let lock = workspace::lock_workdir(&config.workdir)?;
    let unconfined = resolve_sandbox(&mut config)?;
    if !config.keep_workspaces {
        workspace::clear_stale_jobs(&config.workdir);
    }
    workspace::prepare_slots(&config)?;
    if let Err(e) = claude_exec::set_child_subreaper() {
        tracing::warn!(
            "cannot become a child subreaper ({e}); orphaned tool processes may be missed"
        );
    }
    let api = Api::new(&config.api, &config.token, &config.name, config.retry_cap)?;
    Ok(Prepared {
        config,
        api,
        unconfined,
        _lock: lock,
    })
}

/// A worker ready to claim jobs (see [`prepare`]).
pub struct Prepared {
    config: WorkerConfig,
    api: Api,
    unconfined: Option<String>,
    _lock: std::fs::File,
}

impl Prepared {
    /// The settings in effect (the sandbox resolved).
    pub fn config(&self) -> &WorkerConfig {
        &self.config
    }

    /// Claims and runs jobs until shut down or a fatal error (see [`run`]).
    pub async fn run(self, shutdown: Shutdown) -> Result<(), WorkerError> {
        let Prepared {
            config,
            api,
            unconfined,
            _lock,
        } = self;
        tracing::info!(
            api = %config.api,
            name = %config.name,
            slots = config.slots,
            workdir = %config.workdir.display(),
            claude = %config.claude.claude_path.display(),
            sandbox = if config.claude.sandbox.is_some() { "bwrap" } else { "none" },
            "worker started"
        );
        let worker = Arc::new(Worker::new(config, api, unconfined));
        let stop_beats = CancellationToken::new();
        let beats = tokio::spawn(heartbeat::run(worker.clone(), stop_beats.clone()));

        let mut jobs = JoinSet::new();
        poll::run(&worker, &shutdown, &mut jobs).await;
        wait_for_jobs(&worker, &shutdown, &mut jobs).await;

        stop_beats.cancel();
        let _ = beats.await;
        match worker.fatal.take() {
            Some(error) => Err(error),
            None => {
                tracing::info!("worker stopped");
                Ok(())
            }
        }
    }
}

/// Turns the sandbox mode into the CLI's wrapper. Returns the warning every job's log starts
/// with when jobs run without the OS sandbox; `bwrap` that cannot work here is an error.
fn resolve_sandbox(config: &mut WorkerConfig) -> Result<Option<String>, WorkerError> {
    let mut hide = vec![config.workdir.clone()];
    hide.extend(config.sandbox_hide.iter().cloned());
    hide.extend(config.credentials_dir.iter().cloned());
    let bwrap = claude_exec::sandbox::Bwrap::new(hide);
    let unconfined = match config.sandbox {
        SandboxMode::None => {
            "no OS sandbox (--sandbox none): only the CLI's permission rules keep this job inside its workspace".to_owned()
        }
        SandboxMode::Bwrap => {
            bwrap.probe().map_err(|why| {
                WorkerError::Config(format!("--sandbox bwrap: {why} (install bubblewrap, or choose --sandbox none knowingly)"))
            })?;
            config.claude.sandbox = Some(bwrap);
            return Ok(None);
        }
        SandboxMode::Auto => match bwrap.probe() {
            Ok(()) => {
                config.claude.sandbox = Some(bwrap);
                return Ok(None);
            }
            Err(why) => format!(
                "no OS sandbox: {why}; only the CLI's permission rules keep this job inside its workspace (install bubblewrap)"
            ),
        },
    };
    tracing::warn!("{unconfined}");
    config.claude.sandbox = None;
    Ok(Some(unconfined))
}

/// Waits for the running jobs: all of them while draining; after an abort or a fatal error
/// they are stopped and get the kill grace plus [`REPORT_GRACE`] to report.
async fn wait_for_jobs(worker: &Worker, shutdown: &Shutdown, jobs: &mut JoinSet<()>) {
    if !jobs.is_empty() && !shutdown.is_aborted() && !worker.fatal.token.is_cancelled() {
        tracing::info!(
            running = jobs.len(),
            "no new jobs; waiting for the running ones"
        );
    }
    let fatal = worker.fatal.token.clone();
    let mut deadline: Option<Instant> = None;
    loop {
        if deadline.is_none() && (shutdown.is_aborted() || fatal.is_cancelled()) {
            let reason = if fatal.is_cancelled() {
                StopReason::Fatal
            } else {
                StopReason::Shutdown
            };
            worker.jobs.stop_all(reason);
            deadline = Some(Instant::now() + worker.config.claude.kill_grace + REPORT_GRACE);
        }
        tokio::select! {
            next = jobs.join_next() => match next {
                None => return,
                Some(Err(e)) if e.is_panic() => tracing::error!("a job task panicked: {e}"),
                Some(_) => {}
            },
            _ = shutdown.aborted(), if deadline.is_none() => {}
            _ = fatal.cancelled(), if deadline.is_none() => {}
            _ = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                tracing::warn!(jobs = jobs.len(), "giving up on reporting the remaining jobs; their leases will expire");
                jobs.shutdown().await;
                return;
            }
        }
    }
}
