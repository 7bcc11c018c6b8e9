//! Starting and stopping real `runner` processes, and waiting for what they print.
//!
//! Every host shares one compiled-code cache (`CWM_CACHE_DIR` under cargo's test temp dir), and
//! the first test to need it fills it while the others wait, so the component is compiled once
//! per test run instead of once per test.

use std::io::{BufRead as _, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Generous: the first start-up in a debug build compiles the component (tens of seconds).
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(240);
/// How long a host may take to stop after SIGTERM (grace period included).
pub const EXIT_TIMEOUT: Duration = Duration::from_secs(30);

/// The `admin_token` every host gets (as `SPIN_VARIABLE_ADMIN_TOKEN`) unless a test sets
/// another; [`client`] sends it.
pub const ADMIN_TOKEN: &str = "test-admin-token";

/// An HTTP client that sends the admin token with every request that names no credential.
pub fn client_builder() -> reqwest::ClientBuilder {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {ADMIN_TOKEN}").parse().unwrap(),
    );
    reqwest::Client::builder().default_headers(headers)
}

/// [`client_builder`], built.
pub fn client() -> reqwest::Client {
    client_builder().build().unwrap()
}

/// Where every host in this test run caches compiled code.
pub fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("runner-it-cache")
}

/// A directory with no spin.toml in it, to run hosts from.
fn empty_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("runner-it-cwd");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Fills the shared compiled-code cache once; later callers return at once.
fn warm_cache() {
    static WARM: OnceLock<()> = OnceLock::new();
    WARM.get_or_init(|| {
        let data = tempfile::tempdir().unwrap();
        let mut host = Host::start(&["serve"], data.path(), &[]);
        host.terminate();
        assert!(
            host.wait_exit(EXIT_TIMEOUT).success(),
            "warm-up host failed: {}",
            host.stderr()
        );
    });
}

/// A `runner serve` process on an ephemeral port.
pub struct Host {
    child: Child,
    pub addr: SocketAddr,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    stderr_reader: Option<std::thread::JoinHandle<()>>,
}

impl Host {
    /// Starts a host on `data_dir` and waits until it listens (cache warmed first).
    pub fn serve(data_dir: &Path) -> Host {
        warm_cache();
        Host::start(&["serve"], data_dir, &[])
    }

    /// Like [`Host::serve`], with extra environment variables.
    pub fn serve_with_env(data_dir: &Path, env: &[(&str, &str)]) -> Host {
        warm_cache();
        Host::start(&["serve"], data_dir, env)
    }

    /// `runner up ARGS`: the host plus a job worker in one process.
    pub fn up(args: &[&str], data_dir: &Path) -> Host {
        warm_cache();
        Host::start(&[&["up"], args].concat(), data_dir, &[])
    }

    /// Like [`Host::up`], with extra environment variables.
    pub fn up_with_env(args: &[&str], data_dir: &Path, env: &[(&str, &str)]) -> Host {
        warm_cache();
        Host::start(&[&["up"], args].concat(), data_dir, env)
    }

