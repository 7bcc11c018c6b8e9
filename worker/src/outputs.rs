//! Staging one job's output files on the server: each is uploaded when claude-exec reports it
//! (written and quiet for a moment, or found new or changed by its final scan after the process
//! ended), by one task per job that coalesces repeated reports of the same file.
//!
//! Files are read with `claude_exec::files::read_output`: no symbolic link is followed and a
//! file over the server's size limit is refused (with a line in the job's log), so a job cannot
//! make the runner upload its secrets or exhaust its memory.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use claude_exec::LogKind;
use claude_exec::files::{OutputError, read_output};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::api::{Api, CallError};
use crate::jobs::JobControl;
use crate::logs::LogSink;

struct Pending {
    indexes: BTreeSet<usize>,
    closed: bool,
}

struct Shared {
    pending: Mutex<Pending>,
    wake: Notify,
}

/// The output uploader of one attempt.
pub struct Outputs {
    shared: Arc<Shared>,
    /// Expected outputs relative to the output dir; the position is the output index.
    expected: Vec<String>,
    task: JoinHandle<Result<(), CallError>>,
}

struct Uploader {
    shared: Arc<Shared>,
    api: Api,
    control: Arc<JobControl>,
    output_dir: PathBuf,
    expected: Vec<String>,
    limit: u64,
    sink: LogSink,
}

impl Outputs {
    /// Starts the uploader; files over `limit` bytes are refused, and refusals logged to
    /// `sink`.
    pub fn start(
        api: Api,
        control: Arc<JobControl>,
        output_dir: PathBuf,
        expected: Vec<String>,
        limit: u64,
        sink: LogSink,
    ) -> Outputs {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending {
                indexes: BTreeSet::new(),
                closed: false,
            }),
            wake: Notify::new(),
        });
        let uploader = Uploader {
            shared: shared.clone(),
            api,
            control,
            output_dir,
            expected: expected.clone(),
            limit,
            sink,
        };
        Outputs {
            shared,
            expected,
            task: tokio::spawn(uploader.run()),
        }
    }

    /// A file in the output dir changed; uploads it if it is one of the job's outputs.
    pub fn changed(&self, relative_path: &str) {
        if let Some(index) = self.expected.iter().position(|e| e == relative_path) {
            let mut pending = self.shared.pending.lock().expect("pending outputs");
            pending.indexes.insert(index);
            drop(pending);
            self.shared.wake.notify_one();
        }
    }

    /// Waits until every reported output was accepted. claude-exec's final scan has reported
    /// each file that is new or changed since its last report, so nothing is sent twice.
    pub async fn upload_all(self) -> Result<(), CallError> {
        self.shared.pending.lock().expect("pending outputs").closed = true;
        self.shared.wake.notify_one();
        self.task
            .await
            .unwrap_or_else(|e| Err(CallError::Transient(format!("output uploader failed: {e}"))))
    }

    /// Stops uploading (the job did not succeed).
    pub fn abandon(self) {
        self.task.abort();
    }
}

impl Uploader {
    async fn run(self) -> Result<(), CallError> {
        loop {
            let notified = self.shared.wake.notified();
            let next = {
                let mut pending = self.shared.pending.lock().expect("pending outputs");
                match pending.indexes.pop_first() {
                    Some(index) => Some(index),
                    None if pending.closed => return Ok(()),
                    None => None,
                }
            };
            match next {
                Some(index) => self.upload(index).await?,
                None => notified.await,
            }
        }
    }

    async fn upload(&self, index: usize) -> Result<(), CallError> {
        let name = self.expected[index].clone();
        let (dir, limit) = (self.output_dir.clone(), self.limit);
        let read = tokio::task::spawn_blocking(move || read_output(&dir, &name, limit)).await;
        let bytes = match read {
            Ok(Ok(bytes)) => bytes,
            // A file not (or no longer) there is not staged; the finish call names what is
            // missing.
            Ok(Err(OutputError::Missing(_))) => return Ok(()),
            Ok(Err(refused)) => {
                self.sink
                    .system(LogKind::Error, format!("output not uploaded: {refused}"));
                return Ok(());
            }
            Err(e) => return Err(CallError::Transient(format!("output reader failed: {e}"))),
        };
        let name = &self.expected[index];
        let job = &self.control.attempt;
        match self
            .api
            .put_output(job, index, bytes.into(), &self.control.quiet)
            .await
        {
            Ok(action) => {
                tracing::debug!(job = %job.id, output = %name, "output staged");
                self.control.on_action(action);
                Ok(())
            }
            Err(e) => {
                self.control.on_error(&e);
                Err(e)
            }
        }
    }
}
