//! Quality gates: the fixture briefs and drafts (one good, one failing each check) give the
//! results `tests/fixtures/quality/expected.json` states, through
//! `GET /api/{briefs|drafts}/{name}/quality`; a job's output is graded when it completes.

use serde_json::{Value, json};

use crate::support::{App, assert_error};

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/quality/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn expected() -> Value {
    serde_json::from_str(&fixture("expected.json")).unwrap()
}

/// An app holding every fixture, uploaded (so without sources).
fn app_with_fixtures() -> App {
    let app = App::new();
    app.put("/api/brand-data/brand.json", fixture("brand.json"));
    for name in ["good-brief.md", "bad-brief.md"] {
        app.put(&format!("/api/briefs/{name}"), fixture(name));
    }
    for name in ["good-draft.md", "bad-draft.md"] {
        app.put(&format!("/api/drafts/{name}"), fixture(name));
    }
    app
}

fn query(pairs: &[(&str, String)]) -> String {
    let encoded: Vec<String> = pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                v.replace('%', "%25")
                    .replace(' ', "%20")
                    .replace(',', "%2C")
                    .replace('&', "%26")
            )
        })
        .collect();
    encoded.join("&")
}

fn report(app: &App, path: &str) -> Value {
    app.get_json(path)
}

/// The statuses of a report by check id, and its ids in order.
fn statuses(report: &Value) -> (Value, Vec<String>) {
    let checks = report["checks"].as_array().unwrap();
    let map = checks
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_owned(), c["status"].clone()))
        .collect::<serde_json::Map<_, _>>();
    let ids = checks
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    (Value::Object(map), ids)
}

/// The check ids, in the order a report gives them.
const BRIEF_CHECKS: [&str; 8] = [
    "brief.sections",
    "brief.h1_keyword",
    "brief.competitors",
    "brief.faq",
    "brief.meta_title",
    "brief.meta_description",
    "brief.outline",
    "brief.word_target",
];
const DRAFT_CHECKS: [&str; 12] = [
    "draft.word_count",
    "draft.h1_keyword",
    "draft.intro_keyword",
    "draft.h2_keyword",
    "draft.outline_coverage",
    "draft.faq",
    "draft.heading_levels",
    "draft.keyword_density",
    "draft.readability",
    "draft.placeholders",
    "draft.links",
    "draft.banned_terms",
];

fn assert_matches(name: &str, report: &Value, want: &Value) {
    let (got, ids) = statuses(report);
    let order: &[&str] = if name.contains("brief") {
        &BRIEF_CHECKS
    } else {
        &DRAFT_CHECKS
    };
    assert_eq!(ids, order, "{name}: the checks and their order");
    assert_eq!(&got, &want["checks"], "{name}: {report:#}");
    assert_eq!(report["score"], want["score"], "{name}: {report:#}");
    for check in report["checks"].as_array().unwrap() {
        assert!(!check["label"].as_str().unwrap().is_empty(), "{check}");
        assert!(!check["detail"].as_str().unwrap().is_empty(), "{check}");
    }
}

#[test]
fn the_fixtures_give_their_expected_results() {
    let app = app_with_fixtures();
    let all = expected();
    let keywords = &all["keywords"];
    let primary = keywords["primary_keyword"].as_str().unwrap().to_owned();
    let secondary: Vec<&str> = keywords["secondary_keywords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let words = [
        ("primary_keyword", primary),
        ("secondary_keywords", secondary.join(",")),
    ];
    for (name, want) in all["briefs"].as_object().unwrap() {
        let r = report(
            &app,
            &format!("/api/briefs/{name}/quality?{}", query(&words)),
        );
        assert_matches(name, &r, want);
    }
    for (name, want) in all["drafts"].as_object().unwrap() {
        let mut q = words.to_vec();
        for key in ["brief", "brand_data", "target_word_count"] {
            q.push((key, want[key].to_string().trim_matches('"').to_owned()));
        }
        let r = report(&app, &format!("/api/drafts/{name}/quality?{}", query(&q)));
        assert_matches(name, &r, want);
    }
}

