//! Sending deliveries. There is no cron: hosts run a pass beside frequent requests (the runner
//! protocol's calls, a job's end, the deliveries listing; see [`trigger`]) without holding up
//! their answers, as `crate::serving::deliver_webhooks` does it.
//!
//! A pass is made of rounds, each bounded: it looks at up to [`FRESH_WINDOW`] + [`SCAN`] slots
//! and sends at most [`MAX_SENDS`] deliveries, each within [`SEND_TIMEOUT`]. A round has three
//! steps, only the middle one in the host: [`start`] takes the due turns, the host sends each
//! [`OutgoingRequest`] through its [`Outbound`], and [`record`] stores what came of each and when
//! to try again ([`super::backoff`]).
//!
//! Which deliveries a round takes: first those never attempted among the newest slots (a job
//! that just ended, a test), oldest first, so that new work never waits behind a backlog of
//! retries; then, with what is left of its budget, the due ones going round the pending
//! deliveries from where the last round stopped. A round that used its whole budget says so
//! ([`Round::more`]), and while the receiver accepts something the pass goes on with another
//! (see [`super::drain`]): a backlog drains in one pass instead of [`MAX_SENDS`] per runner
//! poll.
//!
//! Every write to a delivery's record is decided by a latch (an `increment` that returns 1),
//! never by comparing what was read: each turn `t` of a delivery (an attempt, or giving it up
//! without one) has a latch deciding who takes it and one deciding who records its outcome.
//! Exactly one outcome is recorded per turn: the sender's, or, when the sender died and the
//! turn was taken [`STUCK_MS`] ago, "lost" (see [`super::rounds`]). The receiver may then have
//! got it twice: deliveries are at least once, and `X-CWM-Delivery` names repeats.
//!
//! While webhooks are off or misconfigured nothing is sent, but a pass still prunes and gives
//! up deliveries that waited 24 hours, at most every [`outbox::PRUNE_EVERY_MS`], so the outbox
//! stays bounded.

use std::time::Duration;

use super::outbox::{self, Attempt, Delivery, OUTBOX, State, keys};
use super::rounds;
use super::signing;
use super::target::{Config, Target};
use crate::Ctx;
use crate::routes::Endpoint;
use crate::store::{StoreResult, due, read_number};

/// The longest one attempt may take, connection included.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries one round sends at most (at once).
pub const MAX_SENDS: usize = 4;
/// The newest slots a round looks at first for deliveries never attempted.
pub const FRESH_WINDOW: i64 = 64;
/// Slots one round looks at at most when it goes round the pending deliveries.
pub const SCAN: i64 = 64;
/// Passes beside periodic requests ([`Trigger::IfDue`]) run at most this often.
pub const PASS_EVERY_MS: i64 = 1_000;
/// A turn taken this long ago and never recorded was lost with its sender.
pub const STUCK_MS: i64 = 300_000;
/// A slot taken but not written this far behind the newest was abandoned by its writer.
const ABANDONED_LAG: i64 = 1_000;
/// Slots read at once while going round the pending deliveries.
const READ_BATCH: usize = 16;

/// Why a host runs a pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// The request may have just recorded a delivery (a job ended, a test, a resend): look now.
    Now,
    /// A frequent request: look unless a pass ran within [`PASS_EVERY_MS`].
    IfDue,
}

/// The pass a host runs beside a successful request to `endpoint` while webhooks are `config`,
/// if any. While they are off only the deliveries listing runs one (to prune what was recorded
/// before); while misconfigured, a pass only keeps the outbox, so it need not run at once.
pub fn trigger(endpoint: Endpoint, config: &Config) -> Option<Trigger> {
    use Endpoint::*;
    let wanted = match endpoint {
        RunnerFinish | JobCancel | BatchCancel | WebhookTest | WebhookRetry => Trigger::Now,
        RunnerClaim | RunnerHeartbeat | WebhookDeliveries => Trigger::IfDue,
        _ => return None,
    };
    match config {
        Config::On(_) => Some(wanted),
        Config::Broken(_) => Some(Trigger::IfDue),
        Config::Off => (endpoint == WebhookDeliveries).then_some(Trigger::IfDue),
    }
}

/// One HTTP request for the host to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingRequest {
    pub url: String,
    /// Name and value; `Content-Type` among them.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Give up (and report an error) after this long.
    pub timeout: Duration,
}

impl OutgoingRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::http::find_header(&self.headers, name)
    }
}

/// What came of a send: the receiver's status code, or why there was none.
pub type Outcome = Result<u16, String>;

/// Whether an outcome delivers.
pub fn accepted(outcome: &Outcome) -> bool {
    matches!(outcome, Ok(status) if (200..300).contains(status))
}

/// The host's way out: sends a POST and reads the status, within the request's `timeout`. The
/// host decides which destinations it allows at all (the embedded one: only
/// `allowed_outbound_hosts`); a refusal is an `Err` like any other.
pub trait Outbound {
    fn send(&self, request: &OutgoingRequest) -> impl Future<Output = Outcome>;
}

