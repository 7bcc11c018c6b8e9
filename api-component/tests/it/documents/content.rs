//! What is stored and shown: health, Markdown and brand data round trips, sanitized previews
//! and the live preview, deletes.

use super::*;

#[test]
fn health_reports_status_and_limits() {
    let app = App::new();
    let resp = app.get("/health");
    assert_eq!(resp.status, 200);
    let body = resp.json_body();
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["max_concurrent_jobs"], 3);
    assert_eq!(body["active_jobs"], 0);
    assert_eq!(body["queued_jobs"], 0);
    assert_eq!(body["version"], api_component::VERSION);
    let ts = body["timestamp"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(ts).is_ok(), "{ts}");
}

#[test]
fn markdown_round_trip_with_title_and_word_count() {
    let app = App::new();
    let text = "# Launch plan\n\nTen words follow here to count, plus **bold** text.\n";
    let created = app.put("/api/briefs/launch.md", text);
    assert_eq!(created.status, 201);
    let item = created.json_body();
    assert_eq!(item["name"], "launch.md");
    assert_eq!(item["title"], "Launch plan");
    assert_eq!(item["word_count"], 11);
    assert_eq!(item["size"], text.len());
    assert_eq!(created.header("location"), Some("/api/briefs/launch.md"));

    let got = app.get("/api/briefs/launch.md");
    assert_eq!(got.status, 200);
    assert_eq!(got.body, text.as_bytes());
    assert_eq!(
        got.header("content-type"),
        Some("text/markdown; charset=utf-8")
    );
    assert_eq!(got.header("etag"), created.header("etag"));

    let replaced = app.put("/api/briefs/launch.md", "no heading here");
    assert_eq!(replaced.status, 200);
    assert_eq!(
        replaced.json_body()["title"],
        "launch",
        "falls back to the stem"
    );
    assert_eq!(replaced.json_body()["created_at"], item["created_at"]);
    assert_ne!(replaced.json_body()["updated_at"], item["updated_at"]);
    assert_eq!(app.get("/api/briefs/launch.md").body, b"no heading here");
}

#[test]
fn brand_data_is_a_json_object_stored_verbatim() {
    let app = App::new();
    let text = "{ \"brandInfo\": {\"companyName\": {\"value\": \"Acme Rockets\"}} }";
    let created = app.put("/api/brand-data/acme.json", text);
    assert_eq!(created.status, 201);
    assert_eq!(created.json_body()["title"], "Acme Rockets");
    let got = app.get("/api/brand-data/acme.json");
    assert_eq!(got.body, text.as_bytes(), "content is returned as stored");
    assert_eq!(got.header("content-type"), Some("application/json"));

    let before = app.store.len();
    assert_error(
        &app.put("/api/brand-data/list.json", "[1, 2]"),
        422,
        "JSON object",
    );
    assert_error(
        &app.put("/api/brand-data/bad.json", "{nope"),
        400,
        "not valid JSON",
    );
    assert_eq!(app.store.len(), before, "rejected bodies store nothing");
}

#[test]
fn previews_are_sanitized_html() {
    let app = App::new();
    app.put(
        "/api/drafts/d.md",
        "# Title\n\n<script>alert(1)</script>\n\n*hi* <a href=\"javascript:x()\">x</a>",
    );
    let resp = app.get("/api/drafts/d.md/preview");
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = String::from_utf8(resp.body).unwrap();
    assert!(
        html.contains("<h1>Title</h1>") && html.contains("<em>hi</em>"),
        "{html}"
    );
    assert!(
        !html.contains("<script") && !html.contains("javascript:"),
        "{html}"
    );

    app.put(
        "/api/brand-data/b.json",
        r#"{"name": "<img src=x onerror=alert(1)>"}"#,
    );
    let html = String::from_utf8(app.get("/api/brand-data/b.json/preview").body).unwrap();
    assert!(html.starts_with("<pre"), "{html}");
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;") && !html.contains("<img"),
        "{html}"
    );
    assert_error(
        &app.get("/api/drafts/missing.md/preview"),
        404,
        "does not exist",
    );
}

/// The editor's live preview and the saved preview are one renderer: the same text gives the
/// same HTML, and storing nothing.
#[test]
fn render_answers_what_the_saved_preview_shows() {
    let app = App::new();
    let text = "# Plan\n\n| A | B |\n| --- | ---: |\n| 1 | 2 |\n\n<script>alert(1)</script>\n\n\
                <img src=x onerror=alert(1)> [x](javascript:alert(1)) ~~gone~~";
    let render = |content_type: &str, body: &[u8]| {
        app.send(
            ApiRequest::new("POST", "/api/render")
                .with_header("content-type", content_type)
                .with_body(body.to_vec()),
        )
    };
    let live = render("text/markdown; charset=utf-8", text.as_bytes());
    assert_eq!(live.status, 200, "{}", String::from_utf8_lossy(&live.body));
    assert_eq!(
        live.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(live.header("cache-control"), Some("no-store"));
    assert!(live.header("content-security-policy").is_some());
    let html = String::from_utf8(live.body.clone()).unwrap();
    assert!(
        html.contains("<table>") && html.contains("<td>2</td>") && html.contains("<del>gone</del>"),
        "{html}"
    );
    for bad in ["<script", "onerror", "javascript:"] {
        assert!(!html.contains(bad), "{bad} survived in {html}");
    }
    assert_eq!(app.put("/api/drafts/same.md", text).status, 201);
    assert_eq!(app.get("/api/drafts/same.md/preview").body, live.body);
    assert_eq!(render("text/plain", b"").status, 200, "empty text renders");
    assert_eq!(
        app.list_all("drafts", 10).len(),
        1,
        "rendering stored nothing"
    );

    assert_error(&render("application/json", b"{}"), 415, "text/markdown");
    assert_error(&render("text/markdown", b"caf\xe9"), 400, "UTF-8");
    let limit = app.settings.max_document_bytes as usize;
    assert_eq!(render("text/markdown", &vec![b'a'; limit]).status, 200);
    assert_error(
        &render("text/markdown", &vec![b'a'; limit + 1]),
        413,
        "over the limit",
    );
    assert_error(&app.get("/api/render"), 405, "POST");
}

#[test]
fn delete_then_gone() {
    let app = App::new();
    app.put("/api/drafts/x.md", "text");
    assert_eq!(app.delete("/api/drafts/x.md").status, 204);
    assert_error(&app.get("/api/drafts/x.md"), 404, "does not exist");
    assert_error(&app.delete("/api/drafts/x.md"), 404, "does not exist");
    assert!(app.list_all("drafts", 10).is_empty());
    // The content waits in the trash (see `history`); the document itself is gone.
    assert!(app.store.get("doc/drafts/x.md/meta").unwrap().is_none());
    assert_eq!(
        app.get("/api/trash").json_body()["items"][0]["name"],
        "x.md"
    );
}
