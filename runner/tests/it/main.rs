//! Black-box tests of the `runner` binary: each test starts real host processes on ephemeral
//! ports with a temporary data dir and talks HTTP to them.

mod access;
mod api;
mod deploy;
mod documents;
mod harness;
mod keyvalue;
mod limits;
mod origins;
mod search;
mod shutdown;
mod startup;
mod up;
mod webhooks;
