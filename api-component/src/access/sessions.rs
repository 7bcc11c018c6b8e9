//! Browser sessions and the one-time secrets that lead to one: invites (a new user sets a
//! password) and sign-in links (`runner up` prints one so its operator's browser opens signed in
//! as admin).
//!
//! Keys, all by the secret's digest: `auth/session/{d}` a [`Session`]; `auth/invite/{d}` an
//! [`Invite`]; `auth/link/{d}` a [`Link`]; `auth/used/{d}` the latch that lets a one-time secret be
//! used once even by two concurrent requests.

use serde::{Deserialize, Serialize};

use super::{Actor, secrets};
use crate::Ctx;
use crate::http::{ApiRequest, ApiResponse};
use crate::store::StoreResult;

/// The session cookie's name.
pub const COOKIE: &str = "cwm_session";
/// How long an invite stays valid.
pub const INVITE_MS: i64 = 72 * 3_600_000;
/// How long a sign-in link stays valid.
pub const LINK_MS: i64 = 15 * 60_000;

fn session_key(digest: &str) -> String {
    format!("auth/session/{digest}")
}
fn invite_key(digest: &str) -> String {
    format!("auth/invite/{digest}")
}
fn link_key(digest: &str) -> String {
    format!("auth/link/{digest}")
}
fn used_latch(digest: &str) -> String {
    format!("auth/used/{digest}")
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Session {
    pub actor: Actor,
    pub expires_ms: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Invite {
    pub user_id: String,
    pub expires_ms: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Link {
    pub expires_ms: i64,
}

fn put<T: Serialize>(ctx: &Ctx, key: &str, value: &T) -> StoreResult<()> {
    // Serializing a plain struct cannot fail.
    ctx.store
        .set(key, &serde_json::to_vec(value).unwrap_or_default())
}

fn read<T: serde::de::DeserializeOwned>(ctx: &Ctx, key: &str) -> StoreResult<Option<T>> {
    Ok(ctx
        .store
        .get(key)?
        .and_then(|b| serde_json::from_slice(&b).ok()))
}

/// Starts a session for `actor`; returns the cookie's secret.
pub fn start(ctx: &Ctx, actor: Actor) -> StoreResult<String> {
    let secret = secrets::new_secret(ctx, "");
    let expires_ms = ctx.now_ms + ctx.settings.session_ms();
    put(
        ctx,
        &session_key(&secrets::digest(&secret)),
        &Session { actor, expires_ms },
    )?;
    Ok(secret)
}

/// The live session a cookie names.
pub fn lookup(ctx: &Ctx, secret: &str) -> StoreResult<Option<Session>> {
    let key = session_key(&secrets::digest(secret));
    Ok(read::<Session>(ctx, &key)?.filter(|s| s.expires_ms > ctx.now_ms))
}

/// Ends the session a cookie names.
pub fn end(ctx: &Ctx, secret: &str) -> StoreResult<()> {
    ctx.store.delete(&session_key(&secrets::digest(secret)))
}

/// The session cookie's value in a request, if any.
pub fn cookie(req: &ApiRequest) -> Option<&str> {
    req.headers
        .iter()
        .filter(|(k, _)| k == "cookie")
        .flat_map(|(_, v)| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// Whether the client reached us over HTTPS (then the cookie is `Secure`).
fn over_https(req: &ApiRequest) -> bool {
    req.header("spin-full-url")
        .is_some_and(|u| u.starts_with("https://"))
        || req
            .header("x-forwarded-proto")
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
}

/// Adds the cookie that carries a new session.
pub fn set_cookie(ctx: &Ctx, req: &ApiRequest, resp: ApiResponse, secret: &str) -> ApiResponse {
    let secure = if over_https(req) { "; Secure" } else { "" };
    let max_age = ctx.settings.session_ms() / 1000;
    resp.with_header(
        "set-cookie",
        format!("{COOKIE}={secret}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"),
    )
}

/// Adds the header that removes the session cookie.
pub fn clear_cookie(req: &ApiRequest, resp: ApiResponse) -> ApiResponse {
    let secure = if over_https(req) { "; Secure" } else { "" };
    resp.with_header(
        "set-cookie",
        format!("{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{secure}"),
    )
}

/// A new invite for `user_id`; returns its secret.
pub fn invite(ctx: &Ctx, user_id: &str) -> StoreResult<String> {
    let secret = secrets::new_secret(ctx, "");
    let invite = Invite {
        user_id: user_id.to_owned(),
        expires_ms: ctx.now_ms + INVITE_MS,
    };
    put(ctx, &invite_key(&secrets::digest(&secret)), &invite)?;
    Ok(secret)
}

/// Uses an invite: the user it was for, once; `None` if unknown, expired or used.
pub fn take_invite(ctx: &Ctx, secret: &str) -> StoreResult<Option<Invite>> {
    take(ctx, secret, invite_key)
}

/// A new sign-in link secret (admin, one use).
pub fn link(ctx: &Ctx) -> StoreResult<String> {
    let secret = secrets::new_secret(ctx, "");
    let link = Link {
        expires_ms: ctx.now_ms + LINK_MS,
    };
    put(ctx, &link_key(&secrets::digest(&secret)), &link)?;
    Ok(secret)
}

/// Uses a sign-in link, once.
pub fn take_link(ctx: &Ctx, secret: &str) -> StoreResult<Option<Link>> {
    take(ctx, secret, link_key)
}

trait Expiring {
    fn expires_ms(&self) -> i64;
}
impl Expiring for Invite {
    fn expires_ms(&self) -> i64 {
        self.expires_ms
    }
}
impl Expiring for Link {
    fn expires_ms(&self) -> i64 {
        self.expires_ms
    }
}

fn take<T: serde::de::DeserializeOwned + Expiring>(
    ctx: &Ctx,
    secret: &str,
    key: fn(&str) -> String,
) -> StoreResult<Option<T>> {
    let digest = secrets::digest(secret.trim());
    let key = key(&digest);
    let Some(value) = read::<T>(ctx, &key)?.filter(|v| v.expires_ms() > ctx.now_ms) else {
        return Ok(None);
    };
    if ctx.store.increment(&used_latch(&digest), 1)? != 1 {
        return Ok(None);
    }
    ctx.store.delete(&key)?;
    Ok(Some(value))
}
