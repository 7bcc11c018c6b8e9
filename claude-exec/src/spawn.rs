//! Starting the CLI: its command line, environment, process group, stdin, and the tasks that
//! drain stdout and stderr.
//!
//! Command: `claude -p --output-format stream-json --verbose --permission-mode <m>
//! --allowedTools=<a,b,c> [--model <m>] [extra args]`. The `=` form matters: the variadic
//! `--allowedTools` would otherwise swallow whatever follows (G7). The prompt goes to stdin,
//! which is then closed (no argv size limit, no 3 s stdin wait). stdout and stderr are read on
//! their own tasks into an unbounded channel at any line size (G1, G8), so a slow consumer
//! never stalls the CLI.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::{self, ExecConfig, JobRun};
use crate::kill::JobTies;

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
    let mut cmd = Command::new(&config.claude_path);
    cmd.args(command_args(config))
        .current_dir(&job.workdir)
        .env(config::ENV_DISABLE_AUTOUPDATER, "1")
        .env(config::ENV_DISABLE_NONESSENTIAL_TRAFFIC, "1")
        .envs(config.env.iter().map(|(k, v)| (k, v)))
        .env(config::ENV_CONFIG_DIR, &job.config_dir)
        .env_remove(config::ENV_NODE_OPTIONS)
        .env(config::ENV_JOB_MARKER, marker)
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

/// Reads `pipe` to EOF, one line at a time, with no line size limit.
async fn read_lines(pipe: impl AsyncRead + Unpin, which: Pipe, tx: mpsc::UnboundedSender<RawLine>) {
    let mut reader = BufReader::with_capacity(64 * 1024, pipe);
    loop {
        let mut bytes = Vec::new();
        match reader.read_until(b'\n', &mut bytes).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                while matches!(bytes.last(), Some(b'\n' | b'\r')) {
                    bytes.pop();
                }
                if tx.send(RawLine { pipe: which, bytes }).is_err() {
                    return;
                }
            }
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
                "--allowedTools=WebSearch,WebFetch,Read,Write,Edit,Glob,Grep"
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
