//! Every route of the route table × every kind of caller → the status class it must get. The
//! expectations are written here, apart from the component's own table, by a `match` without a
//! wildcard: a new endpoint does not compile until its row is added.

use api_component::routes::{Endpoint, ROUTES};
use api_component::settings::Settings;
use serde_json::json;

use super::*;

/// What this test expects an endpoint to need.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Anyone,
    Viewer,
    Editor,
    Admin,
    Runner,
}

fn expected(endpoint: Endpoint) -> Expect {
    use Endpoint::*;
    match endpoint {
        Health => Expect::Anyone,
        AuthLogin | AuthLogout | AuthAccept | AuthLink => Expect::Anyone,
        OpenApi | Render | Me => Expect::Viewer,
        JobsList | JobGet | JobLogs | JobEvents => Expect::Viewer,
        DocsList | DocGet | DocPreview | DocQuality => Expect::Viewer,
        JobPrompt => Expect::Editor,
        DocVersions | DocVersionGet | TrashList => Expect::Viewer,
        DocVersionRestore | TrashRestore => Expect::Editor,
        GenerateBatch | BatchCancel => Expect::Editor,
        BatchGet => Expect::Viewer,
        Revise | ProposalApprove | ProposalReject => Expect::Editor,
        ProposalGet => Expect::Viewer,
        TokensList | TokensCreate | TokenDelete => Expect::Viewer,
        JobCancel | JobRetry | JobDelete | Generate => Expect::Editor,
        DocsUpload | DocPut | DocDelete => Expect::Editor,
        UsersList | UsersCreate | UserPatch => Expect::Admin,
        RunnerTokensList | RunnerTokensCreate | RunnersList => Expect::Admin,
        SignInLinks | AuditList => Expect::Admin,
        WebhookDeliveries | WebhookTest | WebhookRetry => Expect::Admin,
        Search | Usage => Expect::Viewer,
        SearchRebuild => Expect::Admin,
        RunnerClaim | RunnerClaimStop | RunnerHeartbeat => Expect::Runner,
        RunnerLogChunk | RunnerOutput | RunnerFinish => Expect::Runner,
    }
}

/// The callers of the matrix.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Caller {
    Nobody,
    Viewer,
    Editor,
    Admin,
    /// A runner token bound to the runner that holds the job.
    Runner,
    /// A runner token bound to another runner.
    OtherRunner,
    RevokedToken,
    ExpiredSession,
}

const CALLERS: [Caller; 8] = [
    Caller::Nobody,
    Caller::Viewer,
    Caller::Editor,
    Caller::Admin,
    Caller::OtherRunner,
    Caller::RevokedToken,
    Caller::ExpiredSession,
    // Last: its writes (finishing the job) would change what the others see.
    Caller::Runner,
];

/// `Some(status)` the caller must get, or `None` where it must get past access control (any
/// status but 401 and 403: the handler may still refuse the dummy request).
fn verdict(need: Expect, caller: Caller) -> Option<u16> {
    use Caller as C;
    match (need, caller) {
        // A revoked bearer token is refused everywhere, so it never passes unnoticed.
        (_, C::RevokedToken) => Some(401),
        (Expect::Anyone, _) => None,
        (_, C::Nobody | C::ExpiredSession) => Some(401),
        (Expect::Runner, C::Runner) => None,
        (Expect::Runner, _) => Some(403),
        (_, C::Runner | C::OtherRunner) => Some(403),
        (Expect::Viewer, _) => None,
        (Expect::Editor, C::Viewer) => Some(403),
        (Expect::Editor, _) => None,
        (Expect::Admin, C::Admin) => None,
        (Expect::Admin, _) => Some(403),
    }
}

struct Fixture {
    app: App,
    viewer: String,
    /// Another viewer session, left to expire.
    expiring: String,
    editor_token: String,
    revoked: String,
    runner: String,
    other_runner: String,
    job: String,
}

