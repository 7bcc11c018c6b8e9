//! Search: every word, accents and plurals; deleted and replaced documents never returned;
//! restores and job outputs found; paging; concurrent writers; the rebuild; what a query costs.

use std::collections::HashSet;

use api_component::http::ApiRequest;
use api_component::store::Store;
use serde_json::{Value, json};

use crate::support::{App, assert_error};

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {page}"))
        .iter()
        .map(|i| {
            format!(
                "{}/{}",
                i["collection"].as_str().unwrap(),
                i["name"].as_str().unwrap()
            )
        })
        .collect()
}

fn search(app: &App, query: &str) -> Value {
    app.get_json(&format!("/api/search?{query}"))
}

/// Every match of `q`, following cursors.
fn search_all(app: &App, q: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut cursor = String::new();
    for _ in 0..100 {
        let page = search(app, &format!("q={q}&limit=7{cursor}"));
        found.extend(names(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return found,
        }
    }
    panic!("no end to the pages of {q}");
}

fn put(app: &App, path: &str, body: &str) {
    let resp = app.put(path, body.to_owned());
    assert!(
        resp.status < 300,
        "{path}: {}",
        String::from_utf8_lossy(&resp.body)
    );
}

#[test]
fn every_word_must_occur_in_title_name_or_text_whatever_its_case_accents_or_number() {
    let app = App::new();
    put(
        &app,
        "/api/briefs/cafe-guide.md",
        "# Le Café Guide\n\nWhere to drink **espresso** in Zürich.",
    );
    put(
        &app,
        "/api/briefs/shoes.md",
        "# Trail shoes\n\nBoxes of SHOES for runners and their ponies.",
    );
    put(
        &app,
        "/api/drafts/winter-boots.md",
        "# Boots\n\nA shoe for snow.",
    );
    put(
        &app,
        "/api/brand-data/acme.json",
        r#"{"brandInfo": {"companyName": "Acmé Outdoor", "tagline": "Shoes for every trail"}}"#,
    );

    assert_eq!(names(&search(&app, "q=CAFE")), ["briefs/cafe-guide.md"]);
    assert_eq!(
        names(&search(&app, "q=zurich+espressos")),
        ["briefs/cafe-guide.md"]
    );
    // Plural and singular, either way round; newest write first.
    assert_eq!(
        names(&search(&app, "q=shoe")),
        [
            "brand-data/acme.json",
            "drafts/winter-boots.md",
            "briefs/shoes.md"
        ]
    );
    assert_eq!(names(&search(&app, "q=box+pony")), ["briefs/shoes.md"]);
    // Every word: one missing, no match.
    assert_eq!(
        names(&search(&app, "q=shoe+espresso")),
        Vec::<String>::new()
    );
    // The name counts (winter-boots), and so do brand data's values but not its keys.
    assert_eq!(
        names(&search(&app, "q=winter+snow")),
        ["drafts/winter-boots.md"]
    );
    assert_eq!(
        names(&search(&app, "q=acme+outdoor")),
        ["brand-data/acme.json"]
    );
    assert_eq!(names(&search(&app, "q=companyName")), Vec::<String>::new());
    // One collection, by parameter or by its own listing.
    assert_eq!(
        names(&search(&app, "q=shoes&collection=briefs")),
        ["briefs/shoes.md"]
    );
    let listed = app.get("/api/drafts?q=Shoe").json_body();
    assert_eq!(names(&listed), ["drafts/winter-boots.md"]);
    assert_eq!(listed["items"][0]["title"], "Boots");
    assert_eq!(listed["items"][0]["word_count"], 5);
}

#[test]
fn a_snippet_shows_the_first_match_with_utf16_offsets() {
    let app = App::new();
    let filler = "Filler words say nothing much. ".repeat(20);
    put(
        &app,
        "/api/briefs/far.md",
        &format!(
            "# Far\n\n{filler}Then 😀 Émile’s **trail** running shoes, and more shoes.\n\n{filler}"
        ),
    );
    let hit = &search(&app, "q=shoes+emile")["items"][0];
    let text = hit["snippet"]["text"].as_str().unwrap();
    assert!(text.starts_with('…') && text.ends_with('…'), "{text}");
    assert!(!text.contains("**"), "Markdown syntax in {text}");
    let units: Vec<u16> = text.encode_utf16().collect();
    let marked: Vec<String> = hit["snippet"]["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let (a, b) = (
                m[0].as_u64().unwrap() as usize,
                m[1].as_u64().unwrap() as usize,
            );
            String::from_utf16(&units[a..b]).unwrap()
        })
        .collect();
    assert_eq!(marked, ["Émile’s", "shoes", "shoes"]);
}