    fn start(args: &[&str], data_dir: &Path, env: &[(&str, &str)]) -> Host {
        let args = [args, &["--listen", "127.0.0.1:0"]].concat();
        let mut child = command(&args, data_dir)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn runner");
        let (stderr, stderr_reader) = collect(child.stderr.take().unwrap());
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let printed = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&printed);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("listening on http://") {
                    let _ = addr_tx.send(addr.parse::<SocketAddr>().expect("address"));
                }
                let mut text = sink.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        });
        let mut host = Host {
            child,
            addr: "0.0.0.0:0".parse().unwrap(),
            stdout: printed,
            stderr,
            stderr_reader: Some(stderr_reader),
        };
        match addr_rx.recv_timeout(STARTUP_TIMEOUT) {
            Ok(addr) => host.addr = addr,
            Err(_) => panic!("runner did not start listening; stderr:\n{}", host.stderr()),
        }
        host
    }

    /// `http://ADDR` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        self.signal(libc::SIGTERM);
    }

    /// Sends `sig`.
    pub fn signal(&self, sig: i32) {
        let pid = i32::try_from(self.child.id()).unwrap();
        // SAFETY: `kill` only sends a signal to a process this test started and still owns.
        assert_eq!(unsafe { libc::kill(pid, sig) }, 0, "kill failed");
    }

    /// Waits for the process to exit and for everything it printed to be collected.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let status = wait_exit(&mut self.child, timeout);
        if let Some(reader) = self.stderr_reader.take() {
            reader.join().unwrap();
        }
        status
    }

    /// Everything printed to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Everything printed to stdout so far.
    pub fn stdout_text(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// Waits for a stdout line starting with `prefix`; the rest of that line.
    pub fn wait_for_stdout_line(&self, prefix: &str, timeout: Duration) -> String {
        let stdout = Arc::clone(&self.stdout);
        poll_until(timeout, || {
            let text = stdout.lock().unwrap();
            text.lines()
                .find_map(|l| l.strip_prefix(prefix))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| {
            panic!(
                "stdout never showed {prefix:?}:\n{}\nstderr:\n{}",
                self.stdout.lock().unwrap(),
                self.stderr()
            )
        })
    }

    /// Waits until stderr contains `needle`.
    pub fn wait_for_stderr(&self, needle: &str, timeout: Duration) {
        let stderr = Arc::clone(&self.stderr);
        poll_until(timeout, || stderr.lock().unwrap().contains(needle))
            .unwrap_or_else(|| panic!("stderr never showed {needle:?}:\n{}", self.stderr()));
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        // A failed test must not leave a server running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `runner ARGS --data-dir DIR` to completion (for start-up failures): exit status and
/// stderr.
pub fn run_to_exit(args: &[&str], data_dir: &Path) -> (ExitStatus, String) {
    let mut child = command(args, data_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn runner");
    let stderr = child.stderr.take().unwrap();
    // Read to the end on another thread so a chatty process cannot block on a full pipe, and
    // join it: the text is complete only once the pipe is closed, not when the process exits.
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        BufReader::new(stderr)
            .read_to_string(&mut text)
            .map(|_| text)
    });
    let status = wait_exit(&mut child, STARTUP_TIMEOUT);
    (status, reader.join().unwrap().expect("read stderr"))
}

fn command(args: &[&str], data_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_runner"));
    cmd.args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env("CWM_CACHE_DIR", cache_dir())
        .env("RUST_LOG", "info,runner::host::serve=trace")
        .env("NO_COLOR", "1")
        .env("SPIN_VARIABLE_ADMIN_TOKEN", ADMIN_TOKEN)
        // No spin.toml there: settings come from the embedded copy.
        .current_dir(empty_dir())
        .stdin(Stdio::null());
    for var in [
        "CWM_LISTEN",
        "CWM_COMPONENT",
        "CWM_MANIFEST",
        "CWM_INSTANCES",
        "CWM_WORKDIR",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Reads `stream` into a shared string on a background thread, which ends at end of stream.
fn collect(
    mut stream: impl Read + Send + 'static,
) -> (Arc<Mutex<String>>, std::thread::JoinHandle<()>) {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&text);
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    (text, reader)
}

fn wait_exit(child: &mut Child, timeout: Duration) -> ExitStatus {
    poll_until(timeout, || child.try_wait().unwrap()).expect("runner did not exit in time")
}

/// Calls `check` until it returns something truthy or `timeout` passes.
pub fn poll_until<T: Truthy>(timeout: Duration, mut check: impl FnMut() -> T) -> Option<T::Out> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(5);
    loop {
        if let Some(out) = check().into_option() {
            return Some(out);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// What [`poll_until`] accepts as "done": `true` or `Some(_)`.
pub trait Truthy {
    type Out;
    fn into_option(self) -> Option<Self::Out>;
}

impl Truthy for bool {
    type Out = ();
    fn into_option(self) -> Option<()> {
        self.then_some(())
    }
}

impl<T> Truthy for Option<T> {
    type Out = T;
    fn into_option(self) -> Option<T> {
        self
    }
}
