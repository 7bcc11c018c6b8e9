//! Jobs through the contract, from the content team's side: generate requests, the listing,
//! cancel, retry and removal; and batches.

use super::*;

/// Jobs from the content team's side: queued, read, cancelled, retried and removed. Returns the
/// brand-data job left queued, for the runner to take.
pub(super) fn job_flows(app: &App) -> String {
    let brand = expect(
        app.post_json(
            "/api/brand-data/generate",
            &json!({"brand_name": "Bakery Co", "urls": ["https://bakery.example/about"]}),
        ),
        202,
    );
    let brand_job = brand.json_body()["job_id"].as_str().unwrap().to_owned();
    expect(
        app.post_json(
            "/api/briefs/generate",
            &json!({"title": "Sourdough", "primary_keyword": "bread", "secondary_keywords": ["starter"], "brand_data": "acme.json"}),
        ),
        202,
    );
    let draft = expect(
        app.post_json(
            "/api/drafts/generate",
            &json!({"brief": "intro.md", "brand_data": "acme.json", "target_word_count": 1500}),
        ),
        202,
    );
    let draft_job = draft.json_body()["job_id"].as_str().unwrap().to_owned();
    expect(
        app.post_json(
            "/api/briefs/generate",
            &json!({"title": "T", "primary_keyword": "k", "brand_data": "nope.json"}),
        ),
        422,
    );
    expect(
        app.post_json("/api/briefs/generate", &json!({"primary_keyword": "k"})),
        400,
    );
    expect(
        app.send(ApiRequest::new("POST", "/api/drafts/generate").with_body("{}")),
        415,
    );
    // Queued jobs and no runner yet.
    assert_eq!(
        expect(app.get("/health"), 200).json_body()["status"],
        "degraded"
    );
    expect(app.get("/api/jobs?status=queued&limit=2"), 200);
    expect(app.get("/api/jobs?status=lost"), 400);
    expect(app.get(&format!("/api/jobs/{draft_job}")), 200);
    expect(app.get(&format!("/api/jobs/{draft_job}/prompt")), 200);
    expect(app.get("/api/jobs/0-0"), 404);
    expect(
        app.send(ApiRequest::new(
            "POST",
            &format!("/api/jobs/{draft_job}/cancel"),
        )),
        202,
    );
    expect(
        app.send(ApiRequest::new(
            "POST",
            &format!("/api/jobs/{draft_job}/cancel"),
        )),
        409,
    );
    let retried = expect(
        app.send(ApiRequest::new(
            "POST",
            &format!("/api/jobs/{draft_job}/retry"),
        )),
        202,
    );
    assert_eq!(retried.json_body()["retry_of"], json!(draft_job));
    let retried_id = retried.json_body()["job_id"].as_str().unwrap().to_owned();
    expect(
        app.send(ApiRequest::new(
            "DELETE",
            &format!("/api/jobs/{retried_id}"),
        )),
        409,
    );
    expect(
        app.send(ApiRequest::new("DELETE", &format!("/api/jobs/{draft_job}"))),
        204,
    );
    expect(
        app.send(ApiRequest::new("DELETE", &format!("/api/jobs/{draft_job}"))),
        404,
    );
    expect(
        app.send(ApiRequest::new(
            "POST",
            &format!("/api/jobs/{brand_job}/retry"),
        )),
        409,
    );
    brand_job
}

/// A batch queued, followed and cancelled; a bad one refused.
pub(super) fn batch_flows(app: &App) {
    let item = json!({"brief": "intro.md", "brand_data": "acme.json", "target_word_count": 900});
    let queued = expect(
        app.post_json(
            "/api/drafts/generate/batch",
            &json!({"items": [item, item]}),
        ),
        202,
    )
    .json_body();
    let id = queued["batch_id"].as_str().unwrap();
    expect(
        app.post_json("/api/drafts/generate/batch", &json!({"items": [item, {}]})),
        400,
    );
    expect(app.get(&format!("/api/batches/{id}")), 200);
    expect(app.get("/api/batches/0-1"), 404);
    expect(
        app.send(ApiRequest::new(
            "POST",
            &format!("/api/batches/{id}/cancel"),
        )),
        202,
    );
}