/// A turn this round took: send `request`, then [`record`] what came of it.
#[derive(Clone, Debug)]
pub struct Send {
    slot: i64,
    turn: u32,
    started_ms: i64,
    pub request: OutgoingRequest,
}

/// What a round took.
#[derive(Debug, Default)]
pub struct Round {
    pub sends: Vec<Send>,
    /// The round used its whole budget with due deliveries left: another may go on.
    pub more: bool,
}

/// Takes up to [`MAX_SENDS`] due turns (none for [`Trigger::IfDue`] when a pass ran lately),
/// never-attempted deliveries first; settles turns lost with their senders and gives up
/// deliveries past their 24 hours; and, when due, prunes old deliveries. While webhooks are off
/// or misconfigured it sends nothing and does the rest only when the pruning is due.
pub fn start(ctx: &Ctx, trigger: Trigger) -> StoreResult<Round> {
    let store = ctx.store;
    if trigger == Trigger::IfDue && !due(store, keys::PASSED_AT, ctx.now_ms, PASS_EVERY_MS)? {
        return Ok(Round::default());
    }
    let newest = OUTBOX.len(store)?;
    let low = read_number(store, keys::LOW)?
        .unwrap_or(1)
        .clamp(1, newest + 1);
    let upkeep = due(store, keys::PRUNED_AT, ctx.now_ms, outbox::PRUNE_EVERY_MS)?;
    if upkeep {
        outbox::prune(ctx, low)?;
    }
    let target = match Config::from_settings(ctx.settings) {
        Config::On(target) => Some(target),
        _ if upkeep => None,
        _ => return Ok(Round::default()),
    };
    if low > newest {
        return Ok(Round::default());
    }
    let mut taker = Taker {
        ctx,
        target: target.as_ref(),
        round: Round::default(),
    };
    taker.fresh(newest)?;
    taker.round_the_pending(low, newest)?;
    Ok(taker.round)
}

/// One round's taking of turns.
struct Taker<'a> {
    ctx: &'a Ctx<'a>,
    /// `None`: nothing is sent (webhooks are off or misconfigured).
    target: Option<&'a Target>,
    round: Round,
}

/// What became of a delivery a round looked at.
#[derive(PartialEq)]
enum Looked {
    /// Its turn is in hands: this round's, another's, or given up.
    Handled,
    /// Not due, or nothing is sent now.
    Waits,
    /// Due, but this round's budget is spent.
    Later,
}

impl Taker<'_> {
    /// Deliveries never attempted among the newest [`FRESH_WINDOW`] slots, oldest first, from
    /// the `hooks/fresh` hint up; the hint then moves past those no longer waiting for a
    /// first turn.
    fn fresh(&mut self, newest: i64) -> StoreResult<()> {
        let store = self.ctx.store;
        let hint = read_number(store, keys::FRESH)?;
        let from = hint.unwrap_or(1).max(newest - FRESH_WINDOW + 1).max(1);
        if from > newest {
            return Ok(());
        }
        let mut frontier = None;
        for (n, delivery) in read(store, from, newest)? {
            let waiting = match delivery {
                // Perhaps still being written.
                None => true,
                Some(d) if d.state == State::Pending && d.turn() == 1 => {
                    self.look(n, &d)? != Looked::Handled
                }
                Some(_) => false,
            };
            if waiting {
                frontier.get_or_insert(n);
            }
        }
        let frontier = frontier.unwrap_or(newest + 1);
        if hint != Some(frontier) {
            store.set(keys::FRESH, frontier.to_string().as_bytes())?;
        }
        Ok(())
    }

    /// Goes round the pending deliveries from where the last round stopped (`hooks/next`) up to
    /// the newest and on from `low`, over at most [`SCAN`] slots, so that deliveries waiting out
    /// their backoff near `low` do not keep newer ones from being looked at; moves `hooks/low`
    /// up past those done.
    fn round_the_pending(&mut self, low: i64, newest: i64) -> StoreResult<()> {
        let store = self.ctx.store;
        let resume = read_number(store, keys::NEXT)?.unwrap_or(low);
        let first = if (low..=newest).contains(&resume) {
            resume
        } else {
            low
        };
        let order: Vec<i64> = (first..=newest)
            .chain(low..first)
            .take(SCAN as usize)
            .collect();
        let mut open = std::collections::HashMap::new();
        let mut next = None;
        // A few slots per read: a round whose budget runs out early reads no more than it needs.
        'read: for chunk in order.chunks(READ_BATCH) {
            for (n, delivery) in read_slots(store, chunk)? {
                let waits = match delivery {
                    None => newest - n < ABANDONED_LAG,
                    Some(d) if d.state != State::Pending => false,
                    Some(d) => {
                        if self.look(n, &d)? == Looked::Later {
                            next = Some(n);
                            break 'read;
                        }
                        true
                    }
                };
                open.insert(n, waits);
            }
        }
        // Up from `low`, past the slots seen done.
        let new_low = (low..)
            .find(|n| open.get(n).is_none_or(|waits| *waits))
            .unwrap_or(low);
        if new_low != low {
            store.set(keys::LOW, new_low.to_string().as_bytes())?;
        }
        let next = next.unwrap_or_else(|| match order.last() {
            Some(&last) if last < newest => last + 1,
            _ => new_low,
        });
        if next != resume {
            store.set(keys::NEXT, next.to_string().as_bytes())?;
        }
        Ok(())
    }

    /// Gives the pending delivery `d` in slot `n` its next turn if that is due: sent by this
    /// round while the budget lasts, or given up once its round is past its 24 hours.
    fn look(&mut self, n: i64, d: &Delivery) -> StoreResult<Looked> {
        let ctx = self.ctx;
        if ctx.now_ms >= d.gives_up_at_ms() {
            if rounds::take_turn(ctx, n, d)? {
                rounds::give_up(ctx, n, d)?;
            }
            return Ok(Looked::Handled);
        }
        let Some(target) = self.target else {
            return Ok(Looked::Waits);
        };
        if d.next_ms.is_none_or(|t| t > ctx.now_ms) {
            return Ok(Looked::Waits);
        }
        if self.round.sends.len() >= MAX_SENDS {
            self.round.more = true;
            return Ok(Looked::Later);
        }
        if rounds::take_turn(ctx, n, d)? {
            self.round.sends.push(Send {
                slot: n,
                turn: d.turn(),
                started_ms: ctx.now_ms,
                request: request(target, d, ctx.now_ms),
            });
        }
        Ok(Looked::Handled)
    }
}

