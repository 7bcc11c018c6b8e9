//! The runner protocol (docs/runner-protocol.md): every request and response between the API
//! and its runners, the log line and its kinds, usage figures, limits and route paths. The API
//! component and the worker both use these types, so the two sides cannot drift apart. Also what
//! the host and the component agree on beside the protocol: the client-address header
//! ([`host`]) and the form of an allowed outbound destination ([`outbound`]).
//!
//! Compatibility rule: requests are strict (`deny_unknown_fields`), so a malformed or misspelt
//! request is refused with a clear error; responses are lenient (unknown fields ignored, unknown
//! enum values read as `Unknown`), so a newer server does not break an older runner.

pub mod admin;
pub mod limits;

/// Credentials as they travel.
pub mod auth {
    /// Prefix of every bearer token the API issues (API tokens and runner tokens), so that a
    /// host can tell them from the shared `runner_token` without asking the API.
    pub const TOKEN_PREFIX: &str = "cwm_";
}

/// What a host tells the component beside the request itself.
pub mod host {
    /// The client's socket address (`ip:port`), set by the host and never taken from the client
    /// (Spin's name for it, so the component reads the same header on Spin).
    pub const CLIENT_ADDR_HEADER: &str = "spin-client-addr";
}
pub mod log;
pub mod messages;
pub mod outbound;
pub mod routes;
#[cfg(feature = "openapi")]
mod schema;
pub mod usage;

pub use log::{LogChunk, LogKind, LogLine, LogStream, Timestamp};
pub use messages::*;
pub use usage::Usage;
