//! The OpenAPI document describes exactly the routes the component serves.

use std::collections::BTreeSet;

use api_component::routes::ROUTES;

use crate::support::App;

#[test]
fn openapi_matches_the_route_table() {
    let app = App::new();
    let resp = app.get("/api/openapi.json");
    assert_eq!(resp.status, 200);
    let doc = resp.json_body();
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
        }
    }
}
