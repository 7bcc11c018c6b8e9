//! The admins' list of deliveries: pages, who may read it, bad input, the state filter, and
//! sending a failed delivery again.

use super::*;

#[test]
fn deliveries_are_listed_newest_first_a_page_at_a_time() {
    let app = hooked(Settings::default());
    let ids: Vec<String> = (0..5)
        .map(|i| {
            let id = submit(&app, &format!("Job {i}"));
            cancel(&app, &id);
            id
        })
        .collect();
    let mut seen = Vec::new();
    let mut target = "/api/webhooks/deliveries?limit=2".to_owned();
    loop {
        let page = app.get(&target).json_body();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(
            items
                .iter()
                .map(|d| d["job_id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => target = format!("/api/webhooks/deliveries?limit=2&cursor={c}"),
            None => break,
        }
    }
    let newest_first: Vec<String> = ids.into_iter().rev().collect();
    assert_eq!(seen, newest_first);
    // A cursor beyond the newest delivery was never handed out: refused, not an endless walk.
    for forged in ["9223372036854775807", "6"] {
        assert_error(
            &app.get(&format!("/api/webhooks/deliveries?cursor={forged}")),
            400,
            "cursor is not one this API returned",
        );
    }
    let page = app.get("/api/webhooks/deliveries?cursor=5").json_body();
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
}

#[test]
fn only_admins_see_or_test_deliveries_and_bad_input_is_refused() {
    let app = hooked(Settings::default());
    for role in ["viewer", "editor"] {
        let token = app
            .post_json("/api/tokens", &json!({"name": role, "role": role}))
            .json_body()["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let bearer = format!("Bearer {token}");
        for req in [
            ApiRequest::new("GET", "/api/webhooks/deliveries"),
            ApiRequest::new("POST", "/api/webhooks/test"),
        ] {
            assert_error(
                &app.send(req.with_header("Authorization", &bearer)),
                403,
                "admin",
            );
        }
    }
    let runner = ApiRequest::new("GET", "/api/webhooks/deliveries")
        .with_header("Authorization", "Bearer test-runner-token");
    assert_eq!(app.send(runner).status, 403);
    assert_eq!(
        app.send_as_is(ApiRequest::new("GET", "/api/webhooks/deliveries"))
            .status,
        401
    );
    let writes = app.writes();
    for bad in ["limit=0", "limit=201", "limit=x", "cursor=-1", "cursor=abc"] {
        assert_eq!(
            app.get(&format!("/api/webhooks/deliveries?{bad}")).status,
            400,
            "{bad}"
        );
    }
    assert_eq!(
        app.send(ApiRequest::new("GET", "/api/webhooks/test"))
            .status,
        405
    );
    assert_eq!(app.writes(), writes, "refused requests change nothing");
}

/// Three finished jobs' deliveries: delivered, failed (refused, then a day without an answer)
/// and pending (refused once); their ids in that order.
fn one_of_each(app: &App) -> [String; 3] {
    let job = |title: &str| {
        let id = submit(app, title);
        cancel(app, &id);
        about(app, &id)[0]["id"].as_str().unwrap().to_owned()
    };
    let delivered = job("Delivered");
    assert_eq!(app.webhook_round(Ok(204)), 1);
    let failed = job("Failed");
    assert_eq!(app.webhook_round(Err("connection refused".into())), 1);
    app.advance(GIVE_UP_AFTER_MS);
    let pending = job("Pending");
    app.webhook_round(Err("connection refused".into()));
    [delivered, failed, pending]
}

fn states(app: &App, query: &str) -> Vec<(String, String)> {
    let resp = app.get(&format!("/api/webhooks/deliveries?{query}"));
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    resp.json_body()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap().to_owned(),
                d["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn deliveries_are_filtered_by_state() {
    let app = hooked(Settings::default());
    let [delivered, failed, pending] = one_of_each(&app);
    assert_eq!(
        states(&app, "state=delivered"),
        [(delivered, "delivered".to_owned())]
    );
    assert_eq!(
        states(&app, "state=failed"),
        [(failed, "failed".to_owned())]
    );
    assert_eq!(
        states(&app, "state=pending"),
        [(pending, "pending".to_owned())]
    );
    assert_eq!(
        states(&app, "state=").len(),
        3,
        "an empty value is no filter"
    );
    let writes = app.writes();
    for bad in ["state=lost", "state=Failed", "state=failed,pending"] {
        assert_error(
            &app.get(&format!("/api/webhooks/deliveries?{bad}")),
            400,
            "is not one of pending, delivered, failed",
        );
    }
    assert_eq!(app.writes(), writes);
}

#[test]
fn an_admin_sends_a_failed_delivery_again_and_it_is_audited() {
    let app = hooked(Settings::default());
    let [delivered, failed, pending] = one_of_each(&app);
    let retry = |id: &str| {
        app.send(ApiRequest::new(
            "POST",
            &format!("/api/webhooks/deliveries/{id}/retry"),
        ))
    };
    let writes = app.writes();
    assert_error(
        &retry(&delivered),
        409,
        "is delivered: only a failed delivery",
    );
    assert_error(&retry(&pending), 409, "is pending");
    assert_error(
        &retry("dlv_0123456789abcdef0123456789abcdef"),
        404,
        "no delivery",
    );
    assert_error(&retry("hooks%2Fn"), 404, "no delivery");
    assert_eq!(app.writes(), writes, "refused requests change nothing");

    let resp = retry(&failed);
    assert_eq!(resp.status, 202, "{}", String::from_utf8_lossy(&resp.body));
    let again = resp.json_body();
    assert_eq!(
        (again["id"].as_str(), again["state"].as_str()),
        (Some(failed.as_str()), Some("pending"))
    );
    assert_eq!(
        again["attempts"].as_array().unwrap().len(),
        1,
        "its attempts are kept"
    );
    assert!(again["next_attempt_at"].is_string());
    // Listed first, once; sent at the next round with the same id.
    let listed = states(&app, "");
    assert_eq!(listed[0], (failed.clone(), "pending".to_owned()));
    assert_eq!(listed.iter().filter(|(id, _)| *id == failed).count(), 1);
    assert_eq!(app.webhook_round(Ok(200)), 1);
    assert_eq!(states(&app, "state=delivered").len(), 2);
    assert_error(&retry(&failed), 409, "is delivered");
    let audit = app.get("/api/audit").json_body();
    assert_eq!(audit["entries"][0]["action"], "webhook_retried");
    assert_eq!(audit["entries"][0]["target"], failed.as_str());
}

#[test]
fn nothing_is_sent_again_while_the_settings_cannot_be_used() {
    let app = hooked(Settings::default());
    let [_, failed, _] = one_of_each(&app);
    let broken = App::with_settings(Settings {
        webhook_outbound_host: "https://elsewhere.example".into(),
        ..app.settings.clone()
    });
    // The same store under other settings: move the deliveries over.
    for key in app.store.keys() {
        use api_component::store::Store as _;
        let value = app.store.get(&key).unwrap().unwrap();
        broken.store.set(&key, &value).unwrap();
    }
    let writes = broken.writes();
    assert_error(
        &broken.send(ApiRequest::new(
            "POST",
            &format!("/api/webhooks/deliveries/{failed}/retry"),
        )),
        409,
        "webhook_outbound_host allows only",
    );
    assert_eq!(broken.writes(), writes);
}
