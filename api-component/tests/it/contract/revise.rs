//! Revise with AI through the contract: a proposal approved by hunk, one left stale.

use super::*;

/// Revise with AI, on an app of its own (its runner takes the revisions and nothing else): one
/// proposal approved by hunk, one left stale by an edit and rejected.
pub(super) fn revise_flows(app: &App) {
    expect(
        app.put("/api/briefs/plan.md", "# Plan\n\nOld words here.\n"),
        201,
    );
    expect(app.put("/api/brand-data/acme.json", BRAND), 201);
    let revise = |body: &Value| app.post_json("/api/briefs/plan.md/revise", body);
    expect(revise(&json!({"instructions": ""})), 400);
    expect(
        revise(&json!({"instructions": "x", "base_etag": "\"999\""})),
        412,
    );
    expect(
        app.post_json(
            "/api/brand-data/acme.json/revise",
            &json!({"instructions": "x"}),
        ),
        404,
    );
    let mut ids = Vec::new();
    for _ in 0..2 {
        let queued = expect(revise(&json!({"instructions": "Say new words."})), 202);
        ids.push(queued.json_body()["job_id"].as_str().unwrap().to_owned());
    }
    expect(app.get(&format!("/api/proposals/{}", ids[0])), 404);
    let claim = expect(
        app.send(runner_call(
            "POST",
            "/api/runner/claim",
            &json!({"runner": "r1", "slots": 2}),
        )),
        200,
    )
    .json_body();
    assert_eq!(claim["jobs"].as_array().map(Vec::len), Some(2), "{claim}");
    for id in &ids {
        let base = format!("/api/runner/jobs/{id}/1");
        expect(
            app.runner(
                "PUT",
                &format!("{base}/outputs/0"),
                "# Plan\n\nNew words here.\n",
            ),
            200,
        );
        expect(
            app.send(runner_call(
                "POST",
                &format!("{base}/finish"),
                &json!({"status": "completed", "log_chunks": 0}),
            )),
            200,
        );
    }
    let proposal = expect(app.get(&format!("/api/proposals/{}", ids[0])), 200).json_body();
    assert!(proposal["hunk_count"].as_u64().unwrap() >= 1, "{proposal}");
    let approve =
        |id: &str, body: &Value| app.post_json(&format!("/api/proposals/{id}/approve"), body);
    expect(approve(&ids[0], &json!({"hunks": [99]})), 400);
    expect(approve(&ids[0], &json!({"hunks": [0]})), 200);
    expect(approve(&ids[0], &json!({})), 409);
    // The document moved on: the second proposal is stale, and is rejected instead.
    expect(approve(&ids[1], &json!({})), 409);
    let reject = |id: &str| {
        app.send(ApiRequest::new(
            "POST",
            &format!("/api/proposals/{id}/reject"),
        ))
    };
    expect(reject(&ids[1]), 200);
    expect(reject(&ids[1]), 409);
    expect(app.get("/api/proposals/0-0"), 404);
}
