//! Accounts and access: the role matrix over the whole route table, sign-in, invites, tokens,
//! runner tokens, sessions, rate limits and the audit log.

mod flows;
mod matrix;
mod tokens;

use api_component::http::{ApiRequest, ApiResponse};
use serde_json::{Value, json};

use crate::support::{App, RUNNER_TOKEN, link_code};

/// A JSON request as a browser or client sends it.
fn json_req(method: &str, target: &str, body: &Value) -> ApiRequest {
    ApiRequest::new(method, target)
        .with_header("content-type", "application/json")
        .with_body(body.to_string())
}

fn bearer(req: ApiRequest, token: &str) -> ApiRequest {
    req.with_header("Authorization", &format!("Bearer {token}"))
}

pub(crate) fn with_cookie(req: ApiRequest, cookie: &str) -> ApiRequest {
    req.with_header("Cookie", cookie)
}

/// `name=value` of the session cookie a response sets.
fn session_cookie(resp: &ApiResponse) -> String {
    let set = resp
        .header("set-cookie")
        .unwrap_or_else(|| panic!("no cookie set: {}", String::from_utf8_lossy(&resp.body)));
    set.split(';').next().unwrap().to_owned()
}

/// Creates a user with `role` (as the admin) and accepts the invite: the session cookie.
pub(crate) fn user_session(app: &App, email: &str, role: &str, password: &str) -> String {
    let resp = app.post_json("/api/users", &json!({"email": email, "role": role}));
    assert_eq!(resp.status, 201, "{}", String::from_utf8_lossy(&resp.body));
    let url = resp.json_body()["invite_url"].as_str().unwrap().to_owned();
    let invite = link_code(&url, "invite");
    let resp = app.send_as_is(json_req(
        "POST",
        "/api/auth/accept",
        &json!({"invite": invite, "password": password}),
    ));
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    session_cookie(&resp)
}

/// A token created by whoever `req_credential` makes the request.
fn create_token(app: &App, cookie: &str, role: &str) -> String {
    let resp = app.send(with_cookie(
        json_req("POST", "/api/tokens", &json!({"name": "ci", "role": role})),
        cookie,
    ));
    assert_eq!(resp.status, 201, "{}", String::from_utf8_lossy(&resp.body));
    resp.json_body()["token"].as_str().unwrap().to_owned()
}

/// A runner token bound to `runner` (created by the admin).
fn runner_token(app: &App, runner: &str) -> (String, String) {
    let resp = app.post_json("/api/runners/tokens", &json!({"runner": runner}));
    assert_eq!(resp.status, 201, "{}", String::from_utf8_lossy(&resp.body));
    let body = resp.json_body();
    (
        body["token"].as_str().unwrap().to_owned(),
        body["id"].as_str().unwrap().to_owned(),
    )
}

/// The shared runner token, for contrast with bound ones.
#[allow(dead_code)]
const SHARED: &str = RUNNER_TOKEN;
