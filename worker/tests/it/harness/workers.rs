//! Workers under test: in this process, or as `runner work` processes.

use super::*;

/// A worker config for tests: the fake CLI with `knobs`, short timeouts, a 2 s claim wait.
pub fn worker_config(
    server: &Server,
    name: &str,
    workdir: &Path,
    knobs: &[(&str, &str)],
) -> WorkerConfig {
    worker_config_for(server.api(), name, workdir, knobs)
}

/// [`worker_config`] against any API base URL.
pub fn worker_config_for(
    api: worker::Url,
    name: &str,
    workdir: &Path,
    knobs: &[(&str, &str)],
) -> WorkerConfig {
    let mut c = WorkerConfig::new(api, TOKEN);
    c.name = name.to_owned();
    c.workdir = workdir.to_path_buf();
    c.credentials_dir = None;
    c.claim_wait = Duration::from_secs(2);
    // The fake's argv log lies outside the workspace, which a sandbox hides: the sandbox has
    // tests of its own.
    c.sandbox = worker::SandboxMode::None;
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
        Self::spawn(
            server,
            token,
            name,
            workdir,
            slots,
            &bins().fake_claude,
            env,
        )
    }

    /// Like [`WorkerProcess::start`], running `claude` instead of the fake.
    pub fn with_claude(
        server: &Server,
        name: &str,
        workdir: &Path,
        slots: u32,
        claude: &Path,
        env: &[(&str, &str)],
    ) -> WorkerProcess {
        Self::spawn(server, TOKEN, name, workdir, slots, claude, env)
    }

    fn spawn(
        server: &Server,
        token: &str,
        name: &str,
        workdir: &Path,
        slots: u32,
        claude: &Path,
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
            .arg(claude)
            .arg("--workdir")
            .arg(workdir)
            .env_remove("CLAUDE_CONFIG_DIR")
            .env("CWM_CLAIM_WAIT", "2s")
            .env("RUST_LOG", "info")
            .env("CWM_SANDBOX", "none")
            // Jobs see only allowlisted variables: the fake CLI's knobs are passed on purpose.
            .env("CWM_PASS_ENV", "FAKE_CLAUDE_*")
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
