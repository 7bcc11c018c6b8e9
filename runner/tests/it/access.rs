//! A fresh host is locked: `runner up` makes its admin token, keeps it private, and prints a
//! one-time link that signs the operator's browser in.

use std::os::unix::fs::PermissionsExt as _;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::api::{block_on, json_of};
use crate::harness::{EXIT_TIMEOUT, Host};

/// `runner up` as a new user starts it: no admin token configured.
fn fresh_up(data_dir: &std::path::Path) -> Host {
    Host::up_with_env(
        &["--claude", "/bin/false"],
        data_dir,
        &[("SPIN_VARIABLE_ADMIN_TOKEN", "")],
    )
}

#[test]
fn a_fresh_runner_up_is_locked_and_its_link_signs_the_browser_in() {
    let data = tempfile::tempdir().unwrap();
    let mut host = fresh_up(data.path());
    let link = host.wait_for_stdout_line("sign-in link: ", Duration::from_secs(60));
    let prefix = format!("http://{}/#signin=", host.addr);
    let code = link
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{link} does not start with {prefix}"))
        .to_owned();

    let token_file = data.path().join("admin-token");
    let token = std::fs::read_to_string(&token_file)
        .unwrap()
        .trim()
        .to_owned();
    assert!(token.len() >= 32, "{token:?}");
    let mode = std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the admin token is readable by others");

    // A plain client, with no credential of its own.
    let plain = reqwest::Client::new();
    block_on(async {
        let briefs = host.url("/api/briefs");
        assert_eq!(
            plain.get(&briefs).send().await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
        let health = json_of(plain.get(host.url("/health"))).await;
        assert_eq!(health.as_object().unwrap().len(), 1, "{health}");

        // The link, as the page's script uses it: the code for a session cookie, once.
        let exchange = || {
            plain
                .post(host.url("/api/auth/link"))
                .json(&json!({ "code": code }))
                .send()
        };
        let resp = exchange().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let cookie = resp.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let me = json_of(plain.get(host.url("/api/me")).header("cookie", &cookie)).await;
        assert_eq!(
            (me["kind"].as_str(), me["role"].as_str()),
            (Some("admin"), Some("admin"))
        );
        assert_eq!(exchange().await.unwrap().status(), StatusCode::BAD_REQUEST);

        // The token in the file is the admin's bearer token.
        let resp = plain.get(&briefs).bearer_auth(&token).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
    });
    host.terminate();
    assert!(host.wait_exit(EXIT_TIMEOUT).success(), "{}", host.stderr());

    // A restart keeps the same token (the file is read, not replaced).
    let mut again = fresh_up(data.path());
    again.wait_for_stdout_line("sign-in link: ", Duration::from_secs(60));
    let kept = std::fs::read_to_string(&token_file)
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(kept, token);
    again.terminate();
    assert!(
        again.wait_exit(EXIT_TIMEOUT).success(),
        "{}",
        again.stderr()
    );
}

#[test]
fn serve_with_a_configured_admin_token_prints_no_link_and_makes_no_file() {
    let data = tempfile::tempdir().unwrap();
    let mut host = Host::serve(data.path());
    block_on(async {
        let me = json_of(crate::harness::client().get(host.url("/api/me"))).await;
        assert_eq!(me["via"], "admin_token");
        let plain = reqwest::Client::new();
        let status = plain
            .get(host.url("/api/jobs"))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    });
    host.terminate();
    assert!(host.wait_exit(EXIT_TIMEOUT).success());
    assert!(!data.path().join("admin-token").exists());
    assert!(!host.stdout_text().contains("sign-in link"));
}
