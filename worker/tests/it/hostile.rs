//! A worker against an API that hands out claims no real server would: ids and paths meant to
//! lead outside the work dir, and a job whose CLI leaves a symbolic link where its output
//! should be. The worker refuses them with a logged reason and touches nothing outside its
//! work dir. The API here is a small scripted HTTP server recording every request.

use std::path::Path;
use std::time::Duration;

use serde_json::json;

use crate::harness::scripted::{ScriptedApi, claimed};
use crate::harness::{InProcess, serial, wait_for, worker_config_for};

/// Every path under `root`, relative.
fn tree(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            out.push(path.strip_prefix(root).unwrap().display().to_string());
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(path);
            }
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_naming_escaping_ids_or_paths_are_refused_and_nothing_outside_is_touched() {
    let _serial = serial().await;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let work = root.join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(root.join("keep.txt"), "keep").unwrap();
    let argv = tmp.path().join("argv.jsonl");
    let jobs = json!([
        claimed("../x", json!([]), json!([{"path": "output/a.md"}])),
        claimed("../../root", json!([]), json!([{"path": "output/a.md"}])),
        claimed("00ab-12", json!([]), json!([{"path": "/tmp/escape.md"}])),
        claimed(
            "00ab-13",
            json!([{"path": "../../../keep.txt", "content": "overwritten"}]),
            json!([{"path": "output/a.md"}])
        ),
        claimed(
            "00ab-14",
            json!([{"path": "inputs/../../x", "content": "x"}]),
            json!([{"path": "output/../../b.md"}])
        ),
    ]);
    let api = ScriptedApi::start(jobs).await;
    let knobs = [("FAKE_CLAUDE_ARGV_LOG", argv.to_str().unwrap())];
    let worker = InProcess::start(worker_config_for(api.base(), "hostile", &work, &knobs));

    let finished = wait_for(Duration::from_secs(30), || async {
        (api.finishes().len() >= 3).then_some(())
    })
    .await;
    assert!(finished.is_some(), "requests: {:?}", api.seen());
    // A drain lets running jobs finish: a wrongly started job runs to its end (its CLI, its
    // files, its report) before the worker returns, so everything below sees it.
    worker.shutdown.drain();
    worker.join().await.unwrap();

    let finishes = api.finishes();
    let mut paths: Vec<&str> = finishes.iter().map(|(p, _)| p.as_str()).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "/api/runner/jobs/00ab-12/1/finish",
            "/api/runner/jobs/00ab-13/1/finish",
            "/api/runner/jobs/00ab-14/1/finish"
        ]
    );
    for (_, report) in &finishes {
        assert_eq!(report["status"], "failed", "{report}");
        assert!(
            report["error"]
                .as_str()
                .unwrap()
                .starts_with("runner refused the job"),
            "{report}"
        );
    }
    assert!(
        api.seen()
            .iter()
            .all(|r| !r.path.contains("..") && !r.path.contains("%2F")),
        "a bad id reached a URL: {:?}",
        api.seen()
    );
    assert!(!argv.exists(), "the CLI ran for a refused job");
    assert_eq!(
        std::fs::read_to_string(root.join("keep.txt")).unwrap(),
        "keep"
    );
    assert_eq!(
        tree(&root)
            .iter()
            .filter(|p| !p.starts_with("work"))
            .count(),
        1,
        "{:?}",
        tree(&root)
    );
    assert!(!Path::new("/tmp/escape.md").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_output_left_as_a_symbolic_link_is_never_read_or_uploaded() {
    let _serial = serial().await;
    let tmp = tempfile::tempdir().unwrap();
    let secret = tmp.path().join("secret.txt");
    std::fs::write(&secret, "s3cret-behind-a-link").unwrap();
    // A CLI stand-in that leaves output/a.md as a link to the secret, then reports success.
    let claude = tmp.path().join("claude-link");
    std::fs::write(
        &claude,
        format!(
            "#!/bin/sh\ncat > /dev/null\nln -s {} output/a.md\n\
             echo '{{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"num_turns\":1,\"result\":\"ok\"}}'\n",
            secret.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&claude, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let api = ScriptedApi::start(json!([claimed(
        "00cd-1",
        json!([]),
        json!([{"path": "output/a.md"}])
    )]))
    .await;
    let mut config = worker_config_for(api.base(), "hostile", &tmp.path().join("work"), &[]);
    config.claude.claude_path = claude;
    let worker = InProcess::start(config);
    let finished = wait_for(Duration::from_secs(30), || async {
        (!api.finishes().is_empty()).then_some(())
    })
    .await;
    assert!(finished.is_some(), "requests: {:?}", api.seen());
    worker.stop().await.unwrap();

    let (_, report) = &api.finishes()[0];
    assert_eq!(report["status"], "failed", "{report}");
    assert!(
        report["error"].as_str().unwrap().contains("symbolic link"),
        "{report}"
    );
    for request in api.seen() {
        assert!(
            !String::from_utf8_lossy(&request.body).contains("s3cret-behind-a-link"),
            "the secret was sent: {} {}",
            request.method,
            request.path
        );
        assert!(!request.path.contains("/outputs/"), "an output was staged");
    }
}
