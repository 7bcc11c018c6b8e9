//! What the scenarios run on: the real API (`runner serve`), workers in this process or as
//! their own process (`runner work`), `fake-claude`, a small client of the public API, a
//! scripted runner API (`scripted`), and waiting for conditions with deadlines.
//!
//! Binaries come from `$CWM_RUNNER_BIN` and `$FAKE_CLAUDE_BIN`, or are built once with
//! cargo into this test's own target directory and profile.
//! `$CWM_TEST_COMPONENT` serves that `.wasm` instead of the component embedded in `runner`.

use std::io::{BufRead as _, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use worker::{ExecConfig, Shutdown, WorkerConfig, WorkerError};

mod client;
pub mod scripted;
mod server;
mod workers;

pub use client::Client;
pub use server::Server;
pub use workers::{InProcess, WorkerProcess, worker_config, worker_config_for};

/// The runner token every test server expects.
pub const TOKEN: &str = "worker-it-token";
/// The servers' `admin_token`; [`client::Client`] sends it, as a signed-in admin would.
pub const ADMIN_TOKEN: &str = "worker-it-admin-token";
/// Generous: the first start of a debug build compiles the component (tens of seconds).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(300);

/// The scenarios share two cores and watch timings: they run one at a time. Also sends the
/// in-process workers' logs to the test output (`RUST_LOG`, default `info`).
pub async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
    LOCK.lock().await
}

/// The binaries the scenarios start.
pub struct Bins {
    pub runner: PathBuf,
    pub fake_claude: PathBuf,
}

pub fn bins() -> &'static Bins {
    static BINS: OnceLock<Bins> = OnceLock::new();
    BINS.get_or_init(|| Bins {
        runner: workspace_bins::bin("runner"),
        fake_claude: workspace_bins::bin("fake-claude"),
    })
}

/// Polls `check` every 50 ms until it returns `Some`, or `None` after `timeout`.
pub fn poll_until<T>(timeout: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Async version of [`poll_until`].
pub async fn wait_for<T, F: Future<Output = Option<T>>>(
    timeout: Duration,
    mut check: impl FnMut() -> F,
) -> Option<T> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Collects a pipe's text on a thread.
fn collect(mut pipe: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    text
}

fn signal(child: &Child, sig: i32) {
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: signals a process this test started and still owns (not yet waited for).
    unsafe { libc::kill(pid, sig) };
}

fn wait_exit(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    poll_until(timeout, || child.try_wait().ok().flatten())
}

/// The `FAKE_CLAUDE_ARGV_LOG` records written so far.
pub fn argv_records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The workspace (`{job}-a{attempt}`) of each CLI run the argv log at `path` recorded, in the
/// order the runs started.
pub fn cli_runs(path: &Path) -> Vec<String> {
    argv_records(path)
        .iter()
        .map(|r| {
            let cwd = r["cwd"].as_str().unwrap_or_default();
            cwd.rsplit('/').next().unwrap_or_default().to_owned()
        })
        .collect()
}

/// Whether a process exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rfind(')')
            .and_then(|i| stat[i + 2..].chars().next())
            .is_some_and(|s| s != 'Z'),
        Err(_) => false,
    }
}

/// Kills a leftover process of a test (e.g. the CLI of a runner killed with -9).
pub fn kill_pid(pid: u32) {
    // SAFETY: signals a process started for this test; a vanished pid is harmless.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
}

/// Counts running jobs as often as it can until `done`; the number of samples taken.
pub async fn sample_running(client: Client, done: Arc<AtomicBool>, max: Arc<AtomicUsize>) -> usize {
    let mut samples = 0;
    while !done.load(Ordering::Relaxed) {
        let page = client.get("/api/jobs?status=running&limit=200").await;
        max.fetch_max(page["items"].as_array().unwrap().len(), Ordering::Relaxed);
        samples += 1;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    samples
}
