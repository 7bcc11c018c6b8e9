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
fn names_are_derived_and_bad_files_do_not_keep_good_ones_out() {
    let app = App::new();
    let (ct, body) = multipart(&[
        (
            "Acme Brand Data (final).json",
            br#"{"brandInfo": {"companyName": "Acme"}}"#,
        ),
        ("Globex.JSON", b"{}"),
        ("ACME Brand Data FINAL v2 Müller & Söhne!!.json", b"{}"),
        ("broken.json", b"{"),
        ("list.json", b"[]"),
        ("notes.md", b"# wrong collection"),
        ("globex.json", b"{}"),
    ]);
    let resp = upload(&app, "brand-data", &ct, body);
    assert_eq!(resp.status, 201, "{}", String::from_utf8_lossy(&resp.body));
    let answer = resp.json_body();
    let stored: Vec<&str> = answer["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    // Accented letters keep their base letter rather than breaking the name.
    assert_eq!(
        stored,
        [
            "acme-brand-data-final.json",
            "globex.json",
            "acme-brand-data-final-v2-muller-sohne.json"
        ]
    );
    let files = answer["files"].as_array().unwrap();
    let outcome: Vec<(&str, Option<&str>)> = files
        .iter()
        .map(|f| (f["file"].as_str().unwrap(), f["name"].as_str()))
        .collect();
    assert_eq!(
        outcome,
        [
            (
                "Acme Brand Data (final).json",
                Some("acme-brand-data-final.json")
            ),
            ("Globex.JSON", Some("globex.json")),
            (
                "ACME Brand Data FINAL v2 Müller & Söhne!!.json",
                Some("acme-brand-data-final-v2-muller-sohne.json")
            ),
            ("broken.json", None),
            ("list.json", None),
            ("notes.md", None),
            ("globex.json", None),
        ]
    );
    let error = |i: usize| files[i]["error"].as_str().unwrap();
    assert!(error(3).contains("not valid JSON"), "{}", error(3));
    assert!(error(4).contains("JSON object"), "{}", error(4));
    assert!(error(5).contains("end in .json"), "{}", error(5));
    assert!(error(6).contains("another file"), "{}", error(6));
    assert!(files[0]["error"].is_null());
    assert_eq!(app.list_all("brand-data", 10).len(), 3);
}

#[test]
fn an_upload_with_no_good_file_stores_nothing() {
    let app = App::new();
    for (files, status) in [
        (vec![("arr.json", &b"[]"[..])], 422),
        (vec![("empty.json", &b""[..]), ("bad.json", b"{")], 400),
        (vec![("ok.md", &b"# wrong collection"[..])], 400),
    ] {
        let (ct, body) = multipart(&files);
        let resp = upload(&app, "brand-data", &ct, body);
        assert_eq!(resp.status, status, "{files:?}");
        let message = resp.json_body()["error"].as_str().unwrap().to_owned();
        for (file, _) in &files {
            assert!(message.contains(file), "{message} does not name {file}");
        }
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
