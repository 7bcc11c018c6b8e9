//! Batches: validated whole before anything is queued, followed and cancelled as one.

use super::*;

fn brief_item(title: &str) -> Value {
    json!({"title": title, "primary_keyword": "bread", "secondary_keywords": [], "brand_data": "acme.json"})
}

fn queued_jobs(app: &App) -> usize {
    app.get("/api/jobs?status=queued&limit=100").json_body()["items"]
        .as_array()
        .unwrap()
        .len()
}

#[test]
fn a_batch_queues_every_item_with_distinct_outputs() {
    let app = app();
    let items: Vec<Value> = ["Rye", "Rye", "Spelt"]
        .iter()
        .map(|t| brief_item(t))
        .collect();
    let resp = app.post_json("/api/briefs/generate/batch", &json!({ "items": items }));
    assert_eq!(resp.status, 202, "{}", String::from_utf8_lossy(&resp.body));
    let body = resp.json_body();
    let batch = body["batch_id"].as_str().unwrap().to_owned();
    assert_eq!(
        resp.header("location"),
        Some(format!("/api/batches/{batch}").as_str())
    );
    let ids: Vec<String> = body["job_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 3);
    // Two items with one title still get two documents.
    let outputs: Vec<String> = ids
        .iter()
        .map(|id| {
            let claimed = job(&app, id);
            assert_eq!(claimed["batch_id"], batch.as_str());
            assert_eq!(claimed["status"], "queued");
            claimed["params"]["title"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(outputs, ["Rye", "Rye", "Spelt"]);
    let claimed = claim(&app, "r1", 3);
    let mut names: Vec<&str> = claimed
        .iter()
        .map(|j| j["outputs"][0]["path"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["output/rye-2.md", "output/rye.md", "output/spelt.md"]
    );

    let view = app.get(&format!("/api/batches/{batch}")).json_body();
    assert_eq!(view["total"], 3);
    assert_eq!(view["counts"]["running"], 3);
    assert_eq!(view["done"], false);
    assert_eq!(view["collection"], "briefs");
    assert_eq!(view["created_by"], "admin");
}

#[test]
fn one_bad_item_refuses_the_whole_batch() {
    let app = app();
    let mut items: Vec<Value> = (0..5).map(|i| brief_item(&format!("Item {i}"))).collect();
    items[3] = json!({"title": "No brand", "primary_keyword": "x", "brand_data": "missing.json"});
    let resp = app.post_json("/api/briefs/generate/batch", &json!({ "items": items }));
    assert_error(&resp, 400, "items[3]");
    assert_eq!(queued_jobs(&app), 0);
    items[3] = json!("not an object");
    assert_error(
        &app.post_json("/api/briefs/generate/batch", &json!({ "items": items })),
        400,
        "items[3]: must be a JSON object",
    );
    items[3] = json!({"title": "Typo", "primary_keywrd": "x", "brand_data": "acme.json"});
    assert_error(
        &app.post_json("/api/briefs/generate/batch", &json!({ "items": items })),
        400,
        "items[3]",
    );
    assert_error(
        &app.post_json("/api/briefs/generate/batch", &json!({ "items": [] })),
        400,
        "1 to 100",
    );
    let many: Vec<Value> = (0..101).map(|i| brief_item(&format!("N{i}"))).collect();
    assert_error(
        &app.post_json("/api/briefs/generate/batch", &json!({ "items": many })),
        400,
        "1 to 100",
    );
    assert_error(
        &app.post_json("/api/briefs/generate/batch", &json!({ "jobs": [] })),
        400,
        "",
    );
    assert_error(
        &app.post_json("/api/brand-data/generate/batch", &json!({ "items": [] })),
        404,
        "one brand at a time",
    );
    assert_eq!(queued_jobs(&app), 0, "a refused batch queued something");
}

#[test]
fn a_batch_must_fit_in_the_queue() {
    let app = App::with_settings(Settings {
        max_queued_jobs: 4,
        ..Settings::default()
    });
    app.put("/api/brand-data/acme.json", BRAND);
    submit_brief(&app, "Already waiting");
    let items: Vec<Value> = (0..4).map(|i| brief_item(&format!("B{i}"))).collect();
    let resp = app.post_json("/api/briefs/generate/batch", &json!({ "items": items }));
    assert_error(&resp, 429, "4 more do not fit");
    assert!(resp.header("retry-after").is_some());
    assert_eq!(queued_jobs(&app), 1);
    let fits = app.post_json(
        "/api/briefs/generate/batch",
        &json!({ "items": items[..3] }),
    );
    assert_eq!(fits.status, 202);
    assert_eq!(queued_jobs(&app), 4);
}

#[test]
fn a_batch_is_cancelled_as_one() {
    let app = app();
    let items: Vec<Value> = (0..4).map(|i| brief_item(&format!("C{i}"))).collect();
    let body = app
        .post_json("/api/briefs/generate/batch", &json!({ "items": items }))
        .json_body();
    let batch = body["batch_id"].as_str().unwrap();
    let running = claim(&app, "r1", 1);
    assert_eq!(running.len(), 1);
    let cancelled = app.send(ApiRequest::new(
        "POST",
        &format!("/api/batches/{batch}/cancel"),
    ));
    assert_eq!(cancelled.status, 202);
    let view = cancelled.json_body();
    assert_eq!(view["counts"]["cancelled"], 3, "{view}");
    assert_eq!(
        view["counts"]["running"], 1,
        "the running one stops with its runner"
    );
    let running_id = running[0]["id"].as_str().unwrap();
    assert_eq!(job(&app, running_id)["cancel_requested"], true);
    assert_eq!(
        claim(&app, "r2", 3).len(),
        0,
        "a cancelled job was handed out"
    );

    assert_error(&app.get("/api/batches/0-0000000000000000"), 404, "no batch");
    assert_error(&app.get("/api/batches/..%2f"), 404, "no batch");
    assert_error(
        &app.send(ApiRequest::new("POST", "/api/batches/ffff/cancel")),
        404,
        "no batch",
    );
}
