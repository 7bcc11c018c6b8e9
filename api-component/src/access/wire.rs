//! The answers of the access endpoints ([`super::endpoints`]) as they go over the wire.

use serde::Serialize;

use super::{Role, audit, tokens, users};
use crate::jobs::runner_api;

/// `GET /api/users`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserList {
    pub users: Vec<users::UserView>,
}

/// `POST /api/users`: the user and the one-time link that sets their password.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Invited {
    pub user: users::UserView,
    pub invite_url: String,
    pub invite_expires_in_s: i64,
}

/// `PATCH /api/users/{id}`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserOne {
    pub user: users::UserView,
}

/// `GET /api/tokens`, `GET /api/runners/tokens`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenList {
    pub tokens: Vec<tokens::TokenView>,
}

/// `DELETE /api/tokens/{id}`: the token as it is now (revoked).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenOne {
    pub token: tokens::TokenView,
}

/// A token just made: the only time its secret is shown.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenCreated {
    pub id: String,
    /// The bearer token (`cwm_…`); only its digest is kept.
    pub token: String,
    pub name: String,
    /// API tokens: the role granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Runner tokens: the runner name it is bound to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runner: Option<String>,
}

/// `GET /api/runners`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunnerList {
    pub runners: Vec<runner_api::RunnerSeen>,
}

/// `GET /api/audit`: newest first.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub entries: Vec<audit::Entry>,
    /// Pass as `cursor` for the next (older) page; `null` at the end.
    pub next_cursor: Option<String>,
}

/// `POST /api/auth/signin-links`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignInLink {
    /// Opens the UI signed in as admin, once.
    pub url: String,
    pub expires_in_s: i64,
}
