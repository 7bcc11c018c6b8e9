//! The outbox: every delivery in numbered slots (`hooks/out/s/{n}`, taken by `increment`), each
//! slot holding the delivery's whole record: the exact body it sends, its state and its attempts.
//!
//! Who writes a record: its creator; then, for each turn of the delivery (an attempt, or giving
//! up without one), only the winner of that turn's recorded latch (`hooks/{n}/a{t}/done`, see
//! [`super::sender`] and [`super::rounds`]); and, once it failed, only the winner of a resend
//! latch (`hooks/{n}/resend{r}`), which the pruner takes too before it removes a record. So two
//! writers never race on one record, and no decision is taken by comparing values.
//!
//! Listing pages down from the newest slot, optionally keeping one state. Done deliveries older
//! than `job_retention_days` are removed from the oldest end, below the first one still
//! pending. `hooks/id/{id}` finds a delivery's slot by its id.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Ctx;
use crate::documents::rfc3339;
use crate::store::{Slots, Store, StoreResult};

/// The deliveries, oldest first.
pub const OUTBOX: Slots = Slots::new("hooks/out");

/// Store keys of the outbox's bookkeeping.
pub mod keys {
    /// The lowest slot that may still be pending: a hint that only saves reads.
    pub const LOW: &str = "hooks/low";
    /// Where the last pass stopped looking (it goes on from there, round the pending ones).
    pub const NEXT: &str = "hooks/next";
    /// The lowest slot that may hold a delivery never handed to a sender (a hint: rounds look
    /// there first, among the newest slots).
    pub const FRESH: &str = "hooks/fresh";
    /// When (epoch ms) a pass last began to drain a backlog (see `drain::Drain`).
    pub const DRAINING_AT: &str = "hooks/draining";
    /// When (epoch ms) a pass last ran.
    pub const PASSED_AT: &str = "hooks/passed";
    /// The lowest slot that may still hold a record (the pruner's hint).
    pub const OLDEST: &str = "hooks/oldest";
    /// When (epoch ms) the pruner last ran.
    pub const PRUNED_AT: &str = "hooks/pruned";
    /// Latch: who takes turn `t` of the delivery in slot `n` (sends it, or gives it up).
    pub fn attempt_latch(n: i64, t: u32) -> String {
        format!("hooks/{n}/a{t}")
    }
    /// When (epoch ms) turn `t` was seen taken.
    pub fn attempt_taken(n: i64, t: u32) -> String {
        format!("hooks/{n}/a{t}/at")
    }
    /// Latch: who records the outcome of turn `t`: its sender, or a later round when the sender
    /// never did.
    pub fn attempt_recorded(n: i64, t: u32) -> String {
        format!("hooks/{n}/a{t}/done")
    }
    /// Latch: who starts round `r + 1` of a failed delivery (an admin's resend), or retires it
    /// for good (the pruner).
    pub fn resend_latch(n: i64, r: u32) -> String {
        format!("hooks/{n}/resend{r}")
    }
    /// The slot of the delivery with this id.
    pub fn by_id(id: &str) -> String {
        format!("hooks/id/{id}")
    }
}

/// The events a receiver gets.
pub mod events {
    /// A job ended: completed, failed or cancelled.
    pub const JOB_FINISHED: &str = "job.finished";
    /// An admin asked for a test delivery (`POST /api/webhooks/test`).
    pub const TEST: &str = "webhook.test";
}

/// Where a delivery is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Not accepted yet; it is tried again until 24 hours after its first attempt.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Not accepted within 24 hours of its first attempt (or not sent within 24 hours of being
    /// queued, while the settings could not be used); no more attempts unless an admin resends it.
    Failed,
}

impl State {
    pub const ALL: [State; 3] = [State::Pending, State::Delivered, State::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Delivered => "delivered",
            State::Failed => "failed",
        }
    }
}

