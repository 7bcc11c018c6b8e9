//! Search on the real component and SQLite: concurrent writers, a store without an index (as
//! older servers left it) brought back by `runner index rebuild`, and that command's errors.

use std::process::{Command, Stdio};

use reqwest::StatusCode;
use serde_json::Value;

use crate::api::{Api, block_on};
use crate::harness::{ADMIN_TOKEN, Host};

async fn found(api: &Api, q: &str) -> Vec<String> {
    let (status, body) = api.get_path(&format!("/api/search?q={q}&limit=100")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let page: Value = serde_json::from_str(&body).unwrap();
    let mut names: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

/// `runner index rebuild ARGS`: exit status and stdout, stderr.
fn rebuild(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_runner"))
        .args(["index", "rebuild"])
        .args(args)
        .env_remove("CWM_API")
        .env_remove("CWM_ADMIN_TOKEN_FILE")
        .stdin(Stdio::null())
        .output()
        .expect("run runner index rebuild");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn concurrent_writes_are_found_and_a_rebuild_restores_an_index_the_store_lacks() {
    let data = tempfile::tempdir().unwrap();
    let host = Host::serve(data.path());
    let api = Api::new(&host);
    block_on(async {
        // Four writers at once, each over its own documents and one they share.
        let mut writers = Vec::new();
        for w in 0..4 {
            let api = api.clone();
            writers.push(tokio::spawn(async move {
                for i in 0..5 {
                    let body =
                        format!("# Note {w}-{i}\n\nCafé notes from writer{w}, shared meadow.\n");
                    assert!(
                        api.put("briefs", &format!("w{w}-{i}.md"), &body)
                            .await
                            .is_success()
                    );
                    let last = format!("# Shared\n\nLast words of writer{w} round{i}.\n");
                    assert!(api.put("drafts", "shared.md", &last).await.is_success());
                }
            }));
        }
        for w in writers {
            w.await.unwrap();
        }
        assert_eq!(found(&api, "cafe+meadows").await.len(), 20);
        assert_eq!(found(&api, "writer2+note").await.len(), 5);
        let (_, shared) = api.get("drafts", "shared.md").await;
        let words: Vec<&str> = shared.split_whitespace().skip(5).take(2).collect();
        let q = format!("{}+{}", words[0], words[1].trim_end_matches('.'));
        assert_eq!(found(&api, &q).await, ["shared.md"], "{q}");
        assert_eq!(
            found(&api, "shared+last").await,
            ["shared.md"],
            "one document, once"
        );
    });

    // The store as a server from before the index left it.
    let db = rusqlite::Connection::open(data.path().join("sqlite_key_value.db")).unwrap();
    let removed = db
        .execute("DELETE FROM spin_key_value WHERE key LIKE 'srch/%'", [])
        .unwrap();
    assert!(removed > 100, "{removed} index keys");
    block_on(async { assert!(found(&api, "cafe").await.is_empty()) });

    let token = data.path().join("token");
    std::fs::write(&token, format!("{ADMIN_TOKEN}\n")).unwrap();
    let base = host.url("");
    let args = [
        "--api",
        base.as_str(),
        "--token-file",
        token.to_str().unwrap(),
    ];
    let (ok, stdout, stderr) = rebuild(&args);
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains("21 documents indexed, 0 were current"),
        "{stdout}"
    );
    block_on(async {
        assert_eq!(found(&api, "cafe+meadow").await.len(), 20);
        assert_eq!(found(&api, "shared+last").await, ["shared.md"]);
    });
    let (ok, stdout, _) = rebuild(&args);
    assert!(
        ok && stdout.contains("0 documents indexed, 21 were current"),
        "{stdout}"
    );

    // A credential that is not an admin's, and no server: one clear line, a failure.
    std::fs::write(&token, "not-a-token").unwrap();
    let (ok, _, stderr) = rebuild(&args);
    assert!(!ok && stderr.contains("401"), "{stderr}");
    let missing = data.path().join("missing");
    let (ok, _, stderr) = rebuild(&[
        "--api",
        base.as_str(),
        "--token-file",
        missing.to_str().unwrap(),
    ]);
    assert!(
        !ok && stderr.contains("reading the admin token"),
        "{stderr}"
    );
}
