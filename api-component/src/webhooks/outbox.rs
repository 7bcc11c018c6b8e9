//! The outbox: every delivery in numbered slots (`hooks/out/s/{n}`, taken by `increment`), each
//! slot holding the delivery's whole record: the exact body it sends, its state and its attempts.
//!
//! Who writes a record: its creator, then only the winner of an attempt's latch
//! (`hooks/{n}/a{k}`, see [`super::sender`]), once its send is over, or the winner of that
//! attempt's repair latch when the sender died. So two writers never race on one record, and no
//! decision is taken by comparing values.
//!
//! Listing pages down from the newest slot. Done deliveries older than `job_retention_days`
//! are removed from the oldest end, below the first one still pending.

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
    /// When (epoch ms) a pass last ran.
    pub const PASSED_AT: &str = "hooks/passed";
    /// The lowest slot that may still hold a record (the pruner's hint).
    pub const OLDEST: &str = "hooks/oldest";
    /// When (epoch ms) the pruner last ran.
    pub const PRUNED_AT: &str = "hooks/pruned";
    /// Latch: who makes attempt `k` of the delivery in slot `n`.
    pub fn attempt_latch(n: i64, k: u32) -> String {
        format!("hooks/{n}/a{k}")
    }
    /// When (epoch ms) attempt `k` was seen taken.
    pub fn attempt_taken(n: i64, k: u32) -> String {
        format!("hooks/{n}/a{k}/at")
    }
    /// Latch: who records attempt `k` as lost when its sender never did.
    pub fn repair_latch(n: i64, k: u32) -> String {
        format!("hooks/{n}/a{k}/repair")
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Not accepted yet; it is tried again until 24 hours after its first attempt.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Not accepted within 24 hours of its first attempt; no more attempts.
    Failed,
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
}

impl Delivery {
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
    };
    OUTBOX.push(ctx.store, &encode(&delivery))?;
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

/// Up to `limit` deliveries from slot `top` (inclusive) downwards, newest first, and the cursor
/// of the next page.
pub fn page(ctx: &Ctx, limit: usize, top: i64) -> StoreResult<(Vec<Delivery>, Option<String>)> {
    crate::store::page_down(top, limit, MAX_SLOTS_PER_PAGE, |from, to| {
        Ok(OUTBOX
            .read(ctx.store, from, to)?
            .into_iter()
            .rev()
            .filter_map(|(n, b)| Some((n, serde_json::from_slice(&b).ok()?)))
            .collect())
    })
}

/// Slots one listing request reads at most before it returns a (possibly short) page.
const MAX_SLOTS_PER_PAGE: i64 = 2_000;

/// Deliveries looked at per pruning pass.
const PRUNE_BATCH: i64 = 32;
/// Pruning passes happen at most this often.
const PRUNE_EVERY_MS: i64 = 60_000;

/// Removes, oldest first and at most [`PRUNE_BATCH`] at a time, delivered and failed
/// deliveries created more than `job_retention_days` ago, stopping at the first one to keep and
/// never reaching `below` (the first slot that may be pending). Returns how many it removed.
pub fn prune_if_due(ctx: &Ctx, below: i64) -> StoreResult<usize> {
    let store = ctx.store;
    if !crate::store::due(store, keys::PRUNED_AT, ctx.now_ms, PRUNE_EVERY_MS)? {
        return Ok(0);
    }
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
                let attempts = d.attempts.len() as u32 + 1;
                doomed.extend((1..=attempts).flat_map(|k| {
                    [
                        keys::attempt_latch(n, k),
                        keys::attempt_taken(n, k),
                        keys::repair_latch(n, k),
                    ]
                }));
                doomed.push(OUTBOX.slot_key(n));
            }
            // Below the pending ones, an empty slot is one whose writer died: nothing to keep.
            None => {}
        }
        next = n + 1;
    }
    for batch in doomed.chunks(256) {
        store.delete_many(batch)?;
    }
    if next != oldest {
        store.set(keys::OLDEST, next.to_string().as_bytes())?;
    }
    Ok(doomed
        .iter()
        .filter(|k| k.starts_with("hooks/out/"))
        .count())
}
