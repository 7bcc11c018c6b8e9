//! The embedded UI as served: the pages' strict policy, the editor bundle revalidated by its
//! ETag.

use api_component::http::ApiRequest;

use crate::support::App;

#[test]
fn static_ui_is_served_with_a_strict_policy() {
    let app = App::new();
    let resp = app.get("/");
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = resp.header("content-security-policy").unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(resp.header("x-content-type-options"), Some("nosniff"));
}

#[test]
fn the_editor_bundle_is_javascript_revalidated_by_its_etag() {
    let app = App::new();
    let resp = app.get("/vendor/codemirror.js");
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(resp.header("cache-control"), Some("no-cache"));
    assert!(resp.body.len() > 100_000, "{} bytes", resp.body.len());
    let etag = resp.header("etag").unwrap().to_owned();
    assert!(etag.len() == 34 && etag.starts_with('"'), "{etag}");
    let again = app.send(
        ApiRequest::new("GET", "/vendor/codemirror.js")
            .with_header("if-none-match", &format!("\"other\", W/{etag}")),
    );
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    // Another file has another tag; a stale tag gets the file.
    assert_ne!(app.get("/js/app.js").header("etag"), Some(etag.as_str()));
    let stale = app.send(
        ApiRequest::new("GET", "/vendor/codemirror.js").with_header("if-none-match", "\"0\""),
    );
    assert_eq!(stale.status, 200);
    let licence = app.get("/vendor/codemirror.LICENSE.txt");
    assert_eq!(
        licence.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
}
