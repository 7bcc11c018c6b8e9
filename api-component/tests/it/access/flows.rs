//! Sign-in, invites, sessions, tokens, runner tokens, rate limits and the audit log, as users
//! and runners meet them.

use api_component::settings::{AuthMode, Settings};
use serde_json::json;

use super::*;
use crate::support::{ADMIN_TOKEN, assert_error};

fn login(app: &App, email: &str, password: &str) -> ApiResponse {
    app.send_as_is(json_req(
        "POST",
        "/api/auth/login",
        &json!({"email": email, "password": password}),
    ))
}

fn me(app: &App, cookie: &str) -> ApiResponse {
    app.send_as_is(with_cookie(ApiRequest::new("GET", "/api/me"), cookie))
}

/// The action of each entry of a page of the audit log, newest first.
fn actions(page: &Value) -> Vec<&str> {
    page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect()
}

#[test]
fn invite_accept_sign_in_and_out() {
    let app = App::new();
    let resp = app.post_json(
        "/api/users",
        &json!({"email": " Ann@Example.com ", "role": "editor"}),
    );
    assert_eq!(resp.status, 201);
    let body = resp.json_body();
    assert_eq!(body["user"]["email"], "ann@example.com");
    assert_eq!(body["user"]["active"], false);
    assert!(body["user"].get("password").is_none());
    let invite = link_code(body["invite_url"].as_str().unwrap(), "invite");
    // No password yet: no way in.
    assert_error(
        &login(&app, "ann@example.com", "anything at all"),
        401,
        "wrong email or password",
    );
    // The same address twice is a conflict, and a bad one a 400.
    assert_error(
        &app.post_json(
            "/api/users",
            &json!({"email": "ann@example.com", "role": "viewer"}),
        ),
        409,
        "exists",
    );
    assert_error(
        &app.post_json(
            "/api/users",
            &json!({"email": "not an address", "role": "viewer"}),
        ),
        400,
        "email",
    );
    assert_error(
        &app.post_json(
            "/api/users",
            &json!({"email": "b@example.com", "role": "owner"}),
        ),
        400,
        "",
    );

    let accept = |password: &str| {
        app.send_as_is(json_req(
            "POST",
            "/api/auth/accept",
            &json!({"invite": invite, "password": password}),
        ))
    };
    assert_error(&accept("short"), 400, "at least");
    let resp = accept("a long enough password");
    assert_eq!(resp.status, 200);
    let set = resp.header("set-cookie").unwrap().to_owned();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(attr), "{set}");
    }
    assert!(
        !set.contains("Secure"),
        "plain http gets no Secure cookie: {set}"
    );
    // An invite works once.
    assert_error(
        &accept("another long password"),
        400,
        "unknown, used or expired",
    );

    assert_error(
        &login(&app, "ann@example.com", "a long enough passworD"),
        401,
        "wrong email or password",
    );
    assert_error(
        &login(&app, "nobody@example.com", "a long enough password"),
        401,
        "wrong email or password",
    );
    let resp = login(&app, "ANN@example.com", "a long enough password");
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json_body()["role"], "editor");
    let cookie = session_cookie(&resp);
    let who = me(&app, &cookie).json_body();
    assert_eq!(
        (
            who["kind"].as_str(),
            who["email"].as_str(),
            who["via"].as_str()
        ),
        (Some("user"), Some("ann@example.com"), Some("session"))
    );

    // Over https the cookie is Secure.
    let resp = app.send_as_is(
        json_req(
            "POST",
            "/api/auth/login",
            &json!({"email": "ann@example.com", "password": "a long enough password"}),
        )
        .with_header("spin-full-url", "https://cwm.example.com/api/auth/login"),
    );
    assert!(resp.header("set-cookie").unwrap().contains("; Secure"));

    let resp = app.send_as_is(with_cookie(
        ApiRequest::new("POST", "/api/auth/logout"),
        &cookie,
    ));
    assert_eq!(resp.status, 204);
    assert!(resp.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_error(&me(&app, &cookie), 401, "sign in again");
    // Signing in again works with the stale cookie still sent.
    let resp = app.send_as_is(with_cookie(
        json_req(
            "POST",
            "/api/auth/login",
            &json!({"email": "ann@example.com", "password": "a long enough password"}),
        ),
        &cookie,
    ));
    assert_eq!(resp.status, 200);
}

