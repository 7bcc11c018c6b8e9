//! When a delivery that was not accepted is tried again: 30 s after the first attempt, then
//! twice as long after each further one (1 min, 2 min, 4 min …), at most an hour apart, and
//! never later than 24 hours after the first attempt. About 30 attempts in all for a receiver
//! that stays down for the whole day.

/// The wait after the first failed attempt.
pub const FIRST_DELAY_MS: i64 = 30_000;
/// The longest wait between two attempts.
pub const MAX_DELAY_MS: i64 = 3_600_000;
/// No attempt is made later than this after the first one.
pub const GIVE_UP_AFTER_MS: i64 = 24 * 3_600_000;

/// The wait after attempt number `attempts` (1 = the first) failed.
pub fn delay_ms(attempts: u32) -> i64 {
    let doublings = attempts.saturating_sub(1).min(20);
    (FIRST_DELAY_MS << doublings).min(MAX_DELAY_MS)
}

/// When to try again after `attempts` failed attempts, the first made at `first_ms` and the
/// last at `last_ms`; `None` once that would be more than [`GIVE_UP_AFTER_MS`] after the first.
pub fn next_attempt_ms(first_ms: i64, last_ms: i64, attempts: u32) -> Option<i64> {
    let next = last_ms.saturating_add(delay_ms(attempts));
    (next <= first_ms.saturating_add(GIVE_UP_AFTER_MS)).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_from_thirty_seconds_up_to_an_hour() {
        let delays: Vec<i64> = (1..=10).map(delay_ms).collect();
        assert_eq!(
            delays,
            [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600].map(|s| s * 1000)
        );
        assert_eq!(delay_ms(u32::MAX), MAX_DELAY_MS, "no overflow");
    }

    #[test]
    fn gives_up_after_a_day_from_the_first_attempt() {
        let first = 1_000_000;
        let mut last = first;
        let mut attempts = 1;
        while let Some(next) = next_attempt_ms(first, last, attempts) {
            assert!(next > last, "each attempt comes after the one before");
            last = next;
            attempts += 1;
        }
        assert!(
            last <= first + GIVE_UP_AFTER_MS,
            "no attempt after 24 hours"
        );
        assert!(
            last > first + GIVE_UP_AFTER_MS - MAX_DELAY_MS,
            "attempts continue until the last hour of the day"
        );
        assert_eq!(attempts, 30, "8 growing waits (about an hour), then hourly");
    }

    #[test]
    fn a_late_attempt_counts_from_when_it_was_made() {
        // Passes run inside requests: a retry due at 30 s may only happen minutes later.
        assert_eq!(next_attempt_ms(0, 600_000, 2), Some(660_000));
        assert_eq!(next_attempt_ms(0, GIVE_UP_AFTER_MS - 1000, 5), None);
    }
}
