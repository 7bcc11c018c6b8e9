//! Never-attempted deliveries ahead of retries, a pass draining a backlog, and waiting while the
//! settings cannot be used.

use super::*;

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
