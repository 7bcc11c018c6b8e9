//! Worker benchmarks against a real `runner serve`: pickup latency, the request rate of an idle
//! runner, log latency (CLI line → SSE client) and log ingestion. Results go to stdout; see
//! bench/RESULTS.md for figures.
//!
//! ```text
//! cargo build --release -p runner
//! cargo run --release -p worker --example worker_bench -- all
//! ```
//!
//! Settings (environment): `CWM_RUNNER_BIN` (default: `runner` built into this binary's profile dir),
//! `JOBS` (pickup samples, 50), `IDLE_SECS` (60), `LOG_LINES` (500), `INGEST_LINES` (100000).
//!
//! The CLI is this binary itself (`BENCH_CLAUDE=1`, see [`fake`]): it stamps its start and each
//! line it prints with the wall clock, so latencies are measured between processes of one host.

mod fake;
mod server;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use server::{ADMIN_TOKEN, Server, TOKEN};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn main() {
    if std::env::var_os(fake::ENV_MODE).is_some() {
        std::process::exit(fake::run());
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let which = std::env::args().nth(1).unwrap_or_else(|| "all".into());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let all = which == "all";
        if all || which == "pickup" {
            pickup(env_or("JOBS", 50)).await;
        }
        if all || which == "idle" {
            idle(env_or("IDLE_SECS", 60)).await;
        }
        if all || which == "log-latency" {
            log_latency(env_or("LOG_LINES", 500)).await;
        }
        if all || which == "ingest" {
            ingest(env_or("INGEST_LINES", 100_000)).await;
        }
    });
}

/// A server, a brand-data document, and one in-process worker whose CLI prints `lines` lines
/// `delay_ms` apart.
struct Setup {
    server: Server,
    http: reqwest::Client,
    shutdown: worker::Shutdown,
    worker: tokio::task::JoinHandle<Result<(), worker::WorkerError>>,
    _tmp: tempfile::TempDir,
}

impl Setup {
    async fn new(lines: usize, delay_ms: u64, debug_log: bool) -> Setup {
        let tmp = tempfile::tempdir().unwrap();
        let server = Server::start(tmp.path(), debug_log);
        // The content API wants a credential: the benchmark is the admin.
        let http = reqwest::Client::builder()
            .default_headers(
                [(
                    reqwest::header::AUTHORIZATION,
                    format!("Bearer {ADMIN_TOKEN}").parse().unwrap(),
                )]
                .into_iter()
                .collect(),
            )
            .build()
            .unwrap();
        let brand = json!({ "brand": "Acme" });
        let put = http
            .put(server.url("/api/brand-data/acme.json"))
            .json(&brand)
            .send()
            .await
            .unwrap();
        assert!(put.status().is_success());
        let mut config = worker::WorkerConfig::new(server.api(), TOKEN);
        config.name = "bench".into();
        config.workdir = tmp.path().join("work");
        config.credentials_dir = None;
        config.claude.claude_path = std::env::current_exe().unwrap();
        config.claude.env = vec![
            (fake::ENV_MODE.into(), "1".into()),
            (fake::ENV_LINES.into(), lines.to_string()),
            (fake::ENV_DELAY_MS.into(), delay_ms.to_string()),
        ];
        let shutdown = worker::Shutdown::new();
        let worker = tokio::spawn(worker::run(config, shutdown.clone()));
        // Let the worker register and open its first claim.
        tokio::time::sleep(Duration::from_secs(1)).await;
        Setup {
            server,
            http,
            shutdown,
            worker,
            _tmp: tmp,
        }
    }

