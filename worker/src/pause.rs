//! The claim pause after a usage limit: when a job's CLI stops at a usage limit that names its
//! reset, the account this runner is logged in to can run nothing until then, so the runner
//! claims no job until the reset (other runners, maybe on other accounts, go on claiming).
//! Running jobs go on and are reported, heartbeats go on, and a shutdown needs no wait.
//!
//! The pause ends at the latest reset any job announced; the log says when it begins and when
//! it ends, once each.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;
use tokio::time::Instant;

/// Until when this runner claims nothing.
#[derive(Default)]
pub struct Pause {
    until: Mutex<Option<Until>>,
    begun: Notify,
}

#[derive(Clone, Copy)]
struct Until {
    /// When to claim again, on the runtime's clock (which tests may pause).
    at: Instant,
    /// The same moment in milliseconds since the Unix epoch, for the log.
    wall_ms: u64,
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// `2026-11-29T05:50:58Z` for a moment in milliseconds since the Unix epoch.
pub fn wall_time(ms: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
}

impl Pause {
    /// Pauses claims until `resume_at_ms` (milliseconds since the Unix epoch), or keeps a
    /// later pause already begun. `job` names the job that met the limit, for the log.
    pub fn begin(&self, resume_at_ms: u64, job: &str) {
        let now = now_ms();
        let at = Instant::now() + Duration::from_millis(resume_at_ms.saturating_sub(now));
        let until = Until {
            at,
            wall_ms: resume_at_ms,
        };
        let mut current = self.until.lock().expect("pause");
        match *current {
            Some(c) if c.at >= at => return,
            Some(_) => {
                tracing::info!(job, until = %wall_time(resume_at_ms), "the usage limit lasts longer; still claiming no jobs");
            }
            None => {
                tracing::info!(
                    job,
                    until = %wall_time(resume_at_ms),
                    "usage limit reached: claiming no jobs until it resets; running jobs go on"
                );
            }
        }
        *current = Some(until);
        drop(current);
        self.begun.notify_waiters();
    }

    /// When claims may start again, while paused; ends a pause whose time has come (and says
    /// so in the log).
    pub fn until(&self) -> Option<Instant> {
        let mut current = self.until.lock().expect("pause");
        let until = (*current)?;
        if until.at > Instant::now() {
            return Some(until.at);
        }
        *current = None;
        tracing::info!(reset = %wall_time(until.wall_ms), "the usage limit has reset; claiming jobs again");
        None
    }

    /// Resolves once a pause begins (at once if one is on).
    pub async fn begun(&self) {
        loop {
            let notified = self.begun.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.until().is_some() {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_pause_lasts_until_the_latest_reset_and_then_ends() {
        let pause = Pause::default();
        assert!(pause.until().is_none());
        let now = now_ms();
        pause.begin(now + 60_000, "a");
        let first = pause.until().expect("paused");
        pause.begin(now + 30_000, "b");
        assert_eq!(
            pause.until(),
            Some(first),
            "an earlier reset does not shorten it"
        );
        pause.begin(now + 120_000, "c");
        let later = pause.until().expect("paused");
        assert!(later > first);
        tokio::time::advance(Duration::from_secs(121)).await;
        assert!(pause.until().is_none());
        // A reset already past pauses nothing.
        pause.begin(now.saturating_sub(1_000), "d");
        assert!(pause.until().is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_learn_when_a_pause_begins() {
        let pause = std::sync::Arc::new(Pause::default());
        let waiter = tokio::spawn({
            let pause = pause.clone();
            async move { pause.begun().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        pause.begin(now_ms() + 60_000, "a");
        tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .expect("the waiter wakes")
            .unwrap();
    }
}
