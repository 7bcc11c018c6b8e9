//! The sending rounds, their latches and draining, on a memory store with a clock the tests
//! set; a store that runs another caller's step in the middle of a call plays out races.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use super::*;
use crate::settings::Settings;
use crate::store::{MemoryStore, Store};
use crate::webhooks::drain::{DRAIN_MS, Drain, MAX_ROUNDS};
use crate::webhooks::{backoff, rounds};

struct Fixture {
    store: MemoryStore,
    settings: Settings,
    draws: AtomicU64,
}

fn on() -> Settings {
    Settings {
        webhook_url: "http://127.0.0.1:9/hook".into(),
        webhook_secret: "secret".into(),
        webhook_outbound_host: "http://127.0.0.1:9".into(),
        ..Settings::default()
    }
}

impl Fixture {
    fn new() -> Self {
        Fixture::with(on())
    }

    fn with(settings: Settings) -> Self {
        Fixture {
            store: MemoryStore::new(),
            settings,
            draws: AtomicU64::new(1),
        }
    }

    fn at<T>(&self, now_ms: i64, f: impl FnOnce(&Ctx) -> T) -> T {
        self.on(&self.store, now_ms, f)
    }

    /// Like [`Fixture::at`], over another view of the store.
    fn on<T>(&self, store: &dyn Store, now_ms: i64, f: impl FnOnce(&Ctx) -> T) -> T {
        let random = || self.draws.fetch_add(1, Ordering::Relaxed);
        f(&Ctx {
            store,
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
    let sends = f.at(1_000, |ctx| start(ctx, Trigger::Now)).unwrap().sends;
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
            .sends
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
            .sends
            .is_empty(),
        "not due yet"
    );

    let again = f.at(31_500, |ctx| start(ctx, Trigger::Now)).unwrap().sends;
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
            .sends
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
        let sends = f.at(now, |ctx| start(ctx, Trigger::Now)).unwrap().sends;
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
    let lost = f.at(0, |ctx| start(ctx, Trigger::Now)).unwrap().sends;
    assert_eq!(lost.len(), 1);
    // Its sender never records it. Within STUCK_MS nothing happens; then a pass settles it.
    assert!(
        f.at(STUCK_MS - 1, |ctx| start(ctx, Trigger::Now))
            .unwrap()
            .sends
            .is_empty()
    );
    assert!(
        f.at(STUCK_MS, |ctx| start(ctx, Trigger::Now))
            .unwrap()
            .sends
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
    assert_eq!(
        f.at(next, |ctx| start(ctx, Trigger::Now))
            .unwrap()
            .sends
            .len(),
        1
    );
}

#[test]
fn passes_are_bounded_and_go_round_the_pending_deliveries() {
    let f = Fixture::new();
    for _ in 0..10 {
        append(&f, 0);
    }
    let mut sent = Vec::new();
    for pass in 0..3 {
        let sends = f.at(pass, |ctx| start(ctx, Trigger::Now)).unwrap().sends;
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
    assert_eq!(
        f.at(t, |ctx| start(ctx, Trigger::IfDue))
            .unwrap()
            .sends
            .len(),
        1
    );
    append(&f, t + 10);
    assert!(
        f.at(t + 10, |ctx| start(ctx, Trigger::IfDue))
            .unwrap()
            .sends
            .is_empty()
    );
    let later = t + PASS_EVERY_MS;
    assert_eq!(
        f.at(later, |ctx| start(ctx, Trigger::IfDue))
            .unwrap()
            .sends
            .len(),
        1
    );

    let off = Fixture::with(Settings::default());
    append(&off, t);
    assert!(
        off.at(t, |ctx| start(ctx, Trigger::Now))
            .unwrap()
            .sends
            .is_empty()
    );
    assert_eq!(off.delivery(1).state, State::Pending);
    // While off, only an admin's listing runs a pass (to prune); misconfigured, any periodic
    // request does, though nothing is sent.
    let broken = Config::Broken("why".into());
    assert_eq!(trigger(Endpoint::RunnerClaim, &Config::Off), None);
    assert_eq!(
        trigger(Endpoint::WebhookDeliveries, &Config::Off),
        Some(Trigger::IfDue)
    );
    assert_eq!(
        trigger(Endpoint::RunnerFinish, &broken),
        Some(Trigger::IfDue)
    );
    assert_eq!(trigger(Endpoint::DocGet, &broken), None);
}

#[test]
fn old_finished_deliveries_are_pruned_with_their_latches() {
    let f = Fixture::new();
    append(&f, 0);
    let sends = f.at(0, |ctx| start(ctx, Trigger::Now)).unwrap().sends;
    f.at(0, |ctx| record(ctx, &sends[0], Ok(200))).unwrap();
    let later = f.settings.job_retention_ms() + 1;
    // A delivery still pending (its attempt taken, never recorded) is kept however old.
    append(&f, later);
    for pass in 0..3 {
        f.at(later + pass * 60_000, |ctx| start(ctx, Trigger::Now))
            .unwrap()
            .sends;
    }
    assert!(f.store.get(&OUTBOX.slot_key(1)).unwrap().is_none());
    assert!(f.store.get(&keys::attempt_latch(1, 1)).unwrap().is_none());
    assert!(f.store.get(&keys::attempt_taken(1, 1)).unwrap().is_none());
    assert_eq!(f.delivery(2).state, State::Pending);
}

/// Records `outcome` for every send of a round at `now`.
fn answer(f: &Fixture, now: i64, round: &Round, outcome: Outcome) {
    for send in &round.sends {
        f.at(now, |ctx| record(ctx, send, outcome.clone())).unwrap();
    }
}

fn attempt_header(send: &Send) -> &str {
    send.request.header("x-cwm-attempt").unwrap()
}

fn delivery_header(send: &Send) -> &str {
    send.request.header("x-cwm-delivery").unwrap()
}

#[test]
fn deliveries_never_attempted_go_ahead_of_a_backlog_of_retries() {
    let f = Fixture::new();
    // The receiver is down while 540 jobs end: each first attempt is refused.
    for _ in 0..540 {
        append(&f, 0);
    }
    loop {
        let round = f.at(0, |ctx| start(ctx, Trigger::Now)).unwrap();
        if round.sends.is_empty() {
            break;
        }
        answer(&f, 0, &round, Err("connection refused".into()));
    }
    assert!((1..=540).all(|n| f.delivery(n).attempts.len() == 1));
    // Every retry is due; a job ends and an admin asks for a test.
    let later = backoff::FIRST_DELAY_MS + 1_000;
    append(&f, later);
    f.at(later, |ctx| {
        outbox::append(ctx, "webhook.test", None, &serde_json::Value::Null)
    })
    .unwrap();
    let round = f.at(later, |ctx| start(ctx, Trigger::Now)).unwrap();
    assert_eq!(round.sends.len(), MAX_SENDS);
    let first: Vec<(&str, &str)> = round.sends[..2]
        .iter()
        .map(|s| (attempt_header(s), delivery_header(s)))
        .collect();
    assert_eq!(
        first,
        [
            ("1", f.delivery(541).id.as_str()),
            ("1", f.delivery(542).id.as_str())
        ],
        "the new job's delivery and the test come first"
    );
    assert!(round.more, "the budget ran out with retries due");
    // Once taken, they are not looked at again: the next round goes on with the retries.
    let next = f.at(later, |ctx| start(ctx, Trigger::Now)).unwrap();
    assert!(next.sends.iter().all(|s| attempt_header(s) == "2"));
}

#[test]
fn a_round_that_finds_no_more_due_work_says_so() {
    let f = Fixture::new();
    for _ in 0..3 {
        append(&f, 0);
    }
    let round = f.at(0, |ctx| start(ctx, Trigger::Now)).unwrap();
    assert_eq!((round.sends.len(), round.more), (3, false));
}

#[test]
fn a_pass_drains_while_the_receiver_accepts_and_only_one_pass_drains_at_a_time() {
    let f = Fixture::new();
    let t = 1_767_225_600_000;
    let ok = [Ok(200), Err("connection refused".into())];
    let mut drain = Drain::default();
    assert!(f.at(t, |ctx| drain.go_on(ctx, true, &ok)).unwrap());
    let mut other = Drain::default();
    assert!(
        !f.at(t + 5, |ctx| other.go_on(ctx, true, &ok)).unwrap(),
        "another pass meanwhile stops after its round"
    );
    assert!(
        f.at(t + DRAIN_MS - 1, |ctx| drain.go_on(ctx, true, &ok))
            .unwrap()
    );
    assert!(
        !f.at(t + DRAIN_MS, |ctx| drain.go_on(ctx, true, &ok))
            .unwrap()
    );
    let later = t + 2 * DRAIN_MS;
    let down = [Ok(503), Err("connection refused".into())];
    assert!(
        !f.at(later, |ctx| Drain::default().go_on(ctx, true, &down))
            .unwrap(),
        "a receiver that accepts nothing is not hammered"
    );
    assert!(
        !f.at(later, |ctx| Drain::default().go_on(ctx, false, &ok))
            .unwrap()
    );
    let mut bounded = Drain::default();
    let rounds = (0..)
        .take_while(|_| f.at(later, |ctx| bounded.go_on(ctx, true, &ok)).unwrap())
        .count();
    assert_eq!(
        rounds as u32,
        MAX_ROUNDS - 1,
        "at most MAX_ROUNDS rounds a pass"
    );
}

/// A host whose receiver answers every delivery with `status`, on a clock that stands still.
struct Host<'a> {
    fixture: &'a Fixture,
    now_ms: i64,
    status: u16,
    /// `X-CWM-Delivery` and `X-CWM-Attempt` of each request, in the order sent.
    sent: RefCell<Vec<(String, String)>>,
}

impl crate::serving::WebhookHost for Host<'_> {
    fn with_ctx<T>(&self, f: impl FnOnce(&Ctx) -> T) -> T {
        self.fixture.at(self.now_ms, f)
    }

    /// The clock stands still: no time passes.
    async fn pause(&self, _: Duration) {}
}

impl Outbound for Host<'_> {
    async fn send(&self, request: &OutgoingRequest) -> Outcome {
        let header = |name| request.header(name).unwrap_or_default().to_owned();
        self.sent
            .borrow_mut()
            .push((header("x-cwm-delivery"), header("x-cwm-attempt")));
        Ok(self.status)
    }
}

#[test]
fn one_pass_drains_a_backlog_once_the_receiver_is_back_new_work_first() {
    let f = Fixture::new();
    for _ in 0..540 {
        append(&f, 0);
    }
    let down = Host {
        fixture: &f,
        now_ms: 0,
        status: 503,
        sent: RefCell::default(),
    };
    futures::executor::block_on(crate::serving::deliver_webhooks(&down, Trigger::Now));
    assert_eq!(
        down.sent.borrow().len(),
        MAX_SENDS,
        "nothing accepted: one round"
    );
    while down.sent.borrow().len() < 540 {
        futures::executor::block_on(crate::serving::deliver_webhooks(&down, Trigger::Now));
    }

    let back = Host {
        now_ms: backoff::FIRST_DELAY_MS,
        status: 200,
        sent: RefCell::default(),
        ..down
    };
    append(&f, back.now_ms);
    let newest = f.delivery(541).id;
    futures::executor::block_on(crate::serving::deliver_webhooks(&back, Trigger::Now));
    let sent = back.sent.borrow();
    assert_eq!(
        sent[0],
        (newest, "1".to_owned()),
        "the new job's delivery first"
    );
    assert_eq!(
        sent.len(),
        541,
        "the whole backlog in one pass: {}",
        sent.len()
    );
    assert!((1..=541).all(|n| f.delivery(n).state == State::Delivered));
}

#[test]
fn while_misconfigured_nothing_is_sent_yet_the_outbox_is_pruned_and_waits_at_most_a_day() {
    let broken = Settings {
        webhook_outbound_host: "https://elsewhere.example".into(),
        ..on()
    };
    let f = Fixture::new();
    append(&f, 0);
    let round = f.at(0, |ctx| start(ctx, Trigger::Now)).unwrap();
    answer(&f, 0, &round, Ok(200));
    let f = Fixture {
        settings: broken,
        ..f
    };
    let t = 1_000;
    append(&f, t);
    assert!(
        f.at(t, |ctx| start(ctx, Trigger::Now))
            .unwrap()
            .sends
            .is_empty()
    );
    assert_eq!(f.delivery(2).state, State::Pending);

    // A day later the waiting delivery is given up, without an attempt.
    let day_later = t + backoff::GIVE_UP_AFTER_MS;
    assert!(
        f.at(day_later, |ctx| start(ctx, Trigger::IfDue))
            .unwrap()
            .sends
            .is_empty()
    );
    let d = f.delivery(2);
    assert_eq!(
        (d.state, d.attempts.len(), d.next_ms),
        (State::Failed, 0, None)
    );
    // After the retention both are removed, though nothing can be sent.
    let retention = f.settings.job_retention_ms() + t + 1;
    for pass in 0..3 {
        f.at(retention + pass * outbox::PRUNE_EVERY_MS, |ctx| {
            start(ctx, Trigger::IfDue)
        })
        .unwrap();
    }
    assert!(
        outbox::load(&f.store, 1).unwrap().is_none(),
        "the delivered one"
    );
    assert!(
        outbox::load(&f.store, 2).unwrap().is_none(),
        "the given-up one"
    );
    let left: Vec<String> = f
        .store
        .keys()
        .into_iter()
        .filter(|k| {
            k.starts_with("hooks/1/") || k.starts_with("hooks/2/") || k.starts_with("hooks/id/")
        })
        .collect();
    assert!(left.is_empty(), "their latches and ids go too: {left:?}");
}

/// A store that, the first time a call matches `when`, first runs `meanwhile` (another
/// caller's step, on the plain store), then the call itself: a race played out in one order.
struct Meanwhile<'a> {
    inner: &'a MemoryStore,
    when: fn(&str, &str) -> bool,
    meanwhile: RefCell<Option<Box<dyn FnOnce() + 'a>>>,
}

