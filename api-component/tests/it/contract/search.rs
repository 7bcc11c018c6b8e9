//! Search, its rebuild and usage totals through the contract.

use super::*;

/// Search (everywhere and in one collection), its rebuild, and usage totals.
pub(super) fn search_flows(app: &App) {
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
