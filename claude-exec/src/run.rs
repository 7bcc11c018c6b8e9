//! The run of one job, as named steps: prepare, spawn, supervise, stop, clean up, decide.

use std::process::ExitStatus;
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
    let confinement = if config.sandbox.is_some() {
        "in the bubblewrap sandbox"
    } else {
        "without an OS sandbox"
    };
    sup.system(
        LogKind::Info,
        format!(
            "started {} (pid {}) {confinement}",
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
    for dir in [&job.home_dir, &job.config_dir, &job.output_dir] {
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
        if line.cut > 0 {
            self.system(
                LogKind::Info,
                format!(
                    "a {} line longer than {} bytes was cut ({} bytes skipped)",
                    if line.pipe == Pipe::Stdout {
                        "stdout"
                    } else {
                        "stderr"
                    },
                    spawn::MAX_LINE_BYTES,
                    line.cut
                ),
            )
            .await;
        }
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
        let mut clock = Deadlines::start(self.config);
        let mut exited: Option<ExitStatus> = None;
        let mut pipes_open = true;
        loop {
            if let (Some(status), false) = (exited, pipes_open) {
                return Ending::Exited(status);
            }
            let (at, ending) = clock.next(self.config, exited);
            tokio::select! {
                _ = cancel.cancelled() => return Ending::Cancelled,
                _ = sleep_until(at) => return ending,
                line = sp.lines.recv(), if pipes_open => match line {
                    Some(line) => {
                        let extra = self.handle(line).await;
                        clock.saw_output(self.config, extra, self.transcript.result.is_some());
                    }
                    None => pipes_open = false,
                },
                status = sp.child.wait(), if exited.is_none() => match status {
                    Ok(status) => {
                        exited = Some(status);
                        clock.drain = Some(Instant::now() + PIPE_DRAIN);
                    }
                    Err(e) => {
                        self.system(LogKind::Error, format!("cannot wait for claude: {e}")).await;
                        return Ending::WaitFailed;
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
            ExecOutcome::UsageLimited { message, .. } => {
                (LogKind::Error, format!("job stopped: {message}"))
            }
        };
        self.system(kind, text).await;
    }
}

/// The watchdog deadlines of one run.
struct Deadlines {
    /// Overall timeout.
    hard: Instant,
    /// Idle watchdog; pushed back by every line (and by announced retry delays).
    idle: Instant,
    /// Set once a result line is seen: the CLI must exit before this (G4).
    after_result: Option<Instant>,
    /// Set once the CLI exited: its pipes must close before this.
    drain: Option<Instant>,
}

impl Deadlines {
    fn start(c: &ExecConfig) -> Self {
        let now = Instant::now();
        Deadlines {
            hard: now + c.timeout,
            idle: now + c.idle_timeout,
            after_result: None,
            drain: None,
        }
    }

    fn saw_output(&mut self, c: &ExecConfig, extra_idle: Duration, result_seen: bool) {
        let now = Instant::now();
        self.idle = now + c.idle_timeout + extra_idle;
        if result_seen && self.after_result.is_none() {
            self.after_result = Some(now + c.result_exit_grace);
        }
    }

    /// The earliest active deadline and how the run ends if it passes.
    fn next(&self, c: &ExecConfig, exited: Option<ExitStatus>) -> (Instant, Ending) {
        let mut best = (self.hard, Ending::TimedOut(c.timeout));
        let mut consider = |at: Option<Instant>, ending: Ending| {
            if let Some(at) = at.filter(|at| *at < best.0) {
                best = (at, ending);
            }
        };
        match exited {
            Some(status) => consider(self.drain, Ending::Exited(status)),
            None => {
                consider(Some(self.idle), Ending::Idle(c.idle_timeout));
                consider(self.after_result, Ending::KilledAfterResult);
            }
        }
        best
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
        Ending::WaitFailed => "lost track of claude; stopping it".to_string(),
        Ending::Exited(_) => String::new(),
    }
}
