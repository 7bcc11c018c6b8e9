//! Through the real component on `runner serve`: requests for another host name, writes from
//! another origin, and JSON endpoints sent something else are refused before anything changes.

use reqwest::StatusCode;
use serde_json::json;

use crate::api::{block_on, json_of};
use crate::harness::Host;

#[test]
fn other_hosts_other_origins_and_untyped_bodies_are_refused() {
    let data = tempfile::tempdir().unwrap();
    let host = Host::serve(data.path());
    let client = crate::harness::client();
    block_on(async {
        let brand = host.url("/api/brand-data/acme.json");
        let status = |r: reqwest::Response| r.status();

        // DNS rebinding: a loopback client naming some other host. A spin-client-addr the
        // client sends itself does not make it remote.
        let rebound = client
            .get(host.url("/api/brand-data"))
            .header("host", "rebind.example")
            .header("spin-client-addr", "203.0.113.9:4000")
            .send()
            .await
            .unwrap();
        assert_eq!(rebound.status(), StatusCode::MISDIRECTED_REQUEST);
        let named = client
            .get(host.url("/api/brand-data"))
            .send()
            .await
            .unwrap();
        assert_eq!(named.status(), StatusCode::OK);

        // A page on another origin writing through the user's browser.
        let forged = client
            .put(&brand)
            .header("origin", "http://evil.example")
            .header("content-type", "application/json")
            .body(r#"{"brandInfo": {"companyName": "Evil"}}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(status(forged), StatusCode::FORBIDDEN);
        let fetch_meta = client
            .post(host.url("/api/brand-data/generate"))
            .header("sec-fetch-site", "cross-site")
            .json(&json!({"brand_name": "Evil", "urls": ["https://evil.example"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(status(fetch_meta), StatusCode::FORBIDDEN);

        // A form post cannot say application/json; the generate endpoint insists on it.
        let untyped = client
            .post(host.url("/api/brand-data/generate"))
            .header("content-type", "text/plain")
            .body(r#"{"brand_name": "Evil", "urls": ["https://evil.example"]}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(status(untyped), StatusCode::UNSUPPORTED_MEDIA_TYPE);

        // Nothing of the above changed anything.
        assert_eq!(
            client.get(&brand).send().await.unwrap().status(),
            StatusCode::NOT_FOUND
        );
        let jobs = json_of(client.get(host.url("/api/jobs"))).await;
        assert_eq!(jobs["items"], json!([]), "{jobs}");

        // The same-origin write the UI makes goes through.
        let own = client
            .put(&brand)
            .header("origin", host.url("").trim_end_matches('/'))
            .header("content-type", "application/json")
            .body(r#"{"brandInfo": {"companyName": "Acme"}}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(status(own), StatusCode::CREATED);
    });
}
