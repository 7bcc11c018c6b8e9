//! The `runner` binary as a child process of a test: found or built, checked for the flags a
//! test needs, started with a clean environment, its output kept for failure messages, and
//! stopped (SIGTERM, then SIGKILL) when dropped.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// The first start of a debug runner compiles the component.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(240);

/// The `runner` binary: `$CWM_RUNNER_BIN`, else built with cargo next to this test.
pub fn runner_bin() -> PathBuf {
    workspace_bins::bin("runner")
}

/// Compiled component code shared by every test that starts a runner (stored atomically).
pub fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("e2e-real-cli-runner-cache")
}

/// Asserts that `runner <command> --help` lists every one of `flags`: an older binary cannot
/// run the test.
pub fn check_flags(bin: &Path, command: &str, flags: &[&str]) {
    let out = Command::new(bin)
        .args([command, "--help"])
        .output()
        .unwrap_or_else(|e| panic!("run runner {command} --help: {e}"));
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    let missing: Vec<&&str> = flags.iter().filter(|f| !help.contains(**f)).collect();
    assert!(
        missing.is_empty(),
        "`runner {command} --help` lists no {missing:?}: {} cannot run this test:\n{help}",
        bin.display()
    );
}

/// A running `runner` process, stopped on drop.
pub struct RunnerProc {
    child: Child,
    what: String,
    output: Arc<Mutex<String>>,
    listening: mpsc::Receiver<String>,
}

impl RunnerProc {
    /// Starts `cmd` (stdin closed, stdout and stderr captured); `what` names it in messages.
    pub fn spawn(mut cmd: Command, what: &str) -> RunnerProc {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {what}: {e}"));
        let output = Arc::new(Mutex::new(String::new()));
        let (addr_tx, listening) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped stdout");
        let out = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("listening on ") {
                    let _ = addr_tx.send(addr.trim().to_owned());
                }
                out.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        let mut stderr = child.stderr.take().expect("piped stderr");
        let out = output.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                out.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        RunnerProc {
            child,
            what: what.to_owned(),
            output,
            listening,
        }
    }

    /// The URL from the `listening on <url>` line (`serve` and `up` print it once ready).
    pub fn wait_listening(&self) -> String {
        self.listening
            .recv_timeout(STARTUP_TIMEOUT)
            .unwrap_or_else(|_| panic!("{} did not listen:\n{}", self.what, self.output()))
    }

    /// Waits until the output contains `text`; panics, showing the output, if the process
    /// exits or `timeout` passes first.
    pub fn wait_output(&mut self, text: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while !self.output().contains(text) {
            if let Ok(Some(status)) = self.child.try_wait() {
                // The reader threads may still hold the last lines.
                std::thread::sleep(Duration::from_millis(200));
                panic!(
                    "{} exited ({status}) before printing {text:?}:\n{}",
                    self.what,
                    self.output()
                );
            }
            assert!(
                Instant::now() < deadline,
                "{} printed no {text:?} within {timeout:?}:\n{}",
                self.what,
                self.output()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Everything it printed so far, stdout and stderr interleaved.
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for RunnerProc {
    fn drop(&mut self) {
        // SIGTERM first so a worker can stop its CLI processes; then make sure.
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: signals only the process this test started and still owns.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether bwrap can create the namespaces a sandbox needs here; prints why a case is skipped.
pub fn bwrap_works(case: &str) -> bool {
    let probe = Command::new("bwrap")
        .args(["--ro-bind", "/", "/", "--unshare-pid", "--proc", "/proc"])
        .args(["--dev", "/dev", "true"])
        .output();
    let why = match probe {
        Ok(out) if out.status.success() => return true,
        Ok(out) => format!(
            "{}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => format!("cannot run bwrap: {e}"),
    };
    eprintln!(
        "SKIPPED {case}: bwrap cannot create namespaces on this machine \
         (`bwrap --ro-bind / / --unshare-pid --proc /proc --dev /dev true` failed: {why})"
    );
    false
}

/// `runner serve` on a free port, with the runner token in its environment.
pub fn start_serve(bin: &Path, dir: &Path, token: &str) -> RunnerProc {
    let mut cmd = Command::new(bin);
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.join("data"))
        .arg("--cache-dir")
        .arg(cache_dir())
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir.join("home"))
        .env("SPIN_VARIABLE_RUNNER_TOKEN", token)
        .env("SPIN_VARIABLE_ADMIN_TOKEN", super::api::ADMIN_TOKEN)
        .env("RUST_LOG", "info");
    RunnerProc::spawn(cmd, "runner serve")
}