/// One try at sending a delivery, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub at_ms: i64,
    /// The receiver's status code, if it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Why there was no answer (or why it was not accepted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// A delivery as stored in its slot.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Delivery {
    /// Sent as `X-CWM-Delivery`: the same on every attempt, so receivers can drop repeats.
    pub id: String,
    pub event: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    pub created_ms: i64,
    pub state: State,
    pub attempts: Vec<Attempt>,
    /// When the next attempt is due (while pending).
    pub next_ms: Option<i64>,
    /// The JSON body, byte for byte what every attempt sends.
    pub body: String,
    /// Turns given up without an attempt. The turns taken so far are the attempts and these;
    /// each turn has latches of its own.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub skipped: u32,
    /// How many times an admin resent it after it failed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub resends: u32,
    /// Attempts made before the current round (each resend starts one): a round's 24 hours
    /// count from its own first attempt.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub round_from: u32,
    /// When the current round was queued, if it was resent (else: `created_ms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resent_ms: Option<i64>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Delivery {
    /// The number of its next turn.
    pub fn turn(&self) -> u32 {
        self.attempts.len() as u32 + self.skipped + 1
    }

    /// When the current round made its first attempt, if it made one.
    pub fn round_first_ms(&self) -> Option<i64> {
        self.attempts.get(self.round_from as usize).map(|a| a.at_ms)
    }

    /// After this (epoch ms) the current round makes no more attempts: 24 hours after its first
    /// attempt, or after it was queued if it never made one.
    pub fn gives_up_at_ms(&self) -> i64 {
        let start = self
            .round_first_ms()
            .unwrap_or(self.resent_ms.unwrap_or(self.created_ms));
        start.saturating_add(super::backoff::GIVE_UP_AFTER_MS)
    }

    pub fn view(&self) -> DeliveryView {
        DeliveryView {
            id: self.id.clone(),
            event: self.event.clone(),
            job_id: self.job_id.clone(),
            created_at: rfc3339(self.created_ms),
            state: self.state,
            attempts: self
                .attempts
                .iter()
                .map(|a| AttemptView {
                    at: rfc3339(a.at_ms),
                    status_code: a.status,
                    error: a.error.clone(),
                    duration_ms: a.duration_ms.max(0) as u64,
                })
                .collect(),
            next_attempt_at: self.next_ms.map(rfc3339),
            payload: serde_json::from_str(&self.body).unwrap_or(Value::Null),
        }
    }
}

/// One attempt, as admins see it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttemptView {
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub at: String,
    /// The receiver's HTTP status, or `null` when it did not answer.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub status_code: Option<u16>,
    /// What went wrong: no answer (refused, timed out, not allowed by the host) or a status
    /// that is not 2xx; `null` when delivered.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub error: Option<String>,
    pub duration_ms: u64,
}

/// A delivery, as `GET /api/webhooks/deliveries` lists it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryView {
    /// Also the `X-CWM-Delivery` header of every attempt.
    pub id: String,
    /// `job.finished` or `webhook.test`.
    pub event: String,
    /// The job it reports, or `null` for a test.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub job_id: Option<String>,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    pub state: State,
    /// Oldest first.
    pub attempts: Vec<AttemptView>,
    /// When it is tried next; `null` once delivered or failed.
    #[cfg_attr(feature = "openapi", schema(required = true, format = DateTime))]
    pub next_attempt_at: Option<String>,
    /// The JSON body every attempt sends: `{"event", "job"}`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub payload: Value,
}

/// Appends a delivery of `event` about `job_id` (whose view is `job`), due at once.
pub fn append(
    ctx: &Ctx,
    event: &str,
    job_id: Option<&str>,
    job: &impl Serialize,
) -> StoreResult<Delivery> {
    let body = serde_json::json!({ "event": event, "job": job }).to_string();
    let delivery = Delivery {
        id: format!("dlv_{:016x}{:016x}", (ctx.random)(), (ctx.random)()),
        event: event.to_owned(),
        job_id: job_id.map(str::to_owned),
        created_ms: ctx.now_ms,
        state: State::Pending,
        attempts: Vec::new(),
        next_ms: Some(ctx.now_ms),
        body,
        skipped: 0,
        resends: 0,
        round_from: 0,
        resent_ms: None,
    };
    let n = OUTBOX.push(ctx.store, &encode(&delivery))?;
    ctx.store
        .set(&keys::by_id(&delivery.id), n.to_string().as_bytes())?;
    Ok(delivery)
}

pub fn encode(delivery: &Delivery) -> Vec<u8> {
    // Our own plain struct always serializes.
    serde_json::to_vec(delivery).unwrap_or_default()
}

/// The delivery in slot `n`, if it is written and readable.
pub fn load(store: &dyn Store, n: i64) -> StoreResult<Option<Delivery>> {
    Ok(store
        .get(&OUTBOX.slot_key(n))?
        .and_then(|b| serde_json::from_slice(&b).ok()))
}

/// Writes the delivery in slot `n` (only its latch winners do, see the module header).
pub fn save(store: &dyn Store, n: i64, delivery: &Delivery) -> StoreResult<()> {
    store.set(&OUTBOX.slot_key(n), &encode(delivery))
}

/// Moves `delivery` (a new round of the one in slot `n`, whose resend latch the caller won) to a
/// new slot at the top and points its id there; slot `n` and its turns' latches are removed. Its
/// resend latches stay, so a resend that raced this one still loses.
pub fn requeue(store: &dyn Store, n: i64, delivery: &Delivery) -> StoreResult<()> {
    let moved = OUTBOX.push(store, &encode(delivery))?;
    store.set(&keys::by_id(&delivery.id), moved.to_string().as_bytes())?;
    let mut old: Vec<String> = turn_keys(n, delivery.turn()).collect();
    old.push(OUTBOX.slot_key(n));
    store.delete_many(&old)
}

