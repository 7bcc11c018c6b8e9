//! Documents: every endpoint and every error row of the contract.

use api_component::http::ApiRequest;
use api_component::settings::Settings;
use api_component::store::Store;
use serde_json::json;

use crate::support::{App, assert_error};

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

#[test]
fn if_match_guards_concurrent_edits() {
    let app = App::new();
    let etag = app
        .put("/api/briefs/e.md", "v1")
        .header("etag")
        .unwrap()
        .to_owned();
    let put = |tag: &str, body: &str| {
        app.send(
            ApiRequest::new("PUT", "/api/briefs/e.md")
                .with_header("If-Match", tag)
                .with_body(body),
        )
    };
    let ok = put(&etag, "v2");
    assert_eq!(ok.status, 200);
    assert_error(&put(&etag, "v3 from a stale editor"), 412, "changed since");
    assert_eq!(app.get("/api/briefs/e.md").body, b"v2");
    assert_eq!(put("*", "v4").status, 200);
    let missing = app.send(
        ApiRequest::new("PUT", "/api/briefs/new.md")
            .with_header("If-Match", "*")
            .with_body("x"),
    );
    assert_error(&missing, 412, "does not exist");

    // Two editors holding the same version: the latch lets exactly one through.
    let current = app
        .get("/api/briefs/e.md")
        .header("etag")
        .unwrap()
        .to_owned();
    let generation = current.trim_matches('"');
    app.store
        .increment(&format!("doc/briefs/e.md/if/{generation}"), 1)
        .unwrap();
    assert_error(&put(&current, "loser"), 412, "being changed");
    assert_eq!(app.get("/api/briefs/e.md").body, b"v4");

    // A writer that read the version before the winner replaced it, and increments its latch
    // after the winner removed it, gets a 1 and is still refused.
    app.store
        .delete(&format!("doc/briefs/e.md/if/{generation}"))
        .unwrap();
    let winner = put(&current, "v5");
    assert_eq!(winner.status, 200);
    let latch = format!("doc/briefs/e.md/if/{generation}");
    assert!(
        app.store.get(&latch).unwrap().is_none(),
        "latch left behind"
    );
    assert_error(&put(&current, "late"), 412, "changed since");
    assert_eq!(app.get("/api/briefs/e.md").body, b"v5");

    // Successful conditional writes and deletes leave no latch behind.
    for i in 0..5 {
        let tag = app
            .get("/api/briefs/e.md")
            .header("etag")
            .unwrap()
            .to_owned();
        assert_eq!(put(&tag, &format!("v{}", 6 + i)).status, 200);
    }
    assert_eq!(app.delete("/api/briefs/e.md").status, 204);
    let left: Vec<String> = app
        .store
        .keys()
        .into_iter()
        .filter(|k| k.contains("/if/"))
        .collect();
    assert!(left.is_empty(), "latches left: {left:?}");
}

#[test]
fn conditional_get_and_head() {
    let app = App::new();
    let etag = app
        .put("/api/briefs/c.md", "# c")
        .header("etag")
        .unwrap()
        .to_owned();
    let resp =
        app.send(ApiRequest::new("GET", "/api/briefs/c.md").with_header("If-None-Match", &etag));
    assert_eq!(resp.status, 304);
    assert!(resp.body.is_empty());
    let head = app.send(ApiRequest::new("HEAD", "/api/briefs/c.md"));
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("etag"), Some(etag.as_str()));
}

#[test]
fn large_documents_are_chunked_under_the_value_limit() {
    // One version kept: a replacement leaves no chunk of the old content behind.
    let app = App::with_settings(Settings {
        version_retention: 1,
        ..Settings::default()
    });
    let big: String = "word ".repeat(200_000); // 1,000,000 bytes
    assert_eq!(app.put("/api/drafts/big.md", big.clone()).status, 201);
    assert_eq!(app.get("/api/drafts/big.md").body, big.as_bytes());
    for key in app.store.keys() {
        let len = app.store.get(&key).unwrap().unwrap().len();
        assert!(len < 1_000_000, "{key} holds {len} bytes");
    }
    app.put("/api/drafts/big.md", "small now");
    let chunk_keys: Vec<String> = app
        .store
        .keys()
        .into_iter()
        .filter(|k| k.starts_with("doc/drafts/big.md/g"))
        .collect();
    assert_eq!(
        chunk_keys.len(),
        1,
        "old generation left behind: {chunk_keys:?}"
    );
}

#[test]
fn thousand_documents_page_to_the_end_newest_first() {
    let app = App::new();
    for i in 0..1000 {
        assert_eq!(
            app.put(&format!("/api/briefs/doc-{i:04}.md"), format!("# Doc {i}"))
                .status,
            201
        );
    }
    app.put("/api/briefs/doc-0007.md", "# updated");
    app.delete("/api/briefs/doc-0500.md");
    let items = app.list_all("briefs", 50);
    assert_eq!(items.len(), 999);
    assert_eq!(
        items[0]["name"], "doc-0007.md",
        "the latest write comes first"
    );
    assert_eq!(items[1]["name"], "doc-0999.md");
    assert_eq!(items[998]["name"], "doc-0000.md");
    let mut names: Vec<&str> = items.iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert!(!names.contains(&"doc-0500.md"));
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 999, "no duplicates across pages");
    let first = app.get("/api/briefs").json_body();
    assert_eq!(
        first["items"].as_array().unwrap().len(),
        50,
        "default limit is 50"
    );
    let max = app.get("/api/briefs?limit=500").json_body();
    assert_eq!(max["items"].as_array().unwrap().len(), 500);
    let item = &items[1];
    for field in [
        "name",
        "size",
        "created_at",
        "updated_at",
        "title",
        "word_count",
    ] {
        assert!(!item[field].is_null(), "{field} missing in {item}");
    }
}

#[test]
fn listing_parameters_are_validated() {
    let app = App::new();
    for q in [
        "limit=0",
        "limit=501",
        "limit=ten",
        "limit=-1",
        "cursor=abc",
        "cursor=-5",
    ] {
        assert_eq!(app.get(&format!("/api/briefs?{q}")).status, 400, "{q}");
    }
    assert_eq!(
        app.get("/api/drafts").json_body(),
        json!({"items": [], "next_cursor": null})
    );
}

#[test]
fn fifty_parallel_writers_never_lose_a_document() {
    let app = App::new();
    std::thread::scope(|s| {
        for i in 0..50 {
            let app = &app;
            s.spawn(move || {
                let resp = app.put(&format!("/api/drafts/p-{i}.md"), format!("# P{i}"));
                assert_eq!(resp.status, 201);
            });
        }
    });
    let items = app.list_all("drafts", 7);
    assert_eq!(items.len(), 50);
}

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
