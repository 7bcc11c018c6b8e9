//! Sending deliveries. There is no cron: hosts run a pass beside frequent requests (the runner
//! protocol's calls, a job's end, the deliveries listing; see [`trigger`]) without holding up
//! their answers, as `crate::serving::deliver_webhooks` does it. A pass is bounded: it looks at
//! up to [`SCAN`] slots and sends at most [`MAX_SENDS`] deliveries, each within
//! [`SEND_TIMEOUT`], so a receiver that is slow or down costs a pass little and the runner
//! protocol nothing.
//!
//! A pass has three steps, only the middle one in the host: [`start`] takes the due deliveries
//! (each attempt claimed by its latch, so two passes never send the same attempt), the host
//! sends each [`OutgoingRequest`] through its [`Outbound`], and [`record`] stores each outcome
//! and when to try again ([`super::backoff`]).
//!
//! A sender that dies between its latch and its record leaves the attempt taken; after
//! [`STUCK_MS`] a later pass records it as lost (through the attempt's repair latch) and the
//! delivery carries on. The receiver may then have got it twice: deliveries are at least once,
//! and `X-CWM-Delivery` names repeats.

use std::time::Duration;

use super::outbox::{self, Attempt, Delivery, OUTBOX, State, keys};
use super::signing;
use super::target::{Config, Target};
use crate::Ctx;
use crate::routes::Endpoint;
use crate::store::{StoreResult, due, read_number};

/// The longest one attempt may take, connection included.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries one pass sends at most.
pub const MAX_SENDS: usize = 4;
/// Slots one pass looks at at most.
pub const SCAN: i64 = 64;
/// Passes beside periodic requests ([`Trigger::IfDue`]) run at most this often.
pub const PASS_EVERY_MS: i64 = 1_000;
/// An attempt taken this long ago and never recorded was lost with its sender.
pub const STUCK_MS: i64 = 300_000;
/// A slot taken but not written this far behind the newest was abandoned by its writer.
const ABANDONED_LAG: i64 = 1_000;

/// Why a host runs a pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// The request may have just recorded a delivery (a job ended, a test): look now.
    Now,
    /// A frequent request: look unless a pass ran within [`PASS_EVERY_MS`].
    IfDue,
}