/// Whether `id` has the form of a delivery's id (`dlv_` and 32 hex digits).
pub fn is_delivery_id(id: &str) -> bool {
    id.strip_prefix("dlv_")
        .is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The slot of the delivery with this id, and the delivery, if it is still there.
pub fn find(store: &dyn Store, id: &str) -> StoreResult<Option<(i64, Delivery)>> {
    let Some(n) = crate::store::read_number(store, &keys::by_id(id))? else {
        return Ok(None);
    };
    Ok(load(store, n)?.filter(|d| d.id == id).map(|d| (n, d)))
}

/// Up to `limit` deliveries (in `state`, if given) from slot `top` (inclusive) downwards,
/// newest first, and the cursor of the next page. At most [`MAX_SLOTS_PER_PAGE`] slots are
/// read beyond a page: a rare state gives a short page, even an empty one, with a cursor.
pub fn page(
    ctx: &Ctx,
    limit: usize,
    top: i64,
    state: Option<State>,
) -> StoreResult<(Vec<Delivery>, Option<String>)> {
    crate::store::page_down(top, limit, MAX_SLOTS_PER_PAGE, |from, to| {
        Ok(OUTBOX
            .read(ctx.store, from, to)?
            .into_iter()
            .rev()
            .filter_map(|(n, b)| Some((n, serde_json::from_slice::<Delivery>(&b).ok()?)))
            .filter(|(_, d)| state.is_none_or(|s| d.state == s))
            .collect())
    })
}

/// Slots one listing request reads at most before it returns a (possibly short) page.
pub const MAX_SLOTS_PER_PAGE: i64 = 2_000;

/// Deliveries looked at per pruning pass.
const PRUNE_BATCH: i64 = 32;
/// Pruning (and the other upkeep of a pass, see `sender::start`) happens at most this often.
pub const PRUNE_EVERY_MS: i64 = 60_000;

/// Removes, oldest first and at most [`PRUNE_BATCH`] at a time, delivered and failed
/// deliveries created more than `job_retention_days` ago, stopping at the first one to keep and
/// never reaching `below` (the first slot that may be pending). A delivery is removed only by
/// winning its next resend latch, so an admin's resend and its removal never both happen.
/// Returns how many it removed.
pub fn prune(ctx: &Ctx, below: i64) -> StoreResult<usize> {
    let store = ctx.store;
    let oldest = crate::store::read_number(store, keys::OLDEST)?
        .unwrap_or(1)
        .max(1);
    let last = (below - 1).min(oldest + PRUNE_BATCH - 1);
    if last < oldest {
        return Ok(0);
    }
    let cutoff = ctx.now_ms - ctx.settings.job_retention_ms();
    let slots: Vec<String> = (oldest..=last).map(|n| OUTBOX.slot_key(n)).collect();
    let mut doomed = Vec::new();
    let mut next = oldest;
    for (n, raw) in (oldest..=last).zip(store.get_many(&slots)?) {
        let delivery = raw.and_then(|b| serde_json::from_slice::<Delivery>(&b).ok());
        match delivery {
            Some(d) if d.state == State::Pending || d.created_ms >= cutoff => break,
            Some(d) => {
                if store.increment(&keys::resend_latch(n, d.resends + 1), 1)? != 1 {
                    // Resent just now: pending again.
                    break;
                }
                doomed.extend(keys_of(n, &d));
            }
            // Below the pending ones, an empty slot is one whose writer died: nothing to keep.
            None => {}
        }
        next = n + 1;
    }
    // The records first: a resend that wins a latch only after it is gone finds no record.
    let (records, latches): (Vec<String>, Vec<String>) = doomed
        .into_iter()
        .partition(|k| k.starts_with("hooks/out/"));
    for batch in records.chunks(256).chain(latches.chunks(256)) {
        store.delete_many(batch)?;
    }
    if next != oldest {
        store.set(keys::OLDEST, next.to_string().as_bytes())?;
    }
    Ok(records.len())
}

/// Every key the delivery in slot `n` has: its latches, its id's entry and its slot.
fn keys_of(n: i64, d: &Delivery) -> Vec<String> {
    let resends = (1..=d.resends + 1).map(|r| keys::resend_latch(n, r));
    turn_keys(n, d.turn())
        .chain(resends)
        .chain([keys::by_id(&d.id), OUTBOX.slot_key(n)])
        .collect()
}

/// The latches of turns `1..=last` of the delivery in slot `n`.
fn turn_keys(n: i64, last: u32) -> impl Iterator<Item = String> {
    (1..=last).flat_map(move |t| {
        [
            keys::attempt_latch(n, t),
            keys::attempt_taken(n, t),
            keys::attempt_recorded(n, t),
        ]
    })
}
