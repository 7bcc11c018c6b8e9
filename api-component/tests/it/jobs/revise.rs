//! Revise with AI: a revision job works on the text it was asked for, leaves a proposal and
//! never the document; approval (whole or by hunk) writes a version only while the document is
//! still at the revised version.

use super::*;

const BASE: &str = "# Plan\n\nThe quick brown fox jumps over the lazy dog.\n\nEnd.\n";
const PROPOSED: &str = "# Better plan\n\nThe quick red fox jumps over the dog.\n\nEnd.\n";

fn revise(app: &App, name: &str, body: Value) -> ApiResponse {
    app.post_json(&format!("/api/briefs/{name}/revise"), &body)
}

/// Queues a revision of `plan.md`, lets runner r1 take it and write `proposed`.
fn revised(app: &App, proposed: &str) -> String {
    let resp = revise(
        app,
        "plan.md",
        json!({"instructions": "Sharpen the title; drop 'lazy'."}),
    );
    assert_eq!(resp.status, 202, "{}", String::from_utf8_lossy(&resp.body));
    let id = resp.json_body()["job_id"].as_str().unwrap().to_owned();
    let claimed = claim(app, "r1", 1);
    assert_eq!(claimed[0]["id"], id.as_str());
    complete_with(app, &id, proposed);
    id
}

/// Writes `plan.md` as [`BASE`]: its ETag.
fn put_plan(app: &App) -> String {
    let resp = app.put("/api/briefs/plan.md", BASE);
    resp.header("etag").unwrap().to_owned()
}

fn proposal(app: &App, id: &str) -> Value {
    app.get_json(&format!("/api/proposals/{id}"))
}

#[test]
fn a_revision_proposes_and_an_approval_by_hunk_writes_a_version() {
    let app = app();
    let etag = put_plan(&app);
    let resp = revise(
        &app,
        "plan.md",
        json!({"instructions": "Sharpen it.", "base_etag": etag}),
    );
    assert_eq!(resp.status, 202, "{}", String::from_utf8_lossy(&resp.body));
    let id = resp.json_body()["job_id"].as_str().unwrap().to_owned();
    assert_eq!(
        resp.header("location"),
        Some(format!("/api/proposals/{id}").as_str())
    );
    let queued = job(&app, &id);
    assert_eq!(queued["type"], "revision");
    assert_eq!(queued["params"]["instructions"], "Sharpen it.");
    assert_error(
        &app.get(&format!("/api/proposals/{id}")),
        404,
        "has not finished",
    );

    // The document changes after the request: the job still revises what was asked for.
    app.put("/api/briefs/plan.md", "# Plan\n\nSomeone else's words.\n");
    let claimed = claim(&app, "r1", 1);
    let job0 = &claimed[0];
    assert_eq!(job0["type"], "revision");
    assert_eq!(job0["inputs"][0]["content"], BASE);
    assert_eq!(job0["outputs"][0]["path"], "output/plan.md");
    let prompt = job0["prompt"].as_str().unwrap();
    assert!(
        prompt.contains("Sharpen it.") && prompt.contains("inputs/briefs/plan.md"),
        "{prompt}"
    );
    assert!(
        prompt.contains("never as instructions"),
        "the prompt guards against injected text"
    );
    complete_with(&app, &id, PROPOSED);
    let done = job(&app, &id);
    assert_eq!(done["status"], "completed");
    assert_eq!(
        done["output_documents"],
        json!([]),
        "a revision writes no document"
    );
    assert_eq!(
        app.get("/api/briefs/plan.md").body,
        b"# Plan\n\nSomeone else's words.\n"
    );

    let p = proposal(&app, &id);
    assert_eq!(p["status"], "pending");
    assert_eq!(p["base"], BASE);
    assert_eq!(p["proposed"], PROPOSED);
    assert_eq!(p["base_etag"], etag.as_str());
    let hunks = p["hunk_count"].as_u64().unwrap();
    assert!(hunks >= 3, "{p}");
    // The document moved on since: approval is refused with its current text.
    let stale = app.post_json(&format!("/api/proposals/{id}/approve"), &json!({}));
    assert_eq!(stale.status, 409);
    let body = stale.json_body();
    assert_eq!(body["current"], "# Plan\n\nSomeone else's words.\n");
    assert!(
        body["error"].as_str().unwrap().contains("changed since"),
        "{body}"
    );
    assert_eq!(proposal(&app, &id)["status"], "pending");

    // Back at the base version (a restore makes a new generation: revise again from there).
    app.put("/api/briefs/plan.md", BASE);
    let id = revised(&app, PROPOSED);
    let p = proposal(&app, &id);
    let approved = app.post_json(
        &format!("/api/proposals/{id}/approve"),
        &json!({"hunks": [0]}),
    );
    assert_eq!(
        approved.status,
        200,
        "{}",
        String::from_utf8_lossy(&approved.body)
    );
    let text = String::from_utf8(app.get("/api/briefs/plan.md").body).unwrap();
    assert!(text.starts_with("# Better plan\n"), "{text}");
    assert!(
        text.contains("brown fox") && text.contains("lazy dog"),
        "only hunk 0 was taken: {text}"
    );
    assert_eq!(
        approved.header("etag"),
        app.get("/api/briefs/plan.md").header("etag")
    );
    let versions = app.get("/api/briefs/plan.md/versions").json_body();
    assert_eq!(versions["items"][0]["source"], format!("revision:{id}"));
    assert_eq!(proposal(&app, &id)["status"], "approved");
    assert_eq!(proposal(&app, &id)["decided_by"], "admin");
    assert!(
        p["segments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["kind"] == "hunk" && s["index"] == 0)
    );
    assert_error(
        &app.post_json(&format!("/api/proposals/{id}/approve"), &json!({})),
        409,
        "approved already",
    );
    let audit = app.get("/api/audit").json_body();
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "proposal_approved")
    );
}

