//! The access endpoints: signing in and out, invites, sign-in links, the caller's own identity,
//! users, API tokens, runner tokens and the runner list, and the audit log. [`super::admit`] has
//! checked each caller's role before these run; what they check themselves (a token's role is
//! at most its creator's, only owners and admins revoke) is said where it happens.

use serde::{Deserialize, Serialize};

use super::tokens::{Grant, TokenRecord};
use super::users::{UserRecord, normalize_email};
use super::{
    Actor, Principal, Role, Via, audit, client_ip, passwords, sessions, throttle, tokens, users,
};
use crate::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{ApiRequest, ApiResponse, json_body};
use crate::jobs::runner_api;

pub use super::wire::*;

/// Most audit entries one page holds.
const MAX_AUDIT_PAGE: usize = 200;

/// `GET /api/me` and the answer to a sign-in.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    /// `admin` (the admin token or a session it opened) or `user`.
    pub kind: &'static str,
    pub id: Option<String>,
    pub email: Option<String>,
    pub role: Role,
    /// How this request was authenticated: `session`, `token`, `admin_token`, `proxy`, `off`.
    pub via: &'static str,
}

fn me_of(principal: &Principal) -> ApiResult<Me> {
    let Principal::Person { actor, role, via } = principal else {
        return Err(ApiError::Forbidden("runners have no account".into()));
    };
    let (kind, id, email) = match actor {
        Actor::Admin => ("admin", None, None),
        Actor::User { id, email } => ("user", Some(id.clone()), Some(email.clone())),
    };
    Ok(Me {
        kind,
        id,
        email,
        role: *role,
        via: match via {
            Via::AuthOff => "off",
            Via::AdminToken => "admin_token",
            Via::ApiToken { .. } => "token",
            Via::Session => "session",
            Via::IdentityHeader => "proxy",
        },
    })
}

fn signed_in(
    ctx: &Ctx,
    req: &ApiRequest,
    actor: Actor,
    role: Role,
    status: u16,
) -> ApiResult<ApiResponse> {
    let secret = sessions::start(ctx, actor.clone())?;
    let me = me_of(&Principal::Person {
        actor,
        role,
        via: Via::Session,
    })?;
    Ok(sessions::set_cookie(
        ctx,
        req,
        ApiResponse::json(status, &me),
        &secret,
    ))
}

/// The person behind a request the access table let through.
fn person(principal: &Principal) -> ApiResult<(&Actor, Role)> {
    match principal {
        Principal::Person { actor, role, .. } => Ok((actor, *role)),
        Principal::Runner { .. } => Err(ApiError::Forbidden("runners have no account".into())),
    }
}

#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// `POST /api/auth/login`: a session cookie for the right email and password. Every failure
/// says the same thing and takes as long, whether the account exists or not.
pub fn login(ctx: &Ctx, req: &ApiRequest) -> ApiResult<ApiResponse> {
    let body: LoginRequest = json_body(&req.body)?;
    let email = normalize_email(&body.email)?;
    let client = client_ip(req);
    throttle::check(ctx, &email, client.as_deref())?;
    let user = users::by_email(ctx, &email)?;
    let valid = match user
        .as_ref()
        .and_then(|u| u.password.as_deref().map(|p| (u, p)))
    {
        Some((u, phc)) => passwords::verify(phc, &body.password) && !u.disabled,
        None => {
            passwords::verify_nothing(ctx, &body.password);
            false
        }
    };
    let Some(user) = user.filter(|_| valid) else {
        throttle::failed(ctx, &email, client.as_deref())?;
        audit::record(ctx, &email, "sign_in_failed", &email, client.as_deref())?;
        return Err(ApiError::Unauthorized("wrong email or password".into()));
    };
    audit::record(ctx, &user.email, "sign_in", &user.id, client.as_deref())?;
    signed_in(ctx, req, user.actor(), user.role, 200)
}

#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    pub invite: String,
    pub password: String,
}

