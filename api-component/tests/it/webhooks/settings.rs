//! Webhooks off, settings that cannot be used, a URL whose path is a secret, a test delivery.

use super::*;

#[test]
fn nothing_is_recorded_while_webhooks_are_off() {
    let app = App::new();
    app.put("/api/brand-data/acme.json", r#"{"brandInfo": {}}"#);
    let id = submit(&app, "Quiet");
    cancel(&app, &id);
    let page = app.get("/api/webhooks/deliveries").json_body();
    assert_eq!(page["items"], json!([]));
    assert_eq!(page["enabled"], false);
    assert_eq!(page["target"], Value::Null);
    // Reading the (empty) outbox's counter is all that happened.
    let hooks: Vec<String> = app
        .store
        .keys()
        .into_iter()
        .filter(|k| k.starts_with("hooks/"))
        .collect();
    assert_eq!(hooks, ["hooks/out/n"]);
    assert_error(
        &app.send(ApiRequest::new("POST", "/api/webhooks/test")),
        409,
        "webhooks are off",
    );
}

#[test]
fn misconfigured_webhooks_record_and_say_what_to_fix() {
    let app = hooked(Settings {
        webhook_outbound_host: "https://elsewhere.example".into(),
        ..Settings::default()
    });
    let id = submit(&app, "Waits");
    cancel(&app, &id);
    one_finished(&app, &id, "cancelled");
    let page = app.get("/api/webhooks/deliveries").json_body();
    assert_eq!(page["enabled"], false);
    let problem = page["problem"].as_str().unwrap();
    assert!(
        problem.contains("allows only https://elsewhere.example"),
        "{problem}"
    );
    assert_error(
        &app.send(ApiRequest::new("POST", "/api/webhooks/test")),
        409,
        "webhook_outbound_host",
    );
}

#[test]
fn a_webhook_url_with_a_secret_path_is_never_shown() {
    let secret = "T0AAA/B0BBB/xoxo-9f8e7d";
    for (url, outbound_host) in [
        // No scheme: unusable, and the problem names it without its path.
        (
            format!("hooks.example.com/services/{secret}"),
            "https://hooks.example.com".to_owned(),
        ),
        // The whole URL pasted into webhook_outbound_host too.
        (
            format!("https://hooks.example.com/services/{secret}"),
            format!("https://hooks.example.com/services/{secret}"),
        ),
        // On another host than the one allowed.
        (
            format!("https://hooks.example.com/services/{secret}?x=1"),
            "https://elsewhere.example".to_owned(),
        ),
    ] {
        let app = hooked(Settings {
            webhook_url: url.clone(),
            webhook_outbound_host: outbound_host,
            ..Settings::default()
        });
        let page = app.get("/api/webhooks/deliveries").json_body();
        let problem = page["problem"]
            .as_str()
            .unwrap_or_else(|| panic!("{url}: {page}"));
        let test = app.send(ApiRequest::new("POST", "/api/webhooks/test"));
        assert_eq!(test.status, 409, "{url}");
        let refusal = String::from_utf8_lossy(&test.body).into_owned();
        for shown in [problem, refusal.as_str(), &page.to_string()] {
            assert!(!shown.contains("xoxo"), "{url}: {shown}");
            assert!(!shown.contains("/services"), "{url}: {shown}");
        }
        assert!(problem.contains("hooks.example.com"), "{problem}");
    }
}

#[test]
fn a_test_delivery_is_queued_and_audited() {
    let app = hooked(Settings::default());
    let resp = app.send(ApiRequest::new("POST", "/api/webhooks/test"));
    assert_eq!(resp.status, 202, "{}", String::from_utf8_lossy(&resp.body));
    let d = resp.json_body();
    assert_eq!(d["event"], "webhook.test");
    assert_eq!(d["job_id"], Value::Null);
    assert_eq!(d["payload"], json!({"event": "webhook.test", "job": null}));
    assert_eq!(deliveries(&app)[0]["id"], d["id"]);
    let audit = app.get("/api/audit").json_body();
    assert_eq!(audit["entries"][0]["action"], "webhook_tested");
}
