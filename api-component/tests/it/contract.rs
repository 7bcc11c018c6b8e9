//! The API keeps the contract its OpenAPI document states: real flows through the handler, every
//! recorded exchange checked against the served document. Each answer's status must be one the
//! operation documents, its content type one it lists, its documented headers present, and a
//! JSON body (or each event of a stream) valid against the schema given for it; a JSON request
//! the server accepted must be valid against the request body's schema. Every route is exercised.

use std::collections::{BTreeSet, HashMap};

use api_component::http::{ApiRequest, ApiResponse};
use api_component::names::Collection;
use api_component::routes::ROUTES;
use api_component::settings::Settings;
use jsonschema::Validator;
use serde_json::{Value, json};

use crate::support::{App, RUNNER_TOKEN, multipart};

const BRAND: &str = r#"{"brandInfo": {"companyName": "Acme"}}"#;

/// The served document, and validators for the schemas in it.
struct Contract {
    doc: Value,
    validators: HashMap<String, Validator>,
}

impl Contract {
    fn served() -> Self {
        let doc = App::new().get("/api/openapi.json").json_body();
        assert!(
            doc["components"]["schemas"].is_object(),
            "no schemas in {doc}"
        );
        Contract {
            doc,
            validators: HashMap::new(),
        }
    }

    /// The value at a local `$ref` (or any JSON pointer).
    fn at(&self, pointer: &str) -> &Value {
        let pointer = pointer.trim_start_matches('#');
        self.doc
            .pointer(pointer)
            .unwrap_or_else(|| panic!("the document has nothing at {pointer}"))
    }

