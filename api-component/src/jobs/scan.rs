//! Finding work without reading the whole queue: the queued attempts at the head of the queue,
//! the running attempts in the running index, reaping the expired ones, the attempts waiting for
//! a usage limit to reset, and queue positions.
//!
//! Three regions, each read from a hint that only moves forward:
//! - **Tickets** (`queue/t/{n}`, one per attempt, in FIFO order) from `queue/head`: the first
//!   ticket that may still be queued. A ticket that is taken, cancelled or superseded never
//!   becomes queued again (a requeued attempt gets a new ticket at the tail), so a claim reads
//!   about as many tickets as it takes jobs, and passes each finished one once.
//! - **The running index** (`run/s/{k}` = `{id}:{attempt}`, appended by [`queue::take`]) from
//!   `run/low`: the first entry that may still be running. Reaping reads the running attempts,
//!   plus those that ended after the oldest one still running began.
//! - **The waiting index** (`wait/s/{k}`, appended when an attempt stops at a usage limit) from
//!   `wait/low`, alike: claims read the attempts waiting for a limit to reset (at most once a
//!   second while none is ready), plus those that stopped waiting after the oldest waiting one
//!   began. A waiting job has no ticket in the queue; it is taken straight from there.
//!
//! Hints are plain values: a racing writer may set one back, which costs reads, never a job.
//! Nothing here depends on how many jobs wait: a heartbeat, a claim, a page of jobs and an
//! event stream's poll each cost a bounded number of store calls.
//!
//! [`queue::take`]: super::queue::take

use std::collections::HashSet;

use super::counter;
use super::model::{JobRecord, Status, keys};
use super::queue::{self, Ending, Latch};
use crate::Ctx;
use crate::store::{Slots, Store, StoreResult};

/// Most entries read per store round trip.
const SCAN_BATCH: i64 = 32;
/// A ticket or index entry allocated but never written this far behind the last one is
/// abandoned (its writer died between two store calls); nearer it may still be being written.
const ABANDONED_LAG: i64 = 1_000;
/// Hot paths (heartbeats, claims) reap expired leases at most this often.
pub const REAP_EVERY_MS: i64 = 1_000;

/// An unfinished attempt.
pub struct Open {
    pub record: JobRecord,
    /// Lease expiry (epoch ms) of a running attempt.
    pub lease_ms: Option<i64>,
    pub cancel_requested: bool,
}

/// An entry's number and the attempt it names (`None`: not written).
type Entry = (i64, Option<(String, u32)>);

/// One region's entries `from..=last`.
fn entries(
    store: &dyn Store,
    key: impl Fn(i64) -> String,
    from: i64,
    last: i64,
) -> StoreResult<Vec<Entry>> {
    let numbers: Vec<i64> = (from..=last).collect();
    let values = store.get_many(&numbers.iter().map(|n| key(*n)).collect::<Vec<_>>())?;
    Ok(numbers
        .into_iter()
        .zip(values)
        .map(|(n, v)| {
            let named = v.and_then(|b| String::from_utf8(b).ok()).map(|v| {
                let (id, attempt) = v.rsplit_once(':').unwrap_or((&v, "0"));
                (id.to_owned(), attempt.parse::<u32>().unwrap_or(0))
            });
            (n, named)
        })
        .collect())
}

fn hint(store: &dyn Store, key: &str) -> StoreResult<i64> {
    Ok(crate::store::read_number(store, key)?.unwrap_or(1))
}

fn set_hint(store: &dyn Store, key: &str, old: i64, new: i64) -> StoreResult<()> {
    if new != old {
        store.set(key, new.to_string().as_bytes())?;
    }
    Ok(())
}

/// Each named attempt's record with its cancel flag and (when `leases`) its lease; entries whose
/// record is missing or unreadable are left out.
fn load_open(
    store: &dyn Store,
    named: &[(i64, String, u32)],
    leases: bool,
) -> StoreResult<Vec<(i64, u32, Open)>> {
    let per = if leases { 3 } else { 2 };
    let keys: Vec<String> = named
        .iter()
        .flat_map(|(_, id, a)| {
            let mut k = vec![keys::job(id), keys::cancel_flag(id)];
            if leases {
                k.push(keys::lease(id, *a));
            }
            k
        })
        .collect();
    let fetched = store.get_many(&keys)?;
    Ok(named
        .iter()
        .zip(fetched.chunks(per))
        .filter_map(|((n, _, a), values)| {
            let record = serde_json::from_slice::<JobRecord>(values[0].as_deref()?).ok()?;
            let lease_ms = values
                .get(2)
                .and_then(|v| std::str::from_utf8(v.as_deref()?).ok()?.parse().ok());
            Some((
                *n,
                *a,
                Open {
                    record,
                    lease_ms,
                    cancel_requested: values[1].is_some(),
                },
            ))
        })
        .collect())
}