#[test]
fn sessions_expire_and_follow_the_users_current_role_and_status() {
    let app = App::with_settings(Settings {
        session_hours: 2,
        ..Settings::default()
    });
    let cookie = user_session(&app, "v@example.com", "editor", "viewer password");
    let id = app.get("/api/users").json_body()["users"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = create_token(&app, &cookie, "editor");
    let put = |credential: ApiRequest| app.send_as_is(credential);
    let doc = || ApiRequest::new("PUT", "/api/briefs/x.md").with_body("# X\n");
    assert_eq!(put(with_cookie(doc(), &cookie)).status, 201);
    // Lowering the role lowers the session and the user's tokens at once.
    let resp = app.send(json_req(
        "PATCH",
        &format!("/api/users/{id}"),
        &json!({"role": "viewer"}),
    ));
    assert_eq!(resp.status, 200);
    assert_error(&put(with_cookie(doc(), &cookie)), 403, "editor role");
    assert_error(&put(bearer(doc(), &token)), 403, "editor role");
    assert_eq!(
        app.send_as_is(bearer(ApiRequest::new("GET", "/api/briefs"), &token))
            .status,
        200
    );
    // Disabling locks them out.
    assert_eq!(
        app.send(json_req(
            "PATCH",
            &format!("/api/users/{id}"),
            &json!({"disabled": true})
        ))
        .status,
        200
    );
    assert_error(&me(&app, &cookie), 401, "disabled");
    assert_error(
        &app.send_as_is(bearer(ApiRequest::new("GET", "/api/briefs"), &token)),
        401,
        "disabled",
    );
    assert_error(
        &login(&app, "v@example.com", "viewer password"),
        401,
        "wrong email or password",
    );
    assert_eq!(
        app.send(json_req(
            "PATCH",
            &format!("/api/users/{id}"),
            &json!({"disabled": false})
        ))
        .status,
        200
    );
    assert_eq!(me(&app, &cookie).status, 200);
    assert_error(
        &app.send(json_req("PATCH", &format!("/api/users/{id}"), &json!({}))),
        400,
        "role or disabled",
    );
    assert_error(
        &app.send(json_req(
            "PATCH",
            "/api/users/nobody",
            &json!({"role": "viewer"}),
        )),
        404,
        "no user",
    );
    // Sessions end after session_hours.
    app.advance(2 * 3_600_000 + 1);
    assert_error(&me(&app, &cookie), 401, "sign in again");
}

#[test]
fn failed_sign_ins_are_limited_per_account_and_per_client() {
    let app = App::new();
    user_session(&app, "a@example.com", "viewer", "the right password");
    let from = |client: &str, email: &str, password: &str| {
        app.send_as_is(
            json_req(
                "POST",
                "/api/auth/login",
                &json!({"email": email, "password": password}),
            )
            .with_header("spin-client-addr", client),
        )
    };
    for _ in 0..10 {
        assert_eq!(
            from("10.0.0.1:5000", "a@example.com", "wrong password!").status,
            401
        );
    }
    // Over the limit even the right password is refused, from anywhere, until the window turns.
    let resp = from("10.0.0.2:5000", "a@example.com", "the right password");
    assert_error(&resp, 429, "too many failed sign-ins");
    let wait: i64 = resp.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=15 * 60).contains(&wait), "{wait}");
    app.advance(wait * 1000);
    assert_eq!(
        from("10.0.0.2:5000", "a@example.com", "the right password").status,
        200
    );
    // Per client: many accounts from one address.
    for i in 0..50 {
        assert_eq!(
            from(
                "10.0.0.3:1",
                &format!("u{i}@example.com"),
                "wrong password!"
            )
            .status,
            401
        );
    }
    assert_error(
        &from("10.0.0.3:2", "a@example.com", "the right password"),
        429,
        "client",
    );
    assert_eq!(
        from("10.0.0.4:2", "a@example.com", "the right password").status,
        200
    );
}