    /// `value` itself, or what it refers to.
    fn deref<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value["$ref"].as_str() {
            Some(r) => self.at(r),
            None => value,
        }
    }

    /// Errors of `instance` against `schema` (a schema object of the document), as text.
    fn errors(&mut self, schema: &Value, instance: &Value) -> Vec<String> {
        let key = schema.to_string();
        if !self.validators.contains_key(&key) {
            // The schema with the document's components beside it, so its `$ref`s resolve.
            let mut root = schema.clone();
            root["components"] = self.doc["components"].clone();
            let validator = jsonschema::draft202012::options()
                .should_validate_formats(true)
                .build(&root)
                .unwrap_or_else(|e| panic!("{schema} is no valid schema: {e}"));
            self.validators.insert(key.clone(), validator);
        }
        self.validators[&key]
            .iter_errors(instance)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect()
    }

    /// Checks a named component schema (`SeqLine`, ...) against `instance`.
    fn component_errors(&mut self, name: &str, instance: &Value) -> Vec<String> {
        let schema = json!({ "$ref": format!("#/components/schemas/{name}") });
        self.errors(&schema, instance)
    }

    /// The operation answering `req`, with its path pattern; `None` for requests no route takes.
    /// (Matched here on the raw path, as the router matches before it decodes parameters.)
    fn operation(&self, req: &ApiRequest) -> Option<(&'static str, Value)> {
        let method = if req.method == "HEAD" {
            "GET"
        } else {
            &req.method
        };
        let segments: Vec<&str> = req.path.split('/').skip(1).collect();
        let fits = |pattern: &str| {
            let parts: Vec<&str> = pattern.split('/').skip(1).collect();
            parts.len() == segments.len()
                && parts.iter().zip(&segments).all(|(part, seg)| match *part {
                    "{collection}" => Collection::from_segment(seg).is_some(),
                    p if p.starts_with('{') => !seg.is_empty(),
                    p => p == *seg,
                })
        };
        let (_, pattern, _) = ROUTES.iter().find(|(m, p, _)| *m == method && fits(p))?;
        let op = self.doc["paths"][*pattern][method.to_lowercase()].clone();
        assert!(op.is_object(), "{method} {pattern} is not documented");
        Some((pattern, op))
    }

    /// What is wrong with one exchange, if anything.
    fn violations(&mut self, req: &ApiRequest, resp: &ApiResponse) -> Vec<String> {
        let Some((pattern, op)) = self.operation(req) else {
            return Vec::new();
        };
        let what = format!("{} {} ({pattern}) -> {}", req.method, req.path, resp.status);
        let mut wrong = Vec::new();

        if (200..300).contains(&resp.status)
            && mime(req.header("content-type")) == "application/json"
        {
            let schema = &op["requestBody"]["content"]["application/json"]["schema"];
            if schema.is_object() {
                match serde_json::from_slice::<Value>(&req.body) {
                    Ok(body) => {
                        wrong.extend(self.errors(schema, &body).into_iter().map(|e| {
                            format!("{what}: accepted a request the document refuses: {e}")
                        }))
                    }
                    Err(e) => wrong.push(format!("{what}: accepted a body that is no JSON: {e}")),
                }
            }
        }

        let Some(documented) = op["responses"].get(resp.status.to_string()) else {
            wrong.push(format!("{what}: status not documented"));
            return wrong;
        };
        let documented = self.deref(documented).clone();
        let content_type = mime(resp.header("content-type"));
        match documented["content"].as_object() {
            None if !resp.body.is_empty() => {
                wrong.push(format!("{what}: a body where the document has none"))
            }
            None => {}
            Some(content) => match content.get(&content_type) {
                None => wrong.push(format!(
                    "{what}: content type {content_type:?} is not one of {:?}",
                    content.keys().collect::<Vec<_>>()
                )),
                Some(media) if content_type == "application/json" => {
                    match serde_json::from_slice::<Value>(&resp.body) {
                        Ok(body) => wrong.extend(
                            self.errors(&media["schema"], &body)
                                .into_iter()
                                .map(|e| format!("{what}: {e}\n  body: {body}")),
                        ),
                        Err(e) => wrong.push(format!("{what}: body is no JSON: {e}")),
                    }
                }
                Some(_) if content_type == "text/event-stream" => wrong.extend(
                    self.stream_violations(&resp.body)
                        .into_iter()
                        .map(|e| format!("{what}: {e}")),
                ),
                Some(_) => {
                    if std::str::from_utf8(&resp.body).is_err() {
                        wrong.push(format!("{what}: {content_type} body is not text"));
                    }
                }
            },
        }
        for name in documented["headers"]
            .as_object()
            .into_iter()
            .flat_map(|h| h.keys())
        {
            if resp.header(name).is_none() {
                wrong.push(format!("{what}: documented header {name} is missing"));
            }
        }
        wrong
    }

    /// The events of a stream, each one's data against the schema the document names for it.
    fn stream_violations(&mut self, body: &[u8]) -> Vec<String> {
        let text = String::from_utf8_lossy(body);
        let mut wrong = Vec::new();
        for block in text.split("\n\n").filter(|b| !b.trim().is_empty()) {
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
            };
            let Some(event) = field("event") else {
                continue; // `retry:` and keep-alive comments
            };
            let schema = match event {
                "log" => "SeqLine",
                "status" | "done" => "JobView",
                "error" => "ErrorBody",
                other => {
                    wrong.push(format!("an event the document does not name: {other}"));
                    continue;
                }
            };
            let data: Value = serde_json::from_str(field("data").unwrap_or_default())
                .unwrap_or_else(|e| panic!("event {event} carries no JSON: {e}"));
            wrong.extend(
                self.component_errors(schema, &data)
                    .into_iter()
                    .map(|e| format!("event {event}: {e}")),
            );
        }
        wrong
    }
}

