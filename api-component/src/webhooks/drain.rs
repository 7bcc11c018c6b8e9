//! Whether a webhook pass goes on with another round after one that used its whole budget: a
//! backlog (say, after the receiver was down) then drains in one pass, [`DRAIN_PAUSE`] between
//! rounds, instead of [`super::sender::MAX_SENDS`] deliveries per runner poll; but never against
//! a receiver that accepts nothing, never for longer than [`DRAIN_MS`], and by one pass at a
//! time.

use std::time::Duration;

use super::outbox::keys;
use super::sender::{Outcome, accepted};
use crate::Ctx;
use crate::store::{StoreResult, due};

/// A pass that drains a backlog starts no round after this long.
pub const DRAIN_MS: i64 = 20_000;
/// Rounds one pass runs at most.
pub const MAX_ROUNDS: u32 = 250;
/// A pass that drains waits this long between rounds, so that a backlog never keeps the store
/// (and so the runner protocol) busy: 4 deliveries per 50 ms at most.
pub const DRAIN_PAUSE: Duration = Duration::from_millis(50);

/// A pass's rounds so far, and since when it drains: see [`Drain::go_on`].
#[derive(Debug, Default)]
pub struct Drain {
    rounds: u32,
    since_ms: Option<i64>,
}

impl Drain {
    /// After a round that found `more` and whose sends came to `outcomes`: go on only if the
    /// receiver accepted something (one that is down is not hammered: its deliveries wait out
    /// their backoff), within [`MAX_ROUNDS`], and as the one pass draining. That is decided by
    /// time (`hooks/draining`, as passes are gated): the first pass to go on in [`DRAIN_MS`]
    /// drains, for [`DRAIN_MS`]. Two passes that ask at the same instant may both drain, which
    /// costs only sends at once; which turn each sends is still decided by latches.
    pub fn go_on(&mut self, ctx: &Ctx, more: bool, outcomes: &[Outcome]) -> StoreResult<bool> {
        self.rounds += 1;
        if !more || !outcomes.iter().any(accepted) || self.rounds >= MAX_ROUNDS {
            return Ok(false);
        }
        match self.since_ms {
            Some(since) => Ok(ctx.now_ms - since < DRAIN_MS),
            None if due(ctx.store, keys::DRAINING_AT, ctx.now_ms, DRAIN_MS)? => {
                self.since_ms = Some(ctx.now_ms);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}
