//! A document's history: every write is a version (listed, read, restored), old versions are
//! pruned past `version_retention`, and a deleted document waits in the trash for `trash_days`.

use api_component::http::{ApiRequest, ApiResponse};
use api_component::settings::Settings;
use serde_json::Value;

use crate::support::{App, assert_error, multipart};

const DAY_MS: i64 = 86_400_000;

fn versions(app: &App, target: &str) -> Vec<Value> {
    let list = app.get_json(&format!("{target}/versions"));
    list["items"].as_array().unwrap().clone()
}

fn etag(resp: &ApiResponse) -> String {
    resp.header("etag").expect("an ETag").to_owned()
}

fn with_if_match(method: &str, target: &str, tag: &str) -> ApiRequest {
    ApiRequest::new(method, target).with_header("If-Match", tag)
}

#[test]
fn every_write_is_a_version_and_any_can_be_restored() {
    let app = App::new();
    let (ct, body) = multipart(&[("plan.md", b"# Plan\n\nfirst")]);
    let uploaded = app.send(
        ApiRequest::new("POST", "/api/briefs/upload")
            .with_header("content-type", &ct)
            .with_body(body),
    );
    assert_eq!(uploaded.status, 201);
    let first_tag = etag(&app.get("/api/briefs/plan.md"));
    assert_eq!(
        app.put("/api/briefs/plan.md", "# Plan\n\nsecond").status,
        200
    );
    let third = app.put("/api/briefs/plan.md", "# Plan\n\nthird, longer");
    assert_eq!(third.status, 200);

    let list = versions(&app, "/api/briefs/plan.md");
    let summary: Vec<(u64, &str)> = list
        .iter()
        .map(|v| {
            (
                v["version"].as_u64().unwrap(),
                v["source"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(summary, [(3, "edit"), (2, "edit"), (1, "upload")]);
    // The newest is the current content, under the document's own ETag.
    assert_eq!(list[0]["etag"], etag(&third).as_str());
    assert_eq!(list[2]["etag"], first_tag.as_str());
    assert_eq!(list[0]["size"], "# Plan\n\nthird, longer".len());
    assert_eq!(list[0]["created_by"], "admin");
    assert!(list[0]["created_at"].as_str().unwrap().ends_with('Z'));

    let old = app.get("/api/briefs/plan.md/versions/1");
    assert_eq!(old.status, 200);
    assert_eq!(old.body, b"# Plan\n\nfirst");
    assert_eq!(old.header("etag"), Some(first_tag.as_str()));
    assert_eq!(
        old.header("content-type"),
        Some("text/markdown; charset=utf-8")
    );

    // Restoring under a stale If-Match is refused and changes nothing.
    let stale = app.send(with_if_match(
        "POST",
        "/api/briefs/plan.md/versions/1/restore",
        &first_tag,
    ));
    assert_error(&stale, 412, "changed since");
    assert_eq!(versions(&app, "/api/briefs/plan.md").len(), 3);
    let restored = app.send(with_if_match(
        "POST",
        "/api/briefs/plan.md/versions/1/restore",
        &etag(&third),
    ));
    assert_eq!(
        restored.status,
        200,
        "{}",
        String::from_utf8_lossy(&restored.body)
    );
    assert_eq!(restored.json_body()["title"], "Plan");
    assert_eq!(app.get("/api/briefs/plan.md").body, b"# Plan\n\nfirst");
    let list = versions(&app, "/api/briefs/plan.md");
    assert_eq!(list[0]["version"], 4);
    assert_eq!(list[0]["source"], "restore:1");
    assert_eq!(list[0]["etag"], etag(&restored).as_str());
    // Each version keeps its own content: the restore copied, it did not move.
    assert_eq!(
        app.get("/api/briefs/plan.md/versions/3").body,
        b"# Plan\n\nthird, longer"
    );

    // The audit log names the restore.
    let audit = app.get("/api/audit").json_body();
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "version_restored" && e["target"] == "briefs/plan.md@1"),
        "{audit}"
    );
}

#[test]
fn version_errors_change_nothing() {
    let app = App::new();
    app.put(
        "/api/brand-data/acme.json",
        r#"{"brandInfo": {"companyName": "Acme"}}"#,
    );
    assert_error(
        &app.get("/api/brand-data/none.json/versions"),
        404,
        "does not exist",
    );
    assert_error(
        &app.get("/api/brand-data/acme.json/versions/9"),
        404,
        "version 9",
    );
    assert_error(
        &app.get("/api/brand-data/acme.json/versions/0"),
        400,
        "positive number",
    );
    assert_error(
        &app.get("/api/brand-data/acme.json/versions/x"),
        400,
        "positive number",
    );
    assert_error(
        &app.get("/api/brand-data/acme.json/versions/-1"),
        400,
        "positive number",
    );
    assert_error(&app.get("/api/brand-data/bad..json/versions"), 400, "");
    let before = app.store.keys();
    let missing = app.send(ApiRequest::new(
        "POST",
        "/api/brand-data/acme.json/versions/7/restore",
    ));
    assert_error(&missing, 404, "version 7");
    assert_eq!(
        app.store.keys(),
        before,
        "a refused restore wrote something"
    );
    // Brand data versions come back as JSON.
    let v1 = app.get("/api/brand-data/acme.json/versions/1");
    assert_eq!(v1.header("content-type"), Some("application/json"));
}

#[test]
fn old_versions_are_pruned_with_their_content() {
    let app = App::with_settings(Settings {
        version_retention: 3,
        ..Settings::default()
    });
    for i in 1..=8 {
        app.put("/api/drafts/d.md", format!("# D\n\nversion {i}"));
    }
    let list = versions(&app, "/api/drafts/d.md");
    let numbers: Vec<u64> = list
        .iter()
        .map(|v| v["version"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [8, 7, 6]);
    assert_error(&app.get("/api/drafts/d.md/versions/5"), 404, "version 5");
    assert_eq!(
        app.get("/api/drafts/d.md/versions/6").body,
        b"# D\n\nversion 6"
    );
    // What the store holds for the document: three versions' entries and chunks, no more.
    let keys = app.store.keys();
    let chunks = keys
        .iter()
        .filter(|k| k.starts_with("doc/drafts/d.md/g"))
        .count();
    let entries = keys
        .iter()
        .filter(|k| k.starts_with("ver/drafts/d.md/v/"))
        .count();
    assert_eq!((chunks, entries), (3, 3), "{keys:?}");
}

#[test]
fn a_deleted_document_waits_in_the_trash() {
    let app = App::new();
    app.put("/api/briefs/gone.md", "# Gone\n\nfirst");
    app.put("/api/briefs/gone.md", "# Gone\n\nsecond");
    app.put("/api/briefs/other.md", "# Other");
    assert_eq!(app.delete("/api/briefs/gone.md").status, 204);
    assert_eq!(app.delete("/api/briefs/other.md").status, 204);
    assert_error(&app.get("/api/briefs/gone.md"), 404, "does not exist");
    assert!(app.list_all("briefs", 50).is_empty());

    let trash = app.get("/api/trash").json_body();
    let items = trash["items"].as_array().unwrap();
    let names: Vec<&str> = items.iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["other.md", "gone.md"], "newest deletion first");
    assert_eq!(items[1]["collection"], "briefs");
    assert_eq!(items[1]["title"], "Gone");
    assert_eq!(items[1]["version"], 2);
    assert_eq!(items[1]["deleted_by"], "admin");
    let deleted = chrono::DateTime::parse_from_rfc3339(items[1]["deleted_at"].as_str().unwrap());
    let purge = chrono::DateTime::parse_from_rfc3339(items[1]["purge_at"].as_str().unwrap());
    assert_eq!((purge.unwrap() - deleted.unwrap()).num_days(), 7);
    // Paging: one at a time.
    let first = app.get("/api/trash?limit=1").json_body();
    assert_eq!(first["items"][0]["name"], "other.md");
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .get(&format!("/api/trash?limit=1&cursor={cursor}"))
        .json_body();
    assert_eq!(second["items"][0]["name"], "gone.md");

    let restored = app.send(ApiRequest::new("POST", "/api/trash/briefs/gone.md/restore"));
    assert_eq!(
        restored.status,
        201,
        "{}",
        String::from_utf8_lossy(&restored.body)
    );
    assert_eq!(app.get("/api/briefs/gone.md").body, b"# Gone\n\nsecond");
    let list = versions(&app, "/api/briefs/gone.md");
    let sources: Vec<&str> = list.iter().map(|v| v["source"].as_str().unwrap()).collect();
    assert_eq!(
        sources,
        ["restore:2", "edit", "edit"],
        "the history came back too"
    );
    let names: Vec<String> = app
        .list_all("briefs", 50)
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["gone.md"]);
    let trash = app.get("/api/trash").json_body();
    assert_eq!(trash["items"].as_array().unwrap().len(), 1);
    assert_error(
        &app.send(ApiRequest::new("POST", "/api/trash/briefs/gone.md/restore")),
        404,
        "in the trash",
    );

    // A name in use again cannot be restored over.
    app.put("/api/briefs/other.md", "# Other, new");
    assert_error(
        &app.send(ApiRequest::new(
            "POST",
            "/api/trash/briefs/other.md/restore",
        )),
        409,
        "exists again",
    );
    assert_eq!(app.get("/api/briefs/other.md").body, b"# Other, new");
    assert_error(
        &app.send(ApiRequest::new("POST", "/api/trash/briefs/bad..md/restore")),
        400,
        "",
    );
}

#[test]
fn the_trash_is_emptied_after_trash_days() {
    let app = App::with_settings(Settings {
        trash_days: 2,
        ..Settings::default()
    });
    for name in ["a.md", "b.md"] {
        app.put(&format!("/api/drafts/{name}"), "# Draft\n\none");
        app.put(&format!("/api/drafts/{name}"), "# Draft\n\ntwo");
    }
    app.delete("/api/drafts/a.md");
    app.advance(DAY_MS);
    app.delete("/api/drafts/b.md");
    app.advance(DAY_MS + 60_000);
    // a.md is past its two days: hidden at once, purged by the pass the listing starts.
    let trash = app.get("/api/trash").json_body();
    let names: Vec<&str> = trash["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["b.md"]);
    let keys = app.store.keys();
    assert!(
        !keys.iter().any(|k| k.contains("drafts/a.md/")),
        "a.md left keys behind: {keys:?}"
    );
    assert!(keys.iter().any(|k| k.starts_with("ver/drafts/b.md/v/")));
    assert_error(
        &app.send(ApiRequest::new("POST", "/api/trash/drafts/a.md/restore")),
        404,
        "in the trash",
    );
    app.advance(DAY_MS);
    app.get("/api/trash");
    let keys = app.store.keys();
    assert!(
        !keys
            .iter()
            .any(|k| k.contains("/b.md/") || k.starts_with("trash/e/")),
        "{keys:?}"
    );
}
