//! Documents through the contract: writes with ETags, previews, uploads, listings, quality,
//! versions and the trash.

use super::*;

/// The document and the content team's side: documents, previews, uploads.
pub(super) fn document_flows(app: &App) {
    expect(app.get("/health"), 200);
    // A stranger gets the status alone, which the document must allow too.
    let public = expect(app.send_as_is(ApiRequest::new("GET", "/health")), 200);
    assert_eq!(public.json_body().as_object().map(|o| o.len()), Some(1));
    expect(app.get("/api/openapi.json"), 200);
    let created = expect(app.put("/api/brand-data/acme.json", BRAND), 201);
    let etag = created.header("etag").unwrap().to_owned();
    let replace = ApiRequest::new("PUT", "/api/brand-data/acme.json")
        .with_header("content-type", "application/json")
        .with_header("if-match", &etag)
        .with_body(BRAND);
    let replaced = expect(app.send(replace.clone()), 200);
    expect(app.send(replace), 412);
    let current = replaced.header("etag").unwrap().to_owned();
    expect(
        app.send(
            ApiRequest::new("GET", "/api/brand-data/acme.json")
                .with_header("if-none-match", &current),
        ),
        304,
    );
    expect(app.get("/api/brand-data/acme.json"), 200);
    expect(app.put("/api/brand-data/list.json", "[1, 2]"), 422);
    expect(app.put("/api/brand-data/broken.json", "{"), 400);
    expect(
        app.send(
            ApiRequest::new("PUT", "/api/briefs/a.md")
                .with_header("content-type", "image/png")
                .with_body("x"),
        ),
        415,
    );
    expect(
        app.put("/api/briefs/intro.md", "# Intro\n\nBread, mostly."),
        201,
    );
    expect(app.get("/api/briefs/intro.md"), 200);
    expect(app.get("/api/briefs/intro.md/preview"), 200);
    expect(app.get("/api/brand-data/acme.json/preview"), 200);
    expect(app.get("/api/briefs/missing.md/preview"), 404);
    expect(
        app.get("/api/briefs/intro.md/quality?primary_keyword=bread"),
        200,
    );
    expect(app.get("/api/brand-data/acme.json/quality"), 404);
    expect(app.get("/api/drafts/x.md/quality?target_word_count=0"), 400);
    expect(
        app.send(
            ApiRequest::new("POST", "/api/render")
                .with_header("content-type", "text/markdown")
                .with_body("# Live *preview*"),
        ),
        200,
    );
    let (ct, body) = multipart(&[("one.md", b"# One"), ("two.md", b"# Two\n\nwords here")]);
    expect(
        app.send(
            ApiRequest::new("POST", "/api/drafts/upload")
                .with_header("content-type", &ct)
                .with_body(body),
        ),
        201,
    );
    expect(
        app.send(
            ApiRequest::new("POST", "/api/drafts/upload")
                .with_header("content-type", "text/plain")
                .with_body("x"),
        ),
        415,
    );
    let page = expect(app.get("/api/drafts?limit=1"), 200).json_body();
    let cursor = page["next_cursor"].as_str().expect("a second page");
    expect(
        app.get(&format!("/api/drafts?limit=1&cursor={cursor}")),
        200,
    );
    expect(app.get("/api/drafts?limit=0"), 400);
    expect(app.get("/api/briefs/%ff.md"), 400);
    expect(app.get("/api/briefs/..md"), 400);
    expect(app.get("/api/briefs/missing.md"), 404);
    expect(app.delete("/api/drafts/one.md"), 204);
    expect(app.delete("/api/drafts/one.md"), 404);
    history_flows(app);
}

/// Versions and the trash.
pub(super) fn history_flows(app: &App) {
    let v1 = expect(
        app.put(
            "/api/briefs/history.md",
            "# History

one",
        ),
        201,
    );
    let v2 = expect(
        app.put(
            "/api/briefs/history.md",
            "# History

two",
        ),
        200,
    );
    let list = expect(app.get("/api/briefs/history.md/versions"), 200).json_body();
    assert_eq!(list["items"].as_array().map(Vec::len), Some(2));
    expect(app.get("/api/briefs/history.md/versions/1"), 200);
    expect(app.get("/api/brand-data/acme.json/versions/1"), 200);
    expect(app.get("/api/briefs/history.md/versions/0"), 400);
    expect(app.get("/api/briefs/history.md/versions/99"), 404);
    expect(app.get("/api/briefs/nothing.md/versions"), 404);
    let restore = |tag: &str| {
        ApiRequest::new("POST", "/api/briefs/history.md/versions/1/restore")
            .with_header("if-match", tag)
    };
    expect(app.send(restore(v1.header("etag").unwrap())), 412);
    expect(app.send(restore(v2.header("etag").unwrap())), 200);
    expect(app.delete("/api/briefs/history.md"), 204);
    let trash = expect(app.get("/api/trash?limit=1"), 200).json_body();
    assert_eq!(trash["items"][0]["name"], "history.md");
    expect(app.get("/api/trash?limit=0"), 400);
    let back = ApiRequest::new("POST", "/api/trash/briefs/history.md/restore");
    expect(app.send(back.clone()), 201);
    expect(app.send(back), 404);
}
