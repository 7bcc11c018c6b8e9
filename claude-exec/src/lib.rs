//! Runs the Claude Code CLI for one job.
