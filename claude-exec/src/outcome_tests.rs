//! Outcome rules and messages, on real transcripts.

use std::os::unix::process::ExitStatusExt;

use super::*;
use crate::stream::tests::{
    DEFAULT_PERM, ERR401, ERR529, MAXTURNS, SIGINT, SUBLIMIT, WRITE_SUCCESS, replay,
};

fn exited(code: i32) -> Ending {
    Ending::Exited(ExitStatus::from_raw(code << 8))
}

fn message(jsonl: &str, code: i32) -> String {
    let (t, _) = replay(jsonl);
    match decide(exited(code), &t, Path::new("/nonexistent"), &[], vec![]) {
        ExecOutcome::Failed { message, .. } => message,
        other => panic!("expected failure, got {other:?}"),
    }
}

#[test]
fn api_errors_read_well() {
    assert_eq!(
        message(ERR529, 1),
        "Claude API error 529 (overloaded) after 2 retries"
    );
    assert_eq!(
        message(ERR401, 1),
        "Claude CLI is not logged in (authentication_failed): Invalid API key · Fix external API key"
    );
    assert_eq!(message(MAXTURNS, 1), "stopped after max turns (2)");
    assert_eq!(
        message(SIGINT, 0),
        "claude stopped during execution (aborted_streaming)"
    );
}

/// The real transcript of a subscription's 5-hour limit, through the outcome rules.
fn sublimit_outcome(jsonl: &str) -> ExecOutcome {
    let (t, _) = replay(jsonl);
    decide(exited(1), &t, Path::new("/nonexistent"), &[], vec![])
}

