//! A scripted mock of the Anthropic Messages API for running the real Claude Code CLI offline.
//!
//! Point the CLI at it with `ANTHROPIC_BASE_URL=http://127.0.0.1:<port>` and any
//! `ANTHROPIC_API_KEY`. The model is a script (see [`script`]): on the job prompt it calls the
//! `Write` tool to create the `output/<name>.md|json` file the prompt names, inside the CLI's
//! working directory; after the tool result it answers "Created output/<name>." and ends the turn.

pub mod script;
pub mod server;
pub mod wire;

pub use script::Scenario;
pub use server::{Config, serve};
