//! Running the binary and reading its output.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_fake-claude");
pub const STREAM: &[&str] = &["-p", "--output-format", "stream-json", "--verbose"];
/// How long the fake may take to do what a test waits for before the test fails: a guard
/// against hanging, not a measured property (the machine may be busy).
pub const GUARD: Duration = Duration::from_secs(30);

/// A fresh working directory for one run.
pub fn workdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// A command for the fake in `dir`, with no `FAKE_CLAUDE_*` variables inherited.
pub fn fake<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("FAKE_CLAUDE_") || key == "IS_SANDBOX" {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Runs to completion; `stdin` is piped and closed, or `/dev/null` when `None`.
pub fn run(mut cmd: Command, stdin: Option<&str>) -> Output {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = cmd.spawn().expect("spawn fake-claude");
    if let Some(text) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        // A usage error may end the process before it reads stdin: ignore a broken pipe.
        let _ = pipe.write_all(text.as_bytes());
    }
    child.wait_with_output().expect("wait")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

/// Every stdout line parsed as a JSON object (panics on anything else).
pub fn json_lines(out: &Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|l| {
            let v: Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l:.200}"));
            assert!(v.is_object(), "not an object: {l:.200}");
            v
        })
        .collect()
}

/// `type` or `type/subtype` of each line.
pub fn kinds(lines: &[Value]) -> Vec<String> {
    lines.iter().map(kind).collect()
}

pub fn kind(v: &Value) -> String {
    let t = v["type"].as_str().unwrap_or("?");
    match v["subtype"].as_str() {
        Some(s) if t == "system" || t == "result" => format!("{t}/{s}"),
        _ => t.to_string(),
    }
}

/// Checks the invariants every stream has: one session id, a fresh uuid per line.
pub fn assert_stream_invariants(lines: &[Value]) {
    let sessions: HashSet<&str> = lines
        .iter()
        .filter_map(|l| l["session_id"].as_str())
        .collect();
    assert_eq!(sessions.len(), 1, "one session id: {sessions:?}");
    let uuids: HashSet<&str> = lines
        .iter()
        .map(|l| l["uuid"].as_str().expect("every line has a uuid"))
        .collect();
    assert_eq!(uuids.len(), lines.len(), "uuids are unique");
}

/// The top-level keys of a JSON object.
pub fn keys(v: &Value) -> HashSet<String> {
    v.as_object().expect("object").keys().cloned().collect()
}

/// A running fake whose stdout is read line by line.
pub struct Running {
    pub child: Child,
    reader: BufReader<ChildStdout>,
}

impl Running {
    pub fn start(mut cmd: Command, stdin: &str) -> Running {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn");
        let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
        let reader = BufReader::new(child.stdout.take().unwrap());
        Running { child, reader }
    }

    /// Reads the next `n` lines as JSON.
    pub fn read_lines(&mut self, n: usize) -> Vec<Value> {
        (0..n)
            .map(|_| {
                let mut line = String::new();
                assert!(
                    self.reader.read_line(&mut line).unwrap() > 0,
                    "stdout closed early"
                );
                serde_json::from_str(&line).unwrap()
            })
            .collect()
    }

    /// Everything left on stdout until EOF.
    pub fn rest(&mut self) -> Vec<Value> {
        self.reader
            .by_ref()
            .lines()
            .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
            .collect()
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: sending a signal to our own child.
        assert_eq!(unsafe { libc::kill(self.child.id() as i32, sig) }, 0);
    }

    /// Waits for the exit code (see [`wait_exit`]).
    pub fn wait_code(&mut self) -> Option<i32> {
        wait_exit(&mut self.child).code()
    }

    /// True if the process is still running after `d`.
    pub fn still_running_after(&mut self, d: Duration) -> bool {
        std::thread::sleep(d);
        self.child.try_wait().unwrap().is_none()
    }
}

/// Waits for `child` to exit; kills it and panics after [`GUARD`].
pub fn wait_exit(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + GUARD;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("fake-claude did not exit within {GUARD:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits for `child` to exit (see [`wait_exit`]), then collects what it printed: for runs that
/// print less than a pipe holds, since the pipes are read only after the exit.
pub fn wait_output(mut child: Child) -> Output {
    wait_exit(&mut child);
    child.wait_with_output().expect("collect output")
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn fixture(name: &str) -> Vec<Value> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", name]
        .iter()
        .collect();
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub fn stream_args(extra: &[&str]) -> Vec<String> {
    STREAM.iter().chain(extra).map(|s| s.to_string()).collect()
}

pub fn scenario(dir: &std::path::Path, name: &str, extra: &[&str]) -> std::process::Command {
    let mut cmd = fake(dir, &stream_args(extra));
    cmd.env("FAKE_CLAUDE_SCENARIO", name);
    cmd
}

pub fn result_of(lines: &[Value]) -> &Value {
    let results: Vec<&Value> = lines.iter().filter(|l| l["type"] == "result").collect();
    assert_eq!(results.len(), 1, "exactly one result");
    results[0]
}