fn fixture() -> Fixture {
    let app = App::with_settings(Settings {
        session_hours: 1,
        ..Settings::default()
    });
    app.put(
        "/api/brand-data/acme.json",
        r#"{"brandInfo": {"companyName": "Acme"}}"#,
    );
    app.put("/api/briefs/a.md", "# A brief\n\nText.");
    let viewer = user_session(&app, "viewer@example.com", "viewer", "viewer password");
    let editor = user_session(&app, "editor@example.com", "editor", "editor password");
    let resp = app.send_as_is(json_req(
        "POST",
        "/api/auth/login",
        &json!({"email": "viewer@example.com", "password": "viewer password"}),
    ));
    assert_eq!(resp.status, 200);
    let expiring = session_cookie(&resp);
    let editor_token = create_token(&app, &editor, "editor");
    let revoked = create_token(&app, &editor, "viewer");
    let list = app.send(with_cookie(ApiRequest::new("GET", "/api/tokens"), &editor));
    let revoked_id = list.json_body()["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["role"] == "viewer")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let resp = app.delete(&format!("/api/tokens/{revoked_id}"));
    assert_eq!(resp.status, 200);
    let (runner, _) = runner_token(&app, "r1");
    let (other_runner, _) = runner_token(&app, "r2");
    let resp = app.post_json(
        "/api/briefs/generate",
        &json!({"title": "T", "primary_keyword": "k", "brand_data": "acme.json"}),
    );
    assert_eq!(resp.status, 202);
    let job = resp.json_body()["job_id"].as_str().unwrap().to_owned();
    let resp = app.send(
        json_req(
            "POST",
            "/api/runner/claim",
            &json!({"runner": "r1", "slots": 1}),
        )
        .with_header("Authorization", &format!("Bearer {runner}")),
    );
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    assert_eq!(resp.json_body()["jobs"][0]["id"], job.as_str());
    Fixture {
        app,
        viewer,
        expiring,
        editor_token,
        revoked,
        runner,
        other_runner,
        job,
    }
}

/// A concrete request for a route: its parameters filled in, a body that passes parsing where
/// one is needed (so that a runner bound to another name meets the binding, not a 400).
fn request(method: &str, pattern: &str, endpoint: Endpoint, job: &str) -> ApiRequest {
    let path = pattern
        .replace("{collection}", "briefs")
        .replace("{name}", "a.md")
        .replace(
            "{id}",
            if pattern.contains("/users/") || pattern.contains("/tokens/") {
                "x"
            } else {
                job
            },
        )
        .replace("{attempt}", "1")
        .replace("{chunk}", "0")
        .replace("{index}", "0");
    use Endpoint::*;
    let body = match endpoint {
        RunnerClaim => json!({"runner": "r1", "slots": 1}),
        RunnerClaimStop => json!({"runner": "r1"}),
        RunnerHeartbeat => json!({"runner": "r1", "jobs": [{"id": job, "attempt": 1}]}),
        RunnerLogChunk => {
            json!({"lines": [{"ts": "2026-01-01T00:00:00Z", "stream": "stdout", "kind": "text", "text": "x"}]})
        }
        RunnerFinish => json!({"status": "failed", "log_chunks": 1, "error": "matrix"}),
        _ => json!({}),
    };
    let req = ApiRequest::new(method, &path);
    match endpoint {
        RunnerOutput => req
            .with_header("content-type", "application/octet-stream")
            .with_body("output"),
        DocPut => req.with_body("# Changed\n"),
        _ if endpoint.takes_json() => req
            .with_header("content-type", "application/json")
            .with_body(body.to_string()),
        _ => req,
    }
}

/// The route table with signing out last, so that it ends the viewer's session after the
/// viewer's other requests.
fn routes() -> Vec<(&'static str, &'static str, Endpoint)> {
    let (mut routes, last): (Vec<_>, Vec<_>) = ROUTES
        .iter()
        .copied()
        .partition(|(_, _, e)| *e != Endpoint::AuthLogout);
    routes.extend(last);
    routes
}

#[test]
fn every_route_answers_every_caller_as_the_role_table_says() {
    let f = fixture();
    let mut failures = Vec::new();
    let mut checked = 0;
    for caller in CALLERS {
        if caller == Caller::ExpiredSession {
            continue;
        }
        for (method, pattern, endpoint) in routes() {
            let req = request(method, pattern, endpoint, &f.job);
            let req = match caller {
                Caller::Nobody => req,
                Caller::Viewer => with_cookie(req, &f.viewer),
                Caller::Editor => bearer(req, &f.editor_token),
                Caller::Admin => bearer(req, crate::support::ADMIN_TOKEN),
                Caller::Runner => bearer(req, &f.runner),
                Caller::OtherRunner => bearer(req, &f.other_runner),
                Caller::RevokedToken => bearer(req, &f.revoked),
                Caller::ExpiredSession => unreachable!(),
            };
            let resp = f.app.send_as_is(req);
            checked += 1;
            check(&mut failures, caller, method, pattern, endpoint, &resp);
        }
    }
    // Expired sessions: the clock moves past `session_hours`, so this runs last.
    f.app.advance(2 * 3_600_000);
    for (method, pattern, endpoint) in routes() {
        let req = with_cookie(request(method, pattern, endpoint, &f.job), &f.expiring);
        let resp = f.app.send_as_is(req);
        checked += 1;
        check(
            &mut failures,
            Caller::ExpiredSession,
            method,
            pattern,
            endpoint,
            &resp,
        );
    }
    assert_eq!(checked, ROUTES.len() * CALLERS.len());
    assert!(
        failures.is_empty(),
        "{} wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn check(
    failures: &mut Vec<String>,
    caller: Caller,
    method: &str,
    pattern: &str,
    endpoint: Endpoint,
    resp: &ApiResponse,
) {
    let want = verdict(expected(endpoint), caller);
    let ok = match want {
        Some(status) => resp.status == status,
        None => resp.status != 401 && resp.status != 403,
    };
    if !ok {
        failures.push(format!(
            "{caller:?} {method} {pattern}: got {} {}, want {}",
            resp.status,
            String::from_utf8_lossy(&resp.body),
            want.map_or("past access control".to_owned(), |s| s.to_string())
        ));
    }
}

#[test]
fn the_expectations_agree_with_the_components_table() {
    use api_component::access::{Need, Role, need};
    for (_, pattern, endpoint) in ROUTES {
        let mine = match need(*endpoint) {
            Need::Public => Expect::Anyone,
            Need::Role(Role::Viewer) => Expect::Viewer,
            Need::Role(Role::Editor) => Expect::Editor,
            Need::Role(Role::Admin) => Expect::Admin,
            Need::Runner => Expect::Runner,
        };
        assert_eq!(mine, expected(*endpoint), "{pattern}");
    }
}
