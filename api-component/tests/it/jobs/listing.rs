//! The job listing's filters (status, type, text, submitter, creation window), combined and
//! paged, and its bound: one request examines at most `MAX_EXAMINED` jobs, however rare the
//! match, and bad values are refused before anything is read.

use super::*;
use api_component::jobs::views::MAX_EXAMINED;

use crate::access::{user_session, with_cookie};

fn ids(resp: &ApiResponse) -> Vec<String> {
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    resp.json_body()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap().to_owned())
        .collect()
}

fn next_cursor(resp: &ApiResponse) -> Option<String> {
    resp.json_body()["next_cursor"].as_str().map(str::to_owned)
}

fn submit_draft(app: &App, brief: &str) -> String {
    let resp = app.post_json(
        "/api/drafts/generate",
        &json!({"brief": brief, "brand_data": "acme.json", "target_word_count": 800}),
    );
    assert_eq!(resp.status, 202, "{}", String::from_utf8_lossy(&resp.body));
    resp.json_body()["job_id"].as_str().unwrap().to_owned()
}

#[test]
fn filters_combine_by_type_text_submitter_status_and_time() {
    let app = app();
    app.put("/api/briefs/rye-bread.md", "# Rye bread\n");
    let oats = submit_brief(&app, "Overnight OATS");
    app.advance(86_400_000);
    let draft = submit_draft(&app, "rye-bread.md");
    let cookie = user_session(&app, "Editor@Example.com", "editor", "a long password 1");
    let by_editor = app.send(with_cookie(
        ApiRequest::new("POST", "/api/briefs/generate")
            .with_header("content-type", "application/json")
            .with_body(
                json!({"title": "Sourdough starter", "primary_keyword": "Levain", "brand_data": "acme.json"})
                    .to_string(),
            ),
        &cookie,
    ));
    assert_eq!(by_editor.status, 202);
    let by_editor = by_editor.json_body()["job_id"].as_str().unwrap().to_owned();
    app.send(ApiRequest::new("POST", &format!("/api/jobs/{oats}/cancel")));

    assert_eq!(ids(&app.get("/api/jobs?type=draft")), [draft.clone()]);
    assert_eq!(
        ids(&app.get("/api/jobs?type=brief")),
        [by_editor.clone(), oats.clone()]
    );
    // Text: a title, a keyword, a brief's name, a brand data name, ignoring case.
    assert_eq!(ids(&app.get("/api/jobs?q=oats")), [oats.clone()]);
    assert_eq!(ids(&app.get("/api/jobs?q=LEVAIN")), [by_editor.clone()]);
    assert_eq!(ids(&app.get("/api/jobs?q=rye-bread")), [draft.clone()]);
    assert_eq!(ids(&app.get("/api/jobs?q=Acme")).len(), 3);
    assert_eq!(
        ids(&app.get("/api/jobs?q=sourdough%20starter")),
        [by_editor.clone()]
    );
    assert_eq!(
        ids(&app.get("/api/jobs?q=nothing+like+it")),
        Vec::<String>::new()
    );
    // Text matches who submitted a job too: part of an email, or "admin".
    assert_eq!(ids(&app.get("/api/jobs?q=EDITOR%40")), [by_editor.clone()]);
    assert_eq!(
        ids(&app.get("/api/jobs?q=admin")),
        [draft.clone(), oats.clone()]
    );
    assert_eq!(
        ids(&app.get("/api/jobs?submitted_by=editor%40example.com")),
        [by_editor.clone()]
    );
    assert_eq!(
        ids(&app.get("/api/jobs?submitted_by=admin&type=brief")),
        [oats.clone()]
    );
    assert_eq!(
        ids(&app.get("/api/jobs?status=cancelled&q=oat")),
        [oats.clone()]
    );
    assert_eq!(
        ids(&app.get("/api/jobs?status=queued&q=oat")),
        Vec::<String>::new()
    );

    // The clock started on 2026-01-01; the draft and the editor's brief came a day later.
    assert_eq!(ids(&app.get("/api/jobs?to=2026-01-01")), [oats.clone()]);
    assert_eq!(
        ids(&app.get("/api/jobs?from=2026-01-02&to=2026-01-02")),
        [by_editor.clone(), draft.clone()]
    );
    let created = job(&app, &draft)["created_at"].as_str().unwrap().to_owned();
    let exact = created.replace('Z', "%2B00:00");
    assert_eq!(
        ids(&app.get(&format!("/api/jobs?to={exact}&from={exact}"))),
        [draft.clone()]
    );
    // Nothing older can be in the window: the page says there is no next one.
    let window = app.get("/api/jobs?from=2026-01-02&limit=1");
    assert_eq!(ids(&window), [by_editor.clone()]);
    let rest = app.get(&format!(
        "/api/jobs?from=2026-01-02&limit=1&cursor={}",
        next_cursor(&window).unwrap()
    ));
    assert_eq!(ids(&rest), [draft.clone()]);
    assert_eq!(
        next_cursor(&rest),
        None,
        "the walk stopped at the older job"
    );

    // Filtered pages follow the cursor like any other.
    let first = app.get("/api/jobs?q=acme&limit=2");
    assert_eq!(ids(&first), [by_editor.clone(), draft.clone()]);
    let second = app.get(&format!(
        "/api/jobs?q=acme&limit=2&cursor={}",
        next_cursor(&first).unwrap()
    ));
    assert_eq!(ids(&second), [oats]);
}