#[test]
fn a_usage_limit_with_a_reset_time_is_a_wait_not_a_failure() {
    let ExecOutcome::UsageLimited {
        message,
        resets_at_ms,
        usage,
    } = sublimit_outcome(SUBLIMIT)
    else {
        panic!("{:?}", sublimit_outcome(SUBLIMIT))
    };
    assert_eq!(
        message,
        "usage limit reached, resets at 2026-11-29 05:50 UTC"
    );
    assert_eq!(resets_at_ms, 1_795_931_458_000);
    let usage = usage.expect("the result's figures");
    assert_eq!((usage.cost_usd, usage.num_turns), (0.0, 1));

    // Without the `rate_limit_event` line, the synthetic error's `api_error_params` still
    // names the reset.
    let no_event: String = SUBLIMIT
        .lines()
        .filter(|l| !l.contains(r#""type":"rate_limit_event""#))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(matches!(
        sublimit_outcome(&no_event),
        ExecOutcome::UsageLimited {
            resets_at_ms: 1_795_931_458_000,
            ..
        }
    ));

    // A limit that names no reset time stays a failure.
    let no_reset = no_event.replace(r#""api_error_params":{"rate_limit_info":{"status":"rejected","resetsAt":1795931458,"rateLimitType":"five_hour","isUsingOverage":false}},"#, "");
    assert_ne!(
        no_reset, no_event,
        "the fixture names the reset in api_error_params"
    );
    assert_eq!(
        message_of(sublimit_outcome(&no_reset)),
        "usage limit reached: You've hit your 5-hour limit · resets 5:50am (UTC)"
    );
}

#[test]
fn success_needs_the_expected_files() {
    let dir = tempfile::tempdir().unwrap();
    let (t, _) = replay(WRITE_SUCCESS);
    let expected = vec!["out.md".to_string()];
    let missing = decide(exited(0), &t, dir.path(), &expected, vec![]);
    assert_eq!(
        missing,
        ExecOutcome::Failed {
            message: "Claude wrote no out.md".into(),
            usage: Some(crate::outcome::usage_from_result(
                t.result.as_ref().unwrap()
            ))
        }
    );
    std::fs::write(dir.path().join("out.md"), "# Hi").unwrap();
    match decide(exited(0), &t, dir.path(), &expected, vec!["out.md".into()]) {
        ExecOutcome::Succeeded {
            usage,
            outputs,
            result_text,
        } => {
            assert_eq!(
                usage,
                Usage {
                    cost_usd: 0.008459999999999999,
                    input_tokens: 2400,
                    output_tokens: 84,
                    cache_read_input_tokens: 0,
                    cache_creation_input_tokens: 0,
                    web_search_requests: 0,
                    web_fetch_requests: 0,
                    duration_ms: 553,
                    duration_api_ms: 319,
                    num_turns: 2,
                    permission_denials: 0
                }
            );
            assert_eq!(outputs, ["out.md"]);
            assert_eq!(result_text, "Created out.md with a heading and one line.");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn denied_write_names_the_denial() {
    let dir = tempfile::tempdir().unwrap();
    let (t, _) = replay(DEFAULT_PERM);
    let outcome = decide(exited(0), &t, dir.path(), &["out.md".to_string()], vec![]);
    let ExecOutcome::Failed { message, .. } = outcome else {
        panic!()
    };
    assert_eq!(
        message,
        "Claude wrote no out.md (permission denied for Write out.md: Claude requested permissions to write to /srv/job/out.md, but you haven't granted it yet.)"
    );
}

#[test]
fn a_symlinked_output_fails_the_job() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("output");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(dir.path().join("secret"), "s3cret").unwrap();
    std::os::unix::fs::symlink(dir.path().join("secret"), out.join("out.md")).unwrap();
    let (t, _) = replay(WRITE_SUCCESS);
    let outcome = decide(exited(0), &t, &out, &["out.md".to_string()], vec![]);
    let ExecOutcome::Failed { message, .. } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(message.contains("symbolic link"), "{message}");
    assert!(!message.contains("s3cret"));
}

#[test]
fn json_outputs_must_be_objects() {
    let dir = tempfile::tempdir().unwrap();
    let (t, _) = replay(WRITE_SUCCESS);
    let expected = vec!["brand.json".to_string()];
    std::fs::write(dir.path().join("brand.json"), "[1]").unwrap();
    let ExecOutcome::Failed { message, .. } = decide(exited(0), &t, dir.path(), &expected, vec![])
    else {
        panic!()
    };
    assert_eq!(message, "brand.json is not a JSON object");
    std::fs::write(dir.path().join("brand.json"), "{oops").unwrap();
    let ExecOutcome::Failed { message, .. } = decide(exited(0), &t, dir.path(), &expected, vec![])
    else {
        panic!()
    };
    assert!(
        message.starts_with("brand.json is not valid JSON: "),
        "{message}"
    );
}

#[test]
fn no_result() {
    let mut t = Transcript::new("/w".into());
    assert_eq!(
        message_of(decide(exited(3), &t, Path::new("/w"), &[], vec![])),
        "claude exited with code 3 without a result"
    );
    t.stderr_line(b"Error: fake crash");
    assert_eq!(
        message_of(decide(exited(3), &t, Path::new("/w"), &[], vec![])),
        "claude exited with code 3 without a result: Error: fake crash"
    );
    let killed = Ending::Exited(ExitStatus::from_raw(9));
    assert!(
        message_of(decide(killed, &t, Path::new("/w"), &[], vec![]))
            .starts_with("claude was killed by signal 9 without a result")
    );
}

#[test]
fn watchdogs_and_cancel() {
    let (t, _) = replay(WRITE_SUCCESS);
    let p = Path::new("/w");
    assert_eq!(
        message_of(decide(
            Ending::TimedOut(Duration::from_secs(1800)),
            &t,
            p,
            &[],
            vec![]
        )),
        "timed out after 30 min"
    );
    assert_eq!(
        message_of(decide(
            Ending::Idle(Duration::from_secs(300)),
            &t,
            p,
            &[],
            vec![]
        )),
        "no output for 5 min (idle watchdog)"
    );
    assert!(matches!(
        decide(Ending::Cancelled, &t, p, &[], vec![]),
        ExecOutcome::Cancelled { usage: Some(_) }
    ));
    assert!(matches!(
        decide(Ending::KilledAfterResult, &t, p, &[], vec![]),
        ExecOutcome::Succeeded { .. }
    ));
    assert_eq!(
        message_of(decide(exited(2), &t, p, &[], vec![])),
        "claude exited with code 2 after reporting success"
    );
}

fn message_of(outcome: ExecOutcome) -> String {
    match outcome {
        ExecOutcome::Failed { message, .. } => message,
        other => panic!("expected failure, got {other:?}"),
    }
}
