//! The OpenAPI document: the served copy is exactly what `api_doc` generates from the code, and
//! it describes exactly the routes the component serves.

use std::collections::BTreeSet;

use api_component::api_doc;
use api_component::routes::ROUTES;
use serde_json::Value;

use crate::support::App;

/// The committed file the component embeds and serves.
const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");

fn served() -> String {
    let resp = App::new().get("/api/openapi.json");
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    String::from_utf8(resp.body).expect("the document is UTF-8")
}

#[test]
fn openapi_served_is_generated() {
    let generated = api_doc::openapi_json();
    let served = served();
    if served == generated {
        return;
    }
    if std::env::var_os("UPDATE_OPENAPI").is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::write(COMMITTED, &generated).expect("write openapi.json");
        eprintln!("rewrote {COMMITTED}; commit it");
        return;
    }
    let line = served
        .lines()
        .zip(generated.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| served.lines().count().min(generated.lines().count()));
    let at = |text: &str| text.lines().nth(line).unwrap_or("<end of file>").to_owned();
    panic!(
        "api-component/openapi.json is not what api_doc generates from the code (first \
         difference at line {}: served {:?}, generated {:?}).\nRefresh it with\n    \
         UPDATE_OPENAPI=1 cargo test -p api-component --test it openapi\nand commit the file.",
        line + 1,
        at(&served),
        at(&generated),
    );
}

#[test]
fn openapi_matches_the_route_table() {
    let doc: Value = serde_json::from_str(&api_doc::openapi_json()).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .filter(|k| *k != "parameters")
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect();
    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        documented, served,
        "openapi.json and routes::ROUTES disagree"
    );
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            if method == "parameters" {
                continue;
            }
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path} has no responses"
            );
            assert!(op["summary"].is_string(), "{method} {path} has no summary");
            let in_path: BTreeSet<&str> = path
                .split('/')
                .filter_map(|p| p.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            let described: BTreeSet<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            assert_eq!(in_path, described, "{method} {path}: path parameters");
        }
    }
}

/// Every `$ref` in the document names something the document holds.
#[test]
fn openapi_references_resolve() {
    fn walk<'a>(v: &'a Value, refs: &mut Vec<&'a str>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    refs.push(r);
                }
                map.values().for_each(|v| walk(v, refs));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, refs)),
            _ => {}
        }
    }
    let doc: Value = serde_json::from_str(&api_doc::openapi_json()).unwrap();
    let mut refs = Vec::new();
    walk(&doc, &mut refs);
    assert!(refs.len() > 50, "only {} references", refs.len());
    for r in refs {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{r} is not local"));
        assert!(doc.pointer(pointer).is_some(), "{r} resolves to nothing");
    }
}
