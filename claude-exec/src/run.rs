//! The run of one job, as named steps: prepare, spawn, supervise, stop, clean up, decide.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

use crate::config::{ExecConfig, JobRun};
use crate::kill::{self, sweep};
use crate::outcome::{self, Ending, ExecOutcome};
use crate::spawn::{self, Pipe, RawLine, Spawned};
use crate::stream::{LogKind, LogLine, LogStream, Transcript};
use crate::watch::OutputWatcher;
use crate::{ExecEvent, describe};

/// How long to wait for the pipes to close after the CLI exited (a leftover child may hold them).
const PIPE_DRAIN: Duration = Duration::from_secs(2);

/// Runs the CLI for one job and reports progress on `events` until it ends.
///
/// Never panics on CLI misbehaviour and always returns an outcome; a closed `events` receiver
/// is tolerated. Cancelling `cancel` stops the CLI (SIGTERM, then SIGKILL after
/// `kill_grace`) and returns `ExecOutcome::Cancelled`.
pub async fn run(
    config: &ExecConfig,
    job: &JobRun,
    events: mpsc::Sender<ExecEvent>,
    cancel: CancellationToken,
) -> ExecOutcome {
    if let Err(message) = prepare_dirs(job) {
        return ExecOutcome::failed(message);
    }
    let watcher = OutputWatcher::start(&job.output_dir, config.output_debounce, events.clone());
    let mut sup = Supervisor {
        config,
        events,
        transcript: Transcript::new(job.workdir.clone()),
    };
    if let Some(e) = &watcher.error {
        sup.system(
            LogKind::Info,
            format!("output watcher unavailable ({e}); files are collected at the end"),
        )
        .await;
    }
    let mut spawned = match spawn::spawn(config, job, &new_marker()) {
        Ok(s) => s,
        Err(e) => {
            watcher.finish().await;
            sup.system(LogKind::Error, e.to_string()).await;
            return ExecOutcome::failed(e.to_string());
        }
    };
    sup.system(
        LogKind::Info,
        format!(
            "started {} (pid {})",
            config.claude_path.display(),
            spawned.ties.leader
        ),
    )
    .await;
    let ending = sup.supervise(&mut spawned, &cancel).await;
    sup.stop(&mut spawned, ending).await;
    let outputs = watcher.finish().await;
    let outcome = outcome::decide(
        ending,
        &sup.transcript,
        &job.output_dir,
        &job.expected_outputs,
        outputs,
    );
    sup.report(&outcome).await;
    outcome
}

