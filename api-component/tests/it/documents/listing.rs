//! Listing: a thousand documents paged to the end newest first, and its parameters checked.

use super::*;

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
