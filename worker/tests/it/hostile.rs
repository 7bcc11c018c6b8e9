//! A worker against an API that hands out claims no real server would: ids and paths meant to
//! lead outside the work dir, and a job whose CLI leaves a symbolic link where its output
//! should be. The worker refuses them with a logged reason and touches nothing outside its
//! work dir. The API here is a small scripted HTTP server recording every request.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::harness::{InProcess, serial, wait_for, worker_config_for};

/// One request the scripted API received.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    body: Vec<u8>,
}

/// A scripted runner API: the first claim gets `jobs`, later claims nothing.
struct ScriptedApi {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl ScriptedApi {
    async fn start(jobs: Value) -> ScriptedApi {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let jobs = Arc::new(Mutex::new(Some(jobs)));
        let record = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (record, jobs) = (record.clone(), jobs.clone());
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut reader = BufReader::new(read);
                    while let Some(req) = read_request(&mut reader).await {
                        let answer = answer(&req, &jobs).await;
                        record.lock().unwrap().push(req);
                        let body = answer.to_string();
                        let head = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                            body.len()
                        );
                        if write.write_all(head.as_bytes()).await.is_err()
                            || write.write_all(body.as_bytes()).await.is_err()
                        {
                            return;
                        }
                    }
                });
            }
        });
        ScriptedApi { url, seen }
    }

    fn base(&self) -> worker::Url {
        worker::Url::parse(&self.url).unwrap()
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn finishes(&self) -> Vec<(String, Value)> {
        self.seen()
            .into_iter()
            .filter(|r| r.path.ends_with("/finish"))
            .map(|r| {
                (
                    r.path,
                    serde_json::from_slice(&r.body).unwrap_or(Value::Null),
                )
            })
            .collect()
    }
}

async fn read_request(reader: &mut (impl AsyncBufReadExt + Unpin)) -> Option<Seen> {
    let mut line = String::new();
    reader.read_line(&mut line).await.ok().filter(|n| *n > 0)?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).await.ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.ok()?;
    Some(Seen { method, path, body })
}

async fn answer(req: &Seen, jobs: &Mutex<Option<Value>>) -> Value {
    if req.path.ends_with("/claim") {
        let first = jobs.lock().unwrap().take();
        if first.is_none() {
            // Nothing more to hand out: wait a little, as a long poll does.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        return json!({ "jobs": first.unwrap_or(json!([])), "heartbeat_ms": 200, "lease_ms": 60000, "max_output_bytes": 1000 });
    }
    if req.path.ends_with("/heartbeat") {
        return json!({ "jobs": [] });
    }
    if req.method == "PUT" {
        return json!({ "action": "continue" });
    }
    json!({})
}

fn claimed(id: &str, mut inputs: Value, mut outputs: Value) -> Value {
    // Every file in a claim names its document; only the paths matter here.
    for file in inputs
        .as_array_mut()
        .into_iter()
        .chain(outputs.as_array_mut())
        .flatten()
    {
        file["collection"] = json!("briefs");
        file["name"] = json!("b.md");
    }
    json!({ "id": id, "attempt": 1, "type": "brief", "prompt": "Write the brief.", "inputs": inputs, "outputs": outputs })
}

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
