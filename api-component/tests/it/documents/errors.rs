//! What is refused with a clear error and changes nothing: names, bodies, routes.

use super::*;

#[test]
fn bad_names_are_rejected_and_store_nothing() {
    let app = App::new();
    let long = format!("/api/briefs/{}.md", "a".repeat(118));
    let targets = [
        "/api/briefs/..%2Fx.md",
        "/api/briefs/../x.md",
        "/api/briefs/a/b.md",
        "/api/briefs/%2e%2e",
        "/api/briefs/%2e%2e%2fsecret.md",
        "/api/briefs/a%2Fb.md",
        "/api/briefs/.hidden.md",
        "/api/briefs/x.json",
        "/api/brand-data/x.md",
        "/api/briefs/x%00.md",
        "/api/briefs/%ff.md",
        "/api/briefs/sp%20ace.md",
        long.as_str(),
    ];
    for target in targets {
        for method in ["PUT", "GET", "DELETE"] {
            let resp = app.send(ApiRequest::new(method, target).with_body("# hi"));
            assert_eq!(
                resp.status,
                400,
                "{method} {target}: {}",
                String::from_utf8_lossy(&resp.body)
            );
            assert!(resp.json_body()["error"].is_string());
        }
    }
    assert!(
        app.store.is_empty(),
        "store touched: {:?}",
        app.store.keys()
    );
}

#[test]
fn body_errors() {
    let small = Settings {
        max_document_bytes: 100,
        ..Settings::default()
    };
    let app = App::with_settings(small);
    assert_error(&app.put("/api/briefs/e.md", ""), 400, "empty");
    assert_error(
        &app.put("/api/briefs/big.md", vec![b'a'; 101]),
        413,
        "over the limit",
    );
    assert_eq!(app.put("/api/briefs/fits.md", vec![b'a'; 100]).status, 201);
    assert_error(
        &app.put("/api/briefs/bin.md", vec![0xff, 0xfe, b'a']),
        400,
        "UTF-8",
    );
    assert_error(
        &app.put("/api/brand-data/bin.json", vec![b'{', 0xc3, b'}']),
        400,
        "UTF-8",
    );
    let typed = ApiRequest::new("PUT", "/api/briefs/img.md")
        .with_header("Content-Type", "image/png")
        .with_body("x");
    assert_error(&app.send(typed), 415, "image/png");
    let ok_typed = ApiRequest::new("PUT", "/api/briefs/t.md")
        .with_header("Content-Type", "text/markdown; charset=utf-8")
        .with_body("# t");
    assert_eq!(app.send(ok_typed).status, 201);
    assert_eq!(
        app.list_all("briefs", 50).len(),
        2,
        "only the accepted bodies were stored"
    );
}

#[test]
fn routing_errors() {
    let app = App::new();
    assert_error(&app.get("/api/poems"), 404, "no collection");
    assert_error(&app.get("/api/poems/x.md"), 404, "no collection");
    assert_error(&app.get("/api/nothing/here/at/all"), 404, "no collection");
    assert_error(&app.get("/api/jobs/a/b/c/d"), 404, "no endpoint");
    assert_error(&app.get("/nope.html"), 404, "nothing at");
    let resp = app.send(ApiRequest::new("PATCH", "/api/briefs/x.md"));
    assert_error(&resp, 405, "PATCH");
    assert_eq!(resp.header("allow"), Some("GET, PUT, DELETE"));
    assert_error(
        &app.send(ApiRequest::new("DELETE", "/api/briefs")),
        405,
        "DELETE",
    );
    assert_error(&app.send(ApiRequest::new("POST", "/health")), 405, "POST");
    assert_error(&app.send(ApiRequest::new("POST", "/")), 405, "POST");
}
