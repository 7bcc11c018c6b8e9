//! Accounts and the request guards through the contract: invites, sign-in, tokens, runner
//! tokens, the audit log; other sites' writes and other hosts refused.

use super::*;

/// Accounts: invites, sign-in, tokens, runner tokens, the audit log.
pub(super) fn access_flows(app: &App) {
    let invited = expect(
        app.send(json_post(
            "/api/users",
            &json!({"email": "ed@example.com", "role": "editor"}),
        )),
        201,
    )
    .json_body();
    let invite = link_code(invited["invite_url"].as_str().unwrap(), "invite");
    let id = invited["user"]["id"].as_str().unwrap().to_owned();
    expect(
        app.send_as_is(json_post(
            "/api/auth/accept",
            &json!({"invite": invite, "password": "a long password"}),
        )),
        200,
    );
    let login = expect(
        app.send_as_is(json_post(
            "/api/auth/login",
            &json!({"email": "ed@example.com", "password": "a long password"}),
        )),
        200,
    );
    let cookie = login
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let as_ed = |req: ApiRequest| app.send_as_is(req.with_header("cookie", &cookie));
    expect(as_ed(ApiRequest::new("GET", "/api/me")), 200);
    expect(
        app.send_as_is(json_post(
            "/api/auth/login",
            &json!({"email": "ed@example.com", "password": "wrong password"}),
        )),
        401,
    );
    expect(app.send_as_is(ApiRequest::new("GET", "/api/jobs")), 401);
    expect(app.get("/api/users"), 200);
    let token = expect(
        as_ed(json_post(
            "/api/tokens",
            &json!({"name": "script", "role": "editor"}),
        )),
        201,
    )
    .json_body();
    expect(as_ed(ApiRequest::new("GET", "/api/tokens")), 200);
    expect(
        app.send(
            ApiRequest::new("PATCH", &format!("/api/users/{id}"))
                .with_header("content-type", "application/json")
                .with_body(json!({"role": "viewer"}).to_string()),
        ),
        200,
    );
    // A viewer now: the editor's write is refused.
    expect(
        as_ed(ApiRequest::new("DELETE", "/api/briefs/intro.md")),
        403,
    );
    let revoke = format!("/api/tokens/{}", token["id"].as_str().unwrap());
    expect(as_ed(ApiRequest::new("DELETE", &revoke)), 200);
    expect(
        app.send(json_post("/api/runners/tokens", &json!({"runner": "r9"}))),
        201,
    );
    expect(app.get("/api/runners/tokens"), 200);
    expect(app.get("/api/runners"), 200);
    let link = expect(
        app.send(ApiRequest::new("POST", "/api/auth/signin-links")),
        201,
    )
    .json_body();
    let code = link_code(link["url"].as_str().unwrap(), "signin");
    expect(
        app.send_as_is(json_post("/api/auth/link", &json!({"code": code}))),
        200,
    );
    expect(as_ed(ApiRequest::new("POST", "/api/auth/logout")), 204);
    expect(as_ed(ApiRequest::new("GET", "/api/me")), 401);
    expect(app.get("/api/audit?limit=5"), 200);
}

/// Refusals before any handler: other sites' writes and hosts this server is not.
pub(super) fn guard_flows(app: &App, strict: &App) {
    expect(
        app.send(
            json_post("/api/briefs/generate", &json!({"title": "x"}))
                .with_header("origin", "https://evil.example"),
        ),
        403,
    );
    expect(
        app.send(
            ApiRequest::new("DELETE", "/api/briefs/intro.md")
                .with_header("sec-fetch-site", "cross-site"),
        ),
        403,
    );
    expect(
        strict.send(ApiRequest::new("GET", "/health").with_header("host", "evil.example")),
        421,
    );
    expect(
        strict.send(
            runner_call("POST", "/api/runner/heartbeat", &json!({"runner": "r1"}))
                .with_header("host", "evil.example"),
        ),
        421,
    );
}