#[test]
fn a_rare_match_is_found_page_by_page_without_reading_the_whole_history() {
    let app = app();
    let rare = submit_brief(&app, "The one about rye");
    let total = MAX_EXAMINED as usize + 150;
    for i in 1..total {
        submit_brief(&app, &format!("Common {i}"));
    }
    let before = app.store.reads().0;
    let first = app.get("/api/jobs?q=rye&limit=50");
    let read = app.store.reads().0 - before;
    assert_eq!(
        ids(&first),
        Vec::<String>::new(),
        "a short page: nothing matched yet"
    );
    let cursor = next_cursor(&first).expect("and a cursor to go on from");
    assert_eq!(cursor, (total as i64 - MAX_EXAMINED).to_string());
    // An index entry and a record per job examined, plus the counter and a little bookkeeping.
    assert!(
        read <= 2 * MAX_EXAMINED as u64 + 8,
        "{read} keys read for one page of a rare filter"
    );
    let second = app.get(&format!("/api/jobs?q=rye&limit=50&cursor={cursor}"));
    assert_eq!(ids(&second), [rare]);
    assert_eq!(next_cursor(&second), None);
    // Without a filter a page reads what it shows.
    let before = app.store.reads().0;
    assert_eq!(ids(&app.get("/api/jobs?limit=10")).len(), 10);
    // An index entry, a record and a cancel flag per job, plus the counter and the queue head.
    assert!(app.store.reads().0 - before <= 3 * 11 + 8);
}

#[test]
fn bad_filters_are_refused_before_anything_is_read() {
    let app = app();
    submit_brief(&app, "Anything");
    for (query, needle) in [
        (
            "type=poem",
            "type \"poem\" is not one of brand_data, brief, draft, revision",
        ),
        ("status=lost", "status \"lost\""),
        ("from=last%20week", "not a date (YYYY-MM-DD)"),
        ("to=2026-01-05T09:00:00+01:00", "%2B"),
        ("from=2026-02-01&to=2026-01-31", "from is after to"),
        ("from=2026-02-30", "from"),
        ("submitted_by=", ""),
        ("limit=0&type=brief", "limit"),
        ("cursor=-4&q=x", "cursor"),
    ] {
        let before = app.store.reads().0;
        let resp = app.get(&format!("/api/jobs?{query}"));
        if needle.is_empty() {
            assert_eq!(resp.status, 200, "{query}: an empty value is no filter");
            continue;
        }
        assert_error(&resp, 400, needle);
        // Only the credential check reads (the admin token needs none).
        assert_eq!(app.store.reads().0, before, "{query}: the store was read");
    }
    let long = "q".repeat(201);
    assert_error(
        &app.get(&format!("/api/jobs?q={long}")),
        400,
        "longer than 200",
    );
}

#[test]
fn a_cursor_beyond_the_newest_job_is_refused() {
    let app = app();
    for i in 0..3 {
        submit_brief(&app, &format!("Brief {i}"));
    }
    // Forged: no page ever pointed there, and following it would walk empty pages for ever.
    for forged in ["9223372036854775807", "4"] {
        assert_error(
            &app.get(&format!("/api/jobs?cursor={forged}")),
            400,
            "cursor is not one this API returned",
        );
    }
    // The newest job's own number is a cursor a page may hand out.
    assert_eq!(ids(&app.get("/api/jobs?cursor=3")).len(), 3);
    assert_eq!(ids(&app.get("/api/jobs?cursor=1")).len(), 1);
}
