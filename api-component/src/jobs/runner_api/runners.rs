//! The runners this API has seen: a registry of names in numbered slots and when each was last
//! seen, for `/health`'s count of runners online.

use crate::Ctx;
use crate::jobs::counter;
use crate::jobs::model::keys;
use crate::store::StoreResult;

/// A runner seen within this long counts as online.
pub const RUNNER_ONLINE_MS: i64 = 45_000;
/// Registered runners counted by `/health` at most.
const MAX_RUNNERS_LISTED: i64 = 1_000;

/// Registers a runner the first time it is seen, and records when it was last seen.
pub(super) fn touch_runner(ctx: &Ctx, name: &str) -> StoreResult<()> {
    let store = ctx.store;
    if store.increment(&keys::runner_registered(name), 1)? == 1 {
        let slot = store.increment(keys::RUNNER_COUNTER, 1)?;
        store.set(&keys::runner_slot(slot), name.as_bytes())?;
    }
    store.set(&keys::runner_seen(name), ctx.now_ms.to_string().as_bytes())?;
    Ok(())
}

/// Runners seen within [`RUNNER_ONLINE_MS`].
pub fn runners_online(ctx: &Ctx) -> StoreResult<u64> {
    let n = counter(ctx.store, keys::RUNNER_COUNTER)?.min(MAX_RUNNERS_LISTED);
    if n <= 0 {
        return Ok(0);
    }
    let names = ctx
        .store
        .get_many(&(1..=n).map(keys::runner_slot).collect::<Vec<_>>())?;
    let seen_keys: Vec<String> = names
        .into_iter()
        .flatten()
        .filter_map(|b| String::from_utf8(b).ok())
        .map(|name| keys::runner_seen(&name))
        .collect();
    let seen = ctx.store.get_many(&seen_keys)?;
    let online = seen
        .into_iter()
        .flatten()
        .filter_map(|b| std::str::from_utf8(&b).ok()?.parse::<i64>().ok())
        .filter(|ms| ctx.now_ms - ms <= RUNNER_ONLINE_MS)
        .count();
    Ok(online as u64)
}
