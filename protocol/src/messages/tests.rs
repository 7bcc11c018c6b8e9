use serde::Serialize;
use serde::de::DeserializeOwned;

use super::*;

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: T) {
    let json = serde_json::to_string(&value).unwrap();
    assert_eq!(serde_json::from_str::<T>(&json).unwrap(), value, "{json}");
}

fn job() -> ClaimedJob {
    ClaimedJob {
        id: "0f8e".into(),
        attempt: 2,
        kind: JobType::Brief,
        prompt: "write".into(),
        inputs: vec![InputFile {
            collection: "brand-data".into(),
            name: "acme".into(),
            path: "inputs/brand-data/acme".into(),
            content: "{}".into(),
        }],
        outputs: vec![OutputFile {
            collection: "briefs".into(),
            name: "b.md".into(),
            path: "output/b.md".into(),
        }],
    }
}

#[test]
fn every_message_round_trips() {
    round_trip(ClaimRequest {
        runner: "r1".into(),
        slots: 3,
        wait_ms: 20_000,
    });
    round_trip(ClaimResponse {
        jobs: vec![job()],
        lease_ms: 30_000,
        heartbeat_ms: 1_000,
        max_output_bytes: 1 << 20,
    });
    round_trip(StopRequest {
        runner: "r1".into(),
    });
    let attempt = AttemptRef {
        id: "0f8e".into(),
        attempt: 1,
    };
    round_trip(HeartbeatRequest {
        runner: "r1".into(),
        jobs: vec![attempt.clone()],
    });
    round_trip(HeartbeatResponse {
        jobs: vec![AttemptAction {
            id: attempt.id.clone(),
            attempt: 1,
            action: Action::Cancel,
        }],
        lease_ms: 30_000,
    });
    round_trip(ActionResponse {
        action: Action::Abandon,
    });
    round_trip(FinishRequest {
        status: FinalStatus::Failed,
        error: Some("exit 1".into()),
        usage: Some(Usage {
            cost_usd: 0.5,
            num_turns: 3,
            ..Usage::default()
        }),
        log_chunks: 4,
        resume_at_ms: None,
    });
    round_trip(FinishRequest {
        status: FinalStatus::UsageLimit,
        error: Some("usage limit reached, resets at 2026-11-29 05:50 UTC".into()),
        usage: None,
        log_chunks: 1,
        resume_at_ms: Some(1_795_931_458_000),
    });
}

#[test]
fn a_usage_limit_finish_reads_with_its_reset_time() {
    let report: FinishRequest = serde_json::from_str(
        r#"{"status":"usage_limit","error":"usage limit reached","resume_at_ms":1795931458000,"log_chunks":2}"#,
    )
    .unwrap();
    assert_eq!(report.status, FinalStatus::UsageLimit);
    assert_eq!(report.resume_at_ms, Some(1_795_931_458_000));
    // Other reports leave the field out, as runners before it sent them.
    let completed = serde_json::to_value(FinishRequest::new(FinalStatus::Completed, None)).unwrap();
    assert!(completed.get("resume_at_ms").is_none(), "{completed}");
    let old: FinishRequest = serde_json::from_str(r#"{"status":"failed","error":"x"}"#).unwrap();
    assert_eq!(old.resume_at_ms, None);
    for bad in [
        r#"{"status":"usage_limit","resume_at_ms":"tomorrow"}"#,
        r#"{"status":"usage_limit","resume_at_ms":-1}"#,
        r#"{"status":"waiting"}"#,
        r#"{"status":"usage_limit","resets_at":1}"#,
    ] {
        assert!(serde_json::from_str::<FinishRequest>(bad).is_err(), "{bad}");
    }
}

#[test]
fn requests_refuse_unknown_fields_and_values() {
    for bad in [
        r#"{"runner":"r1","slot":3}"#,
        r#"{"runner":"r1","slots":"3"}"#,
    ] {
        assert!(serde_json::from_str::<ClaimRequest>(bad).is_err(), "{bad}");
    }
    let defaults: ClaimRequest = serde_json::from_str(r#"{"runner":"r1"}"#).unwrap();
    assert_eq!((defaults.slots, defaults.wait_ms), (1, 0));
    assert!(
        serde_json::from_str::<HeartbeatRequest>(
            r#"{"runner":"r","jobs":[{"id":"a","attempt":1,"x":0}]}"#
        )
        .is_err()
    );
    assert!(serde_json::from_str::<FinishRequest>(r#"{"status":"running"}"#).is_err());
    assert!(serde_json::from_str::<FinishRequest>(r#"{"status":"completed","cost":1}"#).is_err());
    assert!(serde_json::from_str::<StopRequest>(r#"{"runner":"r","now":true}"#).is_err());
}

#[test]
fn responses_from_a_newer_server_still_read() {
    let claim: ClaimResponse = serde_json::from_str(
        r#"{"jobs":[{"id":"a","attempt":1,"type":"podcast","prompt":"p","priority":9}],
            "lease_ms":1,"shard":"x"}"#,
    )
    .unwrap();
    assert_eq!(claim.jobs[0].kind, JobType::Unknown);
    assert!(claim.jobs[0].inputs.is_empty());
    assert_eq!(claim.heartbeat_ms, 0);
    let beat: HeartbeatResponse = serde_json::from_str(
        r#"{"jobs":[{"id":"a","attempt":1,"action":"pause","why":"?"}],"lease_ms":1,"epoch":2}"#,
    )
    .unwrap();
    assert_eq!(beat.jobs[0].action, Action::Unknown);
    let answer: ActionResponse = serde_json::from_str(r#"{"action":"continue","hint":1}"#).unwrap();
    assert_eq!(answer.action, Action::Continue);
}