    async fn submit(&self, title: &str) -> String {
        let body = json!({ "title": title, "primary_keyword": "k", "brand_data": "acme.json" });
        let resp = self
            .http
            .post(self.server.url("/api/briefs/generate"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let v: Value = resp.json().await.unwrap();
        v["job_id"].as_str().unwrap().to_owned()
    }

    async fn wait_final(&self, id: &str) -> Value {
        loop {
            let job: Value = self
                .http
                .get(self.server.url(&format!("/api/jobs/{id}")))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if matches!(
                job["status"].as_str(),
                Some("completed" | "failed" | "cancelled")
            ) {
                return job;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// When the CLI of a finished job started (ns), as it wrote in its output.
    async fn started(&self, job: &Value) -> u128 {
        let doc = &job["output_documents"][0];
        let url = self.server.url(&format!(
            "/api/{}/{}",
            doc["collection"].as_str().unwrap(),
            doc["name"].as_str().unwrap()
        ));
        let text = self
            .http
            .get(url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("started=")?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no start time in {text:?}"))
    }

    async fn stop(self) {
        self.shutdown.abort();
        let _ = self.worker.await;
    }
}

/// Job created → CLI started, one job at a time on an idle runner.
async fn pickup(jobs: usize) {
    let s = Setup::new(0, 0, false).await;
    let mut samples = Vec::new();
    for i in 0..jobs {
        let t0 = now_ns();
        let id = s.submit("Pickup").await;
        let job = s.wait_final(&id).await;
        assert_eq!(job["status"], "completed", "{job}");
        let started = s.started(&job).await;
        samples.push(Duration::from_nanos((started - t0) as u64));
        // Gaps of varying length, so submissions fall at any point of the server's 25 ms check.
        tokio::time::sleep(Duration::from_millis(50 + 37 * (i as u64 % 7))).await;
    }
    report("pickup latency (job created → CLI started)", samples);
    s.stop().await;
}

/// Requests per second an idle runner makes (counted in the server's request log).
async fn idle(secs: u64) {
    let s = Setup::new(0, 0, true).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = s.server.runner_requests();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let n = s.server.runner_requests() - before;
    println!(
        "idle runner (3 slots): {n} requests in {secs} s = {:.3} requests/s",
        n as f64 / secs as f64
    );
    s.stop().await;
}

/// CLI prints a line → an SSE client of /api/jobs/{id}/events receives it.
async fn log_latency(lines: usize) {
    let s = Setup::new(lines, 20, false).await;
    let id = s.submit("Latency").await;
    let url = s.server.url(&format!("/api/jobs/{id}/events"));
    let mut resp = s.http.get(url).send().await.unwrap();
    let mut samples = Vec::new();
    let mut buf = String::new();
    'stream: while let Some(chunk) = resp.chunk().await.unwrap() {
        let received = now_ns();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            if event.starts_with("event: done") {
                break 'stream;
            }
            let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) else {
                continue;
            };
            let Ok(line) = serde_json::from_str::<Value>(data) else {
                continue;
            };
            if let Some(printed) = line["text"].as_str().and_then(fake::printed_at) {
                samples.push(Duration::from_nanos((received - printed) as u64));
            }
        }
    }
    assert_eq!(samples.len(), lines, "every line arrived");
    report(
        &format!("log latency (CLI line → SSE client), {lines} lines 20 ms apart"),
        samples,
    );
    s.stop().await;
}

/// Three jobs printing as fast as they can; lines per second until all were delivered.
async fn ingest(lines: usize) {
    let s = Setup::new(lines, 0, false).await;
    let ids = [
        s.submit("Ingest").await,
        s.submit("Ingest").await,
        s.submit("Ingest").await,
    ];
    let t = Instant::now();
    let mut jobs = Vec::new();
    for id in &ids {
        let job = s.wait_final(id).await;
        assert_eq!(job["status"], "completed", "{job}");
        jobs.push(job);
    }
    let wall = t.elapsed();
    let done = now_ns();
    let mut first = u128::MAX;
    for job in &jobs {
        first = first.min(s.started(job).await);
    }
    let from_first_start = Duration::from_nanos((done - first) as u64);
    let stored = count_lines(&s, &ids[0]).await;
    assert!(stored >= lines, "job 0 stored {stored} lines");
    let total = 3 * lines;
    println!(
        "log ingestion: 3 jobs × {lines} lines in {:.2} s (first CLI start → last job completed) = {:.0} lines/s; \
         submit → completed {:.2} s; job 0 has {stored} lines stored",
        from_first_start.as_secs_f64(),
        total as f64 / from_first_start.as_secs_f64(),
        wall.as_secs_f64()
    );
    s.stop().await;
}

async fn count_lines(s: &Setup, id: &str) -> usize {
    let (mut n, mut after) = (0, 0i64);
    loop {
        let url = s
            .server
            .url(&format!("/api/jobs/{id}/logs?after={after}&limit=5000"));
        let page: Value = s.http.get(url).send().await.unwrap().json().await.unwrap();
        let got = page["lines"].as_array().map_or(0, Vec::len);
        if got == 0 {
            return n;
        }
        n += got;
        after = page["next"].as_i64().unwrap();
    }
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let pct = |p: f64| {
        samples[((p / 100.0 * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1]
    };
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    println!(
        "{what}: n={} p50={:?} p95={:?} max={:?} mean={:?}",
        samples.len(),
        pct(50.0),
        pct(95.0),
        samples[samples.len() - 1],
        mean
    );
}