/// Runs the one queued job on runner r1, its output being `output`; returns the finished job.
fn run_job(app: &App, output: &str) -> Value {
    let resp = app.runner(
        "POST",
        "/api/runner/claim",
        json!({"runner": "r1", "slots": 1}).to_string(),
    );
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    let id = resp.json_body()["jobs"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let put = app.runner("PUT", &format!("/api/runner/jobs/{id}/1/outputs/0"), output);
    assert_eq!(put.status, 200);
    let done = app.runner(
        "POST",
        &format!("/api/runner/jobs/{id}/1/finish"),
        json!({"status": "completed", "log_chunks": 0}).to_string(),
    );
    assert_eq!(done.status, 200, "{}", String::from_utf8_lossy(&done.body));
    app.get(&format!("/api/jobs/{id}")).json_body()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A brief job and the draft it asks for are graded when they complete: the job, the listing
/// and the endpoint agree, and the draft is checked against the brief's keywords and the brand
/// data without being told.
#[test]
fn generated_documents_are_graded_against_their_sources() {
    let app = App::new();
    app.put("/api/brand-data/brand.json", fixture("brand.json"));
    let resp = app.post_json(
        "/api/briefs/generate",
        &json!({"title": "Keep a starter alive", "primary_keyword": "sourdough starter",
                "secondary_keywords": ["feeding schedule"], "brand_data": "brand.json",
                "then_draft": {"target_word_count": 450}}),
    );
    assert_eq!(resp.status, 202, "{}", String::from_utf8_lossy(&resp.body));
    let queued = app
        .get(&format!(
            "/api/jobs/{}",
            resp.json_body()["job_id"].as_str().unwrap()
        ))
        .json_body();
    assert_eq!(
        queued["quality"],
        Value::Null,
        "not graded before it completes"
    );
    let brief_job = run_job(&app, &fixture("good-brief.md"));
    assert_eq!(brief_job["status"], "completed", "{brief_job}");
    assert_eq!(
        brief_job["quality"],
        json!({"score": 100, "failed": []}),
        "{brief_job}"
    );
    let instructions = std::fs::read(format!(
        "{}/../instructions/brief_generation_instructions.md",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    assert_eq!(
        brief_job["template"],
        json!({"name": "brief_generation_instructions.md", "sha256": sha256_hex(&instructions)})
    );
    let name = brief_job["output_documents"][0]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let listed = app.get("/api/briefs").json_body();
    assert_eq!(listed["items"][0]["name"], name.as_str());
    assert_eq!(listed["items"][0]["quality"], brief_job["quality"]);
    let r = report(&app, &format!("/api/briefs/{name}/quality"));
    assert_eq!(r["score"], 100, "the job's keywords are used: {r:#}");

    // The draft the brief asked for: checked against the brief's keywords and the brand data.
    let draft_job = run_job(&app, &fixture("bad-draft.md"));
    assert_eq!(draft_job["type"], "draft");
    assert_eq!(
        draft_job["template"]["name"],
        "draft_generation_instructions.md"
    );
    let failed = draft_job["quality"]["failed"].as_array().unwrap().clone();
    for id in [
        "draft.word_count",
        "draft.h1_keyword",
        "draft.outline_coverage",
        "draft.banned_terms",
    ] {
        assert!(failed.contains(&json!(id)), "{id} in {draft_job}");
    }
    let draft = draft_job["output_documents"][0]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = report(&app, &format!("/api/drafts/{draft}/quality"));
    assert_eq!(r["score"], draft_job["quality"]["score"]);
    let (got, _) = statuses(&r);
    assert_eq!(got, expected()["drafts"]["bad-draft.md"]["checks"], "{r:#}");
    assert_eq!(
        app.get("/api/drafts").json_body()["items"][0]["quality"],
        draft_job["quality"]
    );

    // An edit grades the new version; the job keeps what it made.
    app.put(&format!("/api/drafts/{draft}"), fixture("good-draft.md"));
    let item = &app.get("/api/drafts").json_body()["items"][0];
    assert_eq!(
        item["quality"],
        json!({"score": 100, "failed": []}),
        "{item}"
    );
    let again = app
        .get(&format!("/api/jobs/{}", draft_job["id"].as_str().unwrap()))
        .json_body();
    assert_eq!(again["quality"], draft_job["quality"]);
}

#[test]
fn uploaded_documents_without_inputs_warn_instead_of_failing() {
    let app = app_with_fixtures();
    let r = report(&app, "/api/briefs/good-brief.md/quality");
    let h1 = &r["checks"][1];
    assert_eq!(
        (h1["id"].as_str(), h1["status"].as_str()),
        (Some("brief.h1_keyword"), Some("warn"))
    );
    assert!(
        h1["detail"].as_str().unwrap().contains("primary_keyword"),
        "{h1}"
    );
    // A draft without sources: the keyword its brief states is used once the brief is named,
    // and its suggested length.
    let r = report(&app, "/api/drafts/good-draft.md/quality");
    assert_eq!(r["checks"][0]["status"], "warn", "no target: {r:#}");
    assert_eq!(r["checks"][4]["status"], "warn", "no brief: {r:#}");
    let r = report(
        &app,
        "/api/drafts/good-draft.md/quality?brief=good-brief.md&brand_data=brand.json",
    );
    assert_eq!(r["score"], 100, "{r:#}");
    assert_eq!(
        app.get("/api/brand-data").json_body()["items"][0]["quality"],
        Value::Null
    );
}

#[test]
fn bad_quality_requests_get_clear_errors() {
    let app = app_with_fixtures();
    assert_error(
        &app.get("/api/brand-data/brand.json/quality"),
        404,
        "briefs and drafts",
    );
    assert_error(
        &app.get("/api/briefs/nope.md/quality"),
        404,
        "does not exist",
    );
    assert_error(
        &app.get("/api/briefs/good-brief.md/quality?brief=good-brief.md"),
        400,
        "drafts only",
    );
    assert_error(
        &app.get("/api/drafts/good-draft.md/quality?target_word_count=5"),
        400,
        "target_word_count",
    );
    assert_error(
        &app.get("/api/drafts/good-draft.md/quality?brief=missing.md"),
        422,
        "does not exist",
    );
    assert_error(
        &app.get("/api/drafts/good-draft.md/quality?brief=..%2Fx.md"),
        400,
        "brief",
    );
    let long = "k".repeat(301);
    assert_error(
        &app.get(&format!(
            "/api/briefs/good-brief.md/quality?primary_keyword={long}"
        )),
        400,
        "primary_keyword",
    );
}

#[test]
fn a_jobs_prompt_is_kept_with_its_template() {
    let app = App::new();
    app.put("/api/brand-data/brand.json", fixture("brand.json"));
    let resp = app.post_json(
        "/api/briefs/generate",
        &json!({"title": "Rye", "primary_keyword": "rye flour", "brand_data": "brand.json"}),
    );
    let id = resp.json_body()["job_id"].as_str().unwrap().to_owned();
    let prompt = app.get(&format!("/api/jobs/{id}/prompt"));
    assert_eq!(prompt.status, 200);
    let prompt = prompt.json_body();
    assert_eq!(prompt["job_id"], id.as_str());
    assert_eq!(
        prompt["template"]["name"],
        "brief_generation_instructions.md"
    );
    let text = prompt["prompt"].as_str().unwrap();
    assert!(
        text.starts_with("# Content brief: Rye") && text.contains("rye flour"),
        "{text}"
    );
    assert_eq!(
        prompt["template"],
        app.get(&format!("/api/jobs/{id}")).json_body()["template"]
    );
    assert_error(&app.get("/api/jobs/nope/prompt"), 404, "no job");
}

/// A job record stored before jobs kept their template and quality still loads, with both
/// `null`.
#[test]
fn older_job_records_load_without_template_or_quality() {
    use api_component::store::Store;
    let app = App::new();
    app.put("/api/brand-data/brand.json", fixture("brand.json"));
    let resp = app.post_json(
        "/api/briefs/generate",
        &json!({"title": "Old", "primary_keyword": "old", "brand_data": "brand.json"}),
    );
    let id = resp.json_body()["job_id"].as_str().unwrap().to_owned();
    let key = format!("job/{id}");
    let mut record: Value = serde_json::from_slice(&app.store.get(&key).unwrap().unwrap()).unwrap();
    assert!(record["template"].is_object());
    let map = record.as_object_mut().unwrap();
    map.remove("template");
    map.remove("quality");
    app.store.set(&key, record.to_string().as_bytes()).unwrap();
    let job = app.get(&format!("/api/jobs/{id}")).json_body();
    assert_eq!(
        (job["template"].clone(), job["quality"].clone()),
        (Value::Null, Value::Null)
    );
    let listed = app.get("/api/jobs").json_body();
    assert_eq!(listed["items"][0]["id"], id.as_str());
}
