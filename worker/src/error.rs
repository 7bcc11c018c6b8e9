//! The errors that stop a worker. Everything else (a failed job, an unreachable API) is handled
//! inside and logged.

/// Why [`crate::run`] stopped before its shutdown was requested.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// A setting is wrong; the message names it.
    #[error("configuration error: {0}")]
    Config(String),
    /// The API refused the runner token (401): no request will ever succeed.
    #[error(
        "the API at {api} refused the runner token ({message}); check --token / CWM_RUNNER_TOKEN \
         against the server's runner_token setting"
    )]
    Unauthorized { api: String, message: String },
    /// The API refused a claim for a reason retrying cannot fix (a 4xx other than 401).
    #[error("the API refused this runner: {0}")]
    Refused(String),
    /// The work directory cannot be prepared or is used by another worker.
    #[error("{0}")]
    Workdir(String),
}