impl Meanwhile<'_> {
    fn at(&self, op: &str, key: &str) {
        if (self.when)(op, key) {
            let step = self.meanwhile.borrow_mut().take();
            if let Some(step) = step {
                step();
            }
        }
    }
}

impl Store for Meanwhile<'_> {
    fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.at("get", key);
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> StoreResult<()> {
        self.at("set", key);
        self.inner.set(key, value)
    }
    fn delete(&self, key: &str) -> StoreResult<()> {
        self.inner.delete(key)
    }
    fn increment(&self, key: &str, delta: i64) -> StoreResult<i64> {
        self.at("increment", key);
        self.inner.increment(key, delta)
    }
    fn get_many(&self, keys: &[String]) -> StoreResult<Vec<Option<Vec<u8>>>> {
        self.inner.get_many(keys)
    }
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> StoreResult<()> {
        self.inner.set_many(entries)
    }
    fn delete_many(&self, keys: &[String]) -> StoreResult<()> {
        self.inner.delete_many(keys)
    }
}

#[test]
fn a_sender_that_records_while_its_turn_is_repaired_keeps_its_outcome() {
    let f = Fixture::new();
    append(&f, 0);
    let sends = f.at(0, |ctx| start(ctx, Trigger::Now)).unwrap().sends;
    // A round finds the turn stuck and goes to record it as lost; just before it does, the
    // sender (which took far too long) records its 200.
    let racing = Meanwhile {
        inner: &f.store,
        when: |op, key| op == "increment" && key.starts_with("hooks/1/a1/"),
        meanwhile: RefCell::new(Some(Box::new(|| {
            f.at(STUCK_MS + 5, |ctx| record(ctx, &sends[0], Ok(200)))
                .unwrap();
        }))),
    };
    f.on(&racing, STUCK_MS, |ctx| start(ctx, Trigger::Now))
        .unwrap();
    let d = f.delivery(1);
    assert_eq!(
        (d.state, d.attempts.len(), d.attempts[0].status),
        (State::Delivered, 1, Some(200)),
        "one outcome for the one attempt: {d:?}"
    );
}

