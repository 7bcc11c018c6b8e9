//! Starting the CLI: its command line (wrapped in the sandbox when there is one), its
//! environment (built by [`crate::child_env`], never inherited), process group, stdin, and the
//! tasks that drain stdout and stderr.
//!
//! Command: `claude -p --output-format stream-json --verbose --permission-mode <m>
//! --allowedTools=<a,b,c> [--model <m>] [extra args]`. The `=` form matters: the variadic
//! `--allowedTools` would otherwise swallow whatever follows (G7). The prompt goes to stdin,
//! which is then closed (no argv size limit, no 3 s stdin wait). stdout and stderr are read on
//! their own tasks into an unbounded channel (G1), so a slow consumer never stalls the CLI.
//! Lines of hundreds of KB are normal (G8); one line is cut at [`MAX_LINE_BYTES`] so that a
//! runaway process cannot exhaust the runner's memory with a line that never ends.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::{self, ExecConfig, JobRun};
use crate::kill::JobTies;

/// Longest line kept from the CLI's stdout or stderr; the rest of such a line is skipped.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// Which pipe a raw line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pipe {
    Stdout,
    Stderr,
}

/// One line as read, without its line ending.
#[derive(Debug)]
pub(crate) struct RawLine {
    pub pipe: Pipe,
    pub bytes: Vec<u8>,
    /// Bytes of this line skipped beyond [`MAX_LINE_BYTES`] (0 for a whole line).
    pub cut: u64,
}

/// A started CLI process.
pub(crate) struct Spawned {
    pub child: Child,
    pub ties: JobTies,
    /// Writes the prompt then closes stdin; aborting it closes stdin early.
    pub stdin_task: JoinHandle<()>,
    /// Lines of both pipes; closed when both reached EOF.
    pub lines: mpsc::UnboundedReceiver<RawLine>,
}

/// Why the CLI could not be started.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SpawnError {
    #[error("claude not found at {0}")]
    NotFound(String),
    #[error("claude at {0} is not executable")]
    NotExecutable(String),
    #[error("cannot start claude at {0}: {1}")]
    Other(String, std::io::Error),
}

