//! The one error type at the HTTP boundary. Every failure a handler can meet becomes an
//! [`ApiError`] (domain errors convert here), and [`ApiError::into_response`] (in [`crate::http`],
//! which owns the wire) is the only place that turns one into `{"error": "..."}`. Store failures
//! are reported as 500 without their internals.

use crate::documents::DocError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
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
    MisdirectedRequest(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("{message}")]
    TooManyRequests { message: String, retry_after_s: i64 },
    #[error("storage is unavailable")]
    Store(#[from] StoreError),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn status(&self) -> u16 {
        match self {
            ApiError::BadRequest(_) => 400,
            ApiError::Unauthorized(_) => 401,
            ApiError::Forbidden(_) => 403,
            ApiError::NotFound(_) => 404,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::Conflict(_) => 409,
            ApiError::PreconditionFailed(_) => 412,
            ApiError::TooLarge { .. } => 413,
            ApiError::UnsupportedMediaType(_) => 415,
            ApiError::MisdirectedRequest(_) => 421,
            ApiError::Unprocessable(_) => 422,
            ApiError::TooManyRequests { .. } => 429,
            ApiError::Store(_) => 500,
        }
    }
}

impl From<DocError> for ApiError {
    fn from(e: DocError) -> Self {
        let message = e.to_string();
        match e {
            DocError::NotFound { .. } => ApiError::NotFound(message),
            DocError::Unreadable { .. } => ApiError::BadRequest(message),
            DocError::Invalid { .. } => ApiError::Unprocessable(message),
            DocError::TooLarge { size, limit } => ApiError::TooLarge { size, limit },
            DocError::PreconditionFailed { .. } => ApiError::PreconditionFailed(message),
            DocError::Conflict { .. } => ApiError::Conflict(message),
            DocError::Store(e) => ApiError::Store(e),
        }
    }
}
