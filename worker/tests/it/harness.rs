//! What the scenarios run on: the real API (`runner serve`), workers in this process or as
//! their own process (`runner work`), `fake-claude`, a small client of the public API, and
//! waiting for conditions with deadlines.
//!
//! Binaries come from `$CWM_TEST_RUNNER_BIN` and `$FAKE_CLAUDE_BIN`, or are built once with
//! cargo into this test's own target directory and profile.
//! `$CWM_TEST_COMPONENT` serves that `.wasm` instead of the component embedded in `runner`.

use std::io::{BufRead as _, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use worker::{ExecConfig, Shutdown, WorkerConfig, WorkerError};

/// The runner token every test server expects.
pub const TOKEN: &str = "worker-it-token";
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
        runner: workspace_bins::bin("runner", "CWM_TEST_RUNNER_BIN"),
        fake_claude: workspace_bins::bin("fake-claude", "FAKE_CLAUDE_BIN"),
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

/// A `runner serve` process: the real API component on its own SQLite data dir.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    data_dir: PathBuf,
    settings: Vec<(String, String)>,
    /// Kept so the pipe stays drained.
    _stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts a server on a free port with the runner token set and `settings` as
    /// `SPIN_VARIABLE_*` (e.g. `("LEASE_SECONDS", "3")`).
    pub fn start(data_dir: &Path, settings: &[(&str, &str)]) -> Server {
        let settings: Vec<(String, String)> = settings
            .iter()
            .map(|(k, v)| (format!("SPIN_VARIABLE_{k}"), v.to_string()))
            .collect();
        let (child, addr, stderr) = spawn_server("127.0.0.1:0", data_dir, &settings);
        Server {
            child,
            addr,
            data_dir: data_dir.to_path_buf(),
            settings,
            _stderr: stderr,
        }
    }

    /// `http://ADDR` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The API base for workers.
    pub fn api(&self) -> worker::Url {
        worker::Url::parse(&self.url("/")).unwrap()
    }

    /// SIGKILL: the API disappears mid-request, as in a crash.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the server again on the same address and data dir.
    pub fn restart(&mut self) {
        let listen = self.addr.to_string();
        let (child, addr, stderr) = spawn_server(&listen, &self.data_dir, &self.settings);
        assert_eq!(addr, self.addr);
        (self.child, self._stderr) = (child, stderr);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn spawn_server(
    listen: &str,
    data_dir: &Path,
    env: &[(String, String)],
) -> (Child, SocketAddr, Arc<Mutex<String>>) {
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("worker-it-cache");
    let mut cmd = Command::new(&bins().runner);
    cmd.args(["serve", "--listen", listen, "--data-dir"])
        .arg(data_dir)
        .arg("--cache-dir")
        .arg(&cache);
    if let Some(wasm) = std::env::var_os("CWM_TEST_COMPONENT") {
        cmd.arg("--component").arg(wasm);
    }
    let mut child = cmd
        .current_dir(data_dir)
        .env("SPIN_VARIABLE_RUNNER_TOKEN", TOKEN)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn runner serve");
    let stderr = collect(child.stderr.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(addr) = line.strip_prefix("listening on http://") {
                let _ = tx.send(addr.parse::<SocketAddr>().expect("address"));
            }
        }
    });
    match rx.recv_timeout(STARTUP_TIMEOUT) {
        Ok(addr) => (child, addr, stderr),
        Err(_) => {
            let _ = child.kill();
            panic!(
                "runner serve did not start; stderr:\n{}",
                stderr.lock().unwrap()
            );
        }
    }
}

/// A worker config for tests: the fake CLI with `knobs`, short timeouts, a 2 s claim wait.
pub fn worker_config(
    server: &Server,
    name: &str,
    workdir: &Path,
    knobs: &[(&str, &str)],
) -> WorkerConfig {
    let mut c = WorkerConfig::new(server.api(), TOKEN);
    c.name = name.to_owned();
    c.workdir = workdir.to_path_buf();
    c.credentials_dir = None;
    c.claim_wait = Duration::from_secs(2);
    c.claude = ExecConfig {
        claude_path: bins().fake_claude.clone(),
        env: knobs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        timeout: Duration::from_secs(120),
        idle_timeout: Duration::from_secs(60),
        kill_grace: Duration::from_secs(2),
        result_exit_grace: Duration::from_secs(2),
        output_debounce: Duration::from_millis(100),
        ..ExecConfig::default()
    };
    c
}

/// A worker running in this process.
pub struct InProcess {
    pub shutdown: Shutdown,
    handle: tokio::task::JoinHandle<Result<(), WorkerError>>,
}

impl InProcess {
    pub fn start(config: WorkerConfig) -> InProcess {
        let shutdown = Shutdown::new();
        let handle = tokio::spawn(worker::run(config, shutdown.clone()));
        InProcess { shutdown, handle }
    }

    /// Aborts (nothing should be running) and waits for `run` to return.
    pub async fn stop(self) -> Result<(), WorkerError> {
        self.shutdown.abort();
        self.join().await
    }

