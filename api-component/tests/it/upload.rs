//! Browser uploads: multipart bodies with one or more `file` parts.

use api_component::http::ApiRequest;
use api_component::settings::Settings;

use crate::support::{App, assert_error, multipart};

fn upload(
    app: &App,
    collection: &str,
    content_type: &str,
    body: Vec<u8>,
) -> api_component::http::ApiResponse {
    app.send(
        ApiRequest::new("POST", &format!("/api/{collection}/upload"))
            .with_header("Content-Type", content_type)
            .with_body(body),
    )
}

#[test]
fn several_files_are_stored_and_returned() {
    let app = App::new();
    let (ct, body) = multipart(&[("one.md", b"# One"), ("two.md", b"# Two\n\nbody")]);
    let resp = upload(&app, "briefs", &ct, body);
    assert_eq!(resp.status, 201, "{}", String::from_utf8_lossy(&resp.body));
    let items = resp.json_body()["items"].as_array().unwrap().clone();
    let names: Vec<&str> = items.iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["one.md", "two.md"]);
    assert_eq!(items[1]["title"], "Two");
    assert_eq!(app.get("/api/briefs/two.md").body, b"# Two\n\nbody");
}

#[test]
fn one_bad_file_stores_nothing() {
    let app = App::new();
    for files in [
        vec![("ok.json", &b"{}"[..]), ("../evil.json", b"{}")],
        vec![("ok.json", &b"{}"[..]), ("arr.json", b"[]")],
        vec![("ok.json", &b"{}"[..]), ("empty.json", b"")],
        vec![("ok.json", &b"{}"[..]), ("ok.json", b"{}")],
        vec![("ok.md", &b"# wrong collection"[..])],
    ] {
        let (ct, body) = multipart(&files);
        let resp = upload(&app, "brand-data", &ct, body);
        assert!(
            resp.status == 400 || resp.status == 422,
            "{files:?}: {}",
            resp.status
        );
        assert!(
            app.store.is_empty(),
            "{files:?} stored {:?}",
            app.store.keys()
        );
    }
}

#[test]
fn upload_errors() {
    let app = App::with_settings(Settings {
        max_upload_bytes: 1000,
        ..Settings::default()
    });
    assert_error(
        &upload(&app, "briefs", "application/json", b"{}".to_vec()),
        415,
        "multipart",
    );
    let (ct, _) = multipart(&[("a.md", b"x")]);
    assert_error(
        &upload(&app, "briefs", &ct, b"garbage without boundaries".to_vec()),
        400,
        "multipart",
    );
    let (ct, body) = multipart(&[]);
    assert_error(&upload(&app, "briefs", &ct, body), 400, "no `file` parts");
    let (ct, body) = multipart(&[("big.md", &[b'a'; 2000])]);
    assert_error(&upload(&app, "briefs", &ct, body), 413, "over the limit");
    assert!(app.store.is_empty());
}