/// The deliveries in slots `from..=to`, in order (`None` where a slot is empty or unreadable).
fn read(
    store: &dyn crate::store::Store,
    from: i64,
    to: i64,
) -> StoreResult<Vec<(i64, Option<Delivery>)>> {
    read_slots(store, &(from..=to).collect::<Vec<_>>())
}

/// The deliveries in `slots`, in that order.
fn read_slots(
    store: &dyn crate::store::Store,
    slots: &[i64],
) -> StoreResult<Vec<(i64, Option<Delivery>)>> {
    let keys: Vec<String> = slots.iter().map(|n| OUTBOX.slot_key(*n)).collect();
    Ok(slots
        .iter()
        .zip(store.get_many(&keys)?)
        .map(|(n, raw)| (*n, raw.and_then(|b| serde_json::from_slice(&b).ok())))
        .collect())
}

/// The signed POST for the next attempt of `delivery`, made at `now_ms`.
fn request(target: &Target, delivery: &Delivery, now_ms: i64) -> OutgoingRequest {
    let timestamp = now_ms.div_euclid(1000);
    let body = delivery.body.as_bytes().to_vec();
    let signature = signing::signature(&target.secret, timestamp, &body);
    // Content-Length rather than a chunked body: receivers may refuse chunked requests (411)
    // or answer before reading one.
    let headers = [
        ("Content-Type", "application/json".to_owned()),
        ("Content-Length", body.len().to_string()),
        ("User-Agent", format!("cwm-webhooks/{}", crate::VERSION)),
        ("X-CWM-Event", delivery.event.clone()),
        ("X-CWM-Delivery", delivery.id.clone()),
        ("X-CWM-Attempt", (delivery.attempts.len() + 1).to_string()),
        (signing::TIMESTAMP_HEADER, timestamp.to_string()),
        (signing::SIGNATURE_HEADER, signature),
    ];
    OutgoingRequest {
        url: target.url.clone(),
        headers: headers
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect(),
        body,
        timeout: SEND_TIMEOUT,
    }
}

/// Stores what came of `send` (delivered on a 2xx, else pending with its next attempt, or
/// failed once the backoff gives up), if it wins its turn's recorded latch: a turn settled as
/// lost meanwhile (the send took far longer than it may) keeps that outcome.
pub fn record(ctx: &Ctx, send: &Send, outcome: Outcome) -> StoreResult<()> {
    if !rounds::win_record(ctx, send.slot, send.turn)? {
        return Ok(());
    }
    let Some(mut delivery) = outbox::load(ctx.store, send.slot)? else {
        return Ok(());
    };
    let (status, error) = match outcome {
        Ok(status) => (Some(status), None),
        Err(error) => (None, Some(error)),
    };
    let attempt = Attempt {
        at_ms: send.started_ms,
        status,
        error,
        duration_ms: ctx.now_ms - send.started_ms,
    };
    conclude(&mut delivery, attempt, ctx.now_ms);
    outbox::save(ctx.store, send.slot, &delivery)
}

/// Adds `attempt`, made or given up at `now_ms`, and decides what follows.
pub(super) fn conclude(delivery: &mut Delivery, attempt: Attempt, now_ms: i64) {
    let accepted = attempt.status.is_some_and(|s| (200..300).contains(&s));
    delivery.attempts.push(attempt);
    let first = delivery.round_first_ms().unwrap_or(now_ms);
    let made = delivery.attempts.len() as u32 - delivery.round_from;
    (delivery.state, delivery.next_ms) = if accepted {
        (State::Delivered, None)
    } else {
        match super::backoff::next_attempt_ms(first, now_ms, made) {
            Some(next) => (State::Pending, Some(next)),
            None => (State::Failed, None),
        }
    };
}

#[cfg(test)]
mod tests;
