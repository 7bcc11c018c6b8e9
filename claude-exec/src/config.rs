//! What a run needs: how to call the CLI (`ExecConfig`, shared by all jobs of a runner) and
//! what to do for one job (`JobRun`).

use std::path::PathBuf;
use std::time::Duration;

/// Least-privilege tools for document jobs: research on the web, and read, search and write
/// files **inside the job's working directory only** (`./**` is relative to the CLI's cwd). No
/// `Bash`. A bare `Read` or `Write` would grant the tool on every path of the host: a
/// prompt-injected model could then read credentials or write `~/.bashrc`.
///
/// As the CLI 2.1.332 applies them: `Edit(path)` rules govern every file-editing tool, `Write`
/// included (a `Write(path)` rule is ignored, so there is none); `Read(path)` rules govern Read,
/// Glob and Grep; Glob and Grep must be listed to be offered at all.
pub const DEFAULT_ALLOWED_TOOLS: &[&str] = &[
    "WebSearch",
    "WebFetch",
    "Read(./**)",
    "Edit(./**)",
    "Glob(./**)",
    "Grep(./**)",
];
/// Writes and edits inside the job directory are allowed; anything that would ask is denied.
pub const DEFAULT_PERMISSION_MODE: &str = "acceptEdits";

/// Per-slot CLI config directory (keeps `.claude.json` private to one process, G10).
pub const ENV_CONFIG_DIR: &str = "CLAUDE_CONFIG_DIR";
/// Set to `1` so the CLI never updates itself mid-job.
pub const ENV_DISABLE_AUTOUPDATER: &str = "DISABLE_AUTOUPDATER";
/// Set to `1`: no telemetry or other traffic a job does not need.
pub const ENV_DISABLE_NONESSENTIAL_TRAFFIC: &str = "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC";
/// Marker set on the child so every descendant can be found later, even after `setsid`.
pub const ENV_JOB_MARKER: &str = "CLAUDE_EXEC_JOB";

/// How to run the CLI. `Default` gives production values.
#[derive(Clone, Debug)]
pub struct ExecConfig {
    /// The `claude` executable: a path, or a bare name looked up in `PATH`.
    pub claude_path: PathBuf,
    /// `--model`, if set.
    pub model: Option<String>,
    /// `--permission-mode` (default `acceptEdits`).
    pub permission_mode: String,
    /// `--allowedTools=a,b,c`; empty leaves the flag out.
    pub allowed_tools: Vec<String>,
    /// Extra arguments placed after the standard ones (use the `--flag=value` form for
    /// variadic flags).
    pub extra_args: Vec<String>,
    /// Variables set for the child on top of the allowlisted ones taken from the runner's
    /// environment (see [`crate::child_env`]). Cannot replace `HOME`, `CLAUDE_CONFIG_DIR` (from
    /// the job) or the job marker; names the child must never see (`CWM_*`, `SPIN_VARIABLE_*`)
    /// are dropped.
    pub env: Vec<(String, String)>,
    /// Extra names (or `PREFIX*` patterns) passed from the runner's environment to the child,
    /// beyond the built-in allowlist (`CWM_PASS_ENV`).
    pub pass_env: Vec<String>,
    /// The OS sandbox every run is wrapped in, if any.
    pub sandbox: Option<crate::sandbox::Bwrap>,
    /// Hard limit for the whole run.
    pub timeout: Duration,
    /// Longest silence (no stdout or stderr line) before the run is stopped. An announced
    /// `api_retry` delay is added on top, so retries with long back-off are tolerated.
    pub idle_timeout: Duration,
    /// Time between SIGTERM and SIGKILL when stopping the CLI.
    pub kill_grace: Duration,
    /// How long the CLI may keep running after its `result` line before it is killed (G4).
    pub result_exit_grace: Duration,
    /// Quiet time after the last change to a file before it is reported.
    pub output_debounce: Duration,
}

impl Default for ExecConfig {
    fn default() -> Self {
        ExecConfig {
            claude_path: PathBuf::from("claude"),
            model: None,
            permission_mode: DEFAULT_PERMISSION_MODE.to_string(),
            allowed_tools: DEFAULT_ALLOWED_TOOLS
                .iter()
                .map(|t| t.to_string())
                .collect(),
            extra_args: Vec::new(),
            env: Vec::new(),
            pass_env: Vec::new(),
            sandbox: None,
            timeout: Duration::from_secs(30 * 60),
            idle_timeout: Duration::from_secs(5 * 60),
            kill_grace: Duration::from_secs(5),
            result_exit_grace: Duration::from_secs(10),
            output_debounce: Duration::from_millis(500),
        }
    }
}

/// One job to run.
#[derive(Clone, Debug)]
pub struct JobRun {
    /// The CLI's working directory; Write/Edit are allowed inside it.
    pub workdir: PathBuf,
    /// The prompt, written to the CLI's stdin (no argv size limit, no variadic-flag trap).
    pub prompt: String,
    /// `CLAUDE_CONFIG_DIR` for this run: one per runner slot, never shared by two live runs.
    /// Created if missing.
    pub config_dir: PathBuf,
    /// `HOME` for this run (the slot's own directory, never the runner's home). Created if
    /// missing; in the sandbox it is writable.
    pub home_dir: PathBuf,
    /// Directory whose files are the job's outputs (usually `workdir` or a folder inside it).
    /// Created if missing. It should start empty: files already there count as present.
    pub output_dir: PathBuf,
    /// Files (relative to `output_dir`) that must exist for success; `.json` ones must hold a
    /// JSON object.
    pub expected_outputs: Vec<String>,
}
