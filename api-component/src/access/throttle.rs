//! Brute-force limits on sign-in: failures are counted per account and per client address in
//! fixed windows (one counter per window, so counting is one atomic increment); over the limit,
//! sign-ins are refused with 429 until the window turns, whether the password is right or not.

use crate::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::store::StoreResult;

/// The window failures are counted in.
pub const WINDOW_MS: i64 = 15 * 60_000;
/// Failed sign-ins per account per window.
pub const PER_ACCOUNT: i64 = 10;
/// Failed sign-ins per client address per window.
pub const PER_CLIENT: i64 = 50;

fn key(scope: &str, who: &str, window: i64) -> String {
    format!("auth/fail/{scope}/{who}/{window}")
}

fn scopes<'a>(account: &'a str, client: Option<&'a str>) -> Vec<(&'static str, &'a str, i64)> {
    let mut v = vec![("account", account, PER_ACCOUNT)];
    if let Some(c) = client {
        v.push(("client", c, PER_CLIENT));
    }
    v
}

/// 429 if the account or the client has failed too often in this window.
pub fn check(ctx: &Ctx, account: &str, client: Option<&str>) -> ApiResult<()> {
    let window = ctx.now_ms / WINDOW_MS;
    for (scope, who, limit) in scopes(account, client) {
        if ctx.store.increment(&key(scope, who, window), 0)? >= limit {
            let retry_after_s = ((window + 1) * WINDOW_MS - ctx.now_ms + 999) / 1000;
            return Err(ApiError::TooManyRequests {
                message: format!("too many failed sign-ins for this {scope}; try again later"),
                retry_after_s,
            });
        }
    }
    Ok(())
}

/// Counts one failed sign-in.
pub fn failed(ctx: &Ctx, account: &str, client: Option<&str>) -> StoreResult<()> {
    let window = ctx.now_ms / WINDOW_MS;
    for (scope, who, _) in scopes(account, client) {
        ctx.store.increment(&key(scope, who, window), 1)?;
    }
    Ok(())
}
