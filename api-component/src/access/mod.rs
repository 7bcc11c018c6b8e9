//! Who may do what: every `/api/*` request is authenticated here and then checked against what
//! its endpoint needs ([`need`], one `match` over [`Endpoint`], so a new endpoint does not
//! compile until it says), after routing and before its handler runs.
//!
//! Credentials, in the order they are looked at:
//! - `Authorization: Bearer <token>`: the `admin_token` setting (admin), the shared
//!   `runner_token` (any runner name), or a token this API issued ([`tokens`]: API tokens with a
//!   role, runner tokens bound to one runner name). A bearer token that is none of these is
//!   refused even where no credential is needed, so a revoked token never passes silently.
//! - the `cwm_session` cookie of a signed-in browser ([`sessions`]).
//! - the `trusted_identity_header` an identity proxy sets, naming an existing user by email.
//! - with `auth = off`, anyone is admin on the content team's endpoints (runners still need
//!   their token).
//!
//! Roles are ordered: `viewer` reads, `editor` also writes, `admin` also manages access.
//! Runner credentials reach only the runner protocol, and people never reach it.

pub mod audit;
pub mod endpoints;
pub mod passwords;
pub mod secrets;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;
pub mod wire;

use serde::{Deserialize, Serialize};

use crate::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::ApiRequest;
use crate::routes::Endpoint;
use tokens::Grant;

/// What a person may do, in increasing order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Editor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }
}

/// Who a person is: the holder of the admin token (or of a session it opened), or a user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Actor {
    Admin,
    User { id: String, email: String },
}

impl Actor {
    /// How records and the audit log name the actor.
    pub fn label(&self) -> String {
        match self {
            Actor::Admin => "admin".to_owned(),
            Actor::User { email, .. } => email.clone(),
        }
    }
}

/// How a person's request was authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    AuthOff,
    AdminToken,
    ApiToken {
        id: String,
    },
    /// The digest-free secret is not kept; logout needs the cookie itself.
    Session,
    IdentityHeader,
}

/// The authenticated caller of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    Person {
        actor: Actor,
        role: Role,
        via: Via,
    },
    /// A runner: `name` is the one its token is bound to, `None` for the shared `runner_token`.
    Runner {
        name: Option<String>,
    },
}

impl Principal {
    pub fn label(&self) -> String {
        match self {
            Principal::Person { actor, .. } => actor.label(),
            Principal::Runner { name: Some(n) } => format!("runner {n}"),
            Principal::Runner { name: None } => "runner".to_owned(),
        }
    }

    pub fn actor(&self) -> Option<&Actor> {
        match self {
            Principal::Person { actor, .. } => Some(actor),
            Principal::Runner { .. } => None,
        }
    }

    pub fn role(&self) -> Option<Role> {
        match self {
            Principal::Person { role, .. } => Some(*role),
            Principal::Runner { .. } => None,
        }
    }

    /// The runner name this caller is bound to (`None`: any name, or not a runner).
    pub fn bound_runner(&self) -> Option<&str> {
        match self {
            Principal::Runner { name } => name.as_deref(),
            Principal::Person { .. } => None,
        }
    }
}

/// What an endpoint needs from its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Anyone (handlers may still look at who asked).
    Public,
    /// A person with at least this role.
    Role(Role),
    /// A runner credential.
    Runner,
}

/// The one table of who may call what.
pub fn need(endpoint: Endpoint) -> Need {
    use Endpoint::*;
    match endpoint {
        Health | AuthLogin | AuthLogout | AuthAccept | AuthLink => Need::Public,
        OpenApi | Render | JobsList | JobGet | JobLogs | JobEvents | DocsList | DocGet
        | DocPreview | DocQuality | DocVersions | DocVersionGet | TrashList | BatchGet
        | ProposalGet | Me | TokensList | TokensCreate | TokenDelete | Search | Usage => {
            Need::Role(Role::Viewer)
        }
        JobCancel | JobRetry | JobDelete | Generate | DocsUpload | DocPut | DocDelete
        | DocVersionRestore | TrashRestore | GenerateBatch | BatchCancel | Revise
        | ProposalApprove | ProposalReject | JobPrompt => Need::Role(Role::Editor),
        UsersList | UsersCreate | UserPatch | RunnerTokensList | RunnerTokensCreate
        | RunnersList | SignInLinks | AuditList | WebhookDeliveries | WebhookTest
        | SearchRebuild | WebhookRetry => Need::Role(Role::Admin),
        RunnerClaim | RunnerClaimStop | RunnerHeartbeat | RunnerLogChunk | RunnerOutput
        | RunnerFinish => Need::Runner,
    }
}

