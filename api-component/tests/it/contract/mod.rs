//! The API keeps the contract its OpenAPI document states: real flows through the handler, every
//! recorded exchange checked against the served document. Each answer's status must be one the
//! operation documents, its content type one it lists, its documented headers present, and a
//! JSON body (or each event of a stream) valid against the schema given for it; a JSON request
//! the server accepted must be valid against the request body's schema. Every route is exercised.
//!
//! Here: the checker ([`Contract`]), the helpers the flows share, and the tests. The flows, by
//! area, are in the files below; [`keeps_the_contract`] runs them in order.

mod access;
mod documents;
mod jobs;
mod revise;
mod runner;
mod search;
mod webhooks;

use std::collections::{BTreeSet, HashMap};

use api_component::http::{ApiRequest, ApiResponse};
use api_component::names::Collection;
use api_component::routes::ROUTES;
use api_component::settings::Settings;
use jsonschema::Validator;
use serde_json::{Value, json};

use crate::support::{App, RUNNER_TOKEN, link_code, multipart};

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
    documents::document_flows(&app);
    let brand_job = jobs::job_flows(&app);
    runner::runner_flows(&app, &brand_job);
    search::search_flows(&app);
    access::access_flows(&app);
    jobs::batch_flows(&app);
    access::guard_flows(&app, &strict);
    revise::revise_flows(&revising);
    webhooks::webhook_flows(&hooked);

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