/// `POST /api/auth/accept`: sets the invited user's password (the invite works once) and signs
/// them in.
pub fn accept(ctx: &Ctx, req: &ApiRequest) -> ApiResult<ApiResponse> {
    let body: AcceptRequest = json_body(&req.body)?;
    passwords::check_rules(&body.password)?;
    let invite = sessions::take_invite(ctx, &body.invite)?.ok_or_else(|| {
        ApiError::BadRequest(
            "this invite is unknown, used or expired; ask an admin for a new one".into(),
        )
    })?;
    let mut user = users::get(ctx, &invite.user_id)?
        .filter(|u| !u.disabled)
        .ok_or_else(|| ApiError::Forbidden("this account is disabled".into()))?;
    user.password = Some(passwords::hash(ctx, &body.password)?);
    users::save(ctx, &user)?;
    audit::record(
        ctx,
        &user.email,
        "invite_accepted",
        &user.id,
        client_ip(req).as_deref(),
    )?;
    signed_in(ctx, req, user.actor(), user.role, 200)
}

#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    pub code: String,
}

/// `POST /api/auth/link`: a sign-in link's code (one use) for an admin session.
pub fn link(ctx: &Ctx, req: &ApiRequest) -> ApiResult<ApiResponse> {
    let body: LinkRequest = json_body(&req.body)?;
    sessions::take_link(ctx, &body.code)?.ok_or_else(|| {
        ApiError::BadRequest("this sign-in link is unknown, used or expired".into())
    })?;
    audit::record(
        ctx,
        "admin",
        "sign_in",
        "sign-in link",
        client_ip(req).as_deref(),
    )?;
    signed_in(ctx, req, Actor::Admin, Role::Admin, 200)
}

/// `POST /api/auth/logout`: ends the session the cookie names, if any, and clears the cookie.
pub fn logout(
    ctx: &Ctx,
    req: &ApiRequest,
    principal: Option<&Principal>,
) -> ApiResult<ApiResponse> {
    if let Some(secret) = sessions::cookie(req) {
        sessions::end(ctx, secret)?;
        if let Some(p) = principal {
            audit::record(ctx, &p.label(), "sign_out", "", client_ip(req).as_deref())?;
        }
    }
    Ok(sessions::clear_cookie(req, ApiResponse::empty(204)))
}

/// `POST /api/auth/signin-links` (admin): a one-time link that opens an admin session.
pub fn signin_link(ctx: &Ctx, req: &ApiRequest, principal: &Principal) -> ApiResult<ApiResponse> {
    let code = sessions::link(ctx)?;
    audit::record(
        ctx,
        &principal.label(),
        "sign_in_link_created",
        "",
        client_ip(req).as_deref(),
    )?;
    let url = format!("{}/#signin={code}", origin(req));
    Ok(ApiResponse::json(
        201,
        &SignInLink {
            url,
            expires_in_s: sessions::LINK_MS / 1000,
        },
    ))
}

/// `GET /api/me`.
pub fn me(principal: &Principal) -> ApiResult<ApiResponse> {
    Ok(ApiResponse::json(200, &me_of(principal)?))
}

/// The URL the client used to reach us, without the path, for links we hand out.
fn origin(req: &ApiRequest) -> String {
    if let Some(full) = req.header("spin-full-url")
        && let Some((scheme, rest)) = full.split_once("://")
    {
        let authority = rest.split('/').next().unwrap_or_default();
        return format!("{scheme}://{authority}");
    }
    match req.header("host") {
        Some(host) => format!("http://{}", host.trim()),
        None => String::new(),
    }
}

/// `GET /api/users` (admin).
pub fn users_list(ctx: &Ctx) -> ApiResult<ApiResponse> {
    let users: Vec<_> = users::list(ctx)?.iter().map(UserRecord::view).collect();
    Ok(ApiResponse::json(200, &UserList { users }))
}

#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub email: String,
    pub role: Role,
}

