//! Submitting, listing and retrying jobs.

use super::*;

#[test]
fn generate_validates_and_names_missing_documents() {
    let app = app();
    let cases = [
        (
            "/api/briefs/generate",
            json!({"primary_keyword": "k", "brand_data": "acme.json"}),
            400,
            "title is required",
        ),
        (
            "/api/briefs/generate",
            json!({"title": " ", "primary_keyword": "k", "brand_data": "acme.json"}),
            400,
            "title is required",
        ),
        (
            "/api/briefs/generate",
            json!({"title": "x".repeat(301), "primary_keyword": "k", "brand_data": "acme.json"}),
            400,
            "longer than",
        ),
        (
            "/api/briefs/generate",
            json!({"title": "t", "primary_keyword": "k", "brand_data": "nope.json"}),
            422,
            "brand-data/nope.json",
        ),
        (
            "/api/briefs/generate",
            json!({"title": "t", "primary_keyword": "k", "brand_data": "../x.json"}),
            400,
            "brand_data",
        ),
        (
            "/api/drafts/generate",
            json!({"brief": "missing.md", "brand_data": "acme.json"}),
            422,
            "briefs/missing.md",
        ),
        (
            "/api/drafts/generate",
            json!({"brief": "b.md", "brand_data": "acme.json", "target_word_count": 5}),
            400,
            "target_word_count",
        ),
        (
            "/api/brand-data/generate",
            json!({"brand_name": "Acme", "urls": []}),
            400,
            "urls",
        ),
        (
            "/api/brand-data/generate",
            json!({"brand_name": "Acme", "urls": ["javascript:alert(1)"]}),
            400,
            "web address",
        ),
        (
            "/api/brand-data/generate",
            json!({"urls": ["https://acme.example"]}),
            400,
            "brand_name is required",
        ),
        ("/api/brand-data/generate", json!([1]), 400, "JSON object"),
    ];
    for (target, body, status, needle) in cases {
        assert_error(&app.post_json(target, &body), status, needle);
    }
    assert_error(
        &app.send(
            ApiRequest::new("POST", "/api/briefs/generate")
                .with_header("content-type", "application/json")
                .with_body("{oops"),
        ),
        400,
        "invalid JSON",
    );
    assert_eq!(
        app.get("/api/jobs").json_body()["items"],
        json!([]),
        "nothing was queued"
    );
}

#[test]
fn a_submitted_job_is_queued_with_its_rendered_prompt() {
    let app = app();
    let id = submit_brief(&app, "Bread for Beginners");
    let view = job(&app, &id);
    assert_eq!(view["status"], "queued");
    assert_eq!(view["type"], "brief");
    assert_eq!(view["queue_position"], 1);
    assert_eq!(view["attempt"], 1);
    assert_eq!(view["params"]["secondary_keywords"], json!(["sourdough"]));
    assert_eq!(app.get("/health").json_body()["queued_jobs"], 1);

    let jobs = claim(&app, "r1", 1);
    let j = &jobs[0];
    assert_eq!(j["id"], id.as_str());
    assert_eq!(j["inputs"][0]["path"], "inputs/brand-data/acme.json");
    assert_eq!(j["inputs"][0]["content"], BRAND);
    assert_eq!(j["outputs"][0]["path"], "output/bread-for-beginners.md");
    let prompt = j["prompt"].as_str().unwrap();
    assert!(prompt.contains("output/bread-for-beginners.md"), "{prompt}");
    assert!(!prompt.contains("{{output_path}}"), "{prompt}");
}

#[test]
fn retry_makes_a_new_job_with_the_same_params() {
    let app = app();
    let id = submit_brief(&app, "Retry Me");
    assert_error(
        &app.send(ApiRequest::new("POST", &format!("/api/jobs/{id}/retry"))),
        409,
        "only failed or cancelled",
    );
    claim(&app, "r1", 1);
    finish(
        &app,
        &id,
        1,
        json!({"status": "failed", "error": "Claude API error 529"}),
    );
    let resp = app.send(ApiRequest::new("POST", &format!("/api/jobs/{id}/retry")));
    assert_eq!(resp.status, 202);
    let new_id = resp.json_body()["job_id"].as_str().unwrap().to_owned();
    assert_ne!(new_id, id);
    assert_eq!(job(&app, &new_id)["params"], job(&app, &id)["params"]);
    assert_eq!(job(&app, &id)["error"], "Claude API error 529");
    // Linked both ways, and retried once: a second retry names the first.
    assert_eq!(job(&app, &id)["retried_as"], new_id.as_str());
    assert_eq!(job(&app, &new_id)["retry_of"], id.as_str());
    assert!(job(&app, &new_id)["retried_as"].is_null());
    let again = app.send(ApiRequest::new("POST", &format!("/api/jobs/{id}/retry")));
    assert_error(&again, 409, &format!("retried already, as job {new_id}"));
    let queued = app.get("/api/jobs?status=queued").json_body();
    assert_eq!(queued["items"].as_array().unwrap().len(), 1, "{queued}");
    // The retry can be retried in its turn once it fails.
    app.send(ApiRequest::new(
        "POST",
        &format!("/api/jobs/{new_id}/cancel"),
    ));
    let third = app.send(ApiRequest::new(
        "POST",
        &format!("/api/jobs/{new_id}/retry"),
    ));
    assert_eq!(third.status, 202);
}

