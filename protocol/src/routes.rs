//! Route paths of the runner protocol. `{x}` stands for one path segment; [`fill`] puts values in.

pub const CLAIM: &str = "/api/runner/claim";
pub const CLAIM_STOP: &str = "/api/runner/claim/stop";
pub const HEARTBEAT: &str = "/api/runner/heartbeat";
pub const LOG_CHUNK: &str = "/api/runner/jobs/{id}/{attempt}/logs/{chunk}";
pub const OUTPUT: &str = "/api/runner/jobs/{id}/{attempt}/outputs/{index}";
pub const FINISH: &str = "/api/runner/jobs/{id}/{attempt}/finish";

/// The segments of `pattern` with each `{x}` replaced by the next of `values`, unencoded (the
/// caller percent-encodes them as it builds its URL). `None` if the counts differ.
pub fn fill<'a>(pattern: &'a str, values: &[&'a str]) -> Option<Vec<&'a str>> {
    let mut values = values.iter();
    let segments: Vec<&str> = pattern
        .trim_start_matches('/')
        .split('/')
        .map(|s| {
            if s.starts_with('{') {
                values.next().copied()
            } else {
                Some(s)
            }
        })
        .collect::<Option<_>>()?;
    values.next().is_none().then_some(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_puts_values_in_order() {
        assert_eq!(
            fill(LOG_CHUNK, &["j1", "2", "7"]).unwrap(),
            ["api", "runner", "jobs", "j1", "2", "logs", "7"]
        );
        assert_eq!(fill(CLAIM, &[]).unwrap(), ["api", "runner", "claim"]);
        assert!(fill(FINISH, &["j1"]).is_none());
        assert!(fill(CLAIM, &["extra"]).is_none());
    }
}
