//! The runners this API has seen: a registry of names in numbered slots and when each was last
//! seen, for `/health`'s count of runners online and the admin page's list.

use serde::Serialize;

use crate::Ctx;
use crate::documents::rfc3339;
use crate::jobs::model::keys;
use crate::store::StoreResult;

/// A runner seen within this long counts as online.
pub const RUNNER_ONLINE_MS: i64 = 45_000;
/// Registered runners counted or listed at most.
const MAX_RUNNERS_LISTED: i64 = 1_000;

/// One runner as `GET /api/runners` lists it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunnerSeen {
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub last_seen: Option<String>,
    pub online: bool,
}

/// Registers a runner the first time it is seen, and records when it was last seen.
pub(super) fn touch_runner(ctx: &Ctx, name: &str) -> StoreResult<()> {
    let store = ctx.store;
    if store.increment(&keys::runner_registered(name), 1)? == 1 {
        keys::RUNNERS.push(store, name.as_bytes())?;
    }
    store.set(&keys::runner_seen(name), ctx.now_ms.to_string().as_bytes())?;
    Ok(())
}

/// Every registered runner (up to [`MAX_RUNNERS_LISTED`]) with when it was last seen.
pub fn runners_seen(ctx: &Ctx) -> StoreResult<Vec<RunnerSeen>> {
    let n = keys::RUNNERS.len(ctx.store)?.min(MAX_RUNNERS_LISTED);
    let names: Vec<String> = keys::RUNNERS
        .read(ctx.store, 1, n)?
        .into_iter()
        .filter_map(|(_, b)| String::from_utf8(b).ok())
        .collect();
    let seen_keys: Vec<String> = names.iter().map(|name| keys::runner_seen(name)).collect();
    let seen = ctx.store.get_many(&seen_keys)?;
    Ok(names
        .into_iter()
        .zip(seen)
        .map(|(name, ms)| {
            let ms = ms.and_then(|b| std::str::from_utf8(&b).ok()?.parse::<i64>().ok());
            RunnerSeen {
                name,
                last_seen: ms.map(rfc3339),
                online: ms.is_some_and(|ms| ctx.now_ms - ms <= RUNNER_ONLINE_MS),
            }
        })
        .collect())
}

/// Runners seen within [`RUNNER_ONLINE_MS`].
pub fn runners_online(ctx: &Ctx) -> StoreResult<u64> {
    Ok(runners_seen(ctx)?.iter().filter(|r| r.online).count() as u64)
}
