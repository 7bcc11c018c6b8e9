//! One claimed attempt from start to report, as named steps: register it (heartbeats start),
//! prepare its workspace, run claude with live logs and output uploads, wait for the last
//! output uploads, deliver the last log lines, finish, clean up. A usage limit pauses the
//! runner's claims (see [`crate::pause`]) before the job's slot is free.

use std::sync::Arc;

use claude_exec::{ExecEvent, ExecOutcome, JobRun, LogKind};
use tokio::sync::mpsc;

use protocol::limits;

use crate::api::{AttemptRef, CallError, ClaimedJob, FinalStatus, FinishRequest};
use crate::jobs::{JobControl, StopReason};
use crate::logs::{self, LogSink};
use crate::outputs::Outputs;
use crate::pause;
use crate::state::{SlotGuard, Worker};
use crate::workspace::{self, Workspace};

/// Events claude-exec may queue before the worker reads them.
const EVENT_BUFFER: usize = 256;

/// Runs one attempt in `slot` and reports it.
pub async fn run(worker: Arc<Worker>, job: ClaimedJob, slot: SlotGuard) {
    let attempt = AttemptRef {
        id: job.id.clone(),
        attempt: job.attempt,
    };
    let control = worker.jobs.add(attempt.clone());
    let _registered = Registered {
        worker: &worker,
        attempt: attempt.clone(),
    };
    let config = &worker.config;
    let dir = config.job_dir(&job.id, job.attempt);
    tracing::info!(job = %job.id, attempt = job.attempt, slot = slot.n, kind = %job.kind, "job claimed");

    let (sink, uploader) = logs::channel(
        worker.api.clone(),
        control.clone(),
        logs::Limits {
            flush: config.log_flush,
            buffer_bytes: config.log_buffer_bytes,
            max_bytes: config.max_log_bytes,
        },
        workspace::spill_file(&dir),
    );
    let log_task = tokio::spawn(uploader.run());
    if let Some(warning) = &worker.unconfined {
        sink.system(LogKind::Info, format!("warning: {warning}"));
    }
    sink.system(
        LogKind::Info,
        format!(
            "runner {} (slot {}) started attempt {}",
            config.name, slot.n, job.attempt
        ),
    );

    // Shared with the blocking workspace task: inputs can be whole documents.
    let job = Arc::new(job);
    let (outcome, staged) = match prepare(&worker, &job, &dir, slot.n).await {
        Ok(ws) => execute(&worker, &job, &control, &sink, ws, slot.n).await,
        Err(message) => {
            sink.system(
                LogKind::Error,
                format!("cannot prepare the workspace: {message}"),
            );
            (
                ExecOutcome::Failed {
                    message,
                    usage: None,
                },
                Ok(()),
            )
        }
    };
    let (mut report, note) = finish_report(&worker, &control, outcome, staged);
    if let Some(note) = note {
        sink.system(LogKind::Info, note);
    }
    sink.close();
    let logs = log_task.await.unwrap_or(Err(CallError::Stopped));
    if let Ok(chunks) = logs {
        report.log_chunks = chunks;
        finish(&worker, &control, &report).await;
    }
    if control.is_silenced() {
        tracing::info!(job = %attempt.id, attempt = attempt.attempt, "attempt no longer ours; not reported");
    }
    drop(_registered);
    drop(slot);
    if !config.keep_workspaces {
        let _ = tokio::task::spawn_blocking(move || workspace::remove_job(&dir)).await;
    }
}

/// Keeps an attempt in the registry (and its heartbeats) for as long as its task runs.
struct Registered<'a> {
    worker: &'a Worker,
    attempt: AttemptRef,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        self.worker.jobs.remove(&self.attempt);
    }
}

/// Copies the slot's login and creates the workspace (blocking file work, off the runtime).
async fn prepare(
    worker: &Arc<Worker>,
    job: &Arc<ClaimedJob>,
    dir: &std::path::Path,
    slot: usize,
) -> Result<Workspace, String> {
    let (worker, job, dir) = (worker.clone(), job.clone(), dir.to_path_buf());
    tokio::task::spawn_blocking(move || {
        workspace::refresh_credentials(&worker.config, slot);
        workspace::prepare_job(&dir, &job)
    })
    .await
    .unwrap_or_else(|e| Err(format!("workspace preparation failed: {e}")))
}