/// `POST /api/users {email, role}` (admin): the user and a one-time invite URL.
pub fn users_create(ctx: &Ctx, req: &ApiRequest, principal: &Principal) -> ApiResult<ApiResponse> {
    let (actor, _) = person(principal)?;
    let body: NewUser = json_body(&req.body)?;
    let email = normalize_email(&body.email)?;
    let user = users::create(ctx, &email, body.role, actor)?;
    let invite = sessions::invite(ctx, &user.id)?;
    audit::record(
        ctx,
        &actor.label(),
        "user_created",
        &format!("{} as {}", user.email, user.role.as_str()),
        client_ip(req).as_deref(),
    )?;
    Ok(ApiResponse::json(
        201,
        &Invited {
            user: user.view(),
            invite_url: format!("{}/#invite={invite}", origin(req)),
            invite_expires_in_s: sessions::INVITE_MS / 1000,
        },
    ))
}

#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub disabled: Option<bool>,
}

/// `PATCH /api/users/{id} {role?, disabled?}` (admin). Takes effect on the user's sessions and
/// tokens at once.
pub fn user_patch(
    ctx: &Ctx,
    req: &ApiRequest,
    principal: &Principal,
    id: &str,
) -> ApiResult<ApiResponse> {
    let (actor, _) = person(principal)?;
    let change: UserChange = json_body(&req.body)?;
    if change.role.is_none() && change.disabled.is_none() {
        return Err(ApiError::BadRequest("send role or disabled".into()));
    }
    let mut user = users::get(ctx, id)?
        .ok_or_else(|| ApiError::NotFound(format!("no user with id {id:?}")))?;
    let client = client_ip(req);
    if let Some(role) = change.role.filter(|r| *r != user.role) {
        audit::record(
            ctx,
            &actor.label(),
            "role_changed",
            &format!(
                "{}: {} to {}",
                user.email,
                user.role.as_str(),
                role.as_str()
            ),
            client.as_deref(),
        )?;
        user.role = role;
    }
    if let Some(disabled) = change.disabled.filter(|d| *d != user.disabled) {
        let action = if disabled {
            "user_disabled"
        } else {
            "user_enabled"
        };
        audit::record(ctx, &actor.label(), action, &user.email, client.as_deref())?;
        user.disabled = disabled;
    }
    users::save(ctx, &user)?;
    Ok(ApiResponse::json(200, &UserOne { user: user.view() }))
}

/// Whether `principal` may see and revoke `token`: its owner, or an admin.
fn may_manage(principal: &Principal, token: &TokenRecord) -> bool {
    principal.role() == Some(Role::Admin) || principal.actor() == Some(&token.owner)
}

/// `GET /api/tokens`: the caller's API tokens (an admin sees everyone's), newest first.
pub fn tokens_list(ctx: &Ctx, principal: &Principal) -> ApiResult<ApiResponse> {
    let list: Vec<_> = tokens::list(ctx)?
        .into_iter()
        .filter(|t| matches!(t.grant, Grant::Api { .. }) && may_manage(principal, t))
        .map(|t| t.view())
        .collect();
    Ok(ApiResponse::json(200, &TokenList { tokens: list }))
}

#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub name: String,
    pub role: Role,
}

/// `POST /api/tokens {name, role}`: a token with at most the caller's role, shown once.
pub fn tokens_create(ctx: &Ctx, req: &ApiRequest, principal: &Principal) -> ApiResult<ApiResponse> {
    let (actor, role) = person(principal)?;
    let body: NewToken = json_body(&req.body)?;
    if body.role > role {
        return Err(ApiError::Forbidden(format!(
            "a token's role can be at most yours ({})",
            role.as_str()
        )));
    }
    issue(ctx, req, actor, &body.name, Grant::Api { role: body.role })
}

