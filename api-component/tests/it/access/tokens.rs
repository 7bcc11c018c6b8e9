//! API tokens and runner tokens: shown once, stored as digests, capped, bound and revoked.

use api_component::store::Store;
use serde_json::json;

use super::*;
use crate::support::assert_error;

#[test]
fn api_tokens_are_shown_once_capped_by_role_and_revoked_at_once() {
    let app = App::new();
    let viewer = user_session(&app, "v@example.com", "viewer", "viewer password");
    let editor = user_session(&app, "e@example.com", "editor", "editor password");
    let create = |cookie: &str, role: &str| {
        app.send_as_is(with_cookie(
            json_req(
                "POST",
                "/api/tokens",
                &json!({"name": "laptop", "role": role}),
            ),
            cookie,
        ))
    };
    assert_error(&create(&viewer, "editor"), 403, "at most yours");
    assert_error(
        &app.send_as_is(with_cookie(
            json_req(
                "POST",
                "/api/tokens",
                &json!({"name": " ", "role": "viewer"}),
            ),
            &viewer,
        )),
        400,
        "name",
    );
    let resp = create(&viewer, "viewer");
    assert_eq!(resp.status, 201);
    let body = resp.json_body();
    let (token, id) = (
        body["token"].as_str().unwrap().to_owned(),
        body["id"].as_str().unwrap().to_owned(),
    );
    assert!(token.starts_with("cwm_") && token.len() == 68, "{token}");
    // Only a digest is stored: the secret appears in no key or value.
    for key in app.store.keys() {
        let value = app.store.get(&key).unwrap().unwrap_or_default();
        assert!(
            !key.contains(&token) && !String::from_utf8_lossy(&value).contains(&token),
            "{key}"
        );
    }
    let use_token = |t: &str| app.send_as_is(bearer(ApiRequest::new("GET", "/api/me"), t));
    assert_eq!(use_token(&token).json_body()["via"], "token");
    // The list shows it without the secret; others see their own only, the admin all.
    let list = app
        .send_as_is(with_cookie(ApiRequest::new("GET", "/api/tokens"), &viewer))
        .json_body();
    assert_eq!(list["tokens"][0]["id"], id.as_str());
    assert!(!list.to_string().contains(&token));
    let theirs = app
        .send_as_is(with_cookie(ApiRequest::new("GET", "/api/tokens"), &editor))
        .json_body();
    assert_eq!(theirs["tokens"].as_array().unwrap().len(), 0);
    assert_eq!(
        app.get("/api/tokens").json_body()["tokens"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Someone else cannot revoke it (and cannot tell it exists); the owner can.
    let revoke = |cookie: &str| {
        app.send_as_is(with_cookie(
            ApiRequest::new("DELETE", &format!("/api/tokens/{id}")),
            cookie,
        ))
    };
    assert_error(&revoke(&editor), 404, "no token");
    assert_eq!(use_token(&token).status, 200);
    let resp = revoke(&viewer);
    assert_eq!(resp.status, 200);
    assert!(resp.json_body()["token"]["revoked_at"].is_string());
    assert_error(&use_token(&token), 401, "unknown or revoked");
    // Even on a public endpoint, so a client learns at once.
    assert_eq!(
        app.send_as_is(bearer(ApiRequest::new("GET", "/health"), &token))
            .status,
        401
    );
    assert_error(&use_token("cwm_0000"), 401, "unknown or revoked");
}

#[test]
fn runner_tokens_bind_a_name_and_its_attempts() {
    let app = App::new();
    app.put(
        "/api/brand-data/acme.json",
        r#"{"brandInfo": {"companyName": "Acme"}}"#,
    );
    let (r1, r1_id) = runner_token(&app, "r1");
    let (r2, _) = runner_token(&app, "r2");
    assert_error(
        &app.post_json("/api/runners/tokens", &json!({"runner": "has space"})),
        400,
        "",
    );
    let runner = |token: &str, method: &str, target: &str, body: Value| {
        app.send_as_is(bearer(json_req(method, target, &body), token))
    };
    let resp = app.post_json(
        "/api/briefs/generate",
        &json!({"title": "T", "primary_keyword": "k", "brand_data": "acme.json"}),
    );
    let job = resp.json_body()["job_id"].as_str().unwrap().to_owned();
    // r2's token cannot claim as r1.
    assert_error(
        &runner(
            &r2,
            "POST",
            "/api/runner/claim",
            json!({"runner": "r1", "slots": 1}),
        ),
        403,
        "belongs to the runner r2",
    );
    let resp = runner(
        &r1,
        "POST",
        "/api/runner/claim",
        json!({"runner": "r1", "slots": 1}),
    );
    assert_eq!(resp.json_body()["jobs"][0]["id"], job.as_str());
    // r2 cannot touch r1's attempt, under its own name either.
    let finish = json!({"status": "completed", "log_chunks": 0});
    let target = format!("/api/runner/jobs/{job}/1/finish");
    assert_error(
        &runner(&r2, "POST", &target, finish.clone()),
        403,
        "not held by the runner r2",
    );
    let beat = runner(
        &r2,
        "POST",
        "/api/runner/heartbeat",
        json!({"runner": "r2", "jobs": [{"id": job, "attempt": 1}]}),
    );
    assert_eq!(beat.json_body()["jobs"][0]["action"], "abandon");
    // The shared token still works for any name (existing deployments).
    let shared = runner(
        RUNNER_TOKEN,
        "POST",
        "/api/runner/heartbeat",
        json!({"runner": "r1", "jobs": [{"id": job, "attempt": 1}]}),
    );
    assert_eq!(shared.json_body()["jobs"][0]["action"], "continue");
    // The runner list shows both runners seen.
    let runners = app.get("/api/runners").json_body();
    let names: Vec<&str> = runners["runners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["r1", "r2"]);
    assert!(runners["runners"][0]["last_seen"].is_string());
    // Revoked: r1 is refused on its next call.
    assert_eq!(app.delete(&format!("/api/tokens/{r1_id}")).status, 200);
    assert_error(
        &runner(&r1, "POST", &target, finish),
        401,
        "unknown or revoked",
    );
    let listed = app.get("/api/runners/tokens").json_body();
    assert_eq!(listed["tokens"].as_array().unwrap().len(), 2);
    assert!(listed["tokens"][1]["revoked_at"].is_string(), "{listed}");
}
