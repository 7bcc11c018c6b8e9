//! The content team's HTTP API as the tests use it: documents, generate, job status and logs.

use std::time::{Duration, Instant};

use serde_json::Value;

/// Longest a job may take from submission to its final status.
pub const JOB_TIMEOUT: Duration = Duration::from_secs(180);

/// The `admin_token` of every host these tests start ([`crate::support::runner::start_serve`],
/// `runner up` in e2e_real_cli.rs); [`Api`] sends it, as a signed-in admin would.
pub const ADMIN_TOKEN: &str = "mock-anthropic-admin-token";

pub struct Api {
    client: reqwest::Client,
    base: String,
}

impl Api {
    /// A client of the API at `base` (`http://127.0.0.1:PORT`).
    pub fn new(base: &str) -> Api {
        Api {
            client: reqwest::Client::builder()
                .default_headers(
                    [(
                        reqwest::header::AUTHORIZATION,
                        format!("Bearer {ADMIN_TOKEN}").parse().unwrap(),
                    )]
                    .into_iter()
                    .collect(),
                )
                .build()
                .unwrap(),
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// One request; the status and the raw body.
    pub async fn send(
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

    /// One JSON request; the status and the body parsed (`Null` if it is not JSON).
    pub async fn json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let body = body.map(|b| ("application/json", b.to_string().into_bytes()));
        let (status, bytes) = self.send(method, path, body).await;
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// `PUT /api/{collection}/{name}`, which must succeed.
    pub async fn put_document(&self, collection: &str, name: &str, content_type: &str, body: &str) {
        let (status, answer) = self
            .send(
                reqwest::Method::PUT,
                &format!("/api/{collection}/{name}"),
                Some((content_type, body.as_bytes().to_vec())),
            )
            .await;
        assert!(
            matches!(status, 200 | 201),
            "PUT {collection}/{name}: {status} {}",
            String::from_utf8_lossy(&answer)
        );
    }

    /// `POST /api/{collection}/generate`; the new job's id.
    pub async fn generate(&self, collection: &str, params: Value) -> String {
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

    /// `GET /api/jobs/{id}`.
    pub async fn job(&self, id: &str) -> Value {
        let (status, job) = self
            .json(reqwest::Method::GET, &format!("/api/jobs/{id}"), None)
            .await;
        assert_eq!(status, 200, "GET job {id}: {job}");
        job
    }

    /// Polls the job until it is completed, failed or cancelled.
    pub async fn wait_final(&self, id: &str, why: impl Fn() -> String) -> Value {
        let deadline = Instant::now() + JOB_TIMEOUT;
        loop {
            let job = self.job(id).await;
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

    /// Every log line of the job (`{seq, ts, stream, kind, text}`), all pages.
    pub async fn log_lines(&self, id: &str) -> Vec<Value> {
        let mut all = Vec::new();
        let mut path = format!("/api/jobs/{id}/logs?limit=500");
        loop {
            let (status, logs) = self.json(reqwest::Method::GET, &path, None).await;
            assert_eq!(status, 200, "logs of {id}: {logs}");
            let lines = logs["lines"].as_array().cloned().unwrap_or_default();
            if lines.is_empty() || logs["done"] == true {
                all.extend(lines);
                return all;
            }
            all.extend(lines);
            path = format!("/api/jobs/{id}/logs?limit=500&after={}", logs["next"]);
        }
    }
}

/// `kind text` per log line, for assertions and failure messages.
pub fn log_texts(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            format!(
                "{} {}",
                l["kind"].as_str().unwrap_or(""),
                l["text"].as_str().unwrap_or("")
            )
        })
        .collect()
}
