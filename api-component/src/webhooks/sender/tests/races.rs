//! Races played out in one order: a store that runs another caller's step in the middle of a
//! call, around turn repairs, recording and resending.

use super::*;

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
