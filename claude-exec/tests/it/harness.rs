//! Locating `fake-claude`, building jobs, running them and collecting their events.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use claude_exec::{ExecConfig, ExecEvent, ExecOutcome, JobRun, LogKind, LogLine, LogStream};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// The `fake-claude` binary: `$FAKE_CLAUDE_BIN`, or built once with cargo into this test's
/// own target directory and profile.
pub fn fake_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| workspace_bins::bin("fake-claude"))
}

/// Directories of one test job: `work/` (cwd and output dir) and `config/`.
pub struct TestJob {
    pub dir: tempfile::TempDir,
    pub job: JobRun,
}

impl TestJob {
    pub fn new(prompt: &str, expected: &[&str]) -> TestJob {
        let dir = tempfile::tempdir().expect("temp dir");
        let work = dir.path().join("work");
        std::fs::create_dir(&work).unwrap();
        let job = JobRun {
            workdir: work.clone(),
            prompt: prompt.to_string(),
            config_dir: dir.path().join("home/config"),
            home_dir: dir.path().join("home"),
            output_dir: work,
            expected_outputs: expected.iter().map(|s| s.to_string()).collect(),
        };
        TestJob { dir, job }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// A config for the fake with short test timings and the given `FAKE_CLAUDE_*` knobs.
pub fn config(knobs: &[(&str, &str)]) -> ExecConfig {
    ExecConfig {
        claude_path: fake_bin().to_path_buf(),
        env: knobs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        timeout: Duration::from_secs(30),
        idle_timeout: Duration::from_secs(10),
        kill_grace: Duration::from_secs(2),
        result_exit_grace: Duration::from_secs(2),
        output_debounce: Duration::from_millis(100),
        ..ExecConfig::default()
    }
}

/// What a run produced.
pub struct Ran {
    pub outcome: ExecOutcome,
    pub events: Vec<ExecEvent>,
}

impl Ran {
    pub fn logs(&self) -> Vec<&LogLine> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ExecEvent::Log(l) => Some(l),
                _ => None,
            })
            .collect()
    }

    /// (kind, text) of the lines from the CLI's stdout.
    pub fn stdout_logs(&self) -> Vec<(LogKind, &str)> {
        self.logs()
            .into_iter()
            .filter(|l| l.stream == LogStream::Stdout)
            .map(|l| (l.kind, l.text.as_str()))
            .collect()
    }

    pub fn output_files(&self) -> Vec<&str> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ExecEvent::OutputFile { relative_path } => Some(relative_path.as_str()),
                _ => None,
            })
            .collect()
    }

    pub fn failure(&self) -> &str {
        match &self.outcome {
            ExecOutcome::Failed { message, .. } => message,
            other => panic!("expected a failure, got {other:?}"),
        }
    }
}

/// Runs the job to the end, collecting every event.
pub async fn run(config: &ExecConfig, job: &JobRun) -> Ran {
    run_with_cancel(config, job, CancellationToken::new()).await
}

pub async fn run_with_cancel(config: &ExecConfig, job: &JobRun, cancel: CancellationToken) -> Ran {
    let (tx, mut rx) = mpsc::channel(64);
    let collector = tokio::spawn(async move {
        let mut events = Vec::new();
        while let Some(e) = rx.recv().await {
            events.push(e);
        }
        events
    });
    let outcome = claude_exec::run(config, job, tx, cancel).await;
    let events = collector.await.unwrap();
    Ran { outcome, events }
}

/// Polls `cond` every 20 ms until it holds or `limit` passes.
pub async fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// True if `/proc/<pid>` is gone.
pub fn gone(pid: i32) -> bool {
    !Path::new(&format!("/proc/{pid}")).exists()
}

/// Reads the records of a `FAKE_CLAUDE_ARGV_LOG` file.
pub fn argv_records(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Makes the test process a subreaper (once), as a runner would at start.
pub fn subreaper() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| claude_exec::set_child_subreaper().expect("prctl"));
}
