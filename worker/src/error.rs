//! The errors that stop a worker, and [`Fatal`], the slot where the first one is raised. Everything
//! else (a failed job, an unreachable API) is handled inside and logged.

use std::sync::Mutex;

use tokio_util::sync::CancellationToken;

/// Why [`crate::run`] stopped before its shutdown was requested.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// A setting is wrong; the message names it.
    #[error("configuration error: {0}")]
    Config(String),
    /// The API refused the runner token (401): no request will ever succeed.
    #[error(
        "the API at {api} refused the runner token ({message}); check --token / CWM_RUNNER_TOKEN \
         against the server's runner_token setting or the runner tokens an admin made"
    )]
    Unauthorized { api: String, message: String },
    /// The API refused a claim for a reason retrying cannot fix (a 4xx other than 401).
    #[error("the API refused this runner: {0}")]
    Refused(String),
    /// The work directory cannot be prepared or is used by another worker.
    #[error("{0}")]
    Workdir(String),
}

/// The error that stops the worker, raised at most once.
pub struct Fatal {
    /// Cancelled once a fatal error was raised.
    pub token: CancellationToken,
    error: Mutex<Option<WorkerError>>,
    api: String,
}

impl Fatal {
    pub fn new(api: String) -> Fatal {
        Fatal {
            token: CancellationToken::new(),
            error: Mutex::new(None),
            api,
        }
    }

    /// Stops the worker with `error` (the first one raised is kept).
    pub fn raise(&self, error: WorkerError) {
        let mut slot = self.error.lock().expect("fatal error");
        if slot.is_none() {
            tracing::error!("{error}");
            *slot = Some(error);
        }
        self.token.cancel();
    }

    /// The API answered 401.
    pub fn unauthorized(&self, message: &str) {
        self.raise(WorkerError::Unauthorized {
            api: self.api.clone(),
            message: message.to_owned(),
        });
    }

    /// Takes the raised error, if any.
    pub fn take(&self) -> Option<WorkerError> {
        self.error.lock().expect("fatal error").take()
    }

    #[cfg(test)]
    pub fn error(&self) -> Option<String> {
        self.error.lock().unwrap().as_ref().map(ToString::to_string)
    }
}
