//! Brief-to-draft pipelines: a brief asked `then_draft` queues its draft when it completes.

use super::*;

fn brief_then_draft(app: &App, words: Value) -> String {
    let resp = app.post_json(
        "/api/briefs/generate",
        &json!({"title": "Rye Bread", "primary_keyword": "rye", "secondary_keywords": ["sourdough"],
                "brand_data": "acme.json", "then_draft": {"target_word_count": words}}),
    );
    assert_eq!(resp.status, 202, "{}", String::from_utf8_lossy(&resp.body));
    resp.json_body()["job_id"].as_str().unwrap().to_owned()
}

#[test]
fn a_completed_brief_queues_its_draft() {
    let app = app();
    let brief = brief_then_draft(&app, json!(1200));
    assert_eq!(
        job(&app, &brief)["params"]["then_draft"]["target_word_count"],
        1200
    );
    assert_eq!(claim(&app, "r1", 1)[0]["id"], brief.as_str());
    complete_with(&app, &brief, "# Rye Bread\n\n## Outline\n");

    let parent = job(&app, &brief);
    assert_eq!(parent["status"], "completed");
    assert!(parent["error"].is_null(), "{parent}");
    let children = parent["child_job_ids"].as_array().unwrap();
    assert_eq!(children.len(), 1);
    let draft_id = children[0].as_str().unwrap().to_owned();
    let draft = job(&app, &draft_id);
    assert_eq!(draft["type"], "draft");
    assert_eq!(draft["status"], "queued");
    assert_eq!(draft["parent_job_id"], brief.as_str());
    assert_eq!(draft["submitted_by"], parent["submitted_by"]);
    assert_eq!(
        draft["params"],
        json!({"brief": "rye-bread.md", "brand_data": "acme.json", "target_word_count": 1200})
    );

    // The draft records what it was made from, and keeps it through an edit.
    let claimed = claim(&app, "r1", 1);
    assert_eq!(claimed[0]["id"], draft_id.as_str());
    let inputs: Vec<&str> = claimed[0]["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        inputs,
        ["inputs/briefs/rye-bread.md", "inputs/brand-data/acme.json"]
    );
    complete_with(&app, &draft_id, "# Rye Bread\n\nText.");
    let sources = json!({"job_id": draft_id, "brief": "rye-bread.md", "brand_data": "acme.json",
                         "target_word_count": 1200});
    let item = |name: &str| {
        app.list_all("drafts", 10)
            .into_iter()
            .find(|i| i["name"] == name)
            .unwrap()
    };
    assert_eq!(item("rye-bread.md")["sources"], sources);
    app.put("/api/drafts/rye-bread.md", "# Rye Bread\n\nEdited.");
    assert_eq!(item("rye-bread.md")["sources"], sources);
    // A brief records its keywords; a document people wrote has none.
    let brief_doc = app
        .list_all("briefs", 10)
        .into_iter()
        .find(|i| i["name"] == "rye-bread.md")
        .unwrap();
    assert_eq!(brief_doc["sources"]["primary_keyword"], "rye");
    assert_eq!(
        brief_doc["sources"]["secondary_keywords"],
        json!(["sourdough"])
    );
    app.put("/api/drafts/by-hand.md", "# By hand");
    assert!(item("by-hand.md")["sources"].is_null());
    // The draft's own success queues nothing more.
    assert_eq!(job(&app, &draft_id)["child_job_ids"], json!([]));
}

#[test]
fn a_draft_that_cannot_be_queued_leaves_the_brief_completed_saying_why() {
    let app = app();
    let brief = brief_then_draft(&app, Value::Null);
    claim(&app, "r1", 1);
    assert_eq!(app.delete("/api/brand-data/acme.json").status, 204);
    complete_with(&app, &brief, "# Rye Bread");
    let parent = job(&app, &brief);
    assert_eq!(parent["status"], "completed");
    assert_eq!(parent["child_job_ids"], json!([]));
    let error = parent["error"].as_str().unwrap();
    assert!(
        error.contains("draft could not be queued") && error.contains("acme.json"),
        "{error}"
    );
}

#[test]
fn then_draft_is_validated_with_the_brief() {
    let app = app();
    for (words, needle) in [
        (json!(5), "then_draft: target_word_count"),
        (json!("long"), "then_draft: target_word_count"),
    ] {
        let resp = app.post_json(
            "/api/briefs/generate",
            &json!({"title": "T", "primary_keyword": "k", "brand_data": "acme.json",
                    "then_draft": {"target_word_count": words}}),
        );
        assert_error(&resp, 400, needle);
    }
    let unknown = app.post_json(
        "/api/briefs/generate",
        &json!({"title": "T", "primary_keyword": "k", "brand_data": "acme.json",
                "then_draft": {"words": 900}}),
    );
    assert_error(&unknown, 400, "words");
    // Without then_draft a brief queues nothing after it.
    let id = submit_brief(&app, "Plain");
    claim(&app, "r1", 1);
    complete_with(&app, &id, "# Plain");
    assert_eq!(job(&app, &id)["child_job_ids"], json!([]));
    assert_eq!(
        app.get("/api/jobs?status=queued").json_body()["items"],
        json!([])
    );
}
