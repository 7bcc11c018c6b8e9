use super::*;

#[test]
fn backoff_doubles_with_jitter_up_to_the_cap() {
    let mut b = Backoff::new(Duration::from_secs(5));
    let steps: Vec<Duration> = (0..10).map(|_| b.delay()).collect();
    for (i, d) in steps.iter().enumerate() {
        let step = (FIRST_RETRY * 2u32.pow(i as u32)).min(Duration::from_secs(5));
        assert!(
            *d >= step / 2 && *d <= step,
            "pause {i}: {d:?} vs step {step:?}"
        );
    }
    b.reset();
    assert!(b.delay() <= FIRST_RETRY);
}

#[test]
fn statuses_are_classified() {
    let body = br#"{"error":"no"}"#;
    assert_eq!(
        classify(StatusCode::UNAUTHORIZED, body),
        CallError::Unauthorized("no".into())
    );
    assert_eq!(
        classify(StatusCode::FORBIDDEN, body),
        CallError::Unauthorized("no".into())
    );
    assert_eq!(
        classify(StatusCode::CONFLICT, body),
        CallError::Fenced("409 Conflict: no".into())
    );
    assert_eq!(
        classify(StatusCode::NOT_FOUND, body),
        CallError::Fenced("404 Not Found: no".into())
    );
    assert!(matches!(
        classify(StatusCode::BAD_GATEWAY, b"<html>"),
        CallError::Transient(_)
    ));
    assert!(matches!(
        classify(StatusCode::TOO_MANY_REQUESTS, body),
        CallError::Transient(_)
    ));
    assert_eq!(
        classify(StatusCode::PAYLOAD_TOO_LARGE, body),
        CallError::Rejected {
            status: 413,
            message: "no".into()
        }
    );
}

#[test]
fn urls_keep_a_base_path_and_escape_segments() {
    let api = Api::new(
        &Url::parse("http://h:1/cwm/").unwrap(),
        "t",
        "r",
        Duration::from_secs(1),
    )
    .unwrap();
    assert_eq!(
        api.url(routes::CLAIM, &[]).as_str(),
        "http://h:1/cwm/api/runner/claim"
    );
    let api = Api::new(
        &Url::parse("http://h:1").unwrap(),
        "t",
        "r",
        Duration::from_secs(1),
    )
    .unwrap();
    assert_eq!(
        api.url(routes::LOG_CHUNK, &["a/b", "1", "0"]).as_str(),
        "http://h:1/api/runner/jobs/a%2Fb/1/logs/0"
    );
}

#[tokio::test(start_paused = true)]
async fn retrying_stops_on_final_answers_and_on_stop() {
    let stop = CancellationToken::new();
    let mut calls = 0;
    let result: Result<(), _> = retrying("t", Duration::from_secs(5), &stop, || {
        calls += 1;
        let result = if calls < 4 {
            Err(CallError::Transient("down".into()))
        } else {
            Err(CallError::Fenced("gone".into()))
        };
        async move { result }
    })
    .await;
    assert_eq!((result, calls), (Err(CallError::Fenced("gone".into())), 4));

    stop.cancel();
    let result: Result<(), _> = retrying("t", Duration::from_secs(5), &stop, || async {
        Err(CallError::Transient("down".into()))
    })
    .await;
    assert_eq!(result, Err(CallError::Stopped));
}
