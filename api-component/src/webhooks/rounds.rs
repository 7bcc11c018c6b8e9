//! The turns of a delivery and its rounds, as latches decide them. Each turn `t` (an attempt,
//! or giving the delivery up without one) has a latch deciding who takes it
//! (`hooks/{n}/a{t}`) and one deciding who records its outcome (`hooks/{n}/a{t}/done`): the
//! sender ([`super::sender::record`]), or a later round that finds the turn taken
//! [`STUCK_MS`] ago and records it as lost ([`take_turn`]). Whoever wins the second writes the
//! record; nobody else does.
//!
//! A round is the attempts of one 24-hour window. A delivery that failed gets a new round when an
//! admin resends it ([`resend`]), decided by the latch of that resend (`hooks/{n}/resend{r}`),
//! which the pruner also takes before it removes a delivery for good. A resent delivery moves to
//! a new slot at the top of the outbox, as if just recorded, so passes find it above
//! `hooks/low` (a hint that only ever rises) and its turns get latches of their own.

use super::outbox::{self, Attempt, Delivery, State, keys};
use super::sender::{STUCK_MS, conclude};
use crate::Ctx;
use crate::store::{StoreResult, read_number};

/// Takes the next turn of the delivery `d` in slot `n`: `true` if this caller won it. A caller
/// that lost finds out whether the turn's taker died ([`STUCK_MS`] ago, never recorded) and, if
/// so and it wins the turn's recorded latch, records the turn as lost, so the delivery goes on.
pub fn take_turn(ctx: &Ctx, n: i64, d: &Delivery) -> StoreResult<bool> {
    let store = ctx.store;
    let t = d.turn();
    let taken_key = keys::attempt_taken(n, t);
    if store.increment(&keys::attempt_latch(n, t), 1)? == 1 {
        store.set(&taken_key, ctx.now_ms.to_string().as_bytes())?;
        return Ok(true);
    }
    match read_number(store, &taken_key)? {
        // Its taker died before saying when: count from now.
        None => store.set(&taken_key, ctx.now_ms.to_string().as_bytes())?,
        Some(at) if ctx.now_ms - at >= STUCK_MS && win_record(ctx, n, t)? => {
            let mut lost = d.clone();
            let attempt = Attempt {
                at_ms: at,
                status: None,
                error: Some("no outcome was recorded: the server stopped while sending".into()),
                duration_ms: 0,
            };
            conclude(&mut lost, attempt, ctx.now_ms);
            outbox::save(store, n, &lost)?;
        }
        Some(_) => {}
    }
    Ok(false)
}

/// Whether this caller records the outcome of turn `t` of the delivery in slot `n` (the first
/// to ask does; every later caller gets `false`).
pub fn win_record(ctx: &Ctx, n: i64, t: u32) -> StoreResult<bool> {
    Ok(ctx.store.increment(&keys::attempt_recorded(n, t), 1)? == 1)
}

/// Records that the delivery `d` in slot `n`, whose turn the caller took, is given up without
/// an attempt: its round is past its 24 hours (it waited while the settings could not be used,
/// or no pass came in time for its last attempt).
pub fn give_up(ctx: &Ctx, n: i64, d: &Delivery) -> StoreResult<()> {
    if !win_record(ctx, n, d.turn())? {
        return Ok(());
    }
    let mut given_up = d.clone();
    given_up.skipped += 1;
    given_up.state = State::Failed;
    given_up.next_ms = None;
    outbox::save(ctx.store, n, &given_up)
}

/// Why a delivery cannot be resent.
#[derive(Debug, PartialEq, Eq)]
pub enum NotResent {
    /// No delivery has that id (or it was removed).
    Unknown,
    /// It is not `failed`: it is delivered, or still being tried.
    NotFailed(State),
    /// Another resend (or its removal) won the latch first.
    Raced,
}

/// Starts a new round of attempts for the failed delivery `id`: pending again, due now, with
/// 24 more hours, in a new slot; its attempts so far are kept and numbering goes on
/// (`X-CWM-Attempt`), its id stays (`X-CWM-Delivery`).
pub fn resend(ctx: &Ctx, id: &str) -> StoreResult<Result<Delivery, NotResent>> {
    let Some((n, mut d)) = outbox::find(ctx.store, id)? else {
        return Ok(Err(NotResent::Unknown));
    };
    if d.state != State::Failed {
        return Ok(Err(NotResent::NotFailed(d.state)));
    }
    let r = d.resends + 1;
    if ctx.store.increment(&keys::resend_latch(n, r), 1)? != 1 {
        return Ok(Err(NotResent::Raced));
    }
    // The pruner may have won this latch, removed the delivery and then its latches, just
    // before: the latch won here is then a new one, and the delivery is gone.
    if outbox::load(ctx.store, n)?.is_none() {
        return Ok(Err(NotResent::Raced));
    }
    d.resends = r;
    d.round_from = d.attempts.len() as u32;
    d.resent_ms = Some(ctx.now_ms);
    d.state = State::Pending;
    d.next_ms = Some(ctx.now_ms);
    outbox::requeue(ctx.store, n, &d)?;
    Ok(Ok(d))
}