#[test]
fn a_turn_repaired_while_its_sender_records_keeps_one_outcome() {
    let f = Fixture::new();
    append(&f, 0);
    let sends = f.at(0, |ctx| start(ctx, Trigger::Now)).unwrap().sends;
    // The late sender is about to write its 200 when a round finds the turn stuck.
    let repair_wrote = RefCell::new(None);
    let racing = Meanwhile {
        inner: &f.store,
        when: |op, key| op == "set" && key == "hooks/out/s/1",
        meanwhile: RefCell::new(Some(Box::new(|| {
            f.at(STUCK_MS, |ctx| start(ctx, Trigger::Now)).unwrap();
            *repair_wrote.borrow_mut() = Some(!f.delivery(1).attempts.is_empty());
        }))),
    };
    f.on(&racing, STUCK_MS + 5, |ctx| record(ctx, &sends[0], Ok(200)))
        .unwrap();
    assert_eq!(
        *repair_wrote.borrow(),
        Some(false),
        "the sender won the turn's recorded latch first: the repair records nothing"
    );
    let d = f.delivery(1);
    assert_eq!(
        (d.state, d.attempts.len(), d.attempts[0].status),
        (State::Delivered, 1, Some(200))
    );
}

#[test]
fn a_failed_delivery_resent_gets_a_new_round_at_the_top_keeping_its_id() {
    let f = Fixture::new();
    append(&f, 0);
    let id = f.delivery(1).id;
    let mut now = 0;
    while let Some(send) = f
        .at(now, |ctx| start(ctx, Trigger::Now))
        .unwrap()
        .sends
        .pop()
    {
        f.at(now, |ctx| record(ctx, &send, Ok(500))).unwrap();
        match f.delivery(1).next_ms {
            Some(next) => now = next,
            None => break,
        }
    }
    assert_eq!(f.delivery(1).state, State::Failed);
    let made = f.delivery(1).attempts.len();

    // Not while pending or unknown; once, when failed.
    let later = now + 60_000;
    let resent = f
        .at(later, |ctx| rounds::resend(ctx, &id))
        .unwrap()
        .unwrap();
    assert_eq!(
        (resent.state, resent.next_ms),
        (State::Pending, Some(later))
    );
    assert!(outbox::load(&f.store, 1).unwrap().is_none(), "moved");
    assert_eq!(f.delivery(2).id, id);
    assert_eq!(
        f.at(later, |ctx| rounds::resend(ctx, &id))
            .unwrap()
            .unwrap_err(),
        rounds::NotResent::NotFailed(State::Pending)
    );
    assert_eq!(
        f.at(later, |ctx| rounds::resend(
            ctx,
            "dlv_00000000000000000000000000000000"
        ))
        .unwrap()
        .unwrap_err(),
        rounds::NotResent::Unknown
    );

    // Sent at once, numbered on, and tried for 24 more hours from its new first attempt.
    let round = f.at(later, |ctx| start(ctx, Trigger::Now)).unwrap();
    let send = &round.sends[0];
    assert_eq!(delivery_header(send), id);
    assert_eq!(attempt_header(send), (made + 1).to_string());
    answer(&f, later, &round, Ok(503));
    let d = f.delivery(2);
    assert_eq!((d.state, d.attempts.len()), (State::Pending, made + 1));
    assert_eq!(
        d.next_ms,
        Some(later + backoff::FIRST_DELAY_MS),
        "the backoff starts over"
    );
    assert_eq!(d.gives_up_at_ms(), later + backoff::GIVE_UP_AFTER_MS);
}

#[test]
fn a_resend_and_the_pruner_never_both_win() {
    let f = Fixture::new();
    append(&f, 0);
    let id = f.delivery(1).id;
    // Given up untried (say, misconfigured for a day), then old enough to be removed.
    let day = backoff::GIVE_UP_AFTER_MS + 1;
    f.at(day, |ctx| start(ctx, Trigger::Now)).unwrap();
    assert_eq!(f.delivery(1).state, State::Failed);
    let old = f.settings.job_retention_ms() + 1;
    // The pruner takes the resend latch first: the resend loses and nothing comes back.
    let racing = Meanwhile {
        inner: &f.store,
        when: |op, key| op == "increment" && key == "hooks/1/resend1",
        meanwhile: RefCell::new(Some(Box::new(|| {
            f.at(old, |ctx| outbox::prune(ctx, 2)).unwrap();
        }))),
    };
    let outcome = f.on(&racing, old, |ctx| rounds::resend(ctx, &id)).unwrap();
    assert_eq!(outcome.unwrap_err(), rounds::NotResent::Raced);
    assert!(outbox::load(&f.store, 1).unwrap().is_none());
    assert_eq!(OUTBOX.len(&f.store).unwrap(), 1, "no copy was queued");
}
