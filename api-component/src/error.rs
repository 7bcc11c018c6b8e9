//! The one error type at the HTTP boundary. Every failure a handler can meet becomes an
//! [`ApiError`], and [`ApiError::into_response`] is the only place that turns one into
//! `{"error": "..."}`. Store failures are reported as 500 without their internals.

use crate::http::ApiResponse;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    NotFound(String),
    #[error("method {method} is not allowed here; allowed: {allowed}")]
    MethodNotAllowed {
        method: String,
        allowed: &'static str,
    },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("body is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("storage is unavailable")]
    Store(#[from] StoreError),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn status(&self) -> u16 {
        match self {
            ApiError::BadRequest(_) => 400,
            ApiError::Unauthorized(_) => 401,
            ApiError::NotFound(_) => 404,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::Conflict(_) => 409,
            ApiError::PreconditionFailed(_) => 412,
            ApiError::TooLarge { .. } => 413,
            ApiError::UnsupportedMediaType(_) => 415,
            ApiError::Unprocessable(_) => 422,
            ApiError::Store(_) => 500,
        }
    }

    pub fn into_response(self) -> ApiResponse {
        if let ApiError::Store(e) = &self {
            // The detail goes to the host's log; clients get the generic message.
            eprintln!("error: {e}");
        }
        let mut resp = ApiResponse::json(
            self.status(),
            &serde_json::json!({ "error": self.to_string() }),
        );
        if let ApiError::MethodNotAllowed { allowed, .. } = &self {
            resp = resp.with_header("allow", *allowed);
        }
        if let ApiError::Unauthorized(_) = &self {
            resp = resp.with_header("www-authenticate", "Bearer");
        }
        resp
    }
}