/// Makes a token, records who did, and shows it once.
fn issue(
    ctx: &Ctx,
    req: &ApiRequest,
    actor: &Actor,
    name: &str,
    grant: Grant,
) -> ApiResult<ApiResponse> {
    let (record, secret) = tokens::create(ctx, name, grant, actor)?;
    let (action, role, runner) = match &record.grant {
        Grant::Api { role } => ("token_created", Some(*role), None),
        Grant::Runner { runner } => ("runner_token_created", None, Some(runner.clone())),
    };
    audit::record(
        ctx,
        &actor.label(),
        action,
        &format!("{} ({})", record.id, record.name),
        client_ip(req).as_deref(),
    )?;
    Ok(ApiResponse::json(
        201,
        &TokenCreated {
            id: record.id,
            token: secret,
            name: record.name,
            role,
            runner,
        },
    ))
}

/// `DELETE /api/tokens/{id}`: revokes an API or runner token at once (owners revoke their own,
/// admins any). Someone else's token is "not found", so ids cannot be probed.
pub fn token_delete(
    ctx: &Ctx,
    req: &ApiRequest,
    principal: &Principal,
    id: &str,
) -> ApiResult<ApiResponse> {
    let record = tokens::get(ctx, id)?
        .filter(|t| may_manage(principal, t))
        .ok_or_else(|| ApiError::NotFound(format!("no token with id {id:?}")))?;
    if record.revoked_at.is_some() {
        return Ok(ApiResponse::json(
            200,
            &TokenOne {
                token: record.view(),
            },
        ));
    }
    let record = tokens::revoke(ctx, record)?;
    audit::record(
        ctx,
        &principal.label(),
        "token_revoked",
        &format!("{} ({})", record.id, record.name),
        client_ip(req).as_deref(),
    )?;
    Ok(ApiResponse::json(
        200,
        &TokenOne {
            token: record.view(),
        },
    ))
}

/// `GET /api/runners/tokens` (admin): runner tokens, newest first.
pub fn runner_tokens_list(ctx: &Ctx) -> ApiResult<ApiResponse> {
    let list: Vec<_> = tokens::list(ctx)?
        .into_iter()
        .filter(|t| matches!(t.grant, Grant::Runner { .. }))
        .map(|t| t.view())
        .collect();
    Ok(ApiResponse::json(200, &TokenList { tokens: list }))
}

#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewRunnerToken {
    pub runner: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// `POST /api/runners/tokens {runner, name?}` (admin): a token only that runner name can use.
pub fn runner_tokens_create(
    ctx: &Ctx,
    req: &ApiRequest,
    principal: &Principal,
) -> ApiResult<ApiResponse> {
    let (actor, _) = person(principal)?;
    let body: NewRunnerToken = json_body(&req.body)?;
    if !protocol::limits::valid_runner_name(&body.runner) {
        return Err(ApiError::BadRequest(
            protocol::limits::RUNNER_NAME_RULE.into(),
        ));
    }
    let name = body
        .name
        .unwrap_or_else(|| format!("runner {}", body.runner));
    let grant = Grant::Runner {
        runner: body.runner.clone(),
    };
    issue(ctx, req, actor, &name, grant)
}

/// `GET /api/runners` (admin): every runner seen, with when.
pub fn runners_list(ctx: &Ctx) -> ApiResult<ApiResponse> {
    let runners = runner_api::runners_seen(ctx)?;
    Ok(ApiResponse::json(200, &RunnerList { runners }))
}

/// `GET /api/audit?limit=&cursor=` (admin): newest first.
pub fn audit_list(ctx: &Ctx, req: &ApiRequest) -> ApiResult<ApiResponse> {
    let limit = req.limit_param("limit", 50, MAX_AUDIT_PAGE)?;
    let cursor = req.cursor_param()?;
    let (entries, next) = audit::page(ctx, limit, cursor)?;
    Ok(ApiResponse::json(
        200,
        &AuditPage {
            entries,
            next_cursor: next.map(|n| n.to_string()),
        },
    ))
}