/// Up to `want` queued attempts from the head of the queue, in ticket order; moves the head
/// past the tickets that are no longer queued. Costs about `want` tickets plus those it passes
/// for good, whatever the queue's length.
pub fn queued_head(ctx: &Ctx, want: usize) -> StoreResult<Vec<Open>> {
    let store = ctx.store;
    let tail = counter(store, keys::TICKET_COUNTER)?;
    let head = hint(store, keys::QUEUE_HEAD)?.clamp(1, tail + 1);
    let mut found = Vec::new();
    let mut first_open: Option<i64> = None;
    let mut t = head;
    // Read as many as are wanted, then more at a time while passing finished ones.
    let mut batch = (want as i64).clamp(1, SCAN_BATCH);
    while t <= tail && found.len() < want {
        let last = tail.min(t + batch - 1);
        batch = (batch * 2).min(SCAN_BATCH);
        let mut named = Vec::new();
        for (n, entry) in entries(store, keys::ticket, t, last)? {
            match entry {
                Some((id, attempt)) => named.push((n, id, attempt)),
                None if tail - n < ABANDONED_LAG => {
                    first_open.get_or_insert(n);
                }
                None => {}
            }
        }
        t = last + 1;
        for (n, attempt, open) in load_open(store, &named, false)? {
            let r = &open.record;
            if r.attempt < attempt && !r.status.is_final() {
                // Requeued, and the record is not written yet (or its writer died, which the
                // repair of its last attempt resolves with a newer ticket): wait here.
                first_open.get_or_insert(n);
                continue;
            }
            if r.ticket != n || r.attempt != attempt {
                continue;
            }
            if r.status == Status::Running && r.run_slot.is_none() {
                // Taken before the running index existed: index it now (a duplicate entry,
                // should two scans pass it at once, is harmless).
                index_running(store, &r.id, r.attempt)?;
            }
            if r.status != Status::Queued {
                continue;
            }
            first_open.get_or_insert(n);
            if found.len() < want {
                found.push(open);
            } else {
                break;
            }
        }
    }
    set_hint(store, keys::QUEUE_HEAD, head, first_open.unwrap_or(t))?;
    if t > tail && found.len() < want {
        // Every queued attempt was seen (one whose ticket is still being written counts once
        // it is; see [`census`]): a census of the queued counter.
        census(ctx, keys::QUEUED_COUNT, found.len() as i64)?;
    }
    Ok(found)
}

/// Adds a running attempt to the running index; returns its entry number.
pub fn index_running(store: &dyn Store, id: &str, attempt: u32) -> StoreResult<i64> {
    keys::RUNNING_INDEX.push(store, format!("{id}:{attempt}").as_bytes())
}

/// Every running attempt (from the running index), oldest first; moves `run/low` past the
/// entries that have ended.
pub fn running(ctx: &Ctx) -> StoreResult<Vec<Open>> {
    indexed(ctx, keys::RUNNING_INDEX, keys::RUNNING_LOW, Status::Running)
}

/// Every attempt waiting for a usage limit to reset (from the waiting index), in the order they
/// began to wait; moves `wait/low` past the entries that are no longer waiting.
pub fn waiting(ctx: &Ctx) -> StoreResult<Vec<Open>> {
    indexed(ctx, keys::WAITING_INDEX, keys::WAITING_LOW, Status::Waiting)
}

/// The waiting attempts a claim should act on now, in the order they were first queued: those
/// whose usage limit has reset (to be taken before any queued job: they had reached the front
/// of the line before the limit stopped them) and those whose cancel is pending. Looked for at
/// most every [`REAP_EVERY_MS`], unless [`recheck_waiting`] asked for the next pass.
pub fn waiting_ready(ctx: &Ctx) -> StoreResult<Vec<Open>> {
    let due = crate::store::due(
        ctx.store,
        keys::WAITING_CHECKED_AT,
        ctx.now_ms,
        REAP_EVERY_MS,
    )?;
    if !due {
        return Ok(Vec::new());
    }
    let all = waiting(ctx)?;
    // Every waiting attempt was seen: a census of the waiting counter.
    census(ctx, keys::WAITING_COUNT, all.len() as i64)?;
    let mut ready: Vec<Open> = all
        .into_iter()
        .filter(|o| o.cancel_requested || o.record.resume_at_ms.is_none_or(|t| t <= ctx.now_ms))
        .collect();
    ready.sort_by_key(|o| o.record.ticket);
    Ok(ready)
}

/// Makes the next claim look at the waiting attempts again (some that were ready are left).
pub fn recheck_waiting(ctx: &Ctx) -> StoreResult<()> {
    ctx.store.delete(keys::WAITING_CHECKED_AT)
}

