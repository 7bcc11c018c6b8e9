//! Writes that meet: If-Match between editors, conditional reads, documents chunked under the
//! value limit, fifty parallel writers.

use super::*;

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
