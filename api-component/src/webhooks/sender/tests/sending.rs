//! One round after another: a delivery sent, signed, retried, given up, lost with its sender,
//! bounded passes, their turns, and pruning.

use super::*;

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
