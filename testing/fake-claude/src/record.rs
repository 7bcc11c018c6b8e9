//! Side channels for tests: the `FAKE_CLAUDE_ARGV_LOG` record and the orphan child.
//!
//! The argv log gets one JSON object per invocation, appended with a single write:
//! `{"argv":[args after the program name],"program":…,"cwd":…,"prompt":…|null,"pid":…,
//! "child_pid":…|null,"env":{ANTHROPIC_*, CLAUDE_*, IS_SANDBOX, DISABLE_AUTOUPDATER, NODE_OPTIONS}}`.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use serde_json::{Map, Value, json};

use crate::knobs::Knobs;

fn env_is_recorded(name: &str) -> bool {
    name.starts_with("ANTHROPIC_")
        || name.starts_with("CLAUDE_")
        || matches!(name, "IS_SANDBOX" | "DISABLE_AUTOUPDATER" | "NODE_OPTIONS")
}

/// Appends the invocation record, if `FAKE_CLAUDE_ARGV_LOG` is set. Errors are ignored.
pub fn log_invocation(
    knobs: &Knobs,
    args: &[String],
    prompt: Option<&str>,
    child_pid: Option<u32>,
) {
    let Some(path) = &knobs.argv_log else { return };
    let env: Map<String, Value> = std::env::vars()
        .filter(|(k, _)| env_is_recorded(k))
        .map(|(k, v)| (k, Value::from(v)))
        .collect();
    let record = json!({
        "argv": args,
        "program": std::env::args().next(),
        "cwd": std::env::current_dir().ok().map(|d| d.to_string_lossy().into_owned()),
        "prompt": prompt,
        "pid": std::process::id(),
        "child_pid": child_pid,
        "env": env,
    });
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = file.write_all(format!("{record}\n").as_bytes());
    }
}

/// Starts `sleep 100000` in a new session (like a tool that `setsid`s itself), so it outlives
/// the fake. Its pid goes to `FAKE_CLAUDE_CHILD_PID_FILE` (and the argv log).
pub fn spawn_orphan_child(knobs: &Knobs) -> Option<u32> {
    let mut cmd = Command::new("sleep");
    cmd.arg("100000")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: setsid is async-signal-safe and runs in the child between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let child = cmd
        .spawn()
        .map_err(|e| eprintln!("fake-claude: cannot spawn child: {e}"))
        .ok()?;
    let pid = child.id();
    if let Some(path) = &knobs.child_pid_file {
        let _ = std::fs::write(path, format!("{pid}\n"));
    }
    Some(pid)
}