/// The pass a host runs beside a successful request to `endpoint`, if any.
pub fn trigger(endpoint: Endpoint) -> Option<Trigger> {
    use Endpoint::*;
    match endpoint {
        RunnerFinish | JobCancel | BatchCancel | WebhookTest => Some(Trigger::Now),
        RunnerClaim | RunnerHeartbeat | WebhookDeliveries => Some(Trigger::IfDue),
        _ => None,
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

/// The host's way out: sends a POST and reads the status, within the request's `timeout`. The
/// host decides which destinations it allows at all (the embedded one: only
/// `allowed_outbound_hosts`); a refusal is an `Err` like any other.
pub trait Outbound {
    fn send(&self, request: &OutgoingRequest) -> impl Future<Output = Outcome>;
}

/// An attempt this pass took: send `request`, then [`record`] what came of it.
#[derive(Clone, Debug)]
pub struct Send {
    slot: i64,
    attempt: u32,
    started_ms: i64,
    pub request: OutgoingRequest,
}

/// Takes up to [`MAX_SENDS`] due attempts (none while webhooks are off or misconfigured, or for
/// [`Trigger::IfDue`] when a pass ran lately), settles attempts lost with their senders, and
/// prunes old deliveries.
pub fn start(ctx: &Ctx, trigger: Trigger) -> StoreResult<Vec<Send>> {
    let Config::On(target) = Config::from_settings(ctx.settings) else {
        return Ok(Vec::new());
    };
    let store = ctx.store;
    if trigger == Trigger::IfDue && !due(store, keys::PASSED_AT, ctx.now_ms, PASS_EVERY_MS)? {
        return Ok(Vec::new());
    }
    let newest = OUTBOX.len(store)?;
    let low = read_number(store, keys::LOW)?
        .unwrap_or(1)
        .clamp(1, newest + 1);
    outbox::prune_if_due(ctx, low)?;
    if low > newest {
        return Ok(Vec::new());
    }
    // Each pass goes on where the last stopped, so deliveries waiting out their backoff near
    // `low` do not keep newer ones from being looked at.
    let resume = read_number(store, keys::NEXT)?.unwrap_or(low);
    let first = if (low..=newest).contains(&resume) {
        resume
    } else {
        low
    };
    let last = newest.min(first + SCAN - 1);
    let slots: Vec<String> = (first..=last).map(|n| OUTBOX.slot_key(n)).collect();
    let mut sends = Vec::new();
    let mut first_open = None;
    let mut stopped = last;
    for (n, raw) in (first..=last).zip(store.get_many(&slots)?) {
        match raw.and_then(|b| serde_json::from_slice::<Delivery>(&b).ok()) {
            // Perhaps still being written.
            None if newest - n < ABANDONED_LAG => {
                first_open.get_or_insert(n);
            }
            None => {}
            Some(d) if d.state != State::Pending => {}
            Some(d) => {
                first_open.get_or_insert(n);
                if d.next_ms.is_some_and(|t| t <= ctx.now_ms)
                    && let Some(send) = take(ctx, &target, n, &d)?
                {
                    sends.push(send);
                    if sends.len() == MAX_SENDS {
                        stopped = n;
                        break;
                    }
                }
            }
        }
    }
    let low = if first == low {
        let new_low = first_open.unwrap_or(stopped + 1);
        if new_low != low {
            store.set(keys::LOW, new_low.to_string().as_bytes())?;
        }
        new_low
    } else {
        low
    };
    let next = if stopped >= newest { low } else { stopped + 1 };
    if next != resume {
        store.set(keys::NEXT, next.to_string().as_bytes())?;
    }
    Ok(sends)
}

/// Claims the next attempt of the delivery in slot `n`: the request to send if this pass won
/// its latch; `None` if another pass has it (or lost it, which is settled here once stuck).
fn take(ctx: &Ctx, target: &Target, n: i64, delivery: &Delivery) -> StoreResult<Option<Send>> {
    let store = ctx.store;
    let k = delivery.attempts.len() as u32 + 1;
    let taken_key = keys::attempt_taken(n, k);
    if store.increment(&keys::attempt_latch(n, k), 1)? == 1 {
        store.set(&taken_key, ctx.now_ms.to_string().as_bytes())?;
        return Ok(Some(Send {
            slot: n,
            attempt: k,
            started_ms: ctx.now_ms,
            request: request(target, delivery, k, ctx.now_ms),
        }));
    }
    match read_number(store, &taken_key)? {
        // Its sender died before saying when: count from now.
        None => store.set(&taken_key, ctx.now_ms.to_string().as_bytes())?,
        Some(at)
            if ctx.now_ms - at >= STUCK_MS
                && store.increment(&keys::repair_latch(n, k), 1)? == 1 =>
        {
            let mut delivery = delivery.clone();
            let lost = Attempt {
                at_ms: at,
                status: None,
                error: Some("no outcome was recorded: the server stopped while sending".into()),
                duration_ms: 0,
            };
            conclude(&mut delivery, lost, ctx.now_ms);
            outbox::save(store, n, &delivery)?;
        }
        Some(_) => {}
    }
    Ok(None)
}

/// The signed POST for attempt `k` of `delivery`, made at `now_ms`.
fn request(target: &Target, delivery: &Delivery, k: u32, now_ms: i64) -> OutgoingRequest {
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
        ("X-CWM-Attempt", k.to_string()),
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

/// Stores what came of `send`: delivered on a 2xx, else pending with its next attempt, or
/// failed once the backoff gives up.
pub fn record(ctx: &Ctx, send: &Send, outcome: Outcome) -> StoreResult<()> {
    let Some(mut delivery) = outbox::load(ctx.store, send.slot)? else {
        return Ok(());
    };
    if delivery.attempts.len() as u32 + 1 != send.attempt {
        // Settled as lost meanwhile (the send took far longer than it may).
        return Ok(());
    }
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
fn conclude(delivery: &mut Delivery, attempt: Attempt, now_ms: i64) {
    let accepted = attempt.status.is_some_and(|s| (200..300).contains(&s));
    delivery.attempts.push(attempt);
    let first = delivery.attempts[0].at_ms;
    let made = delivery.attempts.len() as u32;
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
mod tests {
    use super::*;
    use crate::settings::Settings;
    use crate::store::{MemoryStore, Store};
    use crate::webhooks::backoff;

    struct Fixture {
        store: MemoryStore,
        settings: Settings,
    }

    impl Fixture {
        fn new() -> Self {
            Fixture {
                store: MemoryStore::new(),
                settings: Settings {
                    webhook_url: "http://127.0.0.1:9/hook".into(),
                    webhook_secret: "secret".into(),
                    webhook_outbound_host: "http://127.0.0.1:9".into(),
                    ..Settings::default()
                },
            }
        }

        fn at<T>(&self, now_ms: i64, f: impl FnOnce(&Ctx) -> T) -> T {
            let random = || 7;
            f(&Ctx {
                store: &self.store,
                settings: &self.settings,
                now_ms,
                random: &random,
            })
        }

        fn delivery(&self, n: i64) -> Delivery {
            outbox::load(&self.store, n).unwrap().unwrap()
        }
    }

    fn append(f: &Fixture, now: i64) {
        f.at(now, |ctx| {
            outbox::append(ctx, "job.finished", Some("j1"), &"x")
        })
        .unwrap();
    }

    #[test]
    fn a_due_delivery_is_sent_once_signed_and_retried_after_a_failure() {
        let f = Fixture::new();
        append(&f, 1_000);
        let sends = f.at(1_000, |ctx| start(ctx, Trigger::Now)).unwrap();
        assert_eq!(sends.len(), 1);
        let req = &sends[0].request;
        assert_eq!(req.url, "http://127.0.0.1:9/hook");
        assert_eq!(req.header("x-cwm-attempt"), Some("1"));
        assert_eq!(
            req.header("content-length"),
            Some(req.body.len().to_string().as_str())
        );
        assert_eq!(req.header("x-cwm-timestamp"), Some("1"));
        let signature = req.header("x-cwm-signature").unwrap();
        assert!(signing::verify("secret", 1, &req.body, signature));
        // Another pass meanwhile: the attempt is taken.
        assert!(
            f.at(1_100, |ctx| start(ctx, Trigger::Now))
                .unwrap()
                .is_empty()
        );

        f.at(1_500, |ctx| record(ctx, &sends[0], Ok(500))).unwrap();
        let d = f.delivery(1);
        assert_eq!(d.state, State::Pending);
        assert_eq!(d.attempts[0].status, Some(500));
        assert_eq!(d.attempts[0].duration_ms, 500);
        assert_eq!(d.next_ms, Some(1_500 + backoff::FIRST_DELAY_MS));
        assert!(
            f.at(20_000, |ctx| start(ctx, Trigger::Now))
                .unwrap()
                .is_empty(),
            "not due yet"
        );

        let again = f.at(31_500, |ctx| start(ctx, Trigger::Now)).unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].request.header("x-cwm-attempt"), Some("2"));
        assert_eq!(
            again[0].request.header("x-cwm-delivery"),
            req.header("x-cwm-delivery")
        );
        assert_eq!(
            again[0].request.body, req.body,
            "every attempt sends the same bytes"
        );
        f.at(31_600, |ctx| record(ctx, &again[0], Ok(204))).unwrap();
        let d = f.delivery(1);
        assert_eq!(
            (d.state, d.next_ms, d.attempts.len()),
            (State::Delivered, None, 2)
        );
        assert!(
            f.at(99_000_000, |ctx| start(ctx, Trigger::Now))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_delivery_fails_for_good_a_day_after_its_first_attempt() {
        let f = Fixture::new();
        append(&f, 0);
        let mut now = 0;
        let mut attempts = 0;
        loop {
            let sends = f.at(now, |ctx| start(ctx, Trigger::Now)).unwrap();
            if sends.is_empty() {
                break;
            }
            attempts += 1;
            f.at(now, |ctx| {
                record(ctx, &sends[0], Err("connection refused".into()))
            })
            .unwrap();
            match f.delivery(1).next_ms {
                Some(next) => now = next,
                None => break,
            }
        }
        let d = f.delivery(1);
        assert_eq!(d.state, State::Failed);
        assert_eq!(attempts, 30);
        assert!(d.attempts.last().unwrap().at_ms <= backoff::GIVE_UP_AFTER_MS);
        assert_eq!(d.attempts[0].error.as_deref(), Some("connection refused"));
    }

    #[test]
    fn an_attempt_whose_sender_died_is_recorded_as_lost_and_retried() {
        let f = Fixture::new();
        append(&f, 0);
        let lost = f.at(0, |ctx| start(ctx, Trigger::Now)).unwrap();
        assert_eq!(lost.len(), 1);
        // Its sender never records it. Within STUCK_MS nothing happens; then a pass settles it.
        assert!(
            f.at(STUCK_MS - 1, |ctx| start(ctx, Trigger::Now))
                .unwrap()
                .is_empty()
        );
        assert!(
            f.at(STUCK_MS, |ctx| start(ctx, Trigger::Now))
                .unwrap()
                .is_empty()
        );
        let d = f.delivery(1);
        assert_eq!(d.attempts.len(), 1);
        assert!(
            d.attempts[0]
                .error
                .as_deref()
                .unwrap()
                .contains("no outcome")
        );
        assert_eq!(d.state, State::Pending);
        // The sender's late record changes nothing; the next attempt goes ahead when due.
        f.at(STUCK_MS + 1, |ctx| record(ctx, &lost[0], Ok(200)))
            .unwrap();
        assert_eq!(f.delivery(1).state, State::Pending);
        let next = f.delivery(1).next_ms.unwrap();
        assert_eq!(f.at(next, |ctx| start(ctx, Trigger::Now)).unwrap().len(), 1);
    }

    #[test]
    fn passes_are_bounded_and_go_round_the_pending_deliveries() {
        let f = Fixture::new();
        for _ in 0..10 {
            append(&f, 0);
        }
        let mut sent = Vec::new();
        for pass in 0..3 {
            let sends = f.at(pass, |ctx| start(ctx, Trigger::Now)).unwrap();
            assert!(sends.len() <= MAX_SENDS);
            sent.extend(sends.iter().map(|s| s.slot));
        }
        sent.sort();
        assert_eq!(
            sent,
            (1..=10).collect::<Vec<_>>(),
            "each once, in three passes"
        );
    }

    #[test]
    fn periodic_passes_wait_for_their_turn_and_nothing_is_sent_while_off() {
        let f = Fixture::new();
        let t = 1_767_225_600_000;
        append(&f, t);
        assert_eq!(f.at(t, |ctx| start(ctx, Trigger::IfDue)).unwrap().len(), 1);
        append(&f, t + 10);
        assert!(
            f.at(t + 10, |ctx| start(ctx, Trigger::IfDue))
                .unwrap()
                .is_empty()
        );
        let later = t + PASS_EVERY_MS;
        assert_eq!(
            f.at(later, |ctx| start(ctx, Trigger::IfDue)).unwrap().len(),
            1
        );

        let off = Fixture {
            settings: Settings::default(),
            ..Fixture::new()
        };
        append(&off, 0);
        let before = off.store.len();
        assert!(
            off.at(0, |ctx| start(ctx, Trigger::Now))
                .unwrap()
                .is_empty()
        );
        assert_eq!(off.store.len(), before, "an idle pass writes nothing");
    }

    #[test]
    fn old_finished_deliveries_are_pruned_with_their_latches() {
        let f = Fixture::new();
        append(&f, 0);
        let sends = f.at(0, |ctx| start(ctx, Trigger::Now)).unwrap();
        f.at(0, |ctx| record(ctx, &sends[0], Ok(200))).unwrap();
        let later = f.settings.job_retention_ms() + 1;
        // A delivery still pending (its attempt taken, never recorded) is kept however old.
        append(&f, later);
        for pass in 0..3 {
            f.at(later + pass * 60_000, |ctx| start(ctx, Trigger::Now))
                .unwrap();
        }
        assert!(f.store.get(&OUTBOX.slot_key(1)).unwrap().is_none());
        assert!(f.store.get(&keys::attempt_latch(1, 1)).unwrap().is_none());
        assert!(f.store.get(&keys::attempt_taken(1, 1)).unwrap().is_none());
        assert_eq!(f.delivery(2).state, State::Pending);
    }
}
