//! The whole stack with the real Claude CLI: `runner up` (API + worker) runs jobs with the real
//! `claude` 2.1.332 against the mock Messages API. Submit → the CLI writes the file → the
//! document appears in its collection, and the job's log shows the Write.
//!
//! Needs the `runner` binary (built into this test's target dir and profile if needed;
//! `CWM_RUNNER_BIN` overrides) and the CLI (`testing/install-claude-cli.sh`; `CLAUDE_CLI_PATH`
//! overrides). The runner gets `--claude` and `--workdir`; the CLI inherits the runner's
//! environment, which points it at the mock (`ANTHROPIC_BASE_URL`, a dummy key).

mod support;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Mock, claude_cli, cli_env};

/// The first start of a debug runner compiles the component.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(240);
const JOB_TIMEOUT: Duration = Duration::from_secs(180);
const TOKEN: &str = "e2e-real-cli-token";

/// The `runner` binary: `$CWM_RUNNER_BIN`, else built with cargo next to this test.
fn runner_bin() -> PathBuf {
    workspace_bins::bin("runner")
}

/// Checks that `runner up` has the job worker's options.
fn check_runner_up(bin: &Path) {
    let out = Command::new(bin)
        .args(["up", "--help"])
        .output()
        .expect("run runner up --help");
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        help.contains("--claude") && help.contains("--workdir"),
        "`runner up --help` lists no --claude/--workdir: {} cannot run jobs:\n{help}",
        bin.display()
    );
}

/// A `runner up` process, killed on drop.
struct Runner {
    child: Child,
    url: String,
    output: Arc<Mutex<String>>,
}

