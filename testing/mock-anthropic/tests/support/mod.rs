//! Shared by the tests that run the real CLI: finding it, starting the mock, running a process
//! with a deadline; [`runner`] starts the `runner` binary, [`api`] talks to its HTTP API.
#![allow(dead_code)]

pub mod api;
pub mod runner;
pub mod secrets;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

pub const CLI_VERSION: &str = "2.1.332";

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root exists")
}

/// The real Claude Code CLI: `$CLAUDE_CLI_PATH`, else what `testing/install-claude-cli.sh`
/// installed. Panics (fails the test, never skips it) when neither exists.
pub fn claude_cli() -> PathBuf {
    let installed = repo_root().join(".cache/claude-cli/node_modules/.bin/claude");
    let path = match std::env::var_os("CLAUDE_CLI_PATH").filter(|p| !p.is_empty()) {
        Some(p) => {
            let p = PathBuf::from(p);
            assert!(
                p.is_file(),
                "CLAUDE_CLI_PATH={} does not exist; unset it to use {} (installed by testing/install-claude-cli.sh)",
                p.display(),
                installed.display()
            );
            p
        }
        None => {
            assert!(
                installed.is_file(),
                "the real Claude Code CLI is not installed: run testing/install-claude-cli.sh \
                 (installs @anthropic-ai/claude-code@{CLI_VERSION} into {}), or set \
                 CLAUDE_CLI_PATH to a claude {CLI_VERSION} binary",
                installed.display()
            );
            installed
        }
    };
    let version = Command::new(&path)
        .arg("--version")
        .env("DISABLE_AUTOUPDATER", "1")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} --version: {e}", path.display()));
    let printed = String::from_utf8_lossy(&version.stdout);
    assert_eq!(
        printed.trim(),
        format!("{CLI_VERSION} (Claude Code)"),
        "{} is not Claude Code {CLI_VERSION}; run testing/install-claude-cli.sh",
        path.display()
    );
    path
}

/// The environment the CLI gets: nothing inherited but PATH (so a developer's own
/// ANTHROPIC_* / CLAUDE_* settings or a real key cannot leak in), pointed at the mock.
pub fn cli_env(base_url: &str, home: &Path) -> Vec<(String, String)> {
    let mut env = vec![
        (
            "PATH".to_owned(),
            std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into()),
        ),
        ("HOME".to_owned(), home.display().to_string()),
        (
            "CLAUDE_CONFIG_DIR".to_owned(),
            home.join(".claude").display().to_string(),
        ),
        ("ANTHROPIC_BASE_URL".to_owned(), base_url.to_owned()),
        ("ANTHROPIC_API_KEY".to_owned(), "dummy".to_owned()),
        ("DISABLE_AUTOUPDATER".to_owned(), "1".to_owned()),
        (
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC".to_owned(),
            "1".to_owned(),
        ),
        // A scenario that errors should fail fast, not retry for minutes.
        ("CLAUDE_CODE_MAX_RETRIES".to_owned(), "1".to_owned()),
    ];
    if let Ok(tmp) = std::env::var("TMPDIR") {
        env.push(("TMPDIR".to_owned(), tmp));
    }
    env
}

/// A running `mock-anthropic`, killed on drop.
pub struct Mock {
    child: Child,
    pub url: String,
    pub log: PathBuf,
    stderr: PathBuf,
}

impl Mock {
    /// Starts the mock with `args` (e.g. `["--scenario", "overloaded"]`), logging requests into
    /// `dir`.
    pub fn start(dir: &Path, args: &[&str]) -> Mock {
        let log = dir.join("mock-requests.jsonl");
        let stderr = dir.join("mock-stderr.log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_mock-anthropic"))
            .args(["--listen", "127.0.0.1:0", "--log"])
            .arg(&log)
            .args(args)
            .env_remove("MOCK_ANTHROPIC_SCENARIO")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).expect("create the mock's stderr log"))
            .spawn()
            .expect("start mock-anthropic");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("read the mock's first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from mock-anthropic: {line:?}"))
            .to_owned();
        Mock {
            child,
            url,
            log,
            stderr,
        }
    }

    /// Every request the mock received, as logged.
    pub fn requests(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON log line"))
            .collect()
    }

    /// `METHOD path -> status answer` for each request, for failure messages and reports.
    pub fn summary(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a finished process printed.
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Finished {
    /// stdout parsed as NDJSON (lines that are not JSON are skipped).
    pub fn lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

/// Runs `cmd` with `stdin` written then closed; kills it after `timeout` and panics.
pub fn run(mut cmd: Command, stdin: &str, timeout: Duration) -> Finished {
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the process");
    let mut input = child.stdin.take().expect("piped stdin");
    let stdin = stdin.to_owned();
    let writer = thread::spawn(move || {
        let _ = input.write_all(stdin.as_bytes());
    });
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the process") {
            break status;
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            let out = stdout.recv().unwrap_or_default();
            let err = stderr.recv().unwrap_or_default();
            panic!(
                "process still running after {timeout:?}; killed.\nstdout:\n{out}\nstderr:\n{err}"
            );
        }
        thread::sleep(Duration::from_millis(50));
    };
    let _ = writer.join();
    Finished {
        status,
        stdout: stdout.recv().unwrap_or_default(),
        stderr: stderr.recv().unwrap_or_default(),
        elapsed: started.elapsed(),
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        let _ = tx.send(String::from_utf8_lossy(&buf).into_owned());
    });
    rx
}

/// The first stdout line with this `type` (and `subtype`, if given).
pub fn find<'a>(lines: &'a [Value], kind: &str, subtype: Option<&str>) -> Option<&'a Value> {
    lines
        .iter()
        .find(|l| l["type"] == kind && subtype.is_none_or(|s| l["subtype"] == s))
}

/// The `tool_use` blocks of all `assistant` lines.
pub fn tool_uses(lines: &[Value]) -> Vec<&Value> {
    lines
        .iter()
        .filter(|l| l["type"] == "assistant")
        .flat_map(|l| l["message"]["content"].as_array().into_iter().flatten())
        .filter(|b| b["type"] == "tool_use")
        .collect()
}

/// The `tool_result` blocks of all `user` lines.
pub fn tool_results(lines: &[Value]) -> Vec<&Value> {
    lines
        .iter()
        .filter(|l| l["type"] == "user")
        .flat_map(|l| l["message"]["content"].as_array().into_iter().flatten())
        .filter(|b| b["type"] == "tool_result")
        .collect()
}