/// Runs claude for the attempt, forwarding its lines and output files; on success uploads the
/// outputs not yet accepted. Returns the outcome and whether the final upload went through.
async fn execute(
    worker: &Worker,
    job: &ClaimedJob,
    control: &Arc<JobControl>,
    sink: &LogSink,
    ws: Workspace,
    slot: usize,
) -> (ExecOutcome, Result<(), CallError>) {
    let outputs = Outputs::start(
        worker.api.clone(),
        control.clone(),
        ws.output_dir.clone(),
        ws.expected.clone(),
        worker.max_output_bytes(),
        sink.clone(),
    );
    let run = JobRun {
        workdir: ws.dir,
        prompt: job.prompt.clone(),
        config_dir: worker.config.slot_config_dir(slot),
        home_dir: worker.config.slot_dir(slot),
        output_dir: ws.output_dir,
        expected_outputs: ws.expected,
    };
    let (tx, mut rx) = mpsc::channel(EVENT_BUFFER);
    let exec = claude_exec::run(&worker.config.claude, &run, tx, control.cancel.clone());
    tokio::pin!(exec);
    let outcome = loop {
        tokio::select! {
            outcome = &mut exec => break outcome,
            Some(event) = rx.recv() => forward(event, sink, &outputs),
        }
    };
    while let Ok(event) = rx.try_recv() {
        forward(event, sink, &outputs);
    }
    let staged = if matches!(outcome, ExecOutcome::Succeeded { .. }) && !control.is_silenced() {
        outputs.upload_all().await
    } else {
        outputs.abandon();
        Ok(())
    };
    (outcome, staged)
}

fn forward(event: ExecEvent, sink: &LogSink, outputs: &Outputs) {
    match event {
        ExecEvent::Log(line) => sink.push(&line),
        ExecEvent::OutputFile { relative_path } => outputs.changed(&relative_path),
    }
}

/// What to tell the server, from the outcome and the final output upload, and a last log line
/// for endings claude-exec cannot know about (an upload that failed, a shutdown).
fn finish_report(
    worker: &Worker,
    control: &JobControl,
    outcome: ExecOutcome,
    staged: Result<(), CallError>,
) -> (FinishRequest, Option<String>) {
    let report = |status, error: Option<String>, usage| FinishRequest {
        usage,
        ..FinishRequest::new(status, error)
    };
    let noted = |report: FinishRequest| {
        let note = report.error.clone();
        (report, note)
    };
    match outcome {
        ExecOutcome::Succeeded { usage, .. } => match staged {
            Ok(()) => (report(FinalStatus::Completed, None, Some(usage)), None),
            Err(e) => noted(report(
                FinalStatus::Failed,
                Some(format!("could not upload the output: {e}")),
                Some(usage),
            )),
        },
        ExecOutcome::Failed { message, usage } => {
            (report(FinalStatus::Failed, Some(message), usage), None)
        }
        ExecOutcome::UsageLimited {
            message,
            resets_at_ms,
            usage,
        } => {
            let now = pause::now_ms();
            let resume_at = limits::resume_at(resets_at_ms.max(0) as u64, now)
                .unwrap_or(now + limits::MAX_USAGE_LIMIT_WAIT_MS);
            // Before the job's slot is free: the claim loop must not claim in between.
            worker.pause.begin(resume_at, &control.attempt.id);
            let report = FinishRequest {
                resume_at_ms: Some(resume_at),
                ..report(FinalStatus::UsageLimit, Some(message), usage)
            };
            (report, None)
        }
        ExecOutcome::Cancelled { usage } => match control.reason() {
            Some(StopReason::Shutdown) => noted(report(
                FinalStatus::Cancelled,
                Some(format!(
                    "runner {} shut down before the job ended; it goes back to the queue",
                    worker.config.name
                )),
                usage,
            )),
            _ => (
                report(FinalStatus::Cancelled, Some("cancelled".to_owned()), usage),
                None,
            ),
        },
    }
}

/// Reports the end of the attempt (after its last log chunk was accepted).
async fn finish(worker: &Worker, control: &JobControl, report: &FinishRequest) {
    let job = &control.attempt;
    let mut sent = worker.api.finish(job, report, &control.quiet).await;
    if report.status == FinalStatus::UsageLimit
        && matches!(sent, Err(CallError::Rejected { status: 400, .. }))
    {
        // An API from before usage limits knows no such status: report the failure it was.
        tracing::warn!(job = %job.id, "the API does not know usage limits; reporting the job failed");
        let failed = FinishRequest {
            status: FinalStatus::Failed,
            resume_at_ms: None,
            ..report.clone()
        };
        sent = worker.api.finish(job, &failed, &control.quiet).await;
    }
    match sent {
        Ok(()) => tracing::info!(
            job = %job.id,
            attempt = job.attempt,
            status = %report.status,
            error = report.error.as_deref().unwrap_or(""),
            log_chunks = report.log_chunks,
            "job reported"
        ),
        Err(CallError::Stopped) => {}
        Err(e) => {
            tracing::warn!(job = %job.id, attempt = job.attempt, "finish not accepted: {e}");
            control.on_error(&e);
        }
    }
}

/// Ends a claimed job without running it: `cancelled` gives it back to the queue at once (the
/// server sent more jobs than free slots), `failed` refuses it for good (a claim this runner
/// will not follow).
pub async fn hand_back(worker: Arc<Worker>, job: ClaimedJob, status: FinalStatus, why: String) {
    let attempt = AttemptRef {
        id: job.id,
        attempt: job.attempt,
    };
    tracing::warn!(job = %attempt.id, %status, "handing a claimed job back: {why}");
    let report = FinishRequest::new(status, Some(why));
    let stop = worker.fatal.token.child_token();
    if let Err(e) = worker.api.finish(&attempt, &report, &stop).await {
        tracing::warn!(job = %attempt.id, "cannot give the job back: {e}");
    }
}
