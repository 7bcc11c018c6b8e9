//! Limits both sides apply, and the naming rules of runners and job ids.

/// Largest JSON request body any endpoint reads (413 above, before parsing).
pub const MAX_JSON_BODY_BYTES: usize = 64 * 1024;
/// Largest log chunk body a runner may send.
pub const MAX_LOG_CHUNK_BYTES: usize = MAX_JSON_BODY_BYTES;
/// Highest chunk number (chunk numbers are packed into line sequence numbers).
pub const MAX_CHUNKS: u32 = 9_999_999;
/// Most lines in one chunk (packed into line sequence numbers too).
pub const MAX_LINES_PER_CHUNK: usize = 99_999;
/// Most jobs one claim may ask for, and most attempts one heartbeat may name.
pub const MAX_SLOTS: u32 = 64;
/// Most characters of a finish report's `error` the server keeps.
pub const MAX_ERROR_CHARS: usize = 4_000;
/// How often runners heartbeat while they run jobs, unless the server says otherwise.
pub const HEARTBEAT_MS: u64 = 1_000;
/// Longest job id the server hands out.
pub const MAX_JOB_ID_LEN: usize = 64;
/// Most input or output files of one job.
pub const MAX_JOB_FILES: usize = 64;

/// Longest a job waits for a usage limit to reset: a weekly limit, and a day to spare. A runner
/// takes a reset announced further ahead as this far; the server refuses one.
pub const MAX_USAGE_LIMIT_WAIT_MS: u64 = 8 * 86_400_000;
/// How long a job stopped by a usage limit waits when the announced reset has passed already
/// (the clocks disagree): long enough that a job never spins through the limit.
pub const PAST_RESET_WAIT_MS: u64 = 60_000;

/// When a job stopped by a usage limit that resets at `resets_at_ms` may run again, seen at
/// `now_ms` (both in milliseconds since the Unix epoch): the reset itself, or
/// [`PAST_RESET_WAIT_MS`] from now if it has passed; `None` if it lies more than
/// [`MAX_USAGE_LIMIT_WAIT_MS`] ahead.
pub fn resume_at(resets_at_ms: u64, now_ms: u64) -> Option<u64> {
    if resets_at_ms <= now_ms {
        return Some(now_ms + PAST_RESET_WAIT_MS);
    }
    (resets_at_ms - now_ms <= MAX_USAGE_LIMIT_WAIT_MS).then_some(resets_at_ms)
}

/// Runner names: 1 to 64 characters of `[A-Za-z0-9._-]`.
pub fn valid_runner_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The rule for runner names, as error messages state it.
pub const RUNNER_NAME_RULE: &str = "runner must be 1-64 characters of [A-Za-z0-9._-]";

/// Job ids: 1 to [`MAX_JOB_ID_LEN`] characters of `[0-9a-f-]` (the server makes UUIDs). A runner
/// joins ids into paths, so it refuses any other id.
pub fn valid_job_id(id: &str) -> bool {
    (1..=MAX_JOB_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ids_follow_their_rules() {
        assert!(valid_runner_name("host-1.slot_a"));
        assert!(!valid_runner_name(""));
        assert!(!valid_runner_name("a/b"));
        assert!(!valid_runner_name(&"x".repeat(65)));
        assert!(valid_job_id("0f8e-12"));
        assert!(!valid_job_id("../etc"));
        assert!(!valid_job_id("ABC"));
        assert!(!valid_job_id(""));
    }

    #[test]
    fn a_usage_limit_resumes_at_its_reset_within_bounds() {
        let now = 1_795_927_858_000;
        assert_eq!(resume_at(now + 3_600_000, now), Some(now + 3_600_000));
        assert_eq!(
            resume_at(now + MAX_USAGE_LIMIT_WAIT_MS, now),
            Some(now + MAX_USAGE_LIMIT_WAIT_MS)
        );
        assert_eq!(resume_at(now + MAX_USAGE_LIMIT_WAIT_MS + 1, now), None);
        // A reset in the past (or now) never means "at once".
        assert_eq!(resume_at(now - 5_000, now), Some(now + PAST_RESET_WAIT_MS));
        assert_eq!(resume_at(now, now), Some(now + PAST_RESET_WAIT_MS));
        assert_eq!(resume_at(0, now), Some(now + PAST_RESET_WAIT_MS));
    }
}