fn prepare_dirs(job: &JobRun) -> Result<(), String> {
    if !job.workdir.is_dir() {
        return Err(format!(
            "working directory {} does not exist",
            job.workdir.display()
        ));
    }
    for dir in [&job.config_dir, &job.output_dir] {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    Ok(())
}

/// A marker unique to this run within this machine's uptime.
fn new_marker() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!(
        "{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

struct Supervisor<'a> {
    config: &'a ExecConfig,
    events: mpsc::Sender<ExecEvent>,
    transcript: Transcript,
}

impl Supervisor<'_> {
    async fn emit(&self, line: LogLine) {
        let _ = self.events.send(ExecEvent::Log(line)).await;
    }

    async fn system(&self, kind: LogKind, text: String) {
        self.emit(LogLine::new(LogStream::System, kind, text)).await;
    }

    /// Parses one raw line, forwards its log lines, and returns extra idle allowance (announced
    /// retry delays).
    async fn handle(&mut self, line: RawLine) -> Duration {
        let logs = match line.pipe {
            Pipe::Stdout => self.transcript.stdout_line(&line.bytes),
            Pipe::Stderr => vec![self.transcript.stderr_line(&line.bytes)],
        };
        for log in logs {
            self.emit(log).await;
        }
        self.transcript.take_retry_delay().unwrap_or_default()
    }

    /// Waits for the CLI to finish, for a watchdog, or for cancellation.
    async fn supervise(&mut self, sp: &mut Spawned, cancel: &CancellationToken) -> Ending {
        let c = self.config;
        let hard_deadline = Instant::now() + c.timeout;
        let mut idle_deadline = Instant::now() + c.idle_timeout;
        let mut result_deadline: Option<Instant> = None;
        let mut exited = None;
        let mut drain_deadline: Option<Instant> = None;
        let mut pipes_open = true;
        loop {
            if let (Some(status), false) = (exited, pipes_open) {
                return Ending::Exited(status);
            }
            let far = Instant::now() + Duration::from_secs(86_400);
            tokio::select! {
                _ = cancel.cancelled() => return Ending::Cancelled,
                _ = sleep_until(hard_deadline) => return Ending::TimedOut(c.timeout),
                _ = sleep_until(idle_deadline), if exited.is_none() => return Ending::Idle(c.idle_timeout),
                _ = sleep_until(result_deadline.unwrap_or(far)), if result_deadline.is_some() && exited.is_none() => {
                    return Ending::KilledAfterResult;
                }
                _ = sleep_until(drain_deadline.unwrap_or(far)), if drain_deadline.is_some() => {
                    return Ending::Exited(exited.expect("drain starts after exit"));
                }
                line = sp.lines.recv(), if pipes_open => match line {
                    Some(line) => {
                        let extra = self.handle(line).await;
                        idle_deadline = Instant::now() + c.idle_timeout + extra;
                        if result_deadline.is_none() && self.transcript.result.is_some() {
                            result_deadline = Some(Instant::now() + c.result_exit_grace);
                        }
                    }
                    None => pipes_open = false,
                },
                status = sp.child.wait(), if exited.is_none() => match status {
                    Ok(status) => {
                        exited = Some(status);
                        drain_deadline = Some(Instant::now() + PIPE_DRAIN);
                    }
                    Err(e) => {
                        self.system(LogKind::Error, format!("cannot wait for claude: {e}")).await;
                        return Ending::KilledAfterResult;
                    }
                },
            }
        }
    }

    /// Stops the CLI if it still runs, kills leftover descendants, and drains the pipes.
    async fn stop(&mut self, sp: &mut Spawned, ending: Ending) {
        sp.stdin_task.abort();
        let still_running = !matches!(ending, Ending::Exited(_));
        if still_running {
            self.system(LogKind::Info, stop_reason(ending, self.config))
                .await;
            self.terminate(sp).await;
        }
        let killed = sweep(&sp.ties, self.config.kill_grace).await;
        if killed > 0 {
            self.system(
                LogKind::Info,
                format!("killed {killed} leftover process(es) of the job"),
            )
            .await;
        }
        self.drain(sp).await;
    }

    /// SIGTERM to the group, SIGKILL after the grace period; reaps the CLI.
    async fn terminate(&mut self, sp: &mut Spawned) {
        let pgid = sp.ties.leader;
        kill::signal_group(pgid, libc::SIGTERM);
        if tokio::time::timeout(self.config.kill_grace, sp.child.wait())
            .await
            .is_err()
        {
            self.system(
                LogKind::Info,
                format!(
                    "claude ignored SIGTERM for {}; sending SIGKILL",
                    describe::human_duration(self.config.kill_grace)
                ),
            )
            .await;
            kill::signal_group(pgid, libc::SIGKILL);
            let _ = sp.child.kill().await;
        }
    }

    /// Processes what is left in the pipes, for at most `PIPE_DRAIN`.
    async fn drain(&mut self, sp: &mut Spawned) {
        let deadline = Instant::now() + PIPE_DRAIN;
        while let Ok(Some(line)) = tokio::time::timeout_at(deadline, sp.lines.recv()).await {
            self.handle(line).await;
        }
    }

    async fn report(&self, outcome: &ExecOutcome) {
        let (kind, text) = match outcome {
            ExecOutcome::Succeeded { outputs, .. } => (
                LogKind::Info,
                format!("job succeeded; outputs: {}", outputs.join(", ")),
            ),
            ExecOutcome::Failed { message, .. } => {
                (LogKind::Error, format!("job failed: {message}"))
            }
            ExecOutcome::Cancelled { .. } => (LogKind::Info, "job cancelled".to_string()),
        };
        self.system(kind, text).await;
    }
}

fn stop_reason(ending: Ending, config: &ExecConfig) -> String {
    match ending {
        Ending::Cancelled => "cancelled; stopping claude".to_string(),
        Ending::TimedOut(d) => format!(
            "timed out after {}; stopping claude",
            describe::human_duration(d)
        ),
        Ending::Idle(d) => format!(
            "no output for {}; stopping claude",
            describe::human_duration(d)
        ),
        Ending::KilledAfterResult => format!(
            "claude did not exit within {} of its result; stopping it",
            describe::human_duration(config.result_exit_grace)
        ),
        Ending::Exited(_) => String::new(),
    }
}
