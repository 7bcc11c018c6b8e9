//! Webhook deliveries through the contract: listed a page at a time and by state, a test
//! delivery, and a failed one sent again.

use super::*;

/// Webhook deliveries: a cancelled job's and a test one, listed a page at a time; both given up
/// untried a day later, one sent again; bad input refused.
pub(super) fn webhook_flows(app: &App) {
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
    expect(app.get("/api/webhooks/deliveries?state=lost"), 400);
    // Nothing sent within a day: both given up, and one is sent again.
    app.advance(api_component::webhooks::backoff::GIVE_UP_AFTER_MS);
    app.webhook_round(Ok(200));
    let failed = expect(app.get("/api/webhooks/deliveries?state=failed"), 200).json_body();
    let id = failed["items"][0]["id"].as_str().unwrap().to_owned();
    let retry = format!("/api/webhooks/deliveries/{id}/retry");
    expect(app.send(ApiRequest::new("POST", &retry)), 202);
    expect(app.send(ApiRequest::new("POST", &retry)), 409);
    expect(
        app.send(ApiRequest::new(
            "POST",
            "/api/webhooks/deliveries/dlv_nope/retry",
        )),
        404,
    );
}