impl Runner {
    fn start(bin: &Path, dir: &Path, mock: &Mock, claude: &Path) -> Runner {
        let data = dir.join("data");
        let work = dir.join("work");
        let home = dir.join("home");
        for d in [&data, &work, &home] {
            std::fs::create_dir_all(d).unwrap();
        }
        let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("e2e-real-cli-runner-cache");
        let mut cmd = Command::new(bin);
        cmd.args(["up", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&data)
            .arg("--cache-dir")
            .arg(&cache);
        cmd.arg("--claude").arg(claude).arg("--workdir").arg(&work);
        cmd.args(["--slots", "3"]);
        // The CLI inherits the runner's environment: the mock's address, a dummy key, and
        // nothing of the developer's own CLAUDE_* / ANTHROPIC_* settings.
        let mut env = cli_env(&mock.url, &home);
        env.retain(|(k, _)| k != "CLAUDE_CONFIG_DIR");
        env.extend([
            ("SPIN_VARIABLE_RUNNER_TOKEN".into(), TOKEN.into()),
            ("CWM_RUNNER_NAME".into(), "e2e-real-cli".into()),
            ("CWM_PERMISSION_MODE".into(), "acceptEdits".into()),
            ("RUST_LOG".into(), "info".into()),
        ]);
        let mut child = cmd
            .current_dir(dir)
            .env_clear()
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start runner up");
        let output = Arc::new(Mutex::new(String::new()));
        let (addr_tx, addr_rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let out = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("listening on ") {
                    let _ = addr_tx.send(addr.trim().to_owned());
                }
                out.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let out = output.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                out.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut runner = Runner {
            child,
            url: String::new(),
            output,
        };
        match addr_rx.recv_timeout(STARTUP_TIMEOUT) {
            Ok(url) => runner.url = url,
            Err(_) => panic!("runner up did not listen:\n{}", runner.output()),
        }
        runner
    }

    fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        // SIGTERM first so the worker can stop its CLI processes; then make sure.
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: signals only the process this test started and still owns.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Api {
    client: reqwest::Client,
    base: String,
}

impl Api {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> (u16, Vec<u8>) {
        let mut req = self
            .client
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some((content_type, bytes)) = body {
            req = req.header("content-type", content_type).body(bytes);
        }
        let res = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = res.status().as_u16();
        (status, res.bytes().await.unwrap().to_vec())
    }

    async fn json(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let body = body.map(|b| ("application/json", b.to_string().into_bytes()));
        let (status, bytes) = self.send(method, path, body).await;
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn generate(&self, collection: &str, params: Value) -> String {
        let (status, body) = self
            .json(
                reqwest::Method::POST,
                &format!("/api/{collection}/generate"),
                Some(params),
            )
            .await;
        assert_eq!(status, 202, "generate {collection}: {body}");
        body["job_id"].as_str().expect("job_id").to_owned()
    }

    /// Polls the job until it is completed, failed or cancelled.
    async fn wait_final(&self, id: &str, why: impl Fn() -> String) -> Value {
        let deadline = Instant::now() + JOB_TIMEOUT;
        loop {
            let (status, job) = self
                .json(reqwest::Method::GET, &format!("/api/jobs/{id}"), None)
                .await;
            assert_eq!(status, 200, "GET job {id}: {job}");
            if matches!(
                job["status"].as_str(),
                Some("completed" | "failed" | "cancelled")
            ) {
                return job;
            }
            assert!(
                Instant::now() < deadline,
                "job {id} not finished after {JOB_TIMEOUT:?}: {job}\n{}",
                why()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn log_lines(&self, id: &str) -> Vec<Value> {
        let (status, logs) = self
            .json(reqwest::Method::GET, &format!("/api/jobs/{id}/logs"), None)
            .await;
        assert_eq!(status, 200, "logs of {id}: {logs}");
        logs["lines"].as_array().cloned().unwrap_or_default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submitted_jobs_run_the_real_cli_and_their_files_become_documents() {
    let claude = claude_cli();
    let bin = runner_bin();
    check_runner_up(&bin);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().canonicalize().unwrap();
    let mock = Mock::start(&dir, &[]);
    let runner = Runner::start(&bin, &dir, &mock, &claude);
    let why = || {
        format!(
            "runner output:\n{}\nmock:\n{}",
            runner.output(),
            mock.summary()
        )
    };
    let api = Api {
        client: reqwest::Client::new(),
        base: runner.url.clone(),
    };

    // Brand data the brief reads.
    let brand = json!({"brandInfo": {"companyName": "Acme Bakery"}, "targetAudience": {"primary": "home bakers"}});
    let (status, _) = api
        .send(
            reqwest::Method::PUT,
            "/api/brand-data/acme-bakery.json",
            Some(("application/json", brand.to_string().into_bytes())),
        )
        .await;
    assert!(matches!(status, 200 | 201), "PUT brand data: {status}");

    // Three jobs at once: a brief (Markdown), brand data (JSON), and a brief whose model
    // call fails (the prompt picks the mock's overloaded scenario through the title).
    let brief = api
        .generate(
            "briefs",
            json!({"title": "Bread 101", "primary_keyword": "bread baking",
                   "secondary_keywords": ["sourdough starter"], "brand_data": "acme-bakery.json"}),
        )
        .await;
    let brand_job = api
        .generate(
            "brand-data",
            json!({"brand_name": "Crumb and Co", "urls": ["https://crumb.example/about"]}),
        )
        .await;
    let failing = api
        .generate(
            "briefs",
            json!({"title": "Doomed mock-anthropic:scenario=overloaded", "primary_keyword": "x",
                   "brand_data": "acme-bakery.json"}),
        )
        .await;

    // The brief: completed, its file is the document, the log shows the Write.
    let job = api.wait_final(&brief, &why).await;
    assert_eq!(job["status"], "completed", "{job}\n{}", why());
    assert_eq!(
        job["output_documents"],
        json!([{"collection": "briefs", "name": "bread-101.md"}]),
        "{job}"
    );
    let (status, doc) = api
        .send(reqwest::Method::GET, "/api/briefs/bread-101.md", None)
        .await;
    assert_eq!(status, 200);
    let doc = String::from_utf8(doc).unwrap();
    assert!(doc.starts_with("# Bread 101\n"), "{doc}");
    assert!(
        doc.contains("Generated by mock-anthropic for `output/bread-101.md`."),
        "{doc}"
    );
    let lines = api.log_lines(&brief).await;
    let texts: Vec<String> = lines
        .iter()
        .map(|l| {
            format!(
                "{} {}",
                l["kind"].as_str().unwrap_or(""),
                l["text"].as_str().unwrap_or("")
            )
        })
        .collect();
    eprintln!("log of the brief job:\n{}", texts.join("\n"));
    assert!(
        texts
            .iter()
            .any(|t| t.contains("Write") && t.contains("output/bread-101.md")),
        "no Write in the log:\n{}",
        texts.join("\n")
    );
    assert!(
        job["usage"]["num_turns"].as_u64().unwrap_or(0) >= 2,
        "{job}"
    );

    // Brand data: a JSON document.
    let job = api.wait_final(&brand_job, &why).await;
    assert_eq!(job["status"], "completed", "{job}\n{}", why());
    let name = job["output_documents"][0]["name"]
        .as_str()
        .expect("an output")
        .to_owned();
    assert_eq!(name, "crumb-and-co.json");
    let (status, doc) = api
        .send(
            reqwest::Method::GET,
            &format!("/api/brand-data/{name}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let doc: Value = serde_json::from_slice(&doc).expect("brand data is JSON");
    assert_eq!(doc["brandInfo"]["companyName"], "Crumb and Co");

    // The failing job: failed with a reason, and no document.
    let job = api.wait_final(&failing, &why).await;
    assert_eq!(job["status"], "failed", "{job}\n{}", why());
    eprintln!("the failing job's error: {}", job["error"]);
    assert!(!job["error"].as_str().unwrap_or("").is_empty(), "{job}");
    assert_eq!(job["output_documents"], json!([]), "{job}");

    eprintln!("mock requests:\n{}", mock.summary());
    // The mock saw the real prompts: the brief's names its output path.
    let requests = mock.requests();
    let prompts: Vec<String> = requests
        .iter()
        .filter(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.starts_with("/v1/messages"))
        })
        .map(|r| r["body"]["messages"].to_string())
        .collect();
    assert!(
        prompts
            .iter()
            .any(|p| p.contains("output/bread-101.md") && p.contains("Bread 101")),
        "{}",
        mock.summary()
    );
}
