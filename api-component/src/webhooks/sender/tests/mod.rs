//! The sending rounds, their latches and draining, on a memory store with a clock the tests
//! set: the fixture and helpers here; `sending` (sending, retrying, giving up, pruning),
//! `draining` (new work first, draining a backlog, waiting while misconfigured) and `races` (a
//! store that runs another caller's step in the middle of a call plays out races).

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

mod draining;
mod races;
mod sending;