    /// Waits for `run` to return (at most 30 s).
    pub async fn join(self) -> Result<(), WorkerError> {
        tokio::time::timeout(Duration::from_secs(30), self.handle)
            .await
            .expect("worker stops within 30 s")
            .expect("worker task")
    }
}

/// A worker as its own process: `runner work` with its flags, the rest from `CWM_*`.
pub struct WorkerProcess {
    child: Child,
    stderr: Arc<Mutex<String>>,
}

impl WorkerProcess {
    /// Starts `runner work` with `slots` on `server`; `env` holds the fake's knobs and any
    /// `CWM_*` setting (a 2 s claim wait unless given).
    pub fn start(
        server: &Server,
        name: &str,
        workdir: &Path,
        slots: u32,
        env: &[(&str, &str)],
    ) -> WorkerProcess {
        Self::with_token(server, TOKEN, name, workdir, slots, env)
    }

    /// Like [`WorkerProcess::start`], presenting `token`.
    pub fn with_token(
        server: &Server,
        token: &str,
        name: &str,
        workdir: &Path,
        slots: u32,
        env: &[(&str, &str)],
    ) -> WorkerProcess {
        let mut child = Command::new(&bins().runner)
            .args([
                "work",
                "--api",
                &server.url("/"),
                "--token",
                token,
                "--name",
                name,
            ])
            .args(["--slots", &slots.to_string()])
            .arg("--claude")
            .arg(&bins().fake_claude)
            .arg("--workdir")
            .arg(workdir)
            .env_remove("CLAUDE_CONFIG_DIR")
            .env("CWM_CLAIM_WAIT", "2s")
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn runner work");
        let stderr = collect(child.stderr.take().unwrap());
        WorkerProcess { child, stderr }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn sigterm(&self) {
        signal(&self.child, libc::SIGTERM);
    }

    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        wait_exit(&mut self.child, timeout)
    }

    pub fn try_exit(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// The public API, as the web UI uses it.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    pub fn new(server: &Server) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: server.url(""),
        }
    }

    async fn json(&self, req: reqwest::RequestBuilder) -> Value {
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{status}: {body}");
        body
    }

    pub async fn get(&self, path: &str) -> Value {
        self.json(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    /// Stores brand data `name` (e.g. `acme.json`).
    pub async fn put_brand(&self, name: &str) {
        let body = json!({ "brand": name, "tone": "plain" });
        self.json(
            self.http
                .put(format!("{}/api/brand-data/{name}", self.base))
                .json(&body),
        )
        .await;
    }

    /// Queues a brief for `title` using brand data `brand`; the job id.
    pub async fn submit_brief(&self, title: &str, brand: &str) -> String {
        let body = json!({ "title": title, "primary_keyword": "keyword", "brand_data": brand });
        let answer = self
            .json(
                self.http
                    .post(format!("{}/api/briefs/generate", self.base))
                    .json(&body),
            )
            .await;
        answer["job_id"].as_str().expect("job_id").to_owned()
    }

    pub async fn job(&self, id: &str) -> Value {
        self.get(&format!("/api/jobs/{id}")).await
    }

    pub async fn cancel(&self, id: &str) {
        self.json(
            self.http
                .post(format!("{}/api/jobs/{id}/cancel", self.base)),
        )
        .await;
    }

    /// Every log line of the job (all attempts), oldest first.
    pub async fn logs(&self, id: &str) -> Vec<Value> {
        let mut lines = Vec::new();
        let mut after = 0i64;
        loop {
            let page = self
                .get(&format!("/api/jobs/{id}/logs?after={after}&limit=5000"))
                .await;
            let got = page["lines"].as_array().cloned().unwrap_or_default();
            if got.is_empty() {
                return lines;
            }
            after = page["next"].as_i64().unwrap();
            lines.extend(got);
        }
    }

    /// The texts of the job's log lines.
    pub async fn log_texts(&self, id: &str) -> Vec<String> {
        self.logs(id)
            .await
            .iter()
            .map(|l| l["text"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Waits until the job has `status`; its view.
    pub async fn wait_status(&self, id: &str, status: &str, timeout: Duration) -> Value {
        let found = wait_for(timeout, || async {
            let job = self.job(id).await;
            (job["status"] == status).then_some(job)
        })
        .await;
        match found {
            Some(job) => job,
            None => panic!("job {id} never became {status}: {}", self.job(id).await),
        }
    }

    /// Waits until the job's log has a line containing `needle`.
    pub async fn wait_log(&self, id: &str, needle: &str, timeout: Duration) {
        let found = wait_for(timeout, || async {
            self.log_texts(id)
                .await
                .iter()
                .any(|t| t.contains(needle))
                .then_some(())
        })
        .await;
        assert!(
            found.is_some(),
            "log of {id} never showed {needle:?}: {:?}",
            self.log_texts(id).await
        );
    }

    /// A runner call made directly with the token: the status code.
    pub async fn runner_put(&self, path: &str, body: Vec<u8>) -> u16 {
        let resp = self
            .http
            .put(format!("{}/api/runner{path}", self.base))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request");
        resp.status().as_u16()
    }
}

/// The `FAKE_CLAUDE_ARGV_LOG` records written so far.
pub fn argv_records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
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