#[test]
fn replaced_and_deleted_documents_are_never_returned_and_restored_ones_are() {
    let app = App::new();
    put(&app, "/api/briefs/a.md", "# A\n\nAlpine meadow flowers.");
    assert_eq!(names(&search(&app, "q=meadow")), ["briefs/a.md"]);
    put(&app, "/api/briefs/a.md", "# A\n\nCoastal dunes.");
    assert!(names(&search(&app, "q=meadow")).is_empty());
    assert_eq!(names(&search(&app, "q=dunes")), ["briefs/a.md"]);

    // A version restored: its words count again, the replaced ones do not.
    assert_eq!(
        app.send(ApiRequest::new(
            "POST",
            "/api/briefs/a.md/versions/1/restore"
        ))
        .status,
        200
    );
    assert_eq!(names(&search(&app, "q=meadow")), ["briefs/a.md"]);
    assert!(names(&search(&app, "q=dunes")).is_empty());

    assert_eq!(app.delete("/api/briefs/a.md").status, 204);
    assert!(names(&search(&app, "q=meadow")).is_empty());
    assert_eq!(
        app.send(ApiRequest::new("POST", "/api/trash/briefs/a.md/restore"))
            .status,
        201
    );
    assert_eq!(names(&search(&app, "q=alpine+flower")), ["briefs/a.md"]);

    // Written many times over: one result, once.
    for i in 0..30 {
        put(
            &app,
            "/api/briefs/a.md",
            &format!("# A\n\nAlpine edition {i}."),
        );
    }
    assert_eq!(search_all(&app, "alpine"), ["briefs/a.md"]);
    assert!(names(&search(&app, "q=edition+29")).len() == 1);
    assert!(names(&search(&app, "q=edition+28")).is_empty());
}

#[test]
fn a_job_output_is_found() {
    let app = App::new();
    put(
        &app,
        "/api/brand-data/acme.json",
        r#"{"brandInfo": {"companyName": "Acme"}}"#,
    );
    let resp = app.post_json(
        "/api/briefs/generate",
        &json!({"title": "Sourdough", "primary_keyword": "bread", "brand_data": "acme.json"}),
    );
    let id = resp.json_body()["job_id"].as_str().unwrap().to_owned();
    let claim = app.runner(
        "POST",
        "/api/runner/claim",
        json!({"runner": "r1", "slots": 1}).to_string(),
    );
    assert_eq!(claim.json_body()["jobs"][0]["id"], id.as_str());
    let out = app.runner(
        "PUT",
        &format!("/api/runner/jobs/{id}/1/outputs/0"),
        "# Sourdough\n\nLevain hydration explained.",
    );
    assert_eq!(out.status, 200);
    let done = app.runner(
        "POST",
        &format!("/api/runner/jobs/{id}/1/finish"),
        json!({"status": "completed", "log_chunks": 0}).to_string(),
    );
    assert_eq!(done.status, 200, "{}", String::from_utf8_lossy(&done.body));
    assert_eq!(
        names(&search(&app, "q=levain+hydration")),
        ["briefs/sourdough.md"]
    );
}

#[test]
fn pages_follow_each_other_newest_first_without_repeats() {
    let app = App::new();
    for i in 0..45 {
        put(
            &app,
            &format!("/api/drafts/d{i:02}.md"),
            &format!("# Draft {i}\n\nShared words, number {i}."),
        );
    }
    put(&app, "/api/briefs/other.md", "# Other\n\nShared too.");
    let all = search_all(&app, "shared+word");
    let mut want: Vec<String> = (0..45)
        .rev()
        .map(|i| format!("drafts/d{i:02}.md"))
        .collect();
    assert_eq!(all.len(), 45, "{all:?}");
    assert_eq!(all, want);
    // With the other collection's document, and in one collection.
    want.insert(0, "briefs/other.md".into());
    assert_eq!(search_all(&app, "shared").len(), 46);
    let page = app.get("/api/briefs?q=shared&limit=5").json_body();
    assert_eq!(names(&page), ["briefs/other.md"]);
    assert_eq!(page["next_cursor"], Value::Null);
}

#[test]
fn bad_queries_are_refused_with_400() {
    let app = App::new();
    assert_error(&app.get("/api/search"), 400, "q is required");
    assert_error(&app.get("/api/search?q=%20%20"), 400, "q is required");
    assert_error(&app.get("/api/search?q=%3F%21"), 400, "no words");
    let many: Vec<String> = (0..17).map(|i| format!("w{i}")).collect();
    assert_error(
        &app.get(&format!("/api/search?q={}", many.join("+"))),
        400,
        "more than 16",
    );
    assert_error(
        &app.get(&format!("/api/search?q={}", "a".repeat(501))),
        400,
        "over 500",
    );
    assert_error(&app.get("/api/search?q=x&limit=101"), 400, "limit");
    assert_error(
        &app.get("/api/search?q=x&collection=jobs"),
        400,
        "collection",
    );
    assert_error(&app.get("/api/search?q=x&cursor=1.5"), 400, "cursor");
    assert_error(&app.get("/api/search?q=x&cursor=abc"), 400, "cursor");
    assert_error(&app.get("/api/briefs?q=x&cursor=12"), 400, "cursor");
    // An empty q on a listing is the listing.
    assert!(app.get("/api/briefs?q=").json_body()["items"].is_array());
    assert_error(
        &app.send(ApiRequest::new("POST", "/api/search/rebuild?cursor=9.1")),
        400,
        "cursor",
    );
}

