//! `fake-claude`: a test double of the Claude Code CLI 2.1.332 in headless (`-p`) mode.
//!
//! It follows §6 of `claude-cli.md`. Knobs (environment):
//! - `FAKE_CLAUDE_SCENARIO`: `success` (default), `api_error`, `auth_error`, `usage_limit`,
//!   `max_turns`, `hang`, `hang_after_result`, `crash`, `huge_line`.
//! - `FAKE_CLAUDE_OUTPUT_FILE` (default `output.md`, may contain directories) or
//!   `FAKE_CLAUDE_OUTPUT_FILES=a.md,b.json` (one Write per file); `FAKE_CLAUDE_OUTPUT_CONTENT`;
//!   `FAKE_CLAUDE_OUTPUT_BYTES` (size for `huge_line`, default 1 MiB).
//! - `FAKE_CLAUDE_DELAY_MS` between lines; `FAKE_CLAUDE_LINES=N` extra assistant text lines
//!   ("Progress line i of N.").
//! - `FAKE_CLAUDE_ARGV_LOG=<path>`: one JSON record per invocation (see `record`).
//! - `FAKE_CLAUDE_STDERR` extra stderr text; `FAKE_CLAUDE_EXIT_CODE` overrides the scenario's code.
//! - `FAKE_CLAUDE_SPAWN_CHILD=1`: start a `setsid` `sleep 100000` that outlives the fake; its
//!   pid goes to `FAKE_CLAUDE_CHILD_PID_FILE` and the argv log.
//! - `FAKE_CLAUDE_SIGINT_NO_RESULT=1`: on SIGINT write only the interrupted line.
//! - `FAKE_CLAUDE_STDIN_WAIT_MS`: the stdin wait (default 3000, as the real CLI).
//! - `FAKE_CLAUDE_RETRY_DELAY_MS`: in `api_error`, announce this back-off and stay silent for it
//!   after each `api_retry` line, as the real CLI does.
//! - `FAKE_CLAUDE_RESETS_AT`: in `usage_limit`, when the limit resets (Unix seconds; default
//!   the next full 10 minutes two hours ahead); once it has, runs go through as `success`.
//! - `FAKE_CLAUDE_COST_USD`, `FAKE_CLAUDE_INPUT_TOKENS`, `FAKE_CLAUDE_OUTPUT_TOKENS`,
//!   `FAKE_CLAUDE_CACHE_READ_TOKENS`, `FAKE_CLAUDE_CACHE_CREATION_TOKENS`,
//!   `FAKE_CLAUDE_DURATION_MS`: the figures a run that spends reports in its `result` line
//!   (`success`, `max_turns`), instead of the defaults.
//!
//! # Layout
//! - `cli`: commander-style argument parsing.
//! - `checks`: usage checks in the real order, with the real messages.
//! - `prompt`: prompt from arguments and/or stdin (the 3 s stdin wait).
//! - `knobs`: the `FAKE_CLAUDE_*` environment variables.
//! - `line`, `lines`: the JSON lines and their builders.
//! - `emit`: writing to stdout per output format.
//! - `scenario`: what happens in each scenario.
//! - `files`: the Write tool and its permission rules (bare `Write` anywhere, `Edit(<path>)`
//!   rules, `acceptEdits` inside the cwd; `Write(<path>)` ignored, as on the real CLI).
//! - `signals`: SIGTERM / SIGHUP / SIGINT behaviour.
//! - `record`: the `FAKE_CLAUDE_ARGV_LOG` record and the orphan child.

mod checks;
mod cli;
mod emit;
mod files;
mod knobs;
mod line;
mod lines;
mod prompt;
mod record;
mod scenario;
mod signals;

use std::process::ExitCode;
use std::sync::Arc;

use crate::cli::Options;
use crate::emit::Emitter;
use crate::knobs::Knobs;
use crate::lines::Ctx;

/// Exit code for the fake's own refusals (not real CLI behaviour).
const EXIT_UNSUPPORTED: i32 = 64;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let code = run(&args);
    ExitCode::from(u8::try_from(code.rem_euclid(256)).unwrap_or(1))
}

fn run(args: &[String]) -> i32 {
    let knobs = match Knobs::from_env() {
        Ok(k) => k,
        Err(message) => return usage_error(&message, EXIT_UNSUPPORTED),
    };
    let opts = match cli::parse(args) {
        Ok(o) => o,
        Err(e) => {
            record::log_invocation(&knobs, args, None, None);
            return usage_error(&e.0, 1);
        }
    };
    if opts.version || opts.help {
        println!("{} (Claude Code)", lines::VERSION);
        return 0;
    }
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    if let Err(e) = checks::validate(&opts, euid, checks::sandbox_from_env()) {
        record::log_invocation(&knobs, args, None, None);
        return usage_error(&e.message, e.code);
    }
    run_checked(&opts, &knobs, args)
}

/// After the usage checks: signals, prompt, the orphan child, then the scenario.
fn run_checked(opts: &Options, knobs: &Knobs, args: &[String]) -> i32 {
    let ctx = context(opts);
    let out = Arc::new(Emitter::new(opts.output_format, opts.verbose, knobs.delay));
    if let Err(e) = signals::install(out.clone(), ctx.clone(), knobs.sigint_no_result) {
        return usage_error(
            &format!("fake-claude: cannot install signal handlers: {e}"),
            EXIT_UNSUPPORTED,
        );
    }
    let prompt = match prompt::read(&opts.operands, knobs.stdin_wait) {
        Ok(p) => p,
        Err(message) => {
            record::log_invocation(knobs, args, None, None);
            return usage_error(message, 1);
        }
    };
    let child_pid = if knobs.spawn_child {
        record::spawn_orphan_child(knobs)
    } else {
        None
    };
    record::log_invocation(knobs, args, Some(&prompt), child_pid);
    if let Some(extra) = &knobs.stderr {
        eprintln!("{}", extra.trim_end_matches('\n'));
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let run = scenario::Run {
        opts,
        knobs,
        ctx: &ctx,
        out: &out,
        cwd,
    };
    let code = scenario::play(&run);
    out.finish();
    knobs.exit_code.unwrap_or(code)
}

fn context(opts: &Options) -> Ctx {
    let session_id = opts
        .session_id
        .clone()
        .or_else(|| opts.resume.clone().filter(|r| cli::is_uuid(r)))
        .unwrap_or_else(lines::new_uuid);
    let permission_mode = if opts.dangerously_skip_permissions {
        "bypassPermissions".to_string()
    } else {
        opts.permission_mode
            .clone()
            .unwrap_or_else(|| "default".to_string())
    };
    let api_key_source = if std::env::var_os("ANTHROPIC_API_KEY").is_some() {
        "ANTHROPIC_API_KEY"
    } else {
        "none"
    };
    Ctx {
        session_id,
        model: opts
            .model
            .clone()
            .unwrap_or_else(|| lines::DEFAULT_MODEL.to_string()),
        cwd: std::env::current_dir()
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_default(),
        permission_mode,
        api_key_source,
    }
}

fn usage_error(message: &str, code: i32) -> i32 {
    eprintln!("{message}");
    code
}