#[test]
fn the_audit_log_records_who_did_what_newest_first() {
    let app = App::new();
    let cookie = user_session(&app, "a@example.com", "editor", "the right password");
    assert_eq!(login(&app, "a@example.com", "wrong password!").status, 401);
    let token = create_token(&app, &cookie, "viewer");
    let id = app.get("/api/tokens").json_body()["tokens"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.delete(&format!("/api/tokens/{id}")).status, 200);
    let _ = token;
    app.put("/api/briefs/gone.md", "# Gone\n");
    // Documents say who created and who last changed them.
    let put = app.send(with_cookie(
        ApiRequest::new("PUT", "/api/briefs/gone.md").with_body("# Gone again\n"),
        &cookie,
    ));
    assert_eq!(put.status, 200);
    let item = put.json_body();
    assert_eq!(
        (item["created_by"].as_str(), item["updated_by"].as_str()),
        (Some("admin"), Some("a@example.com"))
    );
    assert_eq!(
        app.send(with_cookie(
            ApiRequest::new("DELETE", "/api/briefs/gone.md"),
            &cookie
        ))
        .status,
        204
    );
    let page = app.get("/api/audit?limit=3").json_body();
    assert_eq!(
        actions(&page),
        ["document_deleted", "token_revoked", "token_created"]
    );
    assert_eq!(page["entries"][0]["actor"], "a@example.com");
    assert_eq!(page["entries"][0]["target"], "briefs/gone.md");
    assert_eq!(page["entries"][1]["actor"], "admin");
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = app
        .get(&format!("/api/audit?limit=50&cursor={cursor}"))
        .json_body();
    assert_eq!(
        actions(&rest),
        ["sign_in_failed", "invite_accepted", "user_created"]
    );
    assert!(rest["next_cursor"].is_null());
    assert_error(&app.get("/api/audit?cursor=abc"), 400, "cursor");
}

#[test]
fn health_tells_strangers_only_the_status() {
    let app = App::new();
    let open = app
        .send_as_is(ApiRequest::new("GET", "/health"))
        .json_body();
    assert_eq!(open, json!({"status": "healthy"}));
    let full = app.get("/health").json_body();
    assert!(full["max_concurrent_jobs"].is_number() && full["version"].is_string());
}

#[test]
fn a_sign_in_link_opens_one_admin_session() {
    let app = App::new();
    let resp = app.send(
        ApiRequest::new("POST", "/api/auth/signin-links").with_header("host", "localhost:8080"),
    );
    assert_eq!(resp.status, 201);
    let url = resp.json_body()["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("http://localhost:8080/#signin="), "{url}");
    let code = link_code(&url, "signin");
    let use_link = || app.send_as_is(json_req("POST", "/api/auth/link", &json!({"code": code})));
    let resp = use_link();
    assert_eq!(resp.status, 200);
    let cookie = session_cookie(&resp);
    assert_eq!(me(&app, &cookie).json_body()["kind"], "admin");
    assert_error(&use_link(), 400, "unknown, used or expired");
}

#[test]
fn a_trusted_identity_header_maps_to_an_existing_user() {
    let app = App::with_settings(Settings {
        trusted_identity_header: Some("x-auth-request-email".into()),
        ..Settings::default()
    });
    app.post_json(
        "/api/users",
        &json!({"email": "p@example.com", "role": "viewer"}),
    );
    let as_proxy = |email: &str| {
        app.send_as_is(ApiRequest::new("GET", "/api/me").with_header("X-Auth-Request-Email", email))
    };
    let who = as_proxy("P@example.com").json_body();
    assert_eq!(
        (who["email"].as_str(), who["via"].as_str()),
        (Some("p@example.com"), Some("proxy"))
    );
    assert_error(&as_proxy("q@example.com"), 401, "no user has the address");
}

#[test]
fn with_auth_off_people_need_nothing_but_runners_still_do() {
    let app = App::with_settings(Settings {
        auth: AuthMode::Off,
        ..Settings::default()
    });
    let resp = app.send_as_is(ApiRequest::new("GET", "/api/me"));
    assert_eq!(resp.json_body()["via"], "off");
    assert_eq!(
        app.send_as_is(ApiRequest::new("PUT", "/api/briefs/a.md").with_body("# A\n"))
            .status,
        201
    );
    let claim = json_req("POST", "/api/runner/claim", &json!({"runner": "r1"}));
    assert_eq!(app.send_as_is(claim).status, 401);
    assert_eq!(
        app.send_as_is(ApiRequest::new("GET", "/health"))
            .json_body()["max_concurrent_jobs"],
        3
    );
    let _ = ADMIN_TOKEN;
}
