//! State: documents survive restarts, two hosts on one database behave like one, and settings
//! reach the component.

use reqwest::StatusCode;
use std::collections::BTreeSet;

use crate::api::{Api, block_on};
use crate::harness::{EXIT_TIMEOUT, Host};

/// Documents written to one host process are all there after a restart on the same data dir;
/// the second process reads them with `kv_batch_reads` off (one `get` per key, the mode for
/// Spin's Redis backend) and finds the same.
#[test]
fn documents_survive_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let docs = [
        (
            "briefs",
            "launch-plan.md",
            "# Launch plan\n\nShip it on Monday.\n",
        ),
        (
            "drafts",
            "blog-post.md",
            "# Blog post\n\nDraft text with ünïcödé.\n",
        ),
        (
            "brand-data",
            "acme.json",
            r#"{"name":"Acme","voice":"plain"}"#,
        ),
    ];

    let mut first = Host::serve(data.path());
    let api = Api::new(&first);
    block_on(async {
        for (collection, name, body) in docs {
            let status = api.put(collection, name, body).await;
            assert!(status.is_success(), "PUT {collection}/{name}: {status}");
        }
    });
    first.terminate();
    assert!(
        first.wait_exit(EXIT_TIMEOUT).success(),
        "{}",
        first.stderr()
    );

    let second = Host::serve_with_env(data.path(), &[("SPIN_VARIABLE_KV_BATCH_READS", "off")]);
    let api = Api::new(&second);
    block_on(async {
        for (collection, name, body) in docs {
            let (status, text) = api.get(collection, name).await;
            assert_eq!(status, StatusCode::OK, "GET {collection}/{name}: {text}");
            assert_eq!(text, body, "{collection}/{name}");
            assert_eq!(api.list_all(collection).await, vec![name.to_string()]);
        }
    });
    assert!(
        data.path().join("sqlite_key_value.db").is_file(),
        "Spin's file name"
    );
}

/// Two host processes on one database file: 200 concurrent uploads through each all land, and
/// both hosts list all 400.
#[test]
fn two_hosts_on_one_database_lose_no_upload() {
    const PER_HOST: usize = 200;
    let data = tempfile::tempdir().unwrap();
    let (a, b) = (Host::serve(data.path()), Host::serve(data.path()));
    let (api_a, api_b) = (Api::new(&a), Api::new(&b));

    let expected: BTreeSet<String> = block_on(async {
        let mut uploads = tokio::task::JoinSet::new();
        for i in 0..PER_HOST {
            for (api, host) in [(&api_a, "a"), (&api_b, "b")] {
                let api = api.clone();
                let name = format!("{host}-{i:03}.md");
                uploads.spawn(async move {
                    let status = api
                        .put("briefs", &name, &format!("# {name}\n\nbody\n"))
                        .await;
                    (name, status)
                });
            }
        }
        let mut names = BTreeSet::new();
        while let Some(done) = uploads.join_next().await {
            let (name, status) = done.unwrap();
            assert!(status.is_success(), "PUT {name}: {status}");
            names.insert(name);
        }
        names
    });
    assert_eq!(expected.len(), 2 * PER_HOST);

    block_on(async {
        for api in [&api_a, &api_b] {
            let listed = api.list_all("briefs").await;
            assert_eq!(listed.len(), 2 * PER_HOST, "no duplicates, nothing missing");
            assert_eq!(listed.into_iter().collect::<BTreeSet<_>>(), expected);
        }
    });
}

/// `SPIN_VARIABLE_<NAME>` overrides the manifest default the component reads through
/// wasi:config, as under `spin up`.
#[test]
fn spin_variables_come_from_the_environment() {
    let data = tempfile::tempdir().unwrap();
    let host = Host::serve_with_env(data.path(), &[("SPIN_VARIABLE_MAX_DOCUMENT_BYTES", "64")]);
    let api = Api::new(&host);
    block_on(async {
        let small = api.put("briefs", "small.md", "# Small\n").await;
        assert!(small.is_success(), "{small}");
        let big = api.put("briefs", "big.md", &"x".repeat(100)).await;
        assert_eq!(big, StatusCode::PAYLOAD_TOO_LARGE);
        let (status, health) = api.get_path("/health").await;
        assert_eq!(status, StatusCode::OK, "{health}");
    });
}

/// With a runtime config naming Redis (Spin's format), state lives in Redis: a second host on
/// another, empty data dir sees the first one's documents and queued job.
#[test]
fn state_lives_in_redis_when_the_runtime_config_says_so() {
    let Some(redis) = workspace_bins::redis::RedisServer::start() else {
        return;
    };
    let config_dir = tempfile::tempdir().unwrap();
    let config = redis.runtime_config(config_dir.path());
    let config = config.to_str().unwrap();
    let env = [("CWM_RUNTIME_CONFIG_FILE", config)];

    let (first_data, second_data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut first = Host::serve_with_env(first_data.path(), &env);
    let api = Api::new(&first);
    block_on(async {
        assert!(
            api.put("brand-data", "acme.json", r#"{"name":"Acme"}"#)
                .await
                .is_success()
        );
        for i in 0..60 {
            let status = api
                .put("briefs", &format!("b{i}.md"), &format!("# B{i}\n"))
                .await;
            assert!(status.is_success(), "{status}");
        }
        let (status, body) = api
            .post_json(
                "/api/briefs/generate",
                &serde_json::json!({"title": "Trail shoes", "primary_keyword": "trail shoes", "brand_data": "acme.json"}),
            )
            .await
            .unwrap();
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    });
    first.terminate();
    assert!(
        first.wait_exit(EXIT_TIMEOUT).success(),
        "{}",
        first.stderr()
    );
    assert!(
        !first_data.path().join("sqlite_key_value.db").exists(),
        "nothing went to SQLite"
    );

    let second = Host::serve_with_env(second_data.path(), &env);
    let api = Api::new(&second);
    block_on(async {
        assert_eq!(
            api.list_all("briefs").await.len(),
            60,
            "paged listing through MGET"
        );
        let (status, text) = api.get("briefs", "b7.md").await;
        assert_eq!((status, text.as_str()), (StatusCode::OK, "# B7\n"));
        let (_, health) = api.get_path("/health").await;
        let health: serde_json::Value = serde_json::from_str(&health).unwrap();
        assert_eq!(health["queued_jobs"], 1, "{health}");
    });
}