/// Authenticates `req` and checks it against what `endpoint` needs: the caller (`None` only on
/// public endpoints), 401 without a valid credential, 403 with one that is not enough.
pub fn admit(ctx: &Ctx, req: &ApiRequest, endpoint: Endpoint) -> ApiResult<Option<Principal>> {
    let need = need(endpoint);
    let principal = match authenticate(ctx, req) {
        Ok(p) => p,
        // A stale cookie must not keep anyone from signing in again.
        Err(ApiError::Unauthorized(_)) if need == Need::Public && bearer(req).is_none() => None,
        Err(e) => return Err(e),
    };
    let principal = match principal {
        None if ctx.settings.auth_off() && matches!(need, Need::Role(_)) => {
            Some(Principal::Person {
                actor: Actor::Admin,
                role: Role::Admin,
                via: Via::AuthOff,
            })
        }
        p => p,
    };
    match (need, &principal) {
        (Need::Public, _) => Ok(principal),
        (Need::Role(_) | Need::Runner, None) => Err(ApiError::Unauthorized(
            "sign in, or send a bearer token".into(),
        )),
        (Need::Role(needed), Some(Principal::Person { role, .. })) => {
            if *role >= needed {
                Ok(principal)
            } else {
                Err(ApiError::Forbidden(format!(
                    "this needs the {} role; you have {}",
                    needed.as_str(),
                    role.as_str()
                )))
            }
        }
        (Need::Role(_), Some(Principal::Runner { .. })) => Err(ApiError::Forbidden(
            "runner tokens are for the runner protocol only".into(),
        )),
        (Need::Runner, Some(Principal::Runner { .. })) => Ok(principal),
        (Need::Runner, Some(Principal::Person { .. })) => Err(ApiError::Forbidden(
            "the runner protocol needs a runner token".into(),
        )),
    }
}

/// The bearer token of a request, if it sends one.
pub fn bearer(req: &ApiRequest) -> Option<&str> {
    let h = req.header("authorization")?;
    h.strip_prefix("Bearer ")
        .or_else(|| h.strip_prefix("bearer "))
        .map(str::trim)
}

/// The client's IP address as the host reports it (for rate limits and the audit log).
pub fn client_ip(req: &ApiRequest) -> Option<String> {
    let raw = req.header(crate::guard::CLIENT_ADDR_HEADER)?.trim();
    match raw.parse::<std::net::SocketAddr>() {
        Ok(a) => Some(a.ip().to_string()),
        Err(_) => raw
            .parse::<std::net::IpAddr>()
            .ok()
            .map(|ip| ip.to_string()),
    }
}

/// Who sent `req`, if anyone: see the module docs for the order.
fn authenticate(ctx: &Ctx, req: &ApiRequest) -> ApiResult<Option<Principal>> {
    let settings = ctx.settings;
    if let Some(token) = bearer(req) {
        let given = token.as_bytes();
        if !settings.admin_token.is_empty() && secrets::same(given, settings.admin_token.as_bytes())
        {
            return Ok(Some(Principal::Person {
                actor: Actor::Admin,
                role: Role::Admin,
                via: Via::AdminToken,
            }));
        }
        if !settings.runner_token.is_empty()
            && secrets::same(given, settings.runner_token.as_bytes())
        {
            return Ok(Some(Principal::Runner { name: None }));
        }
        if token.starts_with(secrets::TOKEN_PREFIX)
            && let Some(record) = tokens::lookup(ctx, token)?
        {
            return token_principal(ctx, record).map(Some);
        }
        return Err(ApiError::Unauthorized(
            "the bearer token is unknown or revoked".into(),
        ));
    }
    if let Some(secret) = sessions::cookie(req) {
        let session = sessions::lookup(ctx, secret)?
            .ok_or_else(|| ApiError::Unauthorized("the session has ended; sign in again".into()))?;
        return person(ctx, session.actor, None, Via::Session).map(Some);
    }
    if let Some(header) = settings.trusted_identity_header.as_deref()
        && let Some(email) = req.header(header)
    {
        let email = users::normalize_email(email).map_err(|_| {
            ApiError::Unauthorized(format!("the {header} header is not an email address"))
        })?;
        let user = users::by_email(ctx, &email)?.ok_or_else(|| {
            ApiError::Unauthorized(format!("no user has the address {email}; ask an admin"))
        })?;
        return person(ctx, user.actor(), None, Via::IdentityHeader).map(Some);
    }
    Ok(None)
}

fn token_principal(ctx: &Ctx, record: tokens::TokenRecord) -> ApiResult<Principal> {
    match record.grant {
        Grant::Runner { runner } => Ok(Principal::Runner { name: Some(runner) }),
        Grant::Api { role } => person(
            ctx,
            record.owner,
            Some(role),
            Via::ApiToken { id: record.id },
        ),
    }
}

/// A person as of now: a user's current role and status count, so that disabling a user or
/// lowering a role takes effect on their sessions and tokens at once. `cap` bounds the role.
fn person(ctx: &Ctx, actor: Actor, cap: Option<Role>, via: Via) -> ApiResult<Principal> {
    let role = match &actor {
        Actor::Admin => Role::Admin,
        Actor::User { id, .. } => {
            let user = users::get(ctx, id)?
                .filter(|u| !u.disabled)
                .ok_or_else(|| ApiError::Unauthorized("this account is disabled".into()))?;
            user.role
        }
    };
    let role = cap.map_or(role, |c| c.min(role));
    Ok(Principal::Person { actor, role, via })
}