/// The attempts of an index (`{id}:{attempt}` slots) whose record is still at that attempt in
/// `status`, oldest first; moves the index's low-water hint past the entries that are not.
/// Reads the lease of running attempts.
fn indexed(ctx: &Ctx, index: Slots, low_key: &str, status: Status) -> StoreResult<Vec<Open>> {
    let store = ctx.store;
    let last = index.len(store)?;
    let low = hint(store, low_key)?.clamp(1, last + 1);
    let mut found = Vec::new();
    let mut seen = HashSet::new();
    let mut first_open: Option<i64> = None;
    let mut k = low;
    while k <= last {
        let batch_last = last.min(k + SCAN_BATCH - 1);
        let mut named = Vec::new();
        for (n, entry) in entries(store, |i| index.slot_key(i), k, batch_last)? {
            match entry {
                Some((id, attempt)) => named.push((n, id, attempt)),
                None if last - n < ABANDONED_LAG => {
                    first_open.get_or_insert(n);
                }
                None => {}
            }
        }
        k = batch_last + 1;
        let leases = status == Status::Running;
        for (n, attempt, open) in load_open(store, &named, leases)? {
            let r = &open.record;
            if r.attempt != attempt || r.status != status {
                continue;
            }
            first_open.get_or_insert(n);
            if seen.insert((r.id.clone(), attempt)) {
                found.push(open);
            }
        }
    }
    set_hint(store, low_key, low, first_open.unwrap_or(k))?;
    Ok(found)
}

/// Ends every running attempt whose lease has expired (requeued, or failed after its last
/// attempt), repairs those whose ender died half-way, and takes a census of the running
/// semaphore. Returns how many attempts it ended.
pub fn reap(ctx: &Ctx) -> StoreResult<usize> {
    let open = running(ctx)?;
    census(ctx, keys::RUNNING_COUNT, open.len() as i64)?;
    let mut ended = 0;
    for o in open {
        if o.lease_ms.is_none_or(|l| l < ctx.now_ms) {
            let record = o.record.clone();
            match queue::end_attempt(ctx, o.record, Ending::Lost)? {
                Latch::Won(_) => ended += 1,
                // Its runner's finish, or another reaper, is ending it; or one died half-way.
                Latch::Lost => {
                    if let Latch::Won(_) = queue::repair_if_stuck(ctx, record)? {
                        ended += 1;
                    }
                }
            }
        }
    }
    Ok(ended)
}

/// Brings a counter in line with what the source of truth shows (the running index, the
/// queued tickets, the waiting index), when two censuses at least [`REAP_EVERY_MS`] apart saw the same counter
/// value and the same, different, count: a write lost half-way (a store error, a trapped
/// instance) is repaired, while an operation merely in flight between its writes (which moves
/// the counter or the count within milliseconds) is left alone. The correction is an
/// `increment`, so it composes with concurrent ones.
fn census(ctx: &Ctx, counter_key: &str, observed: i64) -> StoreResult<()> {
    let store = ctx.store;
    let current = counter(store, counter_key)?;
    let key = keys::census(counter_key);
    let previous = store
        .get(&key)?
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|v| {
            let mut parts = v.splitn(3, ':').map(|p| p.parse::<i64>().ok());
            Some((parts.next()??, parts.next()??, parts.next()??))
        });
    match previous {
        Some((c, o, at)) if (c, o) == (current, observed) => {
            if current != observed && ctx.now_ms - at >= REAP_EVERY_MS {
                store.increment(counter_key, observed - current)?;
                store.delete(&key)?;
            }
        }
        _ => store.set(
            &key,
            format!("{current}:{observed}:{}", ctx.now_ms).as_bytes(),
        )?,
    }
    Ok(())
}

/// [`reap`], unless some caller did within [`REAP_EVERY_MS`]: what heartbeats and claims call,
/// so that each of them costs two store calls here, not a read of every running attempt.
pub fn reap_if_due(ctx: &Ctx) -> StoreResult<()> {
    if !crate::store::due(ctx.store, keys::REAPED_AT, ctx.now_ms, REAP_EVERY_MS)? {
        return Ok(());
    }
    reap(ctx).map(drop)
}

/// The first ticket that may still be queued (for [`position`]).
pub fn head(ctx: &Ctx) -> StoreResult<i64> {
    hint(ctx.store, keys::QUEUE_HEAD)
}

/// A queued job's place in line (1 = next) by ticket arithmetic: the tickets between the head
/// and its own. Exact unless jobs ahead were cancelled since the last claim, which counts them
/// until a claim passes them.
pub fn position(head: i64, record: &JobRecord) -> Option<u64> {
    (record.status == Status::Queued).then(|| (record.ticket - head + 1).max(1) as u64)
}