/// The CLI arguments for `config` (the prompt is not among them: it goes to stdin).
pub fn command_args(config: &ExecConfig) -> Vec<String> {
    let mut args: Vec<String> = [
        "-p",
        "--output-format",
        "stream-json",
        "--verbose",
        "--permission-mode",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(config.permission_mode.clone());
    if !config.allowed_tools.is_empty() {
        args.push(format!("--allowedTools={}", config.allowed_tools.join(",")));
    }
    if let Some(model) = &config.model {
        args.extend(["--model".to_string(), model.clone()]);
    }
    args.extend(config.extra_args.iter().cloned());
    args
}

/// Starts the CLI for `job` in its own process group with the job marker `marker`.
pub(crate) fn spawn(
    config: &ExecConfig,
    job: &JobRun,
    marker: &str,
) -> Result<Spawned, SpawnError> {
    let mut cmd = match &config.sandbox {
        None => Command::new(&config.claude_path),
        Some(bwrap) => {
            let claude = crate::sandbox::resolve_program(&config.claude_path)
                .ok_or_else(|| SpawnError::NotFound(config.claude_path.display().to_string()))?;
            let mut cmd = Command::new(&bwrap.program);
            cmd.args(bwrap.args(&claude, &job.workdir, &job.home_dir))
                .arg(&claude);
            cmd
        }
    };
    cmd.args(command_args(config))
        .current_dir(&job.workdir)
        .env_clear()
        .envs(crate::child_env::build(
            std::env::vars_os(),
            config,
            job,
            marker,
        ))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = cmd.spawn().map_err(|e| spawn_error(config, e))?;
    let pid = child.id().unwrap_or(0) as i32;
    let ties = JobTies::new(
        pid,
        format!("{}={marker}", config::ENV_JOB_MARKER).into_bytes(),
    );
    let (tx, lines) = mpsc::unbounded_channel();
    tokio::spawn(read_lines(
        child.stdout.take().expect("piped stdout"),
        Pipe::Stdout,
        tx.clone(),
    ));
    tokio::spawn(read_lines(
        child.stderr.take().expect("piped stderr"),
        Pipe::Stderr,
        tx,
    ));
    let mut stdin = child.stdin.take().expect("piped stdin");
    let prompt = job.prompt.clone();
    let stdin_task = tokio::spawn(async move {
        // A CLI that exits early closes the pipe; that shows up in its own output.
        let _ = stdin.write_all(prompt.as_bytes()).await;
        let _ = stdin.shutdown().await;
    });
    Ok(Spawned {
        child,
        ties,
        stdin_task,
        lines,
    })
}

fn spawn_error(config: &ExecConfig, e: std::io::Error) -> SpawnError {
    let path = config.claude_path.display().to_string();
    match e.kind() {
        std::io::ErrorKind::NotFound => SpawnError::NotFound(path),
        std::io::ErrorKind::PermissionDenied => SpawnError::NotExecutable(path),
        _ => SpawnError::Other(path, e),
    }
}

/// Reads `pipe` to EOF, one line at a time, each cut at [`MAX_LINE_BYTES`].
async fn read_lines(pipe: impl AsyncRead + Unpin, which: Pipe, tx: mpsc::UnboundedSender<RawLine>) {
    read_lines_capped(pipe, which, tx, MAX_LINE_BYTES).await
}

async fn read_lines_capped(
    pipe: impl AsyncRead + Unpin,
    which: Pipe,
    tx: mpsc::UnboundedSender<RawLine>,
    cap: usize,
) {
    let mut reader = BufReader::with_capacity(64 * 1024, pipe);
    loop {
        let mut bytes = Vec::new();
        let read = (&mut reader)
            .take(cap as u64)
            .read_until(b'\n', &mut bytes)
            .await;
        let mut cut = 0;
        match read {
            Ok(0) | Err(_) => return,
            Ok(_) if bytes.last() != Some(&b'\n') && bytes.len() >= cap => {
                match skip_line(&mut reader).await {
                    Some(skipped) => cut = skipped,
                    None => return,
                }
            }
            Ok(_) => {}
        }
        while matches!(bytes.last(), Some(b'\n' | b'\r')) {
            bytes.pop();
        }
        if tx
            .send(RawLine {
                pipe: which,
                bytes,
                cut,
            })
            .is_err()
        {
            return;
        }
    }
}

/// Discards the rest of a line without keeping it; the number of bytes skipped, or `None` at
/// a read error.
async fn skip_line(reader: &mut (impl AsyncBufReadExt + Unpin)) -> Option<u64> {
    let mut skipped = 0u64;
    loop {
        let buf = reader.fill_buf().await.ok()?;
        if buf.is_empty() {
            return Some(skipped);
        }
        let (used, done) = match buf.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        reader.consume(used);
        skipped += used as u64;
        if done {
            return Some(skipped);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_args_use_the_equals_form_for_allowed_tools() {
        let args = command_args(&ExecConfig::default());
        assert_eq!(
            args,
            [
                "-p",
                "--output-format",
                "stream-json",
                "--verbose",
                "--permission-mode",
                "acceptEdits",
                "--allowedTools=WebSearch,WebFetch,Read(./**),Edit(./**),Glob(./**),Grep(./**)"
            ]
        );
    }

    #[tokio::test]
    async fn a_line_over_the_cap_is_cut_and_the_next_line_is_whole() {
        let input: Vec<u8> = [b"short\n".to_vec(), vec![b'x'; 100], b"\nafter\n".to_vec()].concat();
        let (tx, mut rx) = mpsc::unbounded_channel();
        read_lines_capped(&input[..], Pipe::Stdout, tx, 40).await;
        let mut got = Vec::new();
        while let Ok(line) = rx.try_recv() {
            got.push((String::from_utf8(line.bytes).unwrap(), line.cut));
        }
        assert_eq!(
            got,
            [
                ("short".to_owned(), 0),
                ("x".repeat(40), 61),
                ("after".to_owned(), 0)
            ]
        );
    }

    #[test]
    fn model_and_extra_args_follow() {
        let config = ExecConfig {
            model: Some("opus".into()),
            allowed_tools: vec![],
            extra_args: vec!["--max-turns=5".into()],
            ..ExecConfig::default()
        };
        let args = command_args(&config);
        assert_eq!(
            &args[5..],
            ["acceptEdits", "--model", "opus", "--max-turns=5"]
        );
    }
}