/// The media type of a `Content-Type`, without parameters.
fn mime(header: Option<&str>) -> String {
    header
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn body_text(resp: &ApiResponse) -> String {
    String::from_utf8_lossy(&resp.body).into_owned()
}

#[track_caller]
fn expect(resp: ApiResponse, status: u16) -> ApiResponse {
    assert_eq!(resp.status, status, "{}", body_text(&resp));
    resp
}

fn json_post(target: &str, body: &Value) -> ApiRequest {
    ApiRequest::new("POST", target)
        .with_header("content-type", "application/json")
        .with_body(body.to_string())
}

fn runner_call(method: &str, target: &str, body: &Value) -> ApiRequest {
    ApiRequest::new(method, target)
        .with_header("authorization", &format!("Bearer {RUNNER_TOKEN}"))
        .with_header("content-type", "application/json")
        .with_body(body.to_string())
}

/// The document and the content team's side: documents, previews, uploads.
fn document_flows(app: &App) {
    expect(app.get("/health"), 200);
    // A stranger gets the status alone, which the document must allow too.
    let public = expect(app.send_as_is(ApiRequest::new("GET", "/health")), 200);
    assert_eq!(public.json_body().as_object().map(|o| o.len()), Some(1));
    expect(app.get("/api/openapi.json"), 200);
    let created = expect(app.put("/api/brand-data/acme.json", BRAND), 201);
    let etag = created.header("etag").unwrap().to_owned();
    let replace = ApiRequest::new("PUT", "/api/brand-data/acme.json")
        .with_header("content-type", "application/json")
        .with_header("if-match", &etag)
        .with_body(BRAND);
    let replaced = expect(app.send(replace.clone()), 200);
    expect(app.send(replace), 412);
    let current = replaced.header("etag").unwrap().to_owned();
    expect(
        app.send(
            ApiRequest::new("GET", "/api/brand-data/acme.json")
                .with_header("if-none-match", &current),
        ),
        304,
    );
    expect(app.get("/api/brand-data/acme.json"), 200);
    expect(app.put("/api/brand-data/list.json", "[1, 2]"), 422);
    expect(app.put("/api/brand-data/broken.json", "{"), 400);
    expect(
        app.send(
            ApiRequest::new("PUT", "/api/briefs/a.md")
                .with_header("content-type", "image/png")
                .with_body("x"),
        ),
        415,
    );
    expect(
        app.put("/api/briefs/intro.md", "# Intro\n\nBread, mostly."),
        201,
    );
    expect(app.get("/api/briefs/intro.md"), 200);
    expect(app.get("/api/briefs/intro.md/preview"), 200);
    expect(app.get("/api/brand-data/acme.json/preview"), 200);
    expect(app.get("/api/briefs/missing.md/preview"), 404);
    expect(
        app.get("/api/briefs/intro.md/quality?primary_keyword=bread"),
        200,
    );
    expect(app.get("/api/brand-data/acme.json/quality"), 404);
    expect(app.get("/api/drafts/x.md/quality?target_word_count=0"), 400);
    expect(
        app.send(
            ApiRequest::new("POST", "/api/render")
                .with_header("content-type", "text/markdown")
                .with_body("# Live *preview*"),
        ),
        200,
    );
    let (ct, body) = multipart(&[("one.md", b"# One"), ("two.md", b"# Two\n\nwords here")]);
    expect(
        app.send(
            ApiRequest::new("POST", "/api/drafts/upload")
                .with_header("content-type", &ct)
                .with_body(body),
        ),
        201,
    );
    expect(
        app.send(
            ApiRequest::new("POST", "/api/drafts/upload")
                .with_header("content-type", "text/plain")
                .with_body("x"),
        ),
        415,
    );
    let page = expect(app.get("/api/drafts?limit=1"), 200).json_body();
    let cursor = page["next_cursor"].as_str().expect("a second page");
    expect(
        app.get(&format!("/api/drafts?limit=1&cursor={cursor}")),
        200,
    );
    expect(app.get("/api/drafts?limit=0"), 400);
    expect(app.get("/api/briefs/%ff.md"), 400);
    expect(app.get("/api/briefs/..md"), 400);
    expect(app.get("/api/briefs/missing.md"), 404);
    expect(app.delete("/api/drafts/one.md"), 204);
    expect(app.delete("/api/drafts/one.md"), 404);
    history_flows(app);
}

/// Revise with AI, on an app of its own (its runner takes the revisions and nothing else): one
/// proposal approved by hunk, one left stale by an edit and rejected.
fn revise_flows(app: &App) {
    expect(
        app.put("/api/briefs/plan.md", "# Plan\n\nOld words here.\n"),
        201,
    );
    expect(app.put("/api/brand-data/acme.json", BRAND), 201);
    let revise = |body: &Value| app.post_json("/api/briefs/plan.md/revise", body);
    expect(revise(&json!({"instructions": ""})), 400);
    expect(
        revise(&json!({"instructions": "x", "base_etag": "\"999\""})),
        412,
    );
    expect(
        app.post_json(
            "/api/brand-data/acme.json/revise",
            &json!({"instructions": "x"}),
        ),
        404,
    );
    let mut ids = Vec::new();
    for _ in 0..2 {
        let queued = expect(revise(&json!({"instructions": "Say new words."})), 202);
        ids.push(queued.json_body()["job_id"].as_str().unwrap().to_owned());
    }
    expect(app.get(&format!("/api/proposals/{}", ids[0])), 404);
    let claim = expect(
        app.send(runner_call(
            "POST",
            "/api/runner/claim",
            &json!({"runner": "r1", "slots": 2}),
        )),
        200,
    )
    .json_body();
    assert_eq!(claim["jobs"].as_array().map(Vec::len), Some(2), "{claim}");
    for id in &ids {
        let base = format!("/api/runner/jobs/{id}/1");
        expect(
            app.runner(
                "PUT",
                &format!("{base}/outputs/0"),
                "# Plan\n\nNew words here.\n",
            ),
            200,
        );
        expect(
            app.send(runner_call(
                "POST",
                &format!("{base}/finish"),
                &json!({"status": "completed", "log_chunks": 0}),
            )),
            200,
        );
    }
    let proposal = expect(app.get(&format!("/api/proposals/{}", ids[0])), 200).json_body();
    assert!(proposal["hunk_count"].as_u64().unwrap() >= 1, "{proposal}");
    let approve =
        |id: &str, body: &Value| app.post_json(&format!("/api/proposals/{id}/approve"), body);
    expect(approve(&ids[0], &json!({"hunks": [99]})), 400);
    expect(approve(&ids[0], &json!({"hunks": [0]})), 200);
    expect(approve(&ids[0], &json!({})), 409);
    // The document moved on: the second proposal is stale, and is rejected instead.
    expect(approve(&ids[1], &json!({})), 409);
    let reject = |id: &str| {
        app.send(ApiRequest::new(
            "POST",
            &format!("/api/proposals/{id}/reject"),
        ))
    };
    expect(reject(&ids[1]), 200);
    expect(reject(&ids[1]), 409);
    expect(app.get("/api/proposals/0-0"), 404);
}

/// A batch queued, followed and cancelled; a bad one refused.
fn batch_flows(app: &App) {
    let item = json!({"brief": "intro.md", "brand_data": "acme.json", "target_word_count": 900});
    let queued = expect(
        app.post_json(
            "/api/drafts/generate/batch",
            &json!({"items": [item, item]}),
        ),
        202,
    )
    .json_body();
    let id = queued["batch_id"].as_str().unwrap();
    expect(
        app.post_json("/api/drafts/generate/batch", &json!({"items": [item, {}]})),
        400,
    );
    expect(app.get(&format!("/api/batches/{id}")), 200);
    expect(app.get("/api/batches/0-1"), 404);
    expect(
        app.send(ApiRequest::new(
            "POST",
            &format!("/api/batches/{id}/cancel"),
        )),
        202,
    );
}

/// Webhook deliveries: a cancelled job's and a test one, listed a page at a time; bad input
/// refused.
fn webhook_flows(app: &App) {
    let queued = expect(
        app.post_json(
            "/api/brand-data/generate",
            &json!({"brand_name": "Acme", "urls": ["https://acme.example"]}),
        ),
        202,
    )
    .json_body();
    let cancel = format!("/api/jobs/{}/cancel", queued["job_id"].as_str().unwrap());
    expect(app.send(ApiRequest::new("POST", &cancel)), 202);
    expect(app.send(ApiRequest::new("POST", "/api/webhooks/test")), 202);
    let page = expect(app.get("/api/webhooks/deliveries?limit=1"), 200).json_body();
    let next = page["next_cursor"].as_str().unwrap();
    expect(
        app.get(&format!("/api/webhooks/deliveries?cursor={next}")),
        200,
    );
    expect(app.get("/api/webhooks/deliveries?limit=0"), 400);
    expect(app.get("/api/webhooks/deliveries?cursor=x"), 400);
}

/// Versions and the trash.
fn history_flows(app: &App) {
    let v1 = expect(
        app.put(
            "/api/briefs/history.md",
            "# History

one",
        ),
        201,
    );
    let v2 = expect(
        app.put(
            "/api/briefs/history.md",
            "# History

two",
        ),
        200,
    );
    let list = expect(app.get("/api/briefs/history.md/versions"), 200).json_body();
    assert_eq!(list["items"].as_array().map(Vec::len), Some(2));
    expect(app.get("/api/briefs/history.md/versions/1"), 200);
    expect(app.get("/api/brand-data/acme.json/versions/1"), 200);
    expect(app.get("/api/briefs/history.md/versions/0"), 400);
    expect(app.get("/api/briefs/history.md/versions/99"), 404);
    expect(app.get("/api/briefs/nothing.md/versions"), 404);
    let restore = |tag: &str| {
        ApiRequest::new("POST", "/api/briefs/history.md/versions/1/restore")
            .with_header("if-match", tag)
    };
    expect(app.send(restore(v1.header("etag").unwrap())), 412);
    expect(app.send(restore(v2.header("etag").unwrap())), 200);
    expect(app.delete("/api/briefs/history.md"), 204);
    let trash = expect(app.get("/api/trash?limit=1"), 200).json_body();
    assert_eq!(trash["items"][0]["name"], "history.md");
    expect(app.get("/api/trash?limit=0"), 400);
    let back = ApiRequest::new("POST", "/api/trash/briefs/history.md/restore");
    expect(app.send(back.clone()), 201);
    expect(app.send(back), 404);
}

/// Jobs from the content team's side, and the runner protocol, one job through to the end.
fn job_flows(app: &App) {
    let brand = expect(
        app.post_json(
            "/api/brand-data/generate",
            &json!({"brand_name": "Bakery Co", "urls": ["https://bakery.example/about"]}),
        ),
        202,
    );
    let brand_job = brand.json_body()["job_id"].as_str().unwrap().to_owned();
    expect(
        app.post_json(
            "/api/briefs/generate",
            &json!({"title": "Sourdough", "primary_keyword": "bread", "secondary_keywords": ["starter"], "brand_data": "acme.json"}),
        ),
        202,
    );
    let draft = expect(
        app.post_json(
            "/api/drafts/generate",
            &json!({"brief": "intro.md", "brand_data": "acme.json", "target_word_count": 1500}),
        ),
        202,
    );
    let draft_job = draft.json_body()["job_id"].as_str().unwrap().to_owned();
    expect(
        app.post_json(
            "/api/briefs/generate",
            &json!({"title": "T", "primary_keyword": "k", "brand_data": "nope.json"}),
        ),
        422,
    );
    expect(
        app.post_json("/api/briefs/generate", &json!({"primary_keyword": "k"})),
        400,
    );
    expect(
        app.send(ApiRequest::new("POST", "/api/drafts/generate").with_body("{}")),
        415,
    );
    // Queued jobs and no runner yet.
    assert_eq!(
        expect(app.get("/health"), 200).json_body()["status"],
        "degraded"
    );
    expect(app.get("/api/jobs?status=queued&limit=2"), 200);
    expect(app.get("/api/jobs?status=lost"), 400);
    expect(app.get(&format!("/api/jobs/{draft_job}")), 200);
    expect(app.get(&format!("/api/jobs/{draft_job}/prompt")), 200);
    expect(app.get("/api/jobs/0-0"), 404);
    expect(
        app.send(ApiRequest::new(
            "POST",
            &format!("/api/jobs/{draft_job}/cancel"),
        )),
        202,
    );
    expect(
        app.send(ApiRequest::new(
            "POST",
            &format!("/api/jobs/{draft_job}/cancel"),
        )),
        409,
    );
    let retried = expect(
        app.send(ApiRequest::new(
            "POST",
            &format!("/api/jobs/{draft_job}/retry"),
        )),
        202,
    );
    assert_eq!(retried.json_body()["retry_of"], json!(draft_job));
    let retried_id = retried.json_body()["job_id"].as_str().unwrap().to_owned();
    expect(
        app.send(ApiRequest::new(
            "DELETE",
            &format!("/api/jobs/{retried_id}"),
        )),
        409,
    );
    expect(
        app.send(ApiRequest::new("DELETE", &format!("/api/jobs/{draft_job}"))),
        204,
    );
    expect(
        app.send(ApiRequest::new("DELETE", &format!("/api/jobs/{draft_job}"))),
        404,
    );
    expect(
        app.send(ApiRequest::new(
            "POST",
            &format!("/api/jobs/{brand_job}/retry"),
        )),
        409,
    );

    // A runner takes the oldest job and runs it to the end.
    expect(
        app.send_as_is(
            ApiRequest::new("POST", "/api/runner/claim")
                .with_header("content-type", "application/json")
                .with_body(r#"{"runner":"r1"}"#),
        ),
        401,
    );
    expect(
        app.send(runner_call(
            "POST",
            "/api/runner/claim",
            &json!({"runner": "r1", "slots": 0}),
        )),
        400,
    );
    let claim = expect(
        app.send(runner_call(
            "POST",
            "/api/runner/claim",
            &json!({"runner": "r1", "slots": 1}),
        )),
        200,
    )
    .json_body();
    let job = &claim["jobs"][0];
    assert_eq!(job["id"], json!(brand_job), "{claim}");
    let base = format!("/api/runner/jobs/{brand_job}/1");
    expect(
        app.send(runner_call(
            "POST",
            "/api/runner/heartbeat",
            &json!({"runner": "r1", "jobs": [{"id": brand_job, "attempt": 1}, {"id": "0-0", "attempt": 1}]}),
        )),
        200,
    );
    let line = |text: &str| json!({"ts": "2026-01-01T00:00:00Z", "stream": "stdout", "kind": "text", "text": text});
    expect(
        app.send(runner_call(
            "PUT",
            &format!("{base}/logs/0"),
            &json!({"lines": [line("reading")]}),
        )),
        200,
    );
    expect(
        app.send(runner_call(
            "PUT",
            &format!("{base}/logs/1"),
            &json!({"lines": [{"ts": 1_767_225_600_000_i64, "stream": "system", "text": "no kind"}]}),
        )),
        200,
    );
    expect(
        app.send(runner_call(
            "PUT",
            &format!("{base}/logs/3"),
            &json!({"lines": [line("gap")]}),
        )),
        409,
    );
    expect(
        app.send(runner_call(
            "PUT",
            &format!("{base}/logs/2"),
            &json!({"lines": []}),
        )),
        400,
    );
    expect(app.runner("PUT", &format!("{base}/outputs/0"), BRAND), 200);
    expect(app.runner("PUT", &format!("{base}/outputs/5"), BRAND), 400);
    expect(
        app.send(runner_call(
            "POST",
            &format!("{base}/finish"),
            &json!({"status": "completed", "log_chunks": 2, "usage": {"cost_usd": 0.01, "num_turns": 2}}),
        )),
        200,
    );
    expect(
        app.send(runner_call(
            "POST",
            &format!("{base}/finish"),
            &json!({"status": "completed"}),
        )),
        409,
    );
    expect(
        app.send(runner_call(
            "PUT",
            &format!("{base}/logs/2"),
            &json!({"lines": [line("late")]}),
        )),
        409,
    );
    expect(
        app.send(runner_call(
            "POST",
            &format!("{base}/finish"),
            &json!({"status": "done"}),
        )),
        400,
    );
    expect(app.get(&format!("/api/jobs/{brand_job}/logs?limit=1")), 200);
    expect(app.get(&format!("/api/jobs/{brand_job}/logs?after=x")), 400);
    let events = expect(app.get(&format!("/api/jobs/{brand_job}/events")), 200);
    assert!(
        body_text(&events).contains("event: done"),
        "{}",
        body_text(&events)
    );
    expect(app.get("/api/jobs/0-0/events"), 404);
    expect(
        app.send(runner_call(
            "POST",
            "/api/runner/claim/stop",
            &json!({"runner": "r1"}),
        )),
        204,
    );
    expect(
        app.send(runner_call(
            "POST",
            "/api/runner/claim/stop",
            &json!({"runner": "r/1"}),
        )),
        400,
    );
    expect(app.get("/api/jobs"), 200);
}

/// Accounts: invites, sign-in, tokens, runner tokens, the audit log.
fn access_flows(app: &App) {
    let invited = expect(
        app.send(json_post(
            "/api/users",
            &json!({"email": "ed@example.com", "role": "editor"}),
        )),
        201,
    )
    .json_body();
    let invite = invited["invite_url"]
        .as_str()
        .unwrap()
        .split("#invite=")
        .nth(1)
        .unwrap()
        .to_owned();
    let id = invited["user"]["id"].as_str().unwrap().to_owned();
    expect(
        app.send_as_is(json_post(
            "/api/auth/accept",
            &json!({"invite": invite, "password": "a long password"}),
        )),
        200,
    );
    let login = expect(
        app.send_as_is(json_post(
            "/api/auth/login",
            &json!({"email": "ed@example.com", "password": "a long password"}),
        )),
        200,
    );
    let cookie = login
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let as_ed = |req: ApiRequest| app.send_as_is(req.with_header("cookie", &cookie));
    expect(as_ed(ApiRequest::new("GET", "/api/me")), 200);
    expect(
        app.send_as_is(json_post(
            "/api/auth/login",
            &json!({"email": "ed@example.com", "password": "wrong password"}),
        )),
        401,
    );
    expect(app.send_as_is(ApiRequest::new("GET", "/api/jobs")), 401);
    expect(app.get("/api/users"), 200);
    let token = expect(
        as_ed(json_post(
            "/api/tokens",
            &json!({"name": "script", "role": "editor"}),
        )),
        201,
    )
    .json_body();
    expect(as_ed(ApiRequest::new("GET", "/api/tokens")), 200);
    expect(
        app.send(
            ApiRequest::new("PATCH", &format!("/api/users/{id}"))
                .with_header("content-type", "application/json")
                .with_body(json!({"role": "viewer"}).to_string()),
        ),
        200,
    );
    // A viewer now: the editor's write is refused.
    expect(
        as_ed(ApiRequest::new("DELETE", "/api/briefs/intro.md")),
        403,
    );
    let revoke = format!("/api/tokens/{}", token["id"].as_str().unwrap());
    expect(as_ed(ApiRequest::new("DELETE", &revoke)), 200);
    expect(
        app.send(json_post("/api/runners/tokens", &json!({"runner": "r9"}))),
        201,
    );
    expect(app.get("/api/runners/tokens"), 200);
    expect(app.get("/api/runners"), 200);
    let link = expect(
        app.send(ApiRequest::new("POST", "/api/auth/signin-links")),
        201,
    )
    .json_body();
    let code = link["url"]
        .as_str()
        .unwrap()
        .split("#signin=")
        .nth(1)
        .unwrap()
        .to_owned();
    expect(
        app.send_as_is(json_post("/api/auth/link", &json!({"code": code}))),
        200,
    );
    expect(as_ed(ApiRequest::new("POST", "/api/auth/logout")), 204);
    expect(as_ed(ApiRequest::new("GET", "/api/me")), 401);
    expect(app.get("/api/audit?limit=5"), 200);
}

/// Search (everywhere and in one collection), its rebuild, and usage totals.
fn search_flows(app: &App) {
    expect(
        app.put("/api/briefs/cafe.md", "# Café\n\nTrail shoes for wet rock."),
        201,
    );
    let found = expect(app.get("/api/search?q=cafe+shoe&limit=5"), 200).json_body();
    assert_eq!(found["items"][0]["name"], "cafe.md", "{found}");
    assert_eq!(found["items"][0]["collection"], "briefs");
    let one = expect(app.get("/api/briefs?q=Shoes&limit=1"), 200).json_body();
    assert_eq!(one["items"][0]["name"], "cafe.md");
    expect(app.get("/api/search?q=shoe&collection=drafts"), 200);
    expect(app.get("/api/search?q=%21%21"), 400);
    expect(app.get("/api/search?q=shoe&collection=nope"), 400);
    expect(app.get("/api/search?q=shoe&cursor=9.1"), 400);
    let step = ApiRequest::new("POST", "/api/search/rebuild");
    let done = expect(app.send(step), 200).json_body();
    assert_eq!(done["done"], true, "{done}");
    expect(
        app.send(ApiRequest::new("POST", "/api/search/rebuild?cursor=x")),
        400,
    );
    for group in ["day", "user", "brand", "type"] {
        expect(app.get(&format!("/api/usage?group_by={group}")), 200);
    }
    expect(app.get("/api/usage?group_by=week"), 400);
    expect(app.get("/api/usage?from=2026-13-01"), 400);
}

/// Refusals before any handler: other sites' writes and hosts this server is not.
fn guard_flows(app: &App, strict: &App) {
    expect(
        app.send(
            json_post("/api/briefs/generate", &json!({"title": "x"}))
                .with_header("origin", "https://evil.example"),
        ),
        403,
    );
    expect(
        app.send(
            ApiRequest::new("DELETE", "/api/briefs/intro.md")
                .with_header("sec-fetch-site", "cross-site"),
        ),
        403,
    );
    expect(
        strict.send(ApiRequest::new("GET", "/health").with_header("host", "evil.example")),
        421,
    );
    expect(
        strict.send(
            runner_call("POST", "/api/runner/heartbeat", &json!({"runner": "r1"}))
                .with_header("host", "evil.example"),
        ),
        421,
    );
}

#[test]
fn recorded_exchanges_keep_the_documented_contract() {
    keeps_the_contract(Settings::default());
}

/// Spin's Redis backend traps on `get-many`: with `kv_batch_reads` off, every flow (every route)
/// works over a store that panics if `get-many` is ever called.
#[test]
fn every_route_works_without_batch_reads() {
    keeps_the_contract(Settings {
        kv_batch_reads: false,
        ..Settings::default()
    });
}

fn keeps_the_contract(settings: Settings) {
    let app = App::recording(settings.clone());
    let revising = App::recording(settings.clone());
    let hooked = App::recording(Settings {
        webhook_url: "http://127.0.0.1:9/cwm".into(),
        webhook_secret: "contract".into(),
        webhook_outbound_host: "http://127.0.0.1:9".into(),
        ..settings.clone()
    });
    let strict = App::recording(Settings {
        allowed_hosts: vec!["cwm.example".into()],
        ..settings
    });
    document_flows(&app);
    job_flows(&app);
    search_flows(&app);
    access_flows(&app);
    batch_flows(&app);
    guard_flows(&app, &strict);
    revise_flows(&revising);
    webhook_flows(&hooked);

    let mut contract = Contract::served();
    let mut exercised = BTreeSet::new();
    let mut wrong = Vec::new();
    let exchanges: Vec<_> = app
        .recorded()
        .into_iter()
        .chain(strict.recorded())
        .chain(revising.recorded())
        .chain(hooked.recorded())
        .collect();
    for (req, resp) in &exchanges {
        if let Some((pattern, _)) = contract.operation(req)
            && (200..400).contains(&resp.status)
        {
            exercised.insert((req.method.clone(), pattern));
        }
        wrong.extend(contract.violations(req, resp));
    }
    assert!(
        wrong.is_empty(),
        "{} of {} exchanges break the contract:\n{}",
        wrong.len(),
        exchanges.len(),
        wrong.join("\n")
    );
    let unexercised: Vec<_> = ROUTES
        .iter()
        .filter(|(m, p, _)| !exercised.contains(&(m.to_string(), *p)))
        .collect();
    assert!(
        unexercised.is_empty(),
        "no successful call of {unexercised:?}"
    );
}

/// The checks can fail: answers and requests the document does not allow are caught.
#[test]
fn contract_violations_are_caught() {
    let app = App::new();
    expect(app.put("/api/briefs/a.md", "# A"), 201);
    let mut contract = Contract::served();
    let get = ApiRequest::new("GET", "/api/briefs?limit=5");
    let page = expect(app.send(get.clone()), 200);
    assert_eq!(contract.violations(&get, &page), Vec::<String>::new());

    let with_body = |status: u16, body: Value| ApiResponse::json(status, &body);
    let mut item = page.json_body()["items"][0].clone();
    let mut undated = item.clone();
    undated["created_at"] = json!("yesterday");
    item.as_object_mut().unwrap().remove("word_count");
    let cases = [
        // A listing whose item lacks a required field.
        (
            get.clone(),
            with_body(200, json!({"items": [item], "next_cursor": null})),
        ),
        // A time that is no RFC 3339 date-time.
        (
            get.clone(),
            with_body(200, json!({"items": [undated], "next_cursor": null})),
        ),
        // `next_cursor` must be there, even when null.
        (get.clone(), with_body(200, json!({"items": []}))),
        // An error whose message is not text.
        (get.clone(), with_body(400, json!({"error": 400}))),
        // A status the operation does not document.
        (get.clone(), with_body(409, json!({"error": "no"}))),
        // HTML where JSON is documented.
        (get.clone(), ApiResponse::new(200, "text/html", "<p>")),
        // A job view with an unknown status, and an upload answer that is no list.
        (
            ApiRequest::new("GET", "/api/jobs/1-2"),
            with_body(200, json!({"id": "1-2", "status": "paused"})),
        ),
        (
            ApiRequest::new("POST", "/api/briefs/upload"),
            with_body(201, json!({"items": {}})),
        ),
        // A write without the ETag the document promises.
        (
            ApiRequest::new("PUT", "/api/briefs/a.md"),
            ApiResponse::json(201, &page.json_body()["items"][0]),
        ),
        // A claim accepted with a field the protocol refuses.
        (
            runner_call(
                "POST",
                "/api/runner/claim",
                &json!({"runner": "r1", "slot": 2}),
            ),
            with_body(
                200,
                json!({"jobs": [], "lease_ms": 1, "heartbeat_ms": 1, "max_output_bytes": 1}),
            ),
        ),
    ];
    for (req, resp) in cases {
        assert!(
            !contract.violations(&req, &resp).is_empty(),
            "{} {} -> {} {} passed",
            req.method,
            req.path,
            resp.status,
            body_text(&resp)
        );
    }
    let unknown_kind = json!({"seq": 1, "ts": 1, "stream": "stdout", "kind": "shout", "text": "x"});
    assert!(
        !contract
            .component_errors("SeqLine", &unknown_kind)
            .is_empty()
    );
    let unknown_type = json!({"id": "a", "attempt": 1, "type": "podcast", "prompt": "p", "inputs": [], "outputs": []});
    assert!(
        !contract
            .component_errors("ClaimedJob", &unknown_type)
            .is_empty()
    );
}