/// Several writers at once, on the same documents and on their own: every document is found by
/// its final words only, once.
#[test]
fn concurrent_writers_leave_every_document_findable_by_its_last_words() {
    let app = App::new();
    std::thread::scope(|s| {
        for t in 0..4 {
            let app = &app;
            s.spawn(move || {
                for round in 0..15 {
                    put(
                        app,
                        "/api/briefs/shared.md",
                        &format!("# Shared\n\nwriter{t} round{round} common"),
                    );
                    put(
                        app,
                        &format!("/api/drafts/own-{t}-{round}.md"),
                        &format!("# Own\n\nmine{t} common"),
                    );
                }
            });
        }
    });
    let content = String::from_utf8(app.get("/api/briefs/shared.md").body).unwrap();
    let last: Vec<&str> = content.split_whitespace().skip(2).take(2).collect();
    assert_eq!(
        names(&search(&app, &format!("q={}+{}", last[0], last[1]))),
        ["briefs/shared.md"]
    );
    for t in 0..4 {
        for round in 0..15 {
            let words = format!("writer{t}+round{round}");
            if format!("{}+{}", last[0], last[1]) != words {
                assert!(
                    names(&search(&app, &format!("q={words}"))).is_empty(),
                    "{words}"
                );
            }
        }
        assert_eq!(search_all(&app, &format!("mine{t}")).len(), 15);
    }
    let all = search_all(&app, "common");
    assert_eq!(all.len(), 61);
    assert_eq!(
        all.iter().collect::<HashSet<_>>().len(),
        61,
        "a document returned twice"
    );
}

/// The index can be recreated for documents written before it existed, in bounded steps.
#[test]
fn a_rebuild_indexes_documents_the_index_does_not_know() {
    let app = App::new();
    for i in 0..120 {
        put(
            &app,
            &format!("/api/briefs/b{i}.md"),
            &format!("# Brief {i}\n\nOlder text {i}."),
        );
    }
    put(
        &app,
        "/api/brand-data/acme.json",
        r#"{"name": "Acme older"}"#,
    );
    // The store as an older version of the server left it: no index.
    let index_keys: Vec<String> = app
        .store
        .keys()
        .into_iter()
        .filter(|k| k.starts_with("srch/"))
        .collect();
    app.store.delete_many(&index_keys).unwrap();
    assert!(names(&search(&app, "q=older")).is_empty());

    let mut steps = 0;
    let mut indexed = 0;
    let mut cursor = String::new();
    loop {
        let step = app.send(ApiRequest::new(
            "POST",
            &format!("/api/search/rebuild{cursor}"),
        ));
        assert_eq!(step.status, 200);
        let step = step.json_body();
        steps += 1;
        indexed += step["indexed"].as_u64().unwrap();
        if step["done"] == true {
            assert_eq!(step["next_cursor"], Value::Null);
            break;
        }
        cursor = format!("?cursor={}", step["next_cursor"].as_str().unwrap());
    }
    assert_eq!(indexed, 121);
    assert!(steps >= 3, "{steps} steps for 121 documents");
    let found = search_all(&app, "older");
    assert_eq!(found.len(), 121);
    assert_eq!(found[0], "briefs/b119.md", "newest written first");
    // Again: nothing left to do.
    let again = app
        .send(ApiRequest::new("POST", "/api/search/rebuild"))
        .json_body();
    assert_eq!(
        (again["indexed"].as_u64(), again["current"].as_u64()),
        (Some(0), Some(121))
    );
}

/// What a search reads grows with the rarest word's postings and the page, not with the number
/// of documents.
#[test]
fn a_query_reads_in_proportion_to_its_rarest_word_not_to_the_documents() {
    let reads = |documents: usize| {
        let app = App::new();
        for i in 0..documents {
            let rare = if i % (documents / 3) == 0 {
                " zephyr"
            } else {
                ""
            };
            put(
                &app,
                &format!("/api/briefs/d{i}.md"),
                &format!("# D{i}\n\nCommon words{rare}."),
            );
        }
        let before = app.store.reads().0;
        let page = search(&app, "q=common+zephyr");
        assert_eq!(names(&page).len(), 3);
        app.store.reads().0 - before
    };
    let (small, large) = (reads(60), reads(600));
    assert_eq!(small, large, "keys read with 60 and with 600 documents");
}
