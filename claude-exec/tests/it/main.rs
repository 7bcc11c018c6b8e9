//! Scenario tests: `claude_exec::run` driving the real `fake-claude` binary.

mod harness;
mod outcomes;
mod processes;
mod wiring;