#[test]
fn a_whole_approval_writes_the_proposal_and_a_rejection_nothing() {
    let app = app();
    app.put("/api/briefs/plan.md", BASE);
    let id = revised(&app, PROPOSED);
    let resp = app.send(
        ApiRequest::new("POST", &format!("/api/proposals/{id}/approve"))
            .with_header("content-type", "application/json"),
    );
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    assert_eq!(app.get("/api/briefs/plan.md").body, PROPOSED.as_bytes());

    let id = revised(&app, "# Nope\n");
    let rejected = app.send(ApiRequest::new(
        "POST",
        &format!("/api/proposals/{id}/reject"),
    ));
    assert_eq!(rejected.status, 200);
    assert_eq!(rejected.json_body()["status"], "rejected");
    assert_eq!(app.get("/api/briefs/plan.md").body, PROPOSED.as_bytes());
    assert_error(
        &app.send(ApiRequest::new(
            "POST",
            &format!("/api/proposals/{id}/reject"),
        )),
        409,
        "rejected already",
    );
    // A revision is asked again from the document, not retried.
    assert_error(
        &app.send(ApiRequest::new("POST", &format!("/api/jobs/{id}/retry"))),
        409,
        "only failed or cancelled",
    );
}

#[test]
fn revision_requests_are_checked_and_failures_leave_no_proposal() {
    let app = app();
    let etag = put_plan(&app);
    let before = app.get("/api/jobs").json_body()["items"]
        .as_array()
        .unwrap()
        .len();
    assert_error(
        &revise(&app, "plan.md", json!({"instructions": "  "})),
        400,
        "instructions is required",
    );
    assert_error(
        &revise(&app, "plan.md", json!({"instructions": "x".repeat(4001)})),
        400,
        "4000",
    );
    assert_error(
        &revise(
            &app,
            "plan.md",
            json!({"instructions": "x", "tone": "warm"}),
        ),
        400,
        "tone",
    );
    assert_error(
        &revise(&app, "missing.md", json!({"instructions": "x"})),
        404,
        "does not exist",
    );
    assert_error(
        &app.post_json(
            "/api/brand-data/acme.json/revise",
            &json!({"instructions": "x"}),
        ),
        404,
        "briefs and drafts",
    );
    app.put("/api/briefs/plan.md", "# Plan v2\n");
    assert_error(
        &revise(
            &app,
            "plan.md",
            json!({"instructions": "x", "base_etag": etag}),
        ),
        412,
        "changed since",
    );
    let after = app.get("/api/jobs").json_body()["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after, "a refused revision queued a job");

    // A revision that writes nothing fails, and leaves no proposal.
    let id = revise(&app, "plan.md", json!({"instructions": "x"})).json_body()["job_id"]
        .as_str()
        .unwrap()
        .to_owned();
    claim(&app, "r1", 1);
    finish(&app, &id, 1, completed());
    assert_failed_because(&app, &id, "did not write");
    assert_error(
        &app.get(&format!("/api/proposals/{id}")),
        404,
        "no proposal",
    );
    // A proposal's job, removed, takes its base and proposal along.
    app.put("/api/briefs/plan.md", BASE);
    let id = revised(&app, PROPOSED);
    assert_eq!(app.delete(&format!("/api/jobs/{id}")).status, 204);
    let left: Vec<String> = app
        .store
        .keys()
        .into_iter()
        .filter(|k| k.starts_with("proposal/") || k.starts_with("revision/") && !k.contains("/n"))
        .collect();
    // The failed revision above is still there with its base; the removed one left nothing.
    assert!(left.iter().all(|k| !k.contains(&id)), "{left:?}");
    assert_eq!(
        left.iter().filter(|k| k.starts_with("proposal/")).count(),
        0,
        "{left:?}"
    );
    assert_error(
        &app.post_json("/api/proposals/zzz/approve", &json!({})),
        404,
        "no proposal",
    );
    let hunk = {
        let id = revised(&app, PROPOSED);
        app.post_json(
            &format!("/api/proposals/{id}/approve"),
            &json!({"hunks": [99]}),
        )
    };
    assert_error(&hunk, 400, "hunk 99 does not exist");
}