#[test]
fn a_retry_refused_for_a_full_queue_can_be_made_later() {
    let app = App::with_settings(Settings {
        max_queued_jobs: 1,
        ..Settings::default()
    });
    app.put("/api/brand-data/acme.json", BRAND);
    let id = submit_brief(&app, "Cancelled");
    app.send(ApiRequest::new("POST", &format!("/api/jobs/{id}/cancel")));
    let blocker = submit_brief(&app, "Blocker");
    let full = app.send(ApiRequest::new("POST", &format!("/api/jobs/{id}/retry")));
    assert_error(&full, 429, "queue is full");
    assert!(job(&app, &id)["retried_as"].is_null());
    app.send(ApiRequest::new(
        "POST",
        &format!("/api/jobs/{blocker}/cancel"),
    ));
    let retried = app.send(ApiRequest::new("POST", &format!("/api/jobs/{id}/retry")));
    assert_eq!(
        retried.status,
        202,
        "{}",
        String::from_utf8_lossy(&retried.body)
    );
}

#[test]
fn job_listing_is_newest_first_filtered_and_paged() {
    let app = app();
    let ids: Vec<String> = (0..7)
        .map(|i| submit_brief(&app, &format!("List {i}")))
        .collect();
    claim(&app, "r1", 2);
    let all = app.get("/api/jobs?limit=3").json_body();
    let first: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(first, [&ids[6], &ids[5], &ids[4]]);
    let cursor = all["next_cursor"].as_str().unwrap();
    let more = app
        .get(&format!("/api/jobs?limit=10&cursor={cursor}"))
        .json_body();
    assert_eq!(more["items"].as_array().unwrap().len(), 4);
    let running = app.get("/api/jobs?status=running").json_body();
    assert_eq!(running["items"].as_array().unwrap().len(), 2);
    assert_error(&app.get("/api/jobs?status=bogus"), 400, "bogus");
    assert_error(&app.get("/api/jobs?limit=0"), 400, "limit");
}

#[test]
fn a_full_queue_refuses_submits_with_retry_after_and_queues_nothing() {
    let app = App::with_settings(Settings {
        max_queued_jobs: 2,
        ..Settings::default()
    });
    app.put("/api/brand-data/acme.json", BRAND);
    let first = submit_brief(&app, "One");
    submit_brief(&app, "Two");
    let keys_before = app.store.keys();

    let body = json!({"title": "Three", "primary_keyword": "bread", "brand_data": "acme.json"});
    let refused = app.post_json("/api/briefs/generate", &body);
    assert_error(&refused, 429, "queue is full");
    assert_eq!(refused.header("retry-after"), Some("30"));
    assert_eq!(
        app.store.keys(),
        keys_before,
        "a refused submit writes nothing"
    );
    assert_eq!(app.get("/health").json_body()["queued_jobs"], 2);

    // A retry queues a job too, so it is held to the same cap.
    app.send(ApiRequest::new(
        "POST",
        &format!("/api/jobs/{first}/cancel"),
    ));
    submit_brief(&app, "Three");
    let retry = app.send(ApiRequest::new("POST", &format!("/api/jobs/{first}/retry")));
    assert_error(&retry, 429, "queue is full");

    // A place freed by a claim is taken again.
    claim(&app, "r1", 1);
    assert_eq!(
        app.post_json("/api/briefs/generate", &body).status,
        202,
        "room again once a job left the queue"
    );
}

#[test]
fn json_bodies_over_64_kib_are_refused_before_parsing() {
    let app = app();
    let limit = ::protocol::limits::MAX_JSON_BODY_BYTES;
    // Valid JSON, so only its size can be the reason.
    let padded = |len: usize| {
        let mut body =
            json!({"title": "t", "primary_keyword": "k", "brand_data": "acme.json", "pad": ""})
                .to_string();
        let pad = len - body.len();
        body = body.replace("\"pad\":\"\"", &format!("\"pad\":\"{}\"", "x".repeat(pad)));
        assert_eq!(body.len(), len);
        body
    };
    let send = |body: String| {
        app.send(
            ApiRequest::new("POST", "/api/briefs/generate")
                .with_header("content-type", "application/json")
                .with_body(body),
        )
    };
    assert_eq!(
        send(padded(limit)).status,
        202,
        "exactly at the limit is read"
    );
    let keys_before = app.store.keys();
    assert_error(
        &send(padded(limit + 1)),
        413,
        "over the limit of 65536 bytes",
    );
    assert_eq!(app.store.keys(), keys_before);
    // The same holds for the runner protocol's JSON and the account endpoints.
    let login = app.send_as_is(
        ApiRequest::new("POST", "/api/auth/login")
            .with_header("content-type", "application/json")
            .with_body(format!("{{\"email\":\"{}\"}}", "a".repeat(limit))),
    );
    assert_eq!(login.status, 413);
}
