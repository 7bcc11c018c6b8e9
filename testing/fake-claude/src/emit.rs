//! Writing lines to stdout the way the real CLI does for each output format.
//!
//! stream-json: one compact line per event, flushed at once, with `FAKE_CLAUDE_DELAY_MS` between
//! lines. json: only the result object at the end (with `--verbose`, an array of every message).
//! text: only the result text. The emitter is shared with the signal thread, which must know
//! whether a result was already written and must never cut a line in half.

use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

use crate::cli::OutputFormat;
use crate::line::Line;

/// Shared stdout writer.
pub struct Emitter {
    format: OutputFormat,
    verbose: bool,
    delay: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    lines_written: usize,
    /// Every message, kept for `--output-format json --verbose`.
    collected: Vec<Line>,
    result: Option<Line>,
    finished: bool,
}

impl Emitter {
    pub fn new(format: OutputFormat, verbose: bool, delay: Duration) -> Self {
        Emitter {
            format,
            verbose,
            delay,
            state: Mutex::new(State::default()),
        }
    }

    /// Emits one event. Sleeps the configured delay before every line but the first.
    pub fn emit(&self, line: Line) {
        let first = self.lock().lines_written == 0;
        if !first && !self.delay.is_zero() {
            std::thread::sleep(self.delay);
        }
        let mut state = self.lock();
        self.emit_locked(&mut state, line);
    }

    fn emit_locked(&self, state: &mut State, line: Line) {
        state.lines_written += 1;
        if line.get("type").and_then(|t| t.as_str()) == Some("result") {
            state.result = Some(line.clone());
        }
        match self.format {
            OutputFormat::StreamJson => write_stdout(&format!("{}\n", line.to_json())),
            OutputFormat::Json if self.verbose => state.collected.push(line),
            _ => {}
        }
    }

    /// Ends the process with `code`, never cutting a line in half. If no result was written yet,
    /// `closing` lines (built on demand) are written first, as the CLI does on SIGINT.
    pub fn exit_now(&self, code: i32, closing: impl FnOnce() -> Vec<Line>) -> ! {
        let mut state = self.lock();
        let lines = if state.result.is_none() {
            closing()
        } else {
            Vec::new()
        };
        if !lines.is_empty() {
            for line in lines {
                self.emit_locked(&mut state, line);
            }
            self.finish_locked(&mut state);
        }
        // SAFETY: _exit ends the process at once, which is what a signal death looks like.
        unsafe { libc::_exit(code) }
    }

    /// Prints the json/text output (nothing more for stream-json). Runs at most once.
    pub fn finish(&self) {
        let mut state = self.lock();
        self.finish_locked(&mut state);
    }

    fn finish_locked(&self, state: &mut State) {
        if std::mem::replace(&mut state.finished, true) {
            return;
        }
        match self.format {
            OutputFormat::StreamJson => {}
            OutputFormat::Json if self.verbose => {
                let text = serde_json::to_string(&state.collected).expect("lines serialize");
                write_stdout(&format!("{text}\n"));
            }
            OutputFormat::Json => {
                if let Some(result) = &state.result {
                    write_stdout(&format!("{}\n", result.to_json()));
                }
            }
            OutputFormat::Text => {
                if let Some(result) = &state.result {
                    write_stdout(&text_output(result));
                }
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// What text mode prints for a result: its text, or for error subtypes the CLI's short message.
fn text_output(result: &Line) -> String {
    if let Some(text) = result.get("result").and_then(|r| r.as_str()) {
        return format!("{text}\n");
    }
    match result.get("subtype").and_then(|s| s.as_str()) {
        Some("error_max_turns") => {
            let errors = result
                .get("errors")
                .and_then(|e| e.get(0))
                .and_then(|e| e.as_str())
                .unwrap_or("");
            let n = errors
                .rsplit('(')
                .next()
                .unwrap_or("")
                .trim_end_matches(')');
            // No trailing newline: observed on the real CLI.
            format!("Error: Reached max turns ({n})")
        }
        Some(other) => format!("Error: {other}\n"),
        None => String::new(),
    }
}

/// Writes and flushes; a closed stdout ends the process quietly, as a broken pipe would.
fn write_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    if out
        .write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .is_err()
    {
        // SAFETY: _exit only ends the process; nothing is left half-done that matters to the fake.
        unsafe { libc::_exit(1) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_mode_prints_max_turns_error_without_newline() {
        let result = Line::of_type("result")
            .with("subtype", "error_max_turns")
            .with("errors", vec!["Reached maximum number of turns (2)"]);
        assert_eq!(text_output(&result), "Error: Reached max turns (2)");
        let ok = Line::of_type("result")
            .with("subtype", "success")
            .with("result", "Done.");
        assert_eq!(text_output(&ok), "Done.\n");
    }
}
